"""The explorer chart: daily series with their baselines, typical ranges, spikes and events.

One figure answers "how big was this day, compared with what?": every line carries its
baseline (dashed, same colour) and the hover states the change with its multiple and
method. Three views share the same traces: absolute values, % change vs the baseline, and
an index (100 = the series' own first baseline) for comparing apps of different size;
a right-hand axis is the alternative when absolute levels must be kept.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Literal

import plotly.graph_objects as go
import polars as pl

from analytics.formatting import fmt_date, fmt_score, fmt_value
from charts.events import add_events
from charts.labels import KEY_COLUMNS, format_change, join_distinct, series_label, varying_keys
from charts.publish import add_footer, describe_results, set_titles
from charts.text import safe_text
from charts.theme import EVENT_COLOR, MUTED_COLOR, TEMPLATE_NAME, colors_for, with_alpha

View = Literal["absolute", "change", "index"]
VIEWS: tuple[str, ...] = ("absolute", "change", "index")
VALUE_DASHES: tuple[str, ...] = ("solid", "dot", "dashdot", "longdashdot")
MARKER_SYMBOLS: tuple[str, ...] = ("circle", "square", "diamond", "cross", "x", "star")
BASELINE_DASH = "dash"
# Series with more points than this are drawn without markers (they would be a smear).
MARKER_MAX_POINTS = 120

# Every number and date in the hover is text made in Python by analytics.formatting and passed
# in customdata (no d3 format: it rounds in binary, in JavaScript, and printed 0.145 as "+14%").
# customdata = [series label, value, baseline, change with multiple and method, date].
HOVER_TEMPLATE = (
    "<b>%{customdata[0]}</b><br>%{customdata[4]}<br>"
    "Value: %{customdata[1]}<br>Baseline: %{customdata[2]}<br>%{customdata[3]}"
    "<extra></extra>"
)


def _keys_present(frame: pl.DataFrame) -> list[str]:
    return [c for c in KEY_COLUMNS if c in frame.columns]


def _series_frames(results: pl.DataFrame, keys: list[str]) -> list[tuple[dict, pl.DataFrame]]:
    if not keys:
        return [({}, results.sort("date"))]
    ordered = results.sort([*keys, "date"], nulls_last=True)
    out = []
    for _, part in ordered.group_by(keys, maintain_order=True):
        key = {k: part.get_column(k)[0] for k in keys}
        out.append((key, part))
    return out


def _first_baseline(part: pl.DataFrame) -> float | None:
    candidates = part.get_column("baseline").drop_nulls() if "baseline" in part.columns else None
    if candidates is not None and len(candidates):
        nonzero = candidates.filter(candidates != 0)
        if len(nonzero):
            return float(nonzero[0])
    values = part.get_column("value").drop_nulls()
    values = values.filter(values != 0)
    return float(values[0]) if len(values) else None


def _view_columns(part: pl.DataFrame, view: str) -> pl.DataFrame:
    """Add `y`, `y_baseline`, `y_low`, `y_high`: what is plotted for this view."""
    has_band = "typical_low" in part.columns and "typical_high" in part.columns
    low = pl.col("typical_low") if has_band else pl.lit(None, dtype=pl.Float64)
    high = pl.col("typical_high") if has_band else pl.lit(None, dtype=pl.Float64)
    baseline = pl.col("baseline") if "baseline" in part.columns else pl.lit(None, pl.Float64)
    if view == "absolute":
        exprs = [pl.col("value"), baseline, low, high]
    elif view == "change":
        change = (
            pl.col("change") * 100
            if "change" in part.columns
            else (pl.col("value") / baseline - 1) * 100
        )
        # The baseline is the zero line itself; the band is relative to that baseline.
        none = pl.lit(None, pl.Float64)
        exprs = [change, none, (low / baseline - 1) * 100, (high / baseline - 1) * 100]
    else:
        first = _first_baseline(part)
        scale = 100 / first if first else None
        if "index" in part.columns:
            y = pl.col("index")
        else:
            y = pl.col("value") * scale if scale else pl.lit(None, pl.Float64)
        if scale:
            exprs = [y, baseline * scale, low * scale, high * scale]
        else:
            exprs = [y, pl.lit(None, pl.Float64), pl.lit(None, pl.Float64), pl.lit(None)]
    names = ("y", "y_baseline", "y_low", "y_high")
    return part.with_columns(
        [e.cast(pl.Float64).alias(n) for e, n in zip(exprs, names, strict=True)]
    )


def _hover_data(part: pl.DataFrame, label: str) -> list[list[str]]:
    """customdata rows for HOVER_TEMPLATE; `label` is already safe, the rest is our own text.

    Each distinct value, date and method label is formatted once (dicts below): the text is
    exactly analytics.formatting's, but made per point it was a tenth of an Explore rerun's CPU
    (the method label alone, made safe again on every point, half of that)."""
    n = part.height
    dates = part.get_column("date").to_list()
    values = part.get_column("value").to_list()
    baselines = part.get_column("baseline").to_list() if "baseline" in part.columns else [None] * n
    changes = part.get_column("change").to_list() if "change" in part.columns else [None] * n
    multiples = part.get_column("multiple").to_list() if "multiple" in part.columns else [None] * n
    methods = (
        part.get_column("method_label").to_list() if "method_label" in part.columns else [None] * n
    )
    numbers: dict[object, str] = {}
    days: dict[object, str] = {}
    said: dict[object, str] = {}

    def number(v: object) -> str:
        key = ("nan",) if isinstance(v, float) and v != v else v
        text = numbers.get(key)
        if text is None:
            text = numbers[key] = fmt_value(v)  # type: ignore[arg-type]
        return text

    def day(d: object) -> str:
        text = days.get(d)
        if text is None:
            text = days[d] = fmt_date(d)  # type: ignore[arg-type]
        return text

    def change(c: float | None, m: float | None, ml: str | None) -> str:
        if c is None or not math.isfinite(c):
            return format_change(c, m, ml)
        # format_change(c, m, ml) is its numbers, then " " + the safe label: the label once.
        tail = said.get(ml)
        if tail is None:
            tail = said[ml] = format_change(0.0, 1.0, ml)[len(format_change(0.0, 1.0)) :]
        return format_change(c, m) + tail

    return [
        [label, number(v), number(b), change(c, m, ml), day(d)]
        for v, b, c, m, ml, d in zip(
            values, baselines, changes, multiples, methods, dates, strict=True
        )
    ]


def _y_title(results: pl.DataFrame, view: str) -> str:
    if view == "change":
        methods = (
            results.get_column("method_label").drop_nulls().unique().to_list()
            if "method_label" in results.columns
            else []
        )
        if len(methods) == 1:
            return "Change (%) " + safe_text(methods[0], 48)
        return "Change (%) vs each series' baseline"
    if view == "index":
        return "Index (first baseline = 100)"
    metrics = results.get_column("metric").unique().to_list() if "metric" in results.columns else []
    if len(metrics) == 1:
        return "Daily " + safe_text(metrics[0], 40)
    return "Daily value"


def _default_title(results: pl.DataFrame) -> str:
    apps = results.get_column("app").unique().to_list() if "app" in results.columns else []
    text = join_distinct(apps, max_items=4, max_len=32)
    if len(apps) == 2:
        text = text.replace(", ", " and ")
    metrics = results.get_column("metric").unique().to_list() if "metric" in results.columns else []
    if len(metrics) == 1 and metrics[0]:
        text += ": daily " + safe_text(metrics[0], 40)
    return text


def explore_figure(
    results: pl.DataFrame,
    spikes: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
    view: View = "absolute",
    show_baseline: bool = True,
    show_band: bool = True,
    title: str | None = None,
    subtitle: str | None = None,
    source_line: str | None = None,
    export_date: dt.date | dt.datetime | str | None = None,
    secondary_axis_for: Sequence[str] | None = None,
) -> go.Figure:
    """Explorer figure for baseline results (one line per key combination).

    `title`/`subtitle` are user text (escaped here); None derives them from the data
    (apps; metric, countries, baseline method). `source_line`/`export_date` add the
    footer used in exports. `secondary_axis_for` lists apps drawn on a right-hand axis.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
    missing = [c for c in ("date", "value") if c not in results.columns]
    if missing:
        raise ValueError(f"results frame is missing column(s) {', '.join(missing)}")

    keys = _keys_present(results)
    series = _series_frames(results, keys)
    key_dicts = [k for k, _ in series]
    shown_keys = varying_keys(key_dicts, keys)
    colors = colors_for(str(k.get("app", "")) for k in key_dicts)
    # Dash/marker vary with the non-app part of the key, so "US uninstalls" looks the
    # same for every app and the colour alone tells apps apart.
    other_keys = [c for c in shown_keys if c != "app"]
    variants = sorted({tuple(str(k.get(c)) for c in other_keys) for k in key_dicts})
    right_apps = {str(a) for a in (secondary_axis_for or [])}
    use_right = view == "absolute" and any(str(k.get("app")) in right_apps for k in key_dicts)

    fig = go.Figure(layout=dict(template=TEMPLATE_NAME))
    # Traces are collected as dicts and put in the figure at the end without plotly's
    # validation (`_with_traces`): validating ~40 traces of 180 points was a third of an Explore
    # rerun's CPU (benchmarks/bench_load.py), for properties this module writes itself.
    traces: list[dict] = []
    plotted: list[tuple[dict, pl.DataFrame, str]] = []
    for key, part in series:
        app = str(key.get("app", ""))
        color = colors.get(app, EVENT_COLOR)
        variant = variants.index(tuple(str(key.get(c)) for c in other_keys))
        label = series_label(key, shown_keys)
        on_right = use_right and app in right_apps
        yaxis = "y2" if on_right else "y"
        legend_name = label + (" (right axis)" if on_right else "")
        frame = _view_columns(part, view)
        x = frame.get_column("date").dt.to_string("%Y-%m-%d").to_list()
        group = f"s{len(plotted)}"

        if show_band and frame.get_column("y_low").drop_nulls().len():
            band = dict(
                x=x,
                mode="lines",
                line=dict(width=0),
                hoverinfo="skip",
                legendgroup=group,
                showlegend=False,
                yaxis=yaxis,
            )
            traces.append(
                dict(
                    type="scatter",
                    y=frame.get_column("y_low").to_list(),
                    name="typical low",
                    **band,
                )
            )
            traces.append(
                dict(
                    type="scatter",
                    y=frame.get_column("y_high").to_list(),
                    name="typical range",
                    fill="tonexty",
                    fillcolor=with_alpha(color, 0.13),
                    **band,
                )
            )
        if show_baseline and frame.get_column("y_baseline").drop_nulls().len():
            traces.append(
                dict(
                    type="scatter",
                    x=x,
                    y=frame.get_column("y_baseline").to_list(),
                    mode="lines",
                    name=f"{label} baseline",
                    line=dict(color=color, width=1.5, dash=BASELINE_DASH),
                    opacity=0.75,
                    hoverinfo="skip",
                    legendgroup=group,
                    showlegend=False,
                    yaxis=yaxis,
                )
            )
        markers = frame.height <= MARKER_MAX_POINTS
        traces.append(
            dict(
                type="scatter",
                x=x,
                y=frame.get_column("y").to_list(),
                mode="lines+markers" if markers else "lines",
                name=legend_name,
                line=dict(color=color, width=2.4, dash=VALUE_DASHES[variant % len(VALUE_DASHES)]),
                marker=dict(size=5, symbol=MARKER_SYMBOLS[variant % len(MARKER_SYMBOLS)]),
                customdata=_hover_data(part, label),
                hovertemplate=HOVER_TEMPLATE,
                legendgroup=group,
                yaxis=yaxis,
                meta=dict(role="value", series=group),
            )
        )
        plotted.append((key, frame, color))

    if show_baseline and any(t["name"].endswith(" baseline") for t in traces):
        traces.append(_legend_only("baseline (dashed)", dict(color=MUTED_COLOR, dash="dash")))
    if show_band and any(t["name"] == "typical range" for t in traces):
        traces.append(
            _legend_only("typical range (band)", dict(color=MUTED_COLOR, width=8), opacity=0.3)
        )

    if spikes is not None and spikes.height:
        _add_spikes(traces, spikes, plotted, keys, shown_keys, right_apps if use_right else set())

    dates = results.get_column("date").drop_nulls()
    x_range = (dates.min(), dates.max()) if len(dates) else None
    add_events(fig, events, x_range=x_range)  # type: ignore[arg-type]

    y_title = _y_title(results, view)
    fig.update_layout(
        xaxis=dict(type="date", hoverformat="%a %Y-%m-%d"),
        yaxis=dict(
            title=dict(text=y_title),
            ticksuffix="%" if view == "change" else None,
            rangemode="tozero" if view == "absolute" else "normal",
        ),
        hovermode="closest",
    )
    if view == "change":
        # In this view every baseline is the zero line.
        fig.add_hline(y=0, line=dict(color=MUTED_COLOR, width=1.2, dash=BASELINE_DASH))
    if use_right:
        right_names = join_distinct(sorted(right_apps & {str(k.get("app")) for k in key_dicts}))
        left_names = join_distinct(sorted({str(k.get("app")) for k in key_dicts} - right_apps))
        fig.update_layout(
            yaxis=dict(title=dict(text=f"{y_title}: {left_names} (left axis)")),
            yaxis2=dict(
                title=dict(text=f"{y_title}: {right_names} (right axis)"),
                overlaying="y",
                side="right",
                showgrid=False,
                rangemode="tozero",
                tickmode="auto",
                showline=True,
                ticks="outside",
            ),
        )

    set_titles(
        fig,
        safe_text(title, 120) if title is not None else _default_title(results),
        safe_text(subtitle, 160) if subtitle is not None else describe_results(results),
    )
    if source_line is not None or export_date is not None:
        add_footer(fig, source_line, export_date)
    return _with_traces(fig, traces)


def _with_traces(fig: go.Figure, traces: list[dict]) -> go.Figure:
    """``fig`` (its layout validated as usual) with ``traces`` added unvalidated.

    The traces are dicts of plain lists and strings that this module makes, and
    tests/charts/test_explore_unvalidated.py checks that the figure is the one plotly's
    validation gives, to the last property. The result validates again from here on (the page
    adds a shape; an export copies the figure), as any figure does."""
    out = go.Figure(data=traces, layout=fig.layout, _validate=False)
    out._validate = True
    out.layout._validate = True
    return out


def _legend_only(name: str, line: dict, opacity: float = 1.0) -> dict:
    """A legend entry explaining a line style without drawing anything."""
    return dict(
        type="scatter",
        x=[None],
        y=[None],
        mode="lines",
        name=name,
        line=line,
        opacity=opacity,
        hoverinfo="skip",
        showlegend=True,
        meta=dict(role="legend"),
    )


def _add_spikes(
    traces: list[dict],
    spikes: pl.DataFrame,
    plotted: list[tuple[dict, pl.DataFrame, str]],
    keys: list[str],
    shown_keys: list[str],
    right_apps: set[str],
) -> None:
    """Triangles on the plotted line at each spike, coloured like their series."""
    # Each series' spikes by one split of the frame, not by six filters per series and
    # direction (120 filters for 10 series, 5% of an Explore rerun's CPU).
    on = [k for k in keys if k in spikes.columns]
    groups = spikes.partition_by(["direction", *on], as_dict=True, maintain_order=True)
    for direction, symbol in (("up", "triangle-up"), ("down", "triangle-down")):
        for axis in ("y", "y2"):
            xs, ys, colors, hover = [], [], [], []
            for key, frame, color in plotted:
                on_right = str(key.get("app")) in right_apps
                if (axis == "y2") != on_right:
                    continue
                if any(key[k] is None for k in on):
                    continue  # a missing key part equals nothing (as `pl.col(k) == None`)
                mine = groups.get((direction, *(key[k] for k in on)))
                if mine is None or not mine.height:
                    continue
                joined = (
                    mine.select("date", "score")
                    .join(
                        frame.select("date", "y", "value", "change", "multiple", "method_label")
                        if "method_label" in frame.columns and "multiple" in frame.columns
                        else frame.select("date", "y", "value"),
                        on="date",
                        how="inner",
                    )
                    .drop_nulls("y")
                )
                label = series_label(key, shown_keys)
                for row in joined.to_dicts():
                    xs.append(row["date"].isoformat())
                    ys.append(row["y"])
                    colors.append(color)
                    change = format_change(
                        row.get("change"), row.get("multiple"), row.get("method_label")
                    )
                    hover.append(
                        f"<b>{label}</b><br>{fmt_date(row['date'])}<br>"
                        f"Spike ({direction}), score {fmt_score(row['score'])}<br>"
                        f"Value: {fmt_value(row['value'])}<br>{change}"
                    )
            if not xs:
                continue
            traces.append(
                dict(
                    type="scatter",
                    x=xs,
                    y=ys,
                    mode="markers",
                    yaxis=axis,
                    name=f"spike {direction}",
                    legendgroup=f"spike-{direction}",
                    showlegend=not any(t["name"] == f"spike {direction}" for t in traces),
                    marker=dict(
                        symbol=symbol, size=13, color=colors, line=dict(color="white", width=1)
                    ),
                    hovertext=hover,
                    hoverinfo="text",
                    meta=dict(role="spike"),
                )
            )
