"""Event-study figure and sparkline values."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from charts.sparkline import sparkline_values
from charts.study import study_figure
from charts.theme import color_for

HOSTILE_LINK = '<a href="https://example.com">x</a><script>alert(1)</script>'


def test_study_aligns_apps_on_day_zero(study) -> None:
    fig = study_figure(study, event_title="OpenAI agreement", event_date=dt.date(2026, 2, 27))
    values = [t for t in fig.to_dict()["data"] if t["meta"]["role"] == "value"]
    assert [t["name"] for t in values] == ["ChatGPT", "Claude"]
    assert values[1]["line"]["color"] == color_for("Claude")
    assert values[1]["x"] == [-3, -2, -1, 0, 1, 2, 3]
    assert values[1]["y"][4] == pytest.approx(106.0)
    assert values[1]["customdata"][4][4] == "+106% (2.06x) vs the pre-event reference"
    day0 = [s for s in fig.layout.shapes if s.name == "day0"]
    assert len(day0) == 1 and day0[0].x0 == 0
    notes = [a.text for a in fig.layout.annotations if a.name == "event"]
    assert notes == ["Day 0 (Fri 27 Feb 2026): OpenAI agreement"]  # formatting.fmt_date
    assert fig.layout.xaxis.title.text == "Days from event"
    assert fig.layout.yaxis.ticksuffix == "%"
    assert "vs the pre-event reference" in fig.layout.yaxis.title.text


def test_study_escapes_user_text(study) -> None:
    fig = study_figure(study.with_columns(app=pl.lit(HOSTILE_LINK)), event_title=HOSTILE_LINK)
    payload = fig.to_json()
    assert "<a " not in payload and "<script" not in payload


def test_study_requires_offset_and_change(study) -> None:
    with pytest.raises(ValueError, match="offset"):
        study_figure(study.drop("offset"))


def test_sparkline_values_are_sorted_lists_per_key() -> None:
    frame = pl.DataFrame(
        {
            "app": ["b", "a", "a", "a", "b"],
            "date": [dt.date(2026, 1, d) for d in (2, 3, 1, 2, 1)],
            "value": [20, 3, 1, None, 10],
        }
    )
    out = sparkline_values(frame, ["app"]).sort("app")
    assert out.to_dicts() == [
        {"app": "a", "sparkline": [1.0, None, 3.0]},
        {"app": "b", "sparkline": [10.0, 20.0]},
    ]
    last = sparkline_values(frame, ["app"], last_n=1).sort("app")
    assert last.get_column("sparkline").to_list() == [[3.0], [20.0]]
    with pytest.raises(ValueError, match="missing"):
        sparkline_values(frame, ["country"])


def test_study_ticks_and_hover_days_are_the_same_strings(study) -> None:
    # One minus sign everywhere (formatting.fmt_offset, ASCII): tick and hover say the same.
    fig = study_figure(study)
    assert list(fig.layout.xaxis.ticktext) == ["-3", "-2", "-1", "0", "+1", "+2", "+3"]
    value = next(t for t in fig.data if t.meta["role"] == "value")
    assert [row[5] for row in value.customdata] == ["-3", "-2", "-1", "0", "+1", "+2", "+3"]
    # The hover shows the day from customdata, not from a d3 format of x.
    assert "Day %{customdata[5]}" in value.hovertemplate
    assert [row[1] for row in value.customdata][3] == "Fri 27 Feb 2026"
