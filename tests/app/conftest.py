"""AppTest fixtures: the real app on a real DuckDB file (empty or a copy of the demo), with
Streamlit's caches cleared between tests (they persist across AppTest runs in one process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_pages.common import clear_caches


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def demo_env(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INSTALLPULSE_DB", str(demo_db))
    return demo_db


@pytest.fixture
def empty_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "empty.duckdb"
    monkeypatch.setenv("INSTALLPULSE_DB", str(path))
    return path
