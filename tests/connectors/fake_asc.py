"""A local stand-in for the App Store Connect API (Analytics Reports) and Apple's pre-signed
report links, for the App Store connector tests (real `requests` calls, no mocked HTTP layer).

It checks what Apple checks, so a test passing against it means the connector would be let in:

* every `/v1/...` call needs `Authorization: Bearer <JWT>`: the JWT's header must say ES256 and
  the key id of the test's key; its signature must verify with the public half of the key pair
  the test generated; `iss` the issuer id, `aud` `appstoreconnect-v1`, `iat` not in the future,
  `exp` not past and at most 20 minutes after `iat` (a 60-minute token is refused). Refusals
  are Apple's: 401 with a JSON:API error `NOT_AUTHORIZED`.
* lists are JSON:API pages: at most `page_size` resources (whatever `limit` asks), `links.next`
  an absolute URL with a cursor; a cursor the server did not issue is 400.
* every answer carries `X-Rate-Limit: user-hour-lim:3500;user-hour-rem:N`; faults can queue a
  429 `RATE_LIMIT_EXCEEDED` (with or without Retry-After), 5xx, 401/403/404 per route.
* segment `url`s are pre-signed links to `/s3/...` on the same server: a request carrying an
  Authorization header is refused (400, as S3 refuses two authentication mechanisms); an
  expired link is 403 `Request has expired`; bodies are the segments' gzip bytes and
  `checksum` is their md5 (a segment can be served `corrupt`: other bytes than its checksum).

`POST /v1/analyticsReportRequests` creates a request with no reports yet (Apple's first reports
come a day or two later). The log records (method, path, whether Authorization came) and the
tokens seen, so tests can check token reuse; it never records a body.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
KEY_ID = "2X9R4HXF34"
HEADER = [
    "Date", "App Name", "App Apple Identifier", "Event", "Download Type", "App Version",
    "Device", "Platform Version", "Source Type", "Page Type", "App Download Date", "Territory",
    "Counts", "Unique Devices",
]  # fmt: skip
CODES = {
    429: "RATE_LIMIT_EXCEEDED",
    403: "FORBIDDEN_ERROR",
    404: "NOT_FOUND",
    401: "NOT_AUTHORIZED",
}
INSTALLS = "App Store Installation and Deletion Standard"
DOWNLOADS = "App Downloads Standard"


def make_key_pair() -> tuple[bytes, bytes]:
    """(the .p8 private key as Apple hands it out: PKCS#8 PEM, the public key PEM)."""
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public


def write_key(folder: Path, pem: bytes) -> Path:
    path = folder / f"AuthKey_{KEY_ID}.p8"
    path.write_bytes(pem)
    path.chmod(0o600)
    return path


def day_rows(app: str, name: str, day: date, scale: int = 1) -> list[list[str]]:
    """An Installation and Deletion Standard day for one app: installs by type and deletions
    in US and DE. Counts are small numbers the tests can add by hand (see expected())."""
    base = day.day * scale
    d = day.isoformat()
    rows = []
    for territory, extra in (("US", 0), ("DE", 100)):
        rows += [
            [d, name, app, "Install", "First-time download", "2.0", "iPhone", "iOS 26.1",
             "App Store search", "Product page", d, territory, str(10 + base + extra), "9"],
            [d, name, app, "Install", "First-time download", "2.0", "iPad", "iPadOS 26.1",
             "App Store browse", "Product page", d, territory, str(2 + extra), "2"],
            [d, name, app, "Install", "Redownload", "2.0", "iPhone", "iOS 26.1",
             "App Store search", "Product page", "", territory, str(3 + extra), "3"],
            [d, name, app, "Install", "Manual update", "2.0", "iPhone", "iOS 26.1",
             "Unavailable", "No page", "", territory, str(5), "5"],
            [d, name, app, "Delete", "", "2.0", "iPhone", "iOS 26.1", "Unavailable",
             "No page", "", territory, str(4 + base), "4"],
        ]  # fmt: skip
    return rows


def expected(day: date, territory: str, scale: int = 1) -> dict[str, int]:
    """The metrics of day_rows worked out by hand: installs = first-time (iPhone + iPad) +
    redownloads; uninstalls = the Delete row."""
    base = day.day * scale
    extra = 0 if territory == "US" else 100
    first = (10 + base + extra) + (2 + extra)
    return {
        "installs": first + 3 + extra,
        "first_time_downloads": first,
        "redownloads": 3 + extra,
        "updates": 5,
        "uninstalls": 4 + base,
    }


def segment_files(rows: list[list[str]], parts: int) -> list[bytes]:
    """The rows split into `parts` gzip TSV segments, each with the header (as Apple's are)."""
    chunks = [rows[i::parts] for i in range(parts)]
    out = []
    for chunk in chunks:
        text = "\t".join(HEADER) + "\n" + "".join("\t".join(r) + "\n" for r in chunk)
        out.append(gzip.compress(text.encode("utf-8"), mtime=0))
    return out


@dataclass
class Segment:
    data: bytes
    corrupt: bool = False

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()


@dataclass
class Fault:
    route: str  # apps | requests | create | reports | instances | segments | s3 | any
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    code: str = ""


class FakeASC:
    """The server's state; tests add apps, requests, reports, instances and segments."""

    def __init__(self, public_pem: bytes) -> None:
        self.public_pem = public_pem
        self.apps: dict[str, str] = {}
        self.requests: dict[str, dict] = {}
        self.reports: dict[str, dict] = {}
        self.instances: dict[str, dict] = {}
        self.segments: dict[str, Segment] = {}
        self.faults: list[Fault] = []
        self.page_size = 2
        self.link_life = 300.0
        self.expire_links = 0  # the next N pre-signed links are handed out already expired
        self.rate_remaining = 3500
        self.log: list[tuple[str, str, bool]] = []
        self.tokens: list[str] = []
        self.refusals: list[str] = []
        self.lock = threading.Lock()
        self.url = ""
        self._secret = b"fake-s3-signing-key"
        self._ids = 0

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-{self._ids:04d}"

    # -- set-up
    def add_request(self, app: str, access: str = "ONGOING") -> str:
        rid = self._id("r")
        self.requests[rid] = {"app": app, "access": access}
        return rid

    def add_report(self, request_id: str, name: str = INSTALLS) -> str:
        rep = self._id("rep")
        self.reports[rep] = {"request": request_id, "name": name}
        return rep

    def add_instance(self, report_id: str, day: date, parts: list[bytes]) -> str:
        iid = self._id("inst")
        self.instances[iid] = {"report": report_id, "day": day, "segments": []}
        for data in parts:
            sid = self._id("seg")
            self.segments[sid] = Segment(data)
            self.instances[iid]["segments"].append(sid)
        return iid

    def add_days(
        self, app: str, name: str, days: list[date], parts: int = 2, access: str = "ONGOING"
    ) -> str:
        """An app with an ONGOING (or snapshot) request whose installs report has one DAILY
        instance per day, each split into `parts` segments; returns the request id."""
        self.apps.setdefault(app, name)
        rid = self.add_request(app, access)
        rep = self.add_report(rid, INSTALLS)
        for day in days:
            self.add_instance(rep, day, segment_files(day_rows(app, name, day), parts))
        return rid

    def fail(self, route: str, status: int, times: int = 1, code: str = "", **headers: str):
        for _ in range(times):
            self.faults.append(Fault(route, status, dict(headers), code))

    # -- serving
    def take_fault(self, route: str) -> Fault | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault.route in (route, "any"):
                    return self.faults.pop(index)
        return None

    def presign(self, sid: str) -> str:
        expires = int(time.time() + self.link_life)
        if self.expire_links > 0:
            self.expire_links -= 1
            expires = int(time.time()) - 5
        sig = hmac.new(self._secret, f"{sid}:{expires}".encode(), "sha256").hexdigest()
        return f"{self.url}/s3/{sid}.txt.gz?" + urlencode(
            {"X-Amz-Expires": str(expires), "X-Amz-Signature": sig}
        )

    def check_presigned(self, sid: str, query: dict[str, list[str]]) -> int:
        expires = (query.get("X-Amz-Expires") or ["0"])[0]
        sig = (query.get("X-Amz-Signature") or [""])[0]
        good = hmac.new(self._secret, f"{sid}:{expires}".encode(), "sha256").hexdigest()
        if not hmac.compare_digest(sig, good):
            return 403
        if int(expires) < time.time():
            return 410  # (told apart below: S3 answers 403 for both)
        return 200

    def verify(self, header: str | None) -> str | None:
        """None if the bearer token is one Apple would accept, else why not."""
        if not header or not header.startswith("Bearer "):
            return "no bearer token"
        token = header[len("Bearer ") :]
        self.tokens.append(token)
        try:
            head = jwt.get_unverified_header(token)
        except jwt.exceptions.PyJWTError:
            return "not a JWT"
        if head.get("alg") != "ES256":
            return f"alg {head.get('alg')}"
        if head.get("kid") != KEY_ID:
            return "unknown kid"
        try:
            claims = jwt.decode(
                token,
                self.public_pem,
                algorithms=["ES256"],
                audience="appstoreconnect-v1",
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.exceptions.PyJWTError as exc:
            return type(exc).__name__
        if claims["iat"] > time.time() + 60:
            return "iat in the future"
        if claims["exp"] - claims["iat"] > 20 * 60:
            return "lifetime over 20 minutes"
        return None


def _page(items: list[dict], server: FakeASC, url: str, query: dict[str, list[str]]) -> dict:
    try:
        start = int((query.get("cursor") or ["0"])[0])
    except ValueError:
        start = -1
    if start < 0 or start > len(items):
        raise ValueError("bad cursor")
    limit = int((query.get("limit") or ["50"])[0])
    size = min(limit, server.page_size)
    body: dict = {"data": items[start : start + size], "links": {"self": url}}
    if start + size < len(items):
        rest = {k: v[0] for k, v in query.items() if k != "cursor"}
        rest["cursor"] = str(start + size)
        body["links"]["next"] = f"{server.url}{urlsplit(url).path}?{urlencode(rest)}"
    return body


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        fake = self.server.fake
        with fake.lock:
            fake.rate_remaining = max(0, fake.rate_remaining - 1)
            remaining = fake.rate_remaining
        sent = {
            "Content-Type": "application/json",
            "X-Rate-Limit": f"user-hour-lim:3500;user-hour-rem:{remaining}",
            **(headers or {}),
        }
        self._send(status, json.dumps(body).encode(), sent)

    def _error(self, status: int, code: str, detail: str, headers=None) -> None:
        self._json(
            status,
            {"errors": [{"status": str(status), "code": code, "title": code, "detail": detail}]},
            headers,
        )

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        path = parts.path
        auth = self.headers.get("Authorization")
        fake.log.append((method, path, auth is not None))
        if path.startswith("/s3/"):
            self._s3(path[len("/s3/") :].removesuffix(".txt.gz"), query, auth)
            return
        route = _route(method, path)
        why = fake.verify(auth)
        if why is not None:
            fake.refusals.append(why)
            self._error(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.")
            return
        fault = fake.take_fault(route)
        if fault is not None:
            code = fault.code or CODES.get(fault.status, "UNEXPECTED_ERROR")
            self._error(fault.status, code, "injected by the test", fault.headers)
            return
        url = f"{fake.url}{self.path}"
        try:
            self._json(
                200 if method == "GET" else 201, self._answer(method, route, path, query, url)
            )
        except KeyError:
            self._error(404, "NOT_FOUND", "The specified resource does not exist")
        except ValueError:
            self._error(400, "PARAMETER_ERROR.INVALID", "bad cursor")

    def _answer(self, method: str, route: str, path: str, query, url: str) -> dict:
        fake = self.server.fake
        seg = path.strip("/").split("/")
        if route == "apps":
            items = [{"type": "apps", "id": a, "attributes": {"name": n, "bundleId": f"com.x.{a}"}}
                     for a, n in sorted(fake.apps.items())]  # fmt: skip
            return _page(items, fake, url, query)
        if route == "requests":
            app = seg[2]
            if app not in fake.apps:
                raise KeyError(app)
            items = [
                {"type": "analyticsReportRequests", "id": rid,
                 "attributes": {"accessType": r["access"], "stoppedDueToInactivity": False}}
                for rid, r in fake.requests.items() if r["app"] == app
            ]  # fmt: skip
            return _page(items, fake, url, query)
        if route == "create":
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            data = body["data"]
            app = data["relationships"]["app"]["data"]["id"]
            if app not in fake.apps:
                raise KeyError(app)
            rid = fake.add_request(app, data["attributes"]["accessType"])
            attributes = {"accessType": data["attributes"]["accessType"]}
            return {
                "data": {"type": "analyticsReportRequests", "id": rid, "attributes": attributes}
            }
        if route == "reports":
            rid = seg[2]
            if rid not in fake.requests:
                raise KeyError(rid)
            wanted = (query.get("filter[name]") or [None])[0]
            items = [
                {"type": "analyticsReports", "id": rep,
                 "attributes": {"name": r["name"], "category": "APP_USAGE"}}
                for rep, r in fake.reports.items()
                if r["request"] == rid and (wanted is None or r["name"] == wanted)
            ]  # fmt: skip
            return _page(items, fake, url, query)
        if route == "instances":
            rep = seg[2]
            if rep not in fake.reports:
                raise KeyError(rep)
            granularity = (query.get("filter[granularity]") or [None])[0]
            items = [
                {"type": "analyticsReportInstances", "id": iid,
                 "attributes": {"granularity": "DAILY", "processingDate": i["day"].isoformat()}}
                for iid, i in fake.instances.items()
                if i["report"] == rep and granularity in (None, "DAILY")
            ]  # fmt: skip
            return _page(items, fake, url, query)
        if route == "segments":
            iid = seg[2]
            inst = fake.instances[iid]
            items = [
                {"type": "analyticsReportSegments", "id": sid,
                 "attributes": {"checksum": fake.segments[sid].md5,
                                "sizeInBytes": len(fake.segments[sid].data),
                                "url": fake.presign(sid)}}
                for sid in inst["segments"]
            ]  # fmt: skip
            return _page(items, fake, url, query)
        raise KeyError(path)

    def _s3(self, sid: str, query, auth: str | None) -> None:
        fake = self.server.fake
        if auth is not None:
            self._send(400, b"<Error><Code>InvalidArgument</Code><Message>Only one auth "
                       b"mechanism allowed</Message></Error>")  # fmt: skip
            return
        fault = fake.take_fault("s3")
        if fault is not None:
            self._send(fault.status, b"<Error/>", fault.headers)
            return
        verdict = fake.check_presigned(sid, query)
        if verdict != 200 or sid not in fake.segments:
            message = b"Request has expired" if verdict == 410 else b"Access Denied"
            self._send(403, b"<Error><Code>AccessDenied</Code><Message>" + message +
                       b"</Message></Error>")  # fmt: skip
            return
        segment = fake.segments[sid]
        data = segment.data
        if segment.corrupt:
            data = data[:-8] + b"\0" * 8
        self._send(200, data, {"Content-Type": "application/octet-stream"})


def _route(method: str, path: str) -> str:
    seg = path.strip("/").split("/")
    if method == "POST" and path == "/v1/analyticsReportRequests":
        return "create"
    if seg[:2] == ["v1", "apps"] and len(seg) == 2:
        return "apps"
    if seg[:2] == ["v1", "apps"] and seg[-1] == "analyticsReportRequests":
        return "requests"
    if seg[:2] == ["v1", "analyticsReportRequests"] and seg[-1] == "reports":
        return "reports"
    if seg[:2] == ["v1", "analyticsReports"] and seg[-1] == "instances":
        return "instances"
    if seg[:2] == ["v1", "analyticsReportInstances"] and seg[-1] == "segments":
        return "segments"
    return "unknown"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeASC


@pytest.fixture(scope="session")
def asc_keys() -> tuple[bytes, bytes]:
    """One key pair per session (generating one is cheap, but keep the tests deterministic)."""
    return make_key_pair()


@pytest.fixture
def fake_asc(asc_keys, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeASC]:
    """A running fake on 127.0.0.1 with the base-address setting pointing at it."""
    fake = FakeASC(asc_keys[1])
    server = _Server(("127.0.0.1", 0), Handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("INSTALLPULSE_ASC_API", fake.url)
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("INSTALLPULSE_FETCH_MAX_RETRY_AFTER", "2")
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
