"""Load test of the real app: 25 analysts on Explore while an import runs, on both backends.

``app_load`` (the DuckDB file) and ``app_load_lake`` (the same store copied into a DuckLake on
a local PostgreSQL) start ``streamlit run app.py`` on 127.0.0.1 and drive SESSIONS Explore
sessions as websocket clients speaking Streamlit's own protocol (``benchmarks.ws_client``: the
BackMsg/ForwardMsg protobufs a browser tab exchanges, every widget's state in every rerun), all
in one driver process with one event loop - a few percent of one core, where 25 Chromium
renderers took both cores and made the figures say nothing about the app.

The load model (README "Team use (issue 13)"): each session is an analyst on their own 5 apps
(1 country, both metrics, the last 180 days) who changes a filter (quick range, view, baseline,
grain; each change a new view, ACTIONS), reads the chart for a think time drawn from a seeded
random uniform THINK_S, and changes again. Analysts work independently: session i begins at
its own place in the cycle (ACTIONS[i mod 10], opening on the view the changes before it would
have left, ``_opening``). Until session 7 every session began with the same change and went
through the cycle in step with the others, so all 25 asked for the 365-day view within a few
seconds of each other - 14 of those reruns at once, 3.8 CPU-s of work in 2 s, made the
tail - a coincidence of the model rather than of analysts (``stagger=False`` keeps it, for
comparison; README gives both figures):

1. with no import: CHANGES changes per session;
2. while ``installpulse ingest wide.csv`` runs in another process (the same values as a second
   source, ``generic``: 1.4M new observations at S, 42.9M at L): changes until it has ended, at
   least CHANGES each;
3. one more change per session after it, whose sidebar must count the new import's values;
4. saturation, a separate figure: the same sessions with no think time for SATURATION_S
   seconds - the reruns per second the app sustains, its capacity rather than a target.

A rerun's time is from sending the BackMsg to the ``script_finished`` ForwardMsg. Errors: an
exception element, an error alert or one saying the database is in use or a read failed, a
finish other than success, no finish within RERUN_LIMIT_S, a rerun with no chart, or a change
that did not change the view (the page's query string). The app's VmRSS is sampled every 0.25 s
(peak reported) with its VmHWM; the CPU seconds of the app and of the driver per phase and the
load average are reported with them. Benchmarks report, never assert; ``tests/concurrency``
runs ``load_run`` small.

``browser_run`` keeps the Chromium driver for a few sessions (``tests/concurrency/
test_sessions_browser.py``): what a person does in a real browser, the frontend included.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from benchmarks.bench_app import (
    APP,
    ErrorTarget,
    _errors_note,
    _free_port,
    _latency_result,
    _status_kb,
    explore_query,
    scratch_store,
)
from benchmarks.measure import ROOT, child_env, percentile
from benchmarks.registry import (
    STATUS_FAILED,
    STATUS_NOT_AVAILABLE,
    Context,
    Result,
    Target,
    benchmark,
)

HERE = "benchmarks.bench_load"
SESSIONS = 25
CHANGES = 6  # filter changes per session with no import (at least as many during it)
THINK_S = (2.0, 6.0)  # an analyst reads the chart this long (uniform, seeded) between changes
SATURATION_S = 60.0  # the zero-think-time run
SEED = 13
OPEN_LIMIT_S = 180.0  # a first load that takes longer counts as an error
OPEN_WAVE = 5  # sessions opened at once (people arrive, not all in the same instant)
RERUN_LIMIT_S = 60.0  # a rerun that takes longer counts as an error (and the session goes on)
RUN_LIMIT_S = 1800.0  # the whole run, import included
# An analyst's filter changes, in order: each is a new view of the one before it (a view
# the shared result cache may not hold), from the opening view (180 days, previous day, day,
# absolute). Week over week before the week grain: the previous-day baseline has no week grain.
BASELINE = "Baseline (what a change is measured against)"
ACTIONS = (
    ("Quick range", "Last 30 days"),
    ("View", "% vs baseline"),
    (BASELINE, "Mean of the previous 28 days (an average day)"),
    ("Quick range", "Last 365 days"),
    (BASELINE, "Week over week"),
    ("Grain", "week"),
    ("View", "Absolute"),
    ("Quick range", "Last 90 days"),
    ("Grain", "day"),
    (BASELINE, "Previous day (day over day)"),
)
SCRIPT = ROOT / "scripts" / "postgres.sh"


# ----------------------------------------------------------------------------- websocket load
class _Analyst:
    """One session (a websocket client) and what its reruns measured, per phase."""

    def __init__(
        self, index: int, url: str, query: dict, think: tuple[float, float], step: int = 0
    ) -> None:
        from benchmarks.ws_client import Session

        self.index, self.query = index, query
        self.session = Session(url, limit_s=RERUN_LIMIT_S)
        self.rng = random.Random(SEED * 1000 + index)
        self.think = think
        self.step = step  # the next of ACTIONS (its query is the view the ones before leave)
        self.times: dict[str, list[float]] = {}
        self.done_at: dict[str, list[float]] = {}  # perf_counter() when each rerun finished
        self.errors: list[str] = []
        self.counts: dict[str, str] = {}
        self.broken = False

    def _check(self, phase: str, what: str, r, before: str) -> None:
        problems = list(r.problems)
        if not problems and not r.chart_bytes:
            problems.append("no chart arrived")
        if not problems and before and self.session.query == before:
            problems.append("the view did not change")
        self.errors += [f"{phase} {what}: {p}" for p in problems]
        if r.seconds is not None:
            self.times.setdefault(phase, []).append(r.seconds)
            self.done_at.setdefault(phase, []).append(time.perf_counter())
        self.counts[phase] = r.counts

    async def open(self) -> float | None:
        from benchmarks.ws_client import SessionClosed

        try:
            r = await asyncio.wait_for(self.session.open("explore", self.query), OPEN_LIMIT_S)
        except (TimeoutError, SessionClosed, OSError) as exc:
            self.errors.append(f"open: {type(exc).__name__}: {str(exc)[:160]}")
            self.broken = True
            return None
        self._check("open", "first load", r, "")
        return r.seconds

    async def change(self, phase: str, think: bool = True) -> None:
        from benchmarks.ws_client import SessionClosed

        if self.broken:
            return
        if think:
            await asyncio.sleep(self.rng.uniform(*self.think))
        label, value = ACTIONS[self.step % len(ACTIONS)]
        self.step += 1
        before = self.session.query
        try:
            r = await self.session.change(label, value)
        except (SessionClosed, KeyError, OSError) as exc:
            self.errors.append(f"{phase} {label}={value}: {type(exc).__name__}: {exc}"[:240])
            self.broken = isinstance(exc, SessionClosed | OSError)
            return
        self._check(phase, f"{label}={value}", r, before)


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _opening(query: dict, steps: int, first: date, last: date) -> dict:
    """The query string of the view ``query`` becomes after the first ``steps`` ACTIONS (what
    the page's quick range, baseline, grain and view choices write into it)."""
    from semantic import views

    out = dict(query)
    for label, value in ACTIONS[:steps]:
        if label == "Quick range":
            days = int(value.split()[1])
            out["start"] = max(first, last - timedelta(days=days - 1)).isoformat()
            out["end"] = last.isoformat()
        elif label == "View":
            out["view"] = next(k for k, v in views.VIEW_LABELS.items() if v == value)
        elif label == BASELINE:
            out["baseline"] = next(k for k, v in views.BASELINE_CHOICES.items() if v == value)
        elif label == "Grain":
            out["grain"] = value
    return out


async def _drive_ws(
    url: str, queries: list[dict], changes: int, importer, think, saturation_s: float, app_pid
) -> dict:
    """Open the sessions, run the phases (see module) and collect every session's rerun times,
    errors and sidebar counts, with the app's and the driver's CPU seconds per phase.
    ``queries``: each session's opening query string and the step of ACTIONS it begins at."""
    people = [_Analyst(i, url, q, think, step) for i, (q, step) in enumerate(queries)]
    out: dict = {"phases": {}}

    def mark(name: str, t: float, cpu_app: float, cpu_me: float) -> None:
        out["phases"][name] = {
            "wall_s": round(time.perf_counter() - t, 2),
            "app_cpu_s": round(_cpu_s(app_pid) - cpu_app, 2),
            "driver_cpu_s": round(time.process_time() - cpu_me, 2),
            "load_avg_1m": round(os.getloadavg()[0], 2),
        }

    def start() -> tuple[float, float, float]:
        return time.perf_counter(), _cpu_s(app_pid), time.process_time()

    t = start()
    out["open_s"] = []
    for wave in range(0, len(people), OPEN_WAVE):
        out["open_s"] += await asyncio.gather(*(p.open() for p in people[wave : wave + OPEN_WAVE]))
    mark("open", *t)
    out["counts_before"] = [p.session.last.counts if p.session.last else "" for p in people]

    async def each(body) -> None:
        await asyncio.gather(*(body(p) for p in people))

    async def idle(p: _Analyst) -> None:
        for _ in range(changes):
            await p.change("idle")

    t = start()
    await each(idle)
    mark("idle", *t)

    async def during(p: _Analyst) -> None:
        n = 0
        while n < changes or importer.running():
            # (a change started after the import ended is not one 'during' it)
            await p.change("import" if importer.active() else "import_ended")
            n += 1

    t = start()
    await asyncio.to_thread(importer.start)
    await each(during)
    await asyncio.to_thread(importer.finish)
    mark("import", *t)

    async def after(p: _Analyst) -> None:
        await p.change("after")

    t = start()
    await each(after)
    mark("after", *t)

    if saturation_s > 0:
        stop_at = time.perf_counter() + saturation_s

        async def flat_out(p: _Analyst) -> None:
            while time.perf_counter() < stop_at:
                await p.change("saturation", think=False)

        t = start()
        await each(flat_out)
        mark("saturation", *t)
        # Capacity: reruns finished per second in the window, counted from the first finish
        # (before it every session's first rerun is still in the queue).
        done = sorted(x for p in people for x in p.done_at.get("saturation", []))
        inside = [x for x in done if x <= stop_at]
        if len(inside) > 1:
            rate = (len(inside) - 1) / (stop_at - inside[0])
            out["phases"]["saturation"]["reruns_per_s"] = round(rate, 2)
    out["sessions"] = [
        {"times": p.times, "errors": p.errors, "counts": p.counts, "broken": p.broken}
        for p in people
    ]
    await asyncio.gather(*(p.session.close() for p in people), return_exceptions=True)
    return out


def load_run(
    db: str,
    log: str,
    import_file: str,
    sessions: int = SESSIONS,
    changes: int = CHANGES,
    think: tuple[float, float] = THINK_S,
    saturation_s: float = SATURATION_S,
    fault: str = "",
    apps_per_session: int = 5,
    env: dict[str, str] | None = None,
    stagger: bool = True,
) -> dict:
    """Start the app on `db` (a file or a lake's address, with `env`), drive `sessions`
    websocket sessions through the phases (see module), importing `import_file` with the CLI
    meanwhile (held at `fault` if given: then the import phase is `changes` changes long).
    `stagger`: session i begins at ACTIONS[i mod 10] (independent analysts); False: every
    session begins at the first and they go through the cycle in step."""
    from pipelines import reads, store

    env = dict(env or {})
    os.environ.update(env)  # (this process reads the store's apps and dates for the queries)
    work = Path(log).parent
    app, url = _start_app(db, Path(log), env)
    sampler = _RssSampler(app.pid)
    sampler.start()
    importer = _Importer(db, import_file, fault, work / "ingest.log", env)
    try:
        span = reads.filter_options(db)
        queries = []
        for i in range(sessions):
            q = explore_query(db, offset=i) | {"baseline": "previous-day"}
            q["apps"] = q["apps"][:apps_per_session]
            step = i % len(ACTIONS) if stagger else 0
            queries.append((_opening(q, step, span["first_date"], span["last_date"]), step))
        store.release_all()  # hold nothing open here while the importer writes
        result = asyncio.run(
            _drive_ws(url, queries, changes, importer, tuple(think), saturation_s, app.pid)
        )
        assert importer.proc is not None
        result["import"] = {
            "returncode": importer.proc.returncode,
            "wall_s": importer.wall_s,
            "output": importer.log.read_text()[-600:],
        }
        kb = _status_kb(app.pid)
        result["rss_peak_mb"] = round(max(sampler.peak_kb, kb.get("VmRSS", 0)) / 1024, 1)
        result["hwm_mb"] = round(kb.get("VmHWM", 0) / 1024, 1)
        result["rss_end_mb"] = round(kb.get("VmRSS", 0) / 1024, 1)
    finally:
        sampler.stop()
        importer.kill()
        _stop(app)
    return result


class _RssSampler(threading.Thread):
    """VmRSS of one process every `every` seconds; `peak_kb` is the largest seen."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.peak_kb = max(self.peak_kb, _status_kb(self.pid).get("VmRSS", 0))
            except OSError:
                return
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def _start_app(db: str, log: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    # No file watcher: as a deployed app runs, and a source file saved during the run (a
    # shared checkout) would re-import modules under the running sessions.
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP),
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--server.fileWatcherType", "none", "--server.runOnSave", "false"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    logf = log.open("w")
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=child_env({"INSTALLPULSE_DB": db, **env}),
        stdout=logf,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"streamlit did not answer /_stcore/health (log {log})")
        time.sleep(0.3)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _stopped(proc: subprocess.Popen) -> bool:
    """Whether `proc` suspended itself at its fault point (state T)."""
    try:
        stat = Path(f"/proc/{proc.pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "T"


class _Importer:
    """`installpulse ingest FILE` in another process. Without a fault it runs freely and the
    sessions change filters until it ends; with one (`import:in_transaction@stop`) it holds
    the database at that point while the sessions make their changes, then is resumed."""

    def __init__(
        self, db: str, file: str, fault: str, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.cmd = [sys.executable, "-m", "pipelines", "ingest", "--db", db, file]
        self.fault, self.log, self.env = fault, log, dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.t0 = 0.0
        self.ended: float | None = None  # when the process exited (a waiter thread notes it)
        self.wall_s: float | None = None

    def start(self) -> None:
        env = child_env(self.env | ({"INSTALLPULSE_FAULT": self.fault} if self.fault else {}))
        self.t0 = time.perf_counter()
        with self.log.open("w") as logf:
            self.proc = subprocess.Popen(
                self.cmd, cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT
            )
        threading.Thread(target=self._wait, daemon=True).start()
        if self.fault:
            _wait_for(lambda: _stopped(self.proc) or self.proc.poll() is not None)

    def _wait(self) -> None:
        assert self.proc is not None
        self.proc.wait()
        self.ended = time.perf_counter()

    def running(self) -> bool:
        """(the import phase goes on while True) Only a free-running import counts."""
        return not self.fault and self.proc is not None and self.proc.poll() is None

    def active(self) -> bool:
        """Whether the import is under way (running, or held at its fault point)."""
        return self.proc is not None and self.proc.poll() is None

    def finish(self) -> None:
        assert self.proc is not None
        if self.fault and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
        self.proc.wait(timeout=RUN_LIMIT_S)
        time.sleep(0.05)  # (the waiter thread notes the exit)
        self.wall_s = (self.ended or time.perf_counter()) - self.t0

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()


def _wait_for(done) -> None:
    deadline = time.monotonic() + RUN_LIMIT_S
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError("the import did not reach its fault point in time")
        time.sleep(0.05)


# ----------------------------------------------------------------------------- Chromium driver
# The Chromium driver (browser_run): its actions, by kind.
BROWSER_ACTIONS = (
    ("view", "% vs baseline"),
    ("range", "Last 90 days"),
    ("view", "Absolute"),
    ("range", "Last 365 days"),
    ("range", "Last 30 days"),
)
EXTRA_ARGS = [  # 25 pages in one browser: none of them is throttled as a background tab
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-background-timer-throttling",
]
_OBSERVE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__ipRuns = [];
  new MutationObserver(() => window.__ipRuns.push(
      [performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
# Done: after t0 the state left notRunning and came back; returns the ms it took, else null.
_RERUN_MS = """t0 => {
  const runs = window.__ipRuns.filter(r => r[0] >= t0);
  const i = runs.findIndex(r => r[1] !== 'notRunning');
  if (i < 0) return null;
  const done = runs.slice(i).find(r => r[1] === 'notRunning');
  return done ? done[0] - t0 : null;
}"""
_TROUBLE = """() => {
  const out = [];
  for (const e of document.querySelectorAll('[data-testid="stException"]'))
    out.push('exception: ' + e.innerText.slice(0, 200));
  for (const e of document.querySelectorAll('[data-testid="stAlert"]')) {
    const t = e.innerText;
    if (/is in use|Traceback|failed|cannot/i.test(t)) out.push('alert: ' + t.slice(0, 200));
  }
  return out;
}"""
_COUNTS = """() => {
  const side = document.querySelector('[data-testid="stSidebar"]');
  const hit = side && [...side.querySelectorAll('p')]
    .find(p => p.innerText.includes('daily values'));
  return hit ? hit.innerText : '';
}"""


class _Session:
    """One browser session on Explore, its reruns and what went wrong."""

    def __init__(self, index: int, page) -> None:
        self.index, self.page = index, page
        self.step = index  # sessions start at different actions
        self.times: dict[str, list[float]] = {}
        self.done_at: dict[str, list[float]] = {}  # perf_counter() when each rerun finished
        self.errors: list[str] = []
        self.counts: dict[str, str] = {}
        self.broken = False

    async def open(self, url: str) -> float | None:
        """The first load (to the chart drawn and the script done), or None if it failed (an
        error; the session then sits out)."""
        t = time.perf_counter()
        limit = OPEN_LIMIT_S * 1000
        try:
            await self.page.goto(url, wait_until="commit", timeout=limit)
            await self.page.wait_for_selector(
                '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=limit
            )
            await self.page.wait_for_selector(".js-plotly-plot .main-svg", timeout=limit)
            await self.page.evaluate(_OBSERVE)
        except Exception as exc:  # a timeout: the app did not serve this session
            self.errors.append(f"open: {type(exc).__name__}: {str(exc)[:160]}")
            self.broken = True
            return None
        self.errors += [f"open: {e}" for e in await self.page.evaluate(_TROUBLE)]
        return time.perf_counter() - t

    async def change(self, phase: str) -> None:
        """One filter change and the rerun it starts, timed in the page."""
        kind, value = BROWSER_ACTIONS[self.step % len(BROWSER_ACTIONS)]
        self.step += 1
        page = self.page
        t0 = await page.evaluate("performance.now()")
        try:
            if kind == "range":
                box = page.get_by_test_id("stSelectbox").filter(has_text="Quick range")
                await box.click()
                await page.get_by_role("option", name=value, exact=True).click()
            else:
                await page.get_by_role("radio", name=value, exact=True).click()
            await page.wait_for_function(
                "t0 => (" + _RERUN_MS + ")(t0) !== null",
                arg=t0,
                polling=50,
                timeout=RERUN_LIMIT_S * 1000,
            )
        except Exception as exc:  # a timeout, a widget not there (the page broke)
            self.errors.append(f"{phase} {kind}={value}: {type(exc).__name__}: {str(exc)[:160]}")
            return
        ms = await page.evaluate(_RERUN_MS, t0)
        self.times.setdefault(phase, []).append(ms / 1000)
        self.errors += [f"{phase}: {e}" for e in await page.evaluate(_TROUBLE)]
        self.counts[phase] = await page.evaluate(_COUNTS)


async def _drive_browser(
    url: str, queries: list[dict], browser_path: str, changes: int, importer
) -> dict:
    """Open the sessions, run the three phases (see module) and collect every session's
    rerun times, errors and the sidebar's counts after each phase."""
    from playwright.async_api import async_playwright

    from tests.conftest import CHROMIUM_ARGS

    out: dict = {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=browser_path, args=CHROMIUM_ARGS + EXTRA_ARGS
        )
        try:
            sessions = []
            for i in range(len(queries)):
                context = await browser.new_context(viewport={"width": 1400, "height": 1000})
                sessions.append(_Session(i, await context.new_page()))
            t = time.perf_counter()
            out["open_s"] = []
            for wave in range(0, len(sessions), OPEN_WAVE):  # people arrive, not all at once
                out["open_s"] += await asyncio.gather(
                    *(
                        s.open(f"{url}/explore?" + urllib.parse.urlencode(q, doseq=True))
                        for s, q in zip(
                            sessions[wave : wave + OPEN_WAVE],
                            queries[wave : wave + OPEN_WAVE],
                            strict=True,
                        )
                    )
                )
            out["open_wall_s"] = time.perf_counter() - t
            sessions = [s for s in sessions if not s.broken] + [s for s in sessions if s.broken]
            live = [s for s in sessions if not s.broken]
            out["counts_before"] = [await s.page.evaluate(_COUNTS) for s in sessions]

            async def phase(name: str, keep_going=lambda: False, during=lambda: True) -> float:
                async def one(s: _Session) -> None:
                    n = 0
                    while n < changes or keep_going():
                        # (a change started after the import ended is not one 'during' it)
                        await s.change(name if during() else name + "_ended")
                        n += 1

                t = time.perf_counter()
                await asyncio.gather(*(one(s) for s in live))
                return time.perf_counter() - t

            out["idle_wall_s"] = await phase("idle")
            await asyncio.to_thread(importer.start)
            out["import_phase_wall_s"] = await phase("import", importer.running, importer.active)
            await asyncio.to_thread(importer.finish)
            for s in live:
                s.step = 0  # the first action (grain week) differs from every last one
            await asyncio.gather(*(s.change("after") for s in live))
            out["sessions"] = [
                {"times": s.times, "errors": s.errors, "counts": s.counts} for s in sessions
            ]
        finally:
            await browser.close()
    return out


def browser_run(
    db: str,
    browser: str,
    log: str,
    import_file: str,
    sessions: int = 4,
    changes: int = 1,
    fault: str = "",
    apps_per_session: int = 5,
) -> dict:
    """Start the app on `db`, drive `sessions` Explore sessions in one Chromium (a context
    each, Playwright's async API; never ``playwright install``) with no import, while
    `import_file` is imported by the CLI (held at `fault` if given) and after it."""
    work = Path(log).parent
    app, url = _start_app(db, Path(log), {})
    sampler = _RssSampler(app.pid)
    sampler.start()
    importer = _Importer(db, import_file, fault, work / "ingest.log")
    try:
        queries = []
        for i in range(sessions):
            q = explore_query(db, offset=i) | {"baseline": "previous-day"}
            q["apps"] = q["apps"][:apps_per_session]
            queries.append(q)
        result = asyncio.run(_drive_browser(url, queries, browser, changes, importer))
        assert importer.proc is not None
        result["import"] = {
            "returncode": importer.proc.returncode,
            "wall_s": importer.wall_s,
            "output": importer.log.read_text()[-600:],
        }
        kb = _status_kb(app.pid)
        result["rss_peak_mb"] = round(max(sampler.peak_kb, kb.get("VmRSS", 0)) / 1024, 1)
        result["hwm_mb"] = round(kb.get("VmHWM", 0) / 1024, 1)
        result["rss_end_mb"] = round(kb.get("VmRSS", 0) / 1024, 1)
    finally:
        sampler.stop()
        importer.kill()
        _stop(app)
    return result


# ----------------------------------------------------------------------------- benchmarks
def _have_postgres() -> bool:
    return bool(list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))) or bool(
        shutil.which("pg_ctl")
    )


def _rows(ctx: Context, backend: str) -> dict[str, Result]:
    name = f"app.load.{backend}"
    where = "the file" if backend == "file" else "a lake (DuckLake, local PostgreSQL catalog)"
    think = f"{THINK_S[0]:g}-{THINK_S[1]:g} s think time"
    return {
        "idle": Result(
            id=f"{name}.idle",
            label=f"{SESSIONS} analysts on Explore ({think}), no import, on {where}: rerun",
            size=ctx.size_name,
            target=ErrorTarget(max_p95_s=1.0),
        ),
        "import": Result(
            id=f"{name}.import",
            label=f"{SESSIONS} analysts on Explore while `ingest wide.csv` runs, on {where}",
            size=ctx.size_name,
            target=ErrorTarget(max_p95_s=2.0),
        ),
        "after": Result(
            id=f"{name}.after",
            label=f"{SESSIONS} analysts: the change after the import (must show its values)",
            size=ctx.size_name,
            target=ErrorTarget(),
        ),
        "saturation": Result(
            id=f"{name}.saturation",
            label=f"{SESSIONS} sessions with no think time, on {where}: capacity (reruns/s)",
            size=ctx.size_name,
        ),
        "memory": Result(
            id=f"{name}.memory",
            label=f"App memory with {SESSIONS} sessions and an import, on {where} (peak VmRSS)",
            size=ctx.size_name,
            target=Target(max_rss_mb=1024),
        ),
    }


def _results(ctx: Context, rows: dict[str, Result], v: dict) -> Iterator[Result]:
    imp = v["import"]
    phases = v["phases"]
    sessions = v["sessions"]

    def values(counts: str) -> int | None:
        from benchmarks.ws_client import Rerun

        return Rerun(seconds=0, counts=counts).daily_values()

    before = [values(c) for c in v["counts_before"]]
    after = [values(s["counts"].get("after", "")) for s in sessions]
    saw = sum(1 for b, a in zip(before, after, strict=True) if b and a and a > b)
    later = [values(s["counts"].get("saturation", "")) for s in sessions]  # (a minute on)
    saw_later = sum(1 for b, a in zip(before, later, strict=True) if b and a and a > b)
    not_seen = [] if saw == len(sessions) else [f"after: {len(sessions) - saw} sessions did not "
                                                "count the import's values"]  # fmt: skip
    for phase in ("idle", "import", "after", "saturation"):
        samples = [t for s in sessions for t in s["times"].get(phase, [])]
        counted = {"idle": ("open", "idle"), "import": ("import",), "after": ("after",),
                   "saturation": ("saturation",)}[phase]  # fmt: skip
        errors = [e for s in sessions for e in s["errors"] if e.startswith(counted)]
        if phase == "after":
            errors += not_seen
        p = phases.get(phase, {})
        cpu = (
            f"app {p.get('app_cpu_s', 0):.0f} CPU-s, driver {p.get('driver_cpu_s', 0):.1f} "
            f"CPU-s in {p.get('wall_s', 0):.0f} s; load average {p.get('load_avg_1m', 0):.1f}; "
        )
        extra = ""
        if phase == "import":
            late = [t for s in sessions for t in s["times"].get("import_ended", [])]
            said = (imp.get("output") or "").strip().splitlines()[-1:] or [""]
            extra = f"import exit {imp['returncode']} in {imp['wall_s'] or 0:.0f} s ({said[0]}); "
            if late:
                extra += f"{len(late)} more reruns after it ended; "
        elif phase == "after":
            b = next((x for x in before if x), 0)
            a = next((x for x in after if x), 0)
            extra = (
                f"{saw} of {len(sessions)} sessions counted the import ({b:,} -> {a:,} values); "
            )
            if saw < len(sessions) and "saturation" in phases:
                extra += f"{saw_later} in the saturation run after it; "
        elif phase == "saturation":
            rate = p.get("reruns_per_s", 0.0)
            extra = f"{rate:.2f} reruns/s sustained (counted from the first finish); "
        r = _latency_result(
            ctx,
            rows[phase].id,
            rows[phase].label,
            samples,
            "",
            note=f"{len(samples)} reruns; {extra}{cpu}" + _errors_note(errors),
            target=rows[phase].target,
        )
        r.errors = len(errors)  # type: ignore[attr-defined]
        yield r
    mem = rows["memory"]
    mem.reps, mem.peak_rss_mb = 1, v["rss_peak_mb"]
    opens = sorted(x for x in v["open_s"] if x is not None) or [0.0]
    mem.note = (
        f"VmHWM {v['hwm_mb']:.0f} MB, {v['rss_end_mb']:.0f} MB at the end; {SESSIONS} first "
        f"loads in {phases['open']['wall_s']:.0f} s (median {percentile(opens, 50):.1f} s, "
        f"slowest {opens[-1]:.1f} s)"
    )
    yield mem


def _run(ctx: Context, rows: dict[str, Result], db: str, env: dict[str, str]) -> Iterator[Result]:
    from benchmarks.measure import run_callable

    log = ctx.work_dir / f"app_load_{'lake' if env else 'file'}" / "streamlit.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    s = run_callable(
        f"{HERE}:load_run",
        {"db": db, "log": str(log), "import_file": str(ctx.wide_csv), "env": env},
        timeout=RUN_LIMIT_S + 300,
    )
    if not s.ok:
        for r in rows.values():
            r.status, r.note = STATUS_FAILED, s.stderr_tail.strip()[-800:]
            yield r
        return
    yield from _results(ctx, rows, s.value)


@benchmark(
    "app_load",
    order=70,
    description=f"{SESSIONS} Explore analysts (websocket clients) on the real app, file backend",
)
def load_benchmark(ctx: Context) -> Iterator[Result]:
    # A fresh copy: the import adds a second source to it.
    db = scratch_store(ctx, "app_load_file")
    yield from _run(ctx, _rows(ctx, "file"), str(db), {})


@benchmark(
    "app_load_lake",
    order=71,
    description=f"{SESSIONS} Explore analysts (websocket clients) on the real app, lake backend",
)
def load_lake_benchmark(ctx: Context) -> Iterator[Result]:
    rows = _rows(ctx, "lake")
    if not _have_postgres():
        for r in rows.values():
            r.status = STATUS_NOT_AVAILABLE
            r.note = "needs PostgreSQL (Debian's postgresql package) for the lake's catalog"
            yield r
        return
    import psycopg

    # (not under the work folder: the server runs as postgres, which must reach its folder)
    folder = Path(tempfile.mkdtemp(prefix="installpulse-load-pg-"))
    os.chmod(folder, 0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    subprocess.run([SCRIPT, "start", str(folder / "pg"), str(port)], check=True,
                   capture_output=True)  # fmt: skip
    try:
        with psycopg.connect(
            f"dbname=postgres host=127.0.0.1 port={port} user=postgres", autocommit=True
        ) as pg:
            pg.execute("create database load_lake")
        address = f"ducklake:postgres:dbname=load_lake host=127.0.0.1 port={port} user=postgres"
        env = {
            "INSTALLPULSE_STORE": address,
            "INSTALLPULSE_LAKE_DATA": str(folder / "data"),
            "INSTALLPULSE_ARCHIVE": str(folder / "archive"),
        }
        source = scratch_store(ctx, "app_load_lake_source")
        copy = [sys.executable, "-m", "pipelines", "lake", "copy", "--from", str(source),
                "--to", address]  # fmt: skip
        done = subprocess.run(
            copy, cwd=ROOT, env=child_env(env), capture_output=True, text=True, check=False
        )
        if done.returncode:
            for r in rows.values():
                r.status, r.note = STATUS_FAILED, f"lake copy: {done.stderr[-600:]}"
                yield r
            return
        yield from _run(ctx, rows, address, env)
    finally:
        subprocess.run([SCRIPT, "stop", str(folder / "pg")], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
