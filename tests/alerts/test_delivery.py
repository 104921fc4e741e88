"""Alerts end to end: real DuckDB files, real imports through the contract, real requests to a
webhook receiver on 127.0.0.1 (tests/alerts/conftest.py). No mocks.

The series (conftest): Acme US iOS uninstalls, days 0..39 cycling 98, 100, 102, 100. Worked
by hand for a spike of 400 on day 40 (Tue 10 Feb 2026):
- previous day (day 39, 39 % 4 = 3): 100 -> change 400 / 100 - 1 = +300%, multiple 4.00x;
- robust score: the 28 days before hold seven each of 98, 100, 102, 100 -> median 100,
  absolute deviations fourteen 0s and fourteen 2s -> MAD 1; (400 - 100) / 1.4826 = 202.347
  -> "+202.3";
- typical day-over-day change, pairs on days 10..39: seven each of 2/100, 2/98, 2/100, 2/102
  plus days 38 (2/100) and 39 (2/102): 0.59972 / 30 = 0.01999 -> "2%".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alert_helpers import (
    APP,
    SECRET_PATH,
    Answer,
    Receiver,
    history_rows,
    write_csv,
)

from pipelines import alerts, contract, store
from pipelines.cli import main

HEADLINE = (
    "Acme (US, iOS) uninstalls +300% vs the previous day (400 vs 100, 4.00x) on Tue 10 Feb "
    "2026; robust spike score +202.3."
)
LINK = (
    "http://127.0.0.1:8501/explore?apps=Acme&metrics=uninstalls&countries=US"
    "&start=2026-01-13&end=2026-02-10&baseline=previous-day&grain=day&view=absolute"
    "&day=2026-02-10"
)


def _rule(receiver: Receiver, **kwargs) -> alerts.Rule:
    options = {"score": 3.5, "direction": "up", **kwargs}
    return alerts.add_rule(
        None, [APP], "uninstalls", countries=["US"], webhook=receiver.url, **options
    )


def _episodes() -> list[dict]:
    return alerts.recent_episodes(None, limit=100).sort("episode_id").to_dicts()


def test_delivery_sends_the_exact_slack_json(quiet_db: Path, receiver: Receiver):
    rule = _rule(receiver)
    result = contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    assert result.status == "imported"
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    assert sent["path"] == SECRET_PATH
    assert sent["content_type"] == "application/json; charset=utf-8"
    assert sent["json"] == {
        "text": HEADLINE,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{HEADLINE}*"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "\n".join(
                        [
                            "• Value: 400 on Tue 10 Feb 2026",
                            "• Baseline (the previous day): 100",
                            "• Change: +300% vs the previous day (4.00x)",
                            "• Robust spike score: +202.3 (distance from the median of the "
                            "previous 28 days, 100, in robust standard deviations: 1.4826 x MAD)",
                            "• Typical day-over-day change over the previous 30 days: 2%",
                            "• Episode: firing since Tue 10 Feb 2026 (1 day); later days of "
                            "this spike send no new message",
                            f"• Rule #{rule.rule_id}: robust spike score &gt;= 3.5 (up)",
                        ]
                    ),
                },
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{LINK}|Open in Explore>"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Source: generic"}]},
        ],
    }
    (episode,) = _episodes()
    assert episode["status"] == "sent"
    assert episode["attempts"] == 1
    assert episode["sentence"] == HEADLINE
    assert episode["explore_url"] == LINK
    assert (episode["value"], episode["baseline"], episode["change"]) == (400, 100, 3.0)


def test_the_link_opens_the_same_numbers_in_explore(quiet_db: Path, receiver: Receiver):
    """The Explore view of the link answers with the very numbers of the message."""
    from semantic import answer
    from semantic.views import ExploreState

    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    (episode,) = _episodes()
    state = ExploreState.from_params(alerts.explore_params(episode["explore_url"]))
    shown = answer.answer(None, state.request())
    (row,) = shown.results.filter(shown.results["date"] == episode["peak_date"]).to_dicts()
    assert (row["value"], row["baseline"], row["change"], row["multiple"]) == (
        episode["value"],
        episode["baseline"],
        episode["change"],
        episode["multiple"],
    )
    (peak,) = shown.spikes.to_dicts()  # the chart's spike marker: the same day and score
    assert peak["date"] == episode["peak_date"]
    assert peak["score"] == episode["score"]


def test_a_slow_receiver_leaves_the_alert_pending_and_retry_delivers_it(
    quiet_db: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
):
    # The first answer comes 30 s late, far beyond the 1 s read timeout; later ones at once.
    receiver.script = [Answer(delay=30), Answer()]
    _rule(receiver)
    result = contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    assert result.status == "imported"
    # The import returned while the receiver was still holding its answer back.
    assert not receiver.answered.is_set()
    assert len(receiver.requests) == 1
    (episode,) = _episodes()
    assert episode["status"] == "pending"
    assert episode["last_error"] == (
        f"127.0.0.1:{receiver.server_port} did not answer within 1 s "
        "(INSTALLPULSE_ALERT_READ_TIMEOUT)"
    )
    assert main(["alerts", "list"]) == 0
    listed = capsys.readouterr().out
    assert "pending" in listed and "did not answer within 1 s" in listed

    assert main(["alerts", "retry"]) == 0
    assert "1 message(s) sent, 0 still pending, 0 failed." in capsys.readouterr().out
    (episode,) = _episodes()
    assert episode["status"] == "sent"
    assert episode["attempts"] == 2
    # the retry sent the very same message
    assert len(receiver.requests) == 2
    assert receiver.requests[1]["json"] == receiver.requests[0]["json"]


def test_a_failing_receiver_500_then_200_is_retried_within_the_round(
    quiet_db: Path, receiver: Receiver
):
    receiver.script = [Answer(status=500, body=b"internal_error"), Answer()]
    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    (episode,) = _episodes()
    assert episode["status"] == "sent"
    assert episode["attempts"] == 2
    assert len(receiver.requests) == 2


def test_a_receiver_failing_through_the_round_is_pending_then_sent_on_the_next_import(
    quiet_db: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("INSTALLPULSE_ALERT_RETRIES", "0")
    receiver.script = [Answer(status=503, body=b"busy"), Answer()]
    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    (episode,) = _episodes()
    assert episode["status"] == "pending"
    host = f"127.0.0.1:{receiver.server_port}"
    assert episode["last_error"] == f"{host} answered HTTP 503 (busy) (after 1 attempts)"
    # the next import (of another app: nothing new fires) delivers what is pending
    contract.ingest_file(write_csv(quiet_db / "other.csv", [(40, 5)], app="Other"))
    (episode,) = _episodes()
    assert episode["status"] == "sent"
    assert len(receiver.requests) == 2


def test_retry_after_is_honoured(quiet_db: Path, receiver: Receiver):
    # 429 asking for 1 s (within INSTALLPULSE_ALERT_MAX_RETRY_AFTER = 2): waited, then sent.
    receiver.script = [Answer(status=429, headers={"Retry-After": "1"}), Answer()]
    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    (episode,) = _episodes()
    assert (episode["status"], episode["attempts"]) == ("sent", 2)


def test_a_long_retry_after_is_not_waited_for_nor_broken_by_retry(
    quiet_db: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
):
    receiver.script = [Answer(status=429, headers={"Retry-After": "3600"}), Answer()]
    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    (episode,) = _episodes()
    assert episode["status"] == "pending"
    assert episode["next_attempt_at"] is not None
    assert "it asks to wait 3600 s" in episode["last_error"]
    assert main(["alerts", "retry"]) == 0  # nothing due: nothing sent, nothing failed
    assert "0 message(s) sent, 0 still pending, 0 failed." in capsys.readouterr().out
    assert len(receiver.requests) == 1


def test_a_refusing_receiver_fails_without_retries(quiet_db: Path, receiver: Receiver):
    receiver.script = [Answer(status=404, body=b"no_service")]
    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    (episode,) = _episodes()
    assert episode["status"] == "failed"
    assert episode["last_error"].endswith("answered HTTP 404 (no_service)")
    assert len(receiver.requests) == 1


def test_no_duplicates_on_reimport_and_restatement(quiet_db: Path, receiver: Receiver):
    _rule(receiver)
    spike = write_csv(quiet_db / "spike.csv", [(40, 400)])
    contract.ingest_file(spike)
    assert len(receiver.requests) == 1
    # the same file again: "already imported", nothing evaluated, nothing sent
    assert contract.ingest_file(spike).status == "already imported"
    # other bytes, same rows (a re-download with a trailing blank line): a restatement
    again = quiet_db / "spike-again.csv"
    again.write_text(spike.read_text() + "\n", encoding="utf-8")
    assert contract.ingest_file(again).rows_replaced == 1
    # a restated file with another spike value on that day: the same episode
    restated = contract.ingest_file(write_csv(quiet_db / "restated.csv", [(39, 100), (40, 450)]))
    assert restated.rows_replaced == 2
    assert len(receiver.requests) == 1
    (episode,) = _episodes()
    assert episode["status"] == "sent"
    assert episode["withdrawn_at"] is None


def test_a_restatement_that_removes_the_spike_is_recorded_not_unsent(
    quiet_db: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
):
    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    calm = contract.ingest_file(write_csv(quiet_db / "calm.csv", [(40, 98)]))
    (episode,) = _episodes()
    assert episode["status"] == "sent"
    assert episode["withdrawn_by"] == calm.import_id
    assert len(receiver.requests) == 1
    assert main(["alerts", "list"]) == 0
    assert f"spike removed by the restatement in import #{calm.import_id}" in (
        capsys.readouterr().out
    )


def test_a_three_day_spike_sends_one_message_day_by_day(quiet_db: Path, receiver: Receiver):
    _rule(receiver)
    for n, value in ((40, 400), (41, 420), (42, 410)):
        contract.ingest_file(write_csv(quiet_db / f"day{n}.csv", [(n, value)]))
    assert len(receiver.requests) == 1
    (episode,) = _episodes()
    assert (str(episode["start_date"]), str(episode["end_date"]), episode["n_days"]) == (
        "2026-02-10",
        "2026-02-12",
        3,
    )


def test_a_three_day_spike_in_one_file_sends_one_message(quiet_db: Path, receiver: Receiver):
    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400), (41, 420), (42, 410)]))
    assert len(receiver.requests) == 1
    (episode,) = _episodes()
    # the peak is the day with the largest score: 420 on day 41
    assert str(episode["peak_date"]) == "2026-02-11"
    assert episode["n_days"] == 3
    assert "1 day" not in receiver.requests[0]["json"]["blocks"][1]["text"]["text"]


def test_a_change_rule_fires_on_the_change_vs_its_baseline(quiet_db: Path, receiver: Receiver):
    # +100% vs the previous day: 150 after 100 is +50% (no), 200 after 100 is +100% (yes).
    _rule(receiver, score=None, change="100%", direction=None, baseline="previous-day")
    contract.ingest_file(write_csv(quiet_db / "half.csv", [(40, 150)]))
    assert receiver.requests == []
    contract.ingest_file(write_csv(quiet_db / "double.csv", [(41, 300)]))
    (sent,) = receiver.bodies()
    assert sent["text"].startswith(
        "Acme (US, iOS) uninstalls +100% vs the previous day (300 vs 150, 2.00x) on Wed 11 Feb"
    )


def test_rules_watch_only_imports_after_them(quiet_db: Path, receiver: Receiver):
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    _rule(receiver)
    contract.ingest_file(write_csv(quiet_db / "other.csv", [(40, 5)], app="Other"))
    assert receiver.requests == []


def test_the_webhook_is_never_printed_whole(
    quiet_db: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str], monkeypatch
):
    assert (
        main(
            [
                "alerts",
                "add",
                "--app",
                APP,
                "--metric",
                "uninstalls",
                "--country",
                "US",
                "--score",
                "3.5",
                "--webhook",
                receiver.url,
            ]
        )
        == 0
    )
    # a receiver that is gone: the error names the host, never the path
    receiver.stopping.set()
    receiver.shutdown()
    receiver.server_close()
    monkeypatch.setenv("INSTALLPULSE_ALERT_RETRIES", "0")
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    (episode,) = _episodes()
    assert episode["status"] == "pending"
    assert main(["alerts", "list"]) == 0
    assert main(["alerts", "list", "--format", "json"]) == 0
    assert main(["alerts", "test", "1"]) == 1
    assert main(["alerts", "retry"]) == 1
    out = capsys.readouterr()
    assert "SECRET" not in out.out + out.err
    assert f"127.0.0.1:{receiver.server_port}" in out.out
    assert "could not connect to 127.0.0.1" in out.err
    assert "SECRET" not in str(episode["last_error"])


def test_a_loopback_webhook_is_refused_unless_allowed(
    quiet_db: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
):
    _rule(receiver)
    monkeypatch.delenv("INSTALLPULSE_FETCH_ALLOW_HOSTS")
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    (episode,) = _episodes()
    assert episode["status"] == "failed"
    assert episode["last_error"].startswith(f"127.0.0.1:{receiver.server_port}: refused:")
    assert receiver.requests == []


def test_cli_add_test_list_remove(
    quiet_db: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
):
    args = ["alerts", "add", "--app", APP, "--metric", "uninstalls", "--country", "US"]
    how = ["--change", "100%", "--baseline", "previous-day", "--webhook", receiver.url]
    assert main([*args, *how]) == 0
    out = capsys.readouterr().out
    assert out == (
        f"Alert rule #1: Acme uninstalls (US, all platforms), change >= +100% vs the previous "
        f"day (up); messages to 127.0.0.1:{receiver.server_port}. Evaluated after every import "
        "from now on.\n"
    )
    assert main(["alerts", "test", "1"]) == 0
    (body,) = receiver.bodies()
    assert body["text"] == (
        "installpulse test message for alert rule #1: Acme uninstalls (US, all platforms), "
        "change >= +100% vs the previous day (up)."
    )
    assert main(["alerts", "list"]) == 0
    assert "#1  Acme uninstalls (US, all platforms)" in capsys.readouterr().out
    assert main(["alerts", "remove", "1"]) == 0
    assert alerts.list_rules(None) == []
    assert main(["alerts", "remove", "1"]) == 1
    assert "There is no alert rule #1" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--app", "Nope", "--score", "3.5"], "Unknown app 'Nope'"),
        (["--app", APP, "--change", "lots"], "is not a percentage"),
        (["--app", APP, "--change=-150%"], "A fall cannot exceed 100%"),
        (["--app", APP, "--score", "3.5", "--baseline", "mean:x"], "Unknown baseline method"),
    ],
)
def test_cli_add_refuses_bad_rules_with_a_sentence(
    quiet_db: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str], extra, message
):
    args = ["alerts", "add", "--metric", "uninstalls", "--webhook", receiver.url, *extra]
    assert main(args) == 1
    assert message in capsys.readouterr().err
    assert alerts.list_rules(None) == []


def test_cli_add_needs_a_webhook_url(quiet_db: Path, capsys: pytest.CaptureFixture[str]):
    args = ["alerts", "add", "--app", APP, "--metric", "uninstalls", "--score", "3.5"]
    assert main([*args, "--webhook", "hooks.slack.com/services/x"]) == 1
    assert "must be an http or https URL" in capsys.readouterr().err


def test_the_database_is_migrated_with_the_alert_tables(quiet_db: Path):
    with store.connect(None) as con:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
    assert {"alert_rules", "alert_episodes", "alert_checked"} <= tables


def test_history_rows_are_the_documented_cycle():
    assert history_rows()[:5] == [(0, 98), (1, 100), (2, 102), (3, 100), (4, 98)]


def test_without_rules_an_import_writes_nothing_for_alerts(quiet_db: Path):
    contract.ingest_file(write_csv(quiet_db / "spike.csv", [(40, 400)]))
    with store.connect(None) as con:
        counts = con.execute(
            "select (select count(*) from alert_checked), (select count(*) from alert_episodes)"
        ).fetchall()
    assert counts == [(0, 0)]
