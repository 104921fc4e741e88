"""Event study: several apps lined up on the day of an event, each against its own
pre-event reference (the mean of days -14..-1), with the peak and the return to normal.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import formatting
from app_pages import common
from charts import export, publish
from charts.study import study_figure
from pipelines import csvout
from pipelines.errors import InstallpulseError
from semantic import answer, views
from semantic.request import SeriesRequest

st.title("Event study")
st.caption(
    "Did the series move after the event? Each app is compared with the mean of its "
    "own 14 days before the event; day 0 is the event."
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

reference_label = aligned.get_column("reference_label")[0]
scope = ", ".join(countries) if countries else "all countries"
fig = study_figure(
    aligned,
    event_title=label,
    event_date=day,
    reference_label=reference_label,
    subtitle=f"Daily {metric} · {scope} · change {reference_label}",
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

d1, d2, d3 = st.columns(3)
d1.download_button(
    "Download CSV (numbers behind the chart)",
    csvout.to_csv_bytes(aligned),
    file_name=stem + ".csv",
    mime="text/csv",
    on_click="ignore",
    key="st_csv",
)
ok, why = export.browser_available()
if ok:
    pub = publish.publication_layout(
        fig, source_line=views.source_line(sources), export_date=date.today()
    )
    d2.download_button(
        "Download PNG",
        lambda: export.export_image(pub, fmt="png"),
        file_name=stem + ".png",
        mime="image/png",
        on_click="ignore",
        key="st_png",
    )
    d3.download_button(
        "Download SVG",
        lambda: export.export_image(pub, fmt="svg"),
        file_name=stem + ".svg",
        mime="image/svg+xml",
        on_click="ignore",
        key="st_svg",
    )
else:
    st.info(why)
