"""Download an export from a URL for import, with every limit RELIABILITY.md 1.9/1.10 asks for.

* Only http and https. The host is resolved once; every address it resolves to must be
  public (no loopback, private, link-local, CGNAT, unspecified, multicast or IPv6 local
  ranges) unless the host is listed in INSTALLPULSE_FETCH_ALLOW_HOSTS. The connection then
  goes to that checked address (IP pinning: no second DNS answer can swap it), keeping the
  Host header and TLS server name of the URL.
* Redirects are followed by hand, at most INSTALLPULSE_FETCH_MAX_REDIRECTS, and each hop is
  checked like the first URL.
* Connect and read timeouts, plus a wall-clock deadline for the whole download. A per-read
  timeout restarts with every byte, so a server that sends one header byte a second would
  outlive it; the deadline is therefore kept by a watchdog thread that shuts down the
  connection's socket when time is up, whatever phase the request is in (TLS handshake,
  headers, body).
* The body is streamed to disk under INSTALLPULSE_MAX_FILE_MB. We ask for
  `Accept-Encoding: identity`; a server that compresses anyway is decoded here, counting the
  decoded bytes against the same cap (a 10 KB gzip bomb stops at the cap, not at 10 GB).
* Connection failures and 429/502/503/504 are retried a bounded number of times, honouring
  Retry-After up to INSTALLPULSE_FETCH_MAX_RETRY_AFTER seconds.

Errors are `FetchFailed` (an ImportFailed): one sentence naming the URL and what to do.
Proxies from the environment are ignored: a proxy would make the address checks meaningless.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
import zlib
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection

from pipelines import settings, sources
from pipelines.errors import ImportFailed, Problem

CHUNK = 64 * 1024
RETRY_STATUSES = {429, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
USER_AGENT = "installpulse (+https://github.com/installpulse)"


class FetchFailed(ImportFailed):
    """A URL could not be downloaded; nothing was imported (and no history row is written)."""


def display_url(url: str) -> str:
    """The URL without user:password, made printable and shortened for messages."""
    parts = urlsplit(url)
    try:
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return _clip(url)
    if ":" in host:
        host = f"[{host}]"
    if port:
        host = f"{host}:{port}"
    text = f"{parts.scheme}://{host}{parts.path}" if parts.scheme and host else url
    if parts.query:
        text += "?" + parts.query
    return _clip(text)


def _clip(text: str, limit: int = 160) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fail(url: str, message: str, hint: str | None = None) -> FetchFailed:
    return FetchFailed(display_url(url), [Problem(message, hint=hint)])


def _allowed_hosts() -> set[str]:
    raw = settings.get("INSTALLPULSE_FETCH_ALLOW_HOSTS")
    return {h.strip().lower().strip("[]") for h in raw.split(",") if h.strip()}


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global is False for loopback, RFC 1918, link-local, CGNAT 100.64/10, 0/8, ::1,
    # fc00::/7, fe80::/10 and the other special-purpose ranges.
    return address.is_global and not address.is_multicast


def resolve_checked(url: str) -> tuple[str, list[str], int]:
    """(host, the checked IPs we may connect to, port) after the scheme and address checks."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise _fail(
            url,
            f"only http and https URLs can be imported (this one is '{parts.scheme or 'none'}').",
            "Download the file yourself and import it from disk.",
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise _fail(url, "the URL has no host name.", "Check the address.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise _fail(url, "the URL's port is not a number between 0 and 65535.") from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise _fail(
            url,
            f"the host name '{host}' could not be resolved ({exc}).",
            "Check the address and the network connection.",
        ) from exc
    addresses = []
    for info in infos:
        text = str(info[4][0]).split("%")[0]
        addresses.append(ipaddress.ip_address(text))
    if not addresses:
        raise _fail(url, f"the host name '{host}' has no address.")
    allowed = _allowed_hosts()
    if host not in allowed:
        blocked = [str(a) for a in addresses if not _is_public(a)]
        if blocked:
            raise _fail(
                url,
                f"refused: '{host}' resolves to {', '.join(blocked[:3])}, a private, loopback "
                "or link-local address that URL imports may not reach.",
                "If this internal host is trusted, add it to INSTALLPULSE_FETCH_ALLOW_HOSTS.",
            )
    unique = list(dict.fromkeys(str(a) for a in addresses))
    return host, unique, port


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _Clock:
    """The download's deadline (INSTALLPULSE_FETCH_DEADLINE), kept by a watchdog.

    Every socket a request opens is registered with `watch`; when the deadline passes, the
    watchdog shuts them down, so a blocked read returns at once instead of waiting for a
    server that keeps each read alive with a byte at a time. `left` raises the deadline
    error once time is up (also after the watchdog fired), so any failure the shutdown
    causes is reported as the deadline, not as a broken connection. Use as a context manager:
    leaving it stops the watchdog and releases the watched sockets.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.limit = settings.get_float("INSTALLPULSE_FETCH_DEADLINE")
        self.end = time.monotonic() + self.limit
        self.expired = False
        self._lock = threading.Lock()
        # Duplicates of the connections' sockets: shutdown() acts on the connection, so a
        # duplicate still reaches it while TLS wraps (and detaches) the original object.
        self._watched: list[socket.socket] = []
        self._timer = threading.Timer(self.limit, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def __enter__(self) -> _Clock:
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            watched, self._watched = self._watched, []
        for sock in watched:
            sock.close()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._watched:
                _shutdown(sock)

    def watch(self, sock: socket.socket) -> socket.socket:
        """Register a new connection's socket; returns the handle to pass to `unwatch`."""
        handle = sock.dup()
        with self._lock:
            self._watched.append(handle)
            if self.expired:
                _shutdown(handle)
        return handle

    def unwatch(self, handle: socket.socket) -> None:
        """The connection closed normally: let its socket go (a kept duplicate would hold
        the connection open until the download ends)."""
        with self._lock:
            if handle in self._watched:
                self._watched.remove(handle)
        handle.close()

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if self.expired or remaining <= 0:
            raise _fail(
                self.url,
                f"the download took longer than {self.limit:g} s (INSTALLPULSE_FETCH_DEADLINE); "
                "stopped.",
                "Try again later, or download the file and import it from disk.",
            )
        return remaining

    def timeouts(self) -> tuple[float, float]:
        left = self.left()
        return (
            min(settings.get_float("INSTALLPULSE_FETCH_CONNECT_TIMEOUT"), left),
            min(settings.get_float("INSTALLPULSE_FETCH_READ_TIMEOUT"), left),
        )


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer or by us


def _watched_connection(base: type[HTTPConnection], clock: _Clock) -> type[HTTPConnection]:
    """`base` (urllib3's HTTP or HTTPS connection) registering its socket with `clock` as
    soon as TCP connects, before any TLS handshake or request byte."""

    class Watched(base):  # type: ignore[valid-type, misc]
        _watch_handle: socket.socket | None = None

        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            self._watch_handle = clock.watch(sock)
            return sock

        def close(self) -> None:
            try:
                super().close()
            finally:
                if self._watch_handle is not None:
                    clock.unwatch(self._watch_handle)
                    self._watch_handle = None

    Watched.watched_by = clock  # type: ignore[attr-defined]
    return Watched


class _PinnedAdapter(HTTPAdapter):
    """Connects to an address we checked, whatever DNS says later; keeps Host and SNI; puts
    every connection's socket under the download's deadline watchdog."""

    def __init__(self, address: str, clock: _Clock) -> None:
        self.address = address
        self.clock = clock
        super().__init__(max_retries=0)

    def send(self, request, *args, **kwargs):
        # urllib3 would name the pinned IP in Host; virtual hosts need the URL's host.
        parts = urlsplit(request.url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        request.headers.setdefault("Host", netloc)
        return super().send(request, *args, **kwargs)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        hostname = host_params["host"]
        host_params = {**host_params, "host": self.address}
        if host_params["scheme"] == "https":
            pool_kwargs = {**pool_kwargs, "server_hostname": hostname, "assert_hostname": hostname}
        pool = self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)
        if getattr(pool.ConnectionCls, "watched_by", None) is not self.clock:
            pool.ConnectionCls = _watched_connection(pool.ConnectionCls, self.clock)
        return pool


def _get_pinned(url: str, addresses: list[str], clock: _Clock) -> requests.Response:
    """GET through each checked address in turn until one connects (localhost may be ::1
    first while the server listens on 127.0.0.1 only)."""
    for index, address in enumerate(addresses):
        session = requests.Session()
        session.trust_env = False
        session.mount("http://", _PinnedAdapter(address, clock))
        session.mount("https://", _PinnedAdapter(address, clock))
        try:
            return session.get(
                url,
                stream=True,
                allow_redirects=False,
                timeout=clock.timeouts(),
                headers={"Accept-Encoding": "identity", "User-Agent": USER_AGENT},
            )
        except requests.exceptions.SSLError:
            raise  # the address answered; TLS failed (not a reason to try another)
        except requests.exceptions.ConnectionError:
            # Refused or unreachable (ConnectTimeout included): try the next checked address.
            # A read timeout is not caught here: that server answered and then hung.
            clock.left()  # unless the watchdog cut the connection: then that is the story
            if index == len(addresses) - 1:
                raise
    raise AssertionError("unreachable: resolve_checked returns at least one address")


def _open(url: str, clock: _Clock) -> requests.Response:
    """One GET of one URL (no redirects), with bounded retries."""
    retries = settings.get_int("INSTALLPULSE_FETCH_RETRIES")
    cap = settings.get_float("INSTALLPULSE_FETCH_MAX_RETRY_AFTER")
    attempt = 0
    while True:
        host, addresses, _ = resolve_checked(url)
        problem: str
        wait: float
        try:
            try:
                response = _get_pinned(url, addresses, clock)
            except requests.exceptions.RequestException:
                clock.left()  # a connection the watchdog cut fails as the deadline
                raise
        except requests.exceptions.ConnectTimeout as exc:
            problem, wait = f"could not connect to {host} in time ({exc.__class__.__name__}).", 0
        except requests.exceptions.ReadTimeout as exc:
            raise _fail(
                url,
                "the server did not answer within "
                f"{settings.get('INSTALLPULSE_FETCH_READ_TIMEOUT')} s "
                "(INSTALLPULSE_FETCH_READ_TIMEOUT).",
                "Try again later.",
            ) from exc
        except requests.exceptions.SSLError as exc:
            raise _fail(
                url,
                "the secure connection failed (TLS certificate or handshake error).",
                "Check the address; installpulse does not skip certificate checks.",
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            problem, wait = f"could not connect to {host} ({exc.__class__.__name__}).", 0
        except requests.exceptions.RequestException as exc:
            raise _fail(url, f"the request failed ({exc.__class__.__name__}).") from exc
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            asked = _retry_after(response.headers.get("Retry-After"))
            response.close()
            problem = f"the server answered {response.status_code} {response.reason}"
            if asked is not None and asked > cap:
                raise _fail(
                    url,
                    f"{problem} and asks to retry in {asked:.0f} s, longer than the "
                    f"{cap:g} s installpulse waits (INSTALLPULSE_FETCH_MAX_RETRY_AFTER).",
                    "Try again later.",
                )
            wait = asked if asked is not None else min(2.0**attempt, cap)
            problem += "."
        attempt += 1
        if attempt > retries:
            raise _fail(
                url,
                f"{problem} Gave up after {attempt} attempts (INSTALLPULSE_FETCH_RETRIES).",
                "Try again later.",
            )
        if wait >= clock.left():
            raise _fail(
                url,
                f"{problem} A retry in {wait:.0f} s would pass the "
                f"{clock.limit:g} s deadline (INSTALLPULSE_FETCH_DEADLINE).",
                "Try again later.",
            )
        time.sleep(wait)


def _name_for(url: str) -> str:
    last = unquote(urlsplit(url).path.rstrip("/").split("/")[-1])
    return sources.display_name(last) if last else "download"


def download(url: str, dest_dir: Path | str) -> tuple[Path, str]:
    """Download `url` into `dest_dir` under our own file name; (path, display name).

    Raises FetchFailed with a sentence naming the URL. The display name comes from the last
    URL path segment and is only ever shown (RELIABILITY.md 3.2 #38).
    """
    with _Clock(url) as clock:
        return _download(url, Path(dest_dir), clock)


def _download(url: str, dest: Path, clock: _Clock) -> tuple[Path, str]:
    current = url
    redirects = settings.get_int("INSTALLPULSE_FETCH_MAX_REDIRECTS")
    for _hop in range(redirects + 1):
        response = _open(current, clock)
        if response.status_code in REDIRECT_STATUSES:
            location = response.headers.get("Location")
            response.close()
            if not location:
                raise _fail(
                    current, f"the server answered {response.status_code} with no Location."
                )
            current = urljoin(current, location)
            continue
        break
    else:
        raise _fail(
            url,
            f"more than {redirects} redirects (INSTALLPULSE_FETCH_MAX_REDIRECTS).",
            "Use the final address of the file.",
        )
    with response:
        if response.status_code != 200:
            hint = {
                401: "The file needs a login: download it yourself and import it from disk.",
                403: "The server refuses access: check the link, or download it yourself.",
                404: "Check the address; the link may have expired.",
                410: "The link has expired; get a new one.",
            }.get(response.status_code, "Check the address, or try again later.")
            raise _fail(
                current, f"the server answered {response.status_code} {response.reason}.", hint
            )
        target = dest / "download.bin"
        _save(current, response, target, clock)
    return target, _name_for(current)


def _save(url: str, response: requests.Response, target: Path, clock: _Clock) -> None:
    limit_mb = settings.get_int("INSTALLPULSE_MAX_FILE_MB")
    limit = limit_mb * 1024 * 1024
    too_big = (
        f"is larger than {limit_mb} MB (INSTALLPULSE_MAX_FILE_MB); the download was stopped.",
        "Split the export, or raise INSTALLPULSE_MAX_FILE_MB if it is genuine.",
    )
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _fail(url, *too_big)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    decoder = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        decoder = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
    elif encoding not in ("", "identity"):
        raise _fail(url, f"the server sent the file compressed as '{encoding}', which is refused.")
    written = 0
    raw = response.raw
    try:
        with target.open("wb") as out:
            while True:
                clock.left()
                # read1 returns what has arrived (read(n) would wait for all n bytes, so a
                # slow drip could outlive the deadline inside one call).
                chunk = raw.read1(CHUNK, decode_content=False)
                if not chunk:
                    break
                if decoder is None:
                    pieces = [chunk]
                else:
                    pieces = []
                    data = chunk
                    while data:
                        # max_length bounds what one call may inflate: a bomb never
                        # materialises more than a chunk beyond the cap in memory.
                        pieces.append(decoder.decompress(data, CHUNK * 16))
                        data = decoder.unconsumed_tail
                for piece in pieces:
                    written += len(piece)
                    if written > limit:
                        if decoder is not None:
                            raise _fail(
                                url,
                                f"decompresses to more than {limit_mb} MB "
                                "(INSTALLPULSE_MAX_FILE_MB); refused as too large or a "
                                "decompression bomb.",
                                too_big[1],
                            )
                        raise _fail(url, *too_big)
                    out.write(piece)
            if decoder is not None:
                out.write(decoder.flush())
    except FetchFailed:
        target.unlink(missing_ok=True)
        raise
    except (
        requests.exceptions.RequestException,
        urllib3.exceptions.HTTPError,
        OSError,
        zlib.error,
    ) as exc:
        target.unlink(missing_ok=True)
        clock.left()  # the watchdog cut the connection: say so
        if "timed out" in str(exc).lower():
            reason = (
                "no bytes arrived for "
                f"{settings.get('INSTALLPULSE_FETCH_READ_TIMEOUT')} s, "
                "INSTALLPULSE_FETCH_READ_TIMEOUT"
            )
        else:
            reason = exc.__class__.__name__
        raise _fail(url, f"the download broke off ({reason}).", "Try again later.") from exc


def is_url(text: str) -> bool:
    """True for text the CLI should hand to `download` rather than open as a path (any
    scheme, so file:// and gopher:// get a clear refusal, not 'no such file')."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", text) is not None
