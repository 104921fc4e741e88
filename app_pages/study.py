"""Event study: several apps lined up on the day of an event, each against its own
pre-event reference (the mean of days -14..-1), with the peak and the return to normal.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from analytics import formatting
from analytics import impact as analytics_impact
from app_pages import common
from charts import publish
from charts.impact import impact_figure
from charts.study import study_figure
from pipelines.errors import InstallpulseError
from semantic import answer, views
from semantic.impact import ImpactRequest
from semantic.request import SeriesRequest

st.title("Event study")
st.caption(
    "Did the series move after the event? Each app is compared with the mean of its "
    "own 14 days before the event; day 0 is the event. Below: what the event did in all, "
    "the excess over what the days before (and control apps) predicted, with its interval."
)
try:
    options = common.options()
    all_events = common.all_events()
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()
if not options["apps"]:
    st.info("The database holds no series yet: import files on the Data page.")
    st.stop()

rows = {r["event_id"]: r for r in all_events.to_dicts()} if all_events.height else {}
s1, s2 = st.columns([3, 2])
params = common.query_dict()
initial = None
if "event" in params:
    try:
        initial = int(params["event"][-1])
    except ValueError:
        initial = None
if initial not in rows:
    # The demo's key moment, else the latest event.
    initial = next(
        (i for i, r in rows.items() if r["start_date"] == date(2026, 2, 27)),
        max(rows) if rows else None,
    )
ids = list(rows)
event_id = s1.selectbox(
    "Event",
    ids,
    index=ids.index(initial) if initial in ids else None,
    format_func=lambda i: f"{rows[i]['start_date']} · {rows[i]['title']}",
    placeholder="Pick an event, or a date on the right",
    key="st_event",
)
event = rows.get(event_id) if event_id is not None else None
own_day = s2.date_input(
    "…or any date",
    value=None,
    min_value=options["first_date"],
    max_value=options["last_date"],
    key="st_day",
)
if own_day is not None:
    day, label = own_day, None
elif event is not None:
    day, label = event["start_date"], event["title"]
else:
    st.info("Pick an event or a date.")
    st.stop()

# The event's apps, completed to two so the study compares (e.g. ChatGPT next to Claude).
default_apps = [a for a in (event or {}).get("apps") or [] if a in options["apps"]]
for name in options["apps"]:
    if len(default_apps) >= 2:
        break
    if name not in default_apps:
        default_apps.append(name)
c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 2, 2])
apps = c1.multiselect(
    "Apps", options["apps"], default=default_apps or options["apps"][:2], key=f"st_apps_{event_id}"
)
metric_default = next(
    (m for m in ("uninstalls", "downloads") if m in options["metrics"]), options["metrics"][0]
)
metric = c2.selectbox(
    "Metric", options["metrics"], index=options["metrics"].index(metric_default), key="st_metric"
)
countries = c3.multiselect(
    "Countries",
    options["countries"],
    default=["US"] if "US" in options["countries"] else [],
    placeholder="All (summed)",
    key="st_countries",
)
pre = c4.number_input("Days before", 3, 60, 14, key="st_pre")
post = c5.number_input("Days after", 3, 90, 14, key="st_post")
if not apps:
    st.info("Choose at least one app.")
    st.stop()

try:
    request = SeriesRequest.build(apps, [metric], day, day, countries=countries)
    aligned, summary = common.study(request, day, int(pre), int(post))
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()
if not aligned.height:
    st.info("No data for these apps around this date.")
    st.stop()
sources = sorted({p for s in aligned.get_column("source").unique().to_list() for p in s.split("+")})
if views.DEMO_SOURCE in sources:
    common.demo_notice()

# ----- impact: the excess over what the days before predicted (analytics.impact) ----------
st.markdown("**What the event did** · the excess over what the days before predicted")
i1, i2, i3, i4 = st.columns([2, 3, 2, 2])
# The app the event moved most (largest peak change) comes first: the one to study.
moved = {
    r["app"]: abs(r["peak_change"] or 0.0) for r in summary.select("app", "peak_change").to_dicts()
}
studied = sorted(apps, key=lambda a: -moved.get(a, 0.0))
imp_app = i1.selectbox("App studied", studied, index=0, key="st_imp_app")
control_options = [a for a in options["apps"] if a != imp_app]
controls = i2.multiselect(
    "Controls (apps the event did not touch)",
    control_options,
    default=[],
    placeholder="None: the app's own days before",
    key=f"st_imp_controls_{imp_app}",
)
method_labels = {"did": "Difference-in-differences", "synthetic": "Synthetic control"}
method = i3.radio(
    "Adjust by the controls",
    list(method_labels),
    format_func=method_labels.get,
    key="st_imp_method",
    disabled=not controls,
    horizontal=False,
)
imp_pre = i4.number_input(
    "Days before (model)", analytics_impact.MIN_PRE_DAYS, 120, analytics_impact.PRE_DAYS,
    key="st_imp_pre",
)  # fmt: skip
impact_answer = None
impact_error = None
try:
    impact_request = ImpactRequest.build(
        imp_app,
        metric,
        day,
        controls=controls,
        countries=countries,
        pre=int(imp_pre),
        post=int(post),
        method=method if controls else "none",
    )
    impact_answer = common.impact(impact_request)
except InstallpulseError as exc:
    impact_error = exc

reference_label = aligned.get_column("reference_label")[0]
scope = ", ".join(countries) if countries else "all countries"
fig = study_figure(
    aligned,
    event_title=label,
    event_date=day,
    reference_label=reference_label,
    subtitle=f"Daily {metric} · {scope} · change {reference_label}",
    counterfactual=(
        impact_answer.days.filter(pl.col("period") == "post") if impact_answer is not None else None
    ),
    counterfactual_label=f"expected, {formatting.fmt_share(analytics_impact.LEVEL)} band",
)
fig.update_layout(height=500, margin=dict(t=118))
stem = publish.safe_filename("event-study", *apps, metric, day)
st.plotly_chart(fig, theme=None, config=publish.modebar_config(stem), key="st_chart")

st.subheader("In words")
for row in summary.to_dicts():
    st.markdown("- " + common.md_escape(answer.study_sentence(row, event_label=label)))

st.subheader("Per app")
st.dataframe(
    formatting.display_frame(
        summary.select(
            "app",
            "country",
            "platform",
            "source",
            "reference",
            "typical_change",
            "peak_change",
            "peak_multiple",
            "peak_offset",
            "peak_date",
            "back_offset",
            "days_after_peak",
            "reason",
        )
    ),
    hide_index=True,
    column_config={
        "reference": st.column_config.TextColumn("reference (mean of days -14..-1)"),
        "typical_change": st.column_config.TextColumn("typical range ±"),
        "peak_change": st.column_config.TextColumn("peak change"),
        "peak_multiple": st.column_config.TextColumn("peak multiple"),
        "peak_offset": st.column_config.TextColumn("peak day"),
        "peak_date": st.column_config.DateColumn("peak date", format="ddd YYYY-MM-DD"),
        "back_offset": st.column_config.TextColumn("back to normal on day"),
        "days_after_peak": st.column_config.TextColumn("days after peak"),
    },
)

common.chart_downloads(
    "Download CSV (numbers behind the chart)",
    aligned,
    publish.publication_layout(
        fig, source_line=views.source_line(sources), export_date=date.today()
    ),
    stem,
    "st",
)

# ----- what the event did (impact) ---------------------------------------------------------
st.subheader("What the event did")
if impact_error is not None or impact_answer is None:
    common.show_error(impact_error or ValueError("no impact"))
    st.stop()
st.markdown(common.md_escape(impact_answer.sentence))
imp = impact_answer.result
how = (
    "treated series alone"
    if imp.method == "none"
    else f"{method_labels[imp.method].lower()} with "
    + ", ".join(imp_c.name for imp_c in imp.controls)
)
imp_fig = impact_figure(
    impact_answer.days,
    app=imp_app,
    label=imp.label,
    event_date=day,
    subtitle=f"Expected from the {imp.pre_days} days before ({how}) · "
    f"{formatting.fmt_share(imp.level)} interval",
)
imp_fig.update_layout(height=560, margin=dict(t=118))
imp_stem = publish.safe_filename("impact", imp_app, metric, day)
st.plotly_chart(imp_fig, theme=None, config=publish.modebar_config(imp_stem), key="st_imp_chart")
st.caption(impact_answer.method_text)
if impact_answer.controls.height:
    shown = impact_answer.controls.with_columns(pl.col("actual", "expected").round(0))
    if imp.method != "synthetic":
        shown = shown.drop("weight")
    st.dataframe(
        formatting.display_frame(shown),
        hide_index=True,
        column_config={
            "change": st.column_config.TextColumn("change vs own expected"),
            "low_change": st.column_config.TextColumn("95% from"),
            "high_change": st.column_config.TextColumn("95% to"),
        },
    )
common.chart_downloads(
    "Download CSV (impact, day by day)",
    impact_answer.days,
    publish.publication_layout(
        imp_fig,
        source_line=views.source_line(list(impact_answer.sources)),
        export_date=date.today(),
    ),
    imp_stem,
    "st_imp",
    say_why=False,  # said once under the study chart above
)
