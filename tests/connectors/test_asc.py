"""The App Store Connect connector against a local stand-in for the Analytics Reports API and
Apple's pre-signed links (tests/connectors/fake_asc.py), through the real sync engine and the
import contract: real `requests` calls, real ES256 tokens verified with the public key.

The reference for every sync is the same files imported by hand (`contract.ingest_file`, what
`installpulse ingest FILE` does) into another database: every data table must be equal (row
count and an order-independent checksum over every column but timestamps,
tests/faults/fault_helpers.state). Expected values of one day are also worked out by hand
(fake_asc.expected).
"""

from __future__ import annotations

import gzip
import time
from datetime import date
from pathlib import Path

import jwt
import pytest
import requests

from pipelines import contract, sql, store, sync
from pipelines.connectors import base, connections
from pipelines.connectors.asc import FIRST_REPORTS, AppStoreConnect
from pipelines.connectors.base import ConnectorError, SecretRef
from tests.connectors.fake_asc import (
    DOWNLOADS,
    ISSUER,
    KEY_ID,
    FakeASC,
    day_rows,
    expected,
    make_key_pair,
    segment_files,
    write_key,
)
from tests.faults.fault_helpers import cli, contents, killed_at, state

APP = "1000000001"
NAME = "Example Chat"
DAYS = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
UNTIL = date(2026, 3, 31)
DATA_TABLES = (
    "apps",
    "identifiers",
    "series",
    "observations",
    "replaced_observations",
    "imports",
    "metrics",
)


def data_state(db: Path) -> dict[str, tuple[int, int]]:
    return {t: v for t, v in state(db).items() if t in DATA_TABLES}


def add_connection(db: Path, key: Path, reports: str = "installs", name: str = "apple"):
    connection, _ = connections.add(
        name,
        "asc",
        {"issuer_id": ISSUER, "key_id": KEY_ID, "reports": reports},
        SecretRef.file(key),
        [APP],
        db,
    )
    return connection


@pytest.fixture
def key_file(tmp_path: Path, asc_keys) -> Path:
    return write_key(tmp_path, asc_keys[0])


@pytest.fixture
def apple(fake_asc: FakeASC, key_file: Path, db: Path):
    fake_asc.add_days(APP, NAME, DAYS, parts=2)
    return add_connection(db, key_file)


def run(connection, db: Path, since: date | None = None) -> tuple[sync.Outcome, list[str]]:
    lines: list[str] = []
    outcome = sync.sync_connection(connection, db, since, lines.append, until=UNTIL)
    store.release_all()
    return outcome, lines


def hand_import(db: Path, fake: FakeASC, tmp: Path, separately: bool = False) -> None:
    """What a person does with the same downloads: each day's segments, concatenated (`cat`,
    as the README says) under the connector's file name, or imported one by one."""
    tmp.mkdir(exist_ok=True)
    for iid, inst in sorted(fake.instances.items(), key=lambda kv: kv[1]["day"]):
        day = inst["day"]
        parts = [fake.segments[s].data for s in sorted(inst["segments"])]
        name = f"app-store-installation-and-deletion-standard_{APP}_{day}.txt.gz"
        if separately:
            for index, data in enumerate(parts):
                path = tmp / f"{iid}-{index}.txt.gz"
                path.write_bytes(data)
                contract.ingest_file(path, db)
        else:
            path = tmp / name
            path.write_bytes(b"".join(parts))
            contract.ingest_file(path, db, name=name)
    store.release_all()


def value(db: Path, country: str, day: date, metric: str) -> float | None:
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select value from daily_metrics where country = $c and date = $d and metric = $m",
            c=country,
            d=day,
            m=metric,
        )
    store.release_all()
    return rows[0][0] if rows else None


def test_sync_equals_the_same_files_imported_by_hand(apple, fake_asc, db, tmp_path):
    outcome, lines = run(apple, db)
    assert (outcome.result, outcome.imported, outcome.unchanged) == ("ok", 3, 0), lines
    hand = tmp_path / "hand.duckdb"
    hand_import(hand, fake_asc, tmp_path / "files")
    assert data_state(db) == data_state(hand)
    # ... and the same facts as importing each segment as its own file
    separately = tmp_path / "separately.duckdb"
    hand_import(separately, fake_asc, tmp_path / "segments", separately=True)
    assert contents(db)["observations"] == contents(separately)["observations"]
    # worked out by hand from the rows the fake serves
    for day in DAYS:
        for country in ("US", "DE"):
            for metric, number in expected(day, country).items():
                assert value(db, country, day, metric) == number, (day, country, metric)
    # one progress line per file, and the state per app
    assert sum("imported as #" in line for line in lines) == 3
    with store.connect(db) as con:
        held = sql.run_text(con, "select app, last_day from sync_state")
    assert held == [(APP, DAYS[-1])]


def test_second_sync_changes_nothing_and_downloads_nothing(apple, fake_asc, db):
    run(apple, db)
    before = state(db)
    downloads = sum(path.startswith("/s3/") for _, path, _ in fake_asc.log)
    outcome, lines = run(apple, db)
    assert (outcome.result, outcome.imported) == ("ok", 0), lines
    after = state(db)
    assert {t: v for t, v in after.items() if t != "sync_runs"} == {
        t: v for t, v in before.items() if t != "sync_runs"
    }
    assert sum(path.startswith("/s3/") for _, path, _ in fake_asc.log) == downloads


def test_incremental_sync_fetches_only_the_new_day(apple, fake_asc, db):
    run(apple, db)
    request_id = next(iter(fake_asc.requests))
    report_id = next(iter(fake_asc.reports))
    assert fake_asc.reports[report_id]["request"] == request_id
    new_day = date(2026, 3, 4)
    fake_asc.add_instance(report_id, new_day, segment_files(day_rows(APP, NAME, new_day), 3))
    fake_asc.log.clear()
    outcome, _ = run(apple, db)
    assert (outcome.result, outcome.imported) == ("ok", 1)
    assert sum(path.startswith("/s3/") for _, path, _ in fake_asc.log) == 3
    assert value(db, "US", new_day, "installs") == expected(new_day, "US")["installs"]


def test_token_is_es256_with_kid_and_reused(apple, fake_asc, db, asc_keys):
    run(apple, db)
    assert fake_asc.refusals == []
    assert len(set(fake_asc.tokens)) == 1  # one token for the whole sync (reused under 19 min)
    token = fake_asc.tokens[0]
    head = jwt.get_unverified_header(token)
    assert head["alg"] == "ES256" and head["kid"] == KEY_ID and head["typ"] == "JWT"
    claims = jwt.decode(token, asc_keys[1], algorithms=["ES256"], audience="appstoreconnect-v1")
    assert claims["iss"] == ISSUER and claims["exp"] - claims["iat"] == 20 * 60
    # a connector whose token is 19 minutes old makes a new one
    connector = apple.connector()
    first = connector.token()
    connector._token = (first, time.time() - 19 * 60 - 1)
    assert connector.token() != first or time.time() - 19 * 60 - 1 < 0


def test_the_fake_refuses_what_apple_refuses(fake_asc, asc_keys):
    """The stand-in's checks themselves: a 60-minute token, another key, a wrong kid or
    audience, HS256 - each 401; a pre-signed link with an Authorization header - 400."""
    now = int(time.time())
    good = {"iss": ISSUER, "iat": now, "exp": now + 1200, "aud": "appstoreconnect-v1"}
    other_key = make_key_pair()[0]
    cases = {
        "ok": jwt.encode(good, asc_keys[0], "ES256", headers={"kid": KEY_ID}),
        "60 minutes": jwt.encode({**good, "exp": now + 3600}, asc_keys[0], "ES256",
                                 headers={"kid": KEY_ID}),
        "other key": jwt.encode(good, other_key, "ES256", headers={"kid": KEY_ID}),
        "wrong kid": jwt.encode(good, asc_keys[0], "ES256", headers={"kid": "AAAAAAAAAA"}),
        "audience": jwt.encode({**good, "aud": "x"}, asc_keys[0], "ES256", headers={"kid": KEY_ID}),
        "expired": jwt.encode({**good, "iat": now - 1300, "exp": now - 100}, asc_keys[0],
                              "ES256", headers={"kid": KEY_ID}),
        "hs256": jwt.encode(good, "not-the-key-but-long-enough-for-hs256-32b", "HS256",
                            headers={"kid": KEY_ID}),
    }  # fmt: skip
    status = {
        name: requests.get(f"{fake_asc.url}/v1/apps", headers={"Authorization": f"Bearer {t}"},
                           timeout=5).status_code
        for name, t in cases.items()
    }  # fmt: skip
    assert status == {name: 200 if name == "ok" else 401 for name in cases}
    fake_asc.apps[APP] = NAME
    rid = fake_asc.add_request(APP)
    rep = fake_asc.add_report(rid)
    iid = fake_asc.add_instance(rep, DAYS[0], [gzip.compress(b"x")])
    link = fake_asc.presign(fake_asc.instances[iid]["segments"][0])
    assert requests.get(link, timeout=5).status_code == 200
    with_auth = requests.get(link, headers={"Authorization": "Bearer x"}, timeout=5)
    assert with_auth.status_code == 400


def test_presigned_links_are_fetched_without_authorization(apple, fake_asc, db):
    run(apple, db)
    s3 = [(path, auth) for _, path, auth in fake_asc.log if path.startswith("/s3/")]
    assert len(s3) == 6 and not any(auth for _, auth in s3)
    api = [auth for _, path, auth in fake_asc.log if path.startswith("/v1/")]
    assert api and all(api)


def test_paging_follows_links_next(apple, fake_asc, db):
    fake_asc.page_size = 1  # every list one resource a page
    outcome, _ = run(apple, db)
    assert (outcome.result, outcome.imported) == ("ok", 3)
    pages = [p for _, p, _ in fake_asc.log if p.endswith("/instances")]
    assert len(pages) == 3  # three instances, one a page


def test_wrong_key_is_a_sentence_and_nothing_changes(fake_asc, db, tmp_path):
    fake_asc.add_days(APP, NAME, DAYS)
    other = write_key(tmp_path, make_key_pair()[0])
    connection = add_connection(db, other)
    before = data_state(db)
    outcome, _ = run(connection, db)
    assert outcome.result == "failed"
    assert "refused the API key (401 NOT_AUTHORIZED)" in outcome.message
    assert KEY_ID in outcome.message and str(other) in outcome.message
    assert data_state(db) == before
    with pytest.raises(ConnectorError, match="refused the API key"):
        connection.connector().test()


def test_not_a_key_file(fake_asc, db, tmp_path):
    bad = tmp_path / "AuthKey.p8"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    bad.chmod(0o600)
    connection = add_connection(db, bad)
    with pytest.raises(ConnectorError, match=r"does not hold an App Store Connect API private"):
        connection.connector().test()


def test_connect_test_says_what_is_visible(apple, fake_asc):
    assert apple.connector().test() == (
        f"Signed in to App Store Connect with key {KEY_ID}; 1 app(s) visible, including "
        f"{NAME} ({APP})."
    )


@pytest.mark.parametrize(
    ("route", "status", "words"),
    [
        ("requests", 403, "role may not read analytics reports"),
        ("instances", 404, "no such app or report"),
        ("segments", 401, "refused the API key (401"),
        ("reports", 500, "answered 500"),
    ],
)
def test_provider_errors_are_sentences(apple, fake_asc, db, route, status, words):
    before = data_state(db)
    fake_asc.fail(route, status)
    outcome, _ = run(apple, db)
    assert outcome.result == "failed" and words in outcome.message
    assert data_state(db) == before
    with store.connect(db) as con:
        runs = sql.run_text(con, "select result, message from sync_runs")
    assert runs == [("failed", outcome.message)]
    outcome, _ = run(apple, db)  # the cause gone, the next sync does it all
    assert (outcome.result, outcome.imported) == ("ok", 3)


def test_429_with_retry_after_is_honoured(apple, fake_asc, db):
    fake_asc.fail("instances", 429, **{"Retry-After": "1"})
    fake_asc.fail("segments", 503, **{"Retry-After": "0"})
    lines: list[str] = []
    outcome = sync.sync_connection(apple, db, None, lines.append, until=UNTIL)
    assert (outcome.result, outcome.imported) == ("ok", 3), lines
    assert any("429" in line and "waiting 1 s" in line for line in lines)


def test_429_until_the_retries_are_spent(apple, fake_asc, db, monkeypatch):
    monkeypatch.setenv("INSTALLPULSE_FETCH_RETRIES", "1")
    run(apple, db)  # everything up to 2026-03-03
    report_id = next(iter(fake_asc.reports))
    fake_asc.add_instance(
        report_id, date(2026, 3, 4), segment_files(day_rows(APP, NAME, date(2026, 3, 4)), 1)
    )
    before = data_state(db)
    fake_asc.fail("instances", 429, times=2, **{"Retry-After": "0"})
    outcome, _ = run(apple, db)
    assert outcome.result == "failed"
    assert "429" in outcome.message and "rate limit" in outcome.message
    assert "sync again later" in outcome.message
    assert data_state(db) == before


def test_rate_limit_used_up_stops_with_a_sentence(apple, fake_asc, db):
    fake_asc.rate_remaining = 1  # the next answer says user-hour-rem:0
    outcome, _ = run(apple, db)
    assert outcome.result == "failed" and "sync again in an hour" in outcome.message


def test_checksum_mismatch_imports_nothing_of_that_day(apple, fake_asc, db):
    third = next(i for i in fake_asc.instances.values() if i["day"] == DAYS[2])
    fake_asc.segments[third["segments"][1]].corrupt = True
    outcome, _ = run(apple, db)
    assert outcome.result == "failed" and outcome.imported == 2
    assert "not the checksum Apple states" in outcome.message
    assert "nothing of that day was imported" in outcome.message
    assert value(db, "US", DAYS[2], "installs") is None
    assert value(db, "US", DAYS[1], "installs") == expected(DAYS[1], "US")["installs"]
    fake_asc.segments[third["segments"][1]].corrupt = False
    outcome, _ = run(apple, db)
    assert (outcome.result, outcome.imported) == ("ok", 1)


def test_an_expired_link_is_fetched_again_once(apple, fake_asc, db):
    fake_asc.expire_links = 1
    outcome, _ = run(apple, db)
    assert (outcome.result, outcome.imported) == ("ok", 3)


def test_links_that_keep_expiring_are_a_sentence(apple, fake_asc, db):
    before = data_state(db)
    fake_asc.expire_links = 100
    outcome, _ = run(apple, db)
    assert outcome.result == "failed"
    assert "answered 403 Forbidden (expired: links live a few minutes)" in outcome.message
    assert "run the sync again for fresh links" in outcome.message
    assert data_state(db) == before


def test_a_new_ongoing_request_says_when_reports_come(fake_asc, key_file, db):
    fake_asc.apps[APP] = NAME  # the app, but no report request yet
    connection = add_connection(db, key_file)
    outcome, lines = run(connection, db)
    assert (outcome.result, outcome.imported) == ("ok", 0)
    assert [r["access"] for r in fake_asc.requests.values()] == ["ONGOING"]
    assert any(FIRST_REPORTS in line for line in lines)
    outcome, lines = run(connection, db)  # no second request, no spinning
    assert [r["access"] for r in fake_asc.requests.values()] == ["ONGOING"]
    assert any("no daily reports" in line for line in lines)


def test_history_before_ongoing_asks_for_a_snapshot_and_imports_it(apple, fake_asc, db):
    outcome, lines = run(apple, db, since=date(2026, 2, 1))
    assert outcome.result == "ok" and outcome.imported == 3
    assert sorted(r["access"] for r in fake_asc.requests.values()) == [
        "ONE_TIME_SNAPSHOT",
        "ONGOING",
    ]
    assert any("ONE_TIME_SNAPSHOT" in line and FIRST_REPORTS in line for line in lines)
    snapshot = next(r for r, v in fake_asc.requests.items() if v["access"] == "ONE_TIME_SNAPSHOT")
    report = fake_asc.add_report(snapshot)
    old = date(2026, 2, 27)
    fake_asc.add_instance(report, old, segment_files(day_rows(APP, NAME, old), 2))
    outcome, _ = run(apple, db, since=date(2026, 2, 1))
    assert (outcome.result, outcome.imported) == ("ok", 1)
    assert value(db, "DE", old, "uninstalls") == expected(old, "DE")["uninstalls"]


def test_app_downloads_report_is_fetched_and_imported_as_far_as_the_adapter_allows(
    fake_asc, key_file, db, tmp_path
):
    """The App Downloads report goes through its own adapter (apple-downloads, formats'
    work): fetched like the installs report, each day one file, imported or refused by the
    contract exactly as the same file imported by hand."""
    rid = fake_asc.add_days(APP, NAME, DAYS[:1], parts=1)
    rep = fake_asc.add_report(rid, DOWNLOADS)
    header = "Date\tApp Name\tApp Apple Identifier\tDownload Type\tApp Version\tDevice\t" \
             "Platform Version\tSource Type\tPage Type\tPre-Order\tTerritory\tCounts\n"  # fmt: skip
    rows = (
        f"{DAYS[0]}\t{NAME}\t{APP}\tFirst-time download\t2.0\tiPhone\tiOS 26.1\tApp Store search"
        f"\tProduct page\t\tUS\t12\n"
        f"{DAYS[0]}\t{NAME}\t{APP}\tRedownload\t2.0\tiPhone\tiOS 26.1\tApp Store search"
        f"\tProduct page\t\tUS\t3\n"
    )
    # two segments, each with its header (joined by the connector into one file)
    parts = [gzip.compress((header + row + "\n").encode(), mtime=0)
             for row in rows.strip().split("\n")]  # fmt: skip
    data = b"".join(parts)
    fake_asc.add_instance(rep, DAYS[0], parts)
    connection = add_connection(db, key_file, reports="installs,downloads")
    outcome, lines = run(connection, db)
    hand = tmp_path / "hand.duckdb"
    (tmp_path / "f").mkdir()
    results = []
    for name, body in (
        (f"app-store-installation-and-deletion-standard_{APP}_{DAYS[0]}.txt.gz",
         fake_asc.segments[fake_asc.instances[next(iter(fake_asc.instances))]["segments"][0]].data),
        (f"app-downloads-standard_{APP}_{DAYS[0]}.txt.gz", data),
    ):  # fmt: skip
        path = tmp_path / "f" / name
        path.write_bytes(body)
        try:
            results.append(contract.ingest_file(path, hand, name=name).status)
        except Exception as exc:  # the adapter's refusal, whatever it is
            results.append(type(exc).__name__)
    store.release_all()
    assert any("app-downloads-standard" in line for line in lines) or outcome.result == "failed"
    assert data_state(db) == data_state(hand)
    if results == ["imported", "imported"]:
        assert (outcome.result, outcome.imported) == ("ok", 2)
        assert value(db, "US", DAYS[0], "download_total") == 15
    else:
        assert outcome.result == "failed" and outcome.imported == 1, results


def test_no_secret_reaches_the_database_archive_or_messages(apple, fake_asc, db, key_file, capsys):
    run(apple, db)
    fake_asc.fail("instances", 401)
    failed, lines = run(apple, db)
    store.release_all()
    secrets_ = [ln for ln in key_file.read_text().splitlines() if not ln.startswith("-----")]
    secrets_ += fake_asc.tokens
    assert secrets_
    blobs = [db.read_bytes()] + [p.read_bytes() for p in (db.parent / "archive").rglob("*")
                                 if p.is_file()]  # fmt: skip
    text = "\n".join(lines) + failed.message + capsys.readouterr().out
    for secret in secrets_:
        assert secret not in text
        assert not any(secret.encode() in blob for blob in blobs)
    with store.connect(db) as con:
        refs = sql.run_text(con, "select secret_ref, config from connections")
    assert refs == [(f"file:{key_file}", f'{{"detail": "standard", "issuer_id": "{ISSUER}", '
                     f'"key_id": "{KEY_ID}", "reports": ["installs"]}}')]  # fmt: skip


def test_kill_9_mid_sync_leaves_whole_files_and_the_next_sync_completes_it(
    apple, fake_asc, db, tmp_path
):
    env = {"INSTALLPULSE_DB": str(db)}
    reference = tmp_path / "reference" / "ref.duckdb"
    # killed after the first file's commit, then inside the second file's transaction
    killed_at("sync:after_file", "--db", str(db), "sync", "apple")
    assert contents(db)["imports"][0] == [
        f"app-store-installation-and-deletion-standard_{APP}_{DAYS[0]}.txt.gz:ok"
    ]
    killed_at("sync:file_in_transaction", "--db", str(db), "sync", "apple")
    assert len(contents(db)["imports"][0]) == 1  # the second file: all or nothing
    done = cli("--db", str(db), "sync", "apple", **env)
    assert done.returncode == 0, done.stderr
    assert "2 file(s) imported" in done.stdout
    with store.connect(db) as con:
        results = sql.run_text(con, "select result from sync_runs order by run_id")
    assert results == [("interrupted",), ("interrupted",), ("ok",)]
    store.release_all()
    # the same as one uninterrupted sync into a fresh database
    reference.parent.mkdir()
    ref_conn = add_connection(reference, Path(apple.secret.where))
    outcome, _ = run(ref_conn, reference)
    assert outcome.imported == 3
    # (import ids differ: the import killed in its transaction kept its 'running' history row,
    # which `installpulse recover` marks failed; so compare what the data says)
    assert contents(db) == contents(reference)
    assert state(db)["sync_state"] == state(reference)["sync_state"]
    assert fingerprints(db) == fingerprints(reference)


def fingerprints(db: Path) -> list[tuple[str, str]]:
    with store.connect(db) as con:
        rows = sql.run_text(con, "select fingerprint, file_name from sync_files order by 1")
    store.release_all()
    return rows


def test_redact_blanks_a_secret_read_in_this_process(monkeypatch):
    monkeypatch.setenv("IP_TEST_TOKEN", "tok_1234567890abcdef")
    assert SecretRef.env("IP_TEST_TOKEN").resolve() == "tok_1234567890abcdef"
    assert base.redact("x tok_1234567890abcdef y") == "x [secret] y"


def test_asc_module_is_the_registered_kind():
    assert base.kinds()["asc"].target == f"{AppStoreConnect.__module__}:AppStoreConnect"
