"""The explorer chart: daily series with their baselines, typical ranges, spikes and events.

One figure answers "how big was this day, compared with what?": every line carries its
baseline (dashed, same colour) and the hover states the change with its multiple and
method. Three views share the same traces: absolute values, % change vs the baseline, and
an index (100 = the series' own first baseline) for comparing apps of different size;
a right-hand axis is the alternative when absolute levels must be kept.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import math
from collections.abc import Sequence
from copy import deepcopy
from typing import Literal

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from _plotly_utils.basevalidators import is_homogeneous_array
from _plotly_utils.utils import convert_to_base64, is_skipped_key, to_typed_array_spec

from analytics.formatting import NA, display_frame, fmt_date, fmt_score, fmt_value
from charts.events import event_marks
from charts.labels import KEY_COLUMNS, format_change, join_distinct, series_label, varying_keys
from charts.publish import add_footer, describe_results, title_layout
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


# The results' columns the chart reads (with the key columns): the others are not copied along.
_USED_COLUMNS = (
    "date",
    "value",
    "baseline",
    "change",
    "multiple",
    "method_label",
    "typical_low",
    "typical_high",
    "index",
)


def _ordered(results: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``results`` in key then date order, with ``_series``: each series' position (0, 1, ...)
    in that order, which is the order the series are drawn in."""
    if not keys:
        return results.sort("date").with_columns(_series=pl.lit(0, pl.Int64))
    ordered = results.sort([*keys, "date"], nulls_last=True)
    key = pl.struct(keys)
    # A new series starts where the key differs from the row before (null-safe: a missing
    # key part is a value of its own, as in a group_by).
    starts = key.ne_missing(key.shift(1)).fill_null(True)
    return ordered.with_columns(_series=starts.cast(pl.Int64).cum_sum() - 1)


def _series_frames(ordered: pl.DataFrame, keys: list[str]) -> list[tuple[dict, pl.DataFrame]]:
    """Each series' key and rows, from one split of the `_ordered` frame."""
    parts = ordered.partition_by("_series", maintain_order=True)
    return [({k: part.get_column(k)[0] for k in keys}, part) for part in parts]


def _view_columns(frame: pl.DataFrame, view: str) -> pl.DataFrame:
    """Add `y`, `y_baseline`, `y_low`, `y_high`: what is plotted for this view.

    One query for every series of an `_ordered` frame; the index view's scale is per series
    (`over("_series")`): 100 / the series' first non-zero baseline, else its first non-zero
    value; no scale (nothing to index to, or a zero one) plots nothing but an `index` column."""
    has_band = "typical_low" in frame.columns and "typical_high" in frame.columns
    low = pl.col("typical_low") if has_band else pl.lit(None, dtype=pl.Float64)
    high = pl.col("typical_high") if has_band else pl.lit(None, dtype=pl.Float64)
    baseline = pl.col("baseline") if "baseline" in frame.columns else pl.lit(None, pl.Float64)
    none = pl.lit(None, pl.Float64)
    if view == "absolute":
        exprs = [pl.col("value"), baseline, low, high]
    elif view == "change":
        change = (
            pl.col("change") * 100
            if "change" in frame.columns
            else (pl.col("value") / baseline - 1) * 100
        )
        # The baseline is the zero line itself; the band is relative to that baseline.
        exprs = [change, none, (low / baseline - 1) * 100, (high / baseline - 1) * 100]
    else:
        firsts = [_first_nonzero("value")]
        if "baseline" in frame.columns:
            firsts.insert(0, _first_nonzero("baseline"))
        scale = 100 / pl.coalesce(firsts)
        scaled = scale.is_not_null() & (scale != 0)
        y = (
            pl.col("index")
            if "index" in frame.columns
            else pl.when(scaled).then(pl.col("value") * scale)
        )
        exprs = [y, *(pl.when(scaled).then(e * scale) for e in (baseline, low, high))]
    names = ("y", "y_baseline", "y_low", "y_high")
    return frame.with_columns(
        [e.cast(pl.Float64).alias(n) for e, n in zip(exprs, names, strict=True)]
    )


def _first_nonzero(column: str) -> pl.Expr:
    """The series' first value of ``column`` that is neither missing nor zero (NaN counts)."""
    c = pl.col(column).cast(pl.Float64)
    return c.filter(c.is_not_null() & (c != 0)).first().over("_series")


# The hover's texts, made for the whole results frame at once (`_with_hover_text`) and carried
# by each series' part in these columns.
_HOVER_COLUMNS = ("_hover_value", "_hover_baseline", "_hover_change")


def _with_hover_text(results: pl.DataFrame) -> pl.DataFrame:
    """``results`` with the hover's value, baseline and change texts of every row.

    The numbers are analytics.formatting's strings, made a column at a time by
    `display_frame` (exact: it rounds in binary only where that cannot change the string, and
    formats each distinct number once); made per point through Decimal they were half of the
    figure's CPU. The change is `format_change`'s "+295% (3.95x) vs the previous day": its
    two numbers from the `change` and `multiple` columns, then the method label made safe once
    per label; a row without a finite multiple (format_change then derives it from the change,
    in decimal) is formatted by format_change itself."""
    n = results.height
    present = [c for c in ("value", "baseline", "change", "multiple") if c in results.columns]
    # A column of nulls only may have no number type; display_frame formats number columns.
    texts = display_frame(
        results.select(
            pl.col(c).cast(pl.Float64) if results.schema[c] == pl.Null else pl.col(c)
            for c in present
        )
    )

    def column(name: str) -> list:
        return texts.get_column(name).to_list() if name in present else [NA] * n

    def floats(name: str) -> list:
        if name not in results.columns:
            return [None] * n
        return results.get_column(name).cast(pl.Float64).to_list()

    changes, multiples = floats("change"), floats("multiple")
    labels = (
        results.get_column("method_label").to_list()
        if "method_label" in results.columns
        else [None] * n
    )
    tails: dict[str | None, str] = {}
    said = []
    for c, m, ml, pct, mult in zip(
        changes, multiples, labels, column("change"), column("multiple"), strict=True
    ):
        if c is None or not math.isfinite(c):
            said.append(format_change(c, m, ml))  # "no change available"
        elif m is None or not math.isfinite(m):
            said.append(format_change(c, m, ml))
        else:
            tail = tails.get(ml)
            if tail is None:
                # format_change(c, m, ml) is its numbers, then " " + the safe label.
                tail = tails[ml] = format_change(0.0, 1.0, ml)[len(format_change(0.0, 1.0)) :]
            said.append(f"{pct} ({mult}){tail}")
    return results.with_columns(
        pl.Series("_hover_value", column("value"), dtype=pl.String),
        pl.Series("_hover_baseline", column("baseline"), dtype=pl.String),
        pl.Series("_hover_change", said, dtype=pl.String),
    )


@functools.lru_cache(maxsize=4096)
def _day_text(d: dt.date | None) -> str:
    """fmt_date, once per day shown (every series of a chart has the same days)."""
    return fmt_date(d)


def _hover_data(part: pl.DataFrame, label: str) -> np.ndarray:
    """customdata rows for HOVER_TEMPLATE; `label` is already safe, the rest is our own text
    (`part` carries `_with_hover_text`'s columns)."""
    rows = [
        [label, v, b, c, _day_text(d)]
        for v, b, c, d in zip(
            *(part.get_column(name).to_list() for name in (*_HOVER_COLUMNS, "date")), strict=True
        )
    ]
    # A numpy array of the strings, not nested lists: the figure's constructor and
    # st.plotly_chart (`Figure.to_dict`) each deep-copy the traces, and nested lists are
    # copied one list at a time (a fifth of the figure's CPU); the JSON is the same lists.
    # Of objects, not numpy text (`dtype=str`): that is as wide as the longest text in every
    # cell, and with plotly's copies it took 25 sessions' charts 110 MB more at their peak.
    out = np.empty((len(rows), 5), dtype=object)
    out[:] = rows
    # Read-only: the figure shares it with what it sends (`_SentFigure.to_dict`).
    out.flags.writeable = False
    return out


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
    # One frame of every point: order, hover text and plotted values by a few whole-frame
    # queries (per-series queries were most of the figure's time on a busy server).
    used = results.select(c for c in (*keys, *_USED_COLUMNS) if c in results.columns)
    points = _view_columns(_with_hover_text(_ordered(used, keys)), view)
    series = _series_frames(points, keys)
    key_dicts = [k for k, _ in series]
    shown_keys = varying_keys(key_dicts, keys)
    colors = colors_for(str(k.get("app", "")) for k in key_dicts)
    # Dash/marker vary with the non-app part of the key, so "US uninstalls" looks the
    # same for every app and the colour alone tells apps apart.
    other_keys = [c for c in shown_keys if c != "app"]
    variants = sorted({tuple(str(k.get(c)) for c in other_keys) for k in key_dicts})
    right_apps = {str(a) for a in (secondary_axis_for or [])}
    use_right = view == "absolute" and any(str(k.get("app")) in right_apps for k in key_dicts)

    # Traces are collected as dicts and put in the figure at the end without plotly's
    # validation (`_unvalidated_figure`): validating ~40 traces of 180 points was a third of an
    # Explore rerun's CPU (benchmarks/bench_load.py), for properties this module writes itself.
    # Their arrays are numpy arrays (`_x_values`, `_y_values`, `_hover_data`): copied whole
    # where plotly and Streamlit deep-copy the figure, numbers sent as typed arrays (base64).
    traces: list[dict] = []
    plotted: list[tuple[dict, str]] = []
    for key, frame in series:
        app = str(key.get("app", ""))
        color = colors.get(app, EVENT_COLOR)
        variant = variants.index(tuple(str(key.get(c)) for c in other_keys))
        label = series_label(key, shown_keys)
        on_right = use_right and app in right_apps
        yaxis = "y2" if on_right else "y"
        legend_name = label + (" (right axis)" if on_right else "")
        x = _x_values(frame.get_column("date"))
        group = f"s{len(plotted)}"

        if show_band and _any_value(frame, "y_low"):
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
                dict(type="scatter", y=_y_values(frame, "y_low"), name="typical low", **band)
            )
            traces.append(
                dict(
                    type="scatter",
                    y=_y_values(frame, "y_high"),
                    name="typical range",
                    fill="tonexty",
                    fillcolor=with_alpha(color, 0.13),
                    **band,
                )
            )
        if show_baseline and _any_value(frame, "y_baseline"):
            traces.append(
                dict(
                    type="scatter",
                    x=x,
                    y=_y_values(frame, "y_baseline"),
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
                y=_y_values(frame, "y"),
                mode="lines+markers" if markers else "lines",
                name=legend_name,
                line=dict(color=color, width=2.4, dash=VALUE_DASHES[variant % len(VALUE_DASHES)]),
                marker=dict(size=5, symbol=MARKER_SYMBOLS[variant % len(MARKER_SYMBOLS)]),
                customdata=_hover_data(frame, label),
                hovertemplate=HOVER_TEMPLATE,
                legendgroup=group,
                yaxis=yaxis,
                meta=dict(role="value", series=group),
            )
        )
        plotted.append((key, color))

    if show_baseline and any(t["name"].endswith(" baseline") for t in traces):
        traces.append(_legend_only("baseline (dashed)", dict(color=MUTED_COLOR, dash="dash")))
    if show_band and any(t["name"] == "typical range" for t in traces):
        traces.append(
            _legend_only("typical range (band)", dict(color=MUTED_COLOR, width=8), opacity=0.3)
        )

    if spikes is not None and spikes.height:
        _add_spikes(
            traces, spikes, points, plotted, keys, shown_keys, right_apps if use_right else set()
        )

    # The layout is one dict too, shapes and annotations included: adding the events one
    # `add_shape` at a time re-validated every shape already there.
    dates = results.get_column("date").drop_nulls()
    x_range = (dates.min(), dates.max()) if len(dates) else None
    side_legend = _legend_wraps(traces)
    shapes, annotations, _ = event_marks(
        events,
        x_range=x_range,  # type: ignore[arg-type]
        # A side legend takes ~250 px of the plot's width: labels are staggered for that.
        **({"plot_width_px": SIDE_LEGEND_PLOT_PX} if side_legend else {}),
    )
    if view == "change":
        # In this view every baseline is the zero line (what `fig.add_hline(y=0)` draws).
        shapes.append(
            dict(
                type="line",
                xref="x domain",
                yref="y",
                x0=0,
                x1=1,
                y0=0,
                y1=0,
                line=dict(color=MUTED_COLOR, width=1.2, dash=BASELINE_DASH),
            )
        )
    y_title = _y_title(results, view)
    layout: dict = dict(
        xaxis=dict(type="date", hoverformat="%a %Y-%m-%d"),
        yaxis=dict(
            title=dict(text=y_title),
            rangemode="tozero" if view == "absolute" else "normal",
        ),
        hovermode="closest",
        title=title_layout(
            safe_text(title, 120) if title is not None else _default_title(results),
            safe_text(subtitle, 160) if subtitle is not None else describe_results(results),
        ),
    )
    if view == "change":
        layout["yaxis"]["ticksuffix"] = "%"
    if shapes:
        layout["shapes"] = shapes
    if annotations:
        layout["annotations"] = annotations
    if side_legend:
        # Beside a right-hand axis, at the chart's edge (its ticks and title are at the plot's).
        layout["legend"] = dict(SIDE_LEGEND, **(RIGHT_EDGE if use_right else {}))
    if use_right:
        right_names = join_distinct(sorted(right_apps & {str(k.get("app")) for k in key_dicts}))
        left_names = join_distinct(sorted({str(k.get("app")) for k in key_dicts} - right_apps))
        layout["yaxis"]["title"] = dict(text=f"{y_title}: {left_names} (left axis)")
        layout["yaxis2"] = dict(
            title=dict(text=f"{y_title}: {right_names} (right axis)"),
            overlaying="y",
            side="right",
            showgrid=False,
            rangemode="tozero",
            tickmode="auto",
            showline=True,
            ticks="outside",
        )

    fig = _unvalidated_figure(traces, layout)
    if source_line is not None or export_date is not None:
        add_footer(fig, source_line, export_date)
    return fig


def _x_values(dates: pl.Series) -> np.ndarray | list[str | None]:
    """Days as numpy dates (sent as the same "YYYY-MM-DD" strings), or ISO text if one is
    missing (numpy would write "NaT" where the text is null) or they are not dates."""
    if dates.dtype != pl.Date or dates.null_count():
        return dates.dt.to_string("%Y-%m-%d").to_list()
    days = dates.to_numpy()
    # Read-only: a series' traces share it, in the figure and in what it sends.
    days.flags.writeable = False
    return days


def _y_values(frame: pl.DataFrame, column: str) -> dict[str, str] | list[float | None]:
    """A float column as plotly.js's typed array: base64 of its little-endian float64 bytes,
    exactly what plotly writes for a numpy array, made here because plotly's own conversion
    of each array (through narwhals) cost more than the rest of st.plotly_chart's work on it.
    Exact to the last bit; a missing or infinite value is NaN, which plotly.js draws as the
    gap it drew for the null that the JSON of a list held.

    Base64 text that happens to hold "NaN" or "Infinity" (about one 365-day array in 70, so
    nearly every other chart) made plotly's JSON encoder take the whole chart's JSON for one
    with NaN numbers in it: it parsed and wrote it all again, which cost more than writing it
    (`PlotlyJSONEncoder.encode`). Such an array goes as a list of the same numbers instead:
    JSON's shortest round-trip decimals, read back by plotly.js as the same doubles, and null
    for the gaps."""
    values = frame.get_column(column).to_numpy().astype("<f8")  # a copy: we write into it
    gaps = ~np.isfinite(values)
    values[gaps] = np.nan
    text = base64.b64encode(values).decode("ascii")
    if "NaN" not in text and "Infinity" not in text:
        return {"dtype": "f8", "bdata": text}
    numbers: list[float | None] = values.tolist()
    for i in np.flatnonzero(gaps).tolist():
        numbers[i] = None
    return numbers


def _any_value(frame: pl.DataFrame, column: str) -> bool:
    return frame.get_column(column).null_count() < frame.height


def _unvalidated_figure(traces: list[dict], layout: dict) -> go.Figure:
    """The figure of ``traces`` and ``layout``, taken without plotly's validation.

    Both are dicts of numpy arrays, plain lists and strings that this module makes (the
    template goes in as the registered template's own dict), and
    tests/charts/test_explore_unvalidated.py checks that the figure is the one plotly's
    validation gives, to the last property. Validating them was most of the figure's CPU: the
    traces' arrays, and the layout twice with the template (an Explore rerun builds one figure
    per view). The result validates again from here on (the page adds a shape; an export
    copies the figure), as any figure does: parts of it are built, validated, when first
    touched.

    The read-only arrays (`_hover_data`'s strings, `_x_values`' days: nothing changes them) go
    in after the figure is made: plotly's constructor deep-copies every trace, the hover texts
    one string at a time (half of its CPU), and a series' traces would each get their own copy
    of its days. Each trace takes a placeholder in their place first, so its properties keep
    the order plotly gives them, which is the order of the JSON sent."""
    layout["template"] = pio.templates[TEMPLATE_NAME].to_plotly_json()
    kept: list[tuple[int, str, np.ndarray]] = []
    for i, trace in enumerate(traces):
        for name, value in trace.items():
            if type(value) is np.ndarray and not value.flags.writeable:
                kept.append((i, name, value))
                trace[name] = _PLACEHOLDER
    out = _SentFigure(data=traces, layout=layout, _validate=False)
    for i, name, value in kept:
        out._data[i][name] = value  # the dict the trace object reads its properties from
    out._texts = {id(value): value for _, _, value in kept if value.dtype == object}
    out._validate = True
    out.layout._validate = True
    return out


# Stands for a read-only array while plotly's constructor copies the traces.
_PLACEHOLDER = "array"


class _SentFigure(go.Figure):
    """A plotly Figure whose `to_dict` copies no more than it must.

    `st.plotly_chart` sends a figure as ``plotly.io.to_json(fig.to_dict())``. Plotly's
    `to_dict` deep-copies the whole figure and then turns its numeric arrays into base64 (in
    place, in the copy); the copy walked every hover string one by one (96,000 deepcopy calls
    for a 365-day chart) and was as slow as writing the JSON. This `to_dict` gives the same
    dict, up to how the JSON encoder sees it (byte-identical JSON, tests/charts/
    test_explore_sent.py), in one pass: new dicts and lists all the way down (what the caller
    does with them cannot reach the figure, nor the reverse), numeric arrays as the typed
    arrays plotly makes of them, date arrays as the strings plotly's encoder makes of them
    (once per array: a series' traces share their days), and the figure's own hover-text
    arrays (`_texts`: read-only, strings only, made by `_hover_data`) not copied at all.
    Anything else is what plotly does with it: a deep copy, then its base64 conversion."""

    # id -> array of the hover-text arrays `_unvalidated_figure` put in; one that the page
    # replaces later is a new array (validated, copied) and is copied like any other.
    _texts: dict[int, np.ndarray] = {}  # noqa: RUF012 - never changed, only replaced

    def to_dict(self) -> dict:
        sent = _Sender(self._texts)
        res = {
            "data": [sent.dict(trace) for trace in self._data],
            "layout": sent.dict(self._layout),
        }
        frames = [sent.dict(frame._props) for frame in self._frame_objs]
        if frames:
            res["frames"] = frames
        return res


_LEAVES = frozenset((str, int, float, bool, type(None)))


class _Sender:
    """One `_SentFigure.to_dict`: ``convert_to_base64(deepcopy(part))`` of each part."""

    def __init__(self, texts: dict[int, np.ndarray]) -> None:
        self.texts = texts
        self.days: dict[int, tuple[np.ndarray, list[str]]] = {}

    def dict(self, part: dict) -> dict:
        """A dict's copy: its values converted as convert_to_base64 converts a dict's."""
        out = {}
        for key, value in part.items():
            kind = type(value)
            if kind in _LEAVES:
                out[key] = value
            elif is_skipped_key(key):  # neither converted nor walked into by plotly
                out[key] = deepcopy(value)
            elif kind is dict:
                out[key] = self.dict(value)
            elif kind is list or kind is tuple:
                out[key] = self.items(value)
            elif kind is np.ndarray:
                out[key] = self.array(value)
            else:
                value = deepcopy(value)
                if is_homogeneous_array(value):
                    value = to_typed_array_spec(value)
                else:
                    convert_to_base64(value)
                out[key] = value
        return out

    def items(self, part: list | tuple) -> list | tuple:
        """A list's or tuple's copy: dicts in it are converted, arrays in it are not."""
        out = []
        for value in part:
            kind = type(value)
            if kind in _LEAVES:
                out.append(value)
            elif kind is dict:
                out.append(self.dict(value))
            elif kind is list or kind is tuple:
                out.append(self.items(value))
            else:
                value = deepcopy(value)
                convert_to_base64(value)
                out.append(value)
        return out if type(part) is list else tuple(out)

    def array(self, value: np.ndarray) -> object:
        """A numpy array as it is sent (plotly: ``to_typed_array_spec(deepcopy(value))``)."""
        if self.texts.get(id(value)) is value:
            return value  # the JSON encoder takes its `tolist()`, as of plotly's copy
        kind = value.dtype.kind
        if kind == "M":
            # plotly's copy is written by its encoder as `np.datetime_as_string(a).tolist()`.
            known = self.days.get(id(value))
            if known is None:
                try:
                    known = self.days[id(value)] = (value, np.datetime_as_string(value).tolist())
                except TypeError:
                    return to_typed_array_spec(value)
            return list(known[1])
        if kind in "biuf":
            return to_typed_array_spec(value)  # it copies a numeric array (no references)
        return to_typed_array_spec(deepcopy(value))


# The template's legend is one row above the plot. When its entries need more than a row
# (5 apps x 2 metrics: 14 entries, 3-4 rows at 1,000-1,400 px) plotly wraps it upwards over the
# title and subtitle; such a legend goes down the right-hand side instead, where plotly makes
# room for it (and scrolls it when it is taller than the plot).
SIDE_LEGEND = dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top", tracegroupgap=2)
RIGHT_EDGE = dict(xref="container", x=1, xanchor="right")
#: The plot's width beside a side legend on a 1,000-px chart (event labels are staggered for it).
SIDE_LEGEND_PLOT_PX = 650
#: The row a top legend may take (a 1,000-px chart less its margins), in the estimate below.
LEGEND_ROW_PX = 850


def _legend_wraps(traces: list[dict]) -> bool:
    """Whether the legend's entries would need more than one row: each about 7 px a character
    of its name (12-px type) and 50 px for its symbol and gap - an estimate that errs towards
    the side legend, since the page's width is the browser's."""
    names = [str(t.get("name") or "") for t in traces if t.get("showlegend", True)]
    return sum(7 * len(name) + 50 for name in names) > LEGEND_ROW_PX


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


_SPIKE_HOVER_COLUMNS = ("value", "change", "multiple", "method_label")


def _add_spikes(
    traces: list[dict],
    spikes: pl.DataFrame,
    points: pl.DataFrame,
    plotted: list[tuple[dict, str]],
    keys: list[str],
    shown_keys: list[str],
    right_apps: set[str],
) -> None:
    """Triangles on the plotted line at each spike, coloured like their series.

    ``points`` is every plotted point (`_view_columns` of the `_ordered` results: its
    ``_series`` is the position in ``plotted``, which holds each series' key and colour)."""
    # Every series' spikes by one join of the spikes with all plotted points, not by a filter
    # or a join per series and direction.
    on = [k for k in keys if k in spikes.columns]
    with_hover = all(c in points.columns for c in _SPIKE_HOVER_COLUMNS)
    joined = (
        spikes.select(*on, "date", "score", "direction")
        .with_row_index("row")
        # A missing key part equals nothing (as `pl.col(k) == None`): the join's default.
        .join(
            points.select(
                *on,
                "date",
                "y",
                *(_SPIKE_HOVER_COLUMNS if with_hover else ("value",)),
                series="_series",
            ),
            on=[*on, "date"],
            how="inner",
        )
        .drop_nulls("y")
        .sort("series", "row")
    )
    found: dict[tuple[str, str], list[dict]] = {}
    for row in joined.to_dicts():
        key, _ = plotted[row["series"]]
        axis = "y2" if str(key.get("app")) in right_apps else "y"
        found.setdefault((row["direction"], axis), []).append(row)
    labels = [series_label(key, shown_keys) for key, _ in plotted]
    for direction, symbol in (("up", "triangle-up"), ("down", "triangle-down")):
        for axis in ("y", "y2"):
            rows = found.get((direction, axis))
            if not rows:
                continue
            hover = []
            for row in rows:
                change = format_change(
                    row.get("change"), row.get("multiple"), row.get("method_label")
                )
                hover.append(
                    f"<b>{labels[row['series']]}</b><br>{fmt_date(row['date'])}<br>"
                    f"Spike ({direction}), score {fmt_score(row['score'])}<br>"
                    f"Value: {fmt_value(row['value'])}<br>{change}"
                )
            traces.append(
                dict(
                    type="scatter",
                    x=[row["date"].isoformat() for row in rows],
                    y=[row["y"] for row in rows],
                    mode="markers",
                    yaxis=axis,
                    name=f"spike {direction}",
                    legendgroup=f"spike-{direction}",
                    showlegend=not any(t["name"] == f"spike {direction}" for t in traces),
                    marker=dict(
                        symbol=symbol,
                        size=13,
                        color=[plotted[row["series"]][1] for row in rows],
                        line=dict(color="white", width=1),
                    ),
                    hovertext=hover,
                    hoverinfo="text",
                    meta=dict(role="spike"),
                )
            )
