"""What plotly.js actually shows on hover, in Debian's Chromium: the module's strings, verbatim.

The figure goes through `fig.to_html(include_plotlyjs=True)` (no network), opened from a
file:// URL; Plotly.Fx.hover puts the hover label in the DOM, and its text is read back.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics.formatting import fmt_change
from charts.explore import explore_figure

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _ties() -> pl.DataFrame:
    days = [dt.date(2026, 2, 26), dt.date(2026, 2, 27), dt.date(2026, 2, 28)]
    return pl.DataFrame(
        {
            "app": ["ChatGPT"] * 3,
            "metric": ["uninstalls"] * 3,
            "country": ["US"] * 3,
            "date": days,
            "value": [1000.0, 1145.0, 990.425],
            "baseline": [None, 1000.0, 1145.0],
            "change": [None, 0.145, -0.135],
            "multiple": [None, 1.145, 0.865],
            "method_label": ["vs the previous day"] * 3,
        },
        schema_overrides={"baseline": pl.Float64, "change": pl.Float64, "multiple": pl.Float64},
    )


def test_hover_in_the_browser_is_the_module_text(chromium, tmp_path) -> None:
    html = tmp_path / "ties.html"
    html.write_text(explore_figure(_ties()).to_html(include_plotlyjs=True), encoding="utf-8")
    page = chromium.new_page()
    try:
        page.goto(html.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg")
        shown = []
        for point in (1, 2):
            page.evaluate("() => Plotly.Fx.unhover(document.querySelector('.js-plotly-plot'))")
            page.wait_for_selector(".js-plotly-plot .hoverlayer .hovertext", state="detached")
            page.evaluate(
                """(point) => {
                    const gd = document.querySelector('.js-plotly-plot');
                    const i = gd.data.findIndex(t => t.meta && t.meta.role === 'value');
                    Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: point}]);
                }""",
                point,
            )
            page.wait_for_selector(".js-plotly-plot .hoverlayer .hovertext")
            shown.append(page.locator(".js-plotly-plot .hoverlayer").text_content())
    finally:
        page.close()
    assert fmt_change(0.145, 1.145) == "+15% (1.15x)"
    assert "+15% (1.15x) vs the previous day" in shown[0]
    assert "Fri 27 Feb 2026" in shown[0] and "Value: 1,145" in shown[0]
    assert "-14% (0.87x) vs the previous day" in shown[1]
    assert "Value: 990.43" in shown[1] and "Baseline: 1,145" in shown[1]
