"""The Appfigures connector against a local stand-in for the Appfigures API v2
(tests/connectors/fake_appfigures.py), through the real sync engine and import contract.

The reference is the same answers saved by hand (the URL fetched with urllib and the body
written to a file, as `curl -o` would) and imported with `contract.ingest_file`: the data tables
must be equal, table by table. Faults: a wrong token (401), the daily quota (its own answer 420,
and the X-Request-Usage / X-Request-Limit headers read before it), 429 with Retry-After, 5xx -
each leaves the database as it was or with whole files imported, with a sentence saying what to
do; the token reaches neither the database, the archive, a message nor the printed lines.
"""

from __future__ import annotations

import logging
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from pipelines import settings, store, sync
from pipelines.connectors import base, connections
from pipelines.connectors.appfigures import _months
from pipelines.connectors.base import SecretRef
from tests.connectors.fake_appfigures import (  # noqa: F401 (the fixture registers by import)
    TOKEN,
    FakeAppfigures,
    fake_appfigures_fixture,
)
from tests.connectors.test_play import by_hand, data_state
from tests.faults.fault_helpers import cli

IOS, ANDROID = "40123456", "50234567"
UNTIL = date(2026, 3, 2)
DAYS = ["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]
# The answers the sync must ask for, in order: per app, per calendar month.
ASKED = [
    (IOS, "2026-02-27", "2026-02-28"),
    (IOS, "2026-03-01", "2026-03-02"),
    (ANDROID, "2026-02-27", "2026-02-28"),
    (ANDROID, "2026-03-01", "2026-03-02"),
]


@pytest.fixture
def account(fake_appfigures: FakeAppfigures) -> FakeAppfigures:
    fake = fake_appfigures
    fake.add_product(IOS, "Example Chat", "apple", "6448311069")
    fake.add_product(ANDROID, "Example Chat", "google_play", "com.example.chat")
    for i, day in enumerate(DAYS):
        for country, share in (("US", 3), ("DE", 1)):
            fake.add_day(
                day, IOS, country,
                downloads=500 * share + i, re_downloads=90 * share, updates=1000 * share,
                net_downloads=500 * share + i, returns=0, revenue=f"{12.5 * share + i:.2f}",
            )  # fmt: skip
            fake.add_day(
                day, ANDROID, country,
                downloads=700 * share + i, re_downloads=0, updates=1500 * share,
                uninstalls=200 * share + i, net_downloads=700 * share + i, returns=0,
                revenue="0.00",
            )  # fmt: skip
    return fake


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "synced" / "installpulse.duckdb"


def add(db: Path, apps: list[str] | None = None) -> None:
    connections.add(
        "af",
        "appfigures",
        {"start": DAYS[0]},
        SecretRef.env("APPFIGURES_TOKEN"),
        apps or [IOS, "com.example.chat"],  # a product id, and a store identifier
        db,
    )


def run(db: Path, said: list[str] | None = None, until: date = UNTIL) -> sync.Outcome:
    outcome = sync.sync_connection(
        connections.get("af", db), db, say=(said if said is not None else []).append, until=until
    )
    store.release_all()
    return outcome


def saved_by_hand(server: FakeAppfigures, asked: list[tuple[str, str, str]]):
    """The answers fetched with urllib and saved under the connector's file names."""
    files = []
    for product, start, end in asked:
        url = (
            f"{server.base}/v2/reports/sales?group_by=dates,products,countries"
            f"&start_date={start}&end_date={end}&granularity=daily&format=json"
            f"&products={product}"
        )
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(request) as answer:
            files.append((f"appfigures_sales_{product}_{start}_{end}.json", answer.read()))
    return files


def sales_asked(server: FakeAppfigures) -> list[tuple[str, str, str]]:
    return [
        (q["products"][0], q["start_date"][0], q["end_date"][0])  # type: ignore[index]
        for q in (r["query"] for r in server.sales_requests())
    ]


def test_sync_equals_importing_the_answers_by_hand(
    account: FakeAppfigures, db: Path, tmp_path: Path
) -> None:
    add(db)
    said: list[str] = []
    outcome = run(db, said)
    assert outcome.result == "ok", outcome.message
    assert outcome.imported == 4
    assert sales_asked(account) == ASKED
    assert all(r["authorized"] for r in account.requests)
    assert data_state(db) == by_hand(tmp_path, saved_by_hand(account, ASKED))
    with store.connect(db) as con:
        platforms = con.execute("select distinct identifier, platform from series").fetchall()
    store.release_all()
    # The platform is the product's store, as the answer states it.
    assert sorted(platforms) == [(IOS, "ios"), (ANDROID, "android")]


def test_second_sync_changes_nothing_and_asks_nothing(account: FakeAppfigures, db: Path) -> None:
    add(db)
    assert run(db).result == "ok"
    before = data_state(db)
    account.requests.clear()
    outcome = run(db)
    assert outcome.result == "ok" and outcome.imported == 0
    assert data_state(db) == before
    assert account.sales_requests() == []  # every app is held to the last day


def test_the_next_day_is_asked_from_the_day_after_the_last_held(
    account: FakeAppfigures, db: Path
) -> None:
    add(db)
    assert run(db).result == "ok"
    account.add_day("2026-03-03", IOS, "US", downloads=1, re_downloads=0, updates=0,
                    net_downloads=1, returns=0, revenue="0.00")  # fmt: skip
    account.requests.clear()
    outcome = run(db, until=date(2026, 3, 3))
    assert outcome.result == "ok", outcome.message
    assert sales_asked(account) == [
        (IOS, "2026-03-03", "2026-03-03"),
        (ANDROID, "2026-03-03", "2026-03-03"),
    ]
    assert outcome.imported == 1  # the Android answer had no days: no file


def test_connect_test_lists_the_products(account: FakeAppfigures) -> None:
    connector = base.connector_for("appfigures", {}, SecretRef.env("APPFIGURES_TOKEN"))
    assert connector.test() == (
        "Token accepted; 2 product(s) in the account: Example Chat (id 40123456, apple, "
        "6448311069); Example Chat (id 50234567, google_play, com.example.chat). "
        "API quota: 1 of 1,000 requests used today."
    )


def test_months() -> None:
    assert list(_months(date(2026, 1, 30), date(2026, 3, 2))) == [
        (date(2026, 1, 30), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 2)),
    ]


# -- faults -----------------------------------------------------------------------------


def test_a_wrong_token_is_401_with_where_to_make_one(
    account: FakeAppfigures, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPFIGURES_TOKEN", "pat_revoked_0000")
    add(db)
    before = data_state(db)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "Appfigures refused the personal access token in the environment variable " \
        "APPFIGURES_TOKEN (401" in outcome.message  # fmt: skip
    assert "'Create Personal Access Token'" in outcome.message
    assert "products:read and private:read" in outcome.message
    assert data_state(db) == before


def test_an_unknown_app_is_named_after_the_others_are_in(
    account: FakeAppfigures, db: Path, tmp_path: Path
) -> None:
    add(db, [IOS, "com.example.unknown"])
    outcome = run(db)
    assert outcome.result == "failed"
    assert "Appfigures has no product com.example.unknown" in outcome.message
    assert "connect test" in outcome.message
    assert data_state(db) == by_hand(tmp_path, saved_by_hand(account, ASKED[:2]))


def test_the_quota_read_from_the_headers_stops_before_a_420(
    account: FakeAppfigures, db: Path, tmp_path: Path
) -> None:
    account.limit = 3  # the product list and two answers
    add(db)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "quota is used up until 00:00 UTC (3 of 3 requests today)" in outcome.message
    assert "sync again after that" in outcome.message
    assert len(account.sales_requests()) == 2  # no request was spent on a 420
    account.limit = 1000
    assert data_state(db) == by_hand(tmp_path, saved_by_hand(account, ASKED[:2]))


def test_420_is_quota_used_up_until_midnight_utc(account: FakeAppfigures, db: Path) -> None:
    account.usage = 1000  # spent by another tool on the same account
    add(db)
    before = data_state(db)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "Appfigures' API quota is used up until 00:00 UTC (1,001 of 1,000" in outcome.message
    assert data_state(db) == before


def test_429_with_retry_after_is_waited_for(
    account: FakeAppfigures, db: Path, tmp_path: Path
) -> None:
    add(db)
    account.fail(429, {"Retry-After": "1"})
    outcome = run(db)
    assert outcome.result == "ok", outcome.message
    assert data_state(db) == by_hand(tmp_path, saved_by_hand(account, ASKED))


def test_a_server_error_keeps_whole_files(
    account: FakeAppfigures, db: Path, tmp_path: Path
) -> None:
    add(db)
    account.fail(500, after=2)  # the product list and the first answer go through
    outcome = run(db)
    assert outcome.result == "failed"
    assert "answered 500" in outcome.message and "try again later" in outcome.message
    assert data_state(db) == by_hand(tmp_path, saved_by_hand(account, ASKED[:1]))


def test_no_token_in_the_database_the_archive_the_messages_or_the_output(
    account: FakeAppfigures, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every library's log lines (urllib3 logs each request)
    add(db)
    said: list[str] = []
    assert run(db, said).result == "ok"
    account.add_day("2026-03-03", IOS, "US", downloads=1, re_downloads=0, updates=0,
                    net_downloads=1, returns=0, revenue="0.00")  # fmt: skip
    account.fail(500)
    failed = run(db, said, until=date(2026, 3, 3))
    assert failed.result == "failed"
    text = "\n".join(said) + failed.message + caplog.text
    assert "GET /v2/reports/sales" in caplog.text  # the log was captured
    with store.connect(db) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        for table in tables:
            rows = con.execute(f'select * from "{table}"').fetchall()  # noqa: S608 (catalogue)
            text += "\n" + repr(rows)
    store.release_all()
    assert TOKEN not in text
    blobs = [db.read_bytes()]
    blobs += [p.read_bytes() for p in settings.archive_dir(db).rglob("*") if p.is_file()]
    assert all(TOKEN.encode() not in blob for blob in blobs)
    assert "env:APPFIGURES_TOKEN" in text  # the reference is what is stored


def test_connect_add_test_and_sync_on_the_command_line(account: FakeAppfigures, db: Path) -> None:
    env = {
        "INSTALLPULSE_FETCH_ALLOW_HOSTS": "127.0.0.1",
        "INSTALLPULSE_APPFIGURES_API": account.base,
        "APPFIGURES_TOKEN": TOKEN,
    }
    store.release_all()
    added = cli("connect", "add", "appfigures", "af", "--secret-env", "APPFIGURES_TOKEN",
                "--app", f"{IOS},com.example.chat", "--start", DAYS[0], "--db", str(db),
                **env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    tested = cli("connect", "test", "af", "--db", str(db), **env)
    assert tested.returncode == 0, tested.stderr
    assert "Token accepted; 2 product(s) in the account" in tested.stdout, tested.stdout
    synced = cli("sync", "af", "--db", str(db), "--since", DAYS[0], **env)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    # A progress line per file: until yesterday, so March is asked to its end; the later
    # months have no days and make no file.
    for product in (IOS, ANDROID):
        for start, end in (("2026-02-27", "2026-02-28"), ("2026-03-01", "2026-03-31")):
            name = f"appfigures_sales_{product}_{start}_{end}.json"
            assert f"{name}: imported as #" in synced.stdout, synced.stdout
    assert "4 file(s) imported" in synced.stdout
    assert TOKEN not in synced.stdout + synced.stderr + tested.stdout + added.stdout
