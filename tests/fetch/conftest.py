"""A real HTTP server on 127.0.0.1 (threads, stdlib) that misbehaves on purpose.

Routes: /ok.csv, /slow-headers, /endless, /drip, /bomb.csv, /redirect?to=URL, /missing.csv,
/flaky.csv (503 + Retry-After: 1 once, then the CSV), /busy (503 + Retry-After: 3600),
/trickle-headers (one header byte every 50 ms), /big.csv (a declared 2 MB body).

The trickling routes stop on their own after TRICKLE_CAP_S (so a client that never hangs up
cannot hang the test run) and record in `server.outcomes` whether the client hung up first or
the cap was reached: a test asserts "the client gave up", an observation of the server, not a
stopwatch reading of the test's own run time.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

TRICKLE_CAP_S = 6.0  # the server's own give-up time; deadlines under test are 10x shorter
TRICKLE_STEP_S = 0.05
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

    def _trickle(self, route: str, piece: bytes, ending: bytes) -> None:
        """Send `piece` every TRICKLE_STEP_S until the client hangs up or the cap is reached
        (then `ending`); waits on the server's stop event, not time.sleep (which a test may
        replace)."""
        started = time.monotonic()
        try:
            while time.monotonic() - started < TRICKLE_CAP_S:
                self.wfile.write(piece)
                if self.server.stopping.wait(TRICKLE_STEP_S):
                    return
            self.server.outcomes[route] = "cap reached"
            self.wfile.write(ending)
        except OSError:
            self.server.outcomes[route] = "client hung up"
        finally:
            self.server.finished(route)

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
        elif route == "/trickle-headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nX-Slow: ")
            self._trickle(route, b"a", b"\r\nContent-Length: %d\r\n\r\n" % len(OK_CSV) + OK_CSV)
        elif route == "/big.csv":
            body = b"2024-03-01,Big,installs,1\n" * 80_000  # 2 MB, declared up front
            self._send(200, body, {"Content-Type": "text/csv"})
        elif route in ("/endless", "/drip"):
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            piece = b"2024-03-01,Endless,installs,1\n" * (2000 if route == "/endless" else 1)
            if route == "/drip":
                self._trickle(route, piece, b"")
                return
            try:
                while not self.server.stopping.is_set():
                    self.wfile.write(piece)
            except OSError:
                self.server.outcomes[route] = "client hung up"
            finally:
                self.server.finished(route)
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
        self.outcomes: dict[str, str] = {}
        self._done: dict[str, threading.Event] = {}

    def finished(self, route: str) -> None:
        self._done.setdefault(route, threading.Event()).set()

    def outcome(self, route: str) -> str:
        """How the handler of `route` ended; waits (bounded by the cap) for it to end."""
        self._done.setdefault(route, threading.Event()).wait(TRICKLE_CAP_S + 5)
        return self.outcomes.get(route, "still running")

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
    server.outcomes.clear()
    server._done.clear()
    return server


class TlsTrickler:
    """A raw socket server that answers a TLS ClientHello with the header of a 16 KB
    handshake record and then one byte of it every TRICKLE_STEP_S: the handshake never
    completes and never times out per read. `outcome` is as for Server.outcome."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.result = "still running"
        self.done = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        started = time.monotonic()
        with conn:
            try:
                conn.recv(4096)  # the ClientHello
                conn.sendall(b"\x16\x03\x03\x40\x00")  # handshake record, 16384 bytes long
                while time.monotonic() - started < TRICKLE_CAP_S:
                    conn.sendall(b"\x00")
                    if self.stopping.wait(TRICKLE_STEP_S):
                        return
                self.result = "cap reached"
            except OSError:
                self.result = "client hung up"
            finally:
                self.done.set()

    def outcome(self) -> str:
        self.done.wait(TRICKLE_CAP_S + 5)
        return self.result

    def close(self) -> None:
        self.stopping.set()
        self.listener.close()


@pytest.fixture
def tls_trickler() -> Iterator[TlsTrickler]:
    trickler = TlsTrickler()
    yield trickler
    trickler.close()
