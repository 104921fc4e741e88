"""App benchmarks: page reruns through AppTest, the real app's memory, concurrent sessions.

All three run on the store ``bench_analytics`` builds from the generated ``long.csv`` (cached in
``benchmarks/data/<size>-.../analytics/store.duckdb``), copied into the run's scratch directory
first: the app keeps a read-write DuckDB connection open for a moment after each query, and a
copy keeps the cached store free for any other process reading it.

* ``app_rerun`` - one page rerun after a widget change, through ``streamlit.testing`` AppTest in
  a fresh process: the Overview (the "Over the last" days cycle 14 -> 30 -> 7) and Explore
  (5 apps, 1 country, both metrics, 180 days, baseline ``mean:28``; each rerun picks another
  5 apps). Cold result cache (``app_pages.common.clear_caches()`` before every measured rerun), warm
  database (the page has rendered once and the file is in the page cache). p50/p95 over every
  rerun of every process.
* ``app_concurrency`` - 10 sessions at once: 10 AppTest instances in 10 threads of one process
  (Streamlit runs each browser session in its own thread too), each on Explore with its own
  apps, changing apps, baseline and date range for a few reruns; the result cache is shared,
  as in a real server. p50/p95 of every rerun, and the number of reruns that raised or showed
  an exception (target: none).
* ``app_memory`` - the real app: ``streamlit run app.py`` on the store, every page opened in
  Playwright with Debian's Chromium (never ``playwright install``), each waited for until the
  script run is over; then the streamlit process's ``VmRSS`` and ``VmHWM`` (peak) from
  ``/proc/<pid>/status``. Without Chromium or Playwright the row is ``failed`` with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from benchmarks.bench_analytics import ensure_store
from benchmarks.measure import ROOT, child_env, percentile, run_callable
from benchmarks.registry import STATUS_FAILED, Context, Result, Target, benchmark

HERE = "benchmarks.bench_app"
APP = ROOT / "app.py"
EXPLORE_APPS = 5
EXPLORE_DAYS = 180
EXPLORE_BASELINE = "mean:28"
EXPLORE_COUNTRY = "US"
METRICS = ["installs", "uninstalls"]
RERUN_LOOPS = 10  # measured reruns per page per process
SESSIONS = 10
SESSION_RERUNS = 4
MEMORY_TARGET = Target(max_rss_mb=600)
# Streamlit's url paths (app.py): "" is the default page (Overview).
PAGE_PATHS = ("", "explore", "study", "events", "data", "database")
STATUS = '[data-testid="stStatusWidget"]'
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


@dataclass(frozen=True)
class ErrorTarget(Target):
    """A target on the number of errors (``Result.errors``), on top of any time bound."""

    max_errors: int = 0

    def describe(self) -> str:
        base = super().describe()
        errs = "no errors" if self.max_errors == 0 else f"<= {self.max_errors} errors"
        return f"{base}, {errs}" if base else errs

    def check(self, r: Result) -> bool | None:
        base = super().check(r)
        errors = getattr(r, "errors", None)
        ok = errors is not None and errors <= self.max_errors
        return ok if base is None else (base and ok)


# ----------------------------------------------------------------------------- shared helpers
def scratch_store(ctx: Context, name: str) -> Path:
    """A private copy of the size's analytics store in the run's scratch directory."""
    src = ensure_store(ctx)
    dst = ctx.work_dir / name / "store.duckdb"
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        wal = src.with_name(src.name + ".wal")  # right after ingest it may hold the data
        if wal.exists():
            shutil.copyfile(wal, dst.with_name(dst.name + ".wal"))
        shutil.copyfile(src, dst)
    return dst


def explore_query(db: str, offset: int = 0, days: int = EXPLORE_DAYS) -> dict:
    """The Explore query string for the benchmark's view: 5 apps (the ``offset``-th window of
    the app list), 1 country, both metrics, the last ``days`` days, baseline mean:28."""
    from pipelines import reads

    opts = reads.filter_options(db)
    apps = sorted(opts["apps"])
    first = offset * EXPLORE_APPS % max(1, len(apps) - EXPLORE_APPS + 1)
    end = opts["last_date"]
    start = max(opts["first_date"], end - timedelta(days=days - 1))
    country = EXPLORE_COUNTRY if EXPLORE_COUNTRY in opts["countries"] else opts["countries"][0]
    return {
        "apps": apps[first : first + EXPLORE_APPS],
        "metrics": [m for m in METRICS if m in opts["metrics"]],
        "countries": country,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "baseline": EXPLORE_BASELINE,
    }


def server_like_apptest() -> None:
    """Make AppTest runs in this process share what sessions of one real server share: one
    Runtime and one script bytecode cache. Needed for sessions in several threads:

    * AppTest installs a fresh mock ``Runtime`` in the process-global ``Runtime._instance``
      at the start of each run and sets it back to ``None`` at the end, so one session's end
      pulls the runtime from under the others ("Runtime hasn't been created!");
    * AppTest compiles the page scripts again on every run (a new ``ScriptCache`` each time),
      and concurrent ``ast.parse`` calls trip a CPython 3.11 bug ("AST constructor recursion
      depth mismatch"); a server compiles each page once, under the cache's lock;
    * AppTest patches ``config.get_option`` (``global.appTest``) around each run with
      ``unittest.mock.patch``, which is not thread-safe either: overlapping runs restore each
      other's patch, and widgets lose what the element tree reads back (KeyError ``$$ID-...``).
      Patch it once for the process instead.

    All three are artefacts of the test harness, not of the app.
    """
    import contextlib

    from streamlit import config
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test
    from streamlit.testing.v1.util import build_mock_config_get_option

    if getattr(Runtime, "_installpulse_shared", False):
        return
    kept: dict[str, object] = {}
    original = Runtime.instance.__func__

    def instance(cls):
        current = cls._instance
        if current is not None:
            kept.setdefault("rt", current)
        if "rt" in kept:
            return kept["rt"]
        return original(cls)

    def exists(cls) -> bool:
        return cls._instance is not None or "rt" in kept

    Runtime.instance = classmethod(instance)
    Runtime.exists = classmethod(exists)
    Runtime._installpulse_shared = True
    shared_cache = ScriptCache()
    app_test.ScriptCache = lambda: shared_cache
    config.get_option = build_mock_config_get_option({"global.appTest": True})
    app_test.patch_config_options = lambda overrides: contextlib.nullcontext()


def _app_test():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=300)


def _exceptions(at) -> list[str]:
    return [str(getattr(e, "message", e))[:300] for e in at.exception]


def _open(page: str, query: dict | None = None):
    at = _app_test()
    at.run()
    at.switch_page(page)
    if query:
        at.query_params.clear()
        at.query_params.update(query)
    at.run()
    return at


# ----------------------------------------------------------------------------- child callables
def rerun_loop(db: str, page: str, loops: int = RERUN_LOOPS, offset: int = 0) -> dict:
    """Open ``page`` on ``db``, then time ``loops`` reruns after a widget change, each with
    the result cache cleared first. Returns latencies (s), first render time and errors."""
    os.environ["INSTALLPULSE_DB"] = db
    from app_pages.common import clear_caches

    server_like_apptest()
    errors: list[str] = []
    t0 = time.perf_counter()
    if page == "explore":
        at = _open("app_pages/explore.py", explore_query(db, offset * loops))
    else:
        at = _open("app_pages/overview.py")
    first_s = time.perf_counter() - t0
    errors += _exceptions(at)
    days_cycle = [14, 30, 7]
    # one unmeasured widget rerun: imports and code paths warm, as on a running server
    if page == "explore":
        at.multiselect(key="x_apps").set_value(explore_query(db, offset * loops + 1)["apps"])
    else:
        at.selectbox(key="ov_days").set_value(days_cycle[-1])
    at.run()
    times = []
    for i in range(loops):
        clear_caches()
        if page == "explore":
            chosen = explore_query(db, offset * loops + i + 2)["apps"]
            at.multiselect(key="x_apps").set_value(chosen)
        else:
            at.selectbox(key="ov_days").set_value(days_cycle[i % len(days_cycle)])
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        errors += _exceptions(at)
        if page == "explore" and not at.get("plotly_chart"):
            errors.append("explore rerun drew no chart")
    return {"times": times, "first_s": first_s, "errors": errors}


def concurrency_loop(
    db: str, sessions: int = SESSIONS, reruns: int = SESSION_RERUNS, offset: int = 0
) -> dict:
    """``sessions`` AppTest sessions on Explore in as many threads, started together, each
    changing apps, baseline and date range ``reruns`` times. Returns every rerun latency, the
    errors (exceptions shown by the page or raised by the run) and the wall time."""
    os.environ["INSTALLPULSE_DB"] = db
    from app_pages.common import clear_caches
    from pipelines import reads

    server_like_apptest()
    clear_caches()
    last = reads.last_date(db)
    ready = threading.Barrier(sessions)
    lock = threading.Lock()
    times: list[float] = []
    errors: list[str] = []
    baselines = ["median:28", "weekday:4", "mean:28", "previous-day"]
    spans = [90, 365, 180, 30]

    def session(k: int) -> None:
        base = offset * sessions * (reruns + 1) + k * (reruns + 1)
        try:
            at = _open("app_pages/explore.py", explore_query(db, base))
            with lock:
                errors.extend(f"session {k} open: {e}" for e in _exceptions(at))
        except Exception as exc:
            with lock:
                errors.append(f"session {k} open raised {type(exc).__name__}: {exc}")
            ready.abort()
            return
        try:
            ready.wait(timeout=600)
        except threading.BrokenBarrierError:
            pass
        for i in range(reruns):
            step = i % 3
            try:
                if step == 0:
                    at.multiselect(key="x_apps").set_value(explore_query(db, base + i + 1)["apps"])
                elif step == 1:
                    at.selectbox(key="x_baseline").set_value(baselines[i % len(baselines)])
                else:
                    span = spans[i % len(spans)]
                    at.date_input(key="x_start").set_value(last - timedelta(days=span - 1))
                t = time.perf_counter()
                at.run()
                dt = time.perf_counter() - t
                found = _exceptions(at)
                if not at.get("plotly_chart"):
                    found.append("no chart drawn")
                with lock:
                    times.append(dt)
                    errors.extend(f"session {k} rerun {i}: {e}" for e in found)
            except Exception as exc:
                with lock:
                    errors.append(
                        f"session {k} rerun {i} raised {type(exc).__name__}: {exc} | "
                        + traceback.format_exc(limit=3)[-300:]
                    )

    t0 = time.perf_counter()
    threads = [threading.Thread(target=session, args=(k,), name=f"s{k}") for k in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"times": times, "errors": errors, "wall_s": time.perf_counter() - t0}


def _status_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0])
    return out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory_run(db: str, browser: str, log: str, timeout_s: float = 120.0) -> dict:
    """Start ``streamlit run app.py`` on ``db``, open every page in Chromium (Playwright),
    and read the streamlit process's VmRSS/VmHWM after each page."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS

    port = _free_port()
    env = child_env({"INSTALLPULSE_DB": db})
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP),
           "--server.address", "127.0.0.1", "--server.port", str(port)]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    pages: list[dict] = []
    with open(log, "w") as logf:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                        if r.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not answer /_stcore/health (log {log})")
                time.sleep(0.3)
            start_kb = _status_kb(proc.pid)
            explore = explore_query(db)
            query = urllib.parse.urlencode(explore, doseq=True)
            ms = timeout_s * 1000
            with sync_playwright() as p:
                chromium = p.chromium.launch(executable_path=browser, args=CHROMIUM_ARGS)
                try:
                    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
                    for path in PAGE_PATHS:
                        target = f"{url}/{path}" + (f"?{query}" if path == "explore" else "")
                        t = time.perf_counter()
                        page.goto(target)
                        # the script has run and stopped ("initial" before the first run)
                        page.wait_for_selector(DONE, timeout=ms)
                        page.wait_for_selector(STATUS, state="detached", timeout=ms)
                        page.wait_for_function(
                            "() => !document.querySelector('[data-testid=\"stSkeleton\"]')",
                            timeout=ms,
                        )
                        if path == "explore":
                            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=ms)
                        raised = page.locator('[data-testid="stException"]').count()
                        kb = _status_kb(proc.pid)
                        pages.append(
                            {
                                "page": path or "overview",
                                "render_s": round(time.perf_counter() - t, 3),
                                "rss_mb": round(kb["VmRSS"] / 1024, 1),
                                "hwm_mb": round(kb["VmHWM"] / 1024, 1),
                                "exceptions": raised,
                            }
                        )
                finally:
                    chromium.close()
            end_kb = _status_kb(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return {
        "start_rss_mb": round(start_kb["VmRSS"] / 1024, 1),
        "rss_mb": round(end_kb["VmRSS"] / 1024, 1),
        "hwm_mb": round(end_kb["VmHWM"] / 1024, 1),
        "pages": pages,
    }


# ----------------------------------------------------------------------------- benchmarks
def _pooled(
    ctx: Context, fn: str, kwargs: dict, reps: int
) -> tuple[list[float], list[str], list[dict], str]:
    """Run ``fn`` in ``reps`` fresh processes; pool its latencies, errors and raw values."""
    samples: list[float] = []
    errors: list[str] = []
    values: list[dict] = []
    failure = ""
    for rep in range(max(1, reps)):
        s = run_callable(f"{HERE}:{fn}", {**kwargs, "offset": rep}, timeout=ctx.timeout_s)
        if not s.ok:
            failure = s.stderr_tail.strip()[-800:] or f"exit {s.returncode}"
            break
        value = dict(s.value or {})
        values.append(value)
        samples += list(value.get("times", []))
        errors += list(value.get("errors", []))
    return samples, errors, values, failure


def _latency_result(
    ctx: Context,
    id: str,
    label: str,
    samples: list[float],
    failure: str,
    note: str,
    target: Target | None = None,
) -> Result:
    r = Result(
        id=id,
        label=label,
        size=ctx.size_name,
        reps=len(samples),
        samples_s=[round(x, 4) for x in samples],
        show_p95=True,
        target=target,
        note=note,
    )
    if failure or not samples:
        r.status = STATUS_FAILED
        r.note = failure or "no samples"
        return r
    r.median_s = round(percentile(samples, 50), 4)
    r.p95_s = round(percentile(samples, 95), 4)
    return r


def _errors_note(errors: list[str]) -> str:
    if not errors:
        return "0 errors"
    shown = "; ".join(dict.fromkeys(e[:160] for e in errors))
    return f"{len(errors)} errors: {shown[:600]}"


@benchmark("app_rerun", order=40, description="Page rerun via AppTest (Overview, Explore)")
def rerun_benchmark(ctx: Context) -> Iterator[Result]:
    db = str(scratch_store(ctx, "app_rerun"))
    pages = (
        ("overview", "Overview rerun after a widget change (AppTest, cold result cache)"),
        (
            "explore",
            f"Explore rerun after a widget change: {EXPLORE_APPS} apps, 1 country, "
            f"{EXPLORE_DAYS} days, {EXPLORE_BASELINE} (AppTest, cold result cache)",
        ),
    )
    for page, label in pages:
        samples, errors, values, failure = _pooled(
            ctx, "rerun_loop", {"db": db, "page": page}, ctx.reps
        )
        firsts = [v["first_s"] for v in values if "first_s" in v]
        first = f"; first render {sorted(firsts)[len(firsts) // 2]:.2f} s" if firsts else ""
        r = _latency_result(
            ctx,
            f"app.rerun.{page}",
            label,
            samples,
            failure,
            note=f"{RERUN_LOOPS} reruns per process x {ctx.reps} processes{first}; "
            + _errors_note(errors),
        )
        r.errors = len(errors)  # type: ignore[attr-defined]
        yield r


@benchmark(
    "app_concurrency", order=70, description=f"{SESSIONS} concurrent Explore sessions (AppTest)"
)
def concurrency_benchmark(ctx: Context) -> Iterator[Result]:
    db = str(scratch_store(ctx, "app_concurrency"))
    samples, errors, values, failure = _pooled(
        ctx, "concurrency_loop", {"db": db}, max(1, min(ctx.reps, 3))
    )
    walls = [v.get("wall_s", 0) for v in values]
    r = _latency_result(
        ctx,
        "app.concurrency.explore",
        f"{SESSIONS} concurrent sessions on Explore (AppTest threads): rerun time",
        samples,
        failure,
        note=f"{SESSIONS} sessions x {SESSION_RERUNS} reruns (apps, baseline, dates) x "
        f"{len(values)} processes; wall per burst "
        + ", ".join(f"{w:.1f} s" for w in walls)
        + "; "
        + _errors_note(errors),
        target=ErrorTarget(),
    )
    r.errors = len(errors) if not failure else None  # type: ignore[attr-defined]
    yield r


@benchmark("app_memory", order=60, description="RSS of the real app after opening every page")
def memory_benchmark(ctx: Context) -> Iterator[Result]:
    from charts.export import find_browser

    label = "App memory: streamlit process after opening every page (peak = VmHWM)"
    row = Result(id="app.memory", label=label, size=ctx.size_name, target=MEMORY_TARGET)
    browser = find_browser()
    why = ""
    if browser is None:
        why = (
            "no Chromium at $BROWSER_PATH, /usr/bin/chromium or on PATH "
            "(apt-get install chromium; never `playwright install`)"
        )
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as exc:
            why = f"playwright is not installed: {exc}"
    if why:
        row.status, row.note = STATUS_FAILED, why
        yield row
        return
    db = str(scratch_store(ctx, "app_memory"))
    log = ctx.work_dir / "app_memory" / "streamlit.log"
    s = run_callable(
        f"{HERE}:memory_run",
        {"db": db, "browser": browser, "log": str(log)},
        timeout=ctx.timeout_s,
    )
    if not s.ok:
        row.status, row.note = STATUS_FAILED, s.stderr_tail.strip()[-800:]
        yield row
        return
    v = s.value
    row.reps = 1
    row.peak_rss_mb = v["hwm_mb"]
    row.samples_s = [p["render_s"] for p in v["pages"]]
    raised = sum(p["exceptions"] for p in v["pages"])
    row.note = (
        f"VmRSS {v['start_rss_mb']:.0f} MB at start, {v['rss_mb']:.0f} MB after all pages; "
        "after each page (RSS/peak MB, render s): "
        + ", ".join(
            f"{p['page']} {p['rss_mb']:.0f}/{p['hwm_mb']:.0f} ({p['render_s']:.1f} s)"
            for p in v["pages"]
        )
        + (f"; {raised} pages showed an exception" if raised else "")
    )
    yield row
