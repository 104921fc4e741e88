"""installpulse: the Streamlit entry point - navigation and the shared sidebar only.

Pages live in app_pages/ and stay thin: they read widgets, call the Streamlit-free packages
(pipelines, analytics, charts, and app_pages.views) and lay out the results.
"""

import streamlit as st

from app_pages import common

st.set_page_config(page_title="installpulse", page_icon=":material/show_chart:", layout="wide")

PAGES = {
    "overview": st.Page(
        "app_pages/overview.py",
        title="Overview",
        icon=":material/home:",
        url_path="overview",
        default=True,
    ),
    "explore": st.Page(
        "app_pages/explore.py", title="Explore", icon=":material/show_chart:", url_path="explore"
    ),
    "study": st.Page(
        "app_pages/study.py",
        title="Event study",
        icon=":material/center_focus_strong:",
        url_path="study",
    ),
    "events": st.Page(
        "app_pages/events.py", title="Events", icon=":material/event:", url_path="events"
    ),
    "data": st.Page(
        "app_pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"
    ),
    "database": st.Page(
        "app_pages/database.py", title="Database", icon=":material/database:", url_path="database"
    ),
}
navigation = st.navigation(list(PAGES.values()))
common.sidebar()
navigation.run()
