"""Explorer figure: real plotly figures, asserted on their JSON."""

from __future__ import annotations

import datetime as dt
import json

import plotly.io as pio
import polars as pl
import pytest

from charts.events import layout_labels, normalize_events
from charts.explore import explore_figure
from charts.theme import color_for
from tests.charts.figure_helpers import figure_json

HOSTILE_LINK = '<a href="https://example.com">x</a><script>alert(1)</script>'


def _traces(fig, role: str) -> list[dict]:
    return [t for t in figure_json(fig)["data"] if (t.get("meta") or {}).get("role") == role]


def test_one_value_line_per_series_with_dashed_baseline_and_band(results) -> None:
    fig = explore_figure(results)
    data = figure_json(fig)["data"]
    values = _traces(fig, "value")
    assert [t["name"] for t in values] == ["ChatGPT", "Claude"]
    assert values[0]["line"]["color"] == color_for("ChatGPT")
    baselines = [t for t in data if t["name"].endswith(" baseline")]
    assert len(baselines) == 2
    assert all(t["line"]["dash"] == "dash" for t in baselines)
    assert baselines[0]["line"]["color"] == values[0]["line"]["color"]
    bands = [t for t in data if t.get("fill") == "tonexty"]
    assert len(bands) == 2
    assert bands[0]["fillcolor"].startswith("rgba(")
    # Legend explains the line styles once.
    assert {"baseline (dashed)", "typical range (band)"} <= {t["name"] for t in data}
    assert fig.layout.template.layout.font.family.startswith('"Inter"')


def test_hover_states_change_with_multiple_and_method(results) -> None:
    fig = explore_figure(results)
    chatgpt = _traces(fig, "value")[0]
    spike_day = chatgpt["x"].index("2026-02-28")
    label, value, baseline, change, day = chatgpt["customdata"][spike_day]
    assert (label, value, baseline, day) == ("ChatGPT", "3,950", "1,000", "Sat 28 Feb 2026")
    assert change == "+295% (3.95x) vs the previous day"
    assert "customdata[3]" in chatgpt["hovertemplate"]
    assert "customdata[4]" in chatgpt["hovertemplate"]


def test_numbers_are_sent_as_typed_arrays_that_decode_to_the_values(results) -> None:
    """y goes to the browser as base64 float64 (plotly.js typed arrays), x as ISO days, hover
    text as lists of strings; decoded, they are the fixture's numbers to the last bit."""
    fig = explore_figure(results.with_columns(
        value=pl.when(pl.col("date") == dt.date(2026, 2, 23)).then(None).otherwise("value")
    ))  # fmt: skip
    sent = json.loads(pio.to_json(fig))
    raw = next(t for t in sent["data"] if (t.get("meta") or {}).get("role") == "value")
    assert set(raw["y"]) == {"dtype", "bdata"} and raw["y"]["dtype"] == "f8"
    chatgpt = _traces(fig, "value")[0]
    days = [f"2026-02-{d}" for d in range(20, 29)] + [f"2026-03-0{d}" for d in range(1, 4)]
    assert chatgpt["x"] == days
    # ChatGPT's uninstalls from the fixture; 02-23 is missing: a gap (null), not a zero.
    assert chatgpt["y"] == [1000.0, 1010.0, 990.0, None, 1000.0, 995.0, 1010.0, 1000.0,
                            3950.0, 2600.0, 1800.0, 1500.0]  # fmt: skip
    assert [row[1] for row in chatgpt["customdata"]][2:5] == ["990", "n/a", "1,000"]
    assert chatgpt["customdata"][8][1:4] == ["3,950", "1,000", "+295% (3.95x) vs the previous day"]
    baseline = next(t for t in figure_json(fig)["data"] if t["name"] == "ChatGPT baseline")
    assert baseline["y"][:3] == [None, 1000.0, 1010.0]
    change = _traces(explore_figure(results, view="change"), "value")[0]
    assert change["y"][0] is None  # no baseline on the first day
    assert change["y"][8] == pytest.approx(295.0) and change["y"][1] == pytest.approx(1.0)


def test_toggles_remove_baseline_and_band(results) -> None:
    data = figure_json(explore_figure(results, show_baseline=False, show_band=False))["data"]
    assert not [t for t in data if t["name"].endswith("baseline") or t.get("fill")]
    assert len(data) == 2


def test_change_view_plots_percent_and_names_the_method(results) -> None:
    fig = explore_figure(results, view="change")
    chatgpt = _traces(fig, "value")[0]
    assert chatgpt["y"][chatgpt["x"].index("2026-02-28")] == pytest.approx(295.0)
    assert fig.layout.yaxis.title.text == "Change (%) vs the previous day"
    assert fig.layout.yaxis.ticksuffix == "%"
    # The baseline is the dashed zero line, not one trace per series.
    assert not [t for t in figure_json(fig)["data"] if t["name"].endswith(" baseline")]
    assert any(s.y0 == 0 and s.line.dash == "dash" for s in fig.layout.shapes)


def test_index_view_starts_at_100_per_series(results) -> None:
    fig = explore_figure(results, view="index")
    for trace in _traces(fig, "value"):
        assert trace["y"][0] == pytest.approx(100.0)
    with_index = results.with_columns(index=pl.col("value") / 10)
    trace = _traces(explore_figure(with_index, view="index"), "value")[0]
    assert trace["y"][0] == pytest.approx(100.0)
    assert "Index" in explore_figure(results, view="index").layout.yaxis.title.text


def test_unknown_view_and_missing_columns_raise(results) -> None:
    with pytest.raises(ValueError, match="view must be one of"):
        explore_figure(results, view="log")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="missing column"):
        explore_figure(results.drop("value"))


def test_metric_and_country_variants_get_dash_and_marker_styles(results) -> None:
    gb = results.filter(pl.col("app") == "ChatGPT").with_columns(country=pl.lit("GB"))
    fig = explore_figure(pl.concat([results, gb]), show_baseline=False, show_band=False)
    values = {t["name"]: t for t in _traces(fig, "value")}
    assert set(values) == {"ChatGPT · GB", "ChatGPT · US", "Claude · US"}
    assert values["ChatGPT · GB"]["line"]["dash"] != values["ChatGPT · US"]["line"]["dash"]
    assert values["ChatGPT · GB"]["marker"]["symbol"] != values["ChatGPT · US"]["marker"]["symbol"]
    assert values["ChatGPT · US"]["line"]["dash"] == values["Claude · US"]["line"]["dash"]
    assert values["ChatGPT · GB"]["line"]["color"] == values["ChatGPT · US"]["line"]["color"]


def test_secondary_axis_is_labelled(results) -> None:
    fig = explore_figure(results, secondary_axis_for=["Claude"])
    claude = next(t for t in _traces(fig, "value") if t["name"].startswith("Claude"))
    assert claude["yaxis"] == "y2"
    assert claude["name"] == "Claude (right axis)"
    assert fig.layout.yaxis2.side == "right"
    assert fig.layout.yaxis2.overlaying == "y"
    assert "Claude (right axis)" in fig.layout.yaxis2.title.text
    assert "ChatGPT (left axis)" in fig.layout.yaxis.title.text


def test_spikes_are_triangles_with_score_in_hover(results, spikes) -> None:
    fig = explore_figure(results, spikes=spikes)
    spike_traces = _traces(fig, "spike")
    up = [t for t in spike_traces if t["marker"]["symbol"] == "triangle-up"]
    down = [t for t in spike_traces if t["marker"]["symbol"] == "triangle-down"]
    assert sum(len(t["x"]) for t in up) == 2
    assert sum(len(t["x"]) for t in down) == 1
    assert "score +9.5" in up[0]["hovertext"][0]  # formatting.fmt_score: signed like its direction
    assert "+295% (3.95x) vs the previous day" in up[0]["hovertext"][0]
    assert up[0]["y"][0] == 3950.0


def test_events_draw_lines_rectangles_and_collapsed_labels(results, events) -> None:
    fig = explore_figure(results, events=events)
    shapes = fig.layout.shapes
    lines = [s for s in shapes if s.type == "line" and s.yref == "paper"]
    rects = [s for s in shapes if s.type == "rect"]
    assert len(lines) == 4  # six point events, three of them share 2026-02-27's line
    assert len(rects) == 1
    assert rects[0].x0 == "2026-02-25" and rects[0].x1 == "2026-03-01"
    assert rects[0].line.dash == "dot"  # approximate dates are dotted
    labels = [a for a in fig.layout.annotations if a.name == "event"]
    texts = [a.text for a in labels]
    assert "3 events" in texts
    assert "Claude memory for all users (approx.)" in texts
    assert len(labels) == 5
    collapsed = labels[texts.index("3 events")]
    for title in ("Federal agencies", "Supply-chain risk", "OpenAI agreement"):
        assert title in collapsed.hovertext


def test_close_event_labels_are_staggered(results, events) -> None:
    fig = explore_figure(results, events=events)
    labels = sorted((a for a in fig.layout.annotations if a.name == "event"), key=lambda a: a.x)
    # Labels less than two days apart would overlap: they sit at different heights.
    ys = [a.y for a in labels]
    assert len(set(ys)) >= 3
    days = [dt.date.fromisoformat(a.x) for a in labels]
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            if (days[j] - days[i]).days < 2:
                assert ys[i] != ys[j], (labels[i].text, labels[j].text)


def test_layout_labels_reuses_levels_once_text_has_ended(events_frame) -> None:
    d = dt.date
    rows = normalize_events(
        events_frame(
            [
                (1, d(2026, 1, 1), None, "first", False),
                (2, d(2026, 1, 2), None, "second", False),
                (3, d(2026, 6, 1), None, "far away", True),
            ]
        )
    )
    labels = layout_labels(rows, span_days=200, plot_width_px=900)
    assert [label.level for label in labels] == [0, 1, 0]
    assert labels[2].text == "far away (approx.)"


def test_events_outside_the_data_are_left_out(results, events_frame) -> None:
    d = dt.date
    far = events_frame([(9, d(2020, 1, 1), d(2020, 1, 1), "old", False)])
    fig = explore_figure(results, events=far)
    assert not fig.layout.shapes and not fig.layout.annotations


def test_hostile_text_is_escaped_everywhere(results, events_frame) -> None:
    hostile = results.with_columns(
        app=pl.when(pl.col("app") == "Claude").then(pl.lit(HOSTILE_LINK)).otherwise("app")
    )
    events = events_frame([(1, dt.date(2026, 2, 27), dt.date(2026, 2, 27), HOSTILE_LINK, False)])
    fig = explore_figure(
        hostile,
        events=events,
        title='<span style="font-size:300px">big</span>',
        subtitle="<br>sub",
        source_line="<img src=x onerror=alert(1)>",
        export_date=dt.date(2026, 11, 27),
    )
    payload = fig.to_json()
    for raw in ("<a ", "<script", "<span", "<img", "<br>sub"):
        assert raw not in payload
    assert "&lt;a href=" in payload
    assert fig.layout.title.text.startswith("&lt;span style=")
    footer = [a.text for a in fig.layout.annotations if a.name == "footer"]
    assert footer == ["&lt;img src=x onerror=alert(1)&gt;", "Exported 2026-11-27"]


def test_default_title_and_subtitle_describe_the_data(results) -> None:
    fig = explore_figure(results)
    assert fig.layout.title.text == "ChatGPT and Claude: daily uninstalls"
    assert fig.layout.title.subtitle.text == "uninstalls · US · iOS · change vs the previous day"
