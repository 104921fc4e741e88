"""Chart export: PNG and SVG of an explorer figure through ``charts.export.export_image``.

The figure is the one the Explore page offers for download: ``charts.explore.explore_figure``
over 5 apps x 1 country x both metrics x 180 days with ``mean:28`` baselines, typical bands and
spike markers (read from the size's analytics store), laid out by
``charts.publish.publication_layout`` at the default 1200 x 675 px, scale 2.

Each repetition is a fresh process per format: the first export (which starts kaleido's shared
server and Chromium) and then ``WARM_EXPORTS`` warm exports of the same format. Reported: the
median first export, and the median/p95 of the warm ones (target: warm median < 0.3 s).
Without Chromium the rows are ``failed`` with the reason (nothing downloads a browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from benchmarks.bench_app import _latency_result, explore_query, scratch_store
from benchmarks.measure import percentile, run_callable
from benchmarks.registry import STATUS_FAILED, Context, Result, Target, benchmark

HERE = "benchmarks.bench_export"
WARM_EXPORTS = 10
WARM_TARGET = Target(max_median_s=0.3)
FORMATS = ("png", "svg")


def explorer_publication_figure(db: str, offset: int = 0):
    """The Explore page's download figure for the benchmark view (no Streamlit involved)."""
    from charts import publish
    from charts.explore import explore_figure
    from pipelines import events
    from semantic import answer, views

    q = explore_query(db, offset)
    state = views.ExploreState(
        apps=q["apps"],
        metrics=q["metrics"],
        countries=[q["countries"]],
        start=date.fromisoformat(q["start"]),
        end=date.fromisoformat(q["end"]),
        baseline=q["baseline"],
    )
    request = state.request()
    found = answer.answer(db, request)
    results = found.results
    chart_events = views.events_for_apps(events.list_events(db), state.apps)
    fig = explore_figure(
        results,
        spikes=found.spikes if found.spikes.height else None,
        events=chart_events if chart_events.height else None,
        subtitle=views.chart_subtitle(results, request),
    )
    return publish.publication_layout(
        fig, source_line=views.source_line(found.sources), export_date=date.today()
    )


def export_loop(db: str, fmt: str, warm: int = WARM_EXPORTS, offset: int = 0) -> dict:
    """First export of ``fmt`` in this process (starts Chromium), then ``warm`` more."""
    import time

    from charts import export, publish

    pub = explorer_publication_figure(db, offset)
    size = {
        "width": publish.DEFAULT_WIDTH,
        "height": publish.DEFAULT_HEIGHT,
        "scale": publish.DEFAULT_SCALE,
    }
    try:
        t = time.perf_counter()
        data = export.export_image(pub, fmt=fmt, **size)
        first = time.perf_counter() - t
        times = []
        for _ in range(warm):
            t = time.perf_counter()
            data = export.export_image(pub, fmt=fmt, **size)
            times.append(time.perf_counter() - t)
    finally:
        export.stop_export_server()
    return {"first_s": first, "times": times, "bytes": len(data)}


@benchmark("export", order=50, description="Chart export PNG/SVG: first and warm")
def export_benchmark(ctx: Context) -> Iterator[Result]:
    from charts.export import browser_available

    ok, why = browser_available()
    db = str(scratch_store(ctx, "export")) if ok else ""
    for fmt in FORMATS:
        first_label = f"Chart export {fmt.upper()}, first (starts Chromium)"
        warm_label = f"Chart export {fmt.upper()}, warm (median of {WARM_EXPORTS})"
        if not ok:
            for id, label, target in (
                (f"export.{fmt}.first", first_label, None),
                (f"export.{fmt}.warm", warm_label, WARM_TARGET),
            ):
                yield Result(
                    id=id, label=label, size=ctx.size_name, status=STATUS_FAILED,
                    target=target, note=why,
                )  # fmt: skip
            continue
        firsts: list[float] = []
        warm: list[float] = []
        nbytes = 0
        failure = ""
        for rep in range(max(1, ctx.reps)):
            s = run_callable(
                f"{HERE}:export_loop", {"db": db, "fmt": fmt, "offset": rep}, timeout=ctx.timeout_s
            )
            if not s.ok:
                failure = s.stderr_tail.strip()[-800:] or f"exit {s.returncode}"
                break
            firsts.append(s.value["first_s"])
            warm += s.value["times"]
            nbytes = s.value["bytes"]
        size_note = f"1200 x 675 px, scale 2; {nbytes / 1024:,.0f} KB"
        first = _latency_result(
            ctx,
            f"export.{fmt}.first",
            first_label,
            firsts,
            failure,
            note=f"one per process x {len(firsts)} processes; {size_note}",
        )
        first.show_p95 = False
        yield first
        r = _latency_result(
            ctx,
            f"export.{fmt}.warm",
            warm_label,
            warm,
            failure,
            note=f"{WARM_EXPORTS} per process x {len(firsts)} processes; {size_note}",
            target=WARM_TARGET,
        )
        if warm:
            r.median_s = round(percentile(warm, 50), 4)
        yield r
