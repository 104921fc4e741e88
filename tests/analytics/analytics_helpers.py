"""Tiny builders for hand-checkable series frames.

Why: every expected number in these tests is worked out by hand, so the inputs must be short
and readable. ``series([10, None, SKIP, 30], "2026-02-01", app="A")`` builds 1-4 Feb 2026 where
2 Feb is a NULL value (the source left it blank) and 3 Feb is absent (no row at all).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

SKIP = "absent"


def series(values: list[float | str | None], start: str, **keys: str) -> pl.DataFrame:
    """One series, one row per value from ``start``; SKIP leaves the day out."""
    first = date.fromisoformat(start)
    rows = [
        {**keys, "date": first + timedelta(days=i), "value": None if v is None else float(v)}
        for i, v in enumerate(values)
        if v != SKIP
    ]
    schema = {**dict.fromkeys(keys, pl.String), "date": pl.Date, "value": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def d(text: str) -> date:
    return date.fromisoformat(text)


def row(frame: pl.DataFrame, day: str, **keys: str) -> dict:
    """The single row of ``frame`` for ``day`` (and keys); fails loudly if not exactly one."""
    cond = pl.col("date") == d(day)
    for k, v in keys.items():
        cond &= pl.col(k) == v
    rows = frame.filter(cond).rows(named=True)
    assert len(rows) == 1, f"expected one row for {day} {keys}, got {len(rows)}"
    return rows[0]
