"""Helpers for the AppTest tests: open a page (with a query string), read a chart's JSON."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.charts.figure_helpers import decode_typed_arrays

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = [
    "app_pages/overview.py",
    "app_pages/explore.py",
    "app_pages/study.py",
    "app_pages/events.py",
    "app_pages/data.py",
    "app_pages/database.py",
    "app_pages/check.py",
]

# The demo's story on Explore (README "Demo"): ChatGPT and Claude, US uninstalls, two weeks
# either side of 28 Feb 2026.
STORY = {
    "apps": ["ChatGPT", "Claude"],
    "metrics": "uninstalls",
    "countries": "US",
    "start": "2026-02-14",
    "end": "2026-03-14",
}


def open_page(page: str, query: dict | None = None) -> AppTest:
    """Run the app once, switch to `page` (with an optional query string) and run it."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page)
    if query:
        at.query_params.clear()
        at.query_params.update(query)
    at.run()
    return at


def figure(at: AppTest, index: int = 0) -> dict:
    """A chart's JSON as the browser gets it, plotly's typed arrays (the Explore figure's
    numbers) decoded to lists of numbers."""
    return decode_typed_arrays(json.loads(at.get("plotly_chart")[index].proto.spec))
