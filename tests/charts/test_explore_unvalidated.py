"""The Explore figure goes in without plotly's validation (charts/explore.py
`_unvalidated_figure`: traces and layout, most of a rerun's figure CPU): the figure must be
exactly the one validation gives, and it must validate again for whatever is added to it
afterwards. Its hover text is memoised per process: it must be formatting's text all the same."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import pytest

from analytics.formatting import fmt_date, fmt_value
from charts.explore import _hover_data, explore_figure
from charts.labels import format_change
from tests.charts.figure_helpers import figure_json

HOSTILE = '<a href="https://example.com">x</a><script>alert(1)</script>'


@pytest.mark.parametrize("view", ["absolute", "change", "index"])
@pytest.mark.parametrize("right", [None, ["Claude"]])
def test_figure_is_what_validation_makes(
    results: pl.DataFrame, spikes: pl.DataFrame, events: pl.DataFrame, view: str, right
) -> None:
    fig = explore_figure(
        results,
        spikes=spikes,
        events=events,
        view=view,  # type: ignore[arg-type]
        title=HOSTILE,
        subtitle=HOSTILE,
        source_line="Source: demo",
        export_date="2026-03-04",
        secondary_axis_for=right,
    )
    # go.Figure(dict) validates every trace and the layout: a coerced or unknown property
    # (a tuple, a numpy value of the wrong kind, a misspelt key) would come back changed or
    # raise. Compared as the JSON that is sent (numpy arrays are not comparable with ==).
    sent = figure_json(fig)
    assert figure_json(go.Figure(fig.to_dict())) == sent
    roles = [(t.get("meta") or {}).get("role") for t in sent["data"]]
    assert {"value", "legend", "spike"} <= set(roles)
    assert fig.layout.template.layout.font.family.startswith('"Inter"')


def test_figure_validates_what_is_added_later(results: pl.DataFrame, events: pl.DataFrame) -> None:
    fig = explore_figure(results, events=events)
    shapes = len(fig.layout.shapes)
    with pytest.raises(ValueError, match="not_a_property"):
        fig.update_layout(not_a_property=1)
    with pytest.raises(ValueError):
        fig.layout.yaxis.title.font.size = "big"  # a part of the layout made unvalidated
    with pytest.raises(ValueError):
        fig.layout.shapes[0].line.width = "wide"
    with pytest.raises(ValueError):
        fig.layout.template.layout.font.size = "big"
    with pytest.raises(ValueError, match="not_a_property"):
        fig.add_shape(type="line", not_a_property=1)
    with pytest.raises(ValueError):
        fig.data[0].line.width = "wide"
    fig.add_shape(type="line", x0=0, x1=1, y0=0, y1=1, name="selected day")
    assert fig.layout.shapes[-1].name == "selected day"
    assert len(fig.layout.shapes) == shapes + 1  # the events' shapes are kept


def test_hover_text_is_formatting_per_point(results: pl.DataFrame) -> None:
    """_hover_data formats each distinct value, day and label once: the text must be what
    formatting each point on its own gives, also for missing, infinite and hostile inputs."""
    part = results.filter(pl.col("app") == "ChatGPT").with_columns(
        change=pl.Series([None, float("nan"), float("inf"), *[0.1 * i for i in range(9)]]),
        multiple=pl.Series([None, None, None, None, *[1 + 0.1 * i for i in range(1, 9)]]),
        method_label=pl.Series([HOSTILE, None, "", *["vs the previous day"] * 8, HOSTILE]),
        value=pl.Series([1000.0, 1000.0, float("nan"), None, 2.5, 2.5, *[1003.5714] * 6]),
    )
    got = _hover_data(part, "ChatGPT").tolist()
    assert _hover_data(part, "ChatGPT").tolist() == got  # the second time from the memos
    rows = part.to_dicts()
    assert got == [
        [
            "ChatGPT",
            fmt_value(r["value"]),
            fmt_value(r["baseline"]),
            format_change(r["change"], r["multiple"], r["method_label"]),
            fmt_date(r["date"]),
        ]
        for r in rows
    ]
    assert got[-1][3].endswith(format_change(0.8, 1.8, HOSTILE)[len("+80% (1.80x)") :])
    assert "<script>" not in got[-1][3]


def test_memos_give_formatting_s_text_for_equal_keys() -> None:
    """Keys a dict takes as one (0.0 and -0.0; a NaN multiple and None) must have one text."""
    from charts.explore import _change_numbers, _value_text

    assert _value_text(0.0) == _value_text(-0.0) == fmt_value(-0.0) == "0"
    assert _change_numbers(0.0, None) == _change_numbers(-0.0, None) == format_change(-0.0)
    assert _change_numbers(-0.0, 1.0) == format_change(-0.0, 1.0) == "0% (1.00x)"
    assert _value_text(2) == fmt_value(2) and _value_text(2.0) == fmt_value(2.0)
    assert format_change(0.5, float("nan")) == format_change(0.5, None) == "+50% (1.50x)"
