"""The Explore page (AppTest) while a real `installpulse ingest` holds the database inside its
transaction: the rerun shows the data as of the last import, with no error and no 'in use'
warning, and the first rerun after the import shows the new data.

The page runs with INSTALLPULSE_LOCK_WAIT=0, so a read that needed the held file would fail at
once: passing means no read waited for the import.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from app_pages.common import clear_caches
from pipelines import reads, snapshots, store
from tests.app.app_helpers import open_page
from tests.conftest import FIXTURES
from tests.faults.fault_helpers import finish, start, wait_stopped

NEW_FILE = FIXTURES / "generic" / "long_utf8.csv"  # 6 ChatGPT rows from another source
EXPLORE = {"apps": "ChatGPT", "metrics": "uninstalls", "countries": "US"}


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


def _daily_values(at) -> str:
    """The sidebar's line of counts, e.g. '2 apps · 40 series · 1,234 daily values · ...'."""
    lines = [c.value for c in at.sidebar.caption if "daily values" in c.value]
    assert len(lines) == 1, [c.value for c in at.sidebar.caption]
    return lines[0]


def _shows_no_trouble(at) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not [w.value for w in at.warning if "in use" in w.value]


def test_explore_rerun_during_an_import_shows_the_last_import_then_the_new_data(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSTALLPULSE_DB", str(demo_db))
    at = open_page("app_pages/explore.py", EXPLORE)
    _shows_no_trouble(at)
    assert snapshots.current(demo_db) is not None  # the app turned snapshots on and published
    before = reads.totals(demo_db)["observations"]
    assert f"{before:,} daily values" in _daily_values(at)

    store.release_all()  # the app's process lets go of the file, as after its linger time
    writer = start(
        "ingest", "--db", str(demo_db), str(NEW_FILE), fault="import:in_transaction@stop"
    )
    wait_stopped(writer)
    try:
        monkeypatch.setenv("INSTALLPULSE_LOCK_WAIT", "0")
        at.selectbox(key="x_quick").set_value("Last 30 days").run()
        _shows_no_trouble(at)
        assert at.get("plotly_chart"), "the chart is drawn"
        assert f"{before:,} daily values" in _daily_values(at)
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    code, _, err = finish(writer)
    assert code == 0, err

    at.selectbox(key="x_quick").set_value("Last 90 days").run()
    _shows_no_trouble(at)
    assert f"{before + 6:,} daily values" in _daily_values(at)
