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

import numpy as np
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
            # Pairs t = d-window .. d-1: the pair series shifted by one day.
            __prev_pair=lag(pl.col("pair"), 1, work_keys),
            # the row's place in its series (the calendar is complete and sorted by series
            # and day): a shift of k rows over the whole frame stays in the series if >= k
            __day=pl.int_range(pl.len()).over(work_keys),
        )
        .with_columns(
            typical_obs=pl.col("__prev_pair")
            .is_not_null()
            .cast(pl.Int32)
            .rolling_sum(window, min_samples=1)
            .over(work_keys)
            .fill_null(0),
        )
    )
    cal = cal.with_columns(__sum=_window_sums(cal, window))
    cal = cal.select(
        *work_keys,
        "date",
        typical_change=pl.when(pl.col("typical_obs") >= need).then(
            pl.col("__sum") / pl.col("typical_obs")
        ),
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
    # Back onto the caller's rows (keeping their other columns), one-to-one by series and date.
    base = frame.drop(
        [c for c in ("typical_change", "typical_obs", "typical_reason") if c in frame.columns]
    )
    if not keys_list:
        cal = cal.drop(work_keys)
    out = base.join(cal, on=[*keys_list, "date"], how="left", nulls_equal=True)
    return finish(out, keys_list)


def _window_sums(cal: pl.DataFrame, window: int) -> np.ndarray:
    """Each row's sum of the ``window`` pairs ending on it (``__prev_pair``; NULL adds 0.0).

    Added in one fixed order, oldest first, left to right as plain Python adds, not by a
    rolling mean: a rolling mean adds and subtracts as it slides, so its last bits depended
    on how many days before the range were read, and the CLI (31 days of look-back) and the
    Explore page (more, for the spike scores) printed 0.08992152190880356 and
    0.08992152190880355 for the same day. ``window`` vectorised additions (numpy: a polars
    expression of 30 shifted terms cost 5 ms of planning on a two-series request).
    """
    pairs = cal.get_column("__prev_pair").fill_null(0.0).to_numpy()
    day = cal.get_column("__day").to_numpy()
    n = len(pairs)
    total = np.zeros(n)
    for k in range(min(window, n) - 1, -1, -1):  # a shift of n rows or more adds only 0.0
        term = np.zeros(n)
        term[k:] = pairs[: n - k]
        term[day < k] = 0.0  # k rows back is another series
        total += term
    return total
