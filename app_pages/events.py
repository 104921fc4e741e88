"""Events: the annotations charts are read against - list, search, add, edit, delete,
import and export.

Titles and descriptions are user text: they appear only in st.dataframe cells, widget
values and escaped markdown, never as HTML. Each event shows who wrote it and who last edited
it; only an editor or admin sees the controls that write, and the write functions refuse
anyone else (pipelines/auth.py).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from app_pages import access, common, upload
from pipelines import events
from pipelines.errors import InstallpulseError


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]


def _form(prefix: str, row: dict | None, app_names: list[str], default_day: date) -> dict | None:
    """Fields of one event; returns the values when the form is submitted."""
    row = row or {}
    title = st.text_input(
        "Title", row.get("title", ""), max_chars=events.MAX_TITLE, key=prefix + "title"
    )
    c1, c2, c3 = st.columns([2, 2, 1])
    start = c1.date_input("Start", row.get("start_date") or default_day, key=prefix + "start")
    end = c2.date_input(
        "End (same as start for a one-day event)",
        row.get("end_date") or row.get("start_date") or default_day,
        key=prefix + "end",
    )
    approx = c3.checkbox("Approximate date", bool(row.get("is_approximate")), key=prefix + "approx")
    scope = st.multiselect(
        "Apps (empty = all apps)",
        app_names,
        default=[a for a in row.get("apps") or [] if a in app_names],
        key=prefix + "apps",
    )
    tags = st.text_input(
        "Tags (comma-separated)", ", ".join(row.get("tags") or []), key=prefix + "tags"
    )
    description = st.text_area(
        "Description",
        row.get("description") or "",
        max_chars=events.MAX_DESCRIPTION,
        key=prefix + "description",
    )
    return dict(
        title=title,
        start=start,
        end=end,
        approx=approx,
        apps=scope,
        tags=tags,
        description=description,
    )


def _event(values: dict) -> events.Event:
    return events.Event(
        values["start"],
        values["title"],
        values["end"],
        values["description"],
        _tags(values["tags"]),
        values["apps"],
        values["approx"],
    )


st.title("Events")
st.caption(
    "Announcements, launches, outages, press coverage: whatever a chart should be read "
    "against. Events show on the Explore and Event study charts of the apps they name "
    "(or of every app when they name none)."
)
try:
    frame = common.all_events()
    options = common.options()
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()
app_names = options["apps"]
default_day = options["last_date"] or date.today()
may_annotate = access.allowed("annotate")

# ----- list and filters ------------------------------------------------------------------------
f1, f2, f3 = st.columns([3, 2, 2])
search = f1.text_input("Search titles and descriptions", key="ev_search")
all_tags = (
    sorted({t for tags in frame.get_column("tags").to_list() for t in tags or []})
    if frame.height
    else []
)
tag = f2.selectbox("Tag", all_tags, index=None, placeholder="Any tag", key="ev_tag")
app = f3.selectbox("App", app_names, index=None, placeholder="Any app", key="ev_app")
shown = frame
if search:
    needle = search.lower()
    shown = shown.filter(
        pl.col("title").str.to_lowercase().str.contains(needle, literal=True)
        | pl.col("description").fill_null("").str.to_lowercase().str.contains(needle, literal=True)
    )
if tag:
    shown = shown.filter(pl.col("tags").list.contains(tag))
if app:
    shown = shown.filter((pl.col("apps").list.len() == 0) | pl.col("apps").list.contains(app))

st.caption(
    f"{shown.height} of {frame.height} events."
    + (" Select a row to edit or delete it." if may_annotate else "")
)
picked = st.dataframe(
    shown.select(
        "event_id",
        "start_date",
        "end_date",
        "title",
        "created_by",
        "apps",
        "tags",
        "is_approximate",
        "updated_by",
        "updated_at",
        "description",
    )
    if shown.height
    else shown,
    hide_index=True,
    on_select="rerun" if may_annotate else "ignore",
    selection_mode="single-row",
    key="ev_table",
    column_config={
        "event_id": st.column_config.NumberColumn("#", format="%d", width="small"),
        "start_date": st.column_config.DateColumn("start", format="ddd YYYY-MM-DD"),
        "end_date": st.column_config.DateColumn("end", format="ddd YYYY-MM-DD"),
        "title": st.column_config.TextColumn("title", width="large"),
        "is_approximate": st.column_config.CheckboxColumn("approx."),
        "description": st.column_config.TextColumn("description", width="large"),
        "created_by": st.column_config.TextColumn(
            "author",
            width="medium",
            help="Who added it (empty: added before authorship was recorded).",
        ),
        "updated_by": st.column_config.TextColumn("last edited by"),
        "updated_at": st.column_config.DatetimeColumn("last edited", format="YYYY-MM-DD HH:mm"),
    },
)
rows = picked.selection.rows if picked and may_annotate else []
if rows and shown.height:
    chosen = shown.row(rows[0], named=True)
    with st.container(border=True):
        st.subheader(f"Edit event #{chosen['event_id']}")
        with st.form(f"ev_edit_{chosen['event_id']}"):
            values = _form(f"ev_e{chosen['event_id']}_", chosen, app_names, default_day)
            s1, s2 = st.columns([1, 5])
            save = s1.form_submit_button("Save", type="primary")
            delete = s2.form_submit_button("Delete this event")
        if save:
            try:
                events.update(
                    chosen["event_id"], _event(values), common.db_path(), actor=access.actor()
                )
            except InstallpulseError as exc:
                common.show_error(exc)
            else:
                st.toast(f"Event #{chosen['event_id']} saved.")
                st.rerun()
        if delete:
            try:
                events.delete(chosen["event_id"], common.db_path(), actor=access.actor())
            except InstallpulseError as exc:
                common.show_error(exc)
            else:
                st.toast(f"Event #{chosen['event_id']} deleted.")
                st.rerun()

# ----- add ---------------------------------------------------------------------------------
st.subheader("Add an event")
if not access.allowed("annotate"):
    access.refused_note("annotate")
else:
    with st.form("ev_add", clear_on_submit=True):
        values = _form("ev_new_", None, app_names, default_day)
        if st.form_submit_button("Add event", type="primary"):
            try:
                new_id = events.add(_event(values), common.db_path(), actor=access.actor())
            except InstallpulseError as exc:
                common.show_error(exc)
            else:
                st.success(f"Added event #{new_id}: {common.md_escape(values['title'])}")

# ----- import / export -----------------------------------------------------------------------
st.subheader("Import and export")
i1, i2 = st.columns(2)
with i1:
    if not access.allowed("import"):
        access.refused_note("import")
    else:
        st.caption(
            "CSV columns: " + ", ".join(events.CSV_COLUMNS) + " (tags and apps separated "
            "by ';'). A tag `approximate` marks an approximate date. All-or-nothing, "
            "undoable on the Data page."
        )
        file = st.file_uploader(
            "Import events (our CSV, or an Appfigures events JSON export)",
            type=["csv", "json"],
            key="ev_upload",
        )
        if file is not None and st.button("Import events", key="ev_import"):
            try:
                status, import_id, count = upload.ingest_events(
                    file.name, file.getvalue(), common.db_path(), actor=access.actor()
                )
            except InstallpulseError as exc:
                text = upload.error_text(exc)
                st.error(common.md_escape(text.splitlines()[0]))
                st.code(text, language=None, wrap_lines=True)
            else:
                if status == "already imported":
                    st.info(f"Already imported (import #{import_id}); nothing changed.")
                else:
                    st.success(f"Imported {count} events (import #{import_id}).")
with i2:
    st.caption(
        "Every event, in the same CSV format (cells that a spreadsheet would run as a "
        "formula are prefixed with ')."
    )
    st.download_button(
        "Export events (CSV)",
        lambda: events.export_csv(common.db_path()),
        file_name="installpulse-events.csv",
        mime="text/csv",
        on_click="ignore",
        key="ev_export",
    )
