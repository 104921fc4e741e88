"""Index, share, crossovers and lagged correlation, worked out by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest
from analytics_helpers import SKIP, d, row, series

from analytics.compare import crossovers, index_to_100, lagged_correlation, share


def test_index_to_a_date_each_series_its_own_base() -> None:
    frame = pl.concat(
        [series([50, 100, 75], "2026-02-01", app="A"), series([SKIP, 8, 4], "2026-02-01", app="B")]
    )
    out = index_to_100(frame, d("2026-02-01"))
    assert out.filter(pl.col("app") == "A")["index"].to_list() == [100.0, 200.0, 150.0]  # /50
    b = row(out, "2026-02-02", app="B")
    assert b["index"] is None and b["index_reason"] == "no observation on 2026-02-01"
    first = index_to_100(frame, "first")
    assert row(first, "2026-02-03", app="B")["index"] == pytest.approx(50.0)  # 100 * 4 / 8


def test_index_to_a_window_mean_and_zero_base() -> None:
    frame = series([50, 100, 75], "2026-02-01")
    out = index_to_100(frame, "window:2026-02-01..2026-02-02")  # mean (50 + 100) / 2 = 75
    assert row(out, "2026-02-03")["index"] == pytest.approx(100.0)
    assert row(out, "2026-02-01")["index"] == pytest.approx(100 * 50 / 75)
    same = index_to_100(frame, (d("2026-02-01"), d("2026-02-02")))
    assert same["index"].to_list() == out["index"].to_list()
    zero = index_to_100(series([0, 5], "2026-02-01"), d("2026-02-01"))
    assert zero["index"].to_list() == [None, None]
    assert zero["index_reason"].to_list() == ["base is zero", "base is zero"]
    with pytest.raises(ValueError, match="needs a date"):
        index_to_100(frame, "mean:28")


def test_share_needs_every_member_observed() -> None:
    frame = pl.concat(
        [
            series([30, 30, 20], "2026-02-01", app="A", country="US"),
            series([10, None, SKIP], "2026-02-01", app="B", country="US"),
            series([7], "2026-02-01", app="A", country="GB"),  # GB has one member only
        ]
    )
    out = share(frame)
    assert row(out, "2026-02-01", app="A", country="US")["share_pct"] == pytest.approx(0.75)
    assert row(out, "2026-02-01", app="B", country="US")["share_pct"] == pytest.approx(0.25)
    assert row(out, "2026-02-01", app="A", country="US")["total"] == 40  # 30 + 10, not + GB's 7
    feb2 = row(out, "2026-02-02", app="A", country="US")
    assert feb2["share_pct"] is None  # B blank: A does not get 100%
    assert feb2["share_reason"] == "only 1 of 2 app values observed on this day"
    assert row(out, "2026-02-03", app="A", country="US")["share_pct"] is None  # B absent
    assert row(out, "2026-02-01", app="A", country="GB")["share_pct"] == pytest.approx(1.0)


def test_crossovers_first_time_and_again() -> None:
    frame = pl.concat(
        [
            series([100] * 5, "2026-02-01", app="ChatGPT", country="US"),
            series([80, 90, 110, 95, 120], "2026-02-01", app="Claude", country="US"),
            # GB: Claude starts above, drops, comes back: a crossover, but not a first time.
            series([100, 100, 100], "2026-02-01", app="ChatGPT", country="GB"),
            series([120, 90, 110], "2026-02-01", app="Claude", country="GB"),
            # DE: a NULL day is skipped: 3 Feb is compared with 1 Feb.
            series([100, 100, 100], "2026-02-01", app="ChatGPT", country="DE"),
            series([80, None, 110], "2026-02-01", app="Claude", country="DE"),
        ]
    )
    out = crossovers(frame, "Claude", "ChatGPT").sort("country", "date")
    got = out.select("country", "date", "previous_date", "is_first").rows()
    assert got == [
        ("DE", d("2026-02-03"), d("2026-02-01"), True),
        ("GB", d("2026-02-03"), d("2026-02-02"), False),  # above on 1 Feb already
        ("US", d("2026-02-03"), d("2026-02-02"), True),  # 90 <= 100, then 110 > 100
        ("US", d("2026-02-05"), d("2026-02-04"), False),  # 95 <= 100, then 120 > 100
    ]
    us = out.filter(pl.col("country") == "US").row(0, named=True)
    assert (us["a"], us["b"], us["value_a"], us["value_b"]) == ("Claude", "ChatGPT", 110, 100)
    assert us["first_date"] == d("2026-02-01")


def test_equal_is_not_above() -> None:
    frame = pl.concat(
        [
            series([100, 100, 100], "2026-02-01", app="X"),
            series([90, 100, 101], "2026-02-01", app="Y"),
        ]
    )
    out = crossovers(frame, "Y", "X")
    assert out["date"].to_list() == [d("2026-02-03")]  # 100 == 100 is not a crossover


def pearson(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))
    return num / den


def test_lagged_correlation_on_values_by_hand() -> None:
    a = series([1, 2, 3, 4], "2026-02-01", app="A")  # 1..4 Feb
    b = series([2, 1, 4, 3], "2026-02-02", app="B")  # 2..5 Feb
    out = lagged_correlation(a, b, lags=[-1, 0, 1], on="value")
    by_lag = {r["lag"]: r for r in out.rows(named=True)}
    # lag +1: (a_t, b_t+1) = (1,2), (2,1), (3,4), (4,3): dx = -1.5,-.5,.5,1.5; dy = -.5,-1.5,1.5,.5
    # sum dx*dy = 3, sum dx^2 = sum dy^2 = 5 -> r = 3 / 5 = 0.6
    assert by_lag[1]["correlation"] == pytest.approx(0.6) and by_lag[1]["n"] == 4
    # lag 0: 2..4 Feb: a = 2, 3, 4; b = 2, 1, 4 -> r = 2 / sqrt(2 * 42 / 9) = 0.6547
    assert by_lag[0]["correlation"] == pytest.approx(2 / math.sqrt(2 * 42 / 9))
    assert by_lag[0]["correlation"] == pytest.approx(pearson([2, 3, 4], [2, 1, 4]))
    assert by_lag[-1]["n"] == 2 and by_lag[-1]["correlation"] is None  # fewer than 3 pairs


def test_lagged_correlation_on_changes_b_follows_a_by_one_day() -> None:
    # a changes: 2 Feb +0.1, 3 Feb -0.1, 4 Feb 0, 5 Feb +1.0
    a = series([100, 110, 99, 99, 198], "2026-02-01")
    # b changes: 3 Feb +0.1, 4 Feb -0.1, 5 Feb 0, 6 Feb +1.0: a's moves one day later
    b = series([50, 50, 55, 49.5, 49.5, 99], "2026-02-01")
    out = lagged_correlation(a, b, lags=[0, 1])
    by_lag = {r["lag"]: r for r in out.rows(named=True)}
    assert by_lag[1]["correlation"] == pytest.approx(1.0) and by_lag[1]["n"] == 4
    # lag 0: a (0.1, -0.1, 0, 1) vs b (0, 0.1, -0.1, 0) on 2..5 Feb
    assert by_lag[0]["correlation"] == pytest.approx(
        pearson([0.1, -0.1, 0.0, 1.0], [0.0, 0.1, -0.1, 0.0])
    )


def test_lagged_correlation_pairs_series_by_keys_or_refuses() -> None:
    two = pl.concat(
        [series([1, 2, 3], "2026-02-01", app="A"), series([3, 1, 2], "2026-02-01", app="B")]
    )
    with pytest.raises(ValueError, match="holds 2 series"):
        lagged_correlation(two, two)
    a = pl.concat(
        [
            series([1, 2, 3, 4], "2026-02-01", country="US"),
            series([1, 2, 3, 4], "2026-02-01", country="GB"),
        ]
    )
    b = pl.concat(
        [
            series([2, 4, 6, 8], "2026-02-01", country="US"),
            series([4, 3, 2, 1], "2026-02-01", country="GB"),
        ]
    )
    out = lagged_correlation(a, b, lags=[0], on="value", keys=["country"]).sort("country")
    assert out["correlation"].to_list() == [pytest.approx(-1.0), pytest.approx(1.0)]  # GB, US
