"""Load test of the real app: many Explore sessions changing filters while an import runs.

``app_load`` starts ``streamlit run app.py`` on 127.0.0.1 on a copy of the size's store, opens
SESSIONS Explore sessions in one headless Debian Chromium (one browser, a context per session,
driven concurrently through Playwright's async API; never ``playwright install``), each on its
own 5 apps, and has every session change filters (grain, view, quick date range - each a real
rerun, most of them a query the result cache has not seen):

1. with no import running: CHANGES filter changes per session;
2. while ``installpulse ingest wide.csv`` (a restatement of every value of the size: at L
   42M values) runs in another process: changes until it has finished, at least CHANGES each;
3. one more change per session after it, whose page must show the new import.

A rerun's time is measured in the page: from the filter change to Streamlit's script state
going back to "notRunning" (a MutationObserver's timestamps; no polling delay in it). Errors
are reruns that showed an exception, an error box, the 'database in use' sentence, or did not
finish within RERUN_LIMIT_S. The app process's VmRSS is sampled every 0.25 s (peak reported)
with its VmHWM. Benchmarks report, never assert; tests/concurrency runs `load_run` small.

Sessions on this 2-core machine: Chromium's renderers and the app share the cores, so the
figures at 25 sessions include the browser's own CPU; the note says how busy the driver was.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
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
from benchmarks.registry import STATUS_FAILED, Context, Result, Target, benchmark

HERE = "benchmarks.bench_load"
SESSIONS = 25
CHANGES = 3  # filter changes per session per phase (at least: more while the import runs)
OPEN_LIMIT_S = 180.0  # a first load that takes longer counts as an error
OPEN_WAVE = 5  # sessions opened at once
RERUN_LIMIT_S = 60.0  # a rerun that takes longer counts as an error (and the session goes on)
RUN_LIMIT_S = 1800.0  # the whole run, import included
# Every change is a rerun: each grain, view and range differs from the one before it.
ACTIONS = (
    ("grain", "week"),
    ("view", "% vs baseline"),
    ("range", "Last 90 days"),
    ("grain", "month"),
    ("view", "Absolute"),
    ("range", "Last 365 days"),
    ("grain", "day"),
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


class _Session:
    """One browser session on Explore, its reruns and what went wrong."""

    def __init__(self, index: int, page) -> None:
        self.index, self.page = index, page
        self.step = index  # sessions start at different actions
        self.times: dict[str, list[float]] = {}
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
        kind, value = ACTIONS[self.step % len(ACTIONS)]
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


async def _drive(url: str, queries: list[dict], browser_path: str, changes: int, importer) -> dict:
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


class _Importer:
    """`installpulse ingest FILE` in another process. Without a fault it runs freely and the
    sessions change filters until it ends; with one (`import:in_transaction@stop`) it holds
    the database at that point while the sessions make their changes, then is resumed."""

    def __init__(self, db: str, file: str, fault: str, log: Path) -> None:
        self.cmd = [sys.executable, "-m", "pipelines", "ingest", "--db", db, file]
        self.fault, self.log = fault, log
        self.proc: subprocess.Popen | None = None
        self.t0 = 0.0
        self.wall_s: float | None = None

    def start(self) -> None:
        env = child_env({"INSTALLPULSE_FAULT": self.fault} if self.fault else {})
        self.t0 = time.perf_counter()
        with self.log.open("w") as logf:
            self.proc = subprocess.Popen(
                self.cmd, cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT
            )
        if self.fault:
            _wait_for(lambda: _stopped(self.proc) or self.proc.poll() is not None)

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
        self.wall_s = time.perf_counter() - self.t0

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


def load_run(
    db: str,
    browser: str,
    log: str,
    import_file: str,
    sessions: int = SESSIONS,
    changes: int = CHANGES,
    fault: str = "",
    apps_per_session: int = 5,
) -> dict:
    """Start the app on `db`, drive `sessions` Explore sessions through the three phases (see
    module), importing `import_file` with the CLI meanwhile (held at `fault` if given)."""
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
        result = asyncio.run(_drive(url, queries, browser, changes, importer))
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


def _ended(v: dict) -> str:
    late = [t for sess in v["sessions"] for t in sess["times"].get("import_ended", [])]
    if not late:
        return ""
    return f"{len(late)} more reruns after it ended (p95 {percentile(late, 95):.2f} s); "


# ----------------------------------------------------------------------------- benchmark
@benchmark(
    "app_load",
    order=70,
    description=f"{SESSIONS} Explore sessions in Chromium on the real app while an import runs",
)
def load_benchmark(ctx: Context) -> Iterator[Result]:
    from charts.export import find_browser

    browser = find_browser()
    db = str(scratch_store(ctx, "app_load"))
    log = ctx.work_dir / "app_load" / "streamlit.log"
    rows = {
        "idle": Result(
            id="app.load.idle",
            label=f"{SESSIONS} sessions on Explore, no import: rerun (filter change to script end)",
            size=ctx.size_name,
            target=ErrorTarget(max_p95_s=1.0),
        ),
        "import": Result(
            id="app.load.import",
            label=f"{SESSIONS} sessions on Explore while `ingest wide.csv` restates every value",
            size=ctx.size_name,
            target=ErrorTarget(max_p95_s=2.0),
        ),
        "memory": Result(
            id="app.load.memory",
            label=f"App memory with {SESSIONS} sessions and an import (peak VmRSS)",
            size=ctx.size_name,
            target=Target(max_rss_mb=1024),
        ),
    }
    why = "" if browser else "no Chromium at $BROWSER_PATH, /usr/bin/chromium or on PATH"
    if not why:
        try:
            import playwright.async_api  # noqa: F401
        except ImportError as exc:
            why = f"playwright is not installed: {exc}"
    if why:
        for r in rows.values():
            r.status, r.note = STATUS_FAILED, why
            yield r
        return
    from benchmarks.measure import run_callable

    s = run_callable(
        f"{HERE}:load_run",
        {"db": db, "browser": browser, "log": str(log), "import_file": str(ctx.wide_csv)},
        timeout=RUN_LIMIT_S + 300,
    )
    if not s.ok:
        for r in rows.values():
            r.status, r.note = STATUS_FAILED, s.stderr_tail.strip()[-800:]
            yield r
        return
    v = s.value
    imp = v["import"]
    for phase in ("idle", "import"):
        samples = [t for sess in v["sessions"] for t in sess["times"].get(phase, [])]
        counted = ("open", "idle") if phase == "idle" else ("import", "after")  # (+ _ended)
        errors = [e for sess in v["sessions"] for e in sess["errors"] if e.startswith(counted)]
        extra = (
            f"import exit {imp['returncode']} in {imp['wall_s'] or 0:.0f} s; "
            if phase == "import"
            else ""
        )
        r = _latency_result(
            ctx,
            rows[phase].id,
            rows[phase].label,
            samples,
            "",
            note=f"{len(samples)} reruns; {extra}{_ended(v) if phase == 'import' else ''}"
            + _errors_note(errors),
            target=rows[phase].target,
        )
        r.errors = len(errors)  # type: ignore[attr-defined]
        yield r
    mem = rows["memory"]
    mem.reps, mem.peak_rss_mb = 1, v["rss_peak_mb"]
    opens = sorted(x for x in v["open_s"] if x is not None) or [0.0]
    mem.note = (
        f"VmHWM {v['hwm_mb']:.0f} MB, {v['rss_end_mb']:.0f} MB at the end; {SESSIONS} first "
        f"loads in {v['open_wall_s']:.0f} s (slowest {opens[-1]:.1f} s)"
    )
    yield mem
