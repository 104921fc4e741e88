"""Smaller CLI edges of issue 11 item 9: option values that start with '-', who holds a busy
database, and absolute archive paths whatever --db looks like."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import cli, events, store
from tests.conftest import FIXTURES, REPO


@pytest.mark.parametrize("value", ["-2+3", "-5", "-0.5", "-.5", "-1e3", "-2024-01-01 launch"])
def test_events_add_takes_a_description_that_starts_with_a_minus(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "events.duckdb"
    argv = ["events", "add", "--db", str(db), "--start", "2024-03-01", "--title", value]
    assert cli.main([*argv, "--description", value, "--app", value]) == 0
    assert "Added event #1." in capsys.readouterr().out
    listed = events.list_events(db).row(0, named=True)
    assert (listed["title"], listed["description"], listed["apps"]) == (value, value, [value])


def test_series_app_that_starts_with_a_minus_is_a_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "series.duckdb"
    source = tmp_path / "minus.csv"
    source.write_text("date,app,metric,value\n2024-03-01,-2+3,installs,7\n")
    assert cli.main(["ingest", "--db", str(db), str(source)]) == 0
    capsys.readouterr()
    assert cli.main(["series", "--db", str(db), "--app", "-2+3", "--metric", "installs"]) == 0
    assert "-2+3" in capsys.readouterr().out


def test_an_option_after_an_option_is_still_an_error_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.duckdb")
    with pytest.raises(SystemExit) as info:
        cli.main(["events", "add", "--db", db, "--start", "2024-03-01", "--title", "--app", "x"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --title: expected one argument" in err
    assert "write --title=VALUE" in err
    with pytest.raises(SystemExit) as info:
        cli.main(["events", "add", "--db", db, "--start", "2024-03-01", "--title", "x", "--bogus"])
    assert info.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_lock_holder_is_named_as_far_as_known() -> None:
    # No /proc entry for the PID (another container, another OS): DuckDB's own words.
    text = (
        'IO Error: Could not set lock on file "/x/db.duckdb": Conflicting lock is held in '
        "/usr/local/bin/duckdb (PID 4194999999). See also https://duckdb.org/docs"
    )
    assert store._holder(text) == "another process (PID 4194999999: /usr/local/bin/duckdb)"
    assert store._holder('Could not set lock on file "/x/db.duckdb"') == "another process"
    mine = f"Conflicting lock is held in {sys.executable} (PID {os.getpid()})."
    assert store._holder(mine).startswith(f"another process (PID {os.getpid()}: ")
    assert "installpulse process" not in store._holder(mine)


def test_archive_path_is_absolute_when_db_is_relative(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("INSTALLPULSE_ARCHIVE", None)
    source = FIXTURES / "generic" / "long_utf8.csv"
    run = subprocess.run(
        [sys.executable, "-m", "pipelines", "ingest", "--db", "rel.duckdb", str(source)],
        cwd=work, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    listing = subprocess.run(
        [sys.executable, "-m", "pipelines", "imports", "--db", "rel.duckdb", "--format", "json"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    archived = Path(json.loads(listing.stdout)[0]["archive_path"])
    assert archived.is_absolute(), archived
    assert archived.is_file()
    assert archived.is_relative_to(work.resolve() / "archive")
