"""Comparing series: indexed lines, shares, crossovers and lagged correlation.

Why: ChatGPT's downloads are an order of magnitude above Claude's, so on one raw chart Claude's
+51% is a flat line. Indexing each series to 100 at its own baseline puts both on one scale;
shares say who holds the market on a day; a crossover turns "Claude passed ChatGPT" into a
dated, checkable fact; a lagged correlation asks whether one series' moves follow another's.

Gaps stay gaps: a share is only computed on days where every member of the group is observed
(otherwise one missing app would hand the others 100%), a crossover compares consecutive days
where both series are observed, and correlations use only observed pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from analytics._frame import complete_calendar, finish, lag, prepare, resolve_keys
from analytics.baselines import Method, parse_method


def index_to_100(
    frame: pl.DataFrame,
    method_or_date: date | str | Method | tuple[date, date],
    keys: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Add ``index`` = 100 * value / base, each series against its own base.

    ``method_or_date`` is a date (base = the value that day), a window (``"window:A..B"``, a
    window Method, or a ``(start, end)`` tuple: base = mean of the observed days, needing
    ``ceil(0.75 * days)`` of them), or ``"first"`` (base = the series' first observed value).
    Also adds ``index_base`` and ``index_reason`` (why ``index`` is NULL). A zero base gives NULL.
    """
    keys_list = resolve_keys(frame, keys)
    df, work = prepare(frame, keys_list)
    observed = df.filter(pl.col("value").is_not_null())
    if isinstance(method_or_date, date):
        base = observed.filter(pl.col("date") == method_or_date).select(
            *work, __base=pl.col("value"), __obs=pl.lit(1, pl.Int32)
        )
        need, missing = 1, pl.lit(f"no observation on {method_or_date}")
    elif method_or_date == "first":
        base = (
            observed.sort([*work, "date"])
            .group_by(work, maintain_order=True)
            .first()
            .select(*work, __base=pl.col("value"), __obs=pl.lit(1, pl.Int32))
        )
        need, missing = 1, pl.lit("no observation")
    else:
        if isinstance(method_or_date, tuple):
            start, end = method_or_date
            method = parse_method(f"window:{start}..{end}")
        else:
            method = parse_method(method_or_date)
        if method.kind != "window":
            raise ValueError(
                f"index_to_100 needs a date, 'first' or a window:START..END, got {method.name!r}"
            )
        base = (
            observed.filter(pl.col("date").is_between(method.start, method.end))
            .group_by(work)
            .agg(__base=pl.col("value").mean(), __obs=pl.len().cast(pl.Int32))
        )
        need = method.min_obs
        missing = pl.format(
            "only {} of {} days of {}..{} observed (minimum {})",
            pl.col("__obs").fill_null(0),
            pl.lit(method.window_days),
            pl.lit(str(method.start)),
            pl.lit(str(method.end)),
            pl.lit(need),
        )
    target = frame if keys_list else frame.with_columns(pl.lit(0, pl.Int8).alias("__series__"))
    out = target.join(base, on=work, how="left", nulls_equal=True)
    ok_base = pl.col("__obs").fill_null(0) >= need
    out = out.with_columns(
        index_base=pl.when(ok_base).then(pl.col("__base")),
    ).with_columns(
        index=pl.when(pl.col("index_base") != 0).then(100 * pl.col("value") / pl.col("index_base")),
        index_reason=pl.when(~ok_base)
        .then(missing)
        .when(pl.col("index_base") == 0)
        .then(pl.lit("base is zero"))
        .when(pl.col("value").is_null())
        .then(pl.lit("no observation on this day")),
    )
    return finish(out.drop("__base", "__obs"), keys_list)


def share(
    frame: pl.DataFrame,
    by: str = "app",
    keys: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Add ``total`` and ``share_pct`` (a fraction) of each ``by`` value per group and date.

    The group is the other key columns (e.g. country and metric when ``by="app"``). A day's
    total is only formed when every member the group has anywhere in the frame is observed that
    day; otherwise ``total`` and ``share_pct`` are NULL with ``share_reason``.
    """
    keys_list = resolve_keys(frame, keys)
    if by not in keys_list:
        raise ValueError(f"share(by={by!r}) needs {by!r} among the key columns {keys_list}")
    group = [k for k in keys_list if k != by]
    members = pl.col(by).n_unique().over(group) if group else pl.col(by).n_unique()
    present = pl.col("value").is_not_null().sum().over([*group, "date"])
    total = pl.col("value").sum().over([*group, "date"])
    out = (
        frame.with_columns(__members=members, __present=present, __total=total)
        .with_columns(total=pl.when(pl.col("__present") == pl.col("__members")).then("__total"))
        .with_columns(
            share_pct=pl.when(pl.col("total") != 0).then(pl.col("value") / pl.col("total")),
            share_reason=pl.when(pl.col("total").is_null())
            .then(
                pl.format(
                    "only {} of {} {} values observed on this day",
                    "__present",
                    "__members",
                    pl.lit(by),
                )
            )
            .when(pl.col("total") == 0)
            .then(pl.lit("total is zero")),
        )
        .drop("__members", "__present", "__total")
    )
    return finish(out, [*group, by])


def crossovers(
    frame: pl.DataFrame,
    a: str,
    b: str,
    by: str = "app",
    keys: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Dates where series ``a`` goes from <= ``b`` to > ``b`` (``a``, ``b`` values of ``by``).

    Compared per group of the other key columns (e.g. country, metric), on the days where both
    are observed; "goes from" means from the previous such day (``previous_date``, usually the
    day before). ``is_first`` is true for the first time in the data that ``a`` is above ``b``
    (no earlier day in the data had a > b); ``first_date`` is the first day compared, so that
    "for the first time" can be qualified. Columns: group keys, ``date``, ``a``, ``b``,
    ``value_a``, ``value_b``, ``previous_date``, ``is_first``, ``first_date``.
    """
    keys_list = resolve_keys(frame, keys)
    if by not in keys_list:
        raise ValueError(f"crossovers(by={by!r}) needs {by!r} among the key columns {keys_list}")
    group = [k for k in keys_list if k != by]
    work = group or ["__one"]
    base = frame if group else frame.with_columns(__one=pl.lit(0))

    def side(name: str, column: str) -> pl.DataFrame:
        return base.filter(pl.col(by) == name, pl.col("value").is_not_null()).select(
            *work, "date", pl.col("value").alias(column)
        )

    pairs = side(a, "value_a").join(side(b, "value_b"), on=[*work, "date"], nulls_equal=True)
    above = pl.col("value_a") > pl.col("value_b")
    out = (
        pairs.sort([*work, "date"])
        .with_columns(
            previous_date=pl.col("date").shift(1).over(work, order_by="date"),
            __was_above=above.shift(1).over(work, order_by="date"),
            __above_before=above.cast(pl.Int32).cum_sum().shift(1).over(work, order_by="date"),
            first_date=pl.col("date").min().over(work),
        )
        .filter(above & ~pl.col("__was_above"))  # NULL (first compared day) never matches
        .with_columns(is_first=pl.col("__above_before").fill_null(0) == 0, a=pl.lit(a), b=pl.lit(b))
        .select(
            *work, "date", "a", "b", "value_a", "value_b", "previous_date", "is_first", "first_date"
        )
    )
    return out if group else out.drop("__one")


def lagged_correlation(
    frame_a: pl.DataFrame,
    frame_b: pl.DataFrame,
    lags: Iterable[int] = range(-3, 4),
    on: str = "change",
    keys: Sequence[str] | None = None,
    min_n: int = 3,
) -> pl.DataFrame:
    """Pearson correlation of a with b shifted by each lag: keys, ``lag``, ``correlation``, ``n``.

    Sign convention: at lag L, a's day t is paired with b's day t + L. A positive lag means b
    follows a (a peak in a at L > 0 reflects b moving L days after a). ``on="change"``
    correlates day-over-day changes (v_t / v_(t-1) - 1, only between observed consecutive days
    with v_(t-1) != 0); ``on="value"`` correlates the values. ``keys`` names the columns that
    pair series across the two frames (e.g. ``["country"]``); by default each frame must hold
    exactly one series. Fewer than ``min_n`` pairs, or no variance, gives NULL.
    """
    if on not in ("change", "value"):
        raise ValueError(f"on must be 'change' or 'value', got {on!r}")
    pair_keys = list(keys or [])
    lags = [int(v) for v in lags]

    def measure(frame: pl.DataFrame, name: str) -> pl.DataFrame:
        own = resolve_keys(frame, None)
        if not keys:
            n_series = frame.select(own).unique().height if own else 1
            if n_series > 1:
                raise ValueError(
                    f"{name} holds {n_series} series (keys {own}); filter it to one series or "
                    "pass keys=[...] naming the columns that pair series of the two frames"
                )
        df, work = prepare(frame.select(*pair_keys, "date", "value"), pair_keys)
        cal = complete_calendar(df, work)
        prev = lag(pl.col("value"), 1, work)
        x = (
            pl.when(prev != 0).then(pl.col("value") / prev - 1)
            if on == "change"
            else pl.col("value")
        )
        return cal.select(*work, "date", x.alias("x")).drop_nulls("x")

    xa = measure(frame_a, "frame_a")
    xb = measure(frame_b, "frame_b").rename({"x": "y"})
    work = pair_keys or ["__series__"]
    results = []
    for lag_days in lags:  # a handful of lags, each fully vectorised over all series
        shifted = xb.with_columns(pl.col("date") - pl.duration(days=lag_days))
        joined = xa.join(shifted, on=[*work, "date"], nulls_equal=True)
        stats = (
            joined.group_by(work)
            .agg(n=pl.len().cast(pl.Int32), correlation=pl.corr("x", "y"))
            .with_columns(lag=pl.lit(lag_days, pl.Int32))
        )
        results.append(stats)
    series = xa.select(work).unique()
    grid = series.join(pl.DataFrame({"lag": lags}, schema={"lag": pl.Int32}), how="cross")
    out = (
        grid.join(pl.concat(results), on=[*work, "lag"], how="left", nulls_equal=True)
        .with_columns(pl.col("n").fill_null(0))
        .with_columns(
            correlation=pl.when((pl.col("n") >= min_n) & pl.col("correlation").is_not_nan()).then(
                pl.col("correlation")
            )
        )
        .select(*work, "lag", "correlation", "n")
        .sort([*work, "lag"])
    )
    return out.drop("__series__") if not pair_keys else out
