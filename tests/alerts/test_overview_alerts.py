"""The Overview's alerts panel (AppTest): recent episodes, sent and pending, each with its
sentence and a link that opens the Explore view of the spike."""

from __future__ import annotations

from pathlib import Path

import pytest
from alert_helpers import Answer, Receiver
from streamlit.testing.v1 import AppTest

from app_pages.common import clear_caches, md_escape
from pipelines import alerts, contract

APP = Path(__file__).resolve().parents[2] / "app.py"
ROWS = "date,app,platform,country,metric,value,source\n"


def _overview() -> AppTest:
    clear_caches()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("app_pages/overview.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview_lists_sent_and_pending_alerts_with_explore_links(
    demo_db: Path, receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("INSTALLPULSE_DB", str(demo_db))
    monkeypatch.setenv("INSTALLPULSE_ALERT_RETRIES", "0")
    for metric in ("uninstalls", "downloads"):
        alerts.add_rule(
            None, ["ChatGPT"], metric, countries=["US"], score=3.5, webhook=receiver.url
        )
    # the first message is accepted, the second refused for now (503): pending
    receiver.script = [Answer(), Answer(status=503, body=b"busy")]
    spike = tmp_path / "spike.csv"
    spike.write_text(
        ROWS
        + "2026-05-01,ChatGPT,android,US,uninstalls,6000,demo\n"
        + "2026-05-01,ChatGPT,ios,US,uninstalls,8000,demo\n"
        + "2026-05-01,ChatGPT,android,US,downloads,900000,demo\n"
        + "2026-05-01,ChatGPT,ios,US,downloads,900000,demo\n",
        encoding="utf-8",
    )
    contract.ingest_file(spike)
    found = {e["metric"]: e for e in alerts.recent_episodes(None).to_dicts()}
    assert {m: e["status"] for m, e in found.items()} == {
        "uninstalls": "sent",
        "downloads": "pending",
    }

    at = _overview()
    assert "Alerts" in [h.value for h in at.subheader]
    texts = [m.value for m in at.markdown]
    for metric, badge in (
        ("uninstalls", ":green-badge[sent]"),
        ("downloads", ":orange-badge[pending]"),
    ):
        assert f"{badge} {md_escape(found[metric]['sentence'])}" in texts
    links = at.get("page_link")
    assert len(links) == 2
    assert {link.proto.label for link in links} == {"Open in Explore"}
    queries = sorted(link.proto.query_string for link in links)
    assert all("apps=ChatGPT" in q and "day=2026-05-01" in q for q in queries)


def test_overview_has_no_alerts_panel_without_episodes(demo_db: Path, monkeypatch):
    monkeypatch.setenv("INSTALLPULSE_DB", str(demo_db))
    at = _overview()
    assert "Alerts" not in [h.value for h in at.subheader]
