"""The installpulse command: exit codes 0/1/2/3, messages on stderr, and each sub-command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.conftest import FIXTURES, REPO

GENERIC = FIXTURES / "generic"


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120, python: tuple = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python, "-m", "pipelines", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def test_ingest_ok_then_already_imported(db: Path) -> None:
    first = cli("ingest", "--db", str(db), str(GENERIC / "long_utf8.csv"))
    assert first.returncode == 0, first.stderr
    assert "long_utf8.csv: imported as #1 (generic-long): 6 rows in 3 series" in first.stdout
    second = cli("--db", str(db), "ingest", str(GENERIC / "long_utf8.csv"))
    assert second.returncode == 0
    assert "already imported (import #1)" in second.stdout


def test_the_command_never_imports_pandas(db: Path) -> None:
    """DuckDB 1.5.5 imports pandas on the first bound parameter (cli.run says why not): an
    import and a series, with every module the process imported listed by -X importtime."""
    for args in (
        ["ingest", "--db", str(db), str(GENERIC / "long_utf8.csv")],
        ["series", "--db", str(db), "--app", "ChatGPT", "--metric", "uninstalls"],
    ):
        result = cli(*args, python=("-X", "importtime"))
        assert result.returncode == 0, result.stderr[-2000:]
        imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
        assert "duckdb" in imported and "polars" in imported  # (the listing is there)
        # (DuckDB still asks, and each refused ask is listed as a bare "pandas"; pandas itself
        # would bring its ~200 submodules: pandas.core, pandas._libs, ...)
        assert not {m for m in imported if m.startswith("pandas.")}


def test_ingest_data_error_exits_1_with_located_message(db: Path) -> None:
    result = cli("ingest", "--db", str(db), str(GENERIC / "bad_values.csv"))
    assert result.returncode == 1
    assert "bad_values.csv, line 2, column 'value': value '12.5'" in result.stderr
    assert result.stdout == ""


def test_usage_errors_exit_2(db: Path) -> None:
    assert cli("ingest", "--db", str(db)).returncode == 2
    assert cli("no-such-command").returncode == 2
    assert cli("undo", "not-a-number", "--db", str(db)).returncode == 2


def test_missing_file_exits_1(db: Path) -> None:
    result = cli("ingest", "--db", str(db), str(db.parent / "nope.csv"))
    assert result.returncode == 1
    assert "nope.csv: no such file." in result.stderr


def test_imports_undo_apps_alias_metrics(db: Path) -> None:
    cli("ingest", "--db", str(db), str(GENERIC / "restate_v1.csv"))
    listing = cli("imports", "--db", str(db), "--format", "json")
    rows = json.loads(listing.stdout)
    assert [(r["import_id"], r["status"], r["rows_written"]) for r in rows] == [(1, "ok", 2)]
    alias = cli("apps", "alias", "com.openai.chatgpt", "ChatGPT", "--db", str(db))
    assert alias.returncode == 0 and "identifier of ChatGPT" in alias.stdout
    apps = json.loads(cli("apps", "--db", str(db), "--format", "json").stdout)
    assert apps[0]["name"] == "ChatGPT"
    assert sorted(apps[0]["identifiers"]) == ["ChatGPT", "com.openai.chatgpt"]
    undo = cli("undo", "1", "--db", str(db))
    assert undo.returncode == 0 and "removed 2 rows" in undo.stdout
    again = cli("undo", "1", "--db", str(db))
    assert again.returncode == 1 and "is undone" in again.stderr
    metrics = cli("metrics", "--db", str(db), "--format", "csv")
    assert "active_devices,level" in metrics.stdout
    add = cli("metrics", "add", "daily_active", "--kind", "level", "--db", str(db))
    assert add.returncode == 0


def test_demo_loads_once(db: Path) -> None:
    first = cli("demo", "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "observations.csv: imported as #1" in first.stdout
    assert "events.csv: imported as #2: 10 events." in first.stdout
    second = cli("demo", "--if-empty", "--db", str(db))
    assert "already holds data" in second.stdout


def test_busy_database_gives_a_sentence_and_exit_3(db: Path) -> None:
    cli("ingest", "--db", str(db), str(GENERIC / "long_utf8.csv"))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, time, sys
            con = duckdb.connect({str(db)!r})
            print("holding", flush=True)
            time.sleep(20)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        result = cli(
            "ingest",
            "--db",
            str(db),
            str(GENERIC / "wide.csv"),
            env={"INSTALLPULSE_LOCK_WAIT": "1"},
        )
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 3
    # Any program may hold the file: say what is known (PID and command), not "installpulse".
    assert f"is in use by another process (PID {holder.pid}: {sys.executable} -c" in result.stderr
    assert "installpulse process" not in result.stderr
    assert "Traceback" not in result.stderr
    assert waited < 15
    # Once the other process is gone the same command works.
    retry = cli("ingest", "--db", str(db), str(GENERIC / "wide.csv"))
    assert retry.returncode == 0, retry.stderr


def test_ingest_events_csv_and_appfigures_json_then_export(db: Path) -> None:
    csv_result = cli("ingest", "--events", "--db", str(db), str(REPO / "data/demo/events.csv"))
    assert csv_result.returncode == 0, csv_result.stderr
    assert "events.csv: imported (#1), 10 events." in csv_result.stdout
    json_result = cli(
        "ingest", "--events", "--db", str(db), str(FIXTURES / "appfigures" / "events.json")
    )
    assert json_result.returncode == 0, json_result.stderr
    assert "imported (#2), 3 events." in json_result.stdout
    exported = cli("events", "export", "--db", str(db))
    lines = exported.stdout.splitlines()
    assert lines[0] == "start_date,end_date,title,description,tags,apps"
    assert len(lines) >= 14
    again = cli("ingest", "--events", "--db", str(db), str(REPO / "data/demo/events.csv"))
    assert "already imported" in again.stdout
