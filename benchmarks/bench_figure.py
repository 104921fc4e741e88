"""The Explore chart's cost per rerun: `charts.explore.explore_figure`, the page's edits, and
what `st.plotly_chart` does with the figure (its `Figure.to_dict`, `plotly.io.to_json`, the
element's protobuf and hash), in process, on the page's view of the size's store.

A third of an Explore rerun's CPU on a loaded server went here (issue 13: 25 sessions). The
reference measured in the same processes is `json.dumps` of the answer's days and numbers as
plain lists: what any serialisation of this chart must at least do. Times are CPU seconds
(`time.process_time`): the machine is shared. The `send` rows time st.plotly_chart's part
alone (the figure made outside the clock), on the page's 180 days and on a year; their notes
give the spec's size (the JSON the browser receives).

    python -m benchmarks.run --size S --reps 3 --only explore_figure
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import timedelta

from benchmarks.bench_analytics import (
    EXPLORER_APPS,
    EXPLORER_DAYS,
    ensure_store,
    pooled_latency_row,
)
from benchmarks.measure import run_callable
from benchmarks.registry import Context, Result, benchmark

HERE = "benchmarks.bench_figure"
FIGURE_LOOPS = 10  # figures per view and grain inside each child process
VIEWS = ("absolute", "change", "index")
# The page's default baseline at each grain (previous-day is day-only).
GRAINS = (("day", "previous-day"), ("week", "wow"))
# The answer's numbers a chart draws or hovers.
NUMBERS = ("value", "baseline", "change", "multiple", "typical_low", "typical_high")


def _answers(db: str, offset: int, days: int = EXPLORER_DAYS) -> list:
    """The page's answers for 5 apps (a window chosen by ``offset``), 1 country, both
    metrics, the last ``days`` days, at each grain, with an event every month."""
    import polars as pl

    from pipelines import reads
    from semantic.answer import answer
    from semantic.request import SeriesRequest

    opts = reads.filter_options(db)
    apps = sorted(opts["apps"])
    first = offset * EXPLORER_APPS % max(1, len(apps) - EXPLORER_APPS + 1)
    end = opts["last_date"]
    start = end - timedelta(days=days - 1)
    country = "US" if "US" in opts["countries"] else opts["countries"][0]
    marked = [end - timedelta(days=d) for d in range(10, days, 30)]
    events = pl.DataFrame(
        {
            "event_id": list(range(1, len(marked) + 1)),
            "start_date": marked,
            "end_date": [d + timedelta(days=3) if i == 1 else None for i, d in enumerate(marked)],
            "title": [f"Event {i}" for i in range(len(marked))],
            "is_approximate": [i == 2 for i in range(len(marked))],
        },
        schema_overrides={"end_date": pl.Date},
    )
    out = []
    for grain, method in GRAINS:
        request = SeriesRequest.build(
            apps[first : first + EXPLORER_APPS],
            [m for m in ("installs", "uninstalls") if m in opts["metrics"]],
            start,
            end,
            countries=[country],
            grain=grain,
            method=method,
        )
        out.append((request, answer(db, request), events))
    return out


def _page_figure(found, request, events, view: str):
    """The Explore page's figure: explore_figure, then the page's edits (app_pages/explore.py)."""
    from charts.explore import explore_figure
    from semantic import views

    results, spikes = found.results, found.spikes
    fig = explore_figure(
        results,
        spikes=spikes if spikes.height else None,
        events=events,
        view=view,  # type: ignore[arg-type]
        subtitle=views.chart_subtitle(results, request),
    )
    fig.update_layout(height=540, dragmode="zoom", margin=dict(t=118))
    day = views.peak_day(results)
    fig.add_shape(type="line", xref="x", yref="paper", x0=day.isoformat(),
                  x1=day.isoformat(), y0=0, y1=1, name="selected day")  # fmt: skip
    return fig


def _send(fig) -> str:
    """What st.plotly_chart does with the figure (streamlit/elements/plotly_chart.py): the
    figure's dict, its JSON (the spec), the message and its hash; returns the spec."""
    import hashlib

    import plotly.io
    import plotly.tools
    from streamlit.proto.PlotlyChart_pb2 import PlotlyChart

    figure = plotly.tools.return_figure_from_figure_or_data(fig, True)
    proto = PlotlyChart(spec=plotly.io.to_json(figure, validate=False))
    hashlib.md5(proto.SerializeToString()).hexdigest()
    return proto.spec


def figure_loop(
    db: str, offset: int = 0, mode: str = "chart", days: int = EXPLORER_DAYS
) -> list[float]:
    """CPU seconds per chart, for every view at each grain (``FIGURE_LOOPS`` each).

    ``mode``: ``chart`` - the page's figure and st.plotly_chart's work on it; ``send`` -
    st.plotly_chart's work alone; ``floor`` - `json.dumps` of the answer's days and numbers
    as plain lists."""
    import json

    import polars as pl

    times = []
    for request, found, events in _answers(db, offset, days):
        results = found.results
        for view in VIEWS:
            for _ in range(FIGURE_LOOPS):
                fig = _page_figure(found, request, events, view) if mode == "send" else None
                t0 = time.process_time()
                if mode == "floor":
                    plain = results.select(
                        pl.col("date").cast(pl.String), *(c for c in NUMBERS if c in results)
                    )
                    json.dumps(plain.to_dict(as_series=False))
                elif mode == "send":
                    _send(fig)
                else:
                    _send(_page_figure(found, request, events, view))
                times.append(time.process_time() - t0)
    return times


def spec_sizes(db: str, offset: int = 0, days: int = EXPLORER_DAYS) -> list[float]:
    """The spec's length in bytes (what the browser receives) of every view at each grain."""
    return [
        float(len(_send(_page_figure(found, request, events, view))))
        for request, found, events in _answers(db, offset, days)
        for view in VIEWS
    ]


@benchmark(
    "explore_figure",
    order=25,
    description="Explore chart: figure + st.plotly_chart's work, CPU per rerun",
)
def figure_benchmark(ctx: Context) -> Iterator[Result]:
    db = str(ensure_store(ctx))
    what = f"{EXPLORER_APPS} apps x 2 metrics x {EXPLORER_DAYS} days, 1 country"
    runs = f"{len(VIEWS)} views x {len(GRAINS)} grains x {FIGURE_LOOPS} per process"
    floor = pooled_latency_row(
        ctx,
        "explore.figure.json_floor",
        f"Floor: json.dumps of the answer's days and numbers as plain lists ({what})",
        f"{HERE}:figure_loop",
        {"db": db, "mode": "floor"},
        note=f"CPU seconds; {runs}",
    )
    floor.is_floor = True
    yield floor
    chart = pooled_latency_row(
        ctx,
        "explore.figure.chart",
        f"Explore chart: explore_figure + the page's edits + st.plotly_chart's to_dict, "
        f"to_json and message hash ({what}, day and week, with events and spikes)",
        f"{HERE}:figure_loop",
        {"db": db, "mode": "chart"},
        note=f"CPU seconds; {runs}",
    )
    chart.compare_to(floor)
    yield chart
    for days in (EXPLORER_DAYS, 365):
        if days != EXPLORER_DAYS:
            floor = pooled_latency_row(
                ctx,
                f"explore.figure.json_floor_{days}d",
                f"Floor: json.dumps of the answer's days and numbers as plain lists "
                f"({EXPLORER_APPS} apps x 2 metrics x {days} days, 1 country)",
                f"{HERE}:figure_loop",
                {"db": db, "mode": "floor", "days": days},
                note=f"CPU seconds; {runs}",
            )
            floor.is_floor = True
            yield floor
        size = run_callable(f"{HERE}:spec_sizes", {"db": db, "days": days}, timeout=ctx.timeout_s)
        spec = (
            f"spec {statistics.median(size.value) / 1e3:,.0f} KB median, "
            f"{max(size.value) / 1e3:,.0f} KB max"
            if size.ok and size.value
            else "spec size not measured"
        )
        send = pooled_latency_row(
            ctx,
            f"explore.figure.send_{days}d",
            f"st.plotly_chart's work alone (to_dict, to_json, message hash) on the page's "
            f"figure ({EXPLORER_APPS} apps x 2 metrics x {days} days, 1 country, day and week)",
            f"{HERE}:figure_loop",
            {"db": db, "mode": "send", "days": days},
            note=f"CPU seconds; {runs}; {spec}",
        )
        send.compare_to(floor)
        yield send
