"""The Sensor Tower connector against a local stand-in (tests/connectors/fake_sensortower.py),
through the real sync engine and the import contract, with real `requests` calls.

The reference is the same files imported by hand into another database (every data table
equal, tests/faults/fault_helpers.state) and, for the facts, the raw answers saved as a person
would save them with curl; the numbers of one day are also worked out by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from pipelines import contract, sql, store, sync
from pipelines.connectors import connections
from pipelines.connectors.base import SecretRef
from pipelines.connectors.sensortower import BATCH, dump_exact
from tests.connectors.fake_sensortower import TOKEN, FakeSensorTower, ios_records
from tests.faults.fault_helpers import cli, contents, state

APPS = [6448311069, 1000000042]
START = date(2026, 3, 1)
UNTIL = date(2026, 3, 10)
DATA_TABLES = ("apps", "identifiers", "series", "observations", "replaced_observations",
               "imports", "metrics")  # fmt: skip


def data_state(db: Path) -> dict[str, tuple[int, int]]:
    return {t: v for t, v in state(db).items() if t in DATA_TABLES}


def add(db: Path, apps=APPS, env: str = "SENSORTOWER_TOKEN", name: str = "st"):
    connection, _ = connections.add(
        name,
        "sensortower",
        {"os": "ios", "countries": "US,DE", "start": START.isoformat()},
        SecretRef.env(env),
        [str(a) for a in apps],
        db,
    )
    return connection


def run(connection, db: Path, since: date | None = None, until: date = UNTIL):
    lines: list[str] = []
    outcome = sync.sync_connection(connection, db, since, lines.append, until=until)
    store.release_all()
    return outcome, lines


@pytest.fixture
def st(fake_sensortower: FakeSensorTower, db: Path):
    for app in APPS:
        fake_sensortower.records["ios"] += ios_records(app, ["US", "DE"], START, 10)
    return add(db)


def value(db: Path, app: str, country: str, day: date, metric: str):
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select o.value from observations o join series s using (series_id) "
            "where s.identifier = $a and s.country = $c and o.date = $d and s.metric = $m",
            a=app,
            c=country,
            d=day,
            m=metric,
        )
    store.release_all()
    return rows[0][0] if rows else None


def archived(db: Path) -> list[tuple[str, Path]]:
    with store.connect(db) as con:
        rows = sql.run_text(
            con, "select file_name, archive_path from imports where status = 'ok' order by 1"
        )
    store.release_all()
    return [(name, Path(path)) for name, path in rows]


def test_sync_equals_the_same_files_imported_by_hand(st, fake_sensortower, db, tmp_path):
    outcome, lines = run(st, db)
    # 10 days = windows of 7 + 3 days; one file per app and window
    assert (outcome.result, outcome.imported) == ("ok", 4), lines
    # the files it imported (their archived bytes), imported by hand into another database
    hand = tmp_path / "hand.duckdb"
    with store.connect(db) as con:
        order = sql.run_text(con, "select file_name, archive_path from imports order by import_id")
    store.release_all()
    for name, path in order:
        contract.ingest_file(Path(path), hand, name=name)
    store.release_all()
    assert data_state(db) == data_state(hand)
    # the raw answers as a person saves them (both apps in one file) say the same
    raw = tmp_path / "raw.duckdb"
    for start, end in (("2026-03-01", "2026-03-07"), ("2026-03-08", "2026-03-10")):
        answer = requests.get(
            f"{fake_sensortower.url}/v1/ios/sales_report_estimates",
            params={"app_ids": ",".join(map(str, APPS)), "countries": "US,DE",
                    "date_granularity": "daily", "start_date": start, "end_date": end,
                    "auth_token": TOKEN},
            timeout=5,
        )  # fmt: skip
        path = tmp_path / f"ios_{start}.json"
        path.write_bytes(answer.content)
        contract.ingest_file(path, raw)
    store.release_all()
    assert contents(db)["observations"] == contents(raw)["observations"]
    # by hand: iu 100 + 1, au 7 -> 108 downloads; (ir 1235 + ar 5) cents -> 12.40 USD
    assert value(db, "6448311069", "US", START, "downloads") == 108
    assert value(db, "6448311069", "DE", START, "downloads") == 118
    assert Decimal(str(value(db, "6448311069", "US", START, "revenue_usd"))) == Decimal("12.4")
    with store.connect(db) as con:
        held = sql.run_text(con, "select app, last_day from sync_state order by 1")
    assert held == [("1000000042", UNTIL), ("6448311069", UNTIL)]
    assert next(line for line in lines if "imported as #" in line).startswith(
        "  sensortower_ios_6448311069_2026-03-01_2026-03-07.json: imported as #1"
    )


def test_requests_batch_app_ids_and_ask_for_daily_estimates(fake_sensortower, db):
    apps = list(range(1000, 1000 + BATCH + 5))
    fake_sensortower.records["ios"] += ios_records(apps[-1], ["US"], START, 2)
    connection = add(db, apps)
    outcome, _ = run(connection, db, until=date(2026, 3, 2))
    assert (outcome.result, outcome.imported) == ("ok", 1)
    asked = [entry["app_ids"].split(",") for entry in fake_sensortower.log]
    assert [len(a) for a in asked] == [BATCH, 5]
    assert all(e["date_granularity"] == "daily" and e["countries"] == "US,DE"
               for e in fake_sensortower.log)  # fmt: skip


def test_second_sync_changes_nothing_and_the_next_starts_after_the_last_day(
    st, fake_sensortower, db
):
    run(st, db)
    before = {t: v for t, v in state(db).items() if t != "sync_runs"}
    fake_sensortower.log.clear()
    outcome, lines = run(st, db)
    assert (outcome.result, outcome.imported) == ("ok", 0)
    assert fake_sensortower.log == []  # both apps are held to UNTIL: nothing to ask
    assert any("up to date" in line for line in lines)
    assert {t: v for t, v in state(db).items() if t != "sync_runs"} == before
    for app in APPS:
        fake_sensortower.records["ios"] += ios_records(app, ["US"], date(2026, 3, 11), 2)
    outcome, _ = run(st, db, until=date(2026, 3, 12))
    assert (outcome.result, outcome.imported) == ("ok", 2)
    assert {e["start_date"] for e in fake_sensortower.log} == {"2026-03-11"}


def test_an_empty_answer_imports_nothing_and_keeps_the_state(fake_sensortower, db):
    connection = add(db)
    outcome, lines = run(connection, db, until=date(2026, 3, 3))
    assert (outcome.result, outcome.imported) == ("ok", 0)
    assert any("no ios estimates for 2026-03-01 to 2026-03-03" in line for line in lines)
    assert state(db)["sync_state"][0] == 0


def test_a_wrong_token_is_a_sentence_without_the_token(st, fake_sensortower, db, monkeypatch):
    monkeypatch.setenv("SENSORTOWER_TOKEN", "st_live_wrong_0000000000000000000000")
    before = data_state(db)
    outcome, _ = run(st, db)
    assert outcome.result == "failed"
    assert outcome.message == (
        "Sensor Tower refused the token (401 Unauthorized); check the token in the environment "
        "variable SENSORTOWER_TOKEN (Sensor Tower > Account Settings > API Token) and run the "
        "sync again."
    )
    assert data_state(db) == before


def test_an_unset_variable_is_a_sentence(st, db, monkeypatch):
    monkeypatch.delenv("SENSORTOWER_TOKEN")
    outcome, _ = run(st, db)
    assert outcome.result == "failed"
    assert outcome.message.startswith("The environment variable SENSORTOWER_TOKEN is not set")


def test_429_with_retry_after_is_honoured(st, fake_sensortower, db):
    fake_sensortower.fail(429, **{"Retry-After": "1"})
    outcome, lines = run(st, db)
    assert (outcome.result, outcome.imported) == ("ok", 4)
    assert any("answered 429" in line and "waiting 1 s" in line for line in lines)


def test_429_that_asks_for_too_long_a_wait_stops_with_whole_files(st, fake_sensortower, db):
    run(st, db, until=date(2026, 3, 7))  # the first window of both apps
    before = data_state(db)
    fake_sensortower.fail(429, **{"Retry-After": "3600"})
    outcome, _ = run(st, db)
    assert outcome.result == "failed"
    assert "asks to wait 3600 s" in outcome.message and "sync again later" in outcome.message
    assert data_state(db) == before


@pytest.mark.parametrize(
    ("status", "words"),
    [(500, "answered 500"), (403, "403 Forbidden"), (502, "gave up after 3 attempts")],
)
def test_server_errors_are_sentences(st, fake_sensortower, db, status, words):
    fake_sensortower.fail(status, times=3)
    before = data_state(db)
    outcome, _ = run(st, db)
    assert outcome.result == "failed" and words in outcome.message
    assert data_state(db) == before


def test_numbers_are_written_exactly():
    assert dump_exact([{"a": Decimal("0.10"), "b": 12, "c": None, "d": "é"}]) == (
        '[{"a": 0.10, "b": 12, "c": null, "d": "é"}]'
    )


def test_the_cli_adds_syncs_lists_tests_and_removes(fake_sensortower, db, tmp_path):
    for app in APPS:
        fake_sensortower.records["ios"] += ios_records(app, ["US", "DE"], START, 10)
    base = ("--db", str(db))
    added = cli(*base, "connect", "add", "sensortower", "st", "--secret-env", "SENSORTOWER_TOKEN",
                "--app", f"{APPS[0]},{APPS[1]}", "--countries", "US,DE",
                "--start", "2026-11-25")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "its secret is read from the environment variable SENSORTOWER_TOKEN" in added.stdout
    for app in APPS:
        fake_sensortower.records["ios"] += ios_records(app, ["US"], date(2026, 11, 25), 3)
    done = cli(*base, "sync", "--all")
    assert done.returncode == 0, done.stderr
    assert "st (sensortower): syncing to" in done.stdout
    assert done.stdout.count(": imported as #") == 2
    assert "st: Synced: 2 file(s) imported, 0 unchanged." in done.stdout
    again = cli(*base, "sync", "st")
    assert again.returncode == 0 and "0 file(s) imported" in again.stdout
    listed = cli(*base, "connect", "list", "--format", "json")
    assert '"result": "ok"' in listed.stdout and "environment variable" in listed.stdout
    tested = cli(*base, "connect", "test", "st")
    assert tested.returncode == 0 and "Sensor Tower accepted the token" in tested.stdout
    bad = cli(*base, "sync", "st", SENSORTOWER_TOKEN="st_live_wrong_000000000000000000000")
    assert bad.returncode == 1 and "refused the token" in bad.stderr
    assert "st_live_wrong" not in bad.stdout + bad.stderr
    unknown = cli(*base, "sync", "nope")
    assert unknown.returncode == 1 and "No connection named 'nope'" in unknown.stderr
    removed = cli(*base, "connect", "remove", "st")
    assert removed.returncode == 0 and "The data it imported stays" in removed.stdout
    exported = cli(*base, "imports", "--format", "json")
    assert exported.returncode == 0 and "sensortower_ios_" in exported.stdout
    for output in (added, done, again, listed, tested, removed, exported):
        assert TOKEN not in output.stdout + output.stderr
    store.release_all()
    blobs = [db.read_bytes()] + [p.read_bytes() for p in (db.parent / "archive").rglob("*")
                                 if p.is_file()]  # fmt: skip
    assert not any(TOKEN.encode() in blob for blob in blobs)
