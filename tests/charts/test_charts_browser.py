"""Hostile titles in a real browser: plotly.js 4.1.1 must show them as literal text.

The figure goes through `fig.to_html(include_plotlyjs=True)` (no network) and is opened
from a file:// URL in Debian's Chromium via Playwright, the way a page renders it.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from charts.explore import explore_figure
from charts.publish import modebar_config

HOSTILE = [
    '<a href="https://example.com">x</a><script>alert(1)</script>',
    '<span style="font-size:300px">big</span>',
    "<img src=x onerror=alert(1)>",
]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium_page(chromium):
    page = chromium.new_page()
    try:
        yield page
    finally:
        page.close()


def test_hostile_text_renders_literally_in_the_dom(chromium_page, results, events_frame, tmp_path):
    d = dt.date(2026, 2, 27)
    events = events_frame([(i, d, d, title, False) for i, title in enumerate(HOSTILE)])
    events = pl.concat([events, events_frame([(7, dt.date(2026, 2, 23), None, HOSTILE[0], False)])])
    hostile_app = results.with_columns(
        app=pl.when(pl.col("app") == "Claude").then(pl.lit(HOSTILE[0])).otherwise("app")
    )
    fig = explore_figure(
        hostile_app,
        events=events,
        title=HOSTILE[0],
        subtitle=HOSTILE[1],
        source_line=HOSTILE[2],
        export_date=dt.date(2026, 11, 27),
    )
    html = tmp_path / "hostile.html"
    html.write_text(
        fig.to_html(include_plotlyjs=True, config=modebar_config("hostile")), encoding="utf-8"
    )
    page = chromium_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(html.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg")

    # Hover the hostile series and the collapsed event label so hover text is rendered too.
    page.evaluate(
        """() => {
            const gd = document.querySelector('.js-plotly-plot');
            const i = gd.data.findIndex(t => t.meta && t.meta.role === 'value'
                                              && t.name.startsWith('&lt;a'));
            Plotly.Fx.hover(gd, [{curveNumber: i, pointNumber: 8}]);
        }"""
    )
    page.wait_for_selector(".js-plotly-plot .hoverlayer .hovertext")
    hover_text = page.locator(".js-plotly-plot .hoverlayer").text_content()
    assert "<a href=" in hover_text

    plot = page.locator(".js-plotly-plot")
    assert plot.locator("a").count() == 0
    assert page.locator("script[src], img").count() == 0
    assert plot.locator("script").count() == 0
    huge = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot *')]
                  .filter(e => (e.getAttribute('style') || '').includes('300px')).length"""
    )
    assert huge == 0
    text = plot.text_content()
    assert '<a href="https://example.com">x</a>' in text  # title, legend, event labels
    assert '<span style="font-size:300px">big</span>' in text
    assert "<img src=x onerror=alert(1)>" in text
    assert page.locator(".gtitle").text_content().startswith("<a href=")
    assert dialogs == []


def test_entity_escaping_is_not_decoded_into_tags(chromium_page, tmp_path):
    """Issue plotly.js#2927: entities decoded before tag parsing. Not in 4.1.1."""
    import plotly.graph_objects as go

    page = chromium_page
    fig = go.Figure(layout=dict(title=dict(text="&lt;b&gt;bold&lt;/b&gt; &#60;i&#62;it")))
    # Control: the same markup unescaped is rendered as markup, so the check can fail.
    fig.add_annotation(text="<b>raw</b>", x=0, y=0, showarrow=False)
    html = tmp_path / "entities.html"
    html.write_text(fig.to_html(include_plotlyjs=True), encoding="utf-8")
    page.goto(html.as_uri())
    page.wait_for_selector(".js-plotly-plot .gtitle")
    title = page.locator(".gtitle")
    assert title.text_content() == "<b>bold</b> <i>it"
    assert title.locator("tspan[style]").count() == 0
    assert page.locator(".annotation-text tspan[style*=bold]").count() == 1
