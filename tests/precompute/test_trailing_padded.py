"""The per-day ("trailing") score path against the way it was first written.

`analytics.spikes._score_trailing` cuts each scored day's windows out of one padded column
(every series' days in calendar order between runs of NULL days) and decides the weekday test
from 28 gathers of the ratio column, for the days asked only. It was first written on a
completed calendar: a lag matrix of every row (`_lag_matrix`, which checks the series column)
for the windows and for the ratios. That first version is kept below as the reference; every
column of every row must equal it to the last bit (the stored scores, Explore, the CLI and the
alerts all read this path), on the generated series of tests/analytics/test_spikes_recent.py
(gaps, NULLs, zeros, flat histories, weekly-seasonal and not, short histories).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics import spikes
from analytics._frame import complete_calendar, prepare

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "analytics"))
from test_spikes_recent import FIRST, generated


# ----------------------------------------------------------------------------- the reference
def _within(group: pl.Expr, expr: pl.Expr, k: int) -> pl.Expr:
    return pl.when(group.shift(k) == group).then(expr.shift(k))


def reference_seasonality(cal: pl.DataFrame, key: str, since: date | None) -> pl.Series:
    g = pl.col(key)
    v = pl.col("value")
    seven = [_within(g, v, k) for k in (3, 2, 1, 0, -1, -2, -3)]
    centre = pl.sum_horizontal(seven, ignore_nulls=False) / 7
    ratios = cal.select(g, "date", value=pl.when(centre > 0).then(v / centre))
    n = spikes.SEASONAL_MIN_RATIOS
    r = [pl.col(f"__r{j}") for j in range(n)]
    lags = spikes._lag_matrix(ratios, [key], range(4, 4 + n), since)
    wide = pl.DataFrame({"__x": lags}).select(
        pl.col("__x").arr.get(j, null_on_oob=True).alias(f"__r{j}") for j in range(n)
    )
    groups = {w: [r[j] for j in range(w, n, 7)] for w in range(7)}
    wide = wide.with_columns(
        __mean=pl.sum_horizontal(r, ignore_nulls=False) / n,
        **{
            f"__m{w}": pl.sum_horizontal(cs, ignore_nulls=False) / len(cs)
            for w, cs in groups.items()
        },
    ).with_columns(
        __ss_total=pl.sum_horizontal([(c - pl.col("__mean")) ** 2 for c in r], ignore_nulls=False),
        __ss_within=pl.sum_horizontal(
            [(r[j] - pl.col(f"__m{j % 7}")) ** 2 for j in range(n)], ignore_nulls=False
        ),
    )
    eta2 = 1 - pl.col("__ss_within") / pl.col("__ss_total")
    aware = (pl.col("__ss_total") > 0) & (eta2 >= spikes.SEASONAL_ETA2)
    return wide.select(aware.fill_null(False)).to_series().alias("is_weekday_aware")


def reference_trailing(
    frame: pl.DataFrame, keys: list[str], window: int, since: date | None
) -> pl.DataFrame:
    weeks = window // 7
    df, named_keys = prepare(frame, keys)
    ids = df.select(named_keys).unique().with_row_index("__sid")
    df = df.join(ids, on=named_keys, how="left", nulls_equal=True).drop(named_keys)
    cal = complete_calendar(df.with_columns(__in=pl.lit(True)), ["__sid"])
    kept = cal if since is None else cal.filter(pl.col("date") >= since)
    if weeks >= 2:
        kept = kept.with_columns(reference_seasonality(cal, "__sid", since))
    else:
        kept = kept.with_columns(is_weekday_aware=pl.lit(False))
    aware = kept.get_column("is_weekday_aware")
    windows = spikes._lag_matrix(cal, ["__sid"], range(1, window + 1), since)
    parts = [spikes._plain_windows(kept, windows, ~aware, window)]
    if aware.any():
        lags = [r + 7 * i for r in range(1, 8) for i in range(weeks)]
        weekly = spikes._lag_matrix(cal, ["__sid"], lags, since).filter(aware)
        parts.append(spikes._weekday_windows(kept.filter(aware), weekly, weeks, None))
    return spikes._scored_rows(parts, ids, named_keys)


# ----------------------------------------------------------------------------- the comparison
def _bits(frame: pl.DataFrame) -> pl.DataFrame:
    """Float columns as their bit patterns: equal means equal to the last bit (and sign)."""
    return frame.with_columns(
        pl.col(c).reinterpret(signed=True) for c, t in frame.schema.items() if t == pl.Float64
    )


def _same(frame: pl.DataFrame, keys: list[str], window: int, since: date | None) -> pl.DataFrame:
    fast = spikes.score(frame, window=window, keys=keys, weekday_aware="trailing", since=since)
    slow = reference_trailing(frame, keys, window, since)
    assert_frame_equal(_bits(fast), _bits(slow), check_exact=True)
    return fast


def _frame(seed: int) -> pl.DataFrame:
    """The generated series plus four complete weekly-seasonal ones (the generated series have
    absent days too often for 34 in a row): busy weekends, a spike, one day without a value."""
    rows = []
    for i in range(4):
        for k in range(100):
            day = FIRST + timedelta(days=i + k)
            v = (300.0 if day.weekday() >= 5 else 100.0) + (k * 7 + i * 13 + seed) % 11
            v = 2000.0 if k == 70 + i else v
            rows.append({"app": f"w{i}", "country": "us", "date": day, "value": v})
    rows[80]["value"] = None
    return pl.concat(
        [generated(seed, n_series=24), pl.DataFrame(rows, schema=generated(1, 1).schema)]
    )


def _by_id(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with one integer series id (the store's series_id), as the import reads it."""
    ids = frame.select("app", "country").unique(maintain_order=True).with_row_index("series_id")
    return frame.join(ids, on=["app", "country"], nulls_equal=True).select(
        pl.col("series_id").cast(pl.Int32) + 7, "date", "value"
    )


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("window", [7, 14, 28])
def test_named_keys_equal_the_calendar_reference(seed: int, window: int) -> None:
    frame = _frame(seed)
    for since in (None, FIRST + timedelta(days=45)):
        out = _same(frame, ["app", "country"], window, since)
        assert out.get_column("score").is_not_null().sum() > 100  # scores, not only NULLs
    if window == 28:  # the weekday kernel ran on some days and not on others
        assert 0 < out.get_column("is_weekday_aware").sum() < out.height


@pytest.mark.parametrize("seed", [3, 4])
def test_integer_series_ids_in_any_order_equal_the_reference(seed: int) -> None:
    frame = _by_id(_frame(seed))
    for since in (None, FIRST + timedelta(days=80), FIRST - timedelta(days=3)):
        _same(frame, ["series_id"], 28, since)
        _same(frame.sample(fraction=1.0, shuffle=True, seed=seed), ["series_id"], 28, since)


def test_one_series_no_keys_a_late_since_and_an_empty_frame() -> None:
    one = generated(5, n_series=1).drop("app", "country")
    _same(one, [], 28, None)
    assert _same(one, [], 28, date(2100, 1, 1)).height == 0
    empty = _same(generated(5, n_series=3).head(0), ["app", "country"], 28, None)
    assert empty.height == 0


def test_a_day_twice_is_refused_as_before() -> None:
    one = generated(6, n_series=1).drop("app", "country")
    with pytest.raises(ValueError, match=r"\(series, date\) pair\(s\) appear more than once"):
        spikes.score(pl.concat([one, one.head(2)]), weekday_aware="trailing")


def test_the_padded_column_holds_each_series_between_null_days() -> None:
    """Hand-checked: two series (ids 5 and 2, given out of order), a gap in one; pad 2."""
    frame = pl.DataFrame(
        {
            "__sid": [5, 5, 2, 2],
            "date": [date(2026, 1, 1), date(2026, 1, 3), date(2026, 1, 2), date(2026, 1, 3)],
            "value": [1.0, 3.0, 20.0, None],
        }
    )
    values, rows = spikes._padded(frame, ["__sid"], frame, 2)
    # [pad pad] series 2: Jan 2, Jan 3 [pad pad] series 5: Jan 1, (Jan 2), Jan 3 [pad pad]
    assert values.to_list() == [None, None, 20.0, None, None, None, 1.0, None, 3.0, None, None]
    assert rows.get_column("__sid").to_list() == [2, 2, 5, 5]
    assert rows.get_column("__pos").to_list() == [2, 3, 6, 8]
    windows = spikes._windows(values, rows.get_column("__pos"), [1, 2])
    assert windows.to_list() == [[None, None], [20.0, None], [None, None], [None, 1.0]]
