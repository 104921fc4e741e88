"""installpulse's Streamlit entry: navigation and the shared sidebar only.

`installpulse app` runs this file from the installed package; in a clone, `streamlit run app.py`
(make run) runs app.py, which calls `main()`. Either way Streamlit executes the entry script on
every rerun, so everything happens inside `main()`. Page files are given as absolute paths next
to this module: Streamlit resolves relative ones against the entry script, which differs.
"""

import gc
import threading
from pathlib import Path

import streamlit as st

from app_pages import access, common
from pipelines import store

PAGES_DIR = Path(__file__).resolve().parent


def main() -> None:
    store.serve_sessions()  # (before the first read opens a connection)
    st.set_page_config(page_title="installpulse", page_icon=":material/show_chart:", layout="wide")
    # Before anything reads the database: a public address without sign-in shows nothing, and
    # a shared server shows nothing to someone not signed in.
    who = access.gate()
    pages = [
        st.Page(
            PAGES_DIR / "overview.py",
            title="Overview",
            icon=":material/home:",
            url_path="overview",
            default=True,
        ),
        st.Page(
            PAGES_DIR / "explore.py",
            title="Explore",
            icon=":material/show_chart:",
            url_path="explore",
        ),
        st.Page(
            PAGES_DIR / "study.py",
            title="Event study",
            icon=":material/center_focus_strong:",
            url_path="study",
        ),
        st.Page(
            PAGES_DIR / "check.py",
            title="Check a figure",
            icon=":material/fact_check:",
            url_path="check",
        ),
        st.Page(
            PAGES_DIR / "events.py", title="Events", icon=":material/event:", url_path="events"
        ),
        st.Page(
            PAGES_DIR / "data.py", title="Data", icon=":material/upload_file:", url_path="data"
        ),
        st.Page(
            PAGES_DIR / "database.py",
            title="Database",
            icon=":material/database:",
            url_path="database",
        ),
    ]
    navigation = st.navigation(pages)
    common.begin_run()
    try:
        access.sidebar_identity(who)
        common.sidebar()
        navigation.run()
    finally:
        common.end_run()
    _freeze_once()


_frozen = threading.Event()


def _freeze_once() -> None:
    """After the first complete rerun, move every object alive then (the imported modules,
    plotly's validators, the stores) out of the garbage collector's reach, once per process.

    A full collection walks every tracked object, and with polars, plotly and pyarrow loaded
    that is most of the heap. Streamlit forces one after every rerun (``runner.postScriptGC``),
    which was the largest single cost of an Explore rerun with 25 sessions: 0.50 CPU-s per
    rerun with it, 0.29 with the option off, 0.31 with this freeze (S store, 25 sessions with
    no think time, as in the saturation phase of benchmarks/bench_load.py). The app turns the option
    off (.streamlit/config.toml, and `installpulse app`'s flags); this freeze keeps the full
    collections Python still makes on its own cheap. Frozen objects are still freed by
    reference counting; only cycles among them would be kept, and they are the objects of
    the first rerun, most of which live as long as the process. Peak memory in that load:
    848 MB before, 844-892 MB after.
    """
    if _frozen.is_set():
        return
    _frozen.set()
    gc.collect()
    gc.freeze()


if __name__ == "__main__":  # `streamlit run app_pages/main.py`, as `installpulse app` does
    main()
