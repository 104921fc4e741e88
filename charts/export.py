"""Server-side PNG/SVG export through kaleido 1.x and the system Chromium.

Measured on this platform (PLATFORM.md): a one-shot `fig.to_image()` starts a new
Chromium per image (2-2.8 s), while one persistent `kaleido.start_sync_server()` makes
later images cost ~0.2 s. The server is a process-wide singleton that is NOT thread-safe
(4 threads x 15 exports without a lock returned 22 images in the wrong format), and
Streamlit runs every session in its own thread, so every export holds one lock.
kaleido can hang (plotly/Kaleido#110) and its sync call has no timeout, so the call runs
in a worker thread and the caller stops waiting after `export_timeout()` seconds.
Nothing here downloads a browser: `kaleido.get_chrome()` fails on this network.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import time
from pathlib import Path

import kaleido
import plotly.graph_objects as go

from pipelines import settings

BROWSER_ENV = "BROWSER_PATH"
TIMEOUT_ENV = "INSTALLPULSE_EXPORT_TIMEOUT"  # declared, with its default, in pipelines.settings
DEFAULT_TIMEOUT_S = float(settings.SETTINGS[TIMEOUT_ENV].default)
DEFAULT_BROWSER = "/usr/bin/chromium"
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")
FORMATS = ("png", "svg", "pdf")
INSTALL_HINT = (
    "Image export needs Chromium: install it with `apt-get install chromium` or set "
    "BROWSER_PATH; the chart's camera button still works."
)

_lock = threading.Lock()
_server_started = False
# Duration of the last successful export, for the page and for measurement.
last_export_seconds: float | None = None


class ExportError(RuntimeError):
    """Base class: the message is a sentence a page can show as is."""


class ExportUnavailable(ExportError):
    """No usable browser: export cannot work until one is installed or configured."""


class ExportFailed(ExportError):
    """The browser is there but this export failed or timed out."""


def export_timeout() -> float:
    """Seconds to wait for one export (setting INSTALLPULSE_EXPORT_TIMEOUT, default 30).

    A value that is not a positive number falls back to the default rather than breaking the
    page's export button. (BROWSER_PATH is read here directly: it is choreographer's variable,
    not an installpulse setting.)
    """
    raw = settings.get(TIMEOUT_ENV)
    try:
        value = float(raw) if raw.strip() else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


def _is_executable(path: str) -> bool:
    return Path(path).is_file() and os.access(path, os.X_OK)


def find_browser() -> str | None:
    """Chromium to use: $BROWSER_PATH if set (and only it), else /usr/bin/chromium,
    else the first of chromium, chromium-browser, google-chrome on PATH."""
    explicit = os.environ.get(BROWSER_ENV, "").strip()
    if explicit:
        return explicit if _is_executable(explicit) else None
    if _is_executable(DEFAULT_BROWSER):
        return DEFAULT_BROWSER
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_available() -> tuple[bool, str]:
    """(True, where) when server-side export can run, else (False, what to do)."""
    explicit = os.environ.get(BROWSER_ENV, "").strip()
    path = find_browser()
    if path:
        return True, f"Image export uses Chromium at {path}."
    if explicit:
        return False, (
            f"BROWSER_PATH={explicit!r} is not an executable file. Point it at Chromium "
            "or unset it. The chart's camera button still works."
        )
    return False, INSTALL_HINT


def _ensure_server(timeout: float) -> None:
    """Start kaleido's shared server once per process (caller holds `_lock`)."""
    global _server_started
    if _server_started and kaleido._global_server.is_running():
        return
    path = find_browser()
    if path is None:
        raise ExportUnavailable(browser_available()[1])
    # mathjax=False also stops kaleido's default MathJax CDN request.
    kaleido.start_sync_server(path=path, mathjax=False, timeout=timeout, silence_warnings=True)
    _server_started = True


def _reset_server() -> None:
    """Forget a server whose thread died (e.g. the browser failed to start)."""
    global _server_started
    server = kaleido._global_server
    thread = getattr(server, "_thread", None)
    if server.is_running() and thread is not None and not thread.is_alive():
        server.close(silence_warnings=True)
    _server_started = server.is_running()


def stop_export_server() -> None:
    """Stop the shared server (tests, shutdown). The next export starts it again."""
    global _server_started
    with _lock:
        kaleido.stop_sync_server(silence_warnings=True)
        _server_started = False


# Trace keys that only feed the hover box. An image never shows them, and in an Explore
# figure they were half the JSON sent to Chromium (20 KB of hover text per series); leaving
# them out took a warm PNG from 0.33 to 0.29 s (same run, 2 cores under load).
HOVER_ONLY_KEYS = ("customdata", "hovertemplate", "hovertext", "hoverinfo", "hoverlabel")


def static_figure(fig_dict: dict) -> dict:
    """`fig_dict` without hover-only data (a new dict; the input is not changed). A trace that
    draws text from its data (`texttemplate`) keeps everything."""
    data = [
        trace
        if "texttemplate" in trace
        else {k: v for k, v in trace.items() if k not in HOVER_ONLY_KEYS}
        for trace in fig_dict.get("data", [])
    ]
    return {**fig_dict, "data": data}


def export_image(
    fig: go.Figure | dict,
    fmt: str = "png",
    width: int = 1200,
    height: int = 675,
    scale: float = 2,
    timeout: float | None = None,
) -> bytes:
    """Render `fig` to PNG/SVG/PDF bytes with kaleido, at `width` x `height` layout pixels.

    Raises ExportUnavailable when no browser is found, ExportFailed on a render error or
    when the export does not finish within `timeout` (default `export_timeout()`) seconds.
    """
    global last_export_seconds
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    limit = timeout if timeout is not None else export_timeout()
    fig_dict = static_figure(fig.to_dict() if isinstance(fig, go.Figure) else fig)
    opts = {"format": fmt, "width": width, "height": height, "scale": scale}
    started = time.monotonic()

    if not _lock.acquire(timeout=limit):
        raise ExportFailed(
            f"Another image export has been running for more than {limit:g} s; "
            "try again in a moment or use the chart's camera button."
        )
    results: queue.Queue[tuple[bool, object]] = queue.Queue(maxsize=1)

    def work() -> None:
        # Runs in its own thread and releases the lock when kaleido returns, so a
        # timed-out export still blocks the next one instead of interleaving with it.
        try:
            _ensure_server(limit)
            results.put((True, kaleido.calc_fig_sync(fig_dict, opts=opts)))
        except BaseException as exc:  # handed to the caller's thread
            results.put((False, exc))
        finally:
            _lock.release()

    threading.Thread(target=work, name="installpulse-export", daemon=True).start()
    remaining = limit - (time.monotonic() - started)
    try:
        ok, payload = results.get(timeout=max(remaining, 0.1))
    except queue.Empty:
        _reset_server()
        raise ExportFailed(
            f"Image export did not finish within {limit:g} s (Chromium may be hung or "
            "overloaded); try again, or use the chart's camera button."
        ) from None
    if not ok:
        _reset_server()
        if isinstance(payload, ExportError):
            raise payload
        raise ExportFailed(
            f"Image export failed ({type(payload).__name__}: {payload}); "
            "the chart's camera button still works."
        ) from payload  # type: ignore[misc]
    data = payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
    _check_output(data, fmt)
    last_export_seconds = time.monotonic() - started
    return data


def _check_output(data: bytes, fmt: str) -> None:
    signatures = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF"}
    if fmt in signatures and not data.startswith(signatures[fmt]):
        raise ExportFailed(f"Image export returned data that is not a {fmt.upper()} file.")
    if fmt == "svg" and b"<svg" not in data[:2000]:
        raise ExportFailed("Image export returned data that is not an SVG file.")
