"""Work done once (issue 13): what storing spike scores and Overview rankings costs an import,
and what it saves the Overview.

* The Overview's data path, three ways, p50/p95 over every repetition of fresh processes (the
  "Over the last" days cycle 14 -> 30 -> 7, the method cycles the four choices, no result
  cache): the floor (the raw DuckDB query of the same stored rows into polars), the page's
  reads of the stored rankings (``precompute.stored_movers`` + ``stored_episodes``: named
  rows), and the on-the-fly scan it replaced (``views.overview_movers`` and
  ``overview_episodes`` over ``reads.recent_values``, as the page still does for a migrated
  file that is not filled yet).
* The import cost: ``contract.ingest_file`` of long.csv into a new database, with the time
  spent in the precompute step (``precompute.after_write``, timed by a wrapper in the child
  process) taken apart; the ratio is the import to the import without that step. The same
  for a daily import: one new day for every series (the last day's rows a day later), where
  only that day is scored and the rankings rebuilt.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from benchmarks.measure import percentile, run_callable
from benchmarks.registry import Context, Result, benchmark

HERE = "benchmarks.bench_precompute"
OVERVIEW_LOOPS = 12
SCAN_LOOPS = 2
METHODS = ("mean:28", "previous-day", "median:28", "weekday:4")


# ----------------------------------------------------------------------------- children
def _timed_ingest(csv_path: str, db: str) -> list[float]:
    """(import seconds, seconds of it in the precompute step), in this process."""
    from pipelines import contract, precompute

    spent = [0.0]
    inner = precompute.after_write

    def timed(con, import_id):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return inner(con, import_id)
        finally:
            spent[0] += time.perf_counter() - t0

    precompute.after_write = timed
    t0 = time.perf_counter()
    contract.ingest_file(Path(csv_path), db)
    return [time.perf_counter() - t0, spent[0]]


def ingest_child(csv_path: str, db: str, next_day_csv: str) -> list[float]:
    """Import long.csv into a new database, then one more day of every series."""
    from pipelines import store

    first = _timed_ingest(csv_path, db)
    store.release_all()
    daily = _timed_ingest(next_day_csv, db)
    return first + daily


def overview_loop(db: str, mode: str, loops: int, offset: int = 0) -> list[float]:
    """Seconds per Overview data path (no result cache)."""
    import polars as pl

    from pipelines import precompute, reads, store
    from semantic import views

    # Open (and check) once, as a running app has before its first rerun.
    with store.connect(db) as con:
        last = con.sql("select max(date) from observations").fetchone()[0]  # type: ignore[index]
    times = []
    for i in range(loops):
        days = (14, 30, 7)[(i + offset) % 3]
        method = METHODS[(i + offset) % 4]
        t0 = time.perf_counter()
        if mode == "raw":
            with store.connect(db) as con:
                movers = pl.DataFrame(
                    con.sql(
                        "select * from overview_movers where days = $days and method = $method "
                        "order by rank",
                        params={"days": days, "method": method},
                    )
                )
                found = pl.DataFrame(
                    con.sql(
                        "select * from overview_episodes where abs(peak_score) >= 6 "
                        "order by end_date desc, abs(peak_score) desc limit 20"
                    )
                )
        elif mode == "stored":
            movers = precompute.stored_movers(db, days, method)
            found = precompute.stored_episodes(db, 6.0, 20)
        else:
            fetch_start, start, end = views.overview_window(last, days, method)
            series = int(reads.totals(db)["series"])
            since = last - timedelta(days=views.episode_days(series, 90) - 1)
            read_from = min(fetch_start, since - timedelta(days=views.SPIKE_WINDOW))
            values, names = reads.recent_values(db, read_from, date.max, lookback_days=0)
            movers = views.overview_movers(
                values.filter(pl.col("date") >= fetch_start), start, end, method, names=names
            )
            found = views.overview_episodes(values, since, limit=200, names=names)
        times.append(time.perf_counter() - t0)
        assert movers.height > 0 and found.width > 0
    return times


# ----------------------------------------------------------------------------- parent
def _next_day(long_csv: Path, out: Path) -> Path:
    """The rows of long.csv's last day, dated a day later: one new day of every series."""
    if out.exists():
        return out
    last = ""
    with long_csv.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            last = max(last, row["date"])
    nxt = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    with long_csv.open(newline="", encoding="utf-8") as f, out.open("w", newline="") as o:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(o, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for row in reader:
            if row["date"] == last:
                writer.writerow({**row, "date": nxt})
    return out


def _row(ctx: Context, id: str, label: str, samples: list[float], note: str) -> Result:
    r = Result(
        id=id,
        label=label,
        size=ctx.size_name,
        reps=len(samples),
        samples_s=[round(x, 4) for x in samples],
        show_p95=len(samples) > 1,
        note=note,
    )
    if not samples:
        r.status = "failed"
        return r
    r.median_s = round(percentile(samples, 50), 4)
    r.p95_s = round(percentile(samples, 95), 4)
    return r


@benchmark(
    "precompute",
    order=35,
    description="Stored scores: the Overview's reads against the raw query; the import's cost",
)
def precompute_benchmark(ctx: Context) -> Iterator[Result]:
    work = ctx.work_dir / "precompute"
    work.mkdir(parents=True, exist_ok=True)
    next_day = _next_day(ctx.long_csv, ctx.data_dir / "long_next_day.csv")
    runs: list[list[float]] = []
    db = work / "store.duckdb"
    error = ""
    for rep in range(max(1, ctx.reps)):
        target = work / f"store{rep}.duckdb"
        s = run_callable(
            f"{HERE}:ingest_child",
            {"csv_path": str(ctx.long_csv), "db": str(target), "next_day_csv": str(next_day)},
            timeout=ctx.timeout_s,
        )
        if not s.ok:
            error = s.stderr_tail.strip()[-600:]
            break
        runs.append(list(s.value or []))
        db = target
    if error:
        yield Result(
            id="precompute.import.long",
            label="installpulse ingest long.csv into a new database, with the precompute",
            size=ctx.size_name,
            status="failed",
            note=error,
        )
        return
    whole = [r[0] for r in runs]
    part = [r[1] for r in runs]
    ratio = percentile(whole, 50) / max(1e-9, percentile(whole, 50) - percentile(part, 50))
    yield _row(
        ctx,
        "precompute.import.long",
        "installpulse ingest long.csv into a new database, with the precompute",
        whole,
        note=f"of which the precompute (every series' last 120 days, rankings) "
        f"{percentile(part, 50):.2f} s: {ratio:.2f}x the import without it",
    )
    whole = [r[2] for r in runs]
    part = [r[3] for r in runs]
    ratio = percentile(whole, 50) / max(1e-9, percentile(whole, 50) - percentile(part, 50))
    yield _row(
        ctx,
        "precompute.import.daily",
        "Daily import: one new day of every series, with the precompute",
        whole,
        note=f"of which the precompute (that day, rankings) {percentile(part, 50):.2f} s: "
        f"{ratio:.2f}x the import without it",
    )
    rows = {}
    for mode, label, loops in (
        ("raw", "Floor: the raw DuckDB query of the stored rankings' rows, into polars", 0),
        ("stored", "Overview data path: the stored rankings, named (page reads)", 0),
        ("scan", "Overview data path scoring every series on the fly (before; unfilled file)", 1),
    ):
        samples: list[float] = []
        for rep in range(max(1, ctx.reps)):
            s = run_callable(
                f"{HERE}:overview_loop",
                {
                    "db": str(db),
                    "mode": mode,
                    "loops": SCAN_LOOPS if loops else OVERVIEW_LOOPS,
                    "offset": rep,
                },
                timeout=ctx.timeout_s,
            )
            if not s.ok:
                break
            samples += list(s.value or [])
        r = _row(
            ctx,
            f"precompute.overview.{mode}",
            label,
            samples,
            note="the days cycle 14 -> 30 -> 7, the methods the four choices; no result cache",
        )
        if mode == "raw":
            r.is_floor = True
        else:
            r.compare_to(rows["raw"])
        rows[mode] = r
        yield r
