"""The "Check a figure" chart: the day's value against each baseline's level.

Why this shape: a claimed "+295%" is one number, and what it is measured against is the whole
question. One horizontal bar per baseline preset shows the level the day is compared with
(the previous day, an average day, the same weekday...), a vertical line marks the day's own
value, and each bar says its change and multiple; the bars that reproduce the claim at its
precision are coloured. Every number is a string from :mod:`analytics.formatting`; user text
(app names, the claim as typed) passes through :func:`charts.text.safe_text` once.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from analytics.formatting import fmt_change, fmt_date, fmt_value
from charts.publish import add_footer, set_titles
from charts.text import safe_text
from charts.theme import EVENT_COLOR, GRID_COLOR, MUTED_COLOR, PALETTE, TEMPLATE_NAME

#: Bars that reproduce the claim (bluish green) and the others (light grey).
HIT_COLOR = PALETTE[2]
MISS_COLOR = "#c3cad4"
DAY_COLOR = PALETTE[8]

# customdata: [baseline name, baseline level, value, change (multiple), verdict]
HOVER_TEMPLATE = (
    "<b>%{customdata[0]}</b><br>Baseline: %{customdata[1]}<br>Day: %{customdata[2]}<br>"
    "%{customdata[3]}<br>%{customdata[4]}<extra></extra>"
)


def baseline_name(method_label: str | None) -> str:
    """ "vs the mean of the previous 28 days" -> "Mean of the previous 28 days"."""
    text = str(method_label or "")
    for prefix in ("vs the ", "vs "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return text[:1].upper() + text[1:]


def check_figure(
    rows: pl.DataFrame,
    claim: str,
    day: dt.date,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    source_line: str | None = None,
    export_date: dt.date | dt.datetime | str | None = None,
) -> go.Figure:
    """One bar per baseline of one slice (``rows``: ``method_label``, ``value``, ``baseline``,
    ``change``, ``multiple``, ``reproduces``, ``reason``, in the order to show, top first),
    the day's value as a vertical line. ``claim`` (user text) and ``title``/``subtitle`` are
    escaped here; a row without a baseline is listed with its reason at the axis."""
    missing = [
        c
        for c in ("method_label", "value", "baseline", "change", "reproduces")
        if c not in rows.columns
    ]
    if missing:
        raise ValueError(f"check rows are missing column(s) {', '.join(missing)}")
    claim_html = safe_text(claim, 40)
    names = [safe_text(baseline_name(r), 60) for r in rows.get_column("method_label").to_list()]
    records = rows.to_dicts()
    fig = go.Figure(layout=dict(template=TEMPLATE_NAME))
    for hit in (True, False):
        part = [(n, r) for n, r in zip(names, records, strict=True) if bool(r["reproduces"]) == hit]
        if not part:
            continue
        fig.add_trace(
            go.Bar(
                orientation="h",
                y=[n for n, _ in part],
                x=[r["baseline"] for _, r in part],
                name=f"reproduces {claim_html}" if hit else "does not reproduce it",
                marker=dict(color=HIT_COLOR if hit else MISS_COLOR),
                text=[
                    fmt_change(r["change"], r["multiple"]) if r["change"] is not None else ""
                    for _, r in part
                ],
                textposition="outside",
                cliponaxis=False,
                customdata=[
                    [
                        n,
                        fmt_value(r["baseline"]),
                        fmt_value(r["value"]),
                        fmt_change(r["change"], r["multiple"]),
                        f"reproduces {claim_html}" if hit else f"does not reproduce {claim_html}",
                    ]
                    for n, r in part
                ],
                hovertemplate=HOVER_TEMPLATE,
                meta=dict(role="baseline"),
            )
        )
    for name, row in zip(names, records, strict=True):
        if row["baseline"] is None:
            reason = safe_text(row.get("reason") or "no baseline", 60)
            fig.add_annotation(
                x=0,
                xref="x",
                y=name,
                yref="y",
                xanchor="left",
                text=f"no baseline: {reason}",
                showarrow=False,
                font=dict(size=11, color=MUTED_COLOR),
                name="no-baseline",
            )
    value = next((r["value"] for r in records if r["value"] is not None), None)
    if value is not None:
        fig.add_shape(
            type="line",
            x0=value,
            x1=value,
            xref="x",
            y0=0,
            y1=1,
            yref="paper",
            line=dict(color=DAY_COLOR, width=2, dash="dash"),
            name="day",
        )
        fig.add_annotation(
            x=value,
            xref="x",
            y=1,
            yref="paper",
            yanchor="bottom",
            xanchor="right",
            text=f"{fmt_date(day)}: {fmt_value(value)}",
            showarrow=False,
            font=dict(size=12, color=DAY_COLOR),
            name="day-label",
        )
    levels = [r["baseline"] for r in records if r["baseline"] is not None]
    top = max([*levels, value or 0]) if levels or value else 1
    fig.update_layout(
        barmode="overlay",
        bargap=0.35,
        showlegend=True,
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
        xaxis=dict(
            title=dict(text="Level the day is compared with"),
            range=[0, top * 1.3],
            gridcolor=GRID_COLOR,
        ),
        yaxis=dict(
            autorange="reversed",
            automargin=True,
            categoryorder="array",
            categoryarray=names,
            linecolor=EVENT_COLOR,
        ),
        margin=dict(t=150),
    )
    set_titles(
        fig,
        safe_text(title, 120) if title is not None else f"Claim {claim_html}",
        safe_text(subtitle, 160)
        if subtitle is not None
        else "The day's value (dashed line) against each baseline; coloured bars reproduce the "
        "claim at its precision",
    )
    if source_line is not None or export_date is not None:
        add_footer(fig, source_line, export_date)
    return fig
