"""Pages read the stored numbers: the Overview renders its movers and episodes from the stored
rankings (AppTest), and Explore's spike scores are read where a series is one stored series
and computed otherwise, equal either way (semantic.scores.spike_scores decides)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from analytics import spikes
from app_pages.common import clear_caches
from pipelines import store
from semantic import answer, scores
from semantic.request import SeriesRequest

APP = Path(__file__).resolve().parents[2] / "app.py"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


def _overview(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("INSTALLPULSE_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("app_pages/overview.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _write(db: Path, text: str) -> None:
    with store.write_lock, store.connect(db) as con:
        con.execute(text)
        con.fetchall()
    store.release_all()


def test_overview_renders_from_the_stored_rankings(demo_db: Path, monkeypatch):
    # Mark the stored rank-1 row: the page shows what is stored, not a fresh scan.
    _write(
        demo_db,
        "update overview_movers set score = 99.25 where days = 7 and method = 'mean:28' "
        "and rank = 1; update overview_episodes set peak_score = 77.5 "
        "where end_date = (select max(end_date) from overview_episodes)",
    )
    at = _overview(demo_db, monkeypatch)
    movers = at.dataframe[0].value
    assert movers["score"][0] == 99.25
    assert movers.shape[0] == 20 and {"trend", "change_pct", "multiple"} <= set(movers.columns)
    episodes = at.dataframe[1].value
    assert 77.5 in episodes["peak_score"].to_list()
    captions = " ".join(c.value for c in at.caption)
    assert "in the last 90 days of data" in captions

    # Another range and method read their own stored ranking.
    at.selectbox(key="ov_days").set_value(30).run()
    at.selectbox(key="ov_method").set_value("previous-day").run()
    assert not at.exception
    assert "vs the previous day" in " ".join(c.value for c in at.caption)
    assert at.dataframe[0].value["score"][0] != 99.25


def test_overview_scores_on_the_fly_until_a_migrated_file_is_filled(demo_db, monkeypatch):
    _write(demo_db, "delete from overview_movers; update precompute_state set is_filled = false")
    at = _overview(demo_db, monkeypatch)
    movers = at.dataframe[0].value
    assert movers.shape[0] == 20 and movers["score"].abs().max() > 3.5


def _request(countries: list[str], platforms: list[str]) -> SeriesRequest:
    return SeriesRequest.build(
        ["ChatGPT", "Claude"],
        ["uninstalls"],
        date(2026, 2, 1),
        date(2026, 4, 30),
        countries=countries,
        platforms=platforms,
    )


def test_explore_reads_stored_scores_of_one_series_equal_to_computing_them(demo_db: Path):
    request = _request(["US"], ["ios"])
    result = answer.answer(demo_db, request)
    first = request.start - timedelta(days=answer.SPIKE_LOOKBACK)
    frame = result.series.select(*scores.KEYS, "date", "value")
    ids = scores._stored_ids(demo_db, frame, first)
    assert ids.height == 2  # ChatGPT and Claude, US iOS: one stored series each
    read = scores.spike_scores(demo_db, result.series, first, request.end)
    computed = spikes.score(
        frame, window=28, keys=scores.KEYS, weekday_aware="trailing", since=first
    ).filter(pl.col("date") <= request.end)
    assert read.equals(computed.select(read.columns))
    # The chart's markers: the published spike's peak, from the stored scores.
    peaks = result.spikes.filter(pl.col("app") == "ChatGPT")
    assert date(2026, 2, 28) in peaks["date"].to_list()


def test_explore_computes_totals_and_ranges_that_are_not_stored(demo_db: Path):
    # US, iOS + Android: a sum of two stored series, computed.
    request = _request(["US"], [])
    result = answer.answer(demo_db, request)
    first = request.start - timedelta(days=answer.SPIKE_LOOKBACK)
    assert (
        scores._stored_ids(
            demo_db, result.series.select(*scores.KEYS, "date", "value"), first
        ).height
        == 0
    )
    assert result.spikes.height > 0
    # A range older than the stored days: computed too, the same way.
    old = SeriesRequest.build(
        ["ChatGPT"],
        ["uninstalls"],
        date(2025, 6, 1),
        date(2025, 8, 31),
        countries=["US"],
        platforms=["ios"],
    )
    early = old.start - timedelta(days=answer.SPIKE_LOOKBACK)
    series = answer.answer(demo_db, old).series
    assert (
        scores._stored_ids(demo_db, series.select(*scores.KEYS, "date", "value"), early).height == 0
    )
