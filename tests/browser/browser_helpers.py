"""Waiting for Streamlit in a real browser, and keeping a screenshot of each page."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-results" / "screenshots"
STATUS = '[data-testid="stStatusWidget"]'


def settle(page, chart: bool = False, timeout: float = 30_000) -> None:
    """Wait until the script run is over (status widget gone) and, if asked, a chart is drawn."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_timeout(400)  # the status widget appears only once a rerun is under way
    page.wait_for_selector(STATUS, state="detached", timeout=timeout)
    # Elements still being computed show as skeletons.
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout
    )
    if chart:
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=timeout)
    assert page.locator('[data-testid="stException"]').count() == 0, "the page raised"


def open_page(page, url: str, chart: bool = False) -> None:
    page.goto(url)
    settle(page, chart)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # Streamlit scrolls inside its main container, so a "full page" shot stops at the
    # viewport: grow the viewport to the content's height for the picture.
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(height, 600), 6000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def plot_text(page) -> str:
    return page.locator(".js-plotly-plot").first.text_content() or ""
