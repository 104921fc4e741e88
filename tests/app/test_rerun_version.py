"""A rerun reads the data version once, and a write of its own makes it read it anew
(app_pages/common.py `begin_run`); the app freezes its startup objects once (app_pages/main.py).

A shared server's Explore rerun asked the store for the version five times (sidebar, filter
options, events, the answer, the demo check): a tenth of its CPU with 25 sessions. Reading it
once must not cost correctness: an import committed by another process shows on the next rerun,
and an event added from the page itself changes the key at once.
"""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

import pytest
from app_helpers import open_page

from app_pages import common
from pipelines import contract, events, reads
from pipelines.adapters.base import IngestOptions

CSV = (
    b"date,app,platform,country,metric,value,source\n"
    b"2026-03-01,Chat,ios,US,downloads,100,manual\n"
    b"2026-03-02,Chat,ios,US,downloads,150,manual\n"
)
MORE = (
    b"date,app,platform,country,metric,value,source\n2026-03-03,Chat,ios,US,downloads,90,manual\n"
)
VIEW = {"apps": "Chat", "metrics": "downloads", "start": "2026-03-01", "end": "2026-03-03"}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "v.duckdb"
    first = tmp_path / "first.csv"
    first.write_bytes(CSV)
    assert contract.ingest_file(first, path, IngestOptions()).status == "imported"
    monkeypatch.setenv("INSTALLPULSE_DB", str(path))
    return path


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every version the store was asked for (the real query runs; this only counts)."""
    asked: list[str] = []
    real = reads.data_version

    def counted(db=None) -> str:
        asked.append(real(db))
        return asked[-1]

    monkeypatch.setattr(reads, "data_version", counted)
    return asked


def test_an_explore_rerun_asks_for_the_version_once_and_sees_the_next_import(
    db: Path, tmp_path: Path, queries: list[str]
) -> None:
    at = open_page("app_pages/explore.py", VIEW)
    assert not at.exception, at.exception
    before = len(queries)
    at.run()
    assert not at.exception, at.exception
    assert len(queries) - before == 1  # five cached reads, one query
    assert "2 daily values" in " ".join(c.value for c in at.sidebar.caption)

    more = tmp_path / "more.csv"
    more.write_bytes(MORE)
    assert contract.ingest_file(more, db, IngestOptions()).status == "imported"
    at.run()
    assert not at.exception, at.exception
    assert queries[-1] != queries[before]  # the import moved the key ...
    assert "3 daily values" in " ".join(c.value for c in at.sidebar.caption)  # ... and it shows


def test_a_write_inside_the_rerun_reads_the_version_anew(db: Path, queries: list[str]) -> None:
    common.begin_run()
    try:
        first = common.data_version()
        assert common.data_version() == first and len(queries) == 1  # remembered
        events.add(events.Event(date(2026, 3, 2), "Launch"), db)
        after = common.data_version()
        assert after != first and len(queries) == 2  # this process wrote: asked again
        assert common.data_version() == after and len(queries) == 2
    finally:
        common.end_run()
    common.data_version()
    assert len(queries) == 3  # outside a rerun (a widget callback): always asked


def test_the_app_freezes_what_its_first_rerun_left_alive(db: Path) -> None:
    at = open_page("app_pages/explore.py", VIEW)
    assert not at.exception, at.exception
    from app_pages import main

    assert main._frozen.is_set()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the modules and plotly's validators at least
    at.run()
    assert gc.get_freeze_count() == frozen  # once per process, not per rerun


def test_the_app_reads_on_one_duckdb_thread_the_cli_on_duckdb_s_choice(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """store.serve_sessions (app_pages/main.py): the app's connections run a query on
    INSTALLPULSE_APP_THREADS threads; a process that is not the app keeps DuckDB's default."""
    import os
    import subprocess
    import sys

    from pipelines import store

    script = (
        "from pipelines import store\n"
        "with store.connect() as con:\n"
        "    print(con.execute(\"select current_setting('threads')\").fetchone()[0])\n"
        "store.release_all()\n"
    )
    store.release_all()  # (the fixture's import left a connection, opened before the app)
    cli = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert int(cli.stdout) == os.cpu_count()  # (DuckDB's own choice: one per core)
    monkeypatch.delenv("INSTALLPULSE_THREADS", raising=False)
    at = open_page("app_pages/explore.py", VIEW)
    assert not at.exception, at.exception
    with store.connect(db) as con:
        assert con.execute("select current_setting('threads')").fetchone()[0] == 1
