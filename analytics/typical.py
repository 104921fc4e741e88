"""Typical day-over-day change: the yardstick a headline change should be read against.

Why: the press set ChatGPT's +295% uninstall jump against a "typical" day-over-day change of
about 9%. That yardstick has one definition here, used by sentences, charts and the demo
calibration alike: on day d, the mean of ``|v_t / v_(t-1) - 1|`` over the ``window`` pairs
t = d-window .. d-1 (the day itself excluded, so a spike does not inflate its own yardstick).

A pair exists only when both days are observed and ``v_(t-1)`` is not zero (a change from zero
has no finite size); absent days and NULL values are not observed, never zeros. With fewer than
``min_pairs`` pairs (default ``ceil(2/3 * window)``, i.e. 20 of 30) the typical change is NULL
and ``typical_reason`` says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl

from analytics._frame import complete_calendar, finish, lag, prepare, resolve_keys


def default_min_pairs(window: int) -> int:
    """Minimum observed day-over-day pairs: two thirds of the window, rounded up (20 of 30)."""
    return math.ceil(2 * window / 3)


def typical_change(
    frame: pl.DataFrame,
    window: int = 30,
    keys: Sequence[str] | None = None,
    min_pairs: int | None = None,
) -> pl.DataFrame:
    """Add ``typical_change``, ``typical_obs`` and ``typical_reason`` to every input row.

    ``typical_change`` is a fraction (0.09 = 9%), the mean absolute day-over-day change over
    the ``window`` pairs ending the day before; ``typical_obs`` counts the pairs used.
    Other columns of the frame are kept (e.g. the output of :func:`analytics.baselines.compute`).
    """
    if window < 1:
        raise ValueError(f"window must be at least 1 day, got {window}")
    need = default_min_pairs(window) if min_pairs is None else min_pairs
    if not 1 <= need <= window:
        raise ValueError(f"min_pairs must be between 1 and {window}, got {need}")
    keys_list = resolve_keys(frame, keys)
    df, work_keys = prepare(frame, keys_list)
    v = pl.col("value")
    prev = lag(v, 1, work_keys)
    cal = (
        complete_calendar(df, work_keys)
        .with_columns(
            pair=pl.when(prev != 0).then((v / prev - 1).abs()),
        )
        .with_columns(
            # Pairs t = d-window .. d-1: shift the pair series by one day, then roll.
            __prev_pair=lag(pl.col("pair"), 1, work_keys)
        )
        .with_columns(
            __mean=pl.col("__prev_pair").rolling_mean(window, min_samples=1).over(work_keys),
            typical_obs=pl.col("__prev_pair")
            .is_not_null()
            .cast(pl.Int32)
            .rolling_sum(window, min_samples=1)
            .over(work_keys)
            .fill_null(0),
        )
        .select(
            *work_keys,
            "date",
            typical_change=pl.when(pl.col("typical_obs") >= need).then(pl.col("__mean")),
            typical_obs=pl.col("typical_obs"),
            typical_reason=pl.when(pl.col("typical_obs") < need).then(
                pl.format(
                    "only {} of {} day-over-day changes observed (minimum {})",
                    "typical_obs",
                    pl.lit(window),
                    pl.lit(need),
                )
            ),
        )
    )
    # Back onto the caller's rows (keeping their other columns), one-to-one by series and date.
    base = frame.drop(
        [c for c in ("typical_change", "typical_obs", "typical_reason") if c in frame.columns]
    )
    if not keys_list:
        cal = cal.drop(work_keys)
    out = base.join(cal, on=[*keys_list, "date"], how="left", nulls_equal=True)
    return finish(out, keys_list)
