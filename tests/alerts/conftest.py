"""Fixtures of the alert tests: the webhook receiver (alert_helpers.Receiver) with short
timeouts, and a database holding a quiet series to spike."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alert_helpers import Receiver, history_rows, write_csv

from pipelines import contract


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("INSTALLPULSE_ALERT_CONNECT_TIMEOUT", "1")
    monkeypatch.setenv("INSTALLPULSE_ALERT_READ_TIMEOUT", "1")
    monkeypatch.setenv("INSTALLPULSE_ALERT_DEADLINE", "4")
    monkeypatch.setenv("INSTALLPULSE_ALERT_RETRIES", "2")
    monkeypatch.setenv("INSTALLPULSE_ALERT_MAX_RETRY_AFTER", "2")
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stopping.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def quiet_db(tmp_path: Path) -> Path:
    """The default database (INSTALLPULSE_DB) holding 40 quiet days of Acme US iOS uninstalls."""
    contract.ingest_file(write_csv(tmp_path / "history.csv", history_rows()))
    return tmp_path
