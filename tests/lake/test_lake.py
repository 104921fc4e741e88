"""The lake backend (DuckLake on a real PostgreSQL catalog): the same import contract, the
same named queries and the same answers as the file; writers from several processes; a
`kill -9` inside the import transaction leaves nothing of the import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pipelines import contract, demo, ops, sql, store
from pipelines import lake as lakes
from pipelines.errors import ImportFailed

REPO = Path(__file__).resolve().parents[2]
HEADER = "date,app,platform,country,metric,value,source\n"


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _frame(db: Path | str, text: str) -> pl.DataFrame:
    with store.connect(db) as con:
        return pl.DataFrame(con.sql(text))


# Everything stored, without the times at which it was written (they differ between runs).
_STORED = {
    "daily_metrics": "select * from daily_metrics order by all",
    "daily_totals": "select * from daily_totals order by all",
    "apps": "select * exclude (created_at) from apps order by all",
    "identifiers": "select * exclude (created_at) from identifiers order by all",
    "series": "select * from series order by all",
    "events": "select event_id, start_date, end_date, title, description, tags, "
    "is_approximate from events order by all",
    "imports": "select import_id, file_name, sha256, status, rows_written from imports "
    "order by all",
}


def test_lake_address_is_the_store_and_schema_has_no_sequences(lake: Path) -> None:
    """INSTALLPULSE_STORE chooses the lake; its schema is at this installpulse's version."""
    with store.connect() as con:
        assert sql.run_text(con, "select current_database()") == [("lake",)]
        assert lakes.current_version(con) == store.SCHEMA_VERSION
        assert sql.run_text(con, "select count(*) from duckdb_sequences()") == [(0,)]
        # the catalogue's rows came from the same migration files
        assert sql.run_text(con, "select count(*) from metrics")[0][0] >= 30


def test_demo_on_the_lake_answers_as_on_the_file(lake: Path, tmp_path: Path) -> None:
    """The demo imported into a lake and into a file: every stored row and every total by
    the totals rules (the view over the ip_totals macro, stored in the lake) are equal."""
    file_db = tmp_path / "file.duckdb"
    demo.load(lake)
    demo.load(file_db)
    for name, text in _STORED.items():
        on_lake, on_file = _frame(lake, text), _frame(file_db, text)
        assert on_lake.height > 0, name
        assert on_lake.equals(on_file), name


def test_import_contract_on_the_lake(lake: Path, tmp_path: Path) -> None:
    """All or nothing, the same bytes twice a no-op, a restatement replaces, undo restores."""
    first = _csv(
        tmp_path / "a.csv",
        [
            "2026-03-01,App A,ios,US,installs,10,manual",
            "2026-03-02,App A,ios,US,installs,12,manual",
        ],
    )
    assert contract.ingest_file(first).status == "imported"
    before = _frame(lake, _STORED["daily_metrics"])

    bad = _csv(tmp_path / "bad.csv", ["2026-03-03,App A,ios,US,installs,-4,manual"])
    with pytest.raises(ImportFailed, match="line 2"):
        contract.ingest_file(bad)
    assert _frame(lake, _STORED["daily_metrics"]).equals(before)

    assert contract.ingest_file(first).status == "already imported"
    assert _frame(lake, _STORED["daily_metrics"]).equals(before)

    restated = _csv(
        tmp_path / "b.csv",
        ["2026-03-02,App A,ios,US,installs,20,manual", "2026-03-03,App A,ios,US,installs,7,manual"],
    )
    result = contract.ingest_file(restated)
    assert (result.rows, result.rows_replaced) == (2, 1)
    values = _frame(lake, "select date, value from daily_metrics order by date")["value"]
    assert values.to_list() == [10, 20, 7]

    ops.undo(result.import_id)
    assert _frame(lake, _STORED["daily_metrics"]).equals(before)
    statuses = _frame(lake, "select import_id, status from imports order by import_id")
    assert statuses["status"].to_list() == ["ok", "failed", "undone"]


def _ingest(files: list[Path], env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipelines", "ingest", *map(str, files)]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_two_importer_processes_and_a_reader(lake: Path, tmp_path: Path) -> None:
    """Two processes import 2 files each at once while this one reads. Each restates the
    same 30 days of one series (the case DuckLake reports as a transaction conflict in 3-4
    of 10 unserialised transactions: the same data files deleted from and written to by
    two processes) and adds a new app, one process restating first, the other last.
    Writers take the catalog's advisory lock, so every import commits with its own id, none
    is retried or lost, each restatement replaced all 30 rows before it, no series or app is
    made twice, the restated series holds one file's 30 values, and the reader only ever
    sees whole imports (a multiple of 30 rows, never fewer than before)."""
    days = range(1, 31)
    base = _csv(
        tmp_path / "base.csv",
        [f"2026-01-{d:02d},App R,android,DE,installs,{d},manual" for d in days],
    )
    assert contract.ingest_file(base).rows == 30
    store.release_all()
    files = {}
    for who, bump, order in (("p", 100, ("R", "P")), ("q", 200, ("Q", "R"))):
        files[who] = [
            _csv(
                tmp_path / f"{who}{app}.csv",
                [f"2026-01-{d:02d},App {app},android,DE,installs,{d + bump},manual" for d in days],
            )
            for app in order
        ]
    env = {**os.environ, "INSTALLPULSE_LOCK_WAIT": "120"}
    procs = [_ingest(paths, env) for paths in files.values()]
    seen: list[int] = []
    while any(p.poll() is None for p in procs):
        seen.append(_frame(lake, "select count(*) as n from observations")["n"][0])
        time.sleep(0.2)  # (a reader, not a busy loop competing with the importers for 2 cores)
    for p in procs:
        _out, err = p.communicate()
        assert p.returncode == 0, err
    assert seen and all(n % 30 == 0 for n in seen) and seen == sorted(seen)
    imports = _frame(lake, "select import_id, status, rows_written, rows_replaced from imports "
                           "order by 1")  # fmt: skip
    assert imports["import_id"].to_list() == list(range(1, 6))
    assert set(imports["status"]) == {"ok"} and set(imports["rows_written"]) == {30}
    assert sorted(imports["rows_replaced"].to_list()) == [0, 0, 0, 30, 30]
    counts = _frame(
        lake,
        "select (select count(*) from observations) as rows, "
        "(select count(distinct series_id) from series) as ids, "
        "(select count(*) from series) as series, (select count(*) from apps) as apps, "
        "(select count(distinct app_id) from apps) as app_ids",
    ).row(0)
    assert counts == (90, 3, 3, 3, 3)
    restated = _frame(lake, "select date, value from daily_metrics where app = 'App R' "
                            "order by date")["value"].to_list()  # fmt: skip
    bumps = {v - d for d, v in enumerate(restated, start=1)}
    assert len(restated) == 30 and len(bumps) == 1 and bumps <= {100, 200}


def test_kill_minus_nine_inside_the_import_transaction(lake: Path, tmp_path: Path) -> None:
    """An importer killed (SIGKILL) inside its transaction leaves no row of the import; its
    history row stays 'running' as on the file; the next import of the same file completes."""
    base = _csv(tmp_path / "base.csv", ["2026-02-01,App K,ios,US,installs,5,manual"])
    contract.ingest_file(base)
    before = {k: _frame(lake, _STORED[k]) for k in ("daily_metrics", "series", "apps")}
    store.release_all()
    victim = _csv(
        tmp_path / "victim.csv",
        [f"2026-02-{d:02d},App V,ios,US,installs,{d},manual" for d in range(1, 29)],
    )
    env = {**os.environ, "INSTALLPULSE_FAULT": "import:in_transaction"}
    proc = _ingest([victim], env)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    for name, frame in before.items():
        assert _frame(lake, _STORED[name]).equals(frame), name
    statuses = _frame(lake, "select status from imports order by import_id")["status"]
    assert statuses.to_list() == ["ok", "running"]
    # the dead importer's catalog session, and so the writers' lock, went with it
    assert contract.ingest_file(victim).rows == 28
