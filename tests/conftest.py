"""Shared fixtures: every test gets its own real DuckDB file in a temp dir (no mocks), and the
environment points installpulse there so no test can touch data/installpulse.duckdb."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines import store

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    base = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("INSTALLPULSE_DB", str(base / "installpulse.duckdb"))
    monkeypatch.setenv("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    monkeypatch.setenv("STREAMLIT_SERVER_HEADLESS", "true")
    yield
    store.release_all()  # no lingering connection outlives its test


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A fresh store file path (created on first connect)."""
    return tmp_path / "test.duckdb"


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo loaded once per session; tests copy it (loading takes about a second)."""
    from pipelines import demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    old = os.environ.get("INSTALLPULSE_ARCHIVE")
    demo.load(path)
    with store.connect(path) as con:
        con.execute("checkpoint")
        con.fetchall()
    store.release_all()
    if old is not None:
        os.environ["INSTALLPULSE_ARCHIVE"] = old
    return path


@pytest.fixture
def demo_db(demo_db_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database."""
    target = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db_template, target)
    return target


def checksums(path: Path) -> dict[str, tuple[int, int]]:
    with store.connect(path) as con:
        return store.table_checksums(con)
