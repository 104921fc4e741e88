"""A local stand-in for the Appfigures API v2, for the Appfigures connector tests (real
`requests` calls through pipelines/fetch.py, no mocked HTTP layer).

What it checks, as Appfigures does:

* every request carries `Authorization: Bearer <personal access token>` with the token the test
  gave it (else 401 with Appfigures' JSON error);
* a daily quota: each request counts, every answer says `X-Request-Limit` and
  `X-Request-Usage`; past the limit the answer is **420** ("Chill Out!"), not 429;
* `GET /v2/reports/sales` needs `start_date`, `end_date` (ISO, start <= end), `granularity`
  `daily`, `format=json` and `group_by` from dates/products/countries; the JSON is nested by the
  group_by pivots in the order asked, each product leaf carrying its `product` object (id, name,
  store), only for the `products=` asked (all of the account's otherwise);
* `GET /v2/products/mine`: the account's products keyed by id.

Faults are queued with `fail` (e.g. 429 with Retry-After, 500). Requests are recorded (path,
query, whether an Authorization header came); the token itself is never logged.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

TOKEN = "pat_af_3c1e0f9b2d7a4e6c8b5a1f0e9d8c7b6a"


class Handler(BaseHTTPRequestHandler):
    server: FakeAppfigures
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        base = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Request-Limit": str(self.server.limit),
            "X-Request-Usage": str(self.server.usage),
        }
        for key, value in {**base, **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, json.dumps({"status": status, "message": message}).encode())

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.server.requests.append(
            {
                "path": parts.path,
                "query": query,
                "authorized": "Authorization" in self.headers,
            }
        )
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            self._error(401, "Invalid or expired access token.")
            return
        with self.server.lock:
            self.server.usage += 1
            over = self.server.usage > self.server.limit
        if over:
            self._send(
                420,
                json.dumps({"status": 420, "message": "Chill Out! Rate limit exceeded."}).encode(),
            )
            return
        if self.server.faults:
            if self.server.faults[0][0] > 0:
                self.server.faults[0][0] -= 1
            else:
                _, status, headers, body = self.server.faults.pop(0)
                self._send(status, body, headers)
                return
        if parts.path == "/v2/products/mine":
            self._send(200, json.dumps(self.server.products).encode())
        elif parts.path == "/v2/reports/sales":
            self._sales(query)
        else:
            self._error(404, "Not found.")

    def _sales(self, query: dict[str, list[str]]) -> None:
        def one(name: str) -> str | None:
            return query[name][0] if name in query else None

        try:
            start = date.fromisoformat(one("start_date") or "")
            end = date.fromisoformat(one("end_date") or "")
        except ValueError:
            self._error(400, "start_date and end_date must be yyyy-mm-dd.")
            return
        if start > end:
            self._error(400, "start_date is after end_date.")
            return
        if one("granularity") != "daily" or one("format") != "json":
            self._error(400, "Unsupported granularity or format.")
            return
        pivots = (one("group_by") or "").split(",")
        if not pivots or any(p not in ("dates", "products", "countries") for p in pivots):
            self._error(400, "Invalid group_by.")
            return
        wanted = set((one("products") or "").split(",")) - {""}
        tree: dict[str, object] = {}
        for (day, product, country), metrics in sorted(self.server.sales.items()):
            if not (start <= date.fromisoformat(day) <= end):
                continue
            if wanted and product not in wanted:
                continue
            keys = {"dates": day, "products": product, "countries": country}
            node = tree
            for pivot in pivots[:-1]:
                node = node.setdefault(keys[pivot], {})  # type: ignore[assignment]
            info = self.server.products[product]
            node[keys[pivots[-1]]] = {
                **metrics,
                "product": {"id": int(product), "name": info["name"], "store": info["store"]},
            }
        self._send(200, json.dumps(tree, indent=2).encode())


class FakeAppfigures(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.token = TOKEN
        self.limit = 1000
        self.usage = 0
        self.lock = threading.Lock()
        self.products: dict[str, dict[str, object]] = {}
        self.sales: dict[tuple[str, str, str], dict[str, object]] = {}
        self.faults: list[list] = []  # [requests to let through, status, headers, body]
        self.requests: list[dict[str, object]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add_product(self, product: str, name: str, store: str, vendor_identifier: str) -> None:
        self.products[product] = {
            "id": int(product),
            "name": name,
            "developer": "Example Labs",
            "store": store,
            "vendor_identifier": vendor_identifier,
            "type": "app",
        }

    def add_day(self, day: str, product: str, country: str, **metrics: object) -> None:
        self.sales[(day, product, country)] = metrics

    def fail(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"",
             times: int = 1, after: int = 0) -> None:  # fmt: skip
        """The next `times` requests get `status`, once `after` requests went through."""
        for i in range(times):
            self.faults.append([after if i == 0 else 0, status, headers or {}, body])

    def sales_requests(self) -> list[dict[str, object]]:
        return [r for r in self.requests if r["path"] == "/v2/reports/sales"]


@pytest.fixture(name="fake_appfigures")
def fake_appfigures_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAppfigures]:
    """A started FakeAppfigures; INSTALLPULSE_APPFIGURES_API points at it, 127.0.0.1 is let
    through pipelines/fetch.py's address checks, and the token is in an environment variable
    (APPFIGURES_TOKEN) as a connection's secret reference would name it."""
    server = FakeAppfigures()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("INSTALLPULSE_FETCH_READ_TIMEOUT", "5")
    monkeypatch.setenv("INSTALLPULSE_FETCH_DEADLINE", "30")
    monkeypatch.setenv("INSTALLPULSE_APPFIGURES_API", server.base)
    monkeypatch.setenv("APPFIGURES_TOKEN", TOKEN)
    yield server
    server.shutdown()
    server.server_close()
