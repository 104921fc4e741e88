"""display_frame's fast path (whole columns rounded in binary where that cannot change the
string, each distinct number formatted once) prints exactly what the value-by-value Decimal
path prints: hand-worked cases on both sides of every tie, and many values compared."""

from __future__ import annotations

import random

import polars as pl
import pytest

from analytics.formatting import _format_values, display_frame, fmt_column

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("name", "values", "texts"),
    [
        # counts as counts; other values to two decimals, ties away from zero on the decimal
        # a person reads: 2.675 is the float 2.67499999..., published "2.68"; -0.005 -> "-0.01"
        (
            "value",
            [12640.0, 1003.5714285714286, 4.25, 0.004, -0.005, 2.675, -0.0, 1e9],
            ["12,640", "1,003.57", "4.25", "0.00", "-0.01", "2.68", "0", "1,000,000,000"],
        ),
        # too large for the binary shortcut (123456789.125 * 100 > 1e8): the exact path
        ("baseline", [123456789.125, None, NAN, INF], ["123,456,789.13", "n/a", "n/a", "n/a"]),
        # a change is a signed percent; 1005/1000 - 1 is +0.5% (the float 0.0049999...), "+1%"
        (
            "change",
            [0.145, 12640 / 3200 - 1, -0.135, 1005 / 1000 - 1, -0.004, 0.0, -1.0],
            ["+15%", "+295%", "-14%", "+1%", "0%", "0%", "-100%"],
        ),
        (
            "multiple",
            [0.865, 3.95, 1.005, 12.0, 0.0],
            ["0.87x", "3.95x", "1.01x", "12.00x", "0.00x"],
        ),
        ("typical_change", [0.0899, 0.005, -0.02], ["9%", "1%", "-2%"]),
        ("share_pct", [0.523, 0.0], ["52%", "0%"]),
        ("peak_score", [9.46, -3.25, 0.04, -0.04, 3.5], ["+9.5", "-3.3", "0.0", "0.0", "+3.5"]),
    ],
)
def test_fast_path_prints_the_hand_worked_strings(
    name: str, values: list[float | None], texts: list[str]
) -> None:
    out = display_frame(pl.DataFrame({name: pl.Series(values, dtype=pl.Float64)}))
    assert out.get_column(name).to_list() == texts


def test_integer_columns_and_exact_only_columns() -> None:
    frame = pl.DataFrame(
        {
            "days_observed": pl.Series([7, 0, None, 1234567], dtype=pl.Int32),
            "peak_offset": [3, -3, 0, None],
            "event_id": [1, 22, 333, None],
            "score": pl.Series([-2.25, 0.0, 1.0, None], dtype=pl.Float32),
        }
    )
    out = display_frame(frame)
    assert out.get_column("days_observed").to_list() == ["7", "0", "n/a", "1,234,567"]
    assert out.get_column("peak_offset").to_list() == ["+3", "-3", "0", "n/a"]
    assert out.get_column("event_id").to_list() == ["1", "22", "333", "n/a"]
    assert out.get_column("score").to_list() == ["-2.3", "0.0", "+1.0", "n/a"]
    assert display_frame(frame.head(0)).schema == {c: pl.String for c in frame.columns}


def _values(seed: int) -> list[float | None]:
    """Every magnitude, the ties of each printed precision, ratios of counts."""
    rng = random.Random(seed)
    out: list[float | None] = [None, NAN, INF, -INF, 0.0, -0.0, 5e-324, 2.0**53, 1e15, 1e15 - 1]
    for k in range(-6, 17):
        for _ in range(60):
            m = rng.uniform(-1, 1) * 10.0**k
            out += [m, round(m, rng.randint(0, 4))]
    for _ in range(1200):
        n = rng.randint(-(10**7), 10**7)
        a, b = rng.randint(1, 10**6), rng.randint(1, 10**6)
        out += [n / 200, n / 2000, n / 20, n + 0.5, a / b - 1, a / b]
    return out


@pytest.mark.parametrize("name", ["value", "change", "multiple", "typical_change", "score"])
def test_fast_path_agrees_with_the_exact_path_everywhere(name: str) -> None:
    values = _values(20261203)
    for dtype in (pl.Float64, pl.Float32):
        column = pl.Series(name, values, dtype=dtype)
        fast = display_frame(column.to_frame()).get_column(name).to_list()
        assert fast == _format_values(name, column.to_list())
    ints = [None, 0, 1, -1, 999, 1000, -1000, 999_999_999, 10**15, -(10**15) - 1, 2**62]
    column = pl.Series(name, ints, dtype=pl.Int64)
    assert display_frame(column.to_frame()).get_column(name).to_list() == [
        fmt_column(name, v) for v in ints
    ]
