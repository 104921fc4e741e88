"""The "Check a figure" page in Debian's Chromium against a real `streamlit run` on the demo:
the paragraph and the chart on screen, the navigation entry, the downloads (CSV through
pipelines.csvout, PNG and SVG through kaleido) and a screenshot to look at
(test-results/screenshots/check.png)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "browser"))
from browser_helpers import open_page, plot_text, screenshot  # noqa: E402

from tests.conftest import streamlit_app  # noqa: E402

QUERY = "/check?app=ChatGPT&metric=uninstalls&countries=US&day=2026-02-28&claim=%2B295%25"


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir() -> None:
    """pytest-playwright empties test-results/ when it first needs it (mid-test here), which
    deleted the screenshot before the export was written next to it (as tests/browser)."""


@pytest.fixture(scope="module")
def check_url(
    demo_db_template: Path, chromium_path: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    db = tmp_path_factory.mktemp("check-browser") / "demo.duckdb"
    shutil.copyfile(demo_db_template, db)
    env = {
        "INSTALLPULSE_ARCHIVE": str(tmp_path_factory.mktemp("check-archive")),
        "BROWSER_PATH": chromium_path,
    }
    log = tmp_path_factory.mktemp("check-log") / "streamlit.log"
    with streamlit_app(db, log, env) as url:
        yield url


def _bytes(download) -> bytes:
    with open(download.path(), "rb") as fh:
        return fh.read()


def test_check_page_in_a_browser(chromium, check_url: str) -> None:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_page(page, check_url + QUERY, chart=True)
        body = page.locator("body").inner_text()
        assert "Check a figure" in body
        assert (
            "ChatGPT (US, iOS+Android) uninstalls +295% on Sat 28 Feb 2026: reproduced against "
            "the previous day (12,640 vs 3,200, 3.95x)."
        ) in body
        text = plot_text(page)
        assert "Previous day" in text and "+324% (4.24x)" in text
        assert "Sat 28 Feb 2026: 12,640" in text
        shot = screenshot(page, "check")

        with page.expect_download() as csv_info:
            page.get_by_role("button", name="Download CSV (every baseline and slice)").click()
        csv = _bytes(csv_info.value).decode("utf-8").splitlines()
        assert csv[0].startswith("slice,app,metric,source,country,platform,date,method")
        assert csv[1].startswith("as claimed,ChatGPT,uninstalls,demo,US,android+ios,2026-02-28")

        with page.expect_download() as png_info:
            page.get_by_role("button", name="Download PNG").click()
        png = _bytes(png_info.value)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        (shot.parent / "check-export.png").write_bytes(png)

        with page.expect_download() as svg_info:
            page.get_by_role("button", name="Download SVG").click()
        svg = _bytes(svg_info.value).decode("utf-8")
        assert "<svg" in svg[:2000]
        assert "illustrative demo data" in svg
    finally:
        context.close()
