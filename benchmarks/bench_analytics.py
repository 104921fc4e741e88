"""Analytics benchmarks: the whole-database spike scan and the explorer's data path.

Both run on a store built from the generated ``long.csv`` with ``installpulse ingest`` (the real
import, so the physical order is the one users get), cached next to the data under
``benchmarks/data/<size>-.../analytics/store.duckdb`` and rebuilt only when missing.

* ``spikes`` - ``installpulse spikes`` over every series for the last 7 days: one DuckDB read of
  the range plus the 28-day look-back, keyed by series id (``reads.recent_values``), then robust
  scores of the days that can reach the threshold, top movers and episodes over all series.
  Reported as a whole fresh process (what a user waits for; target < 1 s) and as the
  in-process time of the same work.
* ``explorer`` - what the Explore page does when its filters change: 5 apps, 1 country, both
  metrics, 180 days: ``semantic.answer.answer`` (totals with the look-back, ``mean:28``
  baselines, the typical day-over-day change and spike episodes), from filter values to
  frames, a different set of 5 apps each time and no result cache. Three rows: the floor
  (the raw DuckDB query of the same stored rows), the page rerun (the connection kept open,
  as the app's Store keeps it; target p95 < 150 ms) and the same on a new connection each
  time (the first rerun after the app starts). p50/p95 over every repetition.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.measure import measure, percentile, run_callable, run_command
from benchmarks.registry import Context, Result, Target, benchmark

HERE = "benchmarks.bench_analytics"
SPIKES_TARGET = Target(max_median_s=1.0)
EXPLORER_TARGET = Target(max_p95_s=0.150)
EXPLORER_APPS = 5
EXPLORER_DAYS = 180
EXPLORER_LOOPS = 20  # cold repetitions inside each child process
SPIKES_LOOPS = 5


# ----------------------------------------------------------------------------- the store
def store_path(ctx: Context) -> Path:
    return ctx.data_dir / "analytics" / "store.duckdb"


def ensure_store(ctx: Context) -> Path:
    """The generated long.csv ingested with `installpulse ingest`, cached with the data, in
    the state a current import leaves: a cached store made before the stored scores (schema
    v009), or migrated since, is filled with `installpulse precompute --all` first - else
    every page read and the load test's import scored on the fly what a real store has
    stored (the S and L stores of 2026-12-03 were unfilled, and so measured)."""
    db = store_path(ctx)
    done = db.with_name("ingested.ok")
    if done.exists() and db.exists():
        _fill(ctx, db)
        return db
    shutil.rmtree(db.parent, ignore_errors=True)
    db.parent.mkdir(parents=True)
    cmd = [sys.executable, "-m", "pipelines", "ingest", "--db", str(db), str(ctx.long_csv)]
    s = run_command(cmd, timeout=ctx.timeout_s)
    if not s.ok:
        raise RuntimeError(f"ingest of {ctx.long_csv.name} failed: {s.stderr_tail[-600:]}")
    shutil.rmtree(db.parent / "archive", ignore_errors=True)  # the import's copy of the CSV
    done.write_text(f"{ctx.long_csv}\n")
    _fill(ctx, db)
    return db


def _fill(ctx: Context, db: Path) -> None:
    """Store the scores and rankings if the store has none (see `ensure_store`)."""
    from pipelines import precompute, store

    filled = precompute.read_state(db).is_filled
    store.release_all()  # (the command below writes the file)
    if filled:
        return
    cmd = [sys.executable, "-m", "pipelines", "precompute", "--all", "--db", str(db)]
    s = run_command(cmd, timeout=ctx.timeout_s)
    if not s.ok:
        raise RuntimeError(f"precompute --all on {db} failed: {s.stderr_tail[-600:]}")


# ----------------------------------------------------------------------------- child callables
def spikes_loop(db: str, loops: int = SPIKES_LOOPS, offset: int = 0) -> list[float]:
    """The `installpulse spikes` work in process (caches cleared each time): latencies."""
    from pipelines import analysis_cli, sql, store

    times = []
    for _ in range(loops):
        sql.load.cache_clear()
        store.release_all()
        t0 = time.perf_counter()
        out, _, _ = analysis_cli.spikes_frame(db)
        assert out.width > 0
        times.append(time.perf_counter() - t0)
    return times


def _explorer_requests(db: str, loops: int, offset: int) -> list:
    """``loops`` Explore requests over different sets of 5 apps (deterministic)."""
    from datetime import timedelta

    from pipelines import reads
    from semantic.request import SeriesRequest

    apps = sorted(reads.filter_options(db)["apps"])
    end = reads.last_date(db)
    start = end - timedelta(days=EXPLORER_DAYS - 1)
    out = []
    for i in range(loops):
        first = (offset * loops + i) * EXPLORER_APPS % max(1, len(apps) - EXPLORER_APPS + 1)
        out.append(
            SeriesRequest.build(
                apps[first : first + EXPLORER_APPS],
                ["installs", "uninstalls"],
                start,
                end,
                countries="US",
                method="mean:28",
            )
        )
    return out


def explorer_loop(
    db: str, loops: int = EXPLORER_LOOPS, offset: int = 0, mode: str = "rerun"
) -> list[float]:
    """Explorer data paths with no result cache; returns the latency of each, in seconds.

    ``mode``: ``rerun`` - what a page rerun does: the app's Store keeps its connection open
    across reruns (opened once before timing), query-text cache cleared; ``reconnect`` - the
    same on a new connection each time (the first rerun after the app starts or the file is
    replaced: open, schema check); ``raw`` - the floor: one DuckDB query of the same rows
    (the chosen apps' stored series, both metrics, US, range plus look-back) into polars.
    """
    import polars as pl

    from pipelines import sql, store
    from semantic import answer

    requests = _explorer_requests(db, loops, offset)
    extra = max(answer.TYPICAL_LOOKBACK, answer.presets.SPIKE_WINDOW + 1)
    times = []
    with store.connect(db):
        pass  # open (and check) once: a running app has done this before the first rerun
    for request in requests:
        sql.load.cache_clear()
        if mode == "reconnect":
            store.release_all()
        t0 = time.perf_counter()
        if mode == "raw":
            with store.connect(db) as con:
                frame = pl.DataFrame(
                    con.sql(
                        "select i.app_id, s.metric, o.date, o.value from observations o "
                        "join series s using (series_id) join identifiers i using (identifier) "
                        "join apps a using (app_id) where list_contains($apps, a.name) "
                        "and list_contains($metrics, s.metric) and s.country = 'US' "
                        "and o.date between $start and $end",
                        params={
                            "apps": list(request.apps),
                            "metrics": list(request.metrics),
                            "start": request.first_day_read(extra),
                            "end": request.end,
                        },
                    )
                )
            assert frame.height > 0
        else:
            # The Explore page's call: totals (ip_totals), mean:28 baselines, the typical
            # change (31 days back) and spike episodes (28 days back), from one read.
            found = answer.answer(db, request)
            assert found.results.height > 0 and found.spikes.width > 0
        times.append(time.perf_counter() - t0)
    return times


# ----------------------------------------------------------------------------- benchmarks
@benchmark("analytics_spikes", order=30, description="Top movers over every series, last 7 days")
def spikes_benchmark(ctx: Context) -> Iterator[Result]:
    db = ensure_store(ctx)
    cmd = [sys.executable, "-m", "pipelines", "spikes", "--db", str(db), "--format", "csv"]
    m = measure(lambda: run_command(cmd, timeout=ctx.timeout_s), ctx.reps)
    yield Result.from_measurement(
        "analytics.spikes.cli",
        "installpulse spikes (all series, last 7 days), whole process",
        ctx,
        m,
        target=SPIKES_TARGET,
        note="read range + 28-day look-back, score, top movers, episodes",
    )
    yield pooled_latency_row(
        ctx,
        "analytics.spikes.inner",
        "spikes_frame in process (read + score + top movers + episodes, cold)",
        "spikes_loop",
        {"db": str(db)},
        note=f"{SPIKES_LOOPS} runs per process x {ctx.reps} processes",
    )


@benchmark(
    "analytics_explorer", order=20, description="Explorer data path, 5 apps x 1 country x 180 days"
)
def explorer_benchmark(ctx: Context) -> Iterator[Result]:
    db = ensure_store(ctx)
    what = f"{EXPLORER_APPS} apps, 1 country, {EXPLORER_DAYS} days"
    floor = pooled_latency_row(
        ctx,
        "analytics.explorer.raw_read",
        f"Floor: the raw DuckDB query of the same rows ({what}), into polars",
        "explorer_loop",
        {"db": str(db), "mode": "raw"},
        note="the stored series as they are: no totals, baselines or spikes",
    )
    floor.is_floor = True
    yield floor
    rerun = pooled_latency_row(
        ctx,
        "analytics.explorer.data_path",
        f"Explorer data path: {what}, mean:28 + typical + spikes (page rerun, no cache)",
        "explorer_loop",
        {"db": str(db), "mode": "rerun"},
        note=f"{EXPLORER_LOOPS} paths per process x {ctx.reps} processes; the connection "
        "stays open as the app's Store keeps it",
        target=EXPLORER_TARGET,
    )
    rerun.compare_to(floor)
    yield rerun
    cold = pooled_latency_row(
        ctx,
        "analytics.explorer.data_path_reconnect",
        f"Explorer data path on a new connection each time ({what})",
        "explorer_loop",
        {"db": str(db), "mode": "reconnect"},
        note="open + schema check + the path: the first rerun after the app starts",
    )
    cold.compare_to(floor)
    yield cold


def pooled_latency_row(
    ctx: Context,
    id: str,
    label: str,
    fn: str,
    kwargs: dict,
    *,
    note: str,
    target: Target | None = None,
) -> Result:
    """Pool the latencies a child callable returns over ``ctx.reps`` fresh processes (each
    given its rep as ``offset``). ``fn``: a function of this module, or ``module:function``."""
    samples: list[float] = []
    error = ""
    target_fn = fn if ":" in fn else f"{HERE}:{fn}"
    for rep in range(max(1, ctx.reps)):
        s = run_callable(target_fn, {**kwargs, "offset": rep}, timeout=ctx.timeout_s)
        if not s.ok:
            error = s.stderr_tail.strip()[-600:] or f"exit {s.returncode}"
            break
        samples += list(s.value or [])
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
    if error or not samples:
        r.status = "failed"
        r.note = error or "no samples"
        return r
    r.median_s = round(percentile(samples, 50), 4)
    r.p95_s = round(percentile(samples, 95), 4)
    return r
