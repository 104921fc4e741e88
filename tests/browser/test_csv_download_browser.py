"""The Explore CSV download is made on the click (app_pages/common.chart_downloads passes a
callable: formatting it on every rerun was a tenth of the rerun's CPU). The file a person gets
must still be the numbers behind the chart."""

from __future__ import annotations

import csv
import io

import pytest
from browser_helpers import open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEW = (
    "/explore?apps=ChatGPT&metrics=uninstalls&countries=US"
    "&start=2026-02-26&end=2026-03-01&baseline=previous-day"
)


def test_explore_csv_is_made_on_the_click(page, app_url):
    open_page(page, app_url + VIEW, chart=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV (numbers behind the chart)").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as fh:
        rows = list(csv.DictReader(io.StringIO(fh.read())))
    days = {r["date"]: r for r in rows if r["app"] == "ChatGPT"}
    assert sorted(days) == ["2026-02-26", "2026-02-27", "2026-02-28", "2026-03-01"]
    # The demo story: ChatGPT US uninstalls 3.95x the previous day on 28 February.
    spike = days["2026-02-28"]
    assert float(spike["value"]) / float(spike["baseline"]) == pytest.approx(3.95, abs=0.005)
