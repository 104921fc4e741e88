"""Glob and other special characters in every path argument (issue 11, fault suite): the
database file (`--db`), its folder (archive, backups, WAL), imported files and the events file
all live under a folder whose name holds `[ ] * ? { } $ ' "`, spaces and non-ASCII. Every command
that takes a path reads and writes exactly the paths named - never a glob match, never a `$word`
taken for a SQL parameter - and the numbers are those of the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HOSTILE_FOLDER = "dir [1] *{a,b} $HOME 'q' \"d\" é #%"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / HOSTILE_FOLDER
    path.mkdir()
    # decoys a glob of the hostile names would match
    (tmp_path / "dir 1 x").mkdir()
    return path


def test_a_database_path_with_a_question_mark_is_refused_with_a_sentence(tmp_path: Path) -> None:
    """DuckDB reads what follows '?' as options (its WAL goes to '<before>.wal?<after>' and the
    first commit fails): refused before anything is written, with what to do."""
    folder = tmp_path / "what?"
    folder.mkdir()
    result = _cli("demo", "--db", str(folder / "db.duckdb"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "contains '?'" in result.stderr and "without '?'" in result.stderr
    assert list(folder.iterdir()) == []


def test_every_path_argument_is_taken_literally(folder: Path) -> None:
    db = folder / "db [x]*.duckdb"
    demo = _cli("demo", "--db", str(db))
    assert demo.returncode == 0, demo.stderr
    assert db.exists()
    assert sorted(p.name for p in folder.iterdir() if p.suffix == ".duckdb") == [db.name]

    series = _cli(
        "series", "--db", str(db), "--app", "ChatGPT", "--metric", "uninstalls",
        "--country", "US", "--start", "2026-02-28", "--end", "2026-02-28",
        "--baseline", "previous-day", "--format", "json",
    )  # fmt: skip
    assert series.returncode == 0, series.stderr
    row = json.loads(series.stdout)[0]
    assert (row["value"], row["baseline"], row["multiple"]) == (12640.0, 3200.0, 3.95)

    data = folder / "rep[1] *$HOME?.csv"  # '?' is fine in an imported file's name
    data.write_text("date,app,metric,value\n2026-03-01,Odd App,installs,7\n", encoding="utf-8")
    (folder / "rep1 x$HOME.csv").write_text(
        "date,app,metric,value\n2026-03-01,Decoy,installs,999\n", encoding="utf-8"
    )
    ingest = _cli("ingest", "--db", str(db), str(data))
    assert ingest.returncode == 0, ingest.stderr
    apps = _cli("apps", "--db", str(db), "--format", "csv")
    assert "Odd App" in apps.stdout and "Decoy" not in apps.stdout

    history = _cli("imports", "--db", str(db), "--format", "json")
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)
    last = max(rows, key=lambda r: r["import_id"])
    assert last["file_name"] == data.name
    archived = Path(last["archive_path"])
    assert archived.is_absolute() and archived.exists()
    assert archived.read_bytes() == data.read_bytes()

    events_file = folder / "ev [a]{b}$x.csv"
    events_file.write_text("start_date,title\n2026-03-02,launch\n", encoding="utf-8")
    add = _cli("ingest", "--db", str(db), "--events", str(events_file))
    assert add.returncode == 0, add.stderr
    listed = _cli("events", "list", "--db", str(db), "--format", "csv")
    assert "launch" in listed.stdout

    undo = _cli("undo", "--db", str(db), str(last["import_id"]))
    assert undo.returncode == 0, undo.stderr
    after = _cli("apps", "--db", str(db), "--format", "csv").stdout
    assert ",Odd App,Odd App,0," in after  # the app stays known, its observations are gone
    recover = _cli("recover", "--db", str(db))
    assert recover.returncode == 0, recover.stderr
