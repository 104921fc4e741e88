"""The Google Play connector against a local stand-in for Google's token endpoint and Cloud
Storage (tests/connectors/fake_play.py), through the real sync engine and import contract.

Faults: wrong or expired credentials, a bucket that is not there or not shared, 429 with
Retry-After, 5xx, an md5 mismatch. Each leaves the database as it was or with whole files
imported, and says what to do in a sentence; no secret (private key, assertion, access token)
reaches the database, the archive, a message or the sync's printed lines.

The reference for every sync is the same files imported by hand (`contract.ingest_file`, what
`installpulse ingest FILE` does) into another database: the data tables must be equal, table by
table (row counts and an order-independent checksum over every column but timestamps, as the
fault suite compares them).
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote

import jwt
import pytest
import requests

from pipelines import contract, settings, store, sync
from pipelines.connectors import base, connections
from pipelines.connectors.base import ConnectorError, SecretRef
from pipelines.connectors.play import SCOPE, GooglePlay, bucket_name, last_day
from tests.adapters.make_fixtures import crlf, utf16
from tests.conftest import FIXTURES
from tests.connectors.fake_play import (  # noqa: F401 (the fixtures register by import)
    FakePlay,
    fake_play_fixture,
    make_key_pair,
    play_keys_fixture,
    write_key_file,
)
from tests.faults.fault_helpers import cli, contents, state

BUCKET = "pubsite_prod_01234567890987654321"
PACKAGE = "com.example.chat"
UNTIL = date(2026, 3, 31)
PLAY = FIXTURES / "google_play"
HEADER = (
    "Date,Package Name,Daily Device Installs,Daily Device Uninstalls,Daily Device Upgrades,"
    "Total User Installs,Daily User Installs,Daily User Uninstalls,Active Device Installs,"
    "Install events,Update events,Uninstall events"
)
# A February overview, written as Play writes it (UTF-16LE with a BOM, CRLF).
FEB_OVERVIEW = utf16(
    crlf(
        [
            HEADER,
            f"2026-02-27,{PACKAGE},1490,400,2990,248100,1360,380,180900,1670,3080,440",
            f"2026-02-28,{PACKAGE},1500,405,3001,249210,1370,390,180500,1680,3090,445",
        ]
    )
)
PRO_OVERVIEW = utf16(crlf([HEADER, "2026-03-01,com.example.chat_pro,10,1,20,500,9,1,300,11,21,1"]))


def obj(month: str, dim: str, package: str = PACKAGE) -> str:
    return f"stats/installs/installs_{package}_{month}_{dim}.csv"


FILES = {
    obj(month="202602", dim="overview"): FEB_OVERVIEW,
    obj(month="202603", dim="overview"): (
        PLAY / f"installs_{PACKAGE}_202603_overview.csv"
    ).read_bytes(),
    obj(month="202603", dim="country"): (
        PLAY / f"installs_{PACKAGE}_202603_country.csv"
    ).read_bytes(),
    obj(month="202603", dim="device"): (
        PLAY / f"installs_{PACKAGE}_202603_device.csv"
    ).read_bytes(),
    obj(month="202603", dim="overview", package="com.example.chat_pro"): PRO_OVERVIEW,
    "stats/ratings/ratings_com.example.chat_202603_overview.csv": b"\xff\xfe",
}
IMPORTED = [  # what the connector must hand on, in import order
    obj(month="202602", dim="overview"),
    obj(month="202603", dim="overview"),
    obj(month="202603", dim="country"),
]
LATER_COUNTRY = (PLAY / "later" / f"installs_{PACKAGE}_202603_country.csv").read_bytes()
SYNC_TABLES = ("connections", "sync_state", "sync_files", "sync_runs")


def data_state(db: Path) -> dict[str, tuple[int, int]]:
    """The fault suite's per-table checksums, for the tables an import writes."""
    return {k: v for k, v in state(db).items() if k not in SYNC_TABLES}


_BY_HAND: dict[tuple[object, ...], object] = {}


def by_hand(tmp_path: Path, files: list[tuple[str, bytes]], measure=None) -> object:
    """Import `files` (object name, bytes) one by one as `installpulse ingest` would, into a
    new database, under Play's own file names; its `measure` (default `data_state`). (The same
    files give the same tables: a reference made once in the session is reused.)"""
    measure = measure or data_state
    key = (measure.__name__, *files)
    if key not in _BY_HAND:
        db = tmp_path / "by_hand" / "installpulse.duckdb"
        db.parent.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            path = tmp_path / "by_hand" / name.rsplit("/", 1)[-1]
            path.write_bytes(data)
            contract.ingest_file(path, db, name=path.name)
        store.release_all()
        _BY_HAND[key] = measure(db)
    return _BY_HAND[key]


@pytest.fixture
def bucket(fake_play: FakePlay) -> FakePlay:
    fake_play.add_bucket(BUCKET)
    for name, data in FILES.items():
        fake_play.put(BUCKET, name, data)
    return fake_play


@pytest.fixture
def key_file(tmp_path: Path, play_keys: tuple[str, object], fake_play: FakePlay) -> Path:
    # The key file names Google's real token address; INSTALLPULSE_PLAY_TOKEN_URL (set by
    # the fake_play fixture) takes precedence, and the assertion's audience follows it.
    return write_key_file(
        tmp_path / "play-key.json", play_keys[0], "https://oauth2.googleapis.com/token"
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "synced" / "installpulse.duckdb"


def add(db: Path, key_file: Path, apps: list[str] | None = None, uri: str = f"gs://{BUCKET}/"):
    connection, _ = connections.add(
        "play", "play", {"bucket": uri}, SecretRef.file(key_file), apps or [PACKAGE], db
    )
    return connection


def run(db: Path, said: list[str] | None = None, name: str = "play") -> sync.Outcome:
    connection = connections.get(name, db)
    outcome = sync.sync_connection(
        connection, db, say=(said if said is not None else []).append, until=UNTIL
    )
    store.release_all()
    return outcome


def media(server: FakePlay) -> list[str]:
    """Object names downloaded (alt=media), in order."""
    from urllib.parse import unquote

    return [
        unquote(str(r["path"]).rsplit("/", 1)[-1]) for r in server.requests if r["kind"] == "media"
    ]


# -- the happy path --------------------------------------------------------------------------


def test_sync_equals_importing_the_same_files_by_hand(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path
) -> None:
    add(db, key_file)
    said: list[str] = []
    outcome = run(db, said)
    assert outcome.result == "ok", outcome.message
    assert outcome.imported == 3
    # Exactly the overview and country files of this package; not the device breakdown, not
    # com.example.chat_pro (its names also start with installs_com.example.chat_), not ratings.
    assert media(bucket) == IMPORTED
    assert data_state(db) == by_hand(tmp_path, [(n, FILES[n]) for n in IMPORTED])
    # Google let the connector in: one assertion, accepted (RS256, kid, iss, aud, scope and
    # lifetime checked by the stand-in), then Bearer calls only.
    assert bucket.refusals == [] and len(bucket.assertions) == 1
    assert all(r["authorized"] for r in bucket.requests if r["kind"] in ("list", "media"))
    # The listing was paged (two items a page) and followed to its end.
    lists = [r for r in bucket.requests if r["kind"] == "list"]
    assert len(lists) >= 3 and all("pageToken" in r["query"] for r in lists[1:])
    assert any("installs_com.example.chat_202603_country.csv: imported" in s for s in said)


def test_second_sync_changes_nothing_and_downloads_nothing(
    bucket: FakePlay, key_file: Path, db: Path
) -> None:
    add(db, key_file)
    assert run(db).result == "ok"
    before = data_state(db)
    bucket.requests.clear()
    outcome = run(db)
    assert outcome.result == "ok" and outcome.imported == 0
    assert data_state(db) == before
    assert media(bucket) == []  # known md5s: listed, not downloaded


def test_rewritten_current_month_replaces_its_restated_days(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path
) -> None:
    add(db, key_file)
    assert run(db).result == "ok"
    changed = obj(month="202603", dim="country")
    bucket.put(BUCKET, changed, LATER_COUNTRY)  # Play rewrote March, restating March 2
    bucket.requests.clear()
    outcome = run(db)
    assert outcome.result == "ok" and outcome.imported == 1
    assert media(bucket) == [changed]  # February and the March overview are unchanged
    files = [(n, FILES[n]) for n in IMPORTED] + [(changed, LATER_COUNTRY)]
    assert data_state(db) == by_hand(tmp_path, files)
    with store.connect(db) as con:
        installs = con.execute(
            "select value from daily_metrics where country = 'US' and date = '2026-03-02' "
            "and metric = 'installs' and source = 'google_play'"
        ).fetchall()
        replaced = con.execute("select count(*) from replaced_observations").fetchall()
    store.release_all()
    assert installs == [(384,)]  # was 380 in the first download
    assert replaced[0][0] > 0  # kept for undo


def test_since_limits_the_months(bucket: FakePlay, key_file: Path, db: Path) -> None:
    connection = add(db, key_file)
    outcome = sync.sync_connection(
        connection, db, since=date(2026, 3, 20), say=[].append, until=UNTIL
    )
    store.release_all()
    assert outcome.result == "ok"
    assert media(bucket) == IMPORTED[1:]  # March only (its restated window reaches back 7 days)


def test_connect_test_signs_in_and_reads_the_bucket(bucket: FakePlay, key_file: Path) -> None:
    connector = base.connector_for("play", {"bucket": f"gs://{BUCKET}"}, SecretRef.file(key_file))
    sentence = connector.test()
    assert sentence == (
        f"Signed in as {bucket.client_email}; gs://{BUCKET} is readable and installs "
        "reports are there."
    )


def test_the_key_files_token_uri_is_the_audience_without_the_setting(
    bucket: FakePlay, tmp_path: Path, play_keys: tuple[str, object], monkeypatch
) -> None:
    monkeypatch.delenv("INSTALLPULSE_PLAY_TOKEN_URL")
    key = write_key_file(tmp_path / "k.json", play_keys[0], bucket.token_url)
    GooglePlay({"bucket": BUCKET}, SecretRef.file(key)).test()
    assert bucket.refusals == []


def test_bucket_uri_forms() -> None:
    assert bucket_name("gs://pubsite_prod_rev_0123456789/") == "pubsite_prod_rev_0123456789"
    assert bucket_name(" pubsite_prod_0123 ") == "pubsite_prod_0123"
    assert bucket_name("gs://pubsite_prod_0123/stats/installs") == "pubsite_prod_0123"
    with pytest.raises(ConnectorError, match="Copy Cloud Storage URI"):
        bucket_name("https://console.cloud.google.com/storage/browser/x")


def test_last_day_of_a_play_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(FILES[IMPORTED[2]])
    assert last_day(path) == date(2026, 3, 2)


# -- faults -----------------------------------------------------------------------------


def nothing_but_history(db_path: Path, before: dict) -> None:
    """The data tables are as before the sync (it may have added only its own run row)."""
    assert data_state(db_path) == before


def test_a_key_google_does_not_know_is_refused_with_what_to_do(
    bucket: FakePlay, db: Path, tmp_path: Path
) -> None:
    other, _ = make_key_pair()  # signed with a key whose public half Google does not hold
    wrong = write_key_file(tmp_path / "old-key.json", other, bucket.token_url)
    add(db, wrong)
    before = data_state(db)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "Google refused the service account key" in outcome.message
    assert "Invalid JWT Signature" in outcome.message
    assert "create a new JSON key" in outcome.message
    assert bucket.refusals == ["Invalid JWT Signature."]
    nothing_but_history(db, before)
    assert media(bucket) == []


def test_a_file_that_is_not_a_service_account_key(bucket: FakePlay, tmp_path: Path) -> None:
    pem = tmp_path / "key.pem"  # the private key alone, not the JSON key file around it
    pem.write_text(make_key_pair()[0])
    connector = GooglePlay({"bucket": BUCKET}, SecretRef.file(pem))
    with pytest.raises(ConnectorError) as info:
        connector.test()
    assert "is not a service account JSON key" in str(info.value)
    assert "Add key > Create new key > JSON" in str(info.value)
    assert bucket.requests == []


def test_bucket_not_shared_with_the_service_account_is_403_with_the_invitation(
    fake_play: FakePlay, key_file: Path, db: Path
) -> None:
    fake_play.add_bucket(BUCKET, granted=False)
    add(db, key_file)
    before = data_state(db)
    outcome = run(db)
    assert outcome.result == "failed"
    assert f"may not read gs://{BUCKET} (403)" in outcome.message
    assert "Users and permissions" in outcome.message
    assert "View app information and download bulk reports" in outcome.message
    nothing_but_history(db, before)


def test_a_bucket_that_does_not_exist_is_404_with_where_to_copy_the_uri(
    fake_play: FakePlay, key_file: Path, db: Path
) -> None:
    add(db, key_file, uri="gs://pubsite_prod_99999/")
    before = data_state(db)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "gs://pubsite_prod_99999 does not exist (404)" in outcome.message
    assert "copy the Cloud Storage URI from Play Console" in outcome.message
    nothing_but_history(db, before)


def test_an_access_token_that_expires_mid_sync_is_renewed_once(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path
) -> None:
    # Cloud Storage says the token is no longer valid at the second download: the connector
    # signs in again and carries on.
    bucket.fail("media", 401, after=1)
    add(db, key_file)
    outcome = run(db)
    assert outcome.result == "ok", outcome.message
    assert len(bucket.issued) == 2
    assert data_state(db) == by_hand(tmp_path, [(n, FILES[n]) for n in IMPORTED])


def test_storage_refusing_every_token_stops_with_a_sentence(
    bucket: FakePlay, key_file: Path, db: Path
) -> None:
    bucket.fail("list", 401, times=2)
    add(db, key_file)
    before = data_state(db)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "did not accept the access token" in outcome.message
    assert "check this machine's clock" in outcome.message
    nothing_but_history(db, before)


def test_429_with_retry_after_is_waited_for(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path
) -> None:
    bucket.fail("media", 429, {"Retry-After": "1"}, after=1)
    add(db, key_file)
    said: list[str] = []
    outcome = run(db, said)
    assert outcome.result == "ok", outcome.message
    assert media(bucket) == [IMPORTED[0], IMPORTED[1], IMPORTED[1], IMPORTED[2]]
    assert data_state(db) == by_hand(tmp_path, [(n, FILES[n]) for n in IMPORTED])


def test_429_asking_for_longer_than_installpulse_waits_keeps_whole_files(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path
) -> None:
    bucket.fail("media", 429, {"Retry-After": "3600"}, after=2)
    add(db, key_file)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "asks to wait 3600 s" in outcome.message and "sync again later" in outcome.message
    # The two files before it are in, whole; the third is not.
    assert data_state(db) == by_hand(tmp_path, [(n, FILES[n]) for n in IMPORTED[:2]])


def test_a_server_error_keeps_whole_files_and_the_next_sync_completes(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path
) -> None:
    bucket.fail("media", 500, after=1)
    add(db, key_file)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "answered 500" in outcome.message and "try again later" in outcome.message
    assert data_state(db) == by_hand(tmp_path / "one", [(IMPORTED[0], FILES[IMPORTED[0]])])
    assert run(db).result == "ok"
    assert data_state(db) == by_hand(tmp_path / "all", [(n, FILES[n]) for n in IMPORTED])


def test_503_until_the_retries_run_out(
    bucket: FakePlay, key_file: Path, db: Path, monkeypatch
) -> None:
    monkeypatch.setenv("INSTALLPULSE_FETCH_RETRIES", "1")
    bucket.fail("list", 503, {"Retry-After": "0"}, times=2)
    add(db, key_file)
    before = data_state(db)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "gave up after 2 attempts" in outcome.message
    nothing_but_history(db, before)


def test_an_md5_mismatch_is_not_imported_and_the_next_sync_completes(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path
) -> None:
    bucket.corrupt(BUCKET, IMPORTED[2])
    add(db, key_file)
    outcome = run(db)
    assert outcome.result == "failed"
    assert "do not match the md5" in outcome.message and "Sync again" in outcome.message
    assert data_state(db) == by_hand(tmp_path / "two", [(n, FILES[n]) for n in IMPORTED[:2]])
    bucket.buckets[BUCKET][IMPORTED[2]].corrupt = False
    assert run(db).result == "ok"
    assert data_state(db) == by_hand(tmp_path / "all", [(n, FILES[n]) for n in IMPORTED])


def test_no_secret_in_the_database_the_archive_the_messages_or_the_output(
    bucket: FakePlay,
    key_file: Path,
    db: Path,
    tmp_path: Path,
    play_keys: tuple[str, object],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every library's log lines (urllib3 logs each request)
    add(db, key_file)
    said: list[str] = []
    assert run(db, said).result == "ok"
    bucket.fail("media", 500)  # and one failed run, whose message is stored too
    bucket.put(BUCKET, IMPORTED[2], FILES[IMPORTED[2]] + b"\r\x00\n\x00")
    failed = run(db, said)
    assert failed.result == "failed"
    assert bucket.issued and bucket.assertions
    # The access tokens, the signed assertions, and every line of the private key's PEM body.
    secrets = list(bucket.issued) + list(bucket.assertions)
    secrets += [line for line in play_keys[0].splitlines() if "PRIVATE KEY" not in line]
    text = "\n".join(said) + failed.message + caplog.text
    assert "GET /storage/v1/b/" in caplog.text  # the log was captured
    with store.connect(db) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        for table in tables:
            rows = con.execute(f'select * from "{table}"').fetchall()  # noqa: S608 (catalogue)
            text += "\n" + repr(rows)
    store.release_all()
    blobs = [db.read_bytes()]
    archive = settings.archive_dir(db)
    blobs += [p.read_bytes() for p in archive.rglob("*") if p.is_file()]
    for secret in secrets:
        assert secret not in text
        assert all(secret.encode() not in blob for blob in blobs)
    # The reference is stored (that is the point), never the key's contents.
    assert str(key_file) in text


# -- the stand-in refuses what Google refuses ------------------------------------------------


def _assertion(private_pem: str, server: FakePlay, **changes: object) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": server.client_email,
        "scope": SCOPE,
        "aud": server.token_url,
        "iat": now,
        "exp": now + 3600,
    }
    algorithm = str(changes.pop("alg", "RS256"))
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    key: object = private_pem if algorithm == "RS256" else "a-shared-secret-of-32-bytes-long!"
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": server.key_id})


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({}, None),
        ({"alg": "HS256"}, "Invalid JWT Signature."),
        ({"aud": "https://oauth2.googleapis.com/token"}, "Failed audience check"),
        ({"iss": "someone@else.iam.gserviceaccount.com"}, "account not found"),
        ({"scope": "https://www.googleapis.com/auth/cloud-platform.read-only"}, "Invalid OAuth"),
        ({"scope": None}, "Invalid JWT"),
        ({"exp": int(time.time()) + 7200}, "short-lived token (60 minutes)"),
        ({"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, "short-lived"),
    ],
)
def test_the_stand_in_refuses_what_google_refuses(
    fake_play: FakePlay,
    play_keys: tuple[str, object],
    changes: dict[str, object],
    refusal: str | None,
) -> None:
    assertion = _assertion(play_keys[0], fake_play, **changes)
    answer = requests.post(
        fake_play.token_url,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        timeout=10,
    )
    if refusal is None:
        assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"
    else:
        assert answer.status_code == 400
        assert refusal in answer.json()["error_description"]


def test_the_stand_in_wants_a_valid_bearer_token_and_encoded_object_names(
    bucket: FakePlay,
) -> None:
    listing = f"{bucket.base}/storage/v1/b/{BUCKET}/o"
    assert requests.get(listing, timeout=10).status_code == 401
    bucket.tokens["ya29.valid"] = time.time() + 60
    auth = {"Authorization": "Bearer ya29.valid"}
    assert requests.get(listing, headers=auth, timeout=10).status_code == 200
    raw = f"{listing}/{IMPORTED[0]}?alt=media"  # '/' left unencoded: another path on GCS
    assert requests.get(raw, headers=auth, timeout=10).status_code == 404
    encoded = f"{listing}/{quote(IMPORTED[0], safe='')}?alt=media"
    answer = requests.get(encoded, headers=auth, timeout=10)
    assert answer.status_code == 200 and answer.content == FILES[IMPORTED[0]]
    bucket.expire_tokens()
    assert requests.get(listing, headers=auth, timeout=10).status_code == 401


# -- the command line ------------------------------------------------------------------------


def test_connect_add_and_sync_on_the_command_line(
    bucket: FakePlay, key_file: Path, db: Path
) -> None:
    env = {
        "INSTALLPULSE_FETCH_ALLOW_HOSTS": "127.0.0.1",
        "INSTALLPULSE_PLAY_TOKEN_URL": bucket.token_url,
        "INSTALLPULSE_GCS_API": bucket.base,
    }
    store.release_all()
    added = cli("connect", "add", "play", "play", "--key-file", str(key_file),
                "--bucket", f"gs://{BUCKET}", "--app", PACKAGE, "--db", str(db), **env)  # fmt: skip
    assert added.returncode == 0, added.stderr
    tested = cli("connect", "test", "play", "--db", str(db), **env)
    assert tested.returncode == 0, tested.stderr
    assert f"gs://{BUCKET} is readable" in tested.stdout, tested.stdout + tested.stderr
    first = cli("sync", "play", "--db", str(db), **env)
    assert first.returncode == 0, first.stderr
    for name in IMPORTED:  # a progress line per file
        assert f"{name.rsplit('/', 1)[-1]}: imported as #" in first.stdout, first.stdout
    again = cli("sync", "--all", "--db", str(db), **env)
    assert again.returncode == 0, again.stderr
    assert "0 file(s) imported" in again.stdout, again.stdout
    bucket.granted.clear()  # the service account lost its access
    refused = cli("sync", "play", "--db", str(db), **env)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Users and permissions" in refused.stdout + refused.stderr


def test_a_package_not_in_the_bucket_is_named_after_the_others_are_in(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path
) -> None:
    add(db, key_file, apps=[PACKAGE, "com.example.typo"])
    outcome = run(db)
    assert outcome.result == "failed"
    assert f"gs://{BUCKET} has no installs reports for com.example.typo" in outcome.message
    assert "check the package name" in outcome.message
    assert data_state(db) == by_hand(tmp_path, [(n, FILES[n]) for n in IMPORTED])


@pytest.mark.parametrize(
    ("point", "whole_files"),
    [("sync:file_in_transaction", 0), ("sync:after_file", 1)],
)
def test_a_sync_killed_mid_way_keeps_whole_files_and_the_next_one_completes(
    bucket: FakePlay, key_file: Path, db: Path, tmp_path: Path, point: str, whole_files: int
) -> None:
    env = {
        "INSTALLPULSE_FETCH_ALLOW_HOSTS": "127.0.0.1",
        "INSTALLPULSE_PLAY_TOKEN_URL": bucket.token_url,
        "INSTALLPULSE_GCS_API": bucket.base,
    }
    add(db, key_file)
    store.release_all()
    killed = cli("sync", "play", "--db", str(db), fault=point, **env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    first = [(n, FILES[n]) for n in IMPORTED[:whole_files]]
    assert data_state(db) == by_hand(tmp_path / "part", first)
    done = cli("sync", "play", "--db", str(db), **env)
    assert done.returncode == 0, done.stdout + done.stderr
    # (a killed import leaves its history row 'running' and its id spent: compare what the
    # data says, independent of import ids, as the fault suite does after a retry)
    everything = [(n, FILES[n]) for n in IMPORTED]
    assert contents(db) == by_hand(tmp_path / "all", everything, contents)
