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

Minimums: a plain score needs ``ceil(0.75 * window)`` observed days of the window (21 of 28),
a weekday score ``max(3, ceil(0.75 * weeks))`` same weekdays (3 of 4). When the MAD is zero
(more than half the window identical) the scale falls back to ``1.2533 * mean absolute
deviation`` (also consistent for normal noise); when that is zero too, the score is NULL with a
reason rather than infinite.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    lags = {f"__l{s}": _lag_sorted(pl.col("value"), s, keys) for s in range(1, window + 1)}
    out = (
        _scored_days(cal.with_columns(**lags), since)
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


def _lag_sorted(expr: pl.Expr, n: int, keys: list[str]) -> pl.Expr:
    """``expr`` n calendar days earlier in the same series, on a frame from
    :func:`complete_calendar` (sorted by series then date, one row per day): a plain shift
    masked where the series changes - an order of magnitude cheaper than ``shift().over()``."""
    same = pl.all_horizontal([pl.col(k).shift(n) == pl.col(k) for k in keys])
    return pl.when(same).then(expr.shift(n))


def _scored_days(cal: pl.DataFrame, since: date | None) -> pl.DataFrame:
    """Keep only the days to score, once their lagged columns exist.

    Lags are cheap; building list columns (concat_list, list medians) is the cost, so it is
    done after this filter, for the scored days only.
    """
    return cal if since is None else cal.filter(pl.col("date") >= since)


def _weekday(cal: pl.DataFrame, keys: list[str], weeks: int, since: date | None) -> pl.DataFrame:
    """Score against the same weekdays; scale from the whole window's weekday residuals.

    The centre is the median of the same weekday in the previous ``weeks`` weeks. The scale is
    the MAD of every day of the 7 x ``weeks`` window minus the median of its own weekday in that
    window: 28 residuals instead of 4 values, so one quiet weekday cannot shrink the scale.
    """
    lags = {
        f"__l{r + 7 * i}": _lag_sorted(pl.col("value"), r + 7 * i, keys)
        for r in range(1, 8)
        for i in range(weeks)
    }
    by_weekday = {
        f"__w{r}": pl.concat_list([f"__l{r + 7 * i}" for i in range(weeks)]) for r in range(1, 8)
    }
    out = _scored_days(cal.with_columns(**lags), since).with_columns(**by_weekday).drop(list(lags))
    residuals = pl.concat_list(
        [pl.col(f"__w{r}") - _list_median(pl.col(f"__w{r}")) for r in range(1, 8)]
    )
    out = (
        out.with_columns(__res=residuals)
        .with_columns(
            median=_list_median(pl.col("__w7")),  # lags 7, 14, ...: the same weekday
            __same_obs=pl.col("__w7").list.drop_nulls().list.len().cast(pl.Int32),
            score_obs=pl.col("__res").list.drop_nulls().list.len().cast(pl.Int32),
            **_mad_parts(pl.col("__res")),
        )
        .drop("__res", *[f"__w{r}" for r in range(1, 8)])
    )
    need_same = max(3, math.ceil(0.75 * weeks)) if weeks >= 3 else weeks
    return _scored(out, math.ceil(0.75 * 7 * weeks), need_same, 7 * weeks)


# ----------------------------------------------------------------------------- recent scores
# `score(..., since=...)`: only the days from `since` on are scored, the rest of the frame is
# their history. The lag columns above are built for every row of the frame (look-back
# included) and then concatenated into lists: at 40,000 series x 35 days that was 3.6 s of the
# whole-database scan. The path below gathers each scored day's window straight from a dense
# (series x day) grid and computes the same list statistics on the same lists - the same
# elements in the same order, through the same polars kernels - so the numbers are identical
# (tests/analytics/test_spikes.py compares both paths); only the work is smaller.
_SID = "__sid"


def _score_recent(
    frame: pl.DataFrame,
    keys: list[str],
    window: int,
    weekday_aware: bool | str,
    since: date,
    threshold: float | None = None,
) -> pl.DataFrame | None:
    """:func:`score` for the days from ``since`` on; None when the general path must run
    (no rows: it builds the empty result).

    With a ``threshold``, only the rows that may have ``|score| >= threshold`` are scored and
    returned (what :func:`detect` keeps, before its direction filter): rows certainly below it
    skip the second median (:func:`_robust_parts`). Only for a positive threshold and finite
    values - NaN and infinities order unlike numbers - otherwise every row is scored.
    """
    named = keys or [_ONE]
    df = frame.select(*keys, "date", pl.col("value").cast(pl.Float64))
    if not keys:
        df = df.with_columns(pl.lit(0, pl.Int8).alias(_ONE))
    if df.height == 0:
        return None
    # One integer id per series. A single integer key without NULLs (the database's series_id)
    # is used as it is: no unique/join over every row.
    ids = None
    if len(named) == 1 and df.schema[named[0]].is_integer() and df[named[0]].null_count() == 0:
        df = df.rename({named[0]: _SID})
    else:
        ids = df.select(named).unique().with_row_index(_SID)
        df = df.join(ids, on=named, how="left", nulls_equal=True).drop(named)
    df = df.sort(_SID, "date")
    same_day = (pl.col(_SID) == pl.col(_SID).shift(1)) & (pl.col("date") == pl.col("date").shift(1))
    if df.select(same_day.any()).item():
        prepare(frame, keys)  # raises the duplicate-day error with its example
    weeks = window // 7
    # Day numbers start `window` days before the first date, so that every lag of every
    # scored day falls inside its own series' row of the grid (NULL = not observed).
    day0 = df["date"].min() - timedelta(days=window)  # type: ignore[operator]
    width = (df["date"].max() - day0).days + 1  # type: ignore[operator]
    df = df.with_columns(
        __s=(pl.col(_SID) != pl.col(_SID).shift(1)).fill_null(True).cum_sum().cast(pl.Int64) - 1,
        __d=(pl.col("date") - pl.lit(day0)).dt.total_days(),
    ).with_columns(__p=pl.col("__s") * width + pl.col("__d"))
    n_series = int(df["__s"][-1]) + 1
    grid = pl.repeat(None, n_series * width, dtype=pl.Float64, eager=True).scatter(
        df["__p"], df["value"]
    )
    prune = threshold
    if prune is not None and not (prune > 0 and df["value"].is_finite().all()):
        prune = None
    flags = _recent_flags(df, grid, width, day0, window, weekday_aware)
    targets = (
        df.filter(pl.col("date") >= since)
        .select(_SID, "__s", "__p", "date", "value")
        .join(flags, on="__s", how="left")
    )
    plain = targets.filter(~pl.col("is_weekday_aware"))
    parts = [_plain_recent(plain, grid, window, prune)]
    if weeks >= 2:
        aware = targets.filter(pl.col("is_weekday_aware"))
        parts.append(_weekday_recent(aware, grid, weeks, prune))
    out = pl.concat(parts, how="diagonal")
    if threshold is not None:
        out = out.filter(pl.col("score").abs() >= threshold)
    out = out.with_columns(
        direction=pl.when(pl.col("score") > 0)
        .then(pl.lit("up"))
        .when(pl.col("score") < 0)
        .then(pl.lit("down"))
    )
    if ids is None:
        out = out.rename({_SID: named[0]})
    else:
        out = out.join(ids, on=_SID, how="left")
    out = out.select(
        *named,
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
    return finish(out, named)


def _recent_flags(
    df: pl.DataFrame,
    grid: pl.Series,
    width: int,
    day0: date,
    window: int,
    weekday_aware: bool | str,
) -> pl.DataFrame:
    """``__s`` -> ``is_weekday_aware``: the seasonality test on the same calendar the general
    path builds (every series from its first to its last day), for the series that can pass.

    A series needs ``SEASONAL_MIN_RATIOS`` centred 7-day means, each over 7 observed days in a
    row, so fewer than ``SEASONAL_MIN_RATIOS + 6`` observed days can never be seasonal: those
    (at 40,000 series x 35 days, a quarter) are not tested.
    """
    spans = df.group_by("__s", maintain_order=True).agg(
        pl.col(_SID).first(),
        __lo=pl.col("__d").first(),
        __hi=pl.col("__d").last(),
        __n=pl.col("value").is_not_null().sum(),
    )
    if weekday_aware != "auto" or window // 7 < 2:
        return spans.select("__s", is_weekday_aware=pl.lit(weekday_aware is True))
    testable = spans.filter(pl.col("__n") >= SEASONAL_MIN_RATIOS + 6)
    days = testable.select(_SID, "__s", __d=pl.int_ranges("__lo", pl.col("__hi") + 1)).explode(
        "__d"
    )
    cal = days.select(
        _SID,
        date=pl.lit(day0) + pl.duration(days=pl.col("__d")),
        value=grid.gather(days["__s"] * width + days["__d"]),
    )
    return (
        spans.select("__s", _SID)
        .join(_seasonality(cal, [_SID]).select(_SID, "is_weekday_aware"), on=_SID, how="left")
        .select("__s", pl.col("is_weekday_aware").fill_null(False))
    )


def _gather_windows(targets: pl.DataFrame, grid: pl.Series, lags: list[int]) -> pl.Series:
    """Per target row, the grid values ``lags`` days earlier, in the order given (the order in
    which the general path concatenates its lag columns): an Array column."""
    index = targets.select(pl.concat_arr([pl.col("__p") - lag for lag in lags])).to_series()
    return grid.gather(index.reshape((-1,))).reshape((targets.height, len(lags)))


def _minus(windows: pl.Series, centre: pl.Series) -> pl.Series:
    """``windows - centre`` row by row (an Array column minus one number per row), flat."""
    frame = pl.DataFrame({"w": windows, "c": centre})
    return frame.select(pl.col("w") - pl.col("c")).to_series().reshape((-1,))


def _median_of(windows: pl.Series) -> pl.Series:
    """:func:`_list_median` of each row of an Array column."""
    return pl.select(_list_median(pl.lit(windows.arr.to_list()))).to_series()


def _robust_parts(
    windows: pl.Series,
    threshold: float | None = None,
    value: pl.Series | None = None,
    centre: pl.Series | None = None,
) -> dict[str, pl.Series]:
    """Per row of an Array column: ``median``, ``mad``, ``__mean_ad`` and ``__obs`` (non-NULL
    count), exactly what :func:`_list_median` and :func:`_mad_parts` give on the same lists.

    The MAD is the median of ``|x - median|``, as in ``_mad_parts``, but the deviations are
    taken outside ``list.eval`` (a third of the cost). The mean absolute deviation is only
    used where the MAD is 0 (:func:`_scored`), so it is only computed there.

    With a ``threshold`` (and the rows' ``value``, and the score's ``centre`` when it is not
    the window's median) it adds ``__keep``: False where the MAD is certainly above
    :func:`_reach`, so that |score| is certainly below the threshold. A
    median of n values is at least the ``ceil(n/2)``-th smallest, so it is above the cut
    when at most ``ceil(n/2) - 1`` deviations are within it: one comparison per element
    instead of a second median, which is then taken only for the rows kept.
    """
    n, width = windows.len(), windows.dtype.size  # type: ignore[attr-defined]
    median = _median_of(windows)
    deviations = _minus(windows, median).abs().reshape((n, width))
    nulls = pl.select(pl.lit(windows).arr.count_matches(None)).to_series()
    obs = (width - nulls).cast(pl.Int32)
    keep = None
    rows = pl.repeat(True, n, eager=True)
    if threshold is not None and value is not None:
        cut = _reach(value, median if centre is None else centre, threshold)
        # d <= c exactly when d - c <= 0 (a float difference is 0 only for equal numbers).
        within = (_minus(deviations, cut) <= 0).cast(pl.Int32).reshape((n, width)).arr.sum()
        keep = (within > (obs + 1) // 2 - 1).fill_null(False) | _unsafe(cut)
        rows = keep
    where = rows.arg_true()
    mad = pl.repeat(None, n, dtype=pl.Float64, eager=True)
    mad = mad.scatter(where, _median_of(deviations.gather(where)))
    mean_ad = pl.repeat(None, n, dtype=pl.Float64, eager=True)
    zero = (mad == 0).fill_null(False)
    if zero.any():
        where = zero.arg_true()
        lists = pl.lit(windows.gather(where).arr.to_list())
        mean_ad = mean_ad.scatter(where, pl.select(_mad_parts(lists)["__mean_ad"]).to_series())
    parts = {"median": median, "mad": mad, "__mean_ad": mean_ad, "__obs": obs}
    if keep is not None:
        parts["__keep"] = keep
    return parts


def _reach(value: pl.Series, centre: pl.Series, threshold: float) -> pl.Series:
    """The MAD above which ``|value - centre| / (MAD_SCALE * MAD)`` is below ``threshold``,
    with a relative margin of 1e-9 for the rounding of the score's own arithmetic."""
    return (value - centre).abs() / (MAD_SCALE * threshold) * (1 + 1e-9)


def _unsafe(cut: pl.Series) -> pl.Series:
    """Rows where the cut proves nothing: not finite, or so small (the subnormal range) that
    relative rounding bounds no longer hold. They are scored in full."""
    return (~cut.is_finite() | ((cut > 0) & (cut < 1e-290))).fill_null(False)


def _plain_recent(
    targets: pl.DataFrame, grid: pl.Series, window: int, threshold: float | None
) -> pl.DataFrame:
    """:func:`_plain` for the target rows, their windows gathered from the grid. With a
    ``threshold``, only the rows whose |score| can reach it (see :func:`_robust_parts`)."""
    windows = _gather_windows(targets, grid, list(range(1, window + 1)))
    parts = _robust_parts(windows, threshold, targets["value"])
    out = targets.with_columns(
        median=parts["median"],
        mad=parts["mad"],
        __mean_ad=parts["__mean_ad"],
        score_obs=parts["__obs"],
        __same_obs=pl.lit(0, pl.Int32),
    )
    if "__keep" in parts:
        out = out.filter(parts["__keep"])
    return _scored(out, math.ceil(0.75 * window), 0, window)


def _weekday_recent(
    targets: pl.DataFrame, grid: pl.Series, weeks: int, threshold: float | None
) -> pl.DataFrame:
    """:func:`_weekday` for the target rows, their windows gathered from the grid (and with a
    ``threshold``, only the rows that can reach it, as in :func:`_plain_recent`)."""
    n = targets.height
    # Per target, weekday r = 1..7 (lags r, r+7, ...) in the order _weekday concatenates them.
    windows = _gather_windows(targets, grid, [r + 7 * i for r in range(1, 8) for i in range(weeks)])
    by_weekday = windows.reshape((n * 7, weeks))
    centres = _median_of(by_weekday)
    own = pl.int_range(0, n, dtype=pl.Int64, eager=True) * 7 + 6  # lags 7, 14, ...
    centre = centres.gather(own)
    residuals = _minus(by_weekday, centres).reshape((n, 7 * weeks))
    parts = _robust_parts(residuals, threshold, targets["value"], centre)
    same_nulls = pl.select(pl.lit(by_weekday.gather(own)).arr.count_matches(None)).to_series()
    out = targets.with_columns(
        median=centre,
        mad=parts["mad"],
        __mean_ad=parts["__mean_ad"],
        score_obs=parts["__obs"],
        __same_obs=(weeks - same_nulls).cast(pl.Int32),
    )
    if "__keep" in parts:
        out = out.filter(parts["__keep"])
    need_same = max(3, math.ceil(0.75 * weeks)) if weeks >= 3 else weeks
    return _scored(out, math.ceil(0.75 * 7 * weeks), need_same, 7 * weeks)


def _check_score_args(window: int, weekday_aware: bool | str) -> None:
    if weekday_aware not in ("auto", True, False):
        raise ValueError(f"weekday_aware must be 'auto', True or False, got {weekday_aware!r}")
    if window < 2 or (weekday_aware is True and window // 7 < 2):
        raise ValueError(
            f"window={window} is too short: use at least 2 days, and at least 14 days for "
            "weekday-aware scores"
        )


def score(
    frame: pl.DataFrame,
    window: int = 28,
    keys: Sequence[str] | None = None,
    weekday_aware: bool | str = "auto",
    *,
    since: date | None = None,
) -> pl.DataFrame:
    """Score every input row against its own trailing history.

    Returns the keys, ``date``, ``value``, ``score``, ``direction`` ('up'/'down', NULL when the
    score is NULL or 0), ``median``, ``mad``, ``score_obs`` (history days observed),
    ``score_reason`` and ``is_weekday_aware``. ``weekday_aware`` is ``"auto"`` (test per
    series, see module docstring), True or False. With ``since``, only the rows on or after
    that date are scored and returned; earlier rows are history (and still feed the
    seasonality test): a scan of the last 7 days then does the list work for 7 days per series,
    not for the whole look-back it read.
    """
    _check_score_args(window, weekday_aware)
    weeks = window // 7
    keys_list = resolve_keys(frame, keys)
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
    out = (
        pl.concat(parts, how="diagonal")
        .filter(pl.col("__in").fill_null(False))
        .with_columns(
            direction=pl.when(pl.col("score") > 0)
            .then(pl.lit("up"))
            .when(pl.col("score") < 0)
            .then(pl.lit("down"))
        )
        .join(ids, on="__sid", how="left")
        .select(
            *named_keys,
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
    )
    return finish(out, named_keys)


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")


def detect(
    frame: pl.DataFrame,
    threshold: float = 3.5,
    direction: str = "both",
    keys: Sequence[str] | None = None,
    window: int = 28,
    weekday_aware: bool | str = "auto",
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
        found = _score_recent(frame, keys_list, window, weekday_aware, since, threshold)
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
    weekday_aware: bool | str = "auto",
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
    weekday_aware: bool | str = "auto",
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
