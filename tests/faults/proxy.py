"""A small real reverse proxy on 127.0.0.1 for the fault suite (RELIABILITY.md F15): it forwards
HTTP and WebSocket connections to the app byte for byte, and can misbehave as deployed proxies
do - drop the `_streamlit_xsrf` cookie from requests (a CDN or gateway that forwards only
cookies it knows), or refuse request bodies over a limit with 413 (nginx's
client_max_body_size) before reading them.

Each browser connection carries one request (the proxy asks for `Connection: close`), so the
proxy sees every request's head; a WebSocket upgrade is piped both ways until either side ends.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

XSRF_COOKIE = "_streamlit_xsrf"
_HEAD_LIMIT = 64 * 1024


def _read_head(conn: socket.socket) -> tuple[bytes, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk or len(data) > _HEAD_LIMIT:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    """Copy src to dst until src ends, then half-close dst (the other direction goes on). If
    dst stops taking bytes (it answered early and closed), src is still read to its end, so
    a sender is never stuck on a full buffer before it reads the answer."""
    try:
        while chunk := src.recv(65536):
            try:
                dst.sendall(chunk)
            except OSError:
                while src.recv(65536):  # (drain: like nginx's lingering close)
                    pass
                break
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class Proxy:
    """`with Proxy(app_port, drop_xsrf=..., body_limit=...) as url:` the app through a proxy."""

    def __init__(
        self,
        app_port: int,
        drop_xsrf: bool = False,
        body_limit: int | None = None,
        websocket: bool = True,
    ) -> None:
        self.app_port = app_port
        self.drop_xsrf = drop_xsrf
        self.body_limit = body_limit
        self.websocket = websocket  # False: Upgrade headers dropped (nginx without them)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.refused: list[int] = []  # status codes the proxy answered itself
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: TracebackType | None):
        self._stop.set()
        try:
            self.server.shutdown(socket.SHUT_RDWR)  # (wakes the blocked accept on Linux)
        except OSError:
            pass
        self.server.close()
        self._thread.join(10)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, client: socket.socket) -> None:
        with client:
            read = _read_head(client)
            if read is None:
                return
            head, rest = read
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            headers = [line.split(":", 1) for line in header_lines if ":" in line]
            names = {name.strip().lower(): value.strip() for name, value in headers}
            length = int(names.get("content-length") or 0)
            if self.body_limit is not None and length > self.body_limit:
                self.refused.append(413)
                body = b"<html><body><h1>413 Request Entity Too Large</h1></body></html>"
                client.sendall(
                    b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: text/html\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
                )
                return
            upgrade = self.websocket and "upgrade" in names.get("connection", "").lower()
            out = [request_line]
            for name, value in headers:
                key = name.strip().lower()
                if key == "cookie" and self.drop_xsrf:
                    kept = [c for c in value.split(";") if c.strip().split("=")[0] != XSRF_COOKIE]
                    if not kept:
                        continue
                    value = ";".join(kept)
                if key in ("connection", "keep-alive", "upgrade") and not upgrade:
                    continue
                out.append(f"{name}:{value}")
            if not upgrade:
                out.append("Connection: close")
            try:
                upstream = socket.create_connection(("127.0.0.1", self.app_port))
            except OSError:
                return
            with upstream:
                upstream.sendall("\r\n".join(out).encode("latin-1") + b"\r\n\r\n" + rest)
                back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                back.start()
                _pipe(client, upstream)
                back.join(60)
