"""A real HTTP server on 127.0.0.1 (threads, stdlib) that misbehaves on purpose.

Routes: /ok.csv, /slow-headers, /endless, /drip, /bomb.csv, /redirect?to=URL, /missing.csv,
/flaky.csv (503 + Retry-After: 1 once, then the CSV), /busy (503 + Retry-After: 3600).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

OK_CSV = b"date,app,metric,value\n2024-03-01,Fetched,installs,7\n2024-03-02,Fetched,installs,9\n"
BOMB = gzip.compress(b"0" * (8 * 1024 * 1024), compresslevel=9)  # ~8 KB on the wire


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        route = parts.path
        self.server.hits[route] = self.server.hits.get(route, 0) + 1
        self.server.hosts.append(self.headers.get("Host", ""))
        if route == "/ok.csv":
            self._send(200, OK_CSV, {"Content-Type": "text/csv"})
        elif route == "/slow-headers":
            time.sleep(3)
            self._send(200, OK_CSV)
        elif route in ("/endless", "/drip"):
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            piece = b"2024-03-01,Endless,installs,1\n" * (2000 if route == "/endless" else 1)
            try:
                while not self.server.stopping.is_set():
                    self.wfile.write(piece)
                    if route == "/drip":
                        time.sleep(0.2)
            except OSError:
                pass
        elif route == "/bomb.csv":
            self._send(200, BOMB, {"Content-Encoding": "gzip", "Content-Type": "text/csv"})
        elif route == "/redirect":
            target = parse_qs(parts.query)["to"][0]
            self._send(302, b"", {"Location": target})
        elif route == "/flaky.csv":
            if self.server.hits[route] == 1:
                self._send(503, b"busy", {"Retry-After": "1"})
            else:
                self._send(200, OK_CSV)
        elif route == "/busy":
            self._send(503, b"busy", {"Retry-After": "3600"})
        else:
            self._send(404, b"not here")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: dict[str, int] = {}
        self.hosts: list[str] = []
        self.stopping = threading.Event()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    httpd = Server()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.stopping.set()
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch, server: Server) -> Server:
    """The test server's host allowed, short timeouts, a 1 MB cap; hit counters reset."""
    monkeypatch.setenv("INSTALLPULSE_FETCH_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("INSTALLPULSE_FETCH_READ_TIMEOUT", "1")
    monkeypatch.setenv("INSTALLPULSE_FETCH_CONNECT_TIMEOUT", "2")
    monkeypatch.setenv("INSTALLPULSE_FETCH_DEADLINE", "15")
    monkeypatch.setenv("INSTALLPULSE_MAX_FILE_MB", "1")
    server.hits.clear()
    server.hosts.clear()
    return server
