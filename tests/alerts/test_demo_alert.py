"""The demo case: load the demo, watch ChatGPT's US uninstalls, import a file with a new spike
day, and exactly one message arrives with the right numbers.

Worked by hand from data/demo/observations.csv: on Thu 30 Apr 2026, the demo's last day, ChatGPT
US uninstalls are 1,300 (Android) + 1,824 (iOS) = 3,124. The new file says Fri 1 May 2026:
6,000 + 8,000 = 14,000, so vs the previous day 14,000 / 3,124 = 4.4814 -> "4.48x", and
4.4814 - 1 = 3.4814 -> "+348%".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alert_helpers import Receiver

from pipelines import alerts, contract

SPIKE = (
    "date,app,platform,country,metric,value,source\n"
    "2026-05-01,ChatGPT,android,US,uninstalls,6000,demo\n"
    "2026-05-01,ChatGPT,ios,US,uninstalls,8000,demo\n"
)


def test_demo_spike_sends_exactly_one_message_with_the_right_numbers(
    demo_db: Path, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("INSTALLPULSE_DB", str(demo_db))
    monkeypatch.setenv("INSTALLPULSE_APP_URL", "https://dash.example.org/")
    alerts.add_rule(
        None,
        ["ChatGPT"],
        "uninstalls",
        countries=["US"],
        score=3.5,
        direction="up",
        webhook=receiver.url,
    )
    spike = tmp_path / "spike.csv"
    spike.write_text(SPIKE, encoding="utf-8")
    assert contract.ingest_file(spike).status == "imported"

    (body,) = receiver.bodies()
    assert body["text"].startswith(
        "ChatGPT (US, iOS+Android) uninstalls +348% vs the previous day (14,000 vs 3,124, "
        "4.48x) on Fri 1 May 2026; robust spike score +"
    )
    numbers = body["blocks"][1]["text"]["text"]
    assert "• Value: 14,000 on Fri 1 May 2026" in numbers
    assert "• Baseline (the previous day): 3,124" in numbers
    assert "• Change: +348% vs the previous day (4.48x)" in numbers
    assert body["blocks"][2]["text"]["text"] == (
        "<https://dash.example.org/explore?apps=ChatGPT&metrics=uninstalls&countries=US"
        "&start=2026-04-03&end=2026-05-01&baseline=previous-day&grain=day&view=absolute"
        "&day=2026-05-01|Open in Explore>"
    )
    assert body["blocks"][3]["elements"][0]["text"] == "Source: demo; illustrative demo data"
    (episode,) = alerts.recent_episodes(None).to_dicts()
    assert episode["status"] == "sent"
    assert (episode["value"], episode["baseline"]) == (14000, 3124)
    assert episode["multiple"] == pytest.approx(14000 / 3124, rel=1e-12)

    # the same spike again, restated (other bytes, same day): still one message
    again = tmp_path / "spike-restated.csv"
    again.write_text(SPIKE.replace("8000", "8100"), encoding="utf-8")
    assert contract.ingest_file(again).rows_replaced == 2
    assert len(receiver.requests) == 1
