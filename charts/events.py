"""Events drawn on a date axis: lines for days, shaded rectangles for ranges.

Press-coverage events cluster (four on 2026-02-27 in the demo), so labels are laid out
like intervals on a timeline: events on the same or adjacent days collapse into one
"3 events" label whose hover lists them all, and labels that would overlap are staggered
over a few heights. Shapes use ISO date strings: plotly 7.1 `add_vline(x=date, ...)` with
an annotation raises TypeError (PLATFORM.md), and layout shapes need no helper anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import plotly.graph_objects as go
import polars as pl

from analytics.formatting import fmt_date
from charts.text import safe_text
from charts.theme import EVENT_COLOR, MUTED_COLOR, with_alpha

LABEL_MAX_LEN = 28
HOVER_TITLE_MAX_LEN = 90
HOVER_DESCRIPTION_MAX_LEN = 240
MAX_LEVELS = 4
LEVEL_STEP = 0.075  # paper units between staggered label rows
APPROX_SUFFIX = " (approx.)"
# Average label glyph width in px at the annotation font size, used to estimate overlap.
CHAR_WIDTH_PX = 6.4


@dataclass
class EventLabel:
    """One label on the chart: a single event or several collapsed ones."""

    x: dt.date
    text: str
    hover: str
    event_ids: list[int] = field(default_factory=list)
    level: int = 0


def _event_hover(row: dict) -> str:
    start, end = row["start_date"], row["end_date"]
    when = fmt_date(start) if end in (None, start) else f"{fmt_date(start)} to {fmt_date(end)}"
    if row.get("is_approximate"):
        when += APPROX_SUFFIX
    parts = [f"<b>{safe_text(row.get('title'), HOVER_TITLE_MAX_LEN)}</b>", when]
    if row.get("description"):
        parts.append(safe_text(row["description"], HOVER_DESCRIPTION_MAX_LEN))
    tags = row.get("tags") or []
    if tags:
        parts.append("Tags: " + ", ".join(safe_text(t, 24) for t in tags[:8]))
    return "<br>".join(parts)


def _single_text(row: dict) -> str:
    text = safe_text(row.get("title") or "event", LABEL_MAX_LEN)
    return text + (APPROX_SUFFIX if row.get("is_approximate") else "")


def normalize_events(events: pl.DataFrame | None) -> list[dict]:
    """Rows sorted by start date; `end_date` filled with the start for point events."""
    if events is None or events.height == 0:
        return []
    frame = events
    if "end_date" not in frame.columns:
        frame = frame.with_columns(pl.col("start_date").alias("end_date"))
    frame = frame.with_columns(pl.col("end_date").fill_null(pl.col("start_date")))
    sort_cols = ["start_date"] + (["event_id"] if "event_id" in frame.columns else [])
    return frame.sort(sort_cols).to_dicts()


def layout_labels(
    rows: list[dict],
    span_days: float,
    plot_width_px: float = 900,
    collapse_days: int = 0,
    max_levels: int = MAX_LEVELS,
) -> list[EventLabel]:
    """Group and stagger event labels.

    Events whose start dates lie within `collapse_days` of the previous one in a group are
    collapsed into one "N events" label whose hover lists each event.
    Labels are then given the lowest level whose previous label ends before this one
    starts, measured in days from an estimated text width; when every level is taken the
    least recently used level is reused.
    """
    groups: list[list[dict]] = []
    for row in rows:
        if groups and (row["start_date"] - groups[-1][-1]["start_date"]).days <= collapse_days:
            groups[-1].append(row)
        else:
            groups.append([row])

    labels: list[EventLabel] = []
    for group in groups:
        ids = [int(r["event_id"]) for r in group if r.get("event_id") is not None]
        if len(group) == 1:
            text = _single_text(group[0])
        else:
            text = f"{len(group)} events"
            if all(r.get("is_approximate") for r in group):
                text += APPROX_SUFFIX
        hover = "<br><br>".join(_event_hover(r) for r in group)
        labels.append(EventLabel(x=group[0]["start_date"], text=text, hover=hover, event_ids=ids))

    days_per_px = max(span_days, 1) / max(plot_width_px, 100)
    level_end: list[dt.date | None] = [None] * max_levels
    for label in labels:
        width_days = (len(label.text) * CHAR_WIDTH_PX + 12) * days_per_px
        free = [i for i, end in enumerate(level_end) if end is None or end < label.x]
        level = free[0] if free else min(range(max_levels), key=lambda i: level_end[i])
        label.level = level
        level_end[level] = label.x + dt.timedelta(days=width_days)
    return labels


def full_height(kind: str, x0: dt.date, x1: dt.date, **style: object) -> dict[str, object]:
    """A shape (``kind`` "line" or "rect") from day ``x0`` to ``x1`` over the plot's whole
    height, under the data: an event's line or span, the page's selected-day mark."""
    return dict(
        type=kind,
        xref="x",
        yref="paper",
        x0=x0.isoformat(),
        x1=x1.isoformat(),
        y0=0,
        y1=1,
        layer="below",
        **style,
    )


def event_marks(
    events: pl.DataFrame | None,
    x_range: tuple[dt.date, dt.date] | None = None,
    plot_width_px: float = 900,
) -> tuple[list[dict], list[dict], list[EventLabel]]:
    """The layout shapes and annotations that draw `events` on a date axis, and their labels.

    Plain dicts, so a figure takes them all in one layout assignment: `fig.add_shape` per
    event re-validated every shape already there (quadratic, an eighth of an Explore figure's
    CPU with a dozen events). Events that do not overlap `x_range` (when given) are left out
    so one old event does not stretch the axis.
    """
    rows = normalize_events(events)
    if x_range is not None:
        lo, hi = x_range
        rows = [r for r in rows if r["end_date"] >= lo and r["start_date"] <= hi]
    if not rows:
        return [], [], []

    shapes: list[dict] = []
    drawn: set[tuple] = set()
    for row in rows:
        start, end = row["start_date"], row["end_date"]
        approx = bool(row.get("is_approximate"))
        # Several events on one day share one line (stacked lines would look bolder).
        if (start, end, approx) in drawn:
            continue
        drawn.add((start, end, approx))
        if end > start:
            shapes.append(
                full_height(
                    "rect",
                    start,
                    end,
                    fillcolor=with_alpha(EVENT_COLOR, 0.10),
                    line=dict(color=EVENT_COLOR, width=1 if approx else 0, dash="dot"),
                )
            )
        else:
            shapes.append(
                full_height(
                    "line",
                    start,
                    start,
                    line=dict(color=EVENT_COLOR, width=1.2, dash="dot" if approx else "solid"),
                )
            )

    if x_range is not None:
        span = (x_range[1] - x_range[0]).days
    else:
        span = (rows[-1]["end_date"] - rows[0]["start_date"]).days
    # Same-day events always collapse; on long ranges, events a few days apart do too.
    collapse_days = max(0, round(span / 120))
    labels = layout_labels(
        rows, span_days=span, plot_width_px=plot_width_px, collapse_days=collapse_days
    )
    annotations = [
        dict(
            x=label.x.isoformat(),
            xref="x",
            yref="paper",
            y=1 - label.level * LEVEL_STEP,
            yanchor="top",
            xanchor="left",
            xshift=3,
            text=label.text,
            hovertext=label.hover,
            showarrow=False,
            align="left",
            font=dict(size=11, color=MUTED_COLOR),
            bgcolor="rgba(255,255,255,0.85)",
            borderpad=2,
            name="event",
        )
        for label in labels
    ]
    return shapes, annotations, labels


def add_events(
    fig: go.Figure,
    events: pl.DataFrame | None,
    x_range: tuple[dt.date, dt.date] | None = None,
    plot_width_px: float = 900,
) -> list[EventLabel]:
    """Draw `events` on `fig` (date x axis) and return the labels placed (see `event_marks`)."""
    shapes, annotations, labels = event_marks(events, x_range, plot_width_px)
    if labels:
        fig.update_layout(
            shapes=[*fig.layout.shapes, *shapes],
            annotations=[*fig.layout.annotations, *annotations],
        )
    return labels
