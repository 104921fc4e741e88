"""The one rounding rule, hand-worked at its boundaries, and the table view of it.

Rule (analytics/formatting.py, README "Methodology"): percent to the integer, multiple to two
decimals, count to the unit, half away from zero, the tie judged on the decimal a person reads
(not on the binary float), zero unsigned, missing -> "n/a".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from analytics.formatting import (
    NA,
    display_frame,
    fmt_change,
    fmt_column,
    fmt_count,
    fmt_int,
    fmt_multiple,
    fmt_offset,
    fmt_pct,
    fmt_score,
    fmt_value,
    round_half_away,
)


@pytest.mark.parametrize(
    ("change", "text"),
    [
        (0.145, "+15%"),  # the float is 0.14499999999999999; a person reads 14.5% -> 15%
        (-0.145, "-15%"),  # away from zero, symmetric
        (0.005, "+1%"),  # 0.5% is a tie: away from zero
        (-0.005, "-1%"),
        (0.0049, "0%"),
        (2.95, "+295%"),  # 2.95 * 100 is 295.00000000000006 in binary
        (0.0, "0%"),  # zero has no sign
        (-0.0, "0%"),
        (-0.004, "0%"),  # rounds to zero: never "-0%"
        (0.004, "0%"),  # never "+0%"
        (1145 / 1000 - 1, "+15%"),  # 0.14500000000000002 as computed
        (1005 / 1000 - 1, "+1%"),  # 0.004999999999999893 as computed; 1,005 vs 1,000 is +0.5%
        (995 / 1000 - 1, "-1%"),  # -0.0050000000000000044 as computed: -0.5%
        (4579 / 4000 - 1, "+14%"),  # 0.14475: below the tie, stays down
        (12640 / 3200 - 1, "+295%"),
        (None, "n/a"),
        (float("nan"), "n/a"),
        (float("-inf"), "n/a"),
    ],
)
def test_percent_boundaries(change: float | None, text: str) -> None:
    assert fmt_pct(change) == text


@pytest.mark.parametrize(
    ("multiple", "text"),
    [
        (0.865, "0.87x"),  # the float is 0.86499999999999999; binary rounding says 0.86x
        (3.95, "3.95x"),
        (12640 / 3200, "3.95x"),
        (1.005, "1.01x"),  # the float is 1.00499999999999989
        (0.855, "0.86x"),
        (1, "1.00x"),
        (0, "0.00x"),
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_multiple_boundaries(multiple: float | None, text: str) -> None:
    assert fmt_multiple(multiple) == text


def test_binary_rounding_would_disagree_which_is_why_the_rule_exists() -> None:
    # What Python's format (and d3/JavaScript) print for the same floats: the bug of issue 10.
    assert f"{0.145 * 100:+.0f}%" == "+14%"
    assert f"{0.865:.2f}x" == "0.86x"
    assert (fmt_pct(0.145), fmt_multiple(0.865)) == ("+15%", "0.87x")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12640, "12,640"),
        (12640.0, "12,640"),
        (12640.5, "12,641"),  # half away from zero
        (-12640.5, "-12,641"),
        (-0.4, "0"),  # never "-0"
        (None, "n/a"),
        (float("nan"), "n/a"),
        (10**18 + 1, "1,000,000,000,000,000,001"),  # an int is exact, not via float
    ],
)
def test_counts(value: float | None, text: str) -> None:
    assert fmt_int(value) == text
    assert fmt_count(value) == text


def test_values_baselines_scores_offsets_and_changes() -> None:
    assert fmt_value(12640.0) == "12,640"
    assert fmt_value(1003.5714285714286) == "1,003.57"  # a mean:28 baseline
    assert fmt_value(4.125) == "4.13"  # the float is 4.125 exactly; away from zero
    assert fmt_value(None) == NA
    assert fmt_score(9.46) == "+9.5"
    assert fmt_score(-3.25) == "-3.3"
    assert fmt_score(0.04) == "0.0"
    assert fmt_offset(-3) == "-3" and fmt_offset(0) == "0" and fmt_offset(3) == "+3"
    assert fmt_change(2.95, 3.95) == "+295% (3.95x)"
    assert fmt_change(0.145) == "+15% (1.15x)"  # multiple derived in decimal: 1.145 -> 1.15x
    assert fmt_change(None, 1.2) == NA


def test_round_half_away_is_the_one_primitive() -> None:
    assert round_half_away(Decimal("14.5"), 0) == 15
    assert round_half_away(Decimal("-14.5"), 0) == -15
    # 100 x (1005 / 1000 - 1) as computed in binary: +0.5% plus noise, so 1, like by hand.
    assert round_half_away(Decimal("0.4999999999999893"), 0) == 1
    assert round_half_away(Decimal("0.4999"), 0) == 0  # a real difference stays
    assert str(round_half_away(Decimal("-0.001"), 0)) == "0"  # no negative zero


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("change", 0.145, "+15%"),
        ("peak_change", -0.145, "-15%"),
        ("typical_change", 0.09, "9%"),  # a magnitude, as in the sentences
        ("multiple", 0.865, "0.87x"),
        ("peak_multiple", 3.95, "3.95x"),
        ("share_pct", 0.145, "15%"),
        ("score", 9.46, "+9.5"),
        ("peak_score", -3.25, "-3.3"),
        ("offset", -3, "-3"),
        ("import_id", 12640, "12640"),  # an id is not a count
        ("value", 12640.0, "12,640"),
        ("baseline", 1003.5714285714286, "1,003.57"),
        ("date", date(2026, 2, 28), "Sat 28 Feb 2026"),
        ("change", None, "n/a"),
        ("change", float("nan"), "n/a"),
    ],
)
def test_fmt_column_by_name(name: str, value: object, text: str) -> None:
    assert fmt_column(name, value) == text


def test_display_frame_shows_exactly_the_module_strings() -> None:
    frame = pl.DataFrame(
        {
            "app": ["ChatGPT", "Claude", "A"],
            "date": [date(2026, 2, 27), date(2026, 2, 28), None],
            "value": [1145.0, 12640.0, None],
            "baseline": [1000.0, 3200.0, None],
            "change": [0.145, 12640 / 3200 - 1, float("nan")],
            "multiple": [1.145, 0.865, None],
            "typical_change": [0.09, None, 0.005],
            "score": [9.46, -3.25, None],
            "is_partial": [False, True, None],
            "values_present": [12640, 3, 0],
            "trend": [[1.0, 2.0], [3.0], None],
        }
    )
    out = display_frame(frame)
    assert out.columns == frame.columns
    assert out.get_column("change").to_list() == ["+15%", "+295%", "n/a"]
    assert out.get_column("multiple").to_list() == ["1.15x", "0.87x", "n/a"]
    assert out.get_column("typical_change").to_list() == ["9%", "n/a", "1%"]
    assert out.get_column("value").to_list() == ["1,145", "12,640", "n/a"]
    assert out.get_column("baseline").to_list() == ["1,000", "3,200", "n/a"]
    assert out.get_column("score").to_list() == ["+9.5", "-3.3", "n/a"]
    assert out.get_column("values_present").to_list() == ["12,640", "3", "0"]
    # Text, flags, lists and dates are left for the table to show (and sort) as they are.
    for kept in ("app", "is_partial", "trend", "date"):
        assert out.get_column(kept).to_list() == frame.get_column(kept).to_list()
    assert out.schema["date"] == pl.Date
    dated = display_frame(frame, dates=True)
    assert dated.get_column("date").to_list() == ["Fri 27 Feb 2026", "Sat 28 Feb 2026", "n/a"]
    # Cell by cell, the table says what fmt_column says.
    for name in ("change", "multiple", "value", "score"):
        expected = [fmt_column(name, v) for v in frame.get_column(name).to_list()]
        assert out.get_column(name).to_list() == expected
