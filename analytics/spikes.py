"""Robust spike scores, flagged days, episodes and top movers.

Why robust statistics: install series carry their own spikes, and a trailing mean and standard
deviation are dragged up by the very spikes we are looking for. The score here is
``(value - trailing median) / (1.4826 * trailing MAD)`` over the previous ``window`` days (the
day itself excluded); 1.4826 makes the MAD estimate a standard deviation for normal noise, so a
score of 3.5 (the Iglewicz-Hoaglin cut-off) means "3.5 standard deviations, robustly".

Weekly seasonality: many apps have busy weekends. Where a series is weekly-seasonal the score
compares a day only with the same weekday of the previous ``window // 7`` weeks. The test
(``weekday_aware="auto"``): take the series' ratio to its centred 7-day mean (which removes
trend and level), and compute eta squared - the share of that ratio's variance explained by
the weekday. A series is weekly-seasonal when it has at least 28 such ratios and eta squared is
at least 0.5 (for noise without a weekday effect the expected eta squared with 28 ratios is
6/27 = 0.22).

Which days the test is taken on: ``weekday_aware="trailing"`` (the default, issue 13) takes it
for each day on the TRAILING_SPAN days before it, so a day's score depends on those days alone
and is the same number whatever span a surface reads - the stored scores (pipelines/precompute),
Explore, the Overview, alerts and ``installpulse spikes`` give one number for one day.
``"auto"`` takes it once per series over whatever was read (kept for studies of a fixed span).

Minimums: a plain score needs ``ceil(0.75 * window)`` observed days of the window (21 of 28),
a weekday score ``max(3, ceil(0.75 * weeks))`` same weekdays (3 of 4). When the MAD is zero
(more than half the window identical) the scale falls back to ``1.2533 * mean absolute
deviation`` (also consistent for normal noise); when that is zero too, the score is NULL with a
reason rather than infinite.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from analytics._frame import _ONE, complete_calendar, finish, prepare, resolve_keys
from analytics.baselines import compute

MAD_SCALE = 1.4826
MEAN_AD_SCALE = 1.2533
SEASONAL_ETA2 = 0.5
SEASONAL_MIN_RATIOS = 28
DIRECTIONS = ("both", "up", "down")


def weekly_seasonality(frame: pl.DataFrame, keys: Sequence[str] | None = None) -> pl.DataFrame:
    """Per series: ``seasonal_eta2``, ``seasonal_ratios`` and ``is_weekday_aware`` (see module).

    Exposed so that pages can say *why* a series was scored against its weekdays.
    """
    keys_list = resolve_keys(frame, keys)
    df, work_keys = prepare(frame, keys_list)
    out = _seasonality(complete_calendar(df, work_keys), work_keys)
    return finish(out, work_keys)


def _seasonality(cal: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    centred = pl.col("value").rolling_mean(7, center=True, min_samples=7).over(keys)
    ratios = (
        cal.with_columns(__c=centred)
        .filter(pl.col("__c") > 0)
        .with_columns(
            __r=pl.col("value") / pl.col("__c"),
            __wd=pl.col("date").dt.weekday(),
        )
        .with_columns(
            __dev_total=(pl.col("__r") - pl.col("__r").mean().over(keys)) ** 2,
            __dev_within=(pl.col("__r") - pl.col("__r").mean().over(*keys, "__wd")) ** 2,
        )
        .group_by(keys)
        .agg(
            seasonal_ratios=pl.len().cast(pl.Int32),
            __ss_total=pl.col("__dev_total").sum(),
            __ss_within=pl.col("__dev_within").sum(),
        )
    )
    series = cal.select(keys).unique()
    return (
        series.join(ratios, on=keys, how="left", nulls_equal=True)
        .with_columns(
            pl.col("seasonal_ratios").fill_null(0),
            seasonal_eta2=pl.when(pl.col("__ss_total") > 0).then(
                1 - pl.col("__ss_within") / pl.col("__ss_total")
            ),
        )
        .with_columns(
            is_weekday_aware=(pl.col("seasonal_ratios") >= SEASONAL_MIN_RATIOS)
            & (pl.col("seasonal_eta2").fill_null(0) >= SEASONAL_ETA2)
        )
        .select(*keys, "seasonal_eta2", "seasonal_ratios", "is_weekday_aware")
    )


def _scored(cal: pl.DataFrame, need: int, need_same: int, n_history: int) -> pl.DataFrame:
    """Turn ``median``, ``mad``, ``__mean_ad``, ``score_obs`` (+ ``__same_obs``) into a score."""
    scale = (
        pl.when(pl.col("mad") > 0)
        .then(MAD_SCALE * pl.col("mad"))
        .otherwise(MEAN_AD_SCALE * pl.col("__mean_ad"))
    )
    enough = (pl.col("score_obs") >= need) & (pl.col("__same_obs") >= need_same)
    return (
        cal.with_columns(__scale=scale)
        .with_columns(
            score=pl.when(enough & (pl.col("__scale") > 0) & pl.col("value").is_not_null()).then(
                (pl.col("value") - pl.col("median")) / pl.col("__scale")
            ),
            score_reason=pl.when(pl.col("value").is_null())
            .then(pl.lit("no observation on this day"))
            .when(pl.col("score_obs") < need)
            .then(
                pl.format(
                    "only {} of {} days observed (minimum {})",
                    "score_obs",
                    pl.lit(n_history),
                    pl.lit(need),
                )
            )
            .when(pl.col("__same_obs") < need_same)
            .then(
                pl.format(
                    "only {} same weekdays observed (minimum {})", "__same_obs", pl.lit(need_same)
                )
            )
            .when(pl.col("__scale") == 0)
            .then(pl.lit("flat history: no deviation to scale by")),
        )
        .with_columns(
            median=pl.when(enough).then(pl.col("median")),
            mad=pl.when(enough).then(pl.col("mad")),
        )
    )


def _list_median(values: pl.Expr) -> pl.Expr:
    """Median of a list column, NULLs ignored (``list.eval`` is ~15x faster than
    ``list.median`` in polars 2.1 on short lists)."""
    return values.list.eval(pl.element().median()).list.first()


def _mad_parts(residuals: pl.Expr) -> dict[str, pl.Expr]:
    """MAD and mean absolute deviation of a list column, NULLs ignored."""
    e = pl.element()
    return {
        "mad": residuals.list.eval((e - e.median()).abs().median()).list.first(),
        "__mean_ad": residuals.list.eval((e - e.median()).abs().mean()).list.first(),
    }


def _plain(cal: pl.DataFrame, keys: list[str], window: int, since: date | None) -> pl.DataFrame:
    """Score against the median and MAD of the previous ``window`` days."""
    kept = _scored_days(cal, since)
    windows = _lag_matrix(cal, keys, range(1, window + 1), since)
    return _plain_windows(kept, windows, pl.repeat(True, kept.height, eager=True), window)


def _lag_matrix(
    cal: pl.DataFrame, keys: list[str], lags: Sequence[int], since: date | None
) -> pl.Series:
    """Per row of ``_scored_days(cal, since)``: its series' values ``lags`` calendar days
    earlier (NULL before the series starts), in the order of ``lags``, as an Array column.

    ``cal`` comes from :func:`complete_calendar` (sorted by series then date, one row per
    day) and ``keys`` is :func:`score`'s integer series id (never NULL). Row ``i``'s lag ``n``
    is row ``i - n`` when that row is the same series: one gather into a flat column cut into
    rows. (``pl.concat_list`` of 28 shifted columns, the first way this was written, was 13 ms
    of a 30 ms score of ten series in polars 2.1; tests/analytics/test_spikes_lags.py holds the
    two equal.)"""
    lag_list = list(lags)
    values = cal.get_column("value")
    group = (
        cal.select(pl.struct(keys).rle_id()).to_series()
        if keys
        else pl.zeros(cal.height, pl.UInt32, eager=True)
    )
    rows = pl.int_range(0, cal.height, eager=True)
    if since is not None:
        rows = rows.filter(cal.get_column("date") >= since)
    width = len(lag_list)
    flat = pl.int_range(0, rows.len() * width, eager=True)
    row = rows.gather(flat // width)
    source = row - pl.Series(lag_list, dtype=pl.Int64).gather(flat % width)
    clipped = source.clip(lower_bound=0)
    same = (source >= 0) & (group.gather(clipped) == group.gather(row))
    child = pl.select(pl.when(same).then(values.gather(clipped))).to_series()
    return child.reshape((rows.len(), width))


def _scored_days(cal: pl.DataFrame, since: date | None) -> pl.DataFrame:
    """Keep only the days to score (the rest of the frame is their history)."""
    return cal if since is None else cal.filter(pl.col("date") >= since)


def _weekday(cal: pl.DataFrame, keys: list[str], weeks: int, since: date | None) -> pl.DataFrame:
    """Score against the same weekdays; scale from the whole window's weekday residuals.

    The centre is the median of the same weekday in the previous ``weeks`` weeks. The scale is
    the MAD of every day of the 7 x ``weeks`` window minus the median of its own weekday in that
    window: 28 residuals instead of 4 values, so one quiet weekday cannot shrink the scale.
    """
    lags = [r + 7 * i for r in range(1, 8) for i in range(weeks)]  # weekday by weekday
    windows = _lag_matrix(cal, keys, lags, since)
    return _weekday_windows(_scored_days(cal, since), windows, weeks, None)


# ----------------------------------------------------------------------------- recent scores
# `score(..., since=...)` and `detect(..., since=...)`: only the days from `since` on are
# scored, the rest of the frame is their history. The general path above lags every row of the
# frame (look-back included) and concatenates 28 lag columns into lists: at 40,000 series x
# 35 days that was 3.6 s of the whole-database scan. The path below puts the values in a dense
# (series x day) grid and cuts each scored day's window out of it: the same elements in the
# same order, through the same polars kernels (_list_median, _mad_parts, _seasonality or a
# test that provably takes the same decision), so the numbers are identical to the last bit
# (tests/analytics/test_spikes_recent.py compares both paths); only the work is smaller.
_SID = "__sid"
#: The columns of a score, after the series' keys, in output order.
_SCORE_COLUMNS = (
    "date",
    "value",
    "score",
    "direction",
    "median",
    "mad",
    "score_obs",
    "score_reason",
    "is_weekday_aware",
)


def _series_ids(df: pl.DataFrame, named: list[str]) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """`df` with one integer id per series in `_SID`, and the keys of each id (None when the one
    key is a small non-null integer - the database's series_id - used as it is: no
    unique/join over every row)."""
    key = df.get_column(named[0])
    if len(named) == 1 and key.dtype.is_integer() and key.null_count() == 0 and df.height:
        low, high = key.min(), key.max()
        if -(2**31) <= low and high < 2**31:  # type: ignore[operator]
            return df.rename({named[0]: _SID}), None
    ids = df.select(named).unique().with_row_index(_SID)
    return df.join(ids, on=named, how="left", nulls_equal=True).drop(named), ids


def _keyed(out: pl.DataFrame, ids: pl.DataFrame | None, named: list[str]) -> pl.DataFrame:
    """Scores with the series' own key columns in place of the integer id `_SID` (one key:
    renamed; several: joined back from `ids`), in output column order."""
    out = out.rename({_SID: named[0]}) if ids is None else out.join(ids, on=_SID, how="left")
    return out.select(*named, *_SCORE_COLUMNS)


# Windows are sliced for every series on every scored day (cheap contiguous copies) when
# those cells are at most this many times the rows to score; otherwise gathered row by row.
DENSE_MAX_CELLS_PER_ROW = 1.5
# Rows per part when windows are gathered (see _cell_parts).
PART_ROWS = 50_000
# The wide seasonality test (_recent_flags) is used up to this many days of data.
WIDE_SEASONALITY_MAX_DAYS = 64


@dataclass
class _Grid:
    """The frame's values as a (series x day) grid, newest day first in each series' row.

    Row ``s`` holds series ``s`` (``sid[s]`` is its id); column ``c`` is ``last - c`` days,
    so a day's lags 1, 2, ... are the next columns. After the ``days`` days of data come
    ``window`` NULL columns, so every lag of every day stays in its own row. ``lo``/``hi``
    are the columns of each series' first and last row (``hi <= lo``: newest first),
    ``observed`` its number of non-NULL values. ``rows`` are the input rows (``__s``,
    ``__c``, ``value``).
    """

    values: pl.Series
    sid: pl.Series
    lo: pl.Series
    hi: pl.Series
    observed: pl.Series
    last: date
    days: int
    width: int
    rows: pl.DataFrame
    _present: pl.Series | None = None

    @property
    def n_series(self) -> int:
        return self.sid.len()

    def row_arrays(self) -> pl.Series:
        """The grid as one Array row per series (no copy)."""
        return self.values.reshape((self.n_series, self.width))

    def present(self, position: pl.Series) -> pl.Series:
        """Whether each grid position holds an input row (a row may have a NULL value)."""
        if self.rows["value"].null_count() == 0:
            return self.values.gather(position).is_not_null()
        if self._present is None:
            rows = self.rows.select(pl.col("__s") * self.width + pl.col("__c")).to_series()
            self._present = pl.repeat(False, self.values.len(), eager=True).scatter(rows, True)
        return self._present.gather(position)


def _build_grid(
    frame: pl.DataFrame, keys: list[str], df: pl.DataFrame, window: int, since: date
) -> _Grid | None:
    """The grid of the series that have a row on or after ``since``; None when none has.

    ``df`` holds ``__sid`` (integer, within 32 bits), ``date``, ``value``. Rows are ordered by
    one integer key (series, day), sorted only when they are not already (the database
    returns them in storage order, which imports keep sorted); a day twice in a series is
    refused with :func:`prepare`'s error.
    """
    first, last = df["date"].min(), df["date"].max()
    assert isinstance(first, date) and isinstance(last, date)
    days = (last - first).days + 1
    width = days + window
    day = pl.col("date").cast(pl.Int32) - pl.lit(first).cast(pl.Int32)
    df = df.select(_SID, "value", __k=pl.col(_SID).cast(pl.Int64) * 2**32 + day)
    if not df["__k"].is_sorted():
        df = df.sort("__k")
    step = df["__k"].diff()
    if (step == 0).any():
        prepare(frame, keys)  # raises the duplicate-day error with its example
    # A new series: the id part changed (a step of 2**31 or more; days differ by less).
    starts = (step >= 2**31).fill_null(True)
    df = df.select(
        _SID, "value", __c=(days - 1 - (pl.col("__k") % 2**32)).cast(pl.Int64), __new=starts
    )
    # Series with nothing to score are dropped: they are neither scored nor history.
    newest = (last - since).days
    ends = pl.concat([starts.slice(1), pl.Series([True])])
    newest_of_series = df["__c"].filter(ends)
    if newest_of_series.min() > newest:  # type: ignore[operator]
        return None
    if newest_of_series.max() > newest:  # type: ignore[operator]
        active = (newest_of_series <= newest).gather(starts.cast(pl.Int64).cum_sum() - 1)
        df = df.filter(active)
        starts = df["__new"].clone()
        starts[0] = True
        ends = pl.concat([starts.slice(1), pl.Series([True])])
    df = df.with_columns(__s=pl.col(_SID).rle_id().cast(pl.Int64))
    begin, end = starts.arg_true(), ends.arg_true()
    if df["value"].null_count() == 0:
        observed = (end - begin + 1).cast(pl.Int64)
    else:
        seen = pl.concat(
            [pl.Series([0], dtype=pl.Int64), df["value"].is_not_null().cast(pl.Int64).cum_sum()]
        )
        observed = seen.gather(end + 1) - seen.gather(begin)
    position = df["__s"] * width + df["__c"]
    n_cells = (df["__s"][-1] + 1) * width
    return _Grid(
        values=pl.repeat(None, n_cells, dtype=pl.Float64, eager=True).scatter(
            position, df["value"]
        ),
        sid=df[_SID].gather(begin),
        lo=df["__c"].gather(begin),
        hi=df["__c"].gather(end),
        observed=observed,
        last=last,
        days=days,
        width=width,
        rows=df.select("__s", "__c", "value"),
    )


# The recent-days path slices one window per scored day: it pays for many series and few
# days (40,000 series x 7 days: 3.8 -> 0.9 s), not for a few series over months (the Explore
# page's 10 series x 180 days: 60 ms -> 0.14 s). Longer spans take the general path (exact
# either way; tests/analytics/test_spikes_recent.py compares them).
RECENT_MAX_DAYS = 31


def _score_recent(
    frame: pl.DataFrame,
    keys: list[str],
    window: int,
    weekday_aware: bool | str,
    since: date,
    threshold: float | None = None,
) -> pl.DataFrame | None:
    """:func:`score` for the days from ``since`` on; None when the general path must run
    (nothing to score: it builds the empty result; or more than RECENT_MAX_DAYS days to score).

    With a ``threshold``, only the rows that may have ``|score| >= threshold`` are scored and
    returned (what :func:`detect` keeps, before its direction filter): rows certainly below it
    skip the second median (:func:`_robust_parts`). Only for a positive threshold and finite
    values - NaN and infinities order unlike numbers - otherwise every row is scored.
    """
    if frame.height == 0:
        return None
    last = frame.get_column("date").max()
    if last is None or (last - since).days + 1 > RECENT_MAX_DAYS:  # type: ignore[operator]
        return None
    named = keys or [_ONE]
    df = frame.select(*keys, "date", pl.col("value").cast(pl.Float64))
    if not keys:
        df = df.with_columns(pl.lit(0, pl.Int8).alias(_ONE))
    df, ids = _series_ids(df, named)
    grid = _build_grid(frame, keys, df, window, since)
    if grid is None:
        return None
    finite = bool(grid.rows["value"].is_finite().all())
    prune = threshold if threshold is not None and threshold > 0 and finite else None
    aware = _recent_flags(grid, window, weekday_aware, finite)
    newest = (grid.last - since).days

    def plain_part(part: tuple[pl.DataFrame, pl.Series]) -> pl.DataFrame:
        cells = part[0].with_columns(is_weekday_aware=aware.gather(part[0]["__s"]))
        return _plain_recent(cells, part[1], window, prune)

    # The parts are independent: two at a time, so that one's single-threaded steps (building
    # windows, deviations, counts) run while the other's medians do (L: -80 ms of ~0.6 s).
    with ThreadPoolExecutor(2) as pool:
        weekday = None
        weeks = window // 7
        if weeks >= 2 and aware.any():
            cells = grid.rows.filter(pl.col("__c") <= newest)
            cells = cells.filter(aware.gather(cells["__s"])).with_columns(
                __present=pl.lit(True), is_weekday_aware=pl.lit(True)
            )
            weekday = pool.submit(_weekday_recent, cells, grid, weeks, prune)
        parts = list(pool.map(plain_part, _cell_parts(grid, window, newest)))
        if weekday is not None:
            parts.append(weekday.result())
    out = pl.concat(parts, how="diagonal")
    if threshold is not None:
        out = out.filter(pl.col("score").abs() >= threshold)
    out = out.with_columns(
        grid.sid.gather(out["__s"]).alias(_SID),
        date=pl.lit(grid.last) - pl.duration(days=pl.col("__c")),
        direction=pl.when(pl.col("score") > 0)
        .then(pl.lit("up"))
        .when(pl.col("score") < 0)
        .then(pl.lit("down")),
    )
    return finish(_keyed(out, ids, named), named)


def _cell_parts(grid: _Grid, window: int, newest: int) -> Iterator[tuple[pl.DataFrame, pl.Series]]:
    """Parts of the (series, day) cells to score, each with its plain windows: cells with
    ``__s``, ``__c``, ``value`` and ``__present`` (an input row; other cells are padding and
    never returned), and each cell's previous ``window`` days, lag 1 first (the general
    path's list order). Parts of one day, or about ``PART_ROWS`` rows, bound the memory
    (at 40,000 series, 0.5 -> 0.3 GB) and let the allocator reuse it.

    When the rows to score fill most of the grid's scored days (a whole-database scan), every
    series is cut on every scored day, one contiguous slice per day; otherwise each row's
    window is gathered.
    """
    scored = grid.rows.filter(pl.col("__c") <= newest)
    n_days = min(newest, grid.days - 1) + 1
    if grid.n_series * n_days <= DENSE_MAX_CELLS_PER_ROW * scored.height:
        s = pl.int_range(0, grid.n_series, dtype=pl.Int64, eager=True)
        rows = grid.row_arrays()
        per_part = max(1, PART_ROWS // grid.n_series)
        for first in range(0, n_days, per_part):
            days = range(first, min(n_days, first + per_part))
            cells = pl.concat(
                [
                    pl.DataFrame(
                        {"__s": s, "__c": pl.repeat(c, grid.n_series, dtype=pl.Int64, eager=True)}
                    )
                    for c in days
                ]
            )
            position = cells["__s"] * grid.width + cells["__c"]
            cells = cells.with_columns(
                value=grid.values.gather(position), __present=grid.present(position)
            )
            windows = [rows.arr.slice(c + 1, window).list.to_array(window) for c in days]
            yield cells, pl.concat(windows).rechunk()
        return
    lags = list(range(1, window + 1))
    for start in range(0, scored.height, PART_ROWS):
        cells = scored.slice(start, PART_ROWS).with_columns(__present=pl.lit(True))
        yield cells, _gather_windows(cells, grid, lags)


def _gather_windows(cells: pl.DataFrame, grid: _Grid, lags: list[int]) -> pl.Series:
    """Per cell, the grid values ``lags`` days earlier, in the order given: an Array column."""
    start = pl.col("__s") * grid.width + pl.col("__c")
    index = cells.select(pl.concat_arr([start + lag for lag in lags])).to_series()
    return grid.values.gather(index.reshape((-1,))).reshape((cells.height, len(lags)))


def _recent_flags(grid: _Grid, window: int, weekday_aware: bool | str, finite: bool) -> pl.Series:
    """Per grid row: is the series weekly-seasonal (:func:`weekly_seasonality`)?

    A series needs ``SEASONAL_MIN_RATIOS`` centred 7-day means, each over 7 observed days in
    a row, so with fewer than ``SEASONAL_MIN_RATIOS + 6`` observed days it is not (at 40,000
    series x 35 days, a quarter of them). The others are tested in the wide form of
    :func:`_wide_seasonality` where that decides for certain, and by :func:`_seasonality`
    itself on their calendar otherwise.
    """
    if weekday_aware != "auto" or window // 7 < 2:
        return pl.repeat(weekday_aware is True, grid.n_series, eager=True)
    aware = pl.repeat(False, grid.n_series, eager=True)
    testable = (grid.observed >= SEASONAL_MIN_RATIOS + 6).arg_true()
    exact = testable
    if testable.len() and finite and grid.days <= WIDE_SEASONALITY_MAX_DAYS:
        decided = _wide_seasonality(grid, testable).collect()
        sure = decided["__sure"]
        aware = aware.scatter(testable.filter(sure), decided["__aware"].filter(sure))
        exact = testable.filter(~sure)
    if exact.len():
        cal = _calendar(grid, exact)
        flags = _seasonality(cal, ["__s"]).select("__s", "is_weekday_aware")
        aware = aware.scatter(flags["__s"], flags["is_weekday_aware"])
    return aware


def _calendar(grid: _Grid, rows: pl.Series) -> pl.DataFrame:
    """The general path's calendar (:func:`complete_calendar`) of some grid rows: ``__s``,
    ``date``, ``value``, one row per day from each series' first to its last row."""
    spans = pl.DataFrame(
        {"__s": rows.cast(pl.Int64), "__lo": grid.lo.gather(rows), "__hi": grid.hi.gather(rows)}
    )
    days = spans.select("__s", __c=pl.int_ranges("__lo", pl.col("__hi") - 1, step=-1))
    days = days.explode("__c")
    return days.select(
        "__s",
        date=pl.lit(grid.last) - pl.duration(days=pl.col("__c")),
        value=grid.values.gather(days["__s"] * grid.width + days["__c"]),
    ).sort("__s", "date")


def _wide_seasonality(grid: _Grid, rows: pl.Series) -> pl.LazyFrame:
    """``__aware`` and ``__sure`` for some grid rows: the seasonality test of
    :func:`_seasonality` in wide form, one column per day, and whether its decision is certain.

    The arithmetic is the same but not in the same order, so the two can differ in the last
    bits; the decision is taken here only when such differences cannot change it: every
    centred 7-day sum well away from 0 (its sign decides whether the day has a ratio; 1e-4 of
    the series' largest value, against rounding of about 1e-16 per operation), the total sum
    of squares well above rounding (1e-3 of the sum of squared ratios) and eta squared more
    than 1e-6 away from the cut-off. Other series (at 40,000 series, 3 in 100: mostly runs of
    zeros) go to :func:`_seasonality`.
    """
    d = grid.days
    x = [pl.col("__x").arr.get(c) for c in range(d)]
    wide = pl.LazyFrame({"__x": grid.row_arrays().gather(rows)}).select(
        *(v.alias(f"x{c}") for c, v in enumerate(x))
    )
    col = [pl.col(f"x{c}") for c in range(d)]
    centres = range(3, d - 3)
    weekday = {c: (grid.last - timedelta(days=c)).weekday() for c in centres}
    sums = {c: pl.sum_horizontal(col[c - 3 : c + 4], ignore_nulls=False) for c in centres}
    wide = wide.with_columns(
        *(sums[c].alias(f"s{c}") for c in centres),
        __scale=pl.max_horizontal(v.abs() for v in col),
    ).with_columns(
        pl.when(pl.col(f"s{c}") / 7 > 0).then(col[c] / (pl.col(f"s{c}") / 7)).alias(f"r{c}")
        for c in centres
    )
    r = {c: pl.col(f"r{c}") for c in centres}
    groups: dict[int, list[int]] = {}
    for c in centres:
        groups.setdefault(weekday[c], []).append(c)
    count = {w: pl.sum_horizontal(r[c].is_not_null() for c in cs) for w, cs in groups.items()}
    total = {w: pl.sum_horizontal(r[c] for c in cs) for w, cs in groups.items()}
    wide = wide.with_columns(
        __n=pl.sum_horizontal(count.values()),
        __mean=pl.sum_horizontal(total.values()) / pl.sum_horizontal(count.values()),
        __nearest=pl.min_horizontal(pl.col(f"s{c}").abs() for c in centres),
        **{f"__m{w}": total[w] / count[w] for w in groups},
    ).with_columns(
        __ss_total=pl.sum_horizontal((r[c] - pl.col("__mean")) ** 2 for c in centres),
        __ss_within=pl.sum_horizontal((r[c] - pl.col(f"__m{weekday[c]}")) ** 2 for c in centres),
        __squares=pl.sum_horizontal(r[c] ** 2 for c in centres),
    )
    eta2 = 1 - pl.col("__ss_within") / pl.col("__ss_total")
    enough = pl.col("__n") >= SEASONAL_MIN_RATIOS
    signs_sure = pl.col("__nearest").is_null() | (pl.col("__nearest") > 1e-4 * pl.col("__scale"))
    spread_sure = (pl.col("__ss_total") > 1e-3 * pl.col("__squares")) & (
        (eta2 - SEASONAL_ETA2).abs() > 1e-6
    )
    return wide.select(
        __aware=(enough & (eta2 >= SEASONAL_ETA2)).fill_null(False),
        __sure=(signs_sure & (~enough | spread_sure)).fill_null(False),
    )


def _minus(windows: pl.Series, centre: pl.Series) -> pl.Series:
    """``windows - centre`` row by row (an Array column minus one number per row), flat."""
    frame = pl.DataFrame({"w": windows, "c": centre})
    return frame.select(pl.col("w") - pl.col("c")).to_series().reshape((-1,))


def _median_of(windows: pl.Series) -> pl.Series:
    """:func:`_list_median` of each row of an Array column."""
    return pl.select(_list_median(pl.lit(windows.arr.to_list()))).to_series()


def _count_within(deviations: pl.Series, cut: pl.Series) -> pl.Series:
    """Per row of an Array column: how many elements are ``<= cut`` (NULLs are not)."""
    # d <= c exactly when d - c <= 0 (a float difference is 0 only for equal numbers); the
    # count is taken as a NULL count, which polars keeps per array (an array sum is 4x slower).
    flat = _minus(deviations, cut)
    marks = pl.select(pl.when(pl.lit(flat) <= 0).then(None).otherwise(0)).to_series()
    arrays = marks.reshape((deviations.len(), deviations.dtype.size))  # type: ignore[attr-defined]
    return pl.select(pl.lit(arrays).arr.count_matches(None)).to_series()


def _robust_parts(
    windows: pl.Series,
    wanted: pl.Series,
    threshold: float | None = None,
    value: pl.Series | None = None,
    centre: pl.Series | None = None,
) -> dict[str, pl.Series]:
    """Per row of an Array column: ``median``, ``mad``, ``__mean_ad``, ``__obs`` (non-NULL
    count) and ``__keep``, exactly what :func:`_list_median` and :func:`_mad_parts` give on
    the same lists, for the ``wanted`` rows (``__keep``; others get no MAD).

    The MAD is the median of ``|x - median|``, as in ``_mad_parts``, but the deviations are
    taken outside ``list.eval``. The mean absolute deviation is only used where the MAD is 0
    (:func:`_scored`), so it is only computed there.

    With a ``threshold`` (and the rows' ``value``, and the score's ``centre`` when it is not
    the window's median), ``__keep`` is also False where the MAD is certainly above
    :func:`_reach`, so that |score| is certainly below the threshold: a median of n values is
    at least the ``ceil(n/2)``-th smallest, so it is above the cut when at most
    ``ceil(n/2) - 1`` deviations are within it. One comparison per element instead of a
    second median, which is then taken only for the rows kept.
    """
    n, width = windows.len(), windows.dtype.size  # type: ignore[attr-defined]
    median = _median_of(windows)
    deviations = _minus(windows, median).abs().reshape((n, width))
    nulls = pl.select(pl.lit(windows).arr.count_matches(None)).to_series()
    obs = (width - nulls).cast(pl.Int32)
    keep = wanted
    if threshold is not None and value is not None:
        cut = _reach(value, median if centre is None else centre, threshold)
        within = _count_within(deviations, cut)
        keep = keep & ((within > (obs + 1) // 2 - 1).fill_null(False) | _unsafe(cut))
    where = keep.arg_true()
    mad = pl.repeat(None, n, dtype=pl.Float64, eager=True)
    if where.len():
        mad = mad.scatter(where, _median_of(deviations.gather(where)))
    mean_ad = pl.repeat(None, n, dtype=pl.Float64, eager=True)
    zero = (mad == 0).fill_null(False)
    if zero.any():
        where = zero.arg_true()
        lists = pl.lit(windows.gather(where).arr.to_list())
        mean_ad = mean_ad.scatter(where, pl.select(_mad_parts(lists)["__mean_ad"]).to_series())
    return {"median": median, "mad": mad, "__mean_ad": mean_ad, "__obs": obs, "__keep": keep}


def _reach(value: pl.Series, centre: pl.Series, threshold: float) -> pl.Series:
    """The MAD above which ``|value - centre| / (MAD_SCALE * MAD)`` is below ``threshold``,
    with a relative margin of 1e-9 for the rounding of the score's own arithmetic."""
    return (value - centre).abs() / (MAD_SCALE * threshold) * (1 + 1e-9)


def _unsafe(cut: pl.Series) -> pl.Series:
    """Rows where the cut proves nothing: not finite, or so small (the subnormal range) that
    relative rounding bounds no longer hold. They are scored in full."""
    return (~cut.is_finite() | ((cut > 0) & (cut < 1e-290))).fill_null(False)


def _plain_recent(
    cells: pl.DataFrame, windows: pl.Series, window: int, threshold: float | None
) -> pl.DataFrame:
    """:func:`_plain` for the present cells of series that are not weekday-aware. With a
    ``threshold``, only those whose |score| can reach it (see :func:`_robust_parts`)."""
    wanted = cells["__present"] & ~cells["is_weekday_aware"]
    return _plain_windows(cells, windows, wanted, window, threshold)


def _plain_windows(
    rows: pl.DataFrame,
    windows: pl.Series,
    wanted: pl.Series,
    window: int,
    threshold: float | None = None,
) -> pl.DataFrame:
    """The plain score of each row from its window (an Array column of the ``window`` previous
    days, as :func:`_lag_matrix` and :func:`_gather_windows` build it): the general and the
    recent path share this, so they compute with the same kernels."""
    parts = _robust_parts(windows, wanted, threshold, rows["value"])
    out = rows.with_columns(
        median=parts["median"],
        mad=parts["mad"],
        __mean_ad=parts["__mean_ad"],
        score_obs=parts["__obs"],
        __same_obs=pl.lit(0, pl.Int32),
    ).filter(parts["__keep"])
    return _scored(out, math.ceil(0.75 * window), 0, window)


def _weekday_recent(
    cells: pl.DataFrame, grid: _Grid, weeks: int, threshold: float | None
) -> pl.DataFrame:
    """:func:`_weekday` for the cells of weekday-aware series, their windows gathered from the
    grid (with a ``threshold``, only those that can reach it, as in :func:`_plain_recent`)."""
    # Per cell, weekday r = 1..7 (lags r, r+7, ...) in the order _weekday takes them.
    windows = _gather_windows(cells, grid, [r + 7 * i for r in range(1, 8) for i in range(weeks)])
    return _weekday_windows(cells, windows, weeks, threshold)


def _weekday_windows(
    rows: pl.DataFrame, windows: pl.Series, weeks: int, threshold: float | None
) -> pl.DataFrame:
    """The weekday score of each row from its 7 x ``weeks`` window (weekday by weekday: lags
    r, r+7, ... for r = 1..7), shared by the general and the recent path. Flat: one row per
    (day, weekday), so the seven medians are one list.eval and the residuals one subtraction."""
    n = rows.height
    by_weekday = windows.reshape((n * 7, weeks))
    centres = _median_of(by_weekday)
    own = pl.int_range(0, n, dtype=pl.Int64, eager=True) * 7 + 6  # lags 7, 14, ...
    centre = centres.gather(own)
    residuals = _minus(by_weekday, centres).reshape((n, 7 * weeks))
    wanted = pl.repeat(True, n, eager=True)
    parts = _robust_parts(residuals, wanted, threshold, rows["value"], centre)
    same_nulls = pl.select(pl.lit(by_weekday.gather(own)).arr.count_matches(None)).to_series()
    out = rows.with_columns(
        median=centre,
        mad=parts["mad"],
        __mean_ad=parts["__mean_ad"],
        score_obs=parts["__obs"],
        __same_obs=(weeks - same_nulls).cast(pl.Int32),
    ).filter(parts["__keep"])
    need_same = max(3, math.ceil(0.75 * weeks)) if weeks >= 3 else weeks
    return _scored(out, math.ceil(0.75 * 7 * weeks), need_same, 7 * weeks)


def _check_score_args(window: int, weekday_aware: bool | str) -> None:
    if weekday_aware not in ("auto", "trailing", True, False):
        raise ValueError(
            f"weekday_aware must be 'auto', 'trailing', True or False, got {weekday_aware!r}"
        )
    if window < 2 or (weekday_aware is True and window // 7 < 2):
        raise ValueError(
            f"window={window} is too short: use at least 2 days, and at least 14 days for "
            "weekday-aware scores"
        )


def score(
    frame: pl.DataFrame,
    window: int = 28,
    keys: Sequence[str] | None = None,
    weekday_aware: bool | str = "trailing",
    *,
    since: date | None = None,
) -> pl.DataFrame:
    """Score every input row against its own trailing history.

    Returns the keys, ``date``, ``value``, ``score``, ``direction`` ('up'/'down', NULL when the
    score is NULL or 0), ``median``, ``mad``, ``score_obs`` (history days observed),
    ``score_reason`` and ``is_weekday_aware``. ``weekday_aware`` is ``"auto"`` (test per
    series, see module docstring), ``"trailing"`` (the same test per day, on the 34 days
    before it: the score of a day then depends on those days alone - what is stored, see
    TRAILING_SPAN), True or False. With ``since``, only the rows on or after
    that date are scored and returned; earlier rows are history (and still feed the
    seasonality test): a scan of the last 7 days then does the list work for 7 days per series,
    not for the whole look-back it read.
    """
    _check_score_args(window, weekday_aware)
    weeks = window // 7
    keys_list = resolve_keys(frame, keys)
    if weekday_aware == "trailing":
        return _score_trailing(frame, keys_list, window, since)
    if since is not None:
        recent = _score_recent(frame, keys_list, window, weekday_aware, since)
        if recent is not None:
            return recent
    df, named_keys = prepare(frame, keys_list)
    # One integer id per series: the ~60 windowed lags below partition by it, far cheaper than
    # partitioning by several string columns.
    ids = df.select(named_keys).unique().with_row_index("__sid")
    df = df.join(ids, on=named_keys, how="left", nulls_equal=True).drop(named_keys)
    work_keys = ["__sid"]
    cal = complete_calendar(df.with_columns(__in=pl.lit(True)), work_keys)
    if weekday_aware == "auto":
        flags = _seasonality(cal, work_keys).select(*work_keys, "is_weekday_aware")
        if weeks < 2:
            flags = flags.with_columns(is_weekday_aware=pl.lit(False))
    else:
        flags = cal.select(work_keys).unique().with_columns(is_weekday_aware=pl.lit(weekday_aware))
    # Order kept: the lags below shift along the calendar sorted by series then date.
    cal = cal.join(flags, on=work_keys, how="left", nulls_equal=True, maintain_order="left")
    plain = _plain(cal.filter(~pl.col("is_weekday_aware")), work_keys, window, since)
    parts = [plain]
    if weeks >= 2:  # otherwise no series is weekday-aware (checked above)
        parts.append(_weekday(cal.filter(pl.col("is_weekday_aware")), work_keys, weeks, since))
    return _scored_rows(parts, ids, named_keys)


# ----------------------------------------------------------------------------- trailing test
# `score(..., weekday_aware="trailing")`: the seasonality test is taken per day, on the
# TRAILING_SPAN days before it, instead of once per series on the whole frame. With "auto" a
# day's score depends on which frame it was scored in (the Overview's 7-day and 30-day scans
# and Explore's 90-day view could score the same day differently); with "trailing" the score
# of day d is a function of the series' values on d - TRAILING_SPAN .. d alone, computed with
# the same arithmetic in whatever frame d comes. That is what lets scores be stored when data
# arrives (pipelines/precompute.py) and recomputed only for the days a change reaches: a
# value changed on day x moves the scores of x .. x + TRAILING_SPAN and no other.
TRAILING_SPAN = SEASONAL_MIN_RATIOS + 6


def _pad_width(window: int) -> int:
    """NULL days kept before and after each series in the padded column: the longest look-back
    (the score window, or TRAILING_SPAN for the seasonality test) plus the centred mean's 3."""
    return max(window, TRAILING_SPAN) + 3


def _padded(
    frame: pl.DataFrame, keys: list[str], df: pl.DataFrame, pad: int
) -> tuple[pl.Series, pl.DataFrame]:
    """(values, rows): every series' values in one flat column, each series' days from its
    first to its last row in calendar order (absent days NULL, as :func:`complete_calendar`
    gives them), with ``pad`` NULL days before and after each series. ``rows`` are the input
    rows sorted by series then day, with ``__pos``, their position in ``values``.

    Why: a day's lag ``k`` (``k <= pad``) is then the position ``k`` earlier, which is its own
    series' day or a NULL pad, exactly what :func:`_lag_matrix` reads with its check of the
    series column - so a window is one gather and a centred mean seven shifts, for the rows
    asked only. ``df`` holds ``__sid`` (integer, within 32 bits), ``date`` and ``value``;
    rows are sorted only when they are not already (the database returns them in series and
    day order), and a day twice in a series is refused with :func:`prepare`'s error.
    """
    first = df.get_column("date").min()
    day = pl.col("date").cast(pl.Int64) - pl.lit(first).cast(pl.Int64)
    df = df.select(_SID, "date", "value", __day=day).with_columns(
        __k=pl.col(_SID).cast(pl.Int64) * 2**32 + pl.col("__day")
    )
    if not df.get_column("__k").is_sorted():
        df = df.sort("__k")
    if (df.get_column("__k").diff() == 0).any():
        prepare(frame, keys)  # raises the duplicate-day error with its example
    sid = df.get_column(_SID)
    starts = (sid != sid.shift(1)).fill_null(True)
    ends = pl.concat([starts.slice(1), pl.Series([True])])
    series = starts.cast(pl.Int64).cum_sum() - 1
    days = df.get_column("__day")
    begin = days.filter(starts)
    size = days.filter(ends) - begin + 1 + pad
    offset = size.cum_sum() - size + pad
    position = offset.gather(series) + days - begin.gather(series)
    values = pl.repeat(None, int(offset[-1] + size[-1]), dtype=pl.Float64, eager=True)
    rows = df.select(_SID, "date", "value", __pos=position)
    return values.scatter(position, df.get_column("value")), rows


def _windows(values: pl.Series, positions: pl.Series, lags: Sequence[int]) -> pl.Series:
    """Per position of a padded column (:func:`_padded`), the values ``lags`` positions (days)
    earlier, in the order of ``lags``: an Array column, one gather."""
    lag_list = list(lags)
    first = pl.lit(positions) - lag_list[0]
    if lag_list == list(range(lag_list[0], lag_list[0] + len(lag_list))):
        # (lags 1, 2, ...: each row's indices one range, 40% less time than the columns below)
        ranges = pl.int_ranges(first, first - len(lag_list), step=-1)
        index = pl.select(ranges).to_series().explode()
    else:
        index = pl.select(pl.concat_arr([pl.lit(positions) - lag for lag in lag_list]))
        index = index.to_series().reshape((-1,))
    return values.gather(index).reshape((positions.len(), len(lag_list)))


def trailing_seasonality(values: pl.Series, positions: pl.Series) -> pl.Series:
    """Per position of a padded column (:func:`_padded`): is the series weekly-seasonal on the
    TRAILING_SPAN (34) days before that day?

    The test of :func:`weekly_seasonality` (eta squared of the weekday on the ratio to the
    centred 7-day mean, at least SEASONAL_MIN_RATIOS ratios, eta squared >= SEASONAL_ETA2) on
    the days d-34 .. d-1: the ratios of days d-31 .. d-4, each over its 7 days, all inside
    that span. 28 ratios fit, so all must exist (34 observed days, every centred mean > 0).
    Each ratio and sum is taken in a fixed order from the day's own span, so the decision
    for a day never depends on the frame it is computed in. The ratios are taken once per
    day of the column; the 28 per day only for the days asked (a daily import: one day per
    series) whose 28 ratios all exist: any missing one makes the sums NULL and the answer No
    (in the S benchmark's data, a missing day within 34 is the case for most days).
    """
    v = pl.col("v")
    seven = [v.shift(k) for k in (3, 2, 1, 0, -1, -2, -3)]
    centre = pl.sum_horizontal(seven, ignore_nulls=False) / 7  # (all 7 days, as min_samples=7)
    ratios = pl.DataFrame({"v": values}).select(pl.when(centre > 0).then(v / centre)).to_series()
    n = SEASONAL_MIN_RATIOS
    seen = ratios.is_not_null().cast(pl.Int64).cum_sum()  # ratios up to each position
    full = (seen.gather(positions - 4) - seen.gather(positions - 4 - n)) == n
    aware = pl.repeat(False, positions.len(), eager=True).alias("is_weekday_aware")
    at = full.arg_true()
    if at.len():
        aware = aware.scatter(at, _eta2_test(ratios, positions.gather(at)))
    return aware


def _eta2_test(ratios: pl.Series, positions: pl.Series) -> pl.Series:
    """:func:`trailing_seasonality`'s decision for positions whose 28 ratios all exist."""
    n = SEASONAL_MIN_RATIOS
    r = [pl.col(f"__r{j}") for j in range(n)]
    # Lag 4 + j is weekday (d - 4 - j): lags j, j + 7, j + 14, ... share a weekday.
    wide = pl.DataFrame({f"__r{j}": ratios.gather(positions - (4 + j)) for j in range(n)})
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
    aware = (pl.col("__ss_total") > 0) & (eta2 >= SEASONAL_ETA2)
    return wide.select(aware.fill_null(False)).to_series()


def _score_trailing(
    frame: pl.DataFrame, keys: list[str], window: int, since: date | None
) -> pl.DataFrame:
    """:func:`score` with the per-day seasonality test (``weekday_aware="trailing"``).

    The same kernels as the general path (:func:`_plain_windows`, :func:`_weekday_windows`)
    on the same windows, cut from a padded column (:func:`_padded`) for the days scored only;
    which rows take the weekday kernel is decided per day by :func:`trailing_seasonality`.
    Days from ``since`` on are scored (earlier rows are history); a day with fewer than
    TRAILING_SPAN days of history in the frame is scored from what the frame holds, so callers
    that want a stored day's exact score pass its TRAILING_SPAN days of history.

    (Written first on a completed calendar with :func:`_lag_matrix`: the same numbers to the
    last bit - tests/precompute/test_trailing_padded.py keeps it as the reference - at 3-4x
    the time and twice the memory, which the import's stored scores paid for every day.)
    """
    weeks = window // 7
    named = keys or [_ONE]
    df = frame.select(*keys, "date", pl.col("value").cast(pl.Float64))
    if not keys:
        df = df.with_columns(pl.lit(0, pl.Int8).alias(_ONE))
    df, ids = _series_ids(df, named)
    if df.height == 0:
        values, rows = pl.Series([], dtype=pl.Float64), df.with_columns(__pos=pl.lit(0, pl.Int64))
    else:
        values, rows = _padded(frame, keys, df, _pad_width(window))
    kept = rows if since is None else rows.filter(pl.col("date") >= since)
    at = kept.get_column("__pos")
    if weeks >= 2 and kept.height:
        aware = trailing_seasonality(values, at)
    else:
        aware = pl.repeat(False, kept.height, eager=True).alias("is_weekday_aware")
    kept = kept.select(_SID, "date", "value", __in=pl.lit(True), is_weekday_aware=aware)
    plain = ~aware
    parts = [
        _plain_windows(
            kept.filter(plain),
            _windows(values, at.filter(plain), range(1, window + 1)),
            pl.repeat(True, int(plain.sum()), eager=True),
            window,
        )
    ]
    if aware.any():
        lags = [r + 7 * i for r in range(1, 8) for i in range(weeks)]
        weekly = _windows(values, at.filter(aware), lags)
        parts.append(_weekday_windows(kept.filter(aware), weekly, weeks, None))
    return _scored_rows(parts, ids, named)


def _scored_rows(
    parts: list[pl.DataFrame], ids: pl.DataFrame | None, named_keys: list[str]
) -> pl.DataFrame:
    """The scored rows of the input (calendar fill-ins dropped), their direction and their
    series' keys back (``ids`` None: ``__sid`` is the one key itself): the one output of both
    the per-series and the per-day ('trailing') test."""
    out = (
        pl.concat(parts, how="diagonal")
        .filter(pl.col("__in").fill_null(False))
        .with_columns(
            direction=pl.when(pl.col("score") > 0)
            .then(pl.lit("up"))
            .when(pl.col("score") < 0)
            .then(pl.lit("down"))
        )
    )
    return finish(_keyed(out, ids, named_keys), named_keys)


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")


def detect(
    frame: pl.DataFrame,
    threshold: float = 3.5,
    direction: str = "both",
    keys: Sequence[str] | None = None,
    window: int = 28,
    weekday_aware: bool | str = "trailing",
    *,
    since: date | None = None,
) -> pl.DataFrame:
    """Flagged days: ``|score| >= threshold`` in the wanted direction.

    Accepts a raw series frame (it is scored first) or the output of :func:`score`. With
    ``since``, only days on or after it (earlier rows of a raw frame are history, as in
    :func:`score`); a raw frame is then scored only where the threshold can be reached - the
    same rows, for a whole-database scan at a fraction of the cost.
    """
    _check_direction(direction)
    if "score" in frame.columns:
        scored = frame if since is None else frame.filter(pl.col("date") >= since)
    elif since is None:
        scored = score(frame, window=window, keys=keys, weekday_aware=weekday_aware)
    else:
        _check_score_args(window, weekday_aware)
        keys_list = resolve_keys(frame, keys)
        # (the recent-days shortcut takes the seasonality test once per series: "trailing"
        # takes it per day, so it is scored by its own path)
        found = (
            None
            if weekday_aware == "trailing"
            else _score_recent(frame, keys_list, window, weekday_aware, since, threshold)
        )
        scored = (
            score(frame, window=window, keys=keys_list, weekday_aware=weekday_aware, since=since)
            if found is None
            else found
        )
    cond = pl.col("score").abs() >= threshold
    if direction != "both":
        cond &= pl.col("direction") == direction
    return scored.filter(cond)


def episodes(
    frame: pl.DataFrame,
    threshold: float = 3.5,
    direction: str = "both",
    keys: Sequence[str] | None = None,
    window: int = 28,
    weekday_aware: bool | str = "trailing",
    max_gap: int = 1,
) -> pl.DataFrame:
    """Merge flagged days into episodes: one row per run of spike days per series.

    Days join the same episode when they have the same direction and are at most ``max_gap``
    calendar days apart (1 = consecutive days only). Columns: keys, ``direction``,
    ``start_date``, ``end_date``, ``n_days`` (flagged days), ``peak_date``, ``peak_value``,
    ``peak_score`` (the largest |score|, sign kept).
    """
    if max_gap < 1:
        raise ValueError(f"max_gap must be at least 1 day, got {max_gap}")
    flagged = detect(frame, threshold, direction, keys, window, weekday_aware)
    keys_list = resolve_keys(flagged, keys)
    work = keys_list or ["__one"]
    if not keys_list:
        flagged = flagged.with_columns(__one=pl.lit(0))
    group = [*work, "direction"]
    gap = (pl.col("date") - pl.col("date").shift(1)).dt.total_days().over(group, order_by="date")
    out = (
        flagged.sort([*group, "date"])
        .with_columns(__new=(gap.is_null() | (gap > max_gap)).cast(pl.Int32))
        .with_columns(__ep=pl.col("__new").cum_sum().over(group, order_by="date"))
        .group_by(*group, "__ep")
        .agg(
            start_date=pl.col("date").min(),
            end_date=pl.col("date").max(),
            n_days=pl.len().cast(pl.Int32),
            peak_date=pl.col("date").sort_by(pl.col("score").abs(), descending=True).first(),
            peak_value=pl.col("value").sort_by(pl.col("score").abs(), descending=True).first(),
            peak_score=pl.col("score").sort_by(pl.col("score").abs(), descending=True).first(),
        )
        .drop("__ep")
        .sort([*work, "start_date"])
    )
    if not keys_list:
        out = out.drop("__one")
    return out


def top_movers(
    frame: pl.DataFrame,
    start: date,
    end: date,
    method: str = "mean:28",
    limit: int = 50,
    keys: Sequence[str] | None = None,
    window: int = 28,
    weekday_aware: bool | str = "trailing",
    *,
    direction: str = "both",
    threshold: float | None = None,
    scored: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Rank every series by its most extreme robust score between ``start`` and ``end``.

    One row per series (its most extreme day in the range) with the score columns and the
    change vs ``method`` on that day (``baseline``, ``change``, ``multiple``, ``method``,
    ``method_label``, ``reason``), ranked 1.. by |score| (series without a score come last),
    at most ``limit`` rows. ``direction="up"`` ranks each series by its highest score and keeps
    only positive ones, ``"down"`` by its lowest, keeping negative ones; ``threshold`` keeps only
    series whose peak has ``|score| >= threshold``. The frame should hold the range plus
    ``window`` days of look-back (and the method's, see
    :func:`analytics.baselines.lookback_days`). ``scored`` passes scores already computed with
    :func:`score` for (at least) the range, so a caller that also wants episodes scores once;
    ``window``/``weekday_aware`` are then those it was scored with.
    """
    _check_direction(direction)
    keys_list = resolve_keys(frame, keys)
    if scored is None:
        scored = score(
            frame, window=window, keys=keys_list, weekday_aware=weekday_aware, since=start
        )
    scored = scored.filter(pl.col("date").is_between(start, end))
    work = keys_list or ["__one"]
    if not keys_list:
        scored = scored.with_columns(__one=pl.lit(0))
    if direction != "both":
        scored = scored.filter(pl.col("direction") == direction)
    if threshold is not None:
        scored = scored.filter(pl.col("score").abs() >= threshold)
    peak = (
        scored.sort(
            [*work, pl.col("score").abs(), "date"],
            descending=[*([False] * len(work)), True, False],
            nulls_last=True,
        )
        .group_by(work, maintain_order=True)
        .first()
    )
    order = ([pl.col("score").abs(), *work], [True, *([False] * len(work))])
    top = peak.sort(order[0], descending=order[1], nulls_last=True).head(limit)
    # The change vs the method is only needed on the ranked days: compute the baseline for the
    # kept series only (at 40,000 series this was 2 of the 5 seconds).
    source = frame.select(*keys_list, "date", "value")
    if keys_list:
        source = source.join(top.select(keys_list), on=keys_list, how="semi", nulls_equal=True)
    changes = compute(source, method, keys=keys_list, start=start, end=end).select(
        *keys_list, "date", "baseline", "change", "multiple", "method", "method_label", "reason"
    )
    if not keys_list:
        changes = changes.with_columns(__one=pl.lit(0))
    ranked = (
        top.join(changes, on=[*work, "date"], how="left", nulls_equal=True)
        .sort(order[0], descending=order[1], nulls_last=True)
        .with_row_index("rank", offset=1)
        .with_columns(pl.col("rank").cast(pl.Int32))
    )
    if not keys_list:
        ranked = ranked.drop("__one")
    return ranked.select("rank", *keys_list, pl.exclude("rank", *keys_list))
