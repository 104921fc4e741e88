"""Sparkline data for `st.column_config.LineChartColumn` in overview tables.

Streamlit draws the tiny chart from a list column, so the cheapest sparkline is one
polars group-by that collects each series' values in date order - no figure at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

SPARKLINE_COLUMN = "sparkline"


def sparkline_values(
    frame: pl.DataFrame,
    keys: Sequence[str],
    value: str = "value",
    order_by: str = "date",
    last_n: int | None = None,
    column: str = SPARKLINE_COLUMN,
) -> pl.DataFrame:
    """One row per key combination with a list column of `value` sorted by `order_by`
    (only the last `last_n` points when given). Nulls stay nulls: a gap, not a zero."""
    keys = list(keys)
    missing = [c for c in [*keys, value, order_by] if c not in frame.columns]
    if missing:
        raise ValueError(f"frame is missing column(s) {', '.join(missing)}")
    values = pl.col(value).cast(pl.Float64).sort_by(order_by)
    if last_n is not None:
        values = values.tail(last_n)
    return frame.group_by(keys, maintain_order=True).agg(values.alias(column))
