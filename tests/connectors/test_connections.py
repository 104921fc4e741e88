"""The connections framework: secret references (only the reference is stored; a key file
others can read gets a warning), `connect add` validation, the registry, the schema-5 tables
on an older database, and the HTTP guards the connectors share (connectors/http.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from pipelines import sql, store
from pipelines.connectors import base, connections
from pipelines.connectors.base import ConnectorError, SecretRef
from pipelines.connectors.http import Api
from pipelines.errors import UsageError
from tests.faults.fault_helpers import cli

SECRET = "sk_live_9a8b7c6d5e4f3a2b1c0d"


def test_a_key_file_others_can_read_gets_a_warning(tmp_path: Path):
    key = tmp_path / "AuthKey.p8"
    key.write_text("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n")
    key.chmod(0o644)
    ref = SecretRef.file(key)
    assert ref.warnings() == [
        f"The key file {key} can be read by other users (mode -rw-r--r--); restrict it with "
        f"`chmod 600 {key}`."
    ]
    key.chmod(0o600)
    assert ref.warnings() == []
    assert SecretRef.env("TOKEN").warnings() == []


def test_references_round_trip_and_resolve(tmp_path: Path, monkeypatch):
    key = tmp_path / "k.p8"
    key.write_text(SECRET + "\n")
    assert SecretRef.parse(SecretRef.file(key).stored()).resolve() == SECRET
    monkeypatch.setenv("MY_TOKEN", SECRET)
    assert SecretRef.parse("env:MY_TOKEN").resolve() == SECRET
    with pytest.raises(ConnectorError, match="does not exist"):
        SecretRef.file(tmp_path / "missing.p8").resolve()
    monkeypatch.delenv("MY_TOKEN")
    with pytest.raises(ConnectorError, match="MY_TOKEN is not set"):
        SecretRef.env("MY_TOKEN").resolve()
    for bad in ("", "1ABC", "has space", SECRET + "/x"):
        with pytest.raises(ConnectorError, match="not an environment variable name"):
            SecretRef.env(bad)


def test_add_validates_and_stores_only_the_reference(db: Path, monkeypatch):
    monkeypatch.setenv("ST_TOKEN", SECRET)
    with pytest.raises(UsageError, match="Name at least one app"):
        connections.add("st", "sensortower", {}, SecretRef.env("ST_TOKEN"), [], db)
    with pytest.raises(UsageError, match="not a connection name"):
        connections.add("a b", "sensortower", {}, SecretRef.env("ST_TOKEN"), ["1"], db)
    with pytest.raises(UsageError, match="--os: 'web' is not one of ios, android, unified"):
        connections.add("st", "sensortower", {"os": "web"}, SecretRef.env("ST_TOKEN"), ["1"], db)
    with pytest.raises(UsageError, match="not an ISO date"):
        connections.add(
            "st", "sensortower", {"start": "03/01/2026"}, SecretRef.env("ST_TOKEN"), ["1"], db
        )
    with pytest.raises(UsageError, match="is the secret itself"):
        connections.add("st", "sensortower", {}, SecretRef.env("ST_TOKEN"), [SECRET], db)
    with pytest.raises(UsageError, match="--issuer-id is required"):
        connections.add("a", "asc", {"key_id": "K"}, SecretRef.env("ST_TOKEN"), ["1"], db)
    with pytest.raises(UsageError, match="not a connection kind"):
        connections.add("a", "itunes", {}, SecretRef.env("ST_TOKEN"), ["1"], db)
    connection, warnings = connections.add(
        "st", "sensortower", {"countries": "US, DE"}, SecretRef.env("ST_TOKEN"), ["1", "1"], db
    )
    assert warnings == []
    assert connection.apps == ("1",)
    assert connection.config == {"countries": ["US", "DE"], "os": "ios"}
    with pytest.raises(UsageError, match="exists already"):
        connections.add("st", "sensortower", {}, SecretRef.env("ST_TOKEN"), ["2"], db)
    store.release_all()
    assert SECRET.encode() not in db.read_bytes()
    assert "Removed connection 'st'" in connections.remove("st", db)
    assert connections.all_connections(db) == []
    with pytest.raises(UsageError, match="no connection named 'st'"):
        connections.get("st", db)


def test_secret_ref_needs_exactly_one_source(tmp_path: Path):
    with pytest.raises(UsageError, match="exactly one"):
        connections.secret_ref(None, None, "asc")
    with pytest.raises(UsageError, match="exactly one"):
        connections.secret_ref(str(tmp_path), "X", "asc")
    with pytest.raises(UsageError, match="does not exist"):
        connections.secret_ref(str(tmp_path / "nope.p8"), None, "asc")


def test_the_cli_add_warns_about_a_readable_key_and_never_prints_it(db: Path, tmp_path: Path):
    key = tmp_path / "AuthKey_ABC.p8"
    key.write_text(SECRET)
    key.chmod(0o640)
    done = cli("--db", str(db), "connect", "add", "asc", "apple", "--issuer-id", "I",
               "--key-id", "ABC", "--key-file", str(key), "--app", "1")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "can be read by other users (mode -rw-r-----)" in done.stderr
    assert SECRET not in done.stdout + done.stderr
    usage = cli("--db", str(db), "connect", "add", "asc", "apple2", "--key-file", str(key))
    assert usage.returncode == 1 and "--issuer-id is required" in usage.stderr
    both = cli("--db", str(db), "sync", "apple", "--all")
    assert both.returncode == 2 and "not both" in both.stderr


def test_every_kind_is_registered_with_its_options():
    kinds = base.kinds()
    assert {"asc", "sensortower"} <= set(kinds)
    asc = kinds["asc"]
    assert [o.key for o in asc.options] == ["issuer_id", "key_id", "reports", "detail"]
    assert asc.secret_sources == ("file", "env")


def test_a_schema_4_database_gets_the_connection_tables(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    con = store.open_connection(path)
    store.apply_migrations(con, 0, 4)
    con.close()
    with store.connect(path) as con:
        tables = {r[0] for r in sql.run_text(con, "select table_name from duckdb_tables()")}
        version = store.current_version(con)
    store.release_all()
    assert {"connections", "sync_state", "sync_files", "sync_runs"} <= tables
    assert version >= 5


# -- the shared HTTP client: the guards of pipelines/fetch.py for API calls


class _Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        _Handler.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/target")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_loopback_is_refused_unless_allowed(local_server: str, monkeypatch):
    monkeypatch.delenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", raising=False)
    api = Api("Test", local_server)
    with pytest.raises(ConnectorError, match="private, loopback or link-local"):
        api.request("GET", "/x", params={"auth_token": SECRET})
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    assert api.request("GET", "/x").json() == {"ok": True}


def test_messages_never_show_the_query(local_server: str, monkeypatch):
    monkeypatch.delenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", raising=False)
    with pytest.raises(ConnectorError) as caught:
        Api("Test", local_server).request("GET", "/x", params={"auth_token": SECRET})
    assert SECRET not in str(caught.value) and "auth_token" not in str(caught.value)


def test_credentials_never_follow_a_redirect(local_server: str, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    api = Api("Test", local_server)
    reply = api.download("/redirect", tmp_path / "a", headers={"Authorization": "Bearer t"})
    assert reply.status == 302 and not (tmp_path / "a").exists()
    assert [p for p, _ in _Handler.seen] == ["/redirect"]
    reply = api.download("/redirect", tmp_path / "b")  # no credentials: followed
    assert reply.status == 200 and (tmp_path / "b").read_bytes() == b'{"ok": true}'
    assert _Handler.seen[-1] == ("/target", None)
