"""Explore: several apps' daily series with their baselines, typical ranges, spikes and events.

The whole view lives in the query string (apps, metrics, countries, platforms, start, end,
baseline, grain, view, selected day, right axis), so a copied URL opens the same chart.
Selecting a point or a box on the chart opens a prefilled form that adds an event.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from app_pages import access, common
from charts import publish
from charts.events import full_height
from charts.explore import explore_figure
from pipelines import events
from pipelines.errors import InstallpulseError
from semantic import views
from semantic.request import FIRST_PARTY
from semantic.views import ExploreState

W = "x_"  # widget key prefix
LAST = "_explore_last"  # the last view (restored when the page opens without a query string)
WRITTEN = "_explore_written"  # the query string this page last wrote
SELECTION = "_explore_selection_seen"


def _apply(state: ExploreState) -> None:
    """Put a state into the widgets (before they are drawn)."""
    for name in ("apps", "metrics", "countries", "platforms", "right", "prefer"):
        st.session_state[W + name] = list(getattr(state, name))
    st.session_state[W + "start"] = state.start
    st.session_state[W + "end"] = state.end
    st.session_state[W + "baseline"] = state.baseline
    st.session_state[W + "grain"] = state.grain
    st.session_state[W + "view"] = state.view
    st.session_state[W + "day"] = state.day


def _restore(options: dict) -> None:
    """A link, a shared URL or another page's button set the query string: show that view."""
    incoming = common.query_dict()
    if incoming and incoming == st.session_state.get(WRITTEN) and W + "apps" in st.session_state:
        return  # our own query string: the widgets already hold the view
    if not incoming and W + "apps" in st.session_state:
        return
    params = incoming or st.session_state.get(LAST, {})
    _apply(ExploreState.from_params(params).sanitize(options))


def _set_range(start: date, end: date, day: date | None = None) -> None:
    st.session_state[W + "start"] = start
    st.session_state[W + "end"] = end
    st.session_state[W + "day"] = day


def _quick_range(last: date, first: date) -> None:
    choice = st.session_state.get("x_quick")
    days = {"Last 30 days": 30, "Last 90 days": 90, "Last 365 days": 365}.get(choice or "")
    if days:
        _set_range(max(first, last - timedelta(days=days - 1)), last)
    st.session_state["x_quick"] = None


def _around_event(frame: pl.DataFrame, first: date, last: date) -> None:
    event_id = st.session_state.get("x_event")
    if event_id is None:
        return
    row = frame.filter(pl.col("event_id") == event_id).to_dicts()
    if row:
        day = row[0]["start_date"]
        _set_range(
            max(first, day - timedelta(days=14)),
            min(last, row[0]["end_date"] + timedelta(days=14)),
            day,
        )
    st.session_state["x_event"] = None


def _event_label(row: dict) -> str:
    return f"{row['start_date']} · {row['title']}"


def _selected_dates(selection: object) -> tuple[date, date] | None:
    """(first, last) date of the points or box selected on the chart, if any."""
    if not selection:
        return None
    chosen: list[date] = []
    for point in selection.get("points", []) or []:
        try:
            chosen.append(date.fromisoformat(str(point.get("x"))[:10]))
        except ValueError:
            continue
    for box in selection.get("box", []) or []:
        for x in box.get("x", []) or []:
            try:
                chosen.append(date.fromisoformat(str(x)[:10]))
            except ValueError:
                continue
    return (min(chosen), max(chosen)) if chosen else None


def _publication(fig: go.Figure, source: str, day: date, width: int, height: int) -> go.Figure:
    """The chart as an exported image shows it (no on-screen selected-day mark). Made on a
    download click only: its two validated copies of the figure were a quarter of a rerun's
    CPU when 25 sessions changed filters (benchmarks/bench_load.py)."""
    exported = go.Figure(fig)
    exported.layout.shapes = [sh for sh in exported.layout.shapes if sh.name != "selected day"]
    return publish.publication_layout(
        exported, source_line=source, export_date=day, width=width, height=height
    )


st.title("Explore")
try:
    options = common.options()
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()
if not options["apps"]:
    st.info(
        "The database holds no series yet. Import files on the Data page, or load the "
        "demo with `installpulse demo`."
    )
    st.stop()

first_day, last_day = options["first_date"], options["last_date"]
_restore(options)
all_events = common.all_events()

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([3, 2, 2, 2])
    c1.multiselect(
        "Apps",
        options["apps"],
        key=W + "apps",
        help="Choose one or more apps; each keeps its own colour.",
    )
    c2.multiselect("Metrics", options["metrics"], key=W + "metrics")
    c3.multiselect(
        "Countries",
        options["countries"],
        key=W + "countries",
        placeholder="All countries (summed)",
        help="One country is shown on its own; several are summed.",
    )
    c4.multiselect(
        "Platforms", options["platforms"], key=W + "platforms", placeholder="All platforms (summed)"
    )
    d1, d2, d3, d4 = st.columns([2, 2, 2, 3])
    d1.date_input("From", key=W + "start", min_value=first_day, max_value=last_day)
    d2.date_input("To", key=W + "end", min_value=first_day, max_value=last_day)
    d3.selectbox(
        "Quick range",
        ["Last 30 days", "Last 90 days", "Last 365 days"],
        index=None,
        key="x_quick",
        placeholder="Pick a preset",
        on_change=_quick_range,
        args=(last_day, first_day),
    )
    event_rows = {r["event_id"]: r for r in all_events.to_dicts()} if all_events.height else {}
    d4.selectbox(
        "Around an event",
        list(event_rows),
        index=None,
        key="x_event",
        format_func=lambda i: _event_label(event_rows[i]),
        placeholder="Pick an event (±14 days)",
        on_change=_around_event,
        args=(all_events, first_day, last_day),
    )
    # Three to a row: with the source preference a fourth, Grain lost "month" and View
    # "Index (=100)" off their right edge in a 1400-pixel-wide window.
    e1, e2, e3 = st.columns([3, 2.4, 3.6])
    e1.selectbox(
        "Baseline (what a change is measured against)",
        list(views.BASELINE_CHOICES),
        key=W + "baseline",
        format_func=lambda m: views.BASELINE_CHOICES.get(m, m),
        accept_new_options=True,
        help="Type window:YYYY-MM-DD..YYYY-MM-DD for a fixed reference window, or "
        "mean:N / median:N / weekday:K.",
    )
    e2.segmented_control("Grain", list(views.GRAINS), key=W + "grain")
    e3.segmented_control(
        "View",
        list(views.VIEWS),
        key=W + "view",
        format_func=lambda v: views.VIEW_LABELS[v],
        help="Absolute: the daily numbers. % vs baseline: each day's change against the "
        "chosen baseline. Index: each series divided by its own first baseline (= 100), so "
        "apps of very different size share one scale.",
    )
    # With one source there is nothing to prefer (the demo has one): no widget.
    if len(options.get("sources") or []) > 1:
        st.columns([3, 6])[0].multiselect(
            "Prefer sources (in order)",
            options.get("sources") or [],
            key=W + "prefer",
            placeholder="Store figures first",
            help="Where two sources cover the same platform, country and day (an estimate beside "
            "a store's own figure) they are never summed: the first source here that has the day "
            "wins. Empty: store figures (" + ", ".join(FIRST_PARTY) + ") first, estimates last. "
            "The numbers table names the sources used.",
        )

raw = ExploreState(
    apps=list(st.session_state.get(W + "apps") or []),
    metrics=list(st.session_state.get(W + "metrics") or []),
    countries=list(st.session_state.get(W + "countries") or []),
    platforms=list(st.session_state.get(W + "platforms") or []),
    start=st.session_state.get(W + "start"),
    end=st.session_state.get(W + "end"),
    baseline=st.session_state.get(W + "baseline") or "previous-day",
    grain=st.session_state.get(W + "grain") or "day",
    view=st.session_state.get(W + "view") or "absolute",
    day=st.session_state.get(W + "day"),
    right=list(st.session_state.get(W + "right") or []),
    prefer=list(st.session_state.get(W + "prefer") or []),
)
if not raw.apps or not raw.metrics:
    st.info("Choose at least one app and one metric.")
    st.stop()
if raw.start and raw.end and raw.end < raw.start:
    st.warning("The end date is before the start date: swap them.")
    st.stop()
state = raw.sanitize(options)
try:
    request = state.request()  # the baseline method is parsed here, once
except ValueError as exc:
    st.error(str(exc))
    st.stop()
state.baseline = request.method.name

with st.spinner("Computing baselines…"):
    try:
        found, shown = common.ask_with_table(request)
    except InstallpulseError as exc:  # e.g. a level that would be summed
        common.show_error(exc)
        st.stop()
results, spike_days = found.results, found.spikes
if not results.height:
    st.info("No data for this choice in the chosen dates. Widen the range or change the filters.")
    st.stop()

sources = found.sources
if views.DEMO_SOURCE in sources:
    common.demo_notice()

chart_events = views.events_for_apps(all_events, state.apps)
right = state.right if state.view == "absolute" else []
fig = explore_figure(
    results,
    spikes=spike_days if spike_days.height else None,
    events=chart_events if chart_events.height else None,
    view=state.view,  # type: ignore[arg-type]
    subtitle=views.chart_subtitle(results, request),
    secondary_axis_for=right or None,
)
# Room above the plot for title, subtitle and legend (the template's margin fits a title only).
fig.update_layout(height=540, dragmode="zoom", margin=dict(t=118))
# The selected day (whose sentences are under the chart), marked on screen only.
marked = state.day if state.day is not None else views.peak_day(results)
if marked is not None:
    fig.add_shape(
        **full_height(
            "line",
            marked,
            marked,
            line=dict(color="#B2182B", width=1, dash="dot"),
            name="selected day",
        )
    )
file_stem = publish.safe_filename(*state.apps, *state.metrics, state.start, state.end)
config = publish.modebar_config(file_stem)
config["modeBarButtonsToRemove"] = ["lasso2d"]  # keep box select: it proposes an event
event = st.plotly_chart(
    fig,
    theme=None,
    on_select="rerun",
    selection_mode=("points", "box"),
    key="explore_chart",
    config=config,
)

# Levels that differ by 10x or more make the smaller app a flat line on one axis.
if state.view == "absolute" and len(state.apps) > 1:
    levels = results.group_by("app").agg(pl.col("value").median()).drop_nulls()
    if levels.height > 1 and levels["value"].min() > 0:
        ratio = levels["value"].max() / levels["value"].min()
        if ratio >= 10:
            st.caption(
                f"The apps' levels differ about {ratio:,.0f}x: use the Indexed view, or put the "
                "smaller app on a right-hand axis."
            )
if state.view == "absolute" and len(state.apps) > 1:
    st.multiselect(
        "Right-hand axis for",
        state.apps,
        key=W + "right",
        help="Draw these apps against a second, labelled axis on the right.",
    )

picked = _selected_dates(event.selection if event else None)
if picked and picked != st.session_state.get(SELECTION):
    st.session_state[SELECTION] = picked
    st.session_state[W + "day"] = picked[0]
    state.day = picked[0]

day_options = results.get_column("date").unique().sort().to_list()
if state.day is None or state.day not in day_options:
    state.day = views.peak_day(results) if state.day is None else None
    if state.day not in day_options:
        state.day = views.peak_day(results)
    st.session_state[W + "day"] = state.day
st.select_slider(
    "Selected day", day_options, key=W + "day", format_func=lambda d: f"{d:%a %d %b %Y}"
)
state.day = st.session_state.get(W + "day")

st.subheader("In words")
for sentence in views.day_sentences(results, state.day):
    st.markdown("- " + common.md_escape(sentence))

# The view in the query string: a copied URL restores it.
params = state.to_params()
if params != common.query_dict():
    st.query_params.from_dict(params)
st.session_state[WRITTEN] = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
st.session_state[LAST] = st.session_state[WRITTEN]

# ----- add an event from the chart ------------------------------------------------------------
if picked:
    st.info(
        f"Selected on the chart: {picked[0]:%a %d %b %Y}"
        + (f" to {picked[1]:%a %d %b %Y}" if picked[1] != picked[0] else "")
        + (
            ". Add an event there below, or click elsewhere to pick another day."
            if access.allowed("annotate")
            else ". Click elsewhere to pick another day."
        )
    )
if not access.allowed("annotate"):
    access.refused_note("annotate")
else:
    with st.expander("Add an event on this chart", expanded=bool(picked)):
        a_start, a_end = picked or (state.day, state.day)
        with st.form("explore_add_event", clear_on_submit=True):
            title = st.text_input("Title", max_chars=events.MAX_TITLE)
            f1, f2 = st.columns(2)
            ev_start = f1.date_input("Start", value=a_start, key="x_ev_start_" + str(a_start))
            ev_end = f2.date_input(
                "End (same as start for a one-day event)", value=a_end, key="x_ev_end_" + str(a_end)
            )
            scope = st.multiselect("Apps (empty = all apps)", options["apps"], default=state.apps)
            tags = st.text_input("Tags (comma-separated)")
            description = st.text_area("Description", max_chars=events.MAX_DESCRIPTION)
            approx = st.checkbox("The date is approximate")
            if st.form_submit_button("Add event", type="primary"):
                try:
                    new_id = events.add(
                        events.Event(
                            ev_start,
                            title,
                            ev_end,
                            description,
                            [t for t in tags.split(",") if t.strip()],
                            scope,
                            approx,
                        ),
                        common.db_path(),
                        actor=access.actor(),
                    )
                except InstallpulseError as exc:
                    common.show_error(exc)
                else:
                    st.toast(f"Event #{new_id} added.")
                    st.session_state.pop(SELECTION, None)
                    st.rerun()

# ----- downloads ------------------------------------------------------------------------------
st.subheader("Download")
numbers = views.table_numbers(results)
today = date.today()
source_text = views.source_line(sources)
k1, k2, k3, k4, k5 = st.columns([2, 2, 2, 2, 3])
width = k1.number_input("Width (px)", 400, 4000, publish.DEFAULT_WIDTH, step=50, key="x_w")
height = k2.number_input("Height (px)", 300, 3000, publish.DEFAULT_HEIGHT, step=25, key="x_h")
scale = k3.selectbox("Scale", [1, 2, 3], index=1, key="x_scale")
common.chart_downloads(
    "Download CSV (numbers behind the chart)",
    numbers,
    functools.partial(_publication, fig, source_text, today, int(width), int(height)),
    file_stem,
    "x_dl",
    width=int(width),
    height=int(height),
    scale=float(scale),
)
st.caption(
    f"Images carry the title, the subtitle (metric, countries, baseline), event labels, "
    f"“{source_text}” and the export date."
)

st.subheader("The numbers")
# Display strings from analytics.formatting (the chart's hover, the sentences and the CLI print
# the same), made once per request and data version (common.ask_with_table); the CSV download
# above keeps the raw values. As an Arrow table: a polars frame goes through pandas in
# st.dataframe (7% of a rerun's CPU), an Arrow table is serialised as it is.
st.dataframe(
    shown.to_arrow(),
    hide_index=True,
    column_config={
        "date": st.column_config.DateColumn("date", format="ddd YYYY-MM-DD"),
        "typical_change": st.column_config.TextColumn("typical DoD change"),
        "typical_low": st.column_config.TextColumn("typical low"),
        "typical_high": st.column_config.TextColumn("typical high"),
    },
)
