"""Publication layout, modebar configuration and file names for chart downloads.

A chart that leaves the app must carry its own context - what is measured, where, against
which baseline, from which source, exported when - because a screenshot loses the page
around it (the "+295%" retold as "nearly three times more" is the cautionary tale).
The same layout serves the modebar camera button (client-side) and kaleido (server-side).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import plotly.graph_objects as go
import polars as pl

from analytics.formatting import fmt_platforms
from charts.labels import KEY_SEPARATOR, join_distinct
from charts.text import clean_text, safe_text
from charts.theme import MUTED_COLOR, TEMPLATE_NAME, TEXT_COLOR

DEFAULT_WIDTH = 1200
DEFAULT_HEIGHT = 675
DEFAULT_SCALE = 2
FOOTER_NAME = "footer"
TITLE_MAX_LEN = 120
SUBTITLE_MAX_LEN = 160
FILENAME_MAX_LEN = 80


def describe_results(results: pl.DataFrame) -> str:
    """Safe subtitle naming the metric(s), countries and baseline method(s).

    e.g. "uninstalls · US · change vs the previous day".
    """
    parts: list[str] = []
    for column in ("metric", "country", "platform"):
        if column in results.columns and results.height:
            values = results.get_column(column).unique().to_list()
            if column == "platform":  # "android+ios" -> "iOS+Android", as the sentences say
                values = [fmt_platforms(v) for v in values if v]
            text = join_distinct(values, max_items=3 if column == "country" else 4)
            if text:
                parts.append(text)
    if "method_label" in results.columns and results.height:
        methods = results.get_column("method_label").drop_nulls().unique().to_list()
        if methods:
            parts.append("change " + join_distinct(methods, max_items=2, max_len=40))
    return KEY_SEPARATOR.join(parts)


def format_export_date(export_date: dt.date | dt.datetime | str | None) -> str:
    """ "Exported 2026-11-27" (today when None)."""
    if export_date is None:
        export_date = dt.date.today()
    if isinstance(export_date, dt.datetime):
        export_date = export_date.date()
    if isinstance(export_date, dt.date):
        return f"Exported {export_date.isoformat()}"
    return "Exported " + safe_text(export_date, 20)


def title_layout(title_html: str | None, subtitle_html: str | None) -> dict:
    """The layout `title` for already-safe title and subtitle markup (ours, or `safe_text`
    output): for a figure built from one layout dict (charts.explore)."""
    title: dict = dict(text=title_html or "")
    title["subtitle"] = dict(text=subtitle_html or "", font=dict(size=14, color=MUTED_COLOR))
    return title


def set_titles(fig: go.Figure, title_html: str | None, subtitle_html: str | None) -> None:
    """Set already-safe title and subtitle markup (ours, or `safe_text` output)."""
    fig.update_layout(title=title_layout(title_html, subtitle_html))


def add_footer(
    fig: go.Figure,
    source_line: str | None,
    export_date: dt.date | dt.datetime | str | None,
) -> None:
    """Source line bottom-left, export date bottom-right, below the x axis.

    Replaces a footer added earlier so repeated layout calls do not stack footers.
    """
    previous = [a for a in fig.layout.annotations if a.name == FOOTER_NAME]
    fig.layout.annotations = [a for a in fig.layout.annotations if a.name != FOOTER_NAME]
    # None keeps what an earlier call wrote (already escaped), so a publication copy of
    # an explorer figure does not lose its source line.
    source_html = safe_text(source_line, 140) if source_line else None
    date_html = format_export_date(export_date) if export_date is not None else None
    for old in previous:
        if old.xanchor == "left" and source_line is None:
            source_html = old.text
        if old.xanchor == "right" and export_date is None:
            date_html = old.text
    # Below the tick labels, and below the x axis title when there is one.
    has_x_title = bool(fig.layout.xaxis.title.text)
    shift = 70 if has_x_title else 46
    common = dict(
        xref="paper",
        yref="paper",
        y=0,
        yanchor="top",
        yshift=-shift,
        showarrow=False,
        font=dict(size=11, color=MUTED_COLOR),
        name=FOOTER_NAME,
    )
    if source_html:
        fig.add_annotation(text=source_html, x=0, xanchor="left", **common)
    fig.add_annotation(text=date_html or format_export_date(None), x=1, xanchor="right", **common)
    bottom = fig.layout.margin.b if fig.layout.margin.b is not None else 0
    fig.update_layout(margin=dict(b=max(bottom, shift + 38)))


def publication_layout(
    fig: go.Figure,
    title: str | None = None,
    subtitle: str | None = None,
    source_line: str | None = None,
    export_date: dt.date | dt.datetime | str | None = None,
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
) -> go.Figure:
    """A copy of `fig` laid out for an article: fixed size, larger type, title, subtitle,
    source line and export date. `title`/`subtitle` are user text (escaped here); None
    keeps what the figure already has.
    """
    out = go.Figure(fig)
    out.update_layout(
        template=TEMPLATE_NAME,
        width=width,
        height=height,
        autosize=False,
        font=dict(size=14),
        margin=dict(l=72, r=40, t=116, b=92),
    )
    if out.layout.xaxis.title.text:
        out.update_layout(margin=dict(b=112))
    if title is not None or subtitle is not None:
        current_title = out.layout.title.text
        current_sub = out.layout.title.subtitle.text
        set_titles(
            out,
            safe_text(title, TITLE_MAX_LEN) if title is not None else current_title,
            safe_text(subtitle, SUBTITLE_MAX_LEN) if subtitle is not None else current_sub,
        )
    out.update_layout(title=dict(font=dict(size=22, color=TEXT_COLOR), y=0.97, yanchor="top"))
    # Keep a top legend above the plot but below the subtitle (a side legend stays put).
    if out.layout.legend.orientation != "v":
        out.update_layout(legend=dict(y=1.02, yanchor="bottom"))
    add_footer(out, source_line, export_date)
    return out


def safe_filename(*parts: object, ext: str | None = None, max_len: int = FILENAME_MAX_LEN) -> str:
    """ASCII file name from user text: "ChatGPT / Claude", "2026-02-28" ->
    "chatgpt-claude_2026-02-28". Never empty, never a path, never a dotfile."""
    words = []
    for part in parts:
        text = unicodedata.normalize("NFKD", clean_text(part, None))
        text = text.encode("ascii", "ignore").decode("ascii").lower()
        text = re.sub(r"[^a-z0-9.]+", "-", text).strip("-.")
        text = re.sub(r"\.{2,}", ".", text)
        if text:
            words.append(text)
    name = "_".join(words)[:max_len].strip("-._") or "chart"
    if ext:
        name += "." + re.sub(r"[^a-z0-9]", "", ext.lower())
    return name


def modebar_config(
    filename: str,
    fmt: str = "png",
    width: int = DEFAULT_WIDTH,
    height: int = DEFAULT_HEIGHT,
    scale: float = DEFAULT_SCALE,
) -> dict:
    """plotly config for `st.plotly_chart(..., config=...)`: the camera button downloads
    `<filename>.<fmt>` at publication size. MathJax typesetting is off so `$...$` in user
    text can never reach it."""
    if fmt not in ("png", "svg", "jpeg", "webp"):
        raise ValueError(f"modebar format must be png, svg, jpeg or webp, not {fmt!r}")
    return {
        "displaylogo": False,
        "typesetMath": False,
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
        "toImageButtonOptions": {
            "format": fmt,
            "filename": safe_filename(filename),
            "width": width,
            "height": height,
            "scale": scale,
        },
    }
