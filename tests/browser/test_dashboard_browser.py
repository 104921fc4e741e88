"""The flows a person does in a browser, against a real `streamlit run` of the app."""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest
from browser_helpers import open_page, plot_text, screenshot, settle

from pipelines import events, ops

pytestmark = [pytest.mark.browser, pytest.mark.slow]

STORY = (
    "/explore?apps=ChatGPT&apps=Claude&metrics=uninstalls&countries=US"
    "&start=2026-02-14&end=2026-03-14&day=2026-02-28"
)
HOSTILE = '<a href="https://example.com">x</a><script>alert(1)</script>'


def test_explorer_story_with_event_labels_and_image_downloads(page, app_url):
    open_page(page, app_url + STORY, chart=True)
    text = plot_text(page)
    assert "ChatGPT and Claude" in text
    assert "Altman posts amended terms" in text  # an event label on the timeline
    assert "+295% vs the previous day (3.95x)" in page.locator("body").inner_text()
    # Every option of Grain and View shows whole in its column (1400 px wide: "month" and
    # "Index (=100)" were cut off when a fourth widget shared their row).
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('[data-testid="stButtonGroup"] button')]
            .filter(b => b.innerText.trim())
            .filter(b => b.getBoundingClientRect().right
                         > b.closest('[data-testid="stColumn"]').getBoundingClientRect().right)
            .map(b => b.innerText)"""
    )
    assert page.locator('[data-testid="stButtonGroup"] button').count() >= 6
    assert clipped == []
    screenshot(page, "explore")

    with page.expect_download() as png_info:
        page.get_by_role("button", name="Download PNG").click()
    png = png_info.value
    assert png.suggested_filename.endswith(".png")
    assert Path_bytes(png)[:8] == b"\x89PNG\r\n\x1a\n"

    with page.expect_download() as svg_info:
        page.get_by_role("button", name="Download SVG").click()
    svg = Path_bytes(svg_info.value).decode("utf-8")
    assert "<svg" in svg[:2000]
    assert "Altman posts amended terms" in svg
    assert "illustrative demo data" in svg
    (screenshot(page, "explore").parent / "explore-export.png").write_bytes(Path_bytes(png))


def Path_bytes(download) -> bytes:
    with open(download.path(), "rb") as fh:
        return fh.read()


def test_shared_url_restores_the_same_view(page, app_url, browser):
    open_page(page, app_url + STORY, chart=True)
    page.get_by_text("% vs baseline", exact=True).click()
    settle(page, chart=True)
    deadline = time.monotonic() + 10
    while "view=change" not in page.url and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    shared = page.url
    query = parse_qs(urlparse(shared).query)
    assert query["view"] == ["change"] and query["apps"] == ["ChatGPT", "Claude"]
    assert "Change (%)" in plot_text(page)

    other = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        open_page(other, shared, chart=True)
        again = plot_text(other)
        assert "Change (%)" in again and "ChatGPT and Claude" in again
        assert parse_qs(urlparse(other.url).query) == query
        screenshot(other, "explore-shared-url")
    finally:
        other.context.close()


def test_event_added_on_events_page_shows_on_the_explorer_chart(page, app_url):
    open_page(page, app_url + "/events")
    title = "Browser test launch day"
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("button", name="Add event").click()
    settle(page)
    assert page.get_by_text("Added event #").count() >= 1
    screenshot(page, "events")
    # The form's default day is the last day of data (2026-04-30), scoped to all apps.
    open_page(
        page,
        app_url + "/explore?apps=Claude&metrics=downloads&start=2026-04-01&end=2026-04-30",
        chart=True,
    )
    assert title in plot_text(page)


def test_upload_through_the_file_chooser_lands_in_the_history(page, app_url, tmp_path, server_db):
    upload = tmp_path / "browser upload.csv"
    upload.write_text(
        "date,app,country,platform,metric,value,source\n"
        "2026-04-01,UploadedApp,US,ios,downloads,100,press\n"
        "2026-04-02,UploadedApp,US,ios,downloads,150,press\n",
        encoding="utf-8",
    )
    open_page(page, app_url + "/data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(upload))
    settle(page)
    page.get_by_text("Detected: Generic long CSV").wait_for()
    page.get_by_role("button", name="Import 1 file").click()
    settle(page)
    page.get_by_text("imported as #").first.wait_for()
    screenshot(page, "data-upload")
    page.get_by_role("tab", name="Import history").click()
    # The history table is drawn on a canvas: check the database behind it, and the picture.
    page.get_by_text("Undo an import").last.wait_for()
    settle(page)
    screenshot(page, "data-history")
    assert ops.imports(server_db).row(0, named=True)["file_name"] == "browser upload.csv"


def test_bad_upload_shows_the_located_error(page, app_url, tmp_path, server_db):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,app,metric,value\n2026-02-27,X,instals,3\n", encoding="utf-8")
    before = ops.imports(server_db).height
    open_page(page, app_url + "/data")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(bad))
    settle(page)
    page.get_by_role("button", name="Import 1 file").click()
    page.get_by_text("not imported, 1 problem found").first.wait_for()
    settle(page)
    body = page.locator("body").inner_text()
    assert "line 2, column 'metric': value 'instals': unknown metric" in body
    assert ops.imports(server_db).height == before + 1  # one failed history row, no data
    screenshot(page, "data-bad-upload")


def test_hostile_event_title_renders_as_literal_text(page, app_url, server_db):
    events.add(events.Event(date(2026, 3, 9), HOSTILE, apps=["ChatGPT"]), server_db)
    open_page(page, app_url + STORY, chart=True)
    plot = page.locator(".js-plotly-plot").first
    assert plot.locator("a").count() == 0
    assert plot.locator("script").count() == 0
    assert '<a href="https://example.c' in plot_text(page)
    open_page(page, app_url + "/events")
    page.get_by_label("Search titles and descriptions").fill("example.com")
    page.keyboard.press("Enter")
    settle(page)
    assert page.locator('[data-testid="stMain"] a[href="https://example.com"]').count() == 0
    screenshot(page, "events-hostile")


@pytest.mark.parametrize(
    ("path", "name", "chart"),
    [
        ("/", "overview", False),
        ("/study", "study", True),
        ("/data", "data", False),
        ("/database", "database", False),
    ],
)
def test_page_renders_in_the_browser(page, app_url, path, name, chart):
    open_page(page, app_url + path, chart=chart)
    assert page.locator("h1").first.inner_text()
    screenshot(page, name)
