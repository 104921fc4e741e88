"""Data: bring numbers in (upload, URL, typed by hand), see and undo imports, name apps, and
check which days each series covers.

Every way in goes through the same import contract (all-or-nothing, located errors,
idempotent, undoable). The history says who imported and who undid; the controls that write
show only to the roles that may use them (pipelines/auth.py), and the writes check again.
Uploaded names are shown, never used as paths (app_pages/upload.py).
"""

from __future__ import annotations

import importlib.util
import tempfile
from datetime import timedelta
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from app_pages import access, common, upload
from app_pages import connections as connections_tab
from charts.text import safe_text
from charts.theme import TEMPLATE_NAME
from pipelines import contract, manual, ops
from pipelines.adapters import ADAPTERS
from pipelines.adapters.base import IngestOptions
from pipelines.errors import InstallpulseError
from semantic import views

HAS_FETCH = importlib.util.find_spec("pipelines.fetch") is not None


def _show_failure(exc: Exception) -> None:
    """A refused import: a one-line summary, then every located problem as plain text."""
    text = upload.error_text(exc)
    st.error(common.md_escape(text.splitlines()[0]))
    if "\n" in text:
        st.code(text, language=None, wrap_lines=True)


def _outcome_text(ok: bool, outcome: object) -> tuple[bool, str]:
    """(ok, plain text) of one import, kept across the rerun that follows the imports."""
    if not ok:
        return False, upload.error_text(outcome)  # type: ignore[arg-type]
    text = outcome.summary()  # type: ignore[attr-defined]
    notices = list(outcome.notices)  # type: ignore[attr-defined]
    return True, text + (" Note: " + "; ".join(notices) if notices else "")


def _options() -> IngestOptions:
    return IngestOptions(
        app=st.session_state.get("d_app") or None,
        platform=st.session_state.get("d_platform") or None,
        country=st.session_state.get("d_country") or None,
        source=st.session_state.get("d_source") or None,
    )


# Coverage opens on this many apps (alphabetically): at thousands of apps a heatmap of every
# app, metric and country would be 40,000 rows tall and take the page 40 s to draw.
COVERAGE_DEFAULT_APPS = 10

st.title("Data")
try:
    info = common.totals()
except InstallpulseError as exc:
    common.show_error(exc)
    st.stop()
if common.is_demo():
    common.demo_notice()

tab_files, tab_history, tab_manual, tab_apps, tab_coverage, tab_connections = st.tabs(
    ["Import files", "Import history", "Type numbers in", "App names", "Coverage", "Connections"]
)

# ----- upload ----------------------------------------------------------------------------------
with tab_files:
    if not access.allowed("import"):
        access.refused_note("import")
    else:
        st.write(
            "Drop one or more exports here; each file's format is recognised from its content. "
            "Gzip files are fine. Nothing is written until you press Import."
        )
        with st.expander("Formats installpulse reads, and how to get each file"):
            for adapter in ADAPTERS:
                st.markdown(
                    f"**{common.md_escape(adapter.label)}** (`{adapter.name}`)  \n"
                    + common.md_escape(adapter.how_to_get)
                )
        for ok, text in st.session_state.pop("d_outcomes", []):
            if ok:
                st.success(common.md_escape(text))
            else:
                st.error(common.md_escape(text.splitlines()[0]))
                if "\n" in text:
                    st.code(text, language=None, wrap_lines=True)
        files = st.file_uploader(
            "Files to import",
            accept_multiple_files=True,
            type=["csv", "tsv", "txt", "gz", "json"],
            # A new key after each import empties the uploader (the files are in the history).
            key=f"d_files_{st.session_state.get('d_round', 0)}",
        )
        with st.expander("Say what a file does not say (optional)"):
            o1, o2, o3, o4 = st.columns(4)
            o1.text_input("App", key="d_app", help="For files without an app column.")
            o2.text_input("Platform", key="d_platform", placeholder="android / ios")
            o3.text_input("Country", key="d_country", placeholder="US, or WW for worldwide")
            o4.text_input("Source", key="d_source", placeholder="e.g. sensortower")
        options = _options()
        previews = []
        for file in files or []:
            data = file.getvalue()
            preview = upload.inspect(file.name, data, options)
            previews.append((file, preview))
            with st.container(border=True):
                st.text(f"{preview.name} · {preview.size:,} bytes")
                if preview.ok:
                    st.caption(
                        f"Detected: {common.md_escape(preview.format_label)} · encoding "
                        f"{preview.encoding}"
                        + (f" · {preview.compression}" if preview.compression else "")
                    )
                    for notice in preview.notices:
                        st.caption(common.md_escape(notice))
                    st.code("\n".join(preview.lines), language=None)
                else:
                    st.error("This file cannot be imported:")
                    st.code(preview.error or "", language=None, wrap_lines=True)
        ready = [(f, p) for f, p in previews if p.ok]
        if previews:
            label = f"Import {len(ready)} file{'s' if len(ready) != 1 else ''}"
            if st.button(label, type="primary", disabled=not ready, key="d_import"):
                outcomes: list[tuple[bool, object]] = []
                with st.status(f"Importing {len(ready)} file(s)…", expanded=True) as status:
                    for file, preview in ready:
                        st.write(f"{common.md_escape(preview.name)}…")
                        try:
                            result = upload.ingest(
                                file.name,
                                file.getvalue(),
                                common.db_path(),
                                options,
                                actor=access.actor(),
                            )
                        except InstallpulseError as exc:
                            outcomes.append((False, exc))
                        else:
                            outcomes.append((True, result))
                    failed = sum(1 for ok, _ in outcomes if not ok)
                    status.update(
                        label=f"Imported {len(ready) - failed} of {len(ready)} file(s)",
                        state="error" if failed else "complete",
                        expanded=False,
                    )
                # Rerun so the sidebar, history and pickers show the new data; the results are
                # shown above the emptied uploader.
                st.session_state["d_outcomes"] = [
                    _outcome_text(ok, outcome) for ok, outcome in outcomes
                ]
                st.session_state["d_round"] = st.session_state.get("d_round", 0) + 1
                st.rerun()

        if HAS_FETCH:
            st.subheader("Import from a URL")
            url = st.text_input("URL of a CSV export", key="d_url")
            if st.button("Download and import", key="d_fetch", disabled=not url):
                from pipelines import fetch  # written by another engineer; optional

                with (
                    st.status("Downloading…", expanded=True) as status,
                    tempfile.TemporaryDirectory(prefix="installpulse-url-") as tmp,
                ):
                    try:
                        path, name = fetch.download(url, Path(tmp))
                        result = contract.ingest_file(
                            path, common.db_path(), options, name=name, actor=access.actor()
                        )
                    except InstallpulseError as exc:
                        status.update(label="Not imported", state="error")
                        _show_failure(exc)
                    else:
                        status.update(label="Imported", state="complete")
                        st.success(common.md_escape(result.summary()))

# ----- history and undo ------------------------------------------------------------------------
with tab_history:
    history = common.imports()
    if not history.height:
        st.info("No imports yet.")
    else:
        st.dataframe(
            history.drop("archive_path", "sha256"),
            hide_index=True,
            column_config={
                "import_id": st.column_config.NumberColumn("#", format="%d"),
                "started_at": st.column_config.DatetimeColumn("when", format="YYYY-MM-DD HH:mm"),
                "rows_written": st.column_config.NumberColumn("rows", format="localized"),
                "rows_replaced": st.column_config.NumberColumn("replaced", format="localized"),
                "series_touched": st.column_config.NumberColumn("series"),
                "first_date": st.column_config.DateColumn("first day"),
                "last_date": st.column_config.DateColumn("last day"),
                "message": st.column_config.TextColumn("message", width="large"),
                "imported_by": st.column_config.TextColumn(
                    "by", help="Who imported (empty: before authorship was recorded)."
                ),
                "undone_by": st.column_config.TextColumn("undone by"),
                "undone_at": st.column_config.DatetimeColumn("undone", format="YYYY-MM-DD HH:mm"),
            },
            key="d_history",
        )
        done = history.filter(pl.col("status") == "ok")
        if done.height and not access.allowed("undo"):
            access.refused_note("undo")
        elif done.height:
            rows = {r["import_id"]: r for r in done.to_dicts()}
            u1, u2 = st.columns([3, 1])
            chosen = u1.selectbox(
                "Undo an import (its rows go; the rows it replaced come back)",
                list(rows),
                format_func=lambda i: (
                    f"#{i} · {rows[i]['file_name']} · {rows[i]['rows_written'] or 0:,} rows"
                ),
            )
            if u2.button("Undo", key="d_undo"):
                try:
                    st.success(
                        common.md_escape(ops.undo(chosen, common.db_path(), actor=access.actor()))
                    )
                except InstallpulseError as exc:
                    common.show_error(exc)

# ----- manual entry ----------------------------------------------------------------------------
with tab_manual:
    st.write(
        "Type numbers from a press release or a screenshot. They are imported like a file "
        "(validated, undoable); an empty source becomes `manual`, an empty country `WW`."
    )
    if not access.allowed("import"):
        access.refused_note("import")
    else:
        blank = pl.DataFrame(
            {
                c: pl.Series([], dtype=pl.Float64 if c == "value" else pl.String)
                for c in manual.COLUMNS
            }
        )
        edited = st.data_editor(
            blank,
            num_rows="dynamic",
            key="d_manual",
            column_config={
                "date": st.column_config.TextColumn("date", help="YYYY-MM-DD"),
                "value": st.column_config.NumberColumn("value", format="%d"),
                "metric": st.column_config.TextColumn("metric", help="e.g. downloads, uninstalls"),
            },
        )
        if st.button("Import these rows", key="d_manual_go"):
            frame = edited if isinstance(edited, pl.DataFrame) else pl.from_pandas(edited)
            try:
                result = manual.ingest_rows(frame, common.db_path(), actor=access.actor())
            except InstallpulseError as exc:
                _show_failure(exc)
                st.caption("In the message, line N is table row N-1 (line 1 is the header).")
            else:
                st.success(common.md_escape(result.summary()))

# ----- aliases ---------------------------------------------------------------------------------
with tab_apps:
    st.write(
        "One app often has several store identifiers (Android package, App Store id). Map each "
        "identifier to one display name and every chart shows them as one app."
    )
    apps = common.apps_table()
    if apps.height:
        st.dataframe(
            apps.select("name", "identifiers", "series", "platforms", "metrics"),
            hide_index=True,
        )
    if not access.allowed("name_apps"):
        access.refused_note("name_apps")
    else:
        with st.form("d_alias_form", clear_on_submit=True):
            a1, a2 = st.columns(2)
            identifier = a1.text_input("Store identifier", placeholder="com.openai.chatgpt")
            name = a2.text_input("App name", placeholder="ChatGPT")
            if st.form_submit_button("Map identifier to name"):
                try:
                    st.success(
                        common.md_escape(
                            ops.alias(identifier, name, common.db_path(), actor=access.actor())
                        )
                    )
                except InstallpulseError as exc:
                    common.show_error(exc)

# ----- coverage --------------------------------------------------------------------------------
with tab_coverage:
    if not info["observations"]:
        st.info("No data yet.")
    else:
        last = info["last_date"]
        c1, c2 = st.columns(2)
        cov_start = c1.date_input(
            "From",
            max(info["first_date"], last - timedelta(days=364)),
            min_value=info["first_date"],
            max_value=last,
            key="d_cov_s",
        )
        cov_end = c2.date_input(
            "To", last, min_value=info["first_date"], max_value=last, key="d_cov_e"
        )
        all_apps = sorted(common.options()["apps"], key=str.lower)
        cov_apps = st.multiselect(
            "Apps",
            all_apps,
            default=all_apps[:COVERAGE_DEFAULT_APPS],
            key="d_cov_apps",
            help="One heatmap row per app, metric and country; choose the apps to check.",
        )
        if len(all_apps) > len(cov_apps):
            st.caption(f"Showing {len(cov_apps):,} of {len(all_apps):,} apps.")
        if not cov_apps:
            cover = pl.DataFrame()
            st.info("Choose one or more apps.")
        elif cov_start > cov_end:
            cover = pl.DataFrame()
            st.info("The start is after the end.")
        else:
            cover = common.coverage(cov_start, cov_end, cov_apps)
            if not cover.height:
                st.info("No data in these dates.")
        if cover.height:
            # Per app / country / metric, the share of each month's days that have a value.
            cells = views.coverage_grid(cover, cov_start, cov_end)
            rows_order, months = cells["rows"], cells["months"]
            hover = [
                [
                    None if d is None else f"{d} of {n} days"
                    for d, n in zip(line, cells["possible"], strict=True)
                ]
                for line in cells["days"]
            ]
            heat = go.Figure(
                go.Heatmap(
                    z=cells["share"],
                    zmin=0,
                    zmax=1,
                    customdata=hover,
                    x=[m.isoformat() for m in months],
                    y=[safe_text(r, 60) for r in rows_order],
                    # complete months dark; any gap, even 1 day of 31, visibly lighter
                    colorscale=[[0.0, "#f7fbff"], [0.999, "#6baed6"], [1.0, "#08306b"]],
                    colorbar=dict(title=dict(text="share of days"), tickformat=".0%"),
                    hovertemplate="%{y}<br>%{x|%b %Y}: %{customdata} with data<extra></extra>",
                ),
                layout=dict(template=TEMPLATE_NAME),
            )
            heat.update_layout(
                title=dict(text="Share of each month's days with data"),
                height=max(300, 22 * len(rows_order) + 140),
                yaxis=dict(autorange="reversed", automargin=True),
                xaxis=dict(type="date", dtick="M1", tickformat="%b\n%Y"),
            )
            st.plotly_chart(heat, theme=None, key="d_coverage_chart")
            st.caption(
                f"{len(rows_order):,} app · metric · country combinations, "
                f"{cov_start} to {cov_end}. A pale cell is a month with gaps."
            )

# ----- connections (App Store Connect, Google Play, Sensor Tower, Appfigures) ------------------
with tab_connections:
    connections_tab.render()
