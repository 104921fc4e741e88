"""Baselines and deltas: every percentage says what it is measured against.

Why this module exists: "+295%" means nothing until the reference is named. The press compared
ChatGPT's uninstalls on Sat 2026-02-28 with the previous day (+295%, i.e. 3.95x) and then retold
it as "nearly three times more" - the kind of slip that disappears when each number carries its
method. :func:`parse_method` turns the method text a user picks (``previous-day``, ``mean:28``,
``weekday:4``, ``window:2026-02-01..2026-02-14``, ``yoy``...) into a :class:`Method`;
:func:`compute` returns, for every series and period, the value, the baseline, the change (a
fraction) and the multiple, the method's human label, how many observations the baseline used,
and - when a comparison is impossible - the reason, in words.

Rules that hold everywhere (see the README, "Methodology"):

* A missing day (absent row or NULL value) is *not observed*, never zero.
* A baseline built from too few observations is NULL with a reason, not a noisy number:
  ``mean:N`` / ``median:N`` need ``ceil(0.75 * N)`` of the N days, ``weekday:K`` needs
  ``ceil(K / 2)`` of the K same weekdays, ``window:A..B`` needs ``ceil(0.75 * days)`` of the
  window's days; point methods (previous-day, yoy, mom, wow) need their one counterpart day or
  (at week/month grain) a fully observed counterpart period.
* A zero baseline gives NULL change and multiple (reason "baseline is zero"), never infinity.
* Week (ISO, Monday start) and month (calendar) values are sums of the days. A period that is
  not fully observed, or that the requested range cuts, is marked ``is_partial`` and is not
  compared (reason "partial period"). Level metrics (total user installs, active devices,
  active users: the catalogue's ``kind = 'level'``) are never summed: ``level=True`` at
  week/month grain raises, and so does a frame whose ``metric`` is a level according to
  ``kinds`` (the catalogue, passed by the caller) or, for metrics without a kind, to
  :data:`LEVEL_METRICS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from analytics._frame import complete_calendar, finish, lag, prepare, resolve_keys

GRAINS = ("day", "week", "month")

DEFAULT_DAYS = 28
DEFAULT_WEEKS = 4

# The fallback list of level metrics: a daily snapshot, not a count of events. It mirrors the
# catalogue's `kind = 'level'` rows (queries/schema/v001.sql). Callers that read from the
# database pass the catalogue's kinds instead (``compute(..., kinds=...)``, from
# queries/metric_kinds.sql), so a metric a user adds with ``--kind level`` is refused too; this
# list only decides for metrics the caller gave no kind for.
LEVEL_METRICS = frozenset({"total_user_installs", "active_devices", "active_users"})
METRIC_KINDS = ("event", "level")

VALID_FORMS = (
    "previous-day, mean[:N], median[:N] (N days before the day, default 28), "
    "weekday[:K] (same weekday in the K previous weeks, default 4), "
    "window:YYYY-MM-DD..YYYY-MM-DD, yoy, mom, wow"
)

# Which grains each kind of method makes sense at. Trailing-day windows are daily tools; a
# "previous month" of a week does not exist.
_GRAINS_BY_KIND = {
    "previous-day": ("day",),
    "mean": ("day",),
    "median": ("day",),
    "weekday": ("day",),
    "window": ("day", "week", "month"),
    "yoy": ("day", "week", "month"),
    "mom": ("day", "month"),
    "wow": ("day", "week"),
}

_PERIOD_LABELS = {
    ("yoy", "day"): "vs the same date a year earlier",
    ("yoy", "week"): "vs the same ISO week a year earlier",
    ("yoy", "month"): "vs the same month a year earlier",
    ("mom", "day"): "vs the same day of the previous month",
    ("mom", "month"): "vs the previous month",
    ("wow", "day"): "vs the same weekday a week earlier",
    ("wow", "week"): "vs the previous week",
}

# The columns `compute` returns after the series keys, in order (the CLI and pages reuse it).
RESULT_COLUMNS = (
    "date", "value", "baseline", "change", "multiple", "method", "method_label",
    "baseline_obs", "reason", "is_partial", "grain", "days_observed", "days_in_period",
)  # fmt: skip


@dataclass(frozen=True)
class Method:
    """A parsed baseline method.

    ``name`` is the canonical text (``mean`` becomes ``mean:28``) so that equal methods compare
    and cache equal; ``n`` is days (mean/median) or weeks (weekday); ``start``/``end`` bound a
    fixed window; ``label`` is the human text used in sentences and chart notes.
    """

    name: str
    kind: str
    label: str
    n: int | None = None
    start: date | None = None
    end: date | None = None

    @property
    def min_obs(self) -> int:
        """Default minimum number of observations for the baseline (see module docstring)."""
        if self.kind in ("mean", "median"):
            return math.ceil(0.75 * (self.n or 0))
        if self.kind == "weekday":
            return math.ceil((self.n or 0) / 2)
        if self.kind == "window":
            return math.ceil(0.75 * self.window_days)
        return 1

    @property
    def window_days(self) -> int:
        """Number of calendar days in a fixed window (0 for other kinds)."""
        if self.start is None or self.end is None:
            return 0
        return (self.end - self.start).days + 1

    def label_for(self, grain: str = "day") -> str:
        """The label at a grain: "yoy" reads "same date" daily and "same month" monthly."""
        return _PERIOD_LABELS.get((self.kind, grain), self.label)


def parse_method(text: str | Method) -> Method:
    """Parse method text into a :class:`Method`; raise ValueError naming the valid forms.

    Accepts surrounding spaces and any case. ``mean`` alone means ``mean:28``, ``weekday``
    alone means ``weekday:4``. A Method passes through unchanged.
    """
    if isinstance(text, Method):
        return text
    raw = str(text).strip().lower()

    def bad(why: str) -> ValueError:
        return ValueError(f"unknown baseline method {text!r} ({why}); valid forms: {VALID_FORMS}")

    if raw in ("previous-day", "previous_day", "dod"):
        return Method("previous-day", "previous-day", "vs the previous day")
    if raw in ("yoy", "mom", "wow"):
        span = {"yoy": "year", "mom": "month", "wow": "week"}[raw]
        return Method(raw, raw, f"vs the same period a {span} earlier")
    match = re.fullmatch(r"(mean|median|weekday)(?::(\d+))?", raw)
    if match:
        kind, number = match.group(1), match.group(2)
        n = int(number) if number else (DEFAULT_WEEKS if kind == "weekday" else DEFAULT_DAYS)
        if n < 1:
            raise bad(f"{kind} needs a positive number")
        if kind == "weekday":
            return Method(
                f"weekday:{n}",
                "weekday",
                f"vs the same weekday in the previous {n} week{'s' if n > 1 else ''}",
                n=n,
            )
        return Method(
            f"{kind}:{n}",
            kind,
            f"vs the {kind} of the previous {n} day{'s' if n > 1 else ''}",
            n=n,
        )
    match = re.fullmatch(r"window:(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", raw)
    if match:
        try:
            start, end = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
        except ValueError as exc:
            raise bad(f"not a calendar date: {exc}") from None
        if end < start:
            raise bad("the window ends before it starts")
        return Method(
            f"window:{start}..{end}",
            "window",
            f"vs the mean of {start}..{end}",
            start=start,
            end=end,
        )
    raise bad("not one of the forms")


def _check_grain(method: Method, grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"unknown grain {grain!r}; valid grains: {', '.join(GRAINS)}")
    allowed = _GRAINS_BY_KIND[method.kind]
    if grain not in allowed:
        usable = [k for k, grains in _GRAINS_BY_KIND.items() if grain in grains]
        raise ValueError(
            f"method {method.name!r} works at grain {' or '.join(allowed)}, not {grain!r}; "
            f"at grain {grain!r} use one of: {', '.join(usable)}"
        )


def lookback_days(method: str | Method, grain: str = "day") -> int:
    """Calendar days of history needed before the first shown day.

    The database layer fetches ``[first_day - lookback_days, last_day]`` so that the first
    shown period already has its full baseline. At week/month grain the first shown day can be
    the last day of its period, so the period's own start is included (+6 days for a week,
    +30 for a month). A fixed window needs no trailing history but its own dates: use
    :func:`fetch_start`, which covers both.
    """
    m = parse_method(method)
    _check_grain(m, grain)
    if m.kind == "previous-day":
        return 1
    if m.kind in ("mean", "median"):
        return m.n or 0
    if m.kind == "weekday":
        return 7 * (m.n or 0)
    if m.kind == "window":
        return 0
    if grain == "day":
        # yoy: 29 Feb 2028 has no counterpart; 1 Mar 2028 -> 1 Mar 2027 = 366 days.
        # mom: 31 Jan -> 31 Dec = 31 days. wow: 7 days.
        return {"yoy": 366, "mom": 31, "wow": 7}[m.kind]
    if grain == "week":
        # Start of the first week (up to 6 days back) then 52 or 53 ISO weeks (<= 371 days).
        return 6 + (371 if m.kind == "yoy" else 7)
    # Month: start of the first month (up to 30 days back), then a year (<= 366) or a month (31).
    return 30 + (366 if m.kind == "yoy" else 31)


def fetch_start(method: str | Method, first_day: date, grain: str = "day") -> date:
    """First date the database query must return to compute ``method`` from ``first_day`` on."""
    m = parse_method(method)
    start = date.fromordinal(first_day.toordinal() - lookback_days(m, grain))
    if m.kind == "window" and m.start is not None:
        start = min(start, m.start)
    return start


def level_metrics(names: Sequence[str], kinds: Mapping[str, str] | None = None) -> list[str]:
    """The names among ``names`` that are level metrics, sorted.

    ``kinds`` maps metric -> 'event' | 'level' (the ``metrics`` table); a metric absent from it
    falls back to :data:`LEVEL_METRICS` (case-insensitive).
    """
    kinds = kinds or {}
    bad = sorted({str(k) for k in kinds.values() if k not in METRIC_KINDS})
    if bad:
        raise ValueError(f"unknown metric kind(s) {', '.join(bad)}; kinds are event or level")
    out = set()
    for name in names:
        kind = kinds.get(name)
        if kind == "level" or (kind is None and str(name).lower() in LEVEL_METRICS):
            out.add(str(name))
    return sorted(out)


def _check_level(
    frame: pl.DataFrame, grain: str, level: bool, kinds: Mapping[str, str] | None
) -> None:
    """Refuse to sum level metrics over weeks or months (see module docstring)."""
    if grain == "day":
        return
    if level:
        raise ValueError(
            f"cannot aggregate a level metric to grain {grain!r}: a level (active devices, "
            "total user installs) is a daily snapshot and summing it over days is meaningless; "
            "use grain='day'"
        )
    if "metric" in frame.columns:
        names = frame.get_column("metric").drop_nulls().unique().to_list()
        levels = level_metrics(names, kinds)
        if levels:
            raise ValueError(
                f"metric(s) {', '.join(levels)} are levels, not event counts: they cannot be "
                f"summed to grain {grain!r}; use grain='day' (or pass level=True for clarity)"
            )


def compute(
    frame: pl.DataFrame,
    method: str | Method,
    grain: str = "day",
    keys: Sequence[str] | None = None,
    min_obs: int | None = None,
    *,
    level: bool = False,
    kinds: Mapping[str, str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pl.DataFrame:
    """Compare each period of each series with its baseline.

    Returns one row per series per period (day grain: one row per input row) with the keys,
    ``date`` (period start at week/month grain), ``value``, ``baseline``, ``change``
    (value / baseline - 1, a fraction), ``multiple`` (value / baseline), ``method``,
    ``method_label``, ``baseline_obs``, ``reason`` (why change is NULL, else NULL),
    ``is_partial``, ``grain``, ``days_observed`` and ``days_in_period``.

    ``min_obs`` overrides the minimum observations of windowed methods (mean, median, weekday,
    window); point methods always need their one counterpart. ``start``/``end`` bound the shown
    range: rows outside are dropped, and a week or month the range cuts is partial (its value
    is the sum of the days inside the range). The frame itself should include the look-back
    (:func:`lookback_days`). ``level=True`` declares a level metric: allowed at day grain,
    refused at week/month grain. ``kinds`` (metric -> 'event' | 'level', from the catalogue)
    says which values of a ``metric`` column are levels; without it the name list
    :data:`LEVEL_METRICS` decides.
    """
    m = parse_method(method)
    _check_grain(m, grain)
    keys_list = resolve_keys(frame, keys)
    _check_level(frame, grain, level, kinds)
    need = m.min_obs if min_obs is None else min_obs
    if m.kind in ("mean", "median", "weekday", "window"):
        size = m.window_days if m.kind == "window" else (m.n or 0)
        if not 1 <= need <= size:
            raise ValueError(f"min_obs must be between 1 and {size} for {m.name}, got {need}")
    df, work_keys = prepare(frame, keys_list)

    if grain == "day":
        out = _daily(df, m, work_keys, need)
        if start is not None:
            out = out.filter(pl.col("date") >= start)
        if end is not None:
            out = out.filter(pl.col("date") <= end)
    else:
        out = _periodic(df, m, grain, work_keys, need, start, end)

    value_missing = "no observation on this day" if grain == "day" else "no observation in period"
    ok = (
        pl.col("value").is_not_null()
        & pl.col("baseline").is_not_null()
        & (pl.col("baseline") != 0)
        & ~pl.col("is_partial")
    )
    out = out.with_columns(
        change=pl.when(ok).then(pl.col("value") / pl.col("baseline") - 1),
        multiple=pl.when(ok).then(pl.col("value") / pl.col("baseline")),
        reason=pl.when(pl.col("is_partial"))
        .then(pl.lit("partial period"))
        .when(pl.col("value").is_null())
        .then(pl.lit(value_missing))
        .when(pl.col("baseline").is_null())
        .then(pl.col("baseline_reason"))
        .when(pl.col("baseline") == 0)
        .then(pl.lit("baseline is zero")),
        method=pl.lit(m.name),
        method_label=pl.lit(m.label_for(grain)),
        grain=pl.lit(grain),
    )
    out = out.select([*work_keys, *RESULT_COLUMNS]).with_columns(
        pl.col("baseline_obs").cast(pl.Int32)
    )
    return finish(out, work_keys)


def _daily(df: pl.DataFrame, m: Method, keys: list[str], need: int) -> pl.DataFrame:
    """Day-grain baselines on a completed calendar (row shift k == k calendar days)."""
    cal = complete_calendar(df.with_columns(pl.lit(True).alias("__in")), keys)
    v = pl.col("value")
    if m.kind == "previous-day":
        base = lag(v, 1, keys)
        cal = cal.with_columns(
            baseline=base,
            baseline_obs=base.is_not_null().cast(pl.Int32),
            baseline_reason=pl.lit("no observation on the previous day"),
        )
    elif m.kind in ("mean", "median"):
        n = m.n or 0
        prev = lag(v, 1, keys)
        raw = (
            prev.rolling_mean(n, min_samples=1)
            if m.kind == "mean"
            else prev.rolling_median(n, min_samples=1)
        ).over(keys, order_by="date")
        obs = (
            prev.is_not_null()
            .cast(pl.Int32)
            .rolling_sum(n, min_samples=1)
            .over(keys, order_by="date")
        )
        cal = cal.with_columns(raw=raw, baseline_obs=obs.fill_null(0)).with_columns(
            baseline=pl.when(pl.col("baseline_obs") >= need).then(pl.col("raw")),
            baseline_reason=pl.format(
                "only {} of {} days observed (minimum {})", "baseline_obs", pl.lit(n), pl.lit(need)
            ),
        )
    elif m.kind == "weekday":
        k = m.n or 0
        same_days = pl.concat_list([lag(v, 7 * i, keys) for i in range(1, k + 1)])
        cal = (
            cal.with_columns(same=same_days)
            .with_columns(
                raw=pl.col("same").list.mean(),
                baseline_obs=pl.col("same").list.drop_nulls().list.len().cast(pl.Int32),
            )
            .with_columns(
                baseline=pl.when(pl.col("baseline_obs") >= need).then(pl.col("raw")),
                baseline_reason=pl.format(
                    "only {} of {} same weekdays observed (minimum {})",
                    "baseline_obs",
                    pl.lit(k),
                    pl.lit(need),
                ),
            )
        )
    elif m.kind == "window":
        cal = _join_window(cal, df, m, keys, need, days_in_period=None)
    else:
        cal = _daily_point(cal, df, m, keys)
    return cal.filter(pl.col("__in").fill_null(False)).with_columns(
        is_partial=pl.lit(False),
        days_observed=v.is_not_null().cast(pl.Int32),
        days_in_period=pl.lit(1, pl.Int32),
    )


def _join_window(
    target: pl.DataFrame,
    df: pl.DataFrame,
    m: Method,
    keys: list[str],
    need: int,
    days_in_period: pl.Expr | None,
) -> pl.DataFrame:
    """Attach the fixed-window mean; at week/month grain scale it to the period's day count.

    Scaling (daily mean x days in the period) keeps a weekly sum comparable with a window of
    any length; the window's minimum is ceil(0.75 * window days) either way.
    """
    stats = (
        df.filter(pl.col("date").is_between(m.start, m.end), pl.col("value").is_not_null())
        .group_by(keys)
        .agg(raw=pl.col("value").mean(), baseline_obs=pl.len().cast(pl.Int32))
    )
    out = target.join(stats, on=keys, how="left", nulls_equal=True).with_columns(
        pl.col("baseline_obs").fill_null(0)
    )
    scale = days_in_period if days_in_period is not None else pl.lit(1)
    return out.with_columns(
        baseline=pl.when(pl.col("baseline_obs") >= need).then(pl.col("raw") * scale),
        baseline_reason=pl.format(
            "only {} of {} days of {}..{} observed (minimum {})",
            "baseline_obs",
            pl.lit(m.window_days),
            pl.lit(str(m.start)),
            pl.lit(str(m.end)),
            pl.lit(need),
        ),
    )


def _daily_point(cal: pl.DataFrame, df: pl.DataFrame, m: Method, keys: list[str]) -> pl.DataFrame:
    """yoy / mom / wow at day grain: look up one counterpart date."""
    d = pl.col("date")
    if m.kind == "yoy":
        target = d.dt.offset_by("-1y")
        exists = ~((d.dt.month() == 2) & (d.dt.day() == 29))
        missing = pl.lit("no same date a year earlier (29 Feb)")
        what = "the same date a year earlier"
    elif m.kind == "mom":
        target = d.dt.offset_by("-1mo")
        exists = target.dt.day() == d.dt.day()
        missing = pl.format("no day {} in the previous month", d.dt.day())
        what = "the same day of the previous month"
    else:
        target = d.dt.offset_by("-7d")
        exists = pl.lit(True)
        missing = pl.lit("")
        what = "the same weekday a week earlier"
    lookup = df.select(*keys, pl.col("date").alias("__target"), pl.col("value").alias("baseline"))
    cal = cal.with_columns(__target=pl.when(exists).then(target), __exists=exists)
    cal = cal.join(lookup, on=[*keys, "__target"], how="left", nulls_equal=True)
    return cal.with_columns(
        baseline_obs=pl.col("baseline").is_not_null().cast(pl.Int32),
        baseline_reason=pl.when(pl.col("__exists"))
        .then(pl.format(f"no observation on {what} ({{}})", pl.col("__target")))
        .otherwise(missing),
    )


def _period_table(df: pl.DataFrame, keys: list[str], grain: str) -> pl.DataFrame:
    """Sum days into ISO weeks or calendar months, counting observed days."""
    period = pl.col("date").dt.truncate("1w" if grain == "week" else "1mo")
    days = (
        pl.lit(7, pl.Int32)
        if grain == "week"
        else pl.col("date").dt.month_end().dt.day().cast(pl.Int32)
    )
    return (
        df.filter(pl.col("value").is_not_null())
        .with_columns(period=period)
        .group_by(*keys, "period")
        .agg(value=pl.col("value").sum(), days_observed=pl.len().cast(pl.Int32))
        .rename({"period": "date"})
        .with_columns(days_in_period=days)
    )


def _periodic(
    df: pl.DataFrame,
    m: Method,
    grain: str,
    keys: list[str],
    need: int,
    start: date | None,
    end: date | None,
) -> pl.DataFrame:
    """Week/month grain: sums per period, partial flags, and the counterpart-period baseline."""
    every = "1w" if grain == "week" else "1mo"
    full = _period_table(df, keys, grain)
    # Periods to show: every period that has a row (even a NULL value) in the shown range.
    shown_rows = df
    if start is not None:
        shown_rows = shown_rows.filter(pl.col("date") >= start)
    if end is not None:
        shown_rows = shown_rows.filter(pl.col("date") <= end)
    periods = shown_rows.select(*keys, pl.col("date").dt.truncate(every)).unique()
    current = periods.join(
        _period_table(shown_rows, keys, grain).drop("days_in_period"),
        on=[*keys, "date"],
        how="left",
        nulls_equal=True,
    ).with_columns(
        pl.col("days_observed").fill_null(0),
        days_in_period=(
            pl.lit(7, pl.Int32)
            if grain == "week"
            else pl.col("date").dt.month_end().dt.day().cast(pl.Int32)
        ),
    )
    current = current.with_columns(
        is_partial=pl.col("days_observed") < pl.col("days_in_period"),
        # Values of a period are only summed when at least one day was observed.
        value=pl.when(pl.col("days_observed") > 0).then(pl.col("value")),
    )

    if m.kind == "window":
        return _join_window(current, df, m, keys, need, pl.col("days_in_period"))

    label = "%G-W%V" if grain == "week" else "%Y-%m"
    counterpart = full.select(
        *keys,
        pl.col("date").alias("__target"),
        pl.col("value").alias("__base_value"),
        pl.col("days_observed").alias("__base_obs"),
        pl.col("days_in_period").alias("__base_days"),
    )
    d = pl.col("date")
    if m.kind == "yoy" and grain == "week":
        # Same ISO week number in the previous ISO year; week 53 may not exist there.
        prev_year = d.dt.iso_year() - 1
        has_week = (d.dt.week() < 53) | (pl.date(prev_year, 12, 28).dt.week() == 53)
        target = pl.when(has_week).then(d.dt.offset_by("-52w"))
        # Monday of week W in year Y-1 is 52 weeks back unless Y-1 had 53 weeks.
        target = (
            pl.when(has_week & (pl.date(prev_year, 12, 28).dt.week() == 53))
            .then(d.dt.offset_by("-53w"))
            .otherwise(target)
        )
        missing = pl.format("ISO year {} has no week 53", prev_year)
        exists = has_week
    elif m.kind == "yoy":
        target, exists, missing = d.dt.offset_by("-1y"), pl.lit(True), pl.lit("")
    elif m.kind == "mom":
        target, exists, missing = d.dt.offset_by("-1mo"), pl.lit(True), pl.lit("")
    else:  # wow at week grain
        target, exists, missing = d.dt.offset_by("-1w"), pl.lit(True), pl.lit("")
    out = current.with_columns(__target=target, __exists=exists).join(
        counterpart, on=[*keys, "__target"], how="left", nulls_equal=True
    )
    complete = pl.col("__base_obs") == pl.col("__base_days")
    return out.with_columns(
        baseline=pl.when(complete).then(pl.col("__base_value")),
        baseline_obs=pl.col("__base_obs").fill_null(0),
        baseline_reason=pl.when(~pl.col("__exists"))
        .then(missing)
        .when(pl.col("__base_obs").is_null())
        .then(pl.format("no observation in {}", pl.col("__target").dt.strftime(label)))
        .otherwise(
            pl.format(
                "baseline period {} only {} of {} days observed",
                pl.col("__target").dt.strftime(label),
                "__base_obs",
                "__base_days",
            )
        ),
    )
