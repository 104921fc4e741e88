"""The Explore chart's cost per rerun: `charts.explore.explore_figure`, the page's edits, and
what `st.plotly_chart` does with the figure (its `Figure.to_dict`, `plotly.io.to_json`, the
element's protobuf and hash), in process, on the page's view of the size's store.

A third of an Explore rerun's CPU on a loaded server went here (issue 13: 25 sessions). The
reference measured in the same processes is `json.dumps` of the answer's days and numbers as
plain lists: what any serialisation of this chart must at least do. Times are CPU seconds
(`time.process_time`): the machine is shared.

    python -m benchmarks.run --size S --reps 3 --only explore_figure
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

from benchmarks.bench_analytics import (
    EXPLORER_APPS,
    EXPLORER_DAYS,
    ensure_store,
    pooled_latency_row,
)
from benchmarks.registry import Context, Result, benchmark

HERE = "benchmarks.bench_figure"
FIGURE_LOOPS = 10  # figures per view and grain inside each child process
VIEWS = ("absolute", "change", "index")
# The page's default baseline at each grain (previous-day is day-only).
GRAINS = (("day", "previous-day"), ("week", "wow"))
# The answer's numbers a chart draws or hovers.
NUMBERS = ("value", "baseline", "change", "multiple", "typical_low", "typical_high")


def _answers(db: str, offset: int) -> list:
    """The page's answers for 5 apps (a window chosen by ``offset``), 1 country, both
    metrics, the last 180 days, at each grain, with an event every month."""
    import polars as pl

    from pipelines import reads
    from semantic.answer import answer
    from semantic.request import SeriesRequest

    opts = reads.filter_options(db)
    apps = sorted(opts["apps"])
    first = offset * EXPLORER_APPS % max(1, len(apps) - EXPLORER_APPS + 1)
    end = opts["last_date"]
    start = end - timedelta(days=EXPLORER_DAYS - 1)
    country = "US" if "US" in opts["countries"] else opts["countries"][0]
    days = [end - timedelta(days=d) for d in range(10, EXPLORER_DAYS, 30)]
    events = pl.DataFrame(
        {
            "event_id": list(range(1, len(days) + 1)),
            "start_date": days,
            "end_date": [d + timedelta(days=3) if i == 1 else None for i, d in enumerate(days)],
            "title": [f"Event {i}" for i in range(len(days))],
            "is_approximate": [i == 2 for i in range(len(days))],
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


def figure_loop(db: str, offset: int = 0, mode: str = "chart") -> list[float]:
    """CPU seconds per chart, for every view at each grain (``FIGURE_LOOPS`` each).

    ``mode``: ``chart`` - the page's figure and st.plotly_chart's work on it; ``floor`` -
    `json.dumps` of the answer's days and numbers as plain lists."""
    import hashlib
    import json

    import plotly.io
    import plotly.tools
    import polars as pl
    from streamlit.proto.PlotlyChart_pb2 import PlotlyChart

    from charts.explore import explore_figure
    from semantic import views

    times = []
    for request, found, events in _answers(db, offset):
        results, spikes = found.results, found.spikes
        for view in VIEWS:
            for _ in range(FIGURE_LOOPS):
                t0 = time.process_time()
                if mode == "floor":
                    plain = results.select(
                        pl.col("date").cast(pl.String), *(c for c in NUMBERS if c in results)
                    )
                    json.dumps(plain.to_dict(as_series=False))
                else:
                    fig = explore_figure(
                        results,
                        spikes=spikes if spikes.height else None,
                        events=events,
                        view=view,
                        subtitle=views.chart_subtitle(results, request),
                    )
                    fig.update_layout(height=540, dragmode="zoom", margin=dict(t=118))
                    day = views.peak_day(results)
                    fig.add_shape(type="line", xref="x", yref="paper", x0=day.isoformat(),
                                  x1=day.isoformat(), y0=0, y1=1, name="selected day")  # fmt: skip
                    # What st.plotly_chart does with it (streamlit/elements/plotly_chart.py).
                    figure = plotly.tools.return_figure_from_figure_or_data(fig, True)
                    proto = PlotlyChart(spec=plotly.io.to_json(figure, validate=False))
                    hashlib.md5(proto.SerializeToString()).hexdigest()
                times.append(time.process_time() - t0)
    return times


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
