"""What st.plotly_chart sends of the Explore figure (charts/explore.py `_SentFigure`).

Its `to_dict` copies only what it must, where plotly's deep-copies the whole figure: the
JSON written from it must be plotly's own, byte for byte (the spec and the element id that
Streamlit makes from it do not change), for every kind of Explore chart, and sending must
change nothing in the figure, which the page then hands to the image export. Plotly's own
`to_dict` (`go.Figure.to_dict(fig)`) on the same figure is the reference.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from copy import deepcopy

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import plotly.tools
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from charts.explore import _y_values, explore_figure
from tests.charts.conftest import HOSTILE_LINK
from tests.charts.figure_helpers import figure_json

HOSTILE_NAMES = {"ChatGPT": "<b>x</b> %{x}", "Claude": "=1+1 %{customdata[1]} NaN"}


def _sent(fig: go.Figure) -> str:
    """What st.plotly_chart writes into its spec (streamlit/elements/plotly_chart.py)."""
    figure = plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)
    return pio.to_json(figure, validate=False)


def _plotlys(fig: go.Figure) -> str:
    """The same with plotly's own Figure.to_dict (a deep copy, then base64 in place)."""
    return pio.to_json(go.Figure.to_dict(fig), validate=False)


def _page_edits(fig: go.Figure) -> go.Figure:
    """What app_pages/explore.py does to the figure before sending it."""
    fig.update_layout(height=540, dragmode="zoom", margin=dict(t=118))
    fig.add_shape(
        type="line", xref="x", yref="paper", x0="2026-02-28", x1="2026-02-28", y0=0, y1=1,
        line=dict(color="#B2182B", width=1, dash="dot"), name="selected day",
    )  # fmt: skip
    return fig


def _long(days: int, step: int = 1) -> pl.DataFrame:
    """Two series of ``days`` points (``step`` days apart) with gaps, no-change rows and
    numbers of every size: drawn without markers past 120 points."""
    rng = np.random.default_rng(7)
    frames = []
    for app, scale in (("ChatGPT", 1000.0), ("Claude", 3.0)):
        value = np.round(rng.gamma(4.0, scale / 4, days), 2)
        baseline = np.roll(value, 1)
        frame = pl.DataFrame(
            {
                "date": [dt.date(2025, 1, 1) + dt.timedelta(days=i * step) for i in range(days)],
                "value": value,
                "baseline": baseline,
                "typical_low": baseline * 0.9,
                "typical_high": baseline * 1.1,
                "app": app,
                "metric": "installs",
                "country": "US",
                "platform": "ios",
                "source": "demo",
                "method_label": "vs the same weekday a week before",
            }
        ).with_columns(
            value=pl.when(pl.int_range(pl.len()) % 17 == 5).then(None).otherwise("value"),
            baseline=pl.when(pl.int_range(pl.len()) < 3).then(None).otherwise("baseline"),
        )
        frames.append(frame.with_columns(change=pl.col("value") / pl.col("baseline") - 1))
    out = pl.concat(frames)
    return out.with_columns(multiple=1 + pl.col("change"))


def _figures(results, spikes, events) -> list[tuple[str, go.Figure]]:
    hostile = results.with_columns(pl.col("app").replace(HOSTILE_NAMES))
    nulls = results.with_columns(
        value=pl.when(pl.col("date").dt.day() == 24).then(None).otherwise("value"),
        change=pl.when(pl.col("date").dt.day() < 26).then(None).otherwise("change"),
        multiple=pl.lit(None, pl.Float64),
    )
    weekly = _long(60, step=7)
    out = []
    for view in ("absolute", "change", "index"):
        out += [
            (f"{view}", explore_figure(results, spikes=spikes, events=events, view=view)),
            (f"{view} hostile", explore_figure(hostile, view=view, title=HOSTILE_LINK)),
            (f"{view} nulls", explore_figure(nulls, spikes=spikes, view=view)),
            (f"{view} week", explore_figure(weekly, view=view, events=events)),
            (f"{view} 200 days", explore_figure(_long(200), view=view)),
            (f"{view} one point", explore_figure(results.head(1), view=view)),
        ]
    out += [
        ("right axis", explore_figure(results, spikes=spikes, secondary_axis_for=["Claude"])),
        ("no band, no baseline", explore_figure(results, show_band=False, show_baseline=False)),
        ("footer", explore_figure(results, source_line="Source: demo", export_date="2026-03-04")),
        ("hostile spikes", explore_figure(hostile, spikes=spikes.with_columns(
            pl.col("app").replace(HOSTILE_NAMES)), events=events)),
    ]  # fmt: skip
    return out


def test_sent_json_is_plotlys(
    results: pl.DataFrame, spikes: pl.DataFrame, events: pl.DataFrame
) -> None:
    for name, fig in _figures(results, spikes, events):
        for edited in (False, True):
            if edited:
                fig = _page_edits(fig)
            assert _sent(fig) == _plotlys(fig), (name, edited)


def test_the_arrays_go_in_where_plotly_puts_them(results: pl.DataFrame) -> None:
    """The hover texts and days are put into the made figure (not copied by its
    constructor): its properties are in the order plotly's constructor gives, which is the
    order of the JSON."""
    for fig in (explore_figure(results), explore_figure(_long(200), view="change")):
        shuffled = [dict(reversed(list(trace.items()))) for trace in fig._data]
        built = go.Figure(data=shuffled, layout=deepcopy(fig._layout), _validate=False)
        assert _plotlys(fig) == _plotlys(built)


def test_st_plotly_chart_sends_plotlys_json(results: pl.DataFrame, events: pl.DataFrame) -> None:
    """The real st.plotly_chart, as the page calls it: its spec is plotly's JSON of the figure,
    and the figure is the same afterwards (the page passes it to the image export)."""

    def page(fig: object) -> None:
        import streamlit as st

        st.plotly_chart(
            fig, theme=None, on_select="rerun", selection_mode=("points", "box"), key="chart"
        )

    fig = _page_edits(explore_figure(_long(200), events=events, view="change"))
    before, exported = _plotlys(fig), figure_json(go.Figure(fig))
    at = AppTest.from_function(page, args=(fig,))
    at.run()
    assert not at.exception
    assert at.get("plotly_chart")[0].proto.spec == before
    assert _plotlys(fig) == before
    assert figure_json(go.Figure(fig)) == exported


def _containers(value: object, found: dict[int, object]) -> dict[int, object]:
    """Every dict, list and numpy array inside ``value``, by id."""
    if isinstance(value, (dict, list, np.ndarray)):
        found[id(value)] = value
    if isinstance(value, dict):
        for v in value.values():
            _containers(v, found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _containers(v, found)
    return found


def _scramble(value: object) -> None:
    """Change every dict and list inside ``value`` in place."""
    if isinstance(value, dict):
        for v in value.values():
            _scramble(v)
        value["scrambled"] = True
    elif isinstance(value, list):
        for v in value:
            _scramble(v)
        value.append("scrambled")


def test_sending_changes_nothing_in_the_figure(
    results: pl.DataFrame, spikes: pl.DataFrame, events: pl.DataFrame
) -> None:
    fig = _page_edits(explore_figure(results, spikes=spikes, events=events))
    before = _plotlys(fig)
    arrays = {id(v): v for trace in fig._data for v in trace.values() if isinstance(v, np.ndarray)}
    assert arrays and not any(a.flags.writeable for a in arrays.values())
    sent = fig.to_dict()
    shared = _containers(sent, {}).keys() & _containers(fig._data, _containers(fig._layout, {}))
    # Only the read-only hover-text arrays are shared; every dict and list is new.
    assert {id(a) for a in arrays.values() if a.dtype == object} == shared
    _scramble(sent)
    assert _plotlys(fig) == before
    assert _sent(fig) == before


def test_what_is_added_later_is_copied_as_plotly_copies_it(results: pl.DataFrame) -> None:
    """Arrays the page might set later through plotly (validated, so copied and not
    registered as the figure's own texts) go through plotly's copy: same JSON, not shared."""
    fig = explore_figure(results)
    n = len(fig.data[-1].x) if fig.data[-1].x is not None else 0
    value = next(i for i, t in enumerate(fig.data) if (t.meta or {}).get("role") == "value")
    points = len(fig.data[value].x)
    fig.data[value].customdata = np.array([[f"row {i}", {"k": i}] for i in range(points)], object)
    fig.data[value].marker.size = np.arange(points, dtype=np.int64)
    fig.data[value].selectedpoints = np.array([0, 2], dtype=np.uint64)
    fig.update_layout(
        xaxis_range=np.array(["2026-02-21", "2026-02-28"], dtype="datetime64[D]"),
        meta=(1, {"a": [2, 3]}),
    )
    fig.add_scatter(
        x=np.array(["2026-02-20", "NaT", "2026-02-22"], dtype="datetime64[D]"),
        y=np.array([1.5, np.nan, np.inf]),
        customdata=np.array([True, False, True]),
        name=f"added after {n}",
    )
    assert _sent(fig) == _plotlys(fig)
    sent = fig.to_dict()
    assert sent["data"][value]["customdata"] is not fig._data[value]["customdata"]
    sent["data"][value]["customdata"][0][1]["k"] = "changed"
    assert fig._data[value]["customdata"][0][1] == {"k": 0}


def test_a_figure_made_again_from_it_is_plotlys(results: pl.DataFrame) -> None:
    """Pickling and deepcopy rebuild the figure from its to_dict: still the same figure."""
    import pickle

    fig = _page_edits(explore_figure(results, view="change"))
    for again in (pickle.loads(pickle.dumps(fig)), deepcopy(fig)):
        assert figure_json(again) == figure_json(fig)


# Bytes whose base64 is "NaNA": an 8-byte float starting with them has "NaN" in its text.
_NAN_IN_BASE64 = float(
    np.frombuffer(base64.b64decode("NaNA") + bytes([0, 0, 0, 0, 0x40]), "<f8")[0]
)


def test_y_with_nan_in_its_base64_goes_as_numbers() -> None:
    """plotly's encoder parses and writes the whole JSON again when its text holds "NaN"
    (`PlotlyJSONEncoder.encode`): an array whose base64 would, goes as a list of the same
    numbers (null for a gap), which plotly.js reads as the same doubles."""
    assert "NaN" in base64.b64encode(np.array([_NAN_IN_BASE64], "<f8")).decode()
    numbers = [1.25, 0.1, 3.0, _NAN_IN_BASE64, None, float("nan"), float("-inf"), 1e-300]
    got = _y_values(pl.DataFrame({"y": numbers}), "y")
    assert isinstance(got, list)
    assert json.loads(json.dumps(got)) == [*numbers[:4], None, None, None, 1e-300]
    # 8 bytes a float: its text is at a 3-byte boundary at every third place only.
    assert _y_values(pl.DataFrame({"y": numbers[1:]}), "y")["dtype"] == "f8"  # type: ignore[index]


@pytest.mark.parametrize("view", ["absolute", "change", "index"])
def test_a_chart_with_such_a_number_has_no_nan_in_its_json(results: pl.DataFrame, view) -> None:
    odd = results.with_columns(
        value=pl.when(pl.col("date") == dt.date(2026, 2, 23))  # the 4th: at byte 24
        .then(pl.lit(_NAN_IN_BASE64))
        .otherwise("value")
    )
    fig = explore_figure(odd, view=view)
    sent = _sent(fig)
    assert "NaN" not in sent and "Infinity" not in sent
    values = [t for t in figure_json(fig)["data"] if (t.get("meta") or {}).get("role") == "value"]
    plotted = [y for t in values for y in t["y"]]
    if view == "absolute":
        assert _NAN_IN_BASE64 in plotted
    assert len(plotted) == results.height
