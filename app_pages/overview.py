"""Overview: what moved lately across the whole database, and how fresh the data is.

Top movers and spike episodes are read from the rankings stored when the data arrived
(`pipelines/precompute.py`, schema v009: `queries/overview_movers_stored.sql` and
`overview_episodes_stored.sql`), so a rerun is two small reads, whatever the number of series.
Only a database migrated from an older schema whose scores are not stored yet (until its next
import or `installpulse precompute --all`) is scored here, from one bounded read (the shown
days plus the score's and baseline's look-back, for every series). Selecting a row opens the
explorer on that series around its peak.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import streamlit as st

from analytics import baselines
from app_pages import common
from pipelines import alerts, precompute
from pipelines.errors import InstallpulseError
from semantic import views

EPISODE_DAYS = precompute.EPISODE_DAYS
METHODS = {
    "mean:28": "the mean of the previous 28 days",
    "previous-day": "the previous day",
    "median:28": "the median of the previous 28 days",
    "weekday:4": "the same weekday of the previous 4 weeks",
}


@st.cache_data(max_entries=32, show_spinner=False)
def _stored_movers(db: str, version: str, days: int, method: str) -> pl.DataFrame:
    return precompute.stored_movers(db, days, method)


@st.cache_data(max_entries=32, show_spinner=False)
def _stored_episodes(db: str, version: str, min_score: float, limit: int) -> pl.DataFrame:
    return precompute.stored_episodes(db, min_score, limit)


st.title("Overview")
try:
    info = common.totals()
    options = common.options()
    stored_state = precompute.read_state(common.db_path())
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()

if not info["observations"]:
    st.info(
        "The database is empty. Import files on the Data page (drag and drop a CSV "
        "export), or load the illustrative demo with `installpulse demo`."
    )
    st.page_link(str(Path(__file__).with_name("data.py")), label="Go to the Data page", icon="📥")
    st.stop()

if common.is_demo():
    common.demo_notice()

last: date = info["last_date"]
cols = st.columns(5)
cols[0].metric("Apps", f"{info['apps']:,}")
cols[1].metric("Series", f"{info['series']:,}")
cols[2].metric("Daily values", f"{info['observations']:,}")
cols[3].metric("Latest day of data", f"{last:%d %b %Y}")
cols[4].metric("Events", f"{info['events']:,}")
age = (date.today() - last).days
stamp = info["last_import_at"]
st.caption(
    f"Data from {info['first_date']:%d %b %Y} to {last:%a %d %b %Y} "
    f"({age:,} day{'s' if age != 1 else ''} ago)"
    + (f"; last import {stamp:%Y-%m-%d %H:%M}." if stamp else ".")
)


def _open_explorer(frame: pl.DataFrame, selected: object, baseline: str) -> None:
    """The row a user selected in a table opens the explorer on that series."""
    rows = selected.selection.rows if selected else []  # type: ignore[attr-defined]
    if rows:
        row = frame.row(rows[0], named=True)
        st.switch_page(
            str(Path(__file__).with_name("explore.py")),
            query_params=views.explorer_params_for(row, baseline=baseline),
        )


# ----- alerts ----------------------------------------------------------------------------------
fired = alerts.recent_episodes(common.db_path(), limit=10, statuses=("sent", "pending"))
if fired.height:
    st.subheader("Alerts")
    st.caption(
        "Spike episodes your alert rules found, newest first: one message per episode to the "
        "rule's webhook. Pending: not delivered yet; sent again after the next import or by "
        "`installpulse alerts retry`. `installpulse alerts list` shows the rules."
    )
    for row in fired.iter_rows(named=True):
        text, link = st.columns([5, 1])
        badge = ":green-badge[sent]" if row["status"] == "sent" else ":orange-badge[pending]"
        note = " (a later restatement removed this spike)" if row["withdrawn_at"] else ""
        text.markdown(f"{badge} {common.md_escape(row['sentence'])}{note}")
        link.page_link(
            str(Path(__file__).with_name("explore.py")),
            label="Open in Explore",
            query_params=alerts.explore_params(row["explore_url"]),
        )

# ----- top movers ------------------------------------------------------------------------------
st.subheader("Top movers")
m1, m2 = st.columns([1, 2])
days = m1.selectbox(
    "Over the last", [7, 14, 30], format_func=lambda d: f"{d} days of data", key="ov_days"
)
method = m2.selectbox(
    "Change measured against", list(METHODS), key="ov_method", format_func=lambda m: METHODS[m]
)
fetch_start, start, end = views.overview_window(last, days, method)
# Stored rankings when they are there for this newest day; the on-the-fly scan otherwise.
stored = stored_state.is_filled and stored_state.last_date == last
# (the cache key: the data version and when the stored rankings were computed)
version = f"{common.data_version()}:{stored_state.computed_at}"
episode_days = EPISODE_DAYS if stored else views.episode_days(int(info["series"]), EPISODE_DAYS)
episode_since = last - timedelta(days=episode_days - 1)
read_from = min(fetch_start, episode_since - timedelta(days=views.SPIKE_WINDOW))
if stored:
    movers = _stored_movers(str(common.db_path()), version, days, method)
else:
    with st.spinner("Scoring every series…"):
        movers = common.movers(read_from, fetch_start, start, end, method)
label = baselines.parse_method(method).label
st.caption(
    f"Each series' most unusual day between {start:%d %b} and {end:%d %b %Y}, ranked by its "
    f"robust spike score (distance from the median of the previous {views.SPIKE_WINDOW} days, "
    f"in robust standard deviations). Change: {label}. Select a row to open it in Explore."
)
if movers.height:
    table = movers.select(
        "rank",
        "app",
        "metric",
        "country",
        "platform",
        "trend",
        pl.col("date").alias("day"),
        "value",
        (pl.col("change") * 100).alias("change_pct"),
        "multiple",
        "score",
    )
    picked = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="ov_movers",
        column_config={
            "rank": st.column_config.NumberColumn("#", width="small"),
            "trend": st.column_config.LineChartColumn("last 42 days", width="medium"),
            "day": st.column_config.DateColumn("most unusual day", format="ddd DD MMM"),
            "value": st.column_config.NumberColumn("value", format="localized"),
            "change_pct": st.column_config.NumberColumn(
                "change", format="%+.0f%%", help=f"Change on that day {label}."
            ),
            "multiple": st.column_config.NumberColumn("multiple", format="%.2fx"),
            "score": st.column_config.NumberColumn(
                "spike score",
                format="%+.1f",
                help="Robust z-score: (value - median of the previous 28 days) / (1.4826 x MAD).",
            ),
        },
    )
    _open_explorer(table.rename({"day": "date"}), picked, method)
else:
    st.info(
        "Not enough history in the last days to score any series (a score needs "
        f"{views.SPIKE_WINDOW} days before the day)."
    )

# ----- spike episodes --------------------------------------------------------------------------
st.subheader("Latest spike episodes")
min_score = st.slider(
    "Minimum |spike score|",
    3.5,
    15.0,
    6.0,
    0.5,
    key="ov_min_score",
    help="3.5 is the usual robust outlier cut-off; raise it to see only the big moves.",
)
if stored:
    episodes = _stored_episodes(str(common.db_path()), version, min_score, 20)
else:
    with st.spinner("Finding spike episodes…"):
        episodes = common.episodes(read_from, episode_since, limit=precompute.EPISODE_LIMIT)
    if episodes.height:
        episodes = episodes.filter(pl.col("peak_score").abs() >= min_score).head(20)
st.caption(
    f"Runs of consecutive days scoring |score| ≥ {min_score:g} in the last {episode_days} "
    "days of data, latest first. Select a row to open it in Explore."
    + (
        f" (The scan covers {episode_days} rather than {EPISODE_DAYS} days to stay fast with "
        f"{int(info['series']):,} series; Explore shows any period.)"
        if episode_days < EPISODE_DAYS
        else ""
    )
)
if episodes.height:
    table = episodes.select(
        "app",
        "metric",
        "country",
        "platform",
        "trend",
        "direction",
        "start_date",
        "end_date",
        "n_days",
        "peak_date",
        "peak_value",
        "peak_score",
    )
    picked = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="ov_episodes",
        column_config={
            "start_date": st.column_config.DateColumn("from", format="DD MMM YYYY"),
            "end_date": st.column_config.DateColumn("to", format="DD MMM YYYY"),
            "n_days": st.column_config.NumberColumn("days"),
            "peak_date": st.column_config.DateColumn("peak day", format="ddd DD MMM YYYY"),
            "peak_value": st.column_config.NumberColumn("peak value", format="localized"),
            "peak_score": st.column_config.NumberColumn("peak score", format="%+.1f"),
            "trend": st.column_config.LineChartColumn("28 days before to 7 after", width="medium"),
        },
    )
    _open_explorer(table, picked, "previous-day")
else:
    st.info("No spike episode at this threshold in the period.")
