"""Check a figure: a claimed change ("+295%", "nearly four times") against every baseline.

Thin over :func:`semantic.claims.check` (the same call as ``installpulse check``): the page
reads the claim, the app, metric, slice and day into a :class:`semantic.claims.CheckState`
(which is also the query string), and lays out the paragraph to paste, the chart of the day
against each baseline, the table and the downloads.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from analytics import formatting
from app_pages import common
from charts import publish
from charts.check import check_figure
from pipelines.errors import InstallpulseError
from semantic import claims, views
from semantic.claims import CheckState

W = "ck_"  # widget key prefix
WRITTEN = "_check_written"  # the query string this page last wrote


@st.cache_data(max_entries=32, show_spinner=False)
def _check(
    db: str,
    version: str,
    app: str,
    metric: str,
    day: date,
    claim: str,
    words: str,
    countries: tuple[str, ...],
    platforms: tuple[str, ...],
) -> claims.Check:
    return claims.check(
        db, app, metric, day, claim, words=words or None, countries=countries, platforms=platforms
    )


def _restore(options: dict) -> None:
    """A shared URL (or the first visit) sets the widgets; our own query string does not."""
    incoming = common.query_dict()
    if W + "app" in st.session_state and (
        not incoming or incoming == st.session_state.get(WRITTEN)
    ):
        return
    state = CheckState.from_params(incoming).sanitize(options, demo=common.is_demo())
    st.session_state[W + "app"] = state.app
    st.session_state[W + "metric"] = state.metric
    st.session_state[W + "countries"] = state.countries
    st.session_state[W + "platforms"] = state.platforms
    st.session_state[W + "day"] = state.day
    st.session_state[W + "claim"] = state.claim
    st.session_state[W + "words"] = state.words


st.title("Check a figure")
st.caption(
    "Type a figure from an article (+295%, -12%, 3.95x, nearly four times as many): which "
    "baselines and slices reproduce it at its precision, what the others give, and whether "
    "its words fit the number."
)
try:
    options = common.options()
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()
if not options["apps"]:
    st.info("The database holds no series yet: import files on the Data page.")
    st.stop()
_restore(options)

with st.container(border=True):
    c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 2, 2])
    c1.selectbox("App", options["apps"], key=W + "app")
    c2.selectbox("Metric", options["metrics"], key=W + "metric")
    c3.multiselect(
        "Countries",
        options["countries"],
        key=W + "countries",
        placeholder="All countries (summed)",
    )
    c4.multiselect(
        "Platforms", options["platforms"], key=W + "platforms", placeholder="All platforms (summed)"
    )
    c5.date_input(
        "Day", key=W + "day", min_value=options["first_date"], max_value=options["last_date"]
    )
    k1, k2 = st.columns([2, 3])
    k1.text_input(
        "The claimed figure",
        key=W + "claim",
        max_chars=200,
        placeholder="+295%, -12%, 3.95x, nearly four times as many",
        help="A percentage is a change against a baseline (+295% = 3.95 times the baseline); "
        "it is reproduced when a computed change rounds to it at the precision it is written "
        "with (+295%: whole percent).",
    )
    k2.text_input(
        "The words the article used (optional)",
        key=W + "words",
        max_chars=200,
        placeholder="nearly three times more",
    )

state = CheckState(
    app=st.session_state.get(W + "app") or "",
    metric=st.session_state.get(W + "metric") or "",
    countries=list(st.session_state.get(W + "countries") or []),
    platforms=list(st.session_state.get(W + "platforms") or []),
    day=st.session_state.get(W + "day"),
    claim=st.session_state.get(W + "claim") or "",
    words=st.session_state.get(W + "words") or "",
)
params = state.to_params()
if params != common.query_dict():
    st.query_params.from_dict(params)
st.session_state[WRITTEN] = {k: v if isinstance(v, list) else [v] for k, v in params.items()}

if not state.claim.strip() or state.day is None:
    st.info("Type the claimed figure, e.g. +295% or nearly four times as many.")
    st.stop()
try:
    with st.spinner("Computing every baseline…"):
        found = _check(
            str(common.db_path()),
            common.data_version(),
            state.app,
            state.metric,
            state.day,
            state.claim,
            state.words,
            tuple(state.countries),
            tuple(state.platforms),
        )
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()
if views.DEMO_SOURCE in found.sources:
    common.demo_notice()

claim = found.claim
hits = found.claimed.filter(pl.col("reproduces")).height
if hits:
    st.success(
        f"Reproduced by {hits} of the {len(claims.METHODS)} baselines in the slice as claimed."
    )
elif found.reproduced.height:
    st.warning("Not reproduced in the slice as claimed; another slice reproduces it (below).")
else:
    st.warning("Not reproduced by any baseline or slice.")

st.subheader("To paste")
st.code(found.paragraph, language=None, wrap_lines=True)

mine = found.claimed
first = mine.row(0, named=True)
scope = formatting.fmt_scope(first["country"], first["platform"])
title = f"{found.app} ({scope}) {formatting.fmt_metric(found.metric)}: is it {claim.canonical}?"
fig = check_figure(
    mine,
    claim.canonical,
    found.day,
    title=title,
    subtitle=f"{formatting.fmt_date(found.day)} against each baseline; coloured bars reproduce "
    f"{claim.canonical} at its precision",
)
fig.update_layout(height=460)
stem = publish.safe_filename("check", found.app, found.metric, found.day)
st.plotly_chart(fig, theme=None, config=publish.modebar_config(stem), key="ck_chart")

st.subheader("Every baseline and slice")
shown = found.table.with_columns(
    slice=pl.Series([formatting.fmt_platforms(s) for s in found.table["slice"]], dtype=pl.String),
    claimed=pl.Series(
        [
            claim.at_precision(c, m) if c is not None else None
            for c, m in zip(found.table["change"], found.table["multiple"], strict=True)
        ],
        dtype=pl.String,
    ),
).select(
    "slice",
    "country",
    "platform",
    "method_label",
    "value",
    "baseline",
    "change",
    "multiple",
    "claimed",
    "reproduces",
    "reason",
)
st.dataframe(
    formatting.display_frame(shown),
    hide_index=True,
    column_config={
        "method_label": st.column_config.TextColumn("baseline"),
        "claimed": st.column_config.TextColumn("at the claim's precision"),
        "reproduces": st.column_config.CheckboxColumn("reproduces"),
    },
)
for note in found.notes:
    st.caption("Not checked: " + common.md_escape(note))

common.chart_downloads(
    "Download CSV (every baseline and slice)",
    found.table,
    publish.publication_layout(
        fig, source_line=views.source_line(found.sources), export_date=date.today()
    ),
    stem,
    "ck",
)
