"""The "Check a figure" page (AppTest): it opens on the demo's published figure, shows the
paragraph, the chart and the table, keeps its state in the URL, and refuses bad claims with a
sentence. Plus its Streamlit-free parts: the state <-> query string and the chart."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from app_helpers import figure, open_page

from charts.check import baseline_name, check_figure
from semantic.claims import CheckState

PAGE = "app_pages/check.py"
PARAGRAPH_START = (
    "ChatGPT (US, iOS+Android) uninstalls +295% on Sat 28 Feb 2026: reproduced against the "
    "previous day (12,640 vs 3,200, 3.95x). Against an average day (the mean of the previous 28 "
    "days) it is +324% (12,640 vs 2,981.75, 4.24x)."
)


def test_opens_on_the_published_figure(demo_env):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    assert at.code[0].value.startswith(PARAGRAPH_START)
    assert "Illustrative demo data" in " ".join(i.value for i in at.info)
    assert at.success[0].value == "Reproduced by 1 of the 7 baselines in the slice as claimed."
    # The URL carries the check.
    assert at.query_params["claim"] == "+295%"
    assert at.query_params["day"] == "2026-02-28"
    assert at.query_params["countries"] == "US"
    table = at.dataframe[0].value
    first = table.iloc[0]
    assert (first["slice"], first["method_label"], first["change"], first["claimed"]) == (
        "as claimed", "vs the previous day", "+295%", "+295%",
    )  # fmt: skip
    assert bool(first["reproduces"]) is True
    assert len(table) == 28
    fig = figure(at)
    bars = {t["name"]: t for t in fig["data"]}
    assert bars["reproduces +295%"]["y"] == ["Previous day"]
    assert bars["reproduces +295%"]["x"] == [3200.0]
    assert bars["does not reproduce it"]["text"][0] == "+324% (4.24x)"


def test_a_shared_url_restores_the_check(demo_env):
    query = {
        "app": "ChatGPT",
        "metric": "uninstalls",
        "countries": "US",
        "platforms": "ios",
        "day": "2026-02-28",
        "claim": "+291%",
        "words": "nearly four times as many",
    }
    at = open_page(PAGE, query)
    assert not at.exception, at.exception
    assert at.text_input(key="ck_claim").value == "+291%"
    assert at.multiselect(key="ck_platforms").value == ["ios"]
    paragraph = at.code[0].value
    # iOS alone: 7,284 vs 1,864 = 3.9077x, +291%.
    assert paragraph.startswith(
        "ChatGPT (US, iOS) uninstalls +291% on Sat 28 Feb 2026: reproduced against the previous "
        "day (7,284 vs 1,864, 3.91x)."
    )
    assert "'nearly four times as many' fits +291%." in paragraph


def test_typing_a_claim_changes_the_check_and_the_url(demo_env):
    at = open_page(PAGE)
    at.text_input(key="ck_claim").set_value("+324%").run()
    assert not at.exception, at.exception
    assert at.query_params["claim"] == "+324%"
    assert at.code[0].value.startswith(
        "ChatGPT (US, iOS+Android) uninstalls +324% on Sat 28 Feb 2026: reproduced against the "
        "mean of the previous 28 days (12,640 vs 2,981.75, 4.24x)."
    )


def test_a_bad_claim_is_a_sentence(demo_env):
    at = open_page(PAGE)
    at.text_input(key="ck_claim").set_value("a lot").run()
    assert not at.exception, at.exception
    assert "No figure found in" in at.error[0].value.replace("\\", "")
    assert not at.code


def test_empty_database(empty_env):
    at = open_page(PAGE)
    assert not at.exception, at.exception
    assert "holds no series yet" in at.info[0].value


def test_state_round_trip() -> None:
    state = CheckState("ChatGPT", "uninstalls", ["US"], [], date(2026, 2, 28), "+295%", "")
    params = state.to_params()
    assert params == {
        "app": "ChatGPT",
        "metric": "uninstalls",
        "countries": ["US"],
        "day": "2026-02-28",
        "claim": "+295%",
    }
    assert CheckState.from_params(params) == state
    bad = CheckState.from_params({"day": "2026-02-31", "countries": ["us", "us"]})
    assert bad.day is None and bad.countries == ["US"]


def test_sanitize_falls_back_to_what_the_database_holds() -> None:
    options = {
        "apps": ["A", "ChatGPT"],
        "metrics": ["downloads", "uninstalls"],
        "countries": ["US"],
        "platforms": ["ios"],
        "first_date": date(2026, 1, 1),
        "last_date": date(2026, 3, 1),
    }
    demo = CheckState().sanitize(options, demo=True)
    assert (demo.app, demo.metric, demo.countries, demo.day, demo.claim) == (
        "ChatGPT", "uninstalls", ["US"], date(2026, 2, 28), "+295%",
    )  # fmt: skip
    other = CheckState(app="Nope", countries=["DE"], day=date(2020, 1, 1)).sanitize(options)
    assert (other.app, other.metric, other.countries, other.day, other.claim) == (
        "A", "uninstalls", [], date(2026, 3, 1), "",
    )  # fmt: skip


def test_chart_escapes_user_text_and_uses_formatted_numbers() -> None:
    rows = pl.DataFrame(
        {
            "method_label": ["vs the previous day", "vs the same date a year earlier"],
            "value": [12640.0, 12640.0],
            "baseline": [3200.0, None],
            "change": [2.95, None],
            "multiple": [3.95, None],
            "reproduces": [True, False],
            "reason": [None, "no observation on the same date a year earlier"],
        }
    )
    fig = check_figure(rows, "<a href='x'>+295%</a>", date(2026, 2, 28), title="<b>App</b>")
    data = fig.to_plotly_json()
    bar = data["data"][0]
    assert bar["name"] == "reproduces &lt;a href='x'&gt;+295%&lt;/a&gt;"
    assert bar["text"] == ["+295% (3.95x)"]
    assert bar["customdata"][0][:3] == ["Previous day", "3,200", "12,640"]
    assert data["layout"]["title"]["text"] == "&lt;b&gt;App&lt;/b&gt;"
    notes = [a["text"] for a in data["layout"]["annotations"]]
    assert "no baseline: no observation on the same date a year earlier" in notes
    assert "Sat 28 Feb 2026: 12,640" in notes
    assert baseline_name("vs the mean of the previous 28 days") == "Mean of the previous 28 days"


def test_chart_refuses_a_frame_without_its_columns() -> None:
    with pytest.raises(ValueError, match="missing column"):
        check_figure(pl.DataFrame({"value": [1.0]}), "+1%", date(2026, 1, 1))
