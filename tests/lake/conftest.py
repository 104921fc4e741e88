"""The lake tests' fixture: a fresh lake per test, copied from the session's schema template
(tests/lake/catalogs.py; the cluster is the `lake_catalogs` fixture of tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def lake(lake_catalogs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh lake chosen by INSTALLPULSE_STORE (data and archive in tmp_path)."""
    address = lake_catalogs.new(tmp_path / "lake")
    monkeypatch.setenv("INSTALLPULSE_STORE", address)
    monkeypatch.setenv("INSTALLPULSE_LAKE_DATA", str(tmp_path / "lake"))
    monkeypatch.setenv("INSTALLPULSE_LOCK_WAIT", "60")
    return Path(address)
