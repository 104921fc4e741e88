"""Deployment smoke check (RELIABILITY.md F15): before users upload through a reverse proxy,
check that the proxy lets an upload reach the app.

Two proxy settings break Streamlit uploads with messages users cannot act on: a proxy (or CDN,
or single-sign-on gateway) that drops the `_streamlit_xsrf` cookie makes every upload fail
with "AxiosError: Request failed with status code 403" (streamlit#5793, #8224), and a request
body limit below the app's `server.maxUploadSize` (nginx's default is 1 MB, many are 10 MB)
makes larger uploads fail with 413 (streamlit#8983). The WebSocket must be forwarded too, or
no page works at all.

`python -m pipelines.deploy_check URL [--upload-mb N]` asks the app at URL, through whatever
stands in front of it, what a browser would: `/_stcore/health` (which sets the XSRF cookie),
a WebSocket handshake on `/_stcore/stream`, and an upload of N MB (default 11) with the
cookie and its token to the upload endpoint under a made-up session. That upload cannot be
stored, but how it is refused says how far it got: Streamlit's "Invalid session_id" (400)
means it passed the proxy's body limit and the XSRF check; 403 means the cookie was lost on
the way; 413 means the proxy's body limit is below N MB. Nothing is written to the app.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import http.cookiejar
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

XSRF_COOKIE = "_streamlit_xsrf"
APP_UPLOAD_MB = 500  # server.maxUploadSize in .streamlit/config.toml (installpulse app too)
_SESSION = "installpulse-deploy-check"  # never a real session: nothing is stored


@dataclass
class Report:
    """What the check found: `ok` lines, and `problems` (each a sentence with what to do)."""

    url: str
    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [f"Deployment check of {self.url}:"]
        lines += [f"  ok: {line}" for line in self.ok]
        lines += [f"  PROBLEM: {line}" for line in self.problems]
        return "\n".join(lines)


def _base(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL of the app")
    return parts


def _connection(parts: urllib.parse.SplitResult, timeout: float) -> http.client.HTTPConnection:
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "installpulsedeploycheck" + os.urandom(8).hex()
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        'filename="deploy-check.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    line = b"date,app,metric,value\n"
    body = (line * (size // len(line) + 1))[:size]
    return head + body + tail, f"multipart/form-data; boundary={boundary}"


def check(url: str, upload_mb: float = 11.0, timeout: float = 60.0) -> Report:
    """Run the three probes against the app at `url` (as a browser reaches it)."""
    parts = _base(url)
    prefix = parts.path
    report = Report(url)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    # 1. The app answers, and sets its XSRF cookie.
    try:
        with opener.open(url.rstrip("/") + "/_stcore/health", timeout=timeout) as reply:
            answer = reply.read(100).strip()
    except (urllib.error.URLError, OSError) as exc:
        report.problems.append(
            f"{url}/_stcore/health did not answer ({getattr(exc, 'reason', exc)}): the proxy "
            "does not reach the app, or the app is not running."
        )
        return report
    if answer != b"ok":
        report.problems.append(f"/_stcore/health answered {answer[:40]!r}, not 'ok'.")
        return report
    report.ok.append("the app answers /_stcore/health")
    cookie = next((c.value for c in jar if c.name == XSRF_COOKIE), None)
    if cookie is None:
        report.problems.append(
            f"no {XSRF_COOKIE} cookie came back from /_stcore/health: the proxy drops or "
            "renames Set-Cookie headers (or the app runs without XSRF protection, which "
            "installpulse's config turns on), so every upload will fail with 'AxiosError: "
            f"Request failed with status code 403'. Let the proxy pass the {XSRF_COOKIE} "
            "cookie unchanged in both directions."
        )
    # 2. The WebSocket is forwarded (every page needs it).
    con = _connection(parts, timeout)
    try:
        con.request(
            "GET",
            prefix + "/_stcore/stream",
            headers={
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Protocol": "streamlit",
            },
        )
        status = con.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        status = f"no answer ({exc})"
    finally:
        con.close()
    if status == 101:
        report.ok.append("the WebSocket /_stcore/stream is forwarded")
    else:
        report.problems.append(
            f"the WebSocket handshake on /_stcore/stream got {status}, not 101: the proxy does "
            "not forward WebSocket upgrades, so no page can run (nginx: proxy_http_version "
            "1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "
            '"upgrade";).'
        )
    # 3. An upload of upload_mb reaches Streamlit's upload endpoint with the cookie's token.
    size = int(upload_mb * 1024 * 1024)
    body, content_type = _multipart(size)
    headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
    if cookie is not None:
        headers["X-Xsrftoken"] = cookie
        headers["Cookie"] = f"{XSRF_COOKIE}={cookie}"
    con = _connection(parts, timeout)
    try:
        try:
            con.request(
                "PUT", f"{prefix}/_stcore/upload_file/{_SESSION}/deploy-check", body, headers
            )
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered (and closed) before the whole body arrived: read the answer
        reply = con.getresponse()
        status, text = reply.status, reply.read(2000).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        status, text = 0, str(exc)
    finally:
        con.close()
    mb = f"{upload_mb:g} MB"
    if status == 400 and "Invalid session_id" in text:
        report.ok.append(f"an upload of {mb} reaches the app with its XSRF token")
    elif status == 403:
        report.problems.append(
            f"an upload of {mb} was refused with 403 (XSRF token missing or invalid): the "
            f"proxy drops, renames or re-encodes the {XSRF_COOKIE} cookie, so users' uploads "
            "fail with 'AxiosError: Request failed with status code 403'. Let the proxy pass "
            "that cookie unchanged (and do not turn XSRF protection off)."
        )
    elif status == 413:
        report.problems.append(
            f"an upload of {mb} was refused with 413 (request body too large) by the proxy: "
            f"raise its body limit to the app's upload limit, {APP_UPLOAD_MB} MB (nginx: "
            f"client_max_body_size {APP_UPLOAD_MB}m;), or users' larger uploads fail with "
            "'AxiosError: Request failed with status code 413'."
        )
    else:
        report.problems.append(
            f"an upload of {mb} got {status or 'no answer'} ({text.strip()[:200]}), not the app's "
            "'Invalid session_id' refusal: something between the browser and the app stops it."
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.deploy_check",
        description="Check that uploads and the WebSocket get through the proxy in front of "
        "the app (the XSRF cookie, the request body limit, WebSocket upgrades).",
    )
    parser.add_argument("url", help="the app's address as users open it, e.g. https://host/")
    parser.add_argument(
        "--upload-mb",
        type=float,
        default=11.0,
        help="size of the test upload (default 11: just over the common 10 MB proxy limit)",
    )
    args = parser.parse_args(argv)
    try:
        report = check(args.url, args.upload_mb)
    except ValueError as exc:
        print(f"deploy_check: {exc}", file=sys.stderr)
        return 2
    print(report.render())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
