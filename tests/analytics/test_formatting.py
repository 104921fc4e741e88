"""Formatting: exact strings, and % never confused with x."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.formatting import (
    fmt_column,
    fmt_date,
    fmt_int,
    fmt_metric,
    fmt_month,
    fmt_multiple,
    fmt_number,
    fmt_pct,
    fmt_platforms,
    fmt_scope,
    fmt_share,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [(12640, "12,640"), (12640.4, "12,640"), (0, "0"), (-3200, "-3,200"), (None, "n/a")],
)
def test_fmt_int(value: float | None, text: str) -> None:
    assert fmt_int(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.95, "+295%"),  # 12,640 / 3,200 - 1
        (12640 / 3200 - 1, "+295%"),
        (-0.13, "-13%"),
        (0.0, "0%"),
        (-0.001, "0%"),  # rounds to zero: no "-0%"
        (0.145, "+15%"),  # half away from zero on the decimal value
        (-0.145, "-15%"),
        (7.75, "+775%"),
        (0.14, "+14%"),
        (-0.05, "-5%"),
        (0.37, "+37%"),
        (0.51, "+51%"),
        (1.0, "+100%"),
        (4.13, "+413%"),
        (1.32, "+132%"),
        (None, "n/a"),
        (float("nan"), "n/a"),
        (float("inf"), "n/a"),
    ],
)
def test_fmt_pct_signed_integer_percent(value: float | None, text: str) -> None:
    assert fmt_pct(value) == text


def test_fmt_pct_precision_and_unsigned() -> None:
    assert fmt_pct(0.0912, 1) == "+9.1%"
    assert fmt_pct(0.09, signed=False) == "9%"
    assert fmt_pct(-0.09, signed=False) == "-9%"  # unsigned drops "+", never a real sign
    assert fmt_pct(12.5) == "+1,250%"


def test_multiple_is_not_a_percent() -> None:
    assert fmt_multiple(3.95) == "3.95x"
    assert fmt_multiple(12640 / 3200) == "3.95x"
    assert fmt_multiple(1) == "1.00x"
    assert fmt_multiple(0.8751, 1) == "0.9x"
    assert fmt_multiple(None) == "n/a"
    # The same comparison: +295% is 3.95x, not "nearly three times".
    assert fmt_pct(3.95 - 1) == "+295%"


def test_fmt_share_and_number() -> None:
    assert fmt_share(0.523) == "52%"
    assert fmt_share(0.5234, 1) == "52.3%"
    assert fmt_number(1234.5678, 2) == "1,234.57"


def test_fmt_date_and_month() -> None:
    assert fmt_date(date(2026, 2, 28)) == "Sat 28 Feb 2026"
    assert fmt_date(date(2026, 3, 2)) == "Mon 2 Mar 2026"
    assert fmt_month(date(2026, 3, 1)) == "Mar 2026"
    assert fmt_date(None) == "n/a"


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [
        ("change", 2.95, "+295%"),
        ("peak_change", -0.13, "-13%"),
        ("multiple", 3.95, "3.95x"),
        ("share_pct", 0.25, "25%"),
        ("date", date(2026, 2, 28), "Sat 28 Feb 2026"),
        ("peak_date", date(2026, 2, 27), "Fri 27 Feb 2026"),
        ("value", 12640.0, "12,640"),
        ("value", 4.25, "4.25"),
        ("is_partial", True, "yes"),
        ("app", "ChatGPT", "ChatGPT"),
        ("value", None, "n/a"),
    ],
)
def test_fmt_column_by_suffix(name: str, value: object, text: str) -> None:
    assert fmt_column(name, value) == text


@pytest.mark.parametrize(
    ("platform", "text"),
    [
        ("android+ios", "iOS+Android"),
        ("ios", "iOS"),
        ("android", "Android"),
        ("android+ios+web", "iOS+Android+web"),
        ("", ""),
        (None, ""),
    ],
)
def test_platform_scope_is_written_as_people_write_it(platform, text) -> None:
    assert fmt_platforms(platform) == text


def test_scope_and_metric_labels() -> None:
    assert fmt_scope("US", "android+ios") == "US, iOS+Android"
    assert fmt_scope("BR+US", None) == "BR+US"
    assert fmt_scope(None, "ios") == "iOS"
    assert fmt_metric("one_star_reviews") == "one star reviews"
