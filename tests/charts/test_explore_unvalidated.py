"""The Explore figure goes in without plotly's validation (charts/explore.py
`_unvalidated_figure`: traces and layout, most of a rerun's figure CPU): the figure must be
exactly the one validation gives, and it must validate again for whatever is added to it
afterwards. Its hover text is made a column at a time: it must be formatting's text per point."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import pytest

from analytics.formatting import fmt_date, fmt_value
from charts.explore import _hover_data, _with_hover_text, explore_figure
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
    """The hover's texts are made a column at a time (display_frame's fast path): they must be
    what formatting each point on its own gives, also for ties, missing, infinite and hostile
    inputs, a missing multiple and a column of nulls."""
    part = results.filter(pl.col("app") == "ChatGPT").with_columns(
        change=pl.Series([None, float("nan"), float("inf"), 0.145, -0.135, 0.125, 2.95,
                          -0.005, 0.5, 0.7, 0.8, -1.0]),
        multiple=pl.Series([None, None, None, 1.145, 0.865, None, 3.95, float("nan"),
                            float("inf"), 1.7, 1.8, 0.0]),
        method_label=pl.Series([HOSTILE, None, "", *["vs the previous day"] * 8, HOSTILE]),
        value=pl.Series([1000.0, 1000.0, float("nan"), None, 2.5, 2.5, 990.425, 1145.0,
                         -0.0, *[1003.5714] * 3]),
    )  # fmt: skip
    for frame in (part, part.with_columns(baseline=None), part.drop("multiple", "baseline")):
        got = _hover_data(_with_hover_text(frame), "ChatGPT").tolist()
        rows = frame.to_dicts()
        assert got == [
            [
                "ChatGPT",
                fmt_value(r["value"]),
                fmt_value(r.get("baseline")),
                format_change(r["change"], r.get("multiple"), r["method_label"]),
                fmt_date(r["date"]),
            ]
            for r in rows
        ]
    got = _hover_data(_with_hover_text(part), "ChatGPT").tolist()
    assert [row[3] for row in got[3:8]] == [
        "+15% (1.15x) vs the previous day",  # 0.145 and 1.145: ties, half away from zero
        "-14% (0.87x) vs the previous day",
        "+13% (1.13x) vs the previous day",  # no multiple: 1 + 0.125 in decimal
        "+295% (3.95x) vs the previous day",
        "-1% (1.00x) vs the previous day",  # NaN multiple: derived, 0.995 -> 1.00x
    ]
    assert got[-1][3].endswith(format_change(0.8, 1.8, HOSTILE)[len("+80% (1.80x)") :])
    assert "<script>" not in got[-1][3]
