"""Impact chart: what happened against what the days before predicted, and the running total.

Why two panels: the daily panel shows the counterfactual (the expected series with its 95%
band) next to what happened, so a reader sees where the model comes from (the fitted
pre-period) and how far the post days left it; the cumulative panel answers "how many in
all" with its interval growing day by day, which a daily chart cannot show. The x axis is
the calendar (the pre-period is part of the story), with the event day marked.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from analytics.formatting import fmt_date, fmt_int, fmt_offset, fmt_share
from charts.publish import add_footer, set_titles
from charts.text import safe_text
from charts.theme import EVENT_COLOR, MUTED_COLOR, TEMPLATE_NAME, color_for, with_alpha

# Every number in a hover is text from analytics.formatting (customdata), never a d3 format.
DAY_HOVER = "<b>%{customdata[0]}</b><br>%{customdata[1]} (day %{customdata[2]})<br>%{customdata[3]}<extra></extra>"  # noqa: E501
EXPECTED_COLOR = "#4D4D4D"


def _date_text(d: dt.date) -> str:
    return fmt_date(d)


def impact_figure(
    days: pl.DataFrame,
    *,
    app: str,
    label: str,
    event_date: dt.date,
    level: float = 0.95,
    title: str | None = None,
    subtitle: str | None = None,
    source_line: str | None = None,
    export_date: dt.date | dt.datetime | str | None = None,
) -> go.Figure:
    """Top: actual, expected (fitted in the pre-period, extrapolated after) and the expected's
    band; bottom: the cumulative excess from the event day with its interval.

    ``days`` has the columns of :data:`analytics.impact.DAY_COLUMNS`. ``app`` picks the
    colour; ``label``, ``title`` and ``subtitle`` are user text (escaped here).
    """
    missing = [c for c in ("date", "actual", "expected", "cum_excess") if c not in days.columns]
    if missing:
        raise ValueError(f"impact frame is missing column(s) {', '.join(missing)}")
    pct = fmt_share(level)
    name = safe_text(label, 60)
    color = color_for(app)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.62, 0.38], vertical_spacing=0.08
    )
    fig.update_layout(template=TEMPLATE_NAME)
    rows = days.sort("date").to_dicts()
    dates = [r["date"] for r in rows]
    post = [r for r in rows if r["period"] == "post"]
    post_dates = [r["date"] for r in post]

    def custom(r: dict, what: str, text: str) -> list[str]:
        return [what, _date_text(r["date"]), fmt_offset(r["offset"]), text]

    # 95% band of the expected series (post days only), drawn first so lines sit on it.
    if post:
        fig.add_trace(
            go.Scatter(
                x=post_dates,
                y=[r["expected_low"] for r in post],
                mode="lines",
                line=dict(width=0),
                hoverinfo="skip",
                showlegend=False,
                name="expected low",
                meta=dict(role="band"),
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=post_dates,
                y=[r["expected_high"] for r in post],
                mode="lines",
                line=dict(width=0),
                fill="tonexty",
                fillcolor=with_alpha(EXPECTED_COLOR, 0.16),
                name=f"expected, {pct} band",
                customdata=[
                    custom(
                        r,
                        f"Expected, {pct} band",
                        f"{fmt_int(r['expected_low'])} to {fmt_int(r['expected_high'])}",
                    )
                    for r in post
                ],
                hovertemplate=DAY_HOVER,
                meta=dict(role="band"),
            ),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=[r["expected"] for r in rows],
            mode="lines",
            line=dict(color=EXPECTED_COLOR, width=2, dash="dash"),
            name="expected had nothing happened",
            customdata=[custom(r, "Expected", fmt_int(r["expected"])) for r in rows],
            hovertemplate=DAY_HOVER,
            meta=dict(role="expected"),
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=[r["actual"] for r in rows],
            mode="lines+markers",
            line=dict(color=color, width=2.4),
            marker=dict(size=5),
            name=name,
            customdata=[
                custom(
                    r,
                    name,
                    fmt_int(r["actual"])
                    + (f", excess {fmt_int(r['excess'])}" if r["excess"] is not None else ""),
                )
                for r in rows
            ],
            hovertemplate=DAY_HOVER,
            meta=dict(role="value"),
        ),
        row=1,
        col=1,
    )
    if post:
        fig.add_trace(
            go.Scatter(
                x=post_dates,
                y=[r["cum_low"] for r in post],
                mode="lines",
                line=dict(width=0),
                hoverinfo="skip",
                showlegend=False,
                name="cumulative low",
                meta=dict(role="band"),
            ),
            row=2,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=post_dates,
                y=[r["cum_high"] for r in post],
                mode="lines",
                line=dict(width=0),
                fill="tonexty",
                fillcolor=with_alpha(color, 0.18),
                name=f"cumulative excess, {pct} interval",
                customdata=[
                    custom(
                        r,
                        f"Cumulative excess, {pct} interval",
                        f"{fmt_int(r['cum_low'])} to {fmt_int(r['cum_high'])}",
                    )
                    for r in post
                ],
                hovertemplate=DAY_HOVER,
                meta=dict(role="band"),
            ),
            row=2,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=post_dates,
                y=[r["cum_excess"] for r in post],
                mode="lines+markers",
                line=dict(color=color, width=2.4),
                marker=dict(size=5),
                name="cumulative excess",
                showlegend=False,
                customdata=[custom(r, "Cumulative excess", fmt_int(r["cum_excess"])) for r in post],
                hovertemplate=DAY_HOVER,
                meta=dict(role="cumulative"),
            ),
            row=2,
            col=1,
        )
    fig.add_hline(y=0, line=dict(color=MUTED_COLOR, width=1, dash="dot"), row=2, col=1)
    # The event day on both panels (an ISO string: plotly 7 refuses a date in add_vline).
    for row in (1, 2):
        fig.add_vline(
            x=event_date.isoformat(), line=dict(color=EVENT_COLOR, width=1.4), row=row, col=1
        )
    fig.add_annotation(
        x=event_date.isoformat(),
        xref="x",
        y=1,
        yref="paper",
        yanchor="top",
        xanchor="left",
        xshift=4,
        text=f"Day 0 ({fmt_date(event_date)})",
        showarrow=False,
        font=dict(size=11, color=MUTED_COLOR),
        bgcolor="rgba(255,255,255,0.85)",
        name="event",
    )
    fig.update_yaxes(title_text="per day", separatethousands=True, row=1, col=1)
    fig.update_yaxes(title_text="cumulative excess", separatethousands=True, row=2, col=1)
    fig.update_layout(hovermode="closest")
    set_titles(
        fig,
        safe_text(title, 120) if title is not None else f"What the event did: {name}",
        safe_text(subtitle, 160)
        if subtitle is not None
        else f"Daily and cumulative excess over the expected series, {pct} interval",
    )
    if source_line is not None or export_date is not None:
        add_footer(fig, source_line, export_date)
    return fig
