"""HTTP for connectors: the guards of pipelines/fetch.py (address checks with IP pinning,
connect/read timeouts, a wall-clock deadline kept by a watchdog, byte caps, gzip decoded under
the cap, proxies ignored) for API calls that need headers, methods and bodies.

* Redirects are never followed for API calls (a redirect would carry the Authorization header
  to wherever it points); a download without credentials (a pre-signed link) follows them,
  each hop checked like the first.
* 429 and 502/503/504 are retried INSTALLPULSE_FETCH_RETRIES times, waiting what Retry-After
  asks (at most INSTALLPULSE_FETCH_MAX_RETRY_AFTER s; asked for longer, the call stops with a
  'try later' sentence); without Retry-After, 1, 2, 4 ... s. `on_wait` hears about each wait.
* Messages name the service and the URL's path, never its query (tokens travel there for some
  providers) and never a header.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from pipelines import fetch, settings
from pipelines.connectors.base import ConnectorError
from pipelines.errors import ImportFailed

API_MAX_BYTES = 64 * 1024 * 1024  # one JSON answer (Sensor Tower batches stay far below)
RETRY_STATUSES = fetch.RETRY_STATUSES


@dataclass
class Reply:
    """A finished HTTP exchange: status, headers and (for API calls) the body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    where: str  # service and path, for messages

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeError, ValueError) as exc:
            raise ConnectorError(
                f"{self.where} answered {self.status} with a body that is not JSON; the "
                "service may be down or the base address wrong - try again later."
            ) from exc


def shown(url: str) -> str:
    """The URL without query or credentials, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


class Api:
    """Calls to one service (`name` is how messages call it, e.g. "App Store Connect")."""

    def __init__(self, name: str, base: str, on_wait: Callable[[str], None] | None = None) -> None:
        self.name = name
        self.base = base.rstrip("/")
        self.on_wait = on_wait

    def url(self, path: str) -> str:
        """An absolute URL as is; a path joined to the base address."""
        if "://" in path:
            return path
        return self.base + "/" + path.lstrip("/")

    # -- API calls
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, str] | None = None,
    ) -> Reply:
        """One API call; the reply whatever its status (callers word 4xx), after retries."""
        url = self.url(url)
        with fetch._Clock(shown(url)) as clock:
            response = self._send(method, url, clock, headers, params, json_body, data)
            with response:
                body = self._read(url, response, clock)
        return Reply(
            response.status_code,
            response.reason or "",
            dict(response.headers),
            body,
            f"{self.name} ({shown(url)})",
        )

    def download(
        self, url: str, target: Path, *, headers: Mapping[str, str] | None = None
    ) -> Reply:
        """Stream a file to `target` under INSTALLPULSE_MAX_FILE_MB. Redirects are followed
        only without `headers` (credentials never travel to another address). A non-200
        answer is returned with an empty body and nothing written."""
        current = self.url(url)
        hops = settings.get_int("INSTALLPULSE_FETCH_MAX_REDIRECTS")
        with fetch._Clock(shown(current)) as clock:
            for _ in range(hops + 1):
                response = self._send("GET", current, clock, headers, None, None, None)
                if response.status_code in fetch.REDIRECT_STATUSES and not headers:
                    location = response.headers.get("Location")
                    response.close()
                    if not location:
                        break
                    current = urljoin(current, location)
                    continue
                break
            else:
                raise ConnectorError(
                    f"{self.name}: more than {hops} redirects for {shown(url)}; try again later."
                )
            with response:
                reply = Reply(
                    response.status_code,
                    response.reason or "",
                    dict(response.headers),
                    b"",
                    f"{self.name} ({shown(current)})",
                )
                if response.status_code == 200:
                    try:
                        fetch._save(shown(current), response, target, clock)
                    except ImportFailed as exc:
                        raise self._error(exc) from exc
        return reply

    # -- internals
    def _error(self, exc: ImportFailed) -> ConnectorError:
        problem = exc.problems[0] if exc.problems else None
        text = problem.message if problem else str(exc)
        hint = f" {problem.hint}" if problem and problem.hint else ""
        return ConnectorError(f"{self.name}: {exc.file_name}: {text}{hint}")

    def _send(
        self,
        method: str,
        url: str,
        clock: fetch._Clock,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, str] | None,
    ) -> requests.Response:
        retries = settings.get_int("INSTALLPULSE_FETCH_RETRIES")
        cap = settings.get_float("INSTALLPULSE_FETCH_MAX_RETRY_AFTER")
        attempt = 0
        while True:
            try:
                response = self._once(method, url, clock, headers, params, json_body, data)
            except ImportFailed as exc:
                raise self._error(exc) from exc
            except requests.exceptions.RequestException as exc:
                try:
                    clock.left()
                except ImportFailed as late:
                    raise self._error(late) from exc
                problem, wait = f"could not reach {shown(url)} ({type(exc).__name__})", None
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                wait = fetch._retry_after(response.headers.get("Retry-After"))
                response.close()
                problem = f"{shown(url)} answered {response.status_code} {response.reason}"
                if response.status_code == 429:
                    problem += " (rate limit)"
                if wait is not None and wait > cap:
                    raise ConnectorError(
                        f"{self.name}: {problem} and asks to wait {wait:.0f} s, longer than "
                        f"the {cap:g} s installpulse waits (INSTALLPULSE_FETCH_MAX_RETRY_AFTER)"
                        "; nothing more was fetched - sync again later."
                    )
            attempt += 1
            if attempt > retries:
                raise ConnectorError(
                    f"{self.name}: {problem}; gave up after {attempt} attempts "
                    "(INSTALLPULSE_FETCH_RETRIES) - sync again later."
                )
            wait = wait if wait is not None else min(2.0 ** (attempt - 1), cap)
            try:
                left = clock.left()
            except ImportFailed as exc:
                raise self._error(exc) from exc
            if wait >= left:
                raise ConnectorError(
                    f"{self.name}: {problem}; a retry in {wait:.0f} s would pass the "
                    f"{clock.limit:g} s deadline (INSTALLPULSE_FETCH_DEADLINE) - sync again later."
                )
            if self.on_wait is not None:
                self.on_wait(f"{self.name}: {problem}; waiting {wait:.0f} s as asked.")
            time.sleep(wait)

    def _once(
        self,
        method: str,
        url: str,
        clock: fetch._Clock,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        json_body: Any,
        data: Mapping[str, str] | None,
    ) -> requests.Response:
        _host, addresses, _port = fetch.resolve_checked(shown(url))
        sent = {"Accept-Encoding": "identity", "User-Agent": fetch.USER_AGENT}
        sent.update(headers or {})
        for index, address in enumerate(addresses):
            session = requests.Session()
            session.trust_env = False
            adapter = fetch._PinnedAdapter(address, clock)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            try:
                return session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=sent,
                    stream=True,
                    allow_redirects=False,
                    timeout=clock.timeouts(),
                )
            except requests.exceptions.SSLError:
                raise
            except requests.exceptions.ConnectionError:
                clock.left()
                if index == len(addresses) - 1:
                    raise
        raise AssertionError("unreachable: resolve_checked returns at least one address")

    def _read(self, url: str, response: requests.Response, clock: fetch._Clock) -> bytes:
        """The body, decoded, under INSTALLPULSE_MAX_FILE_MB (fetch's capped writer) and
        API_MAX_BYTES."""
        with tempfile.TemporaryDirectory(prefix="installpulse-api-") as tmp:
            target = Path(tmp) / "body"
            try:
                fetch._save(shown(url), response, target, clock)
            except ImportFailed as exc:
                raise self._error(exc) from exc
            if target.stat().st_size > API_MAX_BYTES:
                raise ConnectorError(
                    f"{self.name}: the answer of {shown(url)} is larger than "
                    f"{API_MAX_BYTES // 2**20} MB; ask for fewer apps or days per sync."
                )
            return target.read_bytes()
