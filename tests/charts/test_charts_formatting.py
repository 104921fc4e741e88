"""Charts print numbers with analytics.formatting, never with a d3 format (issue 10, item 4).

0.145 was "+15%" in the sentence and "+14%" in the hover (d3 and Python's format round the
binary float); 0.865 was "0.87x" in one place and "0.86x" in another. Every hover now carries
text made in Python by the one module, so the chart, the sentence and the table agree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import plotly.graph_objects as go
import polars as pl
import pytest

from analytics.formatting import display_frame, fmt_multiple, fmt_pct
from analytics.sentences import change_sentence, study_sentence
from charts.explore import VIEWS, explore_figure
from charts.publish import publication_layout
from charts.study import study_figure
from tests.charts.figure_helpers import figure_json

D = dt.date
# A d3 number format inside a template: %{y:.0%}, %{customdata[1]:+.0%}, %{x:,.2f}, %{y:+d}...
D3_NUMBER_FORMAT = re.compile(r"%\{[^}|]*:[^}]*\}")


@pytest.fixture
def ties() -> pl.DataFrame:
    """Hand-made results on the rounding ties: +14.5% (1.145x) and -13.5% (0.865x)."""
    return pl.DataFrame(
        {
            "app": ["ChatGPT"] * 3,
            "metric": ["uninstalls"] * 3,
            "source": ["demo"] * 3,
            "country": ["US"] * 3,
            "platform": ["ios"] * 3,
            "date": [D(2026, 2, 26), D(2026, 2, 27), D(2026, 2, 28)],
            "value": [1000.0, 1145.0, 990.425],
            "baseline": [None, 1000.0, 1145.0],
            "change": [None, 0.145, -0.135],
            "multiple": [None, 1.145, 0.865],
            "method": ["previous-day"] * 3,
            "method_label": ["vs the previous day"] * 3,
            "typical_change": [None, 0.09, 0.09],
            "typical_low": [None, 910.0, 1041.95],
            "typical_high": [None, 1090.0, 1248.05],
            "is_partial": [False] * 3,
            "reason": ["no observation on the previous day", None, None],
            "grain": ["day"] * 3,
        },
        schema_overrides={"baseline": pl.Float64, "change": pl.Float64, "multiple": pl.Float64},
    )


def _value_trace(fig: go.Figure) -> dict:
    return next(t for t in figure_json(fig)["data"] if (t.get("meta") or {}).get("role") == "value")


def test_explore_hover_says_exactly_what_the_module_says(ties) -> None:
    trace = _value_trace(explore_figure(ties))
    by_day = dict(zip(trace["x"], trace["customdata"], strict=True))
    up, down = by_day["2026-02-27"][3], by_day["2026-02-28"][3]
    assert fmt_pct(0.145) == "+15%" and fmt_multiple(0.865) == "0.87x"
    assert up == "+15% (1.15x) vs the previous day"
    assert down == "-14% (0.87x) vs the previous day"
    assert by_day["2026-02-28"][1:3] == ["990.43", "1,145"]  # value, baseline
    assert by_day["2026-02-26"][3] == "no change available"
    # The template shows these strings as they are: no number formatting left to plotly.js.
    assert "%{customdata[3]}" in trace["hovertemplate"]
    assert not D3_NUMBER_FORMAT.search(trace["hovertemplate"])


def test_sentence_hover_and_table_agree_on_the_tie(ties) -> None:
    row = ties.row(1, named=True)
    sentence = change_sentence(row)
    trace = _value_trace(explore_figure(ties))
    hover = dict(zip(trace["x"], trace["customdata"], strict=True))
    table = display_frame(ties).row(1, named=True)
    assert "+15% vs the previous day (1.15x)" in sentence
    assert hover["2026-02-27"][3].startswith(f"{table['change']} ({table['multiple']})")
    assert (table["change"], table["multiple"]) == ("+15%", "1.15x")
    down = display_frame(ties).row(2, named=True)
    assert (down["change"], down["multiple"]) == ("-14%", "0.87x")
    assert "-14% vs the previous day (0.87x)" in change_sentence(ties.row(2, named=True))


def test_spike_hover_uses_the_module(ties) -> None:
    spikes = ties.filter(pl.col("date") == D(2026, 2, 27)).select(
        "app", "metric", "country", "platform", "source", "date", "value",
        score=pl.lit(3.25), direction=pl.lit("up"),
    )  # fmt: skip
    fig = explore_figure(ties, spikes=spikes)
    spike = next(
        t for t in figure_json(fig)["data"] if (t.get("meta") or {}).get("role") == "spike"
    )
    assert spike["hovertext"][0] == (
        "<b>ChatGPT</b><br>Fri 27 Feb 2026<br>Spike (up), score +3.3<br>Value: 1,145<br>"
        "+15% (1.15x) vs the previous day"
    )


def test_study_hover_uses_the_module() -> None:
    study = pl.DataFrame(
        {
            "app": ["Claude"] * 3,
            "offset": [-1, 0, 1],
            "date": [D(2026, 2, 26), D(2026, 2, 27), D(2026, 2, 28)],
            "value": [50.0, 57.25, 43.25],
            "reference": [50.0] * 3,
            "change": [0.0, 0.145, -0.135],
            "multiple": [1.0, 1.145, 0.865],
        }
    )
    trace = _value_trace(study_figure(study, reference_label="vs days -14..-1"))
    assert [row[4] for row in trace["customdata"]] == [
        "0% (1.00x) vs days -14..-1",
        "+15% (1.15x) vs days -14..-1",
        "-14% (0.87x) vs days -14..-1",
    ]
    assert not D3_NUMBER_FORMAT.search(trace["hovertemplate"])
    summary = {
        "app": "Claude",
        "event_date": D(2026, 2, 27),
        "peak_change": 0.145,
        "peak_multiple": 1.145,
        "reference_label": "vs days -14..-1",
        "peak_date": D(2026, 2, 27),
        "peak_offset": 0,
    }
    assert "peak +15% (1.15x) vs days -14..-1" in study_sentence(summary)


def _all_figures(results, spikes, events, study) -> Iterator[tuple[str, go.Figure]]:
    for view in VIEWS:
        fig = explore_figure(results, spikes=spikes, events=events, view=view)
        yield f"explore/{view}", fig
        yield f"explore/{view}/publication", publication_layout(fig, export_date=D(2026, 11, 27))
    yield (
        "explore/right-axis",
        explore_figure(results, spikes=spikes, events=events, secondary_axis_for=["Claude"]),
    )
    fig = study_figure(study, event_title="OpenAI agreement", event_date=D(2026, 2, 27))
    yield "study", fig
    yield "study/publication", publication_layout(fig, export_date=D(2026, 11, 27))


def _strings(node, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from _strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def test_no_figure_leaves_a_number_to_d3(results, spikes, events, study) -> None:
    for name, fig in _all_figures(results, spikes, events, study):
        spec = figure_json(fig)  # customdata is a numpy array in the figure, lists here
        spec["layout"].pop("template", None)  # plotly's template defaults, not our text
        for path, text in _strings(spec):
            where = f"{name}: {path}"
            if path.endswith(("hovertemplate", "texttemplate")):
                assert not D3_NUMBER_FORMAT.search(text), where
                # Raw %{y}/%{x} would be formatted by plotly.js too; dates use %{x|...}.
                assert not re.search(r"%\{[xyz]\}", text), where
            if path.endswith(("tickformat", "hoverformat", "yhoverformat", "xhoverformat")):
                # Only date formats (on date axes) are allowed: "%a %Y-%m-%d".
                assert text.startswith("%") and re.search(r"%[aAbBdYmy]", text), where
            # One minus sign (ASCII) in everything we write; plotly's own ticks are its own.
            assert "\u2212" not in text, where


def test_change_view_has_no_rounded_axis_format(results) -> None:
    fig = explore_figure(results, view="change")
    # y is change x 100 with a "%" suffix; ticks are plotly's round steps (0%, 100%, ...), so no
    # value is rounded there: every published number is in the hover, from the module.
    assert fig.layout.yaxis.tickformat is None
    assert fig.layout.yaxis.hoverformat is None
    assert fig.layout.yaxis.ticksuffix == "%"
