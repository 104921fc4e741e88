"""A local stand-in for Google's token endpoint and the Cloud Storage JSON API, for the Google
Play connector tests (real `requests` calls through pipelines/fetch.py, no mocked HTTP layer).

It checks what Google checks, so a test passing against it means the connector would be let in:

* `POST /token`: form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and
  `assertion=<JWT>`; the JWT must be RS256, signed by the service account's key (verified with
  the public half of a key pair the test generated), `kid` the key file's private_key_id, `iss`
  the service account's email, `aud` this endpoint's URL, `scope` containing
  devstorage.read_only, `iat` not in the future and `exp` at most an hour after it and not past.
  Google's answers: 400 `invalid_grant` / `invalid_scope` with an error_description.
* `GET /storage/v1/b/{bucket}/o?prefix=&pageToken=&maxResults=`: a Bearer token this server
  issued and that has not expired (else 401 "Invalid Credentials"); the bucket must exist (404)
  and the service account must have been granted it (403); names sorted, `page_size` items a
  page with an opaque `nextPageToken`, a `pageToken` the server did not issue is 400.
* `GET /storage/v1/b/{bucket}/o/{object}?alt=media`: the object name percent-encoded as one
  path segment (an unencoded `/` is 404, as on GCS); the bytes, with `x-goog-hash: md5=...`.

Faults are queued per route kind ("token", "list", "media") with `fail`, and an object's served
bytes can be made to differ from its md5Hash with `corrupt`. Requests are recorded (method, path,
query, whether an Authorization header came) for assertions; no secret is kept in the log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_EMAIL = "installpulse-reports@example-project.iam.gserviceaccount.com"
KEY_ID = "0f3c5d4e8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"


@dataclass
class StoredObject:
    data: bytes
    generation: int
    corrupt: bool = False  # serve bytes that do not match the md5Hash in the metadata

    @property
    def md5(self) -> str:
        return base64.b64encode(hashlib.md5(self.data).digest()).decode()


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    after: int = 0  # requests of its kind let through before it strikes


def make_key_pair() -> tuple[str, object]:
    """(PKCS#8 PEM of a new 2048-bit RSA private key, its public key)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return pem, private.public_key()


def service_account_json(private_pem: str, token_uri: str) -> dict[str, str]:
    """A key file as the Cloud console writes it (Service accounts > Keys > Add key > JSON)."""
    return {
        "type": "service_account",
        "project_id": "example-project",
        "private_key_id": KEY_ID,
        "private_key": private_pem,
        "client_email": CLIENT_EMAIL,
        "client_id": "104729388374618293741",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
        "installpulse-reports%40example-project.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }


def _error(status: int, message: str, reason: str) -> bytes:
    return json.dumps(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
            }
        }
    ).encode()


class Handler(BaseHTTPRequestHandler):
    server: FakePlay
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        headers = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, method: str, kind: str) -> None:
        parts = urlsplit(self.path)
        self.server.requests.append(
            {
                "method": method,
                "kind": kind,
                "path": parts.path,
                "query": parse_qs(parts.query),
                "authorized": "Authorization" in self.headers,
            }
        )

    def _fault(self, kind: str) -> bool:
        queue = self.server.faults.get(kind)
        if not queue:
            return False
        if queue[0].after > 0:
            queue[0].after -= 1
            return False
        fault = queue.pop(0)
        self._send(fault.status, fault.body, fault.headers)
        return True

    # -- token endpoint ------------------------------------------------------------------
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        if urlsplit(self.path).path != "/token":
            self._record("POST", "other")
            self._send(404, _error(404, "Not Found", "notFound"))
            return
        self._record("POST", "token")
        if self._fault("token"):
            return
        form = parse_qs(body)
        if self.headers.get("Content-Type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            self._grant_error("invalid_request", "Bad Request")
            return
        if form.get("grant_type") != [GRANT]:
            self._grant_error("unsupported_grant_type", "Invalid grant_type.")
            return
        assertion = (form.get("assertion") or [""])[0]
        self.server.assertions.append(assertion)
        problem = self.server.check_assertion(assertion)
        if problem is not None:
            self._grant_error(*problem)
            return
        token = "ya29." + secrets.token_urlsafe(24)
        self.server.tokens[token] = time.time() + self.server.token_life
        self.server.issued.append(token)
        self._send(
            200,
            json.dumps(
                {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
            ).encode(),
        )

    def _grant_error(self, error: str, description: str) -> None:
        self.server.refusals.append(description)
        self._send(400, json.dumps({"error": error, "error_description": description}).encode())

    # -- Cloud Storage JSON API --------------------------------------------------------
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        segments = parts.path.split("/")
        # ['', 'storage', 'v1', 'b', bucket, 'o'] or [..., 'o', object]
        if segments[:4] != ["", "storage", "v1", "b"] or len(segments) < 6 or segments[5] != "o":
            self._record("GET", "other")
            self._send(404, _error(404, "Not Found", "notFound"))
            return
        query = parse_qs(parts.query)
        kind = "list" if len(segments) == 6 else "media"
        self._record("GET", kind)
        if self._fault(kind):
            return
        if not self.server.token_ok(self.headers.get("Authorization", "")):
            self._send(
                401,
                _error(401, "Invalid Credentials", "authError"),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
            return
        bucket = unquote(segments[4])
        if bucket not in self.server.buckets:
            self._send(404, _error(404, "The specified bucket does not exist.", "notFound"))
            return
        if bucket not in self.server.granted:
            message = (
                f"{CLIENT_EMAIL} does not have storage.objects.list access to the Google Cloud "
                f"Storage bucket. Permission 'storage.objects.list' denied on resource (or it "
                f"may not exist)."
            )
            self._send(403, _error(403, message, "forbidden"))
            return
        objects = self.server.buckets[bucket]
        if kind == "list":
            self._list(bucket, objects, query)
            return
        if len(segments) != 7:  # an unencoded '/' in the object name: another path on GCS
            self._send(404, _error(404, "Not Found", "notFound"))
            return
        name = unquote(segments[6])
        stored = objects.get(name)
        if stored is None:
            self._send(404, _error(404, f"No such object: {bucket}/{name}", "notFound"))
            return
        if query.get("alt") != ["media"]:
            self._send(200, json.dumps(self.server.resource(bucket, name, stored)).encode())
            return
        data = stored.data
        if stored.corrupt:
            data = data[:-2] + b"9\x00"  # one digit changed: same size, another md5
        self._send(
            200,
            data,
            {
                "Content-Type": "text/csv; charset=utf-16le",
                "x-goog-hash": f"md5={stored.md5}",
                "x-goog-generation": str(stored.generation),
            },
        )

    def _list(self, bucket: str, objects: dict[str, StoredObject], query: dict) -> None:
        prefix = (query.get("prefix") or [""])[0]
        names = sorted(n for n in objects if n.startswith(prefix))
        start = 0
        if "pageToken" in query:
            token = query["pageToken"][0]
            if token not in self.server.page_tokens:
                self._send(400, _error(400, "Invalid page token.", "invalid"))
                return
            after = self.server.page_tokens[token]
            start = next((i for i, n in enumerate(names) if n > after), len(names))
        size = min(int((query.get("maxResults") or ["1000"])[0]), self.server.page_size)
        page = names[start : start + size]
        body: dict[str, object] = {"kind": "storage#objects"}
        if page:
            body["items"] = [self.server.resource(bucket, n, objects[n]) for n in page]
        if start + size < len(names):
            token = secrets.token_urlsafe(12)
            self.server.page_tokens[token] = page[-1]
            body["nextPageToken"] = token
        self._send(200, json.dumps(body).encode())


class FakePlay(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, public_key: object) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.public_key = public_key
        self.client_email = CLIENT_EMAIL
        self.key_id = KEY_ID
        self.buckets: dict[str, dict[str, StoredObject]] = {}
        self.granted: set[str] = set()
        self.tokens: dict[str, float] = {}
        self.issued: list[str] = []
        self.assertions: list[str] = []
        self.token_life = 3600.0
        self.page_size = 2
        self.page_tokens: dict[str, str] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[dict[str, object]] = []
        self.refusals: list[str] = []
        self._generation = 1_700_000_000_000_000
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def token_url(self) -> str:
        return f"{self.base}/token"

    # -- test controls -------------------------------------------------------------------
    def add_bucket(self, bucket: str, granted: bool = True) -> None:
        self.buckets.setdefault(bucket, {})
        if granted:
            self.granted.add(bucket)

    def put(self, bucket: str, name: str, data: bytes) -> None:
        """Write (or rewrite, as Play does during the month) an object: a new generation."""
        with self._lock:
            self._generation += 1
            self.buckets[bucket][name] = StoredObject(data, self._generation)

    def corrupt(self, bucket: str, name: str) -> None:
        self.buckets[bucket][name].corrupt = True

    def fail(self, kind: str, status: int, headers: dict[str, str] | None = None,
             body: bytes = b"", times: int = 1, after: int = 0) -> None:  # fmt: skip
        """The next `times` requests of `kind` ("token", "list", "media") get `status`,
        once `after` requests of that kind have gone through normally."""
        queue = self.faults.setdefault(kind, [])
        queue.extend(Fault(status, headers or {}, body, after if i == 0 else 0)
                     for i in range(times))  # fmt: skip

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def resource(self, bucket: str, name: str, stored: StoredObject) -> dict[str, str]:
        return {
            "kind": "storage#object",
            "id": f"{bucket}/{name}/{stored.generation}",
            "name": name,
            "bucket": bucket,
            "generation": str(stored.generation),
            "contentType": "text/csv; charset=utf-16le",
            "size": str(len(stored.data)),
            "md5Hash": stored.md5,
            "crc32c": "AAAAAA==",
            "updated": "2026-03-03T07:12:44.518Z",
        }

    def kinds(self) -> list[str]:
        return [str(r["kind"]) for r in self.requests]

    # -- what Google checks --------------------------------------------------------------
    def token_ok(self, header: str) -> bool:
        if not header.startswith("Bearer "):
            return False
        expiry = self.tokens.get(header[len("Bearer ") :])
        return expiry is not None and expiry > time.time()

    def check_assertion(self, assertion: str) -> tuple[str, str] | None:
        """None if Google would accept the assertion, else (error, error_description)."""
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return "invalid_grant", "Invalid JWT: the assertion is not a JWT."
        if header.get("alg") != "RS256":
            return "invalid_grant", "Invalid JWT Signature."
        if header.get("kid") not in (None, self.key_id):
            return "invalid_grant", "Invalid JWT Signature."
        try:
            claims = jwt.decode(
                assertion,
                self.public_key,  # type: ignore[arg-type]
                algorithms=["RS256"],
                audience=self.token_url,
                issuer=self.client_email,
                options={"require": ["iss", "aud", "iat", "exp", "scope"]},
            )
        except jwt.InvalidSignatureError:
            return "invalid_grant", "Invalid JWT Signature."
        except jwt.ExpiredSignatureError:
            return "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes)"
        except jwt.InvalidAudienceError:
            return "invalid_grant", "Invalid JWT: Failed audience check."
        except jwt.InvalidIssuerError:
            return "invalid_grant", "Invalid grant: account not found"
        except jwt.PyJWTError as exc:
            return "invalid_grant", f"Invalid JWT: {exc}"
        now = time.time()
        if claims["iat"] > now + 60 or claims["exp"] - claims["iat"] > 3600:
            return (
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        if SCOPE not in str(claims["scope"]).split():
            return "invalid_scope", "Invalid OAuth scope or ID token audience provided."
        return None


@pytest.fixture(name="play_keys", scope="session")
def play_keys_fixture() -> tuple[str, object]:
    """One key pair for the session (a 2048-bit RSA key takes a noticeable moment to make)."""
    return make_key_pair()


@pytest.fixture(name="fake_play")
def fake_play_fixture(
    play_keys: tuple[str, object], monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakePlay]:
    """A started FakePlay; the connector's base addresses point at it and 127.0.0.1 is let
    through pipelines/fetch.py's address checks."""
    server = FakePlay(play_keys[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("INSTALLPULSE_FETCH_READ_TIMEOUT", "5")
    monkeypatch.setenv("INSTALLPULSE_FETCH_DEADLINE", "30")
    monkeypatch.setenv("INSTALLPULSE_PLAY_TOKEN_URL", server.token_url)
    monkeypatch.setenv("INSTALLPULSE_GCS_API", server.base)
    yield server
    server.shutdown()
    server.server_close()


def write_key_file(path: Path, private_pem: str, token_uri: str) -> Path:
    """The service account's JSON key file, readable by its owner only (as a secret should)."""
    path.write_text(json.dumps(service_account_json(private_pem, token_uri), indent=2))
    path.chmod(0o600)
    return path
