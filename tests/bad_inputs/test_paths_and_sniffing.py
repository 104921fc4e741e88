"""Issue 11, items 1, 2, 6 and part of 9: a path is a path, sniffing never crashes, content
decides compression, a bad --encoding is a sentence, and -0 is stored as 0.

1. DuckDB's readers expand glob characters (`rep[1].csv` read `rep1.csv`), so every file is
   read through a link with a generated name in the import's own folder, and that path is
   glob-escaped before DuckDB sees it (a TMPDIR with `[` in it).
2. A field over 128 KB (Python's default csv field limit) in the first lines crashed format
   detection with `_csv.Error`: no history row, and the CLI skipped the other files.
6. A plain CSV named `.csv.gz` or `.zst` was refused ("Input is not a GZIP stream"): DuckDB
   decided compression from the name. Content decides; zstd content is refused by its
   signature (not supported), like bzip2 and xz.
9. `--encoding rot13` (not a text encoding) was a traceback; `-0` kept its sign.

Each test works on a copy of a real store (tests/bad_inputs/conftest.py) and checks the
contract: a refusal changes nothing but one `failed` history row.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from app_pages import upload
from pipelines import contract, sql, store
from pipelines.adapters import csvtext
from pipelines.adapters.base import IngestOptions, SourceFile
from pipelines.errors import ImportFailed
from tests.bad_inputs.bad_input_helpers import (
    assert_only_a_failed_row_added,
    run_cli,
    snapshot,
    stored,
)

# (hostile name, decoy names DuckDB's glob would also match or match instead)
HOSTILE_NAMES = [
    ("rep[1].csv", ["rep1.csv"]),
    ("a*.csv", ["ab.csv", "abc.csv"]),
    ("a?.csv", ["ab.csv"]),
    ("{x}.csv", ["x.csv"]),
    ("sp ace and  two.csv", []),
    ("q'uo\"te.csv", []),
    ("do$llar$HOME.csv", []),
    ("ünïcødé 📈.csv", []),
    ("**.csv", ["z.csv"]),
]


def _csv_for(app: str, value: int) -> bytes:
    return f"date,app,metric,value\n2024-03-01,{app},installs,{value}\n".encode()


def _row(app: str, value: float) -> tuple:
    return (app, "unknown", "WW", "2024-03-01", "installs", value, "generic")


def _history(db: Path) -> list[tuple]:
    with store.connect(db) as con:
        return sql.run_text(
            con, "select file_name, status, sha256, archive_path from imports order by import_id"
        )


def _folder_with_decoys(tmp_path: Path, name: str, decoys: list[str]) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    for i, decoy in enumerate(decoys):
        (folder / decoy).write_bytes(_csv_for(f"Decoy{i}", 900 + i))
    target = folder / name
    target.write_bytes(_csv_for("Target", 7))
    return target


# ----- 1. a path is a path ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "decoys"), HOSTILE_NAMES, ids=[n for n, _ in HOSTILE_NAMES])
def test_ingest_file_reads_exactly_the_named_file(
    db: Path, tmp_path: Path, name: str, decoys: list[str]
) -> None:
    target = _folder_with_decoys(tmp_path, name, decoys)
    result = contract.ingest_file(target, db)
    assert result.status == "imported"
    assert stored(db) == {_row("Target", 7.0)}
    file_name, status, sha, archived = _history(db)[-1]
    assert (file_name, status) == (name, "ok")
    # the history and the archive hold the file that was read
    assert sha == hashlib.sha256(target.read_bytes()).hexdigest()
    assert Path(archived).read_bytes() == target.read_bytes()


def test_cli_ingest_reads_exactly_the_named_files(db: Path, tmp_path: Path) -> None:
    """One `ingest` call naming every hostile file, in one folder with all the decoys."""
    folder = tmp_path / "all"
    folder.mkdir()
    decoys = sorted({d for _, ds in HOSTILE_NAMES for d in ds})
    for i, decoy in enumerate(decoys):
        (folder / decoy).write_bytes(_csv_for(f"Decoy{i}", 900 + i))
    expected = set()
    paths = []
    for i, (name, _) in enumerate(HOSTILE_NAMES):
        (folder / name).write_bytes(_csv_for(f"Target{i}", i))
        expected.add(_row(f"Target{i}", float(i)))
        paths.append(str(folder / name))
    result = run_cli("ingest", "--db", str(db), *paths)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert stored(db) == expected
    assert [h[0] for h in _history(db)[-len(paths) :]] == [n for n, _ in HOSTILE_NAMES]


@pytest.mark.parametrize("name", ["rep[1].csv.gz", "a*.tsv.gz"])
def test_gzip_and_utf16_files_with_glob_names(db: Path, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name.replace("[1]", "1").replace("*", "b")).write_bytes(
        gzip.compress(_csv_for("Decoy", 900))
    )
    target = folder / name
    target.write_bytes(gzip.compress(_csv_for("Target", 7).decode().encode("utf-16")))
    contract.ingest_file(target, db)
    assert stored(db) == {_row("Target", 7.0)}


def test_json_file_with_a_glob_name(db: Path, tmp_path: Path) -> None:
    """JSON exports are read by our own parser; a decoy next to them is never read."""
    records = [{"aid": "com.t", "cc": "US", "d": "2024-03-01", "iu": 4, "au": 0}]
    decoy = [{"aid": "com.decoy", "cc": "US", "d": "2024-03-01", "iu": 9, "au": 0}]
    (tmp_path / "st1.json").write_text(json.dumps(decoy), encoding="utf-8")
    target = tmp_path / "st[1].json"
    target.write_text(json.dumps(records), encoding="utf-8")
    contract.ingest_file(target, db)
    apps = {row[0] for row in stored(db)}
    assert apps == {"com.t"}


@pytest.fixture
def glob_tmpdir(tmp_path: Path) -> Iterator[Path]:
    """A temp folder whose path holds glob characters (and a folder the glob would match)."""
    weird = tmp_path / "tmp[1]*?"
    weird.mkdir()
    (tmp_path / "tmp1ab").mkdir()
    before = tempfile.tempdir
    tempfile.tempdir = str(weird)
    try:
        yield weird
    finally:
        tempfile.tempdir = before


@pytest.mark.parametrize("lazy", [False, True], ids=["table", "view"])
def test_the_reader_reads_a_folder_with_glob_characters(tmp_path: Path, lazy: bool) -> None:
    """The working copy's folder comes from TMPDIR, which may hold glob characters: DuckDB is
    handed an escaped path, in the exact pass (a table) and the fast pass (a view)."""
    weird = tmp_path / "w[1]*?$x'"
    decoy = tmp_path / "w1ab$x'"
    for folder, app in ((weird, "Target"), (decoy, "Decoy")):
        folder.mkdir()
        (folder / "input.csv").write_bytes(_csv_for(app, 1))
    text_path = weird / "input.csv"
    src = SourceFile(
        name="input.csv",
        raw_path=text_path,
        path=text_path,
        encoding="utf-8",
        compression=None,
        head=text_path.read_text(),
        size=text_path.stat().st_size,
        sha256="0" * 64,
    )
    con = duckdb.connect()
    try:
        with csvtext.lazy_raw(lazy):
            csvtext.read_text_table(con, src, ",", 4, allow_lazy=True)
        apps = sql.run_text(con, "select c1 from raw")
    finally:
        con.close()
    assert apps == [("Target",)]


def test_a_temp_folder_with_glob_characters(db: Path, tmp_path: Path, glob_tmpdir: Path) -> None:
    """The whole import with TMPDIR holding glob characters (decompressed and linked copies
    both live there)."""
    target = tmp_path / "plain.csv.gz"
    target.write_bytes(gzip.compress(_csv_for("Target", 7)))
    contract.ingest_file(target, db)
    assert stored(db) == {_row("Target", 7.0)}
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(_csv_for("Other", 8))
    contract.ingest_file(utf8, db)
    assert stored(db) == {_row("Target", 7.0), _row("Other", 8.0)}


@pytest.mark.parametrize(("name", "decoys"), HOSTILE_NAMES, ids=[n for n, _ in HOSTILE_NAMES])
def test_upload_api_with_hostile_names(
    db: Path, tmp_path: Path, name: str, decoys: list[str]
) -> None:
    """The Data page's upload path: the browser's name is shown and recorded, never read."""
    data = _csv_for("Target", 7)
    preview = upload.inspect(name, data)
    assert preview.ok, preview.error
    assert preview.format == "generic-long"
    result = upload.ingest(name, data, db)
    assert result.status == "imported"
    assert stored(db) == {_row("Target", 7.0)}
    assert _history(db)[-1][:2] == (name, "ok")


# ----- 2. long fields in the first lines ------------------------------------------------------

BIG = "x" * 140_000


LONG_FIELD_FILES = {
    # name: (bytes, line the refusal names, text it says)
    "long_app.csv": (
        f"date,app,metric,value\n2024-03-01,{BIG},installs,1\n".encode(),
        2,
        "app name longer than 200 characters",
    ),
    "long_quoted_app.csv": (
        f'date,app,metric,value\n2024-03-01,"{BIG}",installs,1\n'.encode(),
        2,
        "app name longer than 200 characters",
    ),
    "long_header.csv": (
        f"date,app,{BIG}\n2024-03-01,a,1\n".encode(),
        1,
        "is not a known metric",
    ),
    "long_territory.csv": (  # an App Analytics web export: read by Python's csv module
        (
            "Name,Web App\nMetric,Installations\nStart Date,03/13/26\nEnd Date,03/13/26\n\n"
            f"Date,United States,{BIG}\n03/13/26,1,2\n"
        ).encode(),
        6,
        "are not territories installpulse knows",
    ),
    "long_tsv.txt": (
        f"Provider\tSKU\tTitle\n{BIG}\tb\tc\n".encode(),
        None,
        "",
    ),
}


@pytest.mark.usefixtures("default_field_limit")
@pytest.mark.parametrize("name", list(LONG_FIELD_FILES))
def test_a_long_field_is_a_located_refusal(db: Path, tmp_path: Path, name: str) -> None:
    data, line, text = LONG_FIELD_FILES[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = snapshot(db)
    with pytest.raises(ImportFailed) as caught:
        contract.ingest_file(path, db)
    assert_only_a_failed_row_added(before, snapshot(db))
    message = caught.value.render()
    assert message.startswith(f"{name}: not imported")
    assert text in message
    assert len(message) < 2000  # the long field is clipped, not echoed
    if line is not None:
        assert caught.value.problems[0].line == line
    # the Data page's preview returns (a format, or the refusal) instead of raising, so the
    # other uploads keep their Import button
    preview = upload.inspect(name, data)
    assert preview.name == name
    assert preview.ok or name in (preview.error or "")


def test_cli_goes_on_after_a_long_field(db: Path, tmp_path: Path) -> None:
    """A fresh process has the 128 KB limit: the refused file is named with its line, and the
    next file of the same call is imported."""
    big = tmp_path / "big.csv"
    big.write_bytes(LONG_FIELD_FILES["long_app.csv"][0])
    header = tmp_path / "header.csv"
    header.write_bytes(LONG_FIELD_FILES["long_header.csv"][0])
    good = tmp_path / "good.csv"
    good.write_bytes(_csv_for("Good", 3))
    result = run_cli("ingest", "--db", str(db), str(big), str(header), str(good))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "big.csv" in result.stderr and "line 2" in result.stderr
    assert "header.csv" in result.stderr and "line 1" in result.stderr
    assert "good.csv: imported as #" in result.stdout
    assert stored(db) == {_row("Good", 3.0)}
    statuses = [(h[0], h[1]) for h in _history(db)[-3:]]
    assert statuses == [("big.csv", "failed"), ("header.csv", "failed"), ("good.csv", "ok")]


# ----- 6. content decides compression ---------------------------------------------------------


@pytest.mark.parametrize("name", ["plain.csv.gz", "plain.csv.zst", "plain.CSV.GZ", "plain.gz"])
def test_a_plain_file_with_a_compressed_name_is_read_as_plain(
    db: Path, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(_csv_for("Plain", 5))
    result = contract.ingest_file(path, db)
    assert result.status == "imported"
    assert stored(db) == {_row("Plain", 5.0)}
    assert _history(db)[-1][:2] == (name, "ok")


def test_gzip_content_named_csv_is_decompressed(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "really_gzip.csv"
    path.write_bytes(gzip.compress(_csv_for("Gz", 6)))
    contract.ingest_file(path, db)
    assert stored(db) == {_row("Gz", 6.0)}


def _zstd_file(path: Path) -> None:
    """A real Zstandard-compressed CSV, written by DuckDB (no zstd module in Python 3.11)."""
    con = duckdb.connect()
    try:
        con.execute(
            "copy (select '2024-03-01' as date, 'Z' as app, 'installs' as metric, 1 as value) "
            "to $path (format csv, compression zstd)",
            {"path": str(path)},
        )
    finally:
        con.close()
    assert path.read_bytes()[:4] == b"\x28\xb5\x2f\xfd"


@pytest.mark.parametrize("name", ["z.csv.zst", "z.csv", "z.csv.gz"])
def test_zstd_content_is_refused_by_its_signature(db: Path, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    _zstd_file(path)
    before = snapshot(db)
    with pytest.raises(ImportFailed) as caught:
        contract.ingest_file(path, db)
    assert_only_a_failed_row_added(before, snapshot(db))
    message = caught.value.render()
    assert f"{name}: is a Zstandard (zstd) archive" in message
    assert "zstd -d" in message


# ----- 9. --encoding that is not a text encoding; -0 ------------------------------------------


@pytest.mark.parametrize("encoding", ["rot13", "base64", "hex", "zlib", "no-such-codec"])
def test_an_encoding_that_is_not_a_text_encoding_is_refused(
    db: Path, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(_csv_for("Enc", 1))
    before = snapshot(db)
    with pytest.raises(ImportFailed) as caught:
        contract.ingest_file(path, db, IngestOptions(encoding=encoding))
    new = assert_only_a_failed_row_added(before, snapshot(db))
    message = caught.value.render()
    assert f"unknown encoding '{encoding}'" in message
    assert "utf-8, utf-16, cp1252, latin-1" in message
    assert new[3] == message


def test_cli_encoding_rot13(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(_csv_for("Enc", 1))
    result = run_cli("ingest", "--db", str(db), "--encoding", "rot13", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "r.csv: unknown encoding 'rot13'" in result.stderr
    assert _history(db)[-1][:2] == ("r.csv", "failed")


def test_negative_zero_is_stored_as_zero(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "zero.csv"
    path.write_bytes(
        b"date,app,metric,value\n"
        b"2024-03-01,Zero,installs,-0\n"
        b"2024-03-02,Zero,installs,-0.0\n"
        b"2024-03-03,Zero,installs,-0e5\n"
        b"2024-03-04,Zero,net_downloads,-0\n"
        b"2024-03-05,Zero,installs,0\n"
    )
    contract.ingest_file(path, db)
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select strftime(date, '%Y-%m-%d'), value, signbit(value) from daily_metrics "
            "where app = 'Zero' order by date",
        )
    assert rows == [
        ("2024-03-01", 0.0, False),
        ("2024-03-02", 0.0, False),
        ("2024-03-03", 0.0, False),
        ("2024-03-04", 0.0, False),
        ("2024-03-05", 0.0, False),
    ]
