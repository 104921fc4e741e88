"""A local stand-in for Sensor Tower's `GET /v1/{ios|android|unified}/sales_report_estimates`
(real `requests` calls, no mocked HTTP layer).

What it checks, as Sensor Tower does: `auth_token` must be the account's token (else 401
`{"error": "Invalid authentication token"}`); `app_ids`, `start_date`, `end_date` present
(else 422); `date_granularity=daily` (the only granularity the adapter imports); at most
MAX_APP_IDS ids a request. The answer is a JSON array of the stored records of those apps,
countries and days (no paging); nothing matching is an empty 200 (`[]`). Faults can queue a
429 with Retry-After, 5xx or 401/403. The log records the query without the token.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

TOKEN = "st_live_7f3a9c2e5b1d4068a9e2c7b3f1d5e8a0"
MAX_APP_IDS = 100


def ios_records(app: int, countries: list[str], first: date, days: int) -> list[dict]:
    """iOS estimates with small numbers the tests add by hand: iu = 100 + day of month (+10
    in DE), au = 7, ir = 1234 + day (cents), ar = 5 (cents)."""
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        for country in countries:
            extra = 10 if country == "DE" else 0
            units = {"iu": 100 + day.day + extra, "ir": 1234 + day.day, "au": 7, "ar": 5}
            out.append({"aid": app, "cc": country, "d": day.isoformat(), **units})
    return out


@dataclass
class Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class FakeSensorTower:
    def __init__(self) -> None:
        self.records: dict[str, list[dict]] = {"ios": [], "android": [], "unified": []}
        self.faults: list[Fault] = []
        self.log: list[dict[str, str]] = []
        self.tokens: list[str] = []
        self.url = ""
        self.lock = threading.Lock()

    def fail(self, status: int, times: int = 1, **headers: str) -> None:
        self.faults += [Fault(status, dict(headers)) for _ in range(times)]


class Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        fake = self.server.fake
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        token = query.pop("auth_token", None)
        if token:
            fake.tokens.append(token)
        fake.log.append({"path": parts.path, **query})
        seg = parts.path.strip("/").split("/")
        if len(seg) != 3 or seg[0] != "v1" or seg[2] != "sales_report_estimates":
            self._send(404, {"error": "Not Found"})
            return
        if seg[1] not in fake.records:
            self._send(404, {"error": "Not Found"})
            return
        if token != TOKEN:
            self._send(401, {"error": "Invalid authentication token"})
            return
        with fake.lock:
            fault = fake.faults.pop(0) if fake.faults else None
        if fault is not None:
            self._send(fault.status, {"error": "injected by the test"}, fault.headers)
            return
        missing = [k for k in ("app_ids", "start_date", "end_date") if not query.get(k)]
        if missing:
            self._send(422, {"errors": [f"{k} is required" for k in missing]})
            return
        if query.get("date_granularity") != "daily":
            self._send(422, {"errors": ["date_granularity must be daily for this test"]})
            return
        ids = query["app_ids"].split(",")
        if len(ids) > MAX_APP_IDS:
            self._send(422, {"errors": [f"at most {MAX_APP_IDS} app_ids"]})
            return
        countries = set(query.get("countries", "").split(",")) - {""}
        start, end = query["start_date"], query["end_date"]
        found = [
            r
            for r in fake.records[seg[1]]
            if str(r.get("aid", r.get("app_id"))) in ids
            and (not countries or r.get("cc", r.get("c", r.get("country"))) in countries)
            and start <= r.get("d", r.get("date", "")) <= end
        ]
        self._send(200, found)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSensorTower


@contextlib.contextmanager
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSensorTower]:
    """A running fake on 127.0.0.1, the base-address setting and the token variable set."""
    fake = FakeSensorTower()
    server = _Server(("127.0.0.1", 0), Handler)
    server.fake = fake
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("INSTALLPULSE_SENSORTOWER_API", fake.url)
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("INSTALLPULSE_FETCH_MAX_RETRY_AFTER", "2")
    monkeypatch.setenv("SENSORTOWER_TOKEN", TOKEN)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_sensortower(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSensorTower]:
    with serve(monkeypatch) as fake:
        yield fake
