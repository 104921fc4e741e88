"""What every page shares: the database path, cached reads keyed by the data version, the
sidebar, and showing installpulse errors as sentences.

Caching is only here, at the UI edge (STYLE.md lesson 9): results are keyed by their inputs
and by `data_version`, which changes on every import, undo, alias and event edit, so a rerun
never re-reads a table that did not change and never shows stale data after an import.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from pipelines import reads, settings
from pipelines.errors import DatabaseBusy, InstallpulseError


def db_path() -> Path:
    return settings.db_path()


def data_version() -> str:
    """Cheap (one small query): read every rerun so caches see imports from any process."""
    return reads.data_version(db_path())


@st.cache_data(max_entries=64, show_spinner=False)
def _holdings(db: str, version: str) -> pl.DataFrame:
    return reads.holdings(db)


@st.cache_data(max_entries=64, show_spinner=False)
def _totals(db: str, version: str) -> dict:
    return reads.totals(db)


@st.cache_data(max_entries=64, show_spinner=False)
def _options(db: str, version: str) -> dict:
    return reads.filter_options(db)


def holdings() -> pl.DataFrame:
    return _holdings(str(db_path()), data_version())


def totals() -> dict:
    return _totals(str(db_path()), data_version())


def options() -> dict:
    return _options(str(db_path()), data_version())


def is_demo(sources: list[str] | None = None) -> bool:
    """True when the demo's synthetic data is on screen (it must say so wherever it shows)."""
    values = sources if sources is not None else options().get("sources", [])
    return "demo" in values


def demo_notice() -> None:
    st.info(
        "Illustrative demo data: synthetic series calibrated to figures reported from "
        "Sensor Tower and Appfigures in March-April 2026. Not real store data.",
        icon="ℹ️",
    )


def show_error(exc: Exception) -> None:
    """installpulse errors are sentences; show them as text (never as HTML/markdown)."""
    if isinstance(exc, DatabaseBusy):
        st.warning(str(exc))
    else:
        st.error(str(exc))


def sidebar() -> None:
    with st.sidebar:
        try:
            info = totals()
        except InstallpulseError as exc:
            show_error(exc)
            return
        st.caption(f"Database: `{db_path().name}`")
        if info["observations"]:
            st.caption(
                f"{info['apps']} apps · {info['series']:,} series · "
                f"{info['observations']:,} daily values · {info['first_date']} to "
                f"{info['last_date']}"
            )
        else:
            st.caption("The database is empty: import files on the Data page.")
        if is_demo():
            st.caption("Contains the illustrative demo data (synthetic).")
