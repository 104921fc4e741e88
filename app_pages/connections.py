"""The Data page's Connections tab: add a connection (kind, name, apps, where its secret is),
test it, sync it now with a line per file, see its last sync in words, remove it.

Thin over pipelines.connectors (storage, registry) and pipelines.sync (the same sync as
`installpulse sync`). The form asks where the secret is - a key file path on this machine or an
environment variable's name - never for the secret itself, and nothing typed here is shown
back except through md_escape / st.text. Testing and syncing need an editor; adding and removing
connections an admin (pipelines/auth.py; the write functions check again).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import access, common
from pipelines import sync
from pipelines.connectors import base, connections
from pipelines.errors import InstallpulseError

_SOURCES = {"file": "Key file path (on this machine)", "env": "Environment variable name"}


def _last_sync(connection: connections.Connection) -> str:
    if connection.last_sync is None:
        return "Never synced."
    when = f"{connection.last_sync:%Y-%m-%d %H:%M}"
    result = {"ok": "succeeded", "failed": "failed", "running": "is running (or was killed)",
              "interrupted": "was interrupted"}.get(connection.last_result or "", "?")  # fmt: skip
    return f"Last sync {when} {result}."


def _show_connection(connection: connections.Connection, kinds: dict[str, base.Kind]) -> None:
    spec = kinds.get(connection.kind)
    with st.container(border=True):
        st.markdown(
            f"**{common.md_escape(connection.name)}** · "
            f"{common.md_escape(spec.label if spec else connection.kind)}"
        )
        st.caption(
            f"Apps: {common.md_escape(', '.join(connection.apps))} · secret read from the "
            f"{common.md_escape(connection.secret.describe())}"
        )
        for warning in connection.secret.warnings():
            st.warning(common.md_escape(warning))
        status = _last_sync(connection)
        if connection.last_result == "failed":
            st.error(common.md_escape(status))
        else:
            st.text(status)
        if connection.last_message:
            st.text(base.redact(connection.last_message))
        b1, b2, b3 = st.columns(3)
        key = f"c_{connection.connection_id}"
        may_sync = access.allowed("sync")
        if not may_sync:
            access.refused_note("sync")
        if may_sync and b1.button("Test", key=f"{key}_test"):
            try:
                st.success(common.md_escape(base.redact(connection.connector().test())))
            except InstallpulseError as exc:
                st.error(common.md_escape(base.redact(str(exc))))
        if may_sync and b2.button("Sync now", key=f"{key}_sync", type="primary"):
            with st.status(f"Syncing {connection.name}…", expanded=True) as progress:
                outcome = sync.sync_connection(
                    connection,
                    common.db_path(),
                    say=lambda line: progress.text(line),
                    actor=access.actor(),
                )
                progress.update(
                    label=f"{connection.name}: {'synced' if outcome.result == 'ok' else 'failed'}",
                    state="complete" if outcome.result == "ok" else "error",
                )
            if outcome.result == "ok":
                st.success(common.md_escape(outcome.message))
            else:
                st.error(common.md_escape(outcome.message.splitlines()[0]))
                st.code(outcome.message, language=None, wrap_lines=True)
        confirm = access.allowed("connections") and b3.checkbox(
            "Remove", key=f"{key}_rm_ok", help="Tick, then confirm below."
        )
        if confirm and st.button(
            f"Remove '{connection.name}' (its imported data stays)", key=f"{key}_rm"
        ):
            st.success(
                common.md_escape(
                    connections.remove(connection.name, common.db_path(), actor=access.actor())
                )
            )
            st.rerun()
        with st.expander("Recent syncs"):
            runs = connections.runs(connection, common.db_path())
            if runs:
                st.dataframe(runs, hide_index=True, key=f"{key}_runs")
            else:
                st.text("None yet.")


def _add_form(kinds: dict[str, base.Kind]) -> None:
    st.subheader("Add a connection")
    kind = st.selectbox("Kind", list(kinds), format_func=lambda k: kinds[k].label, key="c_new_kind")
    spec = kinds[kind]
    with st.form("c_add", clear_on_submit=False):
        name = st.text_input("Name", key="c_new_name", placeholder="e.g. appstore")
        apps = st.text_input("Apps (comma-separated)", key="c_new_apps", help=spec.apps_help)
        sources = [s for s in ("file", "env") if s in spec.secret_sources]
        source = st.radio(
            f"Where is {spec.secret}?",
            sources,
            format_func=lambda s: _SOURCES[s],
            key="c_new_source",
            horizontal=True,
        )
        where = st.text_input(
            "Path or variable name (never the secret itself)",
            key="c_new_where",
            help="installpulse stores only this reference and reads the secret when it syncs.",
        )
        values: dict[str, Any] = {}
        for option in spec.options:
            label = option.help + (" (required)" if option.required else "")
            if option.choices and option.kind != "list":
                values[option.key] = st.selectbox(
                    label,
                    option.choices,
                    index=option.choices.index(option.default) if option.default else 0,
                    key=f"c_new_{kind}_{option.key}",
                )
            else:
                values[option.key] = st.text_input(
                    label,
                    value=option.default or "",
                    key=f"c_new_{kind}_{option.key}",
                    placeholder="YYYY-MM-DD" if option.kind == "date" else "",
                )
        submitted = st.form_submit_button("Add connection")
    if submitted:
        try:
            ref = connections.secret_ref(
                where if source == "file" else None,
                where if source == "env" else None,
                kind,
            )
            connection, warnings = connections.add(
                name.strip(),
                kind,
                {k: v for k, v in values.items() if v not in ("", None)},
                ref,
                apps.split(","),
                common.db_path(),
                actor=access.actor(),
            )
        except InstallpulseError as exc:
            common.show_error(exc)
        else:
            # Shown after the rerun that lists the new connection above the form.
            st.session_state["c_added"] = (
                f"Added '{connection.name}'. Test it, then sync it above; the secret is "
                f"read from the {connection.secret.describe()} each time.",
                warnings,
            )
            st.rerun()


def render() -> None:
    """The tab's content (called inside `with tab:` by app_pages/data.py)."""
    st.write(
        "Fetch exports straight from the stores and estimate providers. Each fetched file is "
        "imported like an uploaded one (all-or-nothing, archived, undoable). For a schedule, "
        "run `installpulse sync --all` from cron (README: Connectors)."
    )
    added = st.session_state.pop("c_added", None)
    if added is not None:
        st.success(common.md_escape(added[0]))
        for warning in added[1]:
            st.warning(common.md_escape(warning))
    kinds = base.kinds()
    try:
        stored = connections.all_connections(common.db_path())
    except InstallpulseError as exc:
        common.show_error(exc)
        return
    if not stored:
        st.info("No connections yet.")
    for connection in stored:
        _show_connection(connection, kinds)
    if access.allowed("connections"):
        _add_form(kinds)
    else:
        access.refused_note("connections")
