"""`installpulse sync` imports through the same contract, so its imports are watched too: a
Sensor Tower sync (the connector's local stand-in, tests/connectors/fake_sensortower.py) that
brings a spike day sends one message; the next sync, with nothing new, sends nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from alert_helpers import CYCLE, Receiver

from pipelines import alerts, settings, sync
from pipelines.connectors import connections
from pipelines.connectors.base import SecretRef
from tests.connectors.fake_sensortower import serve

APP = "6448311069"
FIRST = date(2026, 1, 1)


def _record(n: int, units: int) -> dict:
    day = FIRST + timedelta(days=n)
    return {"aid": int(APP), "cc": "US", "d": day.isoformat(), "iu": units, "au": 0,
            "ir": 0, "ar": 0}  # fmt: skip


def test_a_sync_that_brings_a_spike_sends_one_message(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    db = settings.db_path()
    with serve(monkeypatch) as fake:
        fake.records["ios"] += [_record(n, CYCLE[n % 4]) for n in range(40)]
        connection, _ = connections.add(
            "st",
            "sensortower",
            {"os": "ios", "countries": "US", "start": FIRST.isoformat()},
            SecretRef.env("SENSORTOWER_TOKEN"),
            [APP],
            db,
        )
        quiet = sync.sync_connection(connection, db, say=lambda _: None, until=date(2026, 2, 9))
        assert quiet.result == "ok"
        alerts.add_rule(None, [APP], "downloads", countries=["US"], score=3.5, webhook=receiver.url)
        fake.records["ios"].append(_record(40, 400))
        spiked = sync.sync_connection(connection, db, say=lambda _: None, until=date(2026, 2, 10))
        assert (spiked.result, spiked.imported) == ("ok", 1)
        again = sync.sync_connection(connection, db, say=lambda _: None, until=date(2026, 2, 10))
        assert again.result == "ok"
    (body,) = receiver.bodies()
    assert body["text"] == (
        "6448311069 (US, iOS) downloads +300% vs the previous day (400 vs 100, 4.00x) on Tue 10 "
        "Feb 2026; robust spike score +202.3."
    )
    (episode,) = alerts.recent_episodes(None).to_dicts()
    assert episode["status"] == "sent"
