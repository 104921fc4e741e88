"""Every page runs on an empty and on the demo database; the explorer's main interactions."""

from __future__ import annotations

import json
from datetime import date

import pytest
from app_helpers import PAGES, STORY, figure, open_page

from pipelines import events, sql, store


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_an_empty_database(empty_env, page):
    at = open_page(page)
    assert not at.exception, at.exception


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_on_the_demo_database(demo_env, page):
    at = open_page(page)
    assert not at.exception, at.exception
    if page != "app_pages/events.py":  # the events page lists; it holds no series
        texts = " ".join(e.value for e in at.info)
        assert "Illustrative demo data" in texts, f"{page} must label the synthetic demo"


def test_overview_lists_movers_with_sparklines_and_the_method(demo_env):
    at = open_page("app_pages/overview.py")
    frames = at.dataframe
    assert len(frames) >= 1
    movers = frames[0].value
    assert {"app", "metric", "change_pct", "score", "trend"} <= set(movers.columns)
    captions = " ".join(c.value for c in at.caption)
    assert "vs the mean of the previous 28 days" in captions


def test_explorer_shows_the_published_sentence(demo_env):
    at = open_page("app_pages/explore.py", {**STORY, "day": "2026-02-28"})
    assert not at.exception
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert (
        "ChatGPT (US, iOS+Android) uninstalls: 12,640 on Sat 28 Feb 2026, +295% vs the "
        "previous day (3.95x)" in text
    )


def test_choosing_apps_and_baseline_changes_the_figure(demo_env):
    at = open_page("app_pages/explore.py", STORY)
    before = figure(at)
    names = {t.get("name") for t in before["data"]}
    assert "ChatGPT" in names and "Claude" in names and "Gemini" not in names

    at.multiselect(key="x_apps").set_value(["ChatGPT", "Claude", "Gemini"]).run()
    assert not at.exception
    assert "Gemini" in {t.get("name") for t in figure(at)["data"]}
    assert at.query_params["apps"] == ["ChatGPT", "Claude", "Gemini"]

    at.selectbox(key="x_baseline").set_value("mean:28").run()
    after = figure(at)
    assert "mean of the previous 28 days" in json.dumps(after["layout"]["title"])
    assert after["data"] != before["data"]
    assert at.query_params["baseline"] == "mean:28"


def test_a_new_event_appears_in_the_explorer_figure(demo_env):
    at = open_page("app_pages/explore.py", STORY)
    assert "Pricing change test" not in json.dumps(figure(at))
    events.add(events.Event(date(2026, 3, 10), "Pricing change test", apps=["Claude"]), demo_env)
    at.run()
    assert "Pricing change test" in json.dumps(figure(at)["layout"]["annotations"])


def test_hostile_event_title_is_escaped_in_the_figure(demo_env):
    hostile = '<a href="https://example.com">x</a><script>alert(1)</script>'
    events.add(events.Event(date(2026, 3, 9), hostile), demo_env)
    at = open_page("app_pages/explore.py", STORY)
    spec = json.dumps(figure(at))
    assert "<a href" not in spec and "<script" not in spec
    assert "&lt;a href=" in spec


def test_query_params_restore_the_explorer_view(demo_env):
    query = {
        "apps": ["Claude", "Gemini"],
        "metrics": "downloads",
        "countries": "US",
        "start": "2026-02-01",
        "end": "2026-03-31",
        "baseline": "weekday:4",
        "grain": "day",
        "view": "index",
        "day": "2026-02-28",
    }
    at = open_page("app_pages/explore.py", query)
    assert not at.exception
    assert at.multiselect(key="x_apps").value == ["Claude", "Gemini"]
    assert at.multiselect(key="x_metrics").value == ["downloads"]
    assert at.date_input(key="x_start").value == date(2026, 2, 1)
    assert at.date_input(key="x_end").value == date(2026, 3, 31)
    assert at.selectbox(key="x_baseline").value == "weekday:4"
    assert at.select_slider(key="x_day").value == date(2026, 2, 28)
    spec = figure(at)
    assert spec["layout"]["yaxis"]["title"]["text"].startswith("Index")
    # The page writes back exactly the view it shows: the URL is shareable as is.
    for key, value in query.items():
        assert at.query_params[key] == value


def test_bad_query_params_fall_back_to_defaults(demo_env):
    at = open_page(
        "app_pages/explore.py", {"apps": "NoSuchApp", "start": "yesterday", "baseline": "sideways"}
    )
    assert not at.exception
    assert at.multiselect(key="x_apps").value  # defaults, not an error
    assert at.selectbox(key="x_baseline").value == "previous-day"


def test_week_grain_and_change_view(demo_env):
    at = open_page(
        "app_pages/explore.py", {**STORY, "grain": "week", "baseline": "wow", "view": "change"}
    )
    assert not at.exception
    assert figure(at)["layout"]["yaxis"]["ticksuffix"] == "%"


def test_event_study_page_shows_the_peak_sentence(demo_env):
    at = open_page("app_pages/study.py")
    assert not at.exception
    assert at.get("plotly_chart")
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert "peak +" in text and "day +" in text


def test_events_page_adds_an_event(demo_env):
    at = open_page("app_pages/events.py")
    at.text_input(key="ev_new_title").input("Store feature: Editors' choice")
    at.date_input(key="ev_new_start").set_value(date(2026, 4, 2))
    at.date_input(key="ev_new_end").set_value(date(2026, 4, 2))
    submit = next(b for b in at.button if b.label == "Add event")
    submit.click().run()
    assert not at.exception
    titles = events.list_events(demo_env).get_column("title").to_list()
    assert "Store feature: Editors' choice" in titles


def _coverage_rows(at) -> list[str]:
    heat = next(f for f in (figure(at, i) for i in range(len(at.get("plotly_chart"))))
                if f["data"][0]["type"] == "heatmap")  # fmt: skip
    return heat["data"][0]["y"]


def test_data_coverage_shows_the_chosen_apps(demo_env):
    at = open_page("app_pages/data.py")
    assert not at.exception
    chooser = at.multiselect(key="d_cov_apps")
    # five demo apps: all shown by default (the default is the first 10 alphabetically)
    assert chooser.value == ["ChatGPT", "Claude", "Copilot", "Gemini", "Perplexity"]
    rows = _coverage_rows(at)
    assert {r.split(" · ")[0] for r in rows} == set(chooser.value)
    chooser.set_value(["Claude"]).run()
    assert not at.exception
    rows = _coverage_rows(at)
    assert rows and all(r.startswith("Claude · ") for r in rows)
    assert "Claude · downloads · US" in rows
    heat = next(f for f in (figure(at, i) for i in range(len(at.get("plotly_chart"))))
                if f["data"][0]["type"] == "heatmap")  # fmt: skip
    shares = [v for line in heat["data"][0]["z"] for v in line if v is not None]
    assert shares and all(0 <= v <= 1 for v in shares)
    # a complete February is 1.0 (28 of 28 days), not 28/31
    feb = heat["data"][0]["x"].index("2026-02-01")
    row = heat["data"][0]["y"].index("Claude · downloads · US")
    assert heat["data"][0]["z"][row][feb] == 1.0
    assert heat["data"][0]["customdata"][row][feb] == "28 of 28 days"
    assert any("Showing 1 of 5 apps" in c.value for c in at.caption)
    at.multiselect(key="d_cov_apps").set_value([]).run()
    assert not at.exception
    assert any("Choose one or more apps" in i.value for i in at.info)


def test_database_page_lists_holdings_per_app_and_metric(demo_env):
    at = open_page("app_pages/database.py")
    assert not at.exception
    holdings = at.dataframe[0].value
    claude = holdings[(holdings["app"] == "Claude") & (holdings["metric"] == "downloads")]
    assert len(claude) == 1
    row = claude.iloc[0]
    # demo: Claude downloads in US, GB, DE, IN, BR, 2025-01-01..2026-04-30 (485 days)
    assert (row["countries"], str(row["first_date"])[:10], str(row["last_date"])[:10]) == (
        5,
        "2025-01-01",
        "2026-04-30",
    )
    # the per-series pre-aggregation adds up to the row counts of the documented view
    with store.connect(demo_env) as con:
        expected = sql.run_text(
            con,
            "select count(*), count(value) from daily_metrics "
            "where app = 'Claude' and metric = 'downloads'",
        )[0]
    assert (row["rows"], row["values_present"]) == expected
    # Counts shown with thousands separators (4,850 like the sidebar's 58,191, not 4850).
    for table, columns in ((0, ("rows", "values_present")), (1, ("rows_written",))):
        config = json.loads(at.dataframe[table].proto.columns)
        assert {c: config[c]["type_config"]["format"] for c in columns} == dict.fromkeys(
            columns, "localized"
        )
