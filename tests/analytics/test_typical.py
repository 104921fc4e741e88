"""Typical day-over-day change, worked out by hand."""

from __future__ import annotations

import polars as pl
import pytest
from analytics_helpers import SKIP, row, series

from analytics.typical import default_min_pairs, typical_change


def test_default_minimum_is_two_thirds_of_the_window() -> None:
    assert default_min_pairs(30) == 20  # ceil(2 * 30 / 3)
    assert default_min_pairs(4) == 3  # ceil(8 / 3)


def test_mean_absolute_change_over_the_pairs_before_the_day() -> None:
    # 1..6 Feb: 100, 110, 99, 99, 198, 5000 (the 6th must not enter its own typical).
    # Pairs: 2 Feb |110/100-1| = 0.1, 3 Feb |99/110-1| = 0.1, 4 Feb 0, 5 Feb |198/99-1| = 1.
    frame = series([100, 110, 99, 99, 198, 5000], "2026-02-01")
    out = typical_change(frame, window=4)
    r6 = row(out, "2026-02-06")  # pairs t = 2..5 Feb: (0.1 + 0.1 + 0 + 1) / 4 = 0.3
    assert r6["typical_change"] == pytest.approx(0.3)
    assert r6["typical_obs"] == 4
    r5 = row(out, "2026-02-05")  # pairs t = 1..4 Feb; 1 Feb has no pair: (0.1+0.1+0) / 3
    assert r5["typical_change"] == pytest.approx(0.2 / 3)
    r4 = row(out, "2026-02-04")  # pairs t = 31 Jan..3 Feb: only 2 Feb and 3 Feb
    assert r4["typical_change"] is None
    assert r4["typical_reason"] == "only 2 of 4 day-over-day changes observed (minimum 3)"


def test_gaps_break_pairs_and_zero_is_not_a_pair() -> None:
    # 1..7 Feb: 100, 120, absent, 90, NULL, 0, 50. Pairs: 2 Feb = 0.2 only
    # (3 Feb absent kills 3 and 4 Feb; 5 Feb NULL kills 5 and 6 Feb; 7 Feb from 0: no pair).
    frame = series([100, 120, SKIP, 90, None, 0, 50, 60], "2026-02-01")
    r = row(typical_change(frame, window=7, min_pairs=1), "2026-02-08")
    assert r["typical_obs"] == 1
    assert r["typical_change"] == pytest.approx(0.2)


def test_thirty_day_typical_nine_percent() -> None:
    # Alternating +9% / -9% moves: every |v_t / v_(t-1) - 1| is 0.09, so the mean is 9%.
    values = [10000.0]
    for i in range(30):
        values.append(values[-1] * (1.09 if i % 2 == 0 else 0.91))
    values.append(99999.0)  # the day itself (31 pairs back), a spike that must not count
    frame = series(values, "2026-01-28", app="ChatGPT")  # 28 Jan .. 28 Feb 2026
    r = row(typical_change(frame), "2026-02-28")
    assert r["typical_obs"] == 30  # t = 29 Jan .. 27 Feb
    assert r["typical_change"] == pytest.approx(0.09)


def test_keeps_other_columns_and_series_apart() -> None:
    a = series([100, 200, 100], "2026-02-01", app="A")  # pairs 1.0, 0.5
    b = series([10, 11, 10], "2026-02-01", app="B")  # pairs 0.1, 1/11
    frame = pl.concat([a, b]).with_columns(note=pl.lit("x"))
    out = typical_change(frame, window=3, min_pairs=2, keys=["app"])
    assert out.columns == [
        "app",
        "date",
        "value",
        "note",
        "typical_change",
        "typical_obs",
        "typical_reason",
    ]
    # Typical is for the day after the pairs; add 4 Feb rows to read them.
    frame4 = pl.concat(
        [
            frame,
            pl.concat(
                [series([1], "2026-02-04", app="A"), series([1], "2026-02-04", app="B")]
            ).with_columns(note=pl.lit("x")),
        ]
    )
    out4 = typical_change(frame4, window=3, min_pairs=2, keys=["app"])
    assert row(out4, "2026-02-04", app="A")["typical_change"] == pytest.approx(0.75)  # (1+0.5)/2
    assert row(out4, "2026-02-04", app="B")["typical_change"] == pytest.approx((0.1 + 1 / 11) / 2)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="min_pairs"):
        typical_change(series([1, 2], "2026-02-01"), window=4, min_pairs=5)


def test_same_bits_whatever_the_first_day_read() -> None:
    # The CLI reads 31 days before its range, the Explore page more (for the spike scores):
    # the typical change of a day must not depend on it. A rolling mean slides by adding and
    # subtracting, so its last bits did (0.08992152190880356 vs ...355 on the demo's 28 Feb).
    # Here: the mean of the 30 pairs before 1 Jul 2026 (= day 180), added oldest first, as
    # plain Python adds them.
    values = [1000.0 + (i * 37) % 101 + (i % 7) * 13 for i in range(181)]
    pairs = [abs(values[t] / values[t - 1] - 1) for t in range(150, 180)]
    expected = sum(pairs) / 30
    full = series(values, "2026-01-02")  # day 180 = 1 Jul 2026
    for first in range(0, 150, 7):  # read from day 0, 7, ..., 147 (31 days back at least)
        got = row(typical_change(full.slice(first)), "2026-07-01")
        assert got["typical_obs"] == 30
        assert got["typical_change"] == expected, first  # exact: one fixed order of addition


def test_a_series_shorter_than_the_window() -> None:
    # 1..3 Feb: 100, 150, 120; window 30, at least 1 pair. 3 Feb: the pair of 2 Feb, 0.5.
    out = typical_change(series([100, 150, 120], "2026-02-01"), window=30, min_pairs=1)
    assert row(out, "2026-02-03")["typical_change"] == 0.5
    assert row(out, "2026-02-01")["typical_change"] is None  # no pair before it
