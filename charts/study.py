"""Event-study chart: several apps aligned on the day of an event.

Calendar dates hide the comparison an analyst wants ("what did each app do in the days
after the announcement?"), so the x axis is the day offset from the event, day 0 is
marked, and y is each app's change against its own pre-event reference, in %.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from analytics.formatting import fmt_date, fmt_offset, fmt_value
from charts.explore import MARKER_SYMBOLS, VALUE_DASHES
from charts.labels import KEY_COLUMNS, format_change, series_label, varying_keys
from charts.publish import add_footer, set_titles
from charts.text import safe_text
from charts.theme import EVENT_COLOR, MUTED_COLOR, TEMPLATE_NAME, colors_for, with_alpha

DEFAULT_REFERENCE_LABEL = "vs the pre-event reference"

# Every number and date in the hover is text from analytics.formatting, passed in customdata
# (no d3 number format): [label, date, value, reference, change with multiple, day offset].
HOVER_TEMPLATE = (
    "<b>%{customdata[0]}</b><br>Day %{customdata[5]} (%{customdata[1]})<br>"
    "Value: %{customdata[2]}<br>Reference: %{customdata[3]}<br>%{customdata[4]}"
    "<extra></extra>"
)


def study_figure(
    study: pl.DataFrame,
    event_title: str | None = None,
    event_date: dt.date | None = None,
    reference_label: str = DEFAULT_REFERENCE_LABEL,
    title: str | None = None,
    subtitle: str | None = None,
    source_line: str | None = None,
    export_date: dt.date | dt.datetime | str | None = None,
    counterfactual: pl.DataFrame | None = None,
    counterfactual_label: str = "expected had nothing happened",
) -> go.Figure:
    """Aligned day-offset chart: one line per series (colour per app), day 0 marked.

    `study` has the key columns, `offset` (int), `date`, `value`, `reference`, `change`
    (fraction) and optionally `multiple`. `event_title`, `title`, `subtitle` and
    `reference_label` are escaped here. `counterfactual` (the impact's post days of one app:
    `app`, `offset`, `expected`, `expected_low`, `expected_high`) is drawn as that app's
    expected series and its band, on the same scale: expected / the app's reference - 1.
    """
    missing = [c for c in ("offset", "change") if c not in study.columns]
    if missing:
        raise ValueError(f"study frame is missing column(s) {', '.join(missing)}")
    keys = [c for c in KEY_COLUMNS if c in study.columns]
    ordered = study.sort([*keys, "offset"]) if keys else study.sort("offset")
    parts = (
        [
            ({k: p.get_column(k)[0] for k in keys}, p)
            for _, p in ordered.group_by(keys, maintain_order=True)
        ]
        if keys
        else [({}, ordered)]
    )
    key_dicts = [k for k, _ in parts]
    shown = varying_keys(key_dicts, keys) or (["app"] if "app" in keys else [])
    colors = colors_for(str(k.get("app", "")) for k in key_dicts)
    other = [c for c in shown if c != "app"]
    variants = sorted({tuple(str(k.get(c)) for c in other) for k in key_dicts})
    method = safe_text(reference_label, 60)

    fig = go.Figure(layout=dict(template=TEMPLATE_NAME))
    offsets = study.get_column("offset").drop_nulls()
    if len(offsets) and offsets.min() < 0:
        fig.add_vrect(
            x0=float(offsets.min()) - 0.5,
            x1=-0.5,
            fillcolor=with_alpha(EVENT_COLOR, 0.06),
            line_width=0,
            layer="below",
        )
        fig.add_annotation(
            x=float(offsets.min()) - 0.5,
            xref="x",
            y=0,
            yref="paper",
            xanchor="left",
            yanchor="bottom",
            text="before the event",
            showarrow=False,
            font=dict(size=11, color=MUTED_COLOR),
            name="window",
        )
    for key, part in parts:
        app = str(key.get("app", ""))
        variant = variants.index(tuple(str(key.get(c)) for c in other))
        label = series_label(key, shown)
        customdata = [
            [
                label,
                fmt_date(d) if isinstance(d, dt.date) else "",
                fmt_value(v),
                fmt_value(r),
                format_change(c, m, reference_label),
                fmt_offset(o),
            ]
            for o, d, v, r, c, m in zip(
                _column(part, "offset"),
                _column(part, "date"),
                _column(part, "value"),
                _column(part, "reference"),
                _column(part, "change"),
                _column(part, "multiple"),
                strict=True,
            )
        ]
        fig.add_trace(
            go.Scatter(
                x=part.get_column("offset").to_list(),
                y=(part.get_column("change").cast(pl.Float64) * 100).to_list(),
                mode="lines+markers",
                name=label,
                line=dict(
                    color=colors.get(app, EVENT_COLOR),
                    width=2.4,
                    dash=VALUE_DASHES[variant % len(VALUE_DASHES)],
                ),
                marker=dict(size=5, symbol=MARKER_SYMBOLS[variant % len(MARKER_SYMBOLS)]),
                customdata=customdata,
                hovertemplate=HOVER_TEMPLATE,
                meta=dict(role="value"),
            )
        )

    if counterfactual is not None and counterfactual.height:
        _add_counterfactual(fig, study, counterfactual, counterfactual_label, colors)
    fig.add_hline(y=0, line=dict(color=MUTED_COLOR, width=1.2, dash="dash"))
    fig.add_shape(
        type="line",
        x0=0,
        x1=0,
        xref="x",
        yref="paper",
        y0=0,
        y1=1,
        line=dict(color=EVENT_COLOR, width=1.6),
        name="day0",
    )
    day0 = "Day 0"
    if event_date is not None:
        day0 += f" ({fmt_date(event_date)})"
    if event_title:
        day0 += ": " + safe_text(event_title, 48)
    fig.add_annotation(
        x=0,
        xref="x",
        y=1,
        yref="paper",
        yanchor="top",
        xanchor="left",
        xshift=4,
        text=day0,
        showarrow=False,
        font=dict(size=11, color=MUTED_COLOR),
        bgcolor="rgba(255,255,255,0.85)",
        name="event",
    )
    fig.update_layout(
        xaxis=dict(title=dict(text="Days from event"), zeroline=False, **_offset_ticks(offsets)),
        yaxis=dict(title=dict(text=f"Change (%) {method}"), ticksuffix="%"),
    )
    default_title = "Event study" + (": " + safe_text(event_title, 60) if event_title else "")
    set_titles(
        fig,
        safe_text(title, 120) if title is not None else default_title,
        safe_text(subtitle, 160) if subtitle is not None else f"Daily change {method}",
    )
    if source_line is not None or export_date is not None:
        add_footer(fig, source_line, export_date)
    return fig


def _add_counterfactual(
    fig: go.Figure,
    study: pl.DataFrame,
    expected: pl.DataFrame,
    label: str,
    colors: dict[str, str],
) -> None:
    """The treated app's expected series (dashed) and band, as % of its own reference."""
    app = str(expected.get_column("app")[0])
    refs = study.filter(pl.col("app") == app).get_column("reference").drop_nulls()
    if not len(refs) or not refs[0]:
        return
    reference = float(refs[0])
    rows = expected.sort("offset").to_dicts()
    offsets = [r["offset"] for r in rows]

    def pct(v: float | None) -> float | None:
        return None if v is None else (v / reference - 1) * 100

    color = colors.get(app, EVENT_COLOR)
    name = safe_text(f"{app}: {label}", 60)
    band = [
        [
            name,
            fmt_offset(r["offset"]),
            fmt_value(round(r["expected"])),
            f"{fmt_value(round(r['expected_low']))} to {fmt_value(round(r['expected_high']))}",
        ]
        for r in rows
    ]
    fig.add_trace(
        go.Scatter(
            x=offsets,
            y=[pct(r["expected_low"]) for r in rows],
            mode="lines",
            line=dict(width=0),
            hoverinfo="skip",
            showlegend=False,
            name="expected low",
            meta=dict(role="band"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=offsets,
            y=[pct(r["expected_high"]) for r in rows],
            mode="lines",
            line=dict(width=0),
            fill="tonexty",
            fillcolor=with_alpha(color, 0.14),
            showlegend=False,
            name="expected high",
            hoverinfo="skip",
            meta=dict(role="band"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=offsets,
            y=[pct(r["expected"]) for r in rows],
            mode="lines",
            line=dict(color=color, width=1.6, dash="dot"),
            name=name,
            customdata=band,
            hovertemplate="<b>%{customdata[0]}</b><br>Day %{customdata[1]}<br>Expected: "
            "%{customdata[2]}<br>Band: %{customdata[3]}<extra></extra>",
            meta=dict(role="expected"),
        )
    )


def _column(part: pl.DataFrame, name: str) -> list:
    return part.get_column(name).to_list() if name in part.columns else [None] * part.height


def _offset_ticks(offsets: pl.Series) -> dict:
    """Ticks "-14 ... 0 ... +14": the hover's day offsets (formatting.fmt_offset), 0 unsigned."""
    if not len(offsets):
        return {}
    lo, hi = int(offsets.min()), int(offsets.max())
    step = 7 if hi - lo > 21 else 1
    values = [v for v in range(lo - lo % step, hi + 1, step) if v >= lo]
    text = [fmt_offset(v) for v in values]
    return dict(tickmode="array", tickvals=values, ticktext=text)
