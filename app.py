"""installpulse: the Streamlit entry point - navigation and the shared sidebar only.

Pages live in app_pages/ and stay thin: they read widgets, call the Streamlit-free packages
(pipelines, analytics, charts) and lay out the results.
"""

import streamlit as st

from app_pages import common

st.set_page_config(page_title="installpulse", page_icon="📈", layout="wide")

pages = [
    st.Page("app_pages/database.py", title="Database", icon="🗄️", url_path="database",
            default=True),
]
navigation = st.navigation(pages)
common.sidebar()
navigation.run()
