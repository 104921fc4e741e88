"""Database: what the store holds - apps, metrics, date coverage, freshness, import history."""

import streamlit as st

from app_pages import common
from pipelines import ops
from pipelines.errors import InstallpulseError

st.title("What the database holds")
try:
    info = common.totals()
    holdings = common.holdings()
    history = ops.imports(common.db_path(), limit=200)
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()

if common.is_demo():
    common.demo_notice()

cols = st.columns(4)
cols[0].metric("Apps", f"{info['apps']:,}")
cols[1].metric("Series", f"{info['series']:,}")
cols[2].metric("Daily values", f"{info['observations']:,}")
cols[3].metric("Events", f"{info['events']:,}")
if info["observations"]:
    st.caption(
        f"Data from {info['first_date']} to {info['last_date']}; "
        f"last import {info['last_import_at']:%Y-%m-%d %H:%M}."
    )
else:
    st.write("No data yet. Load the demo with `installpulse demo` or import files.")

st.subheader("Apps and metrics")
st.dataframe(
    holdings,
    hide_index=True,
    column_config={
        "first_date": st.column_config.DateColumn("first day"),
        "last_date": st.column_config.DateColumn("last day"),
        # Counts with thousands separators, as the Data page's history shows them ("%d"
        # printed 58191 beside the sidebar's 58,191); whole numbers, so nothing is rounded.
        "rows": st.column_config.NumberColumn("rows", format="localized"),
        "values_present": st.column_config.NumberColumn("values present", format="localized"),
    },
)

st.subheader("Import history")
st.dataframe(
    history.drop("archive_path"),
    hide_index=True,
    column_config={
        name: st.column_config.NumberColumn(name, format="localized")
        for name in ("rows_written", "rows_replaced", "series_touched")
    },
)
