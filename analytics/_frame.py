"""Shared plumbing for the analytics functions: series keys, validation, calendars.

Why a private module: every public function takes the same "series frame" (``date``, ``value``,
string key columns) and must treat several series at once without leaking values across them.
Resolving the keys, refusing malformed input and filling the calendar are done once here, so
that each public function only states its own arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

# Columns that analytics functions add. They are never series keys, so a frame that went
# through one function can be passed to another without naming the keys again.
OUTPUT_COLUMNS = frozenset(
    {
        "baseline",
        "change",
        "multiple",
        "method",
        "method_label",
        "baseline_obs",
        "reason",
        "is_partial",
        "grain",
        "days_observed",
        "days_in_period",
        "typical_change",
        "typical_obs",
        "typical_reason",
        "score",
        "direction",
        "median",
        "mad",
        "score_obs",
        "score_reason",
        "is_weekday_aware",
        "offset",
        "reference",
        "reference_obs",
        "index",
        "index_reason",
        "total",
        "share_pct",
        "share_reason",
        "rank",
        "seasonal_eta2",
        "seasonal_ratios",
        "event_date",
        "reference_deviation",
        "reference_label",
        "index_base",
        "start_date",
        "end_date",
        "n_days",
        "peak_date",
        "peak_value",
        "peak_score",
        "peak_change",
        "peak_multiple",
        "peak_offset",
        "back_offset",
        "back_date",
        "days_after_peak",
        "post",
        "value_a",
        "value_b",
        "previous_date",
        "is_first",
        "first_date",
        "correlation",
    }
)

# Columns the database read adds (semantic.totals.load: how many stored values a total
# added up, what was missing, what it covered that day). They describe a day, not a series:
# never series keys, or every day would become its own series.
READ_COLUMNS = frozenset(
    {"components", "present", "parts", "missing", "cover", "sources_day", "kind"}
)

# A private constant key used when a frame holds a single series without key columns, so that
# the same `.over(keys)` / join code paths work in both cases.
_ONE = "__series__"


def resolve_keys(frame: pl.DataFrame, keys: Sequence[str] | None) -> list[str]:
    """Return the series key columns, checking that the frame is a valid series frame.

    Default keys are every column other than ``date``/``value``, the known output columns, the
    database read's count columns (:data:`READ_COLUMNS`) and floating/boolean columns (those
    are measures or flags, never identities).
    """
    for column in ("date", "value"):
        if column not in frame.columns:
            raise ValueError(
                f"the frame has no {column!r} column (columns: {', '.join(frame.columns)}); "
                "a series frame needs 'date' (Date), 'value' (Float64) and key columns"
            )
    if frame.schema["date"] != pl.Date:
        raise ValueError(
            f"column 'date' must be pl.Date, got {frame.schema['date']}; cast it with "
            "pl.col('date').cast(pl.Date) or str.to_date()"
        )
    if keys is None:
        keys = [
            name
            for name, dtype in frame.schema.items()
            if name not in ("date", "value")
            and name not in OUTPUT_COLUMNS
            and name not in READ_COLUMNS
            and not dtype.is_float()
            and dtype != pl.Boolean
        ]
    else:
        keys = list(keys)
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise ValueError(
                f"key column(s) {', '.join(missing)} not in the frame "
                f"(columns: {', '.join(frame.columns)})"
            )
    return keys


def prepare(frame: pl.DataFrame, keys: list[str]) -> tuple[pl.DataFrame, list[str]]:
    """Select keys/date/value (value as Float64), refuse duplicate days, add a dummy key if none.

    Returns the frame and the key list to use internally (``[_ONE]`` for a single series).
    """
    out = frame.select(*keys, "date", pl.col("value").cast(pl.Float64))
    work_keys = keys or [_ONE]
    if not keys:
        out = out.with_columns(pl.lit(0, pl.Int8).alias(_ONE))
    dupes = out.group_by(*work_keys, "date").len().filter(pl.col("len") > 1)
    if dupes.height:
        first = dupes.row(0, named=True)
        where = ", ".join(f"{k}={first[k]!r}" for k in keys) or "the only series"
        raise ValueError(
            f"{dupes.height} (series, date) pair(s) appear more than once, e.g. {where} on "
            f"{first['date']}; each series must have one row per day (sum or deduplicate first)"
        )
    return out, work_keys


def finish(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Drop the dummy key added by :func:`prepare` and sort by series then date."""
    if _ONE in frame.columns:
        frame = frame.drop(_ONE)
    order = [k for k in keys if k in frame.columns and k != _ONE]
    if "date" in frame.columns:
        order.append("date")
    return frame.sort(order, nulls_last=True) if order else frame


def complete_calendar(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Give every series one row per calendar day between its first and last row.

    Absent days become NULL values, so that a row shift of k is exactly k calendar days and a
    rolling window of N rows is N calendar days. NULL stays "not observed", never zero.
    """
    calendar = (
        frame.group_by(keys)
        .agg(pl.date_range(pl.col("date").min(), pl.col("date").max(), "1d").alias("date"))
        .explode("date")
    )
    return calendar.join(frame, on=[*keys, "date"], how="left", nulls_equal=True).sort(
        [*keys, "date"]
    )


def lag(expr: pl.Expr, n: int, keys: list[str]) -> pl.Expr:
    """The expression n rows (= n calendar days on a completed calendar) earlier in the series."""
    return expr.shift(n).over(keys, order_by="date")
