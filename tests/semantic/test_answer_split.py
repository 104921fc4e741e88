"""An answer in two parts: what a request reads (``answer.read``: the totals and the spike
peaks) does not depend on its baseline method but through the first day read, so the page
keeps a reading per ``answer.read_key`` and a change of baseline computes only the numbers
(``answer.from_reading``). The CLI's ``answer`` is the same two calls.

First days read, by hand, for a range starting Sun 1 Mar 2026 (2026 is not a leap year):
at day grain the spike scores need 29 + 34 = 63 days (31 for the typical change without
spikes); previous-day (1), mean:28 (28), weekday:4 (28), wow (7) and mom (31) reach less far,
so they read from 63 days back, 28 Dec 2025 (59 days back is 1 Jan). yoy needs 366 days: 28
Feb 2025. At week grain, wow needs the first week's start and a week, 6 + 7 = 13 days (16 Feb
2026); yoy 6 + 371 = 377 days (17 Feb 2025).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from analytics import baselines
from semantic import answer
from semantic.request import SeriesRequest

START, END = date(2026, 3, 1), date(2026, 3, 14)


def _request(method: str, grain: str = "day") -> SeriesRequest:
    return SeriesRequest.build(
        ["ChatGPT", "Claude"], ["uninstalls"], START, END, countries=["US"], method=method,
        grain=grain,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "grain", "spikes", "first"),
    [
        ("previous-day", "day", True, date(2025, 12, 28)),
        ("mean:28", "day", True, date(2025, 12, 28)),
        ("weekday:4", "day", True, date(2025, 12, 28)),
        ("wow", "day", True, date(2025, 12, 28)),
        ("mom", "day", True, date(2025, 12, 28)),
        ("yoy", "day", True, date(2025, 2, 28)),
        ("previous-day", "day", False, date(2026, 1, 29)),
        ("wow", "week", True, date(2026, 2, 16)),
        ("yoy", "week", True, date(2025, 2, 17)),
    ],
)
def test_first_day_read_by_hand(method: str, grain: str, spikes: bool, first: date) -> None:
    assert answer.first_day_read(_request(method, grain), with_spikes=spikes) == first


def test_the_key_leaves_out_the_method_but_not_what_it_moves() -> None:
    key = answer.read_key(_request("previous-day"))
    for method in ("mean:28", "median:28", "weekday:4", "wow", "mom"):
        assert answer.read_key(_request(method)) == key
    assert answer.read_key(_request("yoy")) != key  # reads a year further back
    assert answer.read_key(_request("wow", "week")) != answer.read_key(_request("yoy", "week"))
    assert answer.read_key(_request("previous-day"), with_spikes=False) != key
    # every other field of the request is in the key
    assert answer.read_key(replace(_request("previous-day"), end=date(2026, 3, 13))) != key
    assert answer.read_key(replace(_request("previous-day"), prefer=("sensortower",))) != key
    hash(key)  # a cache key


def test_a_reading_answers_every_method_with_its_key(demo_db: Path) -> None:
    reading = answer.read(demo_db, _request("previous-day"))
    assert reading.series.height and reading.spikes.height
    for method in ("mean:28", "wow", "previous-day"):
        request = _request(method)
        from_reading = answer.from_reading(reading, request)
        fresh = answer.answer(demo_db, request)
        assert from_reading.request == request
        assert_frame_equal(from_reading.results, fresh.results)
        assert_frame_equal(from_reading.series, fresh.series)
        assert_frame_equal(from_reading.spikes, fresh.spikes)
        assert from_reading.kinds == fresh.kinds
        assert set(from_reading.results.get_column("method").to_list()) == {
            baselines.parse_method(method).name
        }


def test_the_reading_keeps_the_typical_change_which_no_method_changes(demo_db: Path) -> None:
    request = _request("mean:28")
    reading = answer.read(demo_db, request)
    assert reading.extras is not None
    assert_frame_equal(reading.extras, answer.day_extras(reading.series))
    # the numbers from the kept extras are the numbers made without them
    kept = answer.numbers(reading.series, request, reading.kinds, extras=reading.extras)
    assert_frame_equal(kept, answer.numbers(reading.series, request, reading.kinds))
    assert kept.get_column("typical_change").drop_nulls().len() == kept.height
    weekly = answer.read(demo_db, _request("wow", "week"))
    assert weekly.extras is None
    results = answer.from_reading(weekly, _request("wow", "week")).results
    assert results.height and results.get_column("typical_change").null_count() == results.height
