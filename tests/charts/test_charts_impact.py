"""charts.impact and the counterfactual band of charts.study: numbers from the formatting
module only, and a publication image through the real export (Chromium)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl
import pytest

from analytics import impact
from charts import export, publish
from charts.impact import impact_figure

EVENT = date(2026, 2, 28)


@pytest.fixture
def result() -> impact.Impact:
    start = EVENT - timedelta(days=28)
    values = [1000.0 + (37 * i) % 100 for i in range(28)] + [1500.0 + 10 * i for i in range(14)]
    rows = [(start + timedelta(days=i), v) for i, v in enumerate(values)]
    frame = pl.DataFrame(rows, schema={"date": pl.Date, "value": pl.Float64}, orient="row")
    return impact.impact(frame, EVENT, label="App <b>X</b>")


def test_hover_numbers_come_from_the_formatting_module(result):
    fig = impact_figure(result.days, app="App", label=result.label, event_date=EVENT)
    for trace in fig.data:
        assert not re.search(r"%\{[xy]:", trace.hovertemplate or "")  # no d3 number format
    cumulative = next(t for t in fig.data if t.meta and t.meta["role"] == "cumulative")
    last = result.days.get_column("cum_excess").to_list()[-1]
    from analytics.formatting import fmt_int

    assert cumulative.customdata[-1][3] == fmt_int(last)
    assert cumulative.customdata[-1][2] == "+13"
    assert "App &lt;b&gt;X&lt;/b&gt;" in fig.layout.title.text  # user text escaped


def test_publication_png_and_svg(result, chromium_path):
    fig = impact_figure(result.days, app="App", label=result.label, event_date=EVENT)
    pub = publish.publication_layout(fig, source_line="Source: test", export_date=EVENT)
    png = export.export_image(pub, fmt="png")
    assert png.startswith(b"\x89PNG")
    svg = export.export_image(pub, fmt="svg").decode()
    assert "cumulative excess" in svg and "Source: test" in svg
