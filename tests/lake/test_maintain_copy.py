"""`installpulse maintain` and `installpulse lake copy` on a real PostgreSQL catalog: small
files merged and old snapshots expired with every row kept; a file copied into a lake and
back with every table's checksum and the Explore answer equal; a store that holds data is
never written by a copy."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from pipelines import cli, contract, store
from semantic import answer
from semantic.request import SeriesRequest

HEADER = "date,app,platform,country,metric,value,source\n"


def _checksums(location: Path) -> dict[str, tuple[int, int]]:
    with store.connect(location) as con:
        return store.table_checksums(con)


def _parquet_files(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.parquet"))


def test_maintain_merges_small_files_and_expires_snapshots_keeping_every_row(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Three small imports (the last restating two days of the second) leave small Parquet
    files per import and table (and inserts of under 10 rows in the catalog); maintain
    writes those out and merges them, and with --older-than 0 expires the snapshots and
    deletes the files only they held: every table's rows are the same after."""
    for n in range(3):
        path = tmp_path / f"small{n}.csv"
        days = range(1, 16) if n < 2 else range(14, 31)  # (the last restates days 14-15)
        path.write_text(
            HEADER
            + "".join(
                f"2026-04-{d:02d},App {min(n, 1)},ios,US,installs,{d + n},manual\n" for d in days
            ),
            encoding="utf-8",
        )
        assert contract.ingest_file(path).status == "imported"
    before = _checksums(lake)
    data = tmp_path / "lake"

    assert cli.main(["maintain"]) == 0  # (default: snapshots of the last 7 days are kept)
    out = capsys.readouterr().out
    found = re.search(r"Compacted: (\d+) data files in the current snapshot -> (\d+) ", out)
    assert found and int(found[2]) < int(found[1]), out
    assert "Snapshots: 0 older than 7 days expired" in out
    assert _checksums(lake) == before
    on_disk = _parquet_files(data)  # (the merged files are kept for the snapshots that read them)

    assert cli.main(["maintain", "--older-than", "0"]) == 0
    out = capsys.readouterr().out
    assert "Snapshots: 0 " not in out and "Files: 0 no longer needed" not in out, out
    assert _checksums(lake) == before
    assert _parquet_files(data) < on_disk
    # the lake still takes imports after its snapshots were expired
    again = tmp_path / "again.csv"
    again.write_text(HEADER + "2026-05-01,App 9,ios,US,installs,1,manual\n", encoding="utf-8")
    assert contract.ingest_file(again).rows == 1


def test_maintain_on_a_file_checkpoints(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = db.with_name("one.csv")
    path.write_text(HEADER + "2026-04-01,App,ios,US,installs,3,manual\n", encoding="utf-8")
    contract.ingest_file(path, db)
    before = _checksums(db)
    assert cli.main(["maintain", "--db", str(db)]) == 0
    assert capsys.readouterr().out.startswith(f"Checkpointed {db}: ")
    assert _checksums(db) == before
    assert cli.main(["maintain", "--db", str(db), "--older-than", "-1"]) == 1
    assert "--older-than must be 0 days or more" in capsys.readouterr().err


def _explore(location: Path) -> list[tuple]:
    request = SeriesRequest.build(
        ["ChatGPT", "Claude"], ["uninstalls", "downloads"], date(2026, 2, 1), date(2026, 3, 14),
        countries=["US"],
    )  # fmt: skip
    return answer.answer(location, request, with_spikes=False).results.rows()


def test_copy_a_file_into_a_lake_and_back(
    demo_db: Path, lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo file copied into an empty lake and that lake into a new file: every table's
    rows (count and order-independent hash) are equal in all three, ids included, and so is
    the Explore answer; a second copy into the lake, which now holds data, is refused."""
    expected = _checksums(demo_db)
    explored = _explore(demo_db)
    assert cli.main(["lake", "copy", "--from", str(demo_db), "--to", str(lake)]) == 0
    assert "observations: " in capsys.readouterr().out
    assert _checksums(lake) == expected
    assert _explore(lake) == explored

    back = tmp_path / "back.duckdb"
    assert cli.main(["lake", "copy", "--from", str(lake), "--to", str(back)]) == 0
    assert _checksums(back) == expected
    assert _explore(back) == explored

    assert cli.main(["lake", "copy", "--from", str(demo_db), "--to", str(lake)]) == 1
    err = capsys.readouterr().err
    assert "already holds data" in err and "nothing was copied" in err, err
    assert _checksums(lake) == expected
