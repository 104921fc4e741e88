"""The general score path's windows against the way they were first written.

`analytics.spikes._plain` and `_weekday` build each day's window of earlier values by one
gather into a flat column (`_lag_matrix`) and take medians and MADs with `_robust_parts`. They
were first written as 28 shifted columns masked where the series changes, concatenated into
lists (`pl.concat_list`) and reduced with `_list_median` / `_mad_parts`: slower, and plainly
right. That first version is kept below as the reference; every score must equal it to the
last bit, on the generated series of tests/analytics/test_spikes_recent.py (gaps, NULLs,
zeros, flat histories, weekly-seasonal and not, short histories) and with ``since``.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_spikes_recent import FIRST, generated

from analytics import spikes
from analytics.spikes import _list_median, _mad_parts, _scored, score


def _lag_sorted(expr: pl.Expr, n: int, keys: list[str]) -> pl.Expr:
    same = pl.all_horizontal([pl.col(k).shift(n) == pl.col(k) for k in keys])
    return pl.when(same).then(expr.shift(n))


def _kept(cal: pl.DataFrame, since: date | None) -> pl.DataFrame:
    return cal if since is None else cal.filter(pl.col("date") >= since)


def reference_plain(cal: pl.DataFrame, keys: list[str], window: int, since: date | None):
    lags = {f"__l{s}": _lag_sorted(pl.col("value"), s, keys) for s in range(1, window + 1)}
    out = (
        _kept(cal.with_columns(**lags), since)
        .with_columns(__h=pl.concat_list(list(lags)))
        .drop(list(lags))
        .with_columns(
            median=_list_median(pl.col("__h")),
            score_obs=pl.col("__h").list.drop_nulls().list.len().cast(pl.Int32),
            __same_obs=pl.lit(0, pl.Int32),
            **_mad_parts(pl.col("__h")),
        )
        .drop("__h")
    )
    return _scored(out, math.ceil(0.75 * window), 0, window)


def reference_weekday(cal: pl.DataFrame, keys: list[str], weeks: int, since: date | None):
    lags = {
        f"__l{r + 7 * i}": _lag_sorted(pl.col("value"), r + 7 * i, keys)
        for r in range(1, 8)
        for i in range(weeks)
    }
    by_weekday = {
        f"__w{r}": pl.concat_list([f"__l{r + 7 * i}" for i in range(weeks)]) for r in range(1, 8)
    }
    out = _kept(cal.with_columns(**lags), since).with_columns(**by_weekday).drop(list(lags))
    residuals = pl.concat_list(
        [pl.col(f"__w{r}") - _list_median(pl.col(f"__w{r}")) for r in range(1, 8)]
    )
    out = (
        out.with_columns(__res=residuals)
        .with_columns(
            median=_list_median(pl.col("__w7")),
            __same_obs=pl.col("__w7").list.drop_nulls().list.len().cast(pl.Int32),
            score_obs=pl.col("__res").list.drop_nulls().list.len().cast(pl.Int32),
            **_mad_parts(pl.col("__res")),
        )
        .drop("__res", *[f"__w{r}" for r in range(1, 8)])
    )
    need_same = max(3, math.ceil(0.75 * weeks)) if weeks >= 3 else weeks
    return _scored(out, math.ceil(0.75 * 7 * weeks), need_same, 7 * weeks)


def _score_both(monkeypatch, frame: pl.DataFrame, **kwargs) -> tuple[pl.DataFrame, pl.DataFrame]:
    fast = score(frame, **kwargs)
    with monkeypatch.context() as m:
        m.setattr(spikes, "_plain", reference_plain)
        m.setattr(spikes, "_weekday", reference_weekday)
        slow = score(frame, **kwargs)
    return fast, slow


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("weekday_aware", ["auto", True, False])
def test_scores_equal_the_list_reference(monkeypatch, seed: int, weekday_aware) -> None:
    frame = generated(seed, n_series=24)
    fast, slow = _score_both(
        monkeypatch, frame, keys=["app", "country"], weekday_aware=weekday_aware
    )
    assert fast.height == frame.height
    assert fast.get_column("score").is_not_null().sum() > 100  # scores, not only NULLs
    assert_frame_equal(fast, slow, check_exact=True)


@pytest.mark.parametrize("window", [7, 14, 21, 28])
def test_other_windows_and_since(monkeypatch, window: int) -> None:
    frame = generated(7, n_series=16)
    since = FIRST + timedelta(days=70)  # past RECENT_MAX_DAYS from the end: general path
    for kwargs in ({}, {"since": since}):
        fast, slow = _score_both(
            monkeypatch, frame, keys=["app", "country"], window=window, **kwargs
        )
        assert_frame_equal(fast, slow, check_exact=True)


def test_integer_values_and_no_keys(monkeypatch) -> None:
    one = (
        generated(4, n_series=1)
        .drop("app", "country")
        .with_columns(pl.col("value").round().cast(pl.Int64))
    )
    fast, slow = _score_both(monkeypatch, one)
    assert_frame_equal(fast, slow, check_exact=True)


def test_lag_matrix_is_the_shifted_values() -> None:
    """Hand-checked: two series back to back; lag 1 and 2 stop at the series boundary."""
    cal = pl.DataFrame(
        {
            "__sid": [0, 0, 0, 1, 1],
            "date": [date(2026, 1, d) for d in (1, 2, 3, 1, 2)],
            "value": [10.0, None, 30.0, 40.0, 50.0],
        }
    )
    lists = spikes._lag_matrix(cal, ["__sid"], [1, 2], None).to_list()
    assert lists == [
        [None, None],
        [10.0, None],
        [None, 10.0],
        [None, None],
        [40.0, None],
    ]
    since = spikes._lag_matrix(cal, ["__sid"], [2, 1], date(2026, 1, 2)).to_list()
    assert since == [[None, 10.0], [10.0, None], [None, 40.0]]
