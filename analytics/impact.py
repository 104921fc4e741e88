"""Impact of an event: the excess over what the days before predicted, with an interval.

Why: an event study says "+327% at the peak"; the next question is "how many uninstalls did
the deal cause in all, give or take how many?". That needs a counterfactual - the series had
nothing happened - and an honest interval for the sum of the differences. This module gives
both, for one treated series and optional control series, from the *pre-period* (the ``pre``
days before the event day) and the *post-period* (the event day and the ``post - 1`` days
after it). Pure polars and Python: no database, no numpy.

**The expected series** is a least-squares fit on the pre-period, extrapolated into the
post-period, with three possible parts:

* the **level** (always);
* a **linear trend**, where the pre-period can carry one: at least :data:`TREND_MIN_DAYS`
  observed days (three weeks); below that, the level alone. Where it is fitted it is kept
  whatever its p-value (reported): keeping it only when significant was measured and
  rejected - a slope too small to be significant in four weeks still moves a two-week sum,
  and the intervals of that rule covered the true effect in 89% of simulated series (74%
  of those with such a trend) instead of 95%. The price is a wider interval (about 1.8x for
  28 days before and 14 after) that says honestly how little four weeks tell about a trend;
* the **weekly pattern** (one effect per weekday, shown as factors of the level), only where
  the pre-period has at least three full weeks (every weekday observed at least
  :data:`WEEKLY_MIN_PER_WEEKDAY` times) and the weekday effects are jointly significant
  (F-test against the model without them, p < :data:`COMPONENT_ALPHA`).

**Controls** (apps the event did not touch) adjust the expectation for what moved everything
(the season, a store change):

* ``did`` (difference-in-differences): the treated series' expected value is its pre-period
  level scaled by the controls' change: ``k x controls_t`` with ``k`` = the treated's
  pre-period mean / the controls' (summed) pre-period mean; what the controls cannot explain,
  ``d_t = y_t - k x controls_t``, gets the level/trend/weekly model above.
* ``synthetic``: a weighted combination of the controls, each indexed to its own pre-period
  mean, with non-negative weights summing to 1 fitted by least squares on the pre-period
  (exactly: every subset of controls is solved with the sum-to-one constraint and the best
  non-negative one kept); expected = treated's pre-period mean x the weighted index, and the
  difference ``d_t`` again gets the model above (the weights count as fitted parameters).

**The interval** comes from the pre-period's own errors: the residuals of the pre-period fit,
their variance estimated without bias (residual sum of squares / (n - p), n observed days,
p parameters fitted, weights included), and the regression prediction variance of a *sum* of
h post days: ``s^2 x (h + Lᵀ (XᵀX)⁻¹ L)``, L the sum of the h post days' design rows (the
second term is the uncertainty of the fitted level, trend and weekday effects, which every
post day shares). The 95% interval is the excess ± the t quantile with n - p degrees of
freedom times its square root: exact for independent, normally distributed day-to-day errors
around the model, and checked by simulation (tests/analytics/test_impact_simulation.py). When
the residuals' lag-1 autocorrelation r is significantly positive (r > 1.96 / sqrt(n)),
the variance of the summed noise uses the AR(1) form ``h + 2 Σ_k (h - k) r^k`` instead of h:
runs of high days then count as what they are.

**Refusals** (:class:`ImpactRefused`, a sentence): a pre-period under
:data:`MIN_PRE_DAYS` days; more than :data:`MAX_GAP_SHARE` of the pre-period days missing (or
fewer than :data:`MIN_PRE_DAYS` observed); a missing day in the post-period (the sum would
silently skip it); a control whose own post-period sum is outside its own interval (it moved:
the event touched it, or something else did, and it cannot stand for "nothing happened"); an
expected value below zero. An effect inside the noise is *not* a refusal: the result says
"no effect distinguishable from the day-to-day noise" (:attr:`Impact.is_distinguishable`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import polars as pl

from analytics import _stats, formatting

PRE_DAYS = 28
POST_DAYS = 14
#: Shortest pre-period: two full weeks, so the level is not tilted by the weekly pattern and
#: there are enough days to estimate the day-to-day noise.
MIN_PRE_DAYS = 14
#: Longest post-period: beyond it an extrapolated level says little.
MAX_POST_DAYS = 120
#: Share of the pre-period days that may be missing.
MAX_GAP_SHARE = 0.10
TREND_MIN_DAYS = 21
WEEKLY_MIN_PER_WEEKDAY = 3
COMPONENT_ALPHA = 0.05
LEVEL = 0.95
METHODS = ("none", "did", "synthetic")
MAX_CONTROLS = 5
METHOD_WORDS = {
    "none": "the treated series alone",
    "did": "difference-in-differences with",
    "synthetic": "synthetic control from",
}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NUMBER_WORDS = {1: "", 2: "two ", 3: "three ", 4: "four ", 5: "five ", 6: "six ", 7: "seven "}
_NUMBER_WORDS |= {8: "eight "}

DAY_COLUMNS = (
    "date", "offset", "period", "actual", "control_part", "expected", "expected_low",
    "expected_high", "excess", "cum_excess", "cum_low", "cum_high",
)  # fmt: skip


class ImpactRefused(ValueError):
    """What cannot be estimated honestly, in one sentence (shown as it is)."""


@dataclass(frozen=True)
class Model:
    """The pre-period model of the series that was modelled (the treated series, or what the
    controls leave of it): which parts were used and why, and the interval's ingredients."""

    n: int
    params: int
    df: int
    level: float
    uses_trend: bool
    trend_p: float | None
    slope: float | None
    uses_weekly: bool
    weekly_p: float | None
    weekday_factors: tuple[float, ...] | None
    residual_sd: float
    lag1: float | None
    ar_inflated: bool
    t_quantile: float


@dataclass(frozen=True)
class ControlMove:
    """A control's own post-period sum against its own pre-period prediction."""

    name: str
    actual: float
    expected: float
    change: float | None
    change_low: float | None
    change_high: float | None
    weight: float | None = None

    @property
    def moved(self) -> bool:
        """Its own interval excludes zero change: it moved beyond its noise."""
        if self.change_low is None or self.change_high is None:
            return False
        return self.change_low > 0 or self.change_high < 0


@dataclass(frozen=True)
class Impact:
    """The answer: per day (:attr:`days`, columns :data:`DAY_COLUMNS`) and in total."""

    label: str
    event_date: date
    pre_start: date
    pre_end: date
    post_start: date
    post_end: date
    pre_days: int
    post_days: int
    method: str
    level: float
    days: pl.DataFrame
    actual_total: float
    expected_total: float
    excess: float
    low: float
    high: float
    model: Model
    controls: tuple[ControlMove, ...] = field(default_factory=tuple)

    @property
    def is_distinguishable(self) -> bool:
        """The interval for the cumulative excess excludes zero."""
        return self.low > 0 or self.high < 0

    @property
    def change(self) -> float | None:
        """Excess as a fraction of the expected total (None when that is zero)."""
        return self.excess / self.expected_total if self.expected_total else None

    def summary(self) -> dict[str, object]:
        """One flat row (CLI JSON/CSV, the page's table)."""
        m = self.model
        return {
            "series": self.label,
            "event_date": self.event_date,
            "pre_start": self.pre_start,
            "pre_end": self.pre_end,
            "pre_observed": m.n,
            "post_start": self.post_start,
            "post_end": self.post_end,
            "post_days": self.post_days,
            "method": self.method,
            "controls": "+".join(c.name for c in self.controls) or None,
            "weights": "+".join(formatting.fmt_number(c.weight, 2) for c in self.controls)
            if self.method == "synthetic"
            else None,
            "actual_total": self.actual_total,
            "expected_total": self.expected_total,
            "excess": self.excess,
            "excess_low": self.low,
            "excess_high": self.high,
            "excess_change": self.change,
            "interval_level_pct": self.level,
            "is_distinguishable": self.is_distinguishable,
            "uses_trend": m.uses_trend,
            "trend_p": m.trend_p,
            "uses_weekly": m.uses_weekly,
            "weekly_p": m.weekly_p,
            "residual_sd": m.residual_sd,
            "degrees_of_freedom": m.df,
            "lag1_autocorrelation": m.lag1,
            "ar_inflated": m.ar_inflated,
            "controls_max_change_pct": max(abs(c.change or 0.0) for c in self.controls)
            if self.controls
            else None,
        }


# ----- the series on a calendar -------------------------------------------------------------


def _values(frame: pl.DataFrame, start: date, end: date, name: str) -> dict[date, float]:
    """date -> value for the observed days of ``frame`` in start..end (NULL = not observed)."""
    for col in ("date", "value"):
        if col not in frame.columns:
            raise ValueError(f"the frame of {name} has no {col!r} column")
    part = frame.filter(pl.col("date").is_between(start, end), pl.col("value").is_not_null())
    if part.get_column("date").is_duplicated().any():
        raise ValueError(f"{name} has more than one value on a day: pass one series per frame")
    dates, values = part.get_column("date").to_list(), part.get_column("value").to_list()
    return {
        d: float(v)
        for d, v in zip(dates, values, strict=True)
        if v is not None and math.isfinite(float(v))
    }


def _days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def _listed(days: Sequence[date], limit: int = 5) -> str:
    shown = ", ".join(d.isoformat() for d in days[:limit])
    return shown + (f" and {len(days) - limit} more" if len(days) > limit else "")


def _check_pre(name: str, pre: Sequence[date], values: Mapping[date, float]) -> None:
    missing = [d for d in pre if d not in values]
    allowed = math.floor(MAX_GAP_SHARE * len(pre))
    observed = len(pre) - len(missing)
    if len(missing) > allowed or observed < MIN_PRE_DAYS:
        raise ImpactRefused(
            f"{name} has {len(missing)} of the {len(pre)} pre-period days missing "
            f"({_listed(missing)}); at most {allowed} may be missing "
            f"({formatting.fmt_share(MAX_GAP_SHARE)}) and at least {MIN_PRE_DAYS} must be "
            "observed, or the level and the noise are guessed from too little: choose another "
            "pre-period or import the missing days."
        )


def _check_post(name: str, post: Sequence[date], values: Mapping[date, float]) -> None:
    missing = [d for d in post if d not in values]
    last = max((d for d in values if d >= post[0]), default=None)
    if missing and last is not None and all(d > last for d in missing):
        raise ImpactRefused(
            f"The data of {name} ends on {last.isoformat()}: a post-period of {len(post)} days "
            f"from {post[0].isoformat()} would reach {post[-1].isoformat()}. Use a "
            f"post-period of at most {(last - post[0]).days + 1} days."
        )
    if missing:
        raise ImpactRefused(
            f"{name} has no value on {len(missing)} of the {len(post)} post-period days "
            f"({_listed(missing)}): the cumulative excess would silently leave them out. "
            "Shorten the post-period or import those days."
        )


# ----- the pre-period model -----------------------------------------------------------------


def _row(offset: int, weekday: int, trend: bool, weekly: bool, centre: float) -> list[float]:
    row = [1.0]
    if trend:
        row.append(offset - centre)
    if weekly:
        # effect coding: the intercept is the mean over the weekdays, Sunday = -(sum of others)
        row += [1.0 if weekday == w else (-1.0 if weekday == 6 else 0.0) for w in range(6)]
    return row


@dataclass
class _Forecast:
    model: Model
    fitted: list[float]
    point: list[float]
    band: list[float]
    cum_half: list[float]


def _forecast(
    pre: Sequence[tuple[int, int, float]],
    post: Sequence[tuple[int, int]],
    *,
    level: float,
    extra_params: int = 0,
) -> _Forecast:
    """Fit ``pre`` ((offset, weekday, value) of observed days) and predict ``post``
    ((offset, weekday)): the model, fitted pre values, post predictions, each post day's
    prediction half-width and the half-width of the interval of each cumulative sum."""
    n = len(pre)
    centre = sum(o for o, _, _ in pre) / n
    y = [v for _, _, v in pre]
    counts = [sum(1 for _, w, _ in pre if w == d) for d in range(7)]
    weekly_ok = n >= TREND_MIN_DAYS and min(counts) >= WEEKLY_MIN_PER_WEEKDAY
    trend_ok = n >= TREND_MIN_DAYS

    def fit(trend: bool, weekly: bool) -> _stats.Fit:
        return _stats.Fit([_row(o, w, trend, weekly, centre) for o, w, _ in pre], y)

    def dof(f: _stats.Fit) -> int:
        return f.n - f.p - extra_params

    weekly_p = None
    use_weekly = False
    if weekly_ok:
        full, reduced = fit(trend_ok, True), fit(trend_ok, False)
        if full.rss > 0:
            stat = ((reduced.rss - full.rss) / 6) / (full.rss / dof(full))
            weekly_p = _stats.f_sf(stat, 6, dof(full))
        else:
            weekly_p = 0.0 if reduced.rss > 0 else 1.0
        use_weekly = weekly_p < COMPONENT_ALPHA
    trend_p = slope = None
    use_trend = False
    if trend_ok:
        with_trend = fit(True, use_weekly)
        slope = with_trend.beta[1]
        var = with_trend.rss / dof(with_trend) * with_trend.xtx_inv[1][1]
        if var > 0:
            trend_p = _stats.t_two_sided_p(slope / math.sqrt(var), dof(with_trend))
        else:
            trend_p = 0.0 if slope != 0 else 1.0
        # Kept whatever its p-value (see the module docstring: selecting it by significance
        # left trends too small to detect, but large enough to move a 14-day sum, out).
        use_trend = True
    chosen = fit(use_trend, use_weekly)
    df = dof(chosen)
    if df < 1:
        raise ImpactRefused(
            f"{n} pre-period days cannot carry {chosen.p + extra_params} fitted parameters: "
            "use a longer pre-period or fewer controls."
        )
    s2 = chosen.rss / df
    s = math.sqrt(s2)
    tq = _stats.t_quantile(0.5 + level / 2, df)

    # lag-1 autocorrelation of the residuals over consecutive observed days
    by_offset = dict(zip((o for o, _, _ in pre), chosen.residuals, strict=True))
    pairs = [(by_offset[o - 1], e) for o, e in by_offset.items() if o - 1 in by_offset]
    denominator = sum(e * e for e in chosen.residuals)
    lag1 = sum(a * b for a, b in pairs) / denominator if denominator > 0 and pairs else None
    ar = lag1 is not None and lag1 > 1.96 / math.sqrt(n)

    rows = [_row(o, w, use_trend, use_weekly, centre) for o, w in post]
    point = [chosen.predict(r) for r in rows]
    band = [tq * s * math.sqrt(1 + _stats.quad(r, chosen.xtx_inv)) for r in rows]
    cum_half: list[float] = []
    total = [0.0] * chosen.p
    for h, r in enumerate(rows, start=1):
        total = [a + b for a, b in zip(total, r, strict=True)]
        noise = float(h)
        if ar:
            noise += 2 * sum((h - k) * lag1**k for k in range(1, h))  # type: ignore[operator]
        cum_half.append(tq * math.sqrt(s2 * (noise + _stats.quad(total, chosen.xtx_inv))))

    level_value = chosen.beta[0]
    factors = None
    if use_weekly:
        effects = [*chosen.beta[-6:], -sum(chosen.beta[-6:])]
        factors = tuple((level_value + e) / level_value if level_value else math.nan
                        for e in effects)  # fmt: skip
    model = Model(
        n=n,
        params=chosen.p + extra_params,
        df=df,
        level=level_value,
        uses_trend=use_trend,
        trend_p=trend_p,
        slope=slope,
        uses_weekly=use_weekly,
        weekly_p=weekly_p,
        weekday_factors=factors,
        residual_sd=s,
        lag1=lag1,
        ar_inflated=ar,
        t_quantile=tq,
    )
    return _Forecast(model, chosen.fitted, point, band, cum_half)


# ----- controls -----------------------------------------------------------------------------


def _synthetic_weights(target: Sequence[float], controls: Sequence[Sequence[float]]) -> list[float]:
    """Non-negative weights summing to 1 that minimise sum((target - Σ w_j c_j)^2).

    Exact for the few controls allowed: every non-empty subset is solved with the sum-to-one
    constraint (the KKT system of equality-constrained least squares) and the best solution
    whose weights are all >= 0 is kept (the optimum has some support; on it the constraint
    w >= 0 is inactive)."""
    j = len(controls)
    best: tuple[float, list[float]] | None = None
    for size in range(1, j + 1):
        for subset in itertools.combinations(range(j), size):
            cols = [controls[i] for i in subset]
            k = len(cols)
            a = [[2 * sum(x * y for x, y in zip(ci, cj, strict=True)) for cj in cols] + [1.0]
                 for ci in cols]  # fmt: skip
            a.append([1.0] * k + [0.0])
            b = [2 * sum(x * t for x, t in zip(ci, target, strict=True)) for ci in cols] + [1.0]
            try:
                solution = _stats.solve(a, b)[:k]
            except ValueError:
                continue
            if min(solution) < -1e-12:
                continue
            weights = [0.0] * j
            for i, w in zip(subset, solution, strict=True):
                weights[i] = max(w, 0.0)
            sse = sum(
                (t - sum(weights[i] * controls[i][d] for i in range(j))) ** 2
                for d, t in enumerate(target)
            )
            if best is None or sse < best[0] - 1e-15:
                best = (sse, weights)
    if best is None:
        raise ImpactRefused("The controls' pre-periods are identical: no weights can be fitted.")
    return best[1]


# ----- the estimate -------------------------------------------------------------------------


def impact(
    treated: pl.DataFrame,
    event_date: date,
    *,
    pre: int = PRE_DAYS,
    post: int = POST_DAYS,
    controls: Mapping[str, pl.DataFrame] | None = None,
    method: str | None = None,
    level: float = LEVEL,
    label: str = "the series",
) -> Impact:
    """The excess of ``treated`` (``date``, ``value``) over its expected series from
    ``event_date`` to ``event_date + post - 1``, from the ``pre`` days before ``event_date``.

    ``controls`` maps a control's name to its frame; ``method`` is ``none``, ``did`` or
    ``synthetic`` (default ``did`` with controls, else ``none``). ``label`` names the treated
    series in sentences and refusals ("ChatGPT (US, iOS+Android) uninstalls"). Raises
    :class:`ImpactRefused` for what cannot be estimated honestly (module docstring) and
    ValueError for malformed arguments.
    """
    controls = dict(controls or {})
    method = method or ("did" if controls else "none")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method != "none" and not controls:
        raise ImpactRefused(f"Method {method!r} needs at least one control series.")
    if method == "none" and controls:
        raise ImpactRefused(
            "Controls were given with method 'none': choose 'did' or 'synthetic' to use them, "
            "or drop the controls."
        )
    if len(controls) > MAX_CONTROLS:
        raise ImpactRefused(f"At most {MAX_CONTROLS} controls, got {len(controls)}.")
    if not 0 < level < 1:
        raise ValueError(f"the interval level must be between 0 and 1, got {level}")
    if pre < MIN_PRE_DAYS:
        raise ImpactRefused(
            f"A pre-period of {pre} days is too short: at least {MIN_PRE_DAYS} days are needed "
            "to estimate the level and the day-to-day noise (28 is the default)."
        )
    if not 1 <= post <= MAX_POST_DAYS:
        raise ImpactRefused(f"The post-period must be 1 to {MAX_POST_DAYS} days, got {post}.")

    pre_start = event_date - timedelta(days=pre)
    post_end = event_date + timedelta(days=post - 1)
    pre_dates = _days(pre_start, pre)
    post_dates = _days(event_date, post)
    y = _values(treated, pre_start, post_end, label)
    _check_pre(label, pre_dates, y)
    _check_post(label, post_dates, y)
    series = {name: _values(f, pre_start, post_end, name) for name, f in controls.items()}
    for name, values in series.items():
        _check_pre(f"The control {name}", pre_dates, values)
        _check_post(f"The control {name}", post_dates, values)

    def offset(d: date) -> int:
        return (d - event_date).days

    post_keys = [(offset(d), d.weekday()) for d in post_dates]

    # Each control against its own pre-period: a control that moved cannot stand for
    # "nothing happened".
    moves: list[ControlMove] = []
    for name, values in series.items():
        own = _forecast(
            [(offset(d), d.weekday(), values[d]) for d in pre_dates if d in values],
            post_keys,
            level=level,
        )
        actual = sum(values[d] for d in post_dates)
        expected = sum(own.point)
        half = own.cum_half[-1]
        if expected > 0:
            move = ControlMove(
                name,
                actual,
                expected,
                actual / expected - 1,
                (actual - expected - half) / expected,
                (actual - expected + half) / expected,
            )
        else:
            move = ControlMove(name, actual, expected, None, None, None)
        if move.moved:
            raise ImpactRefused(
                f"{name}, proposed as a control, moved too: {formatting.fmt_pct(move.change)} "
                f"from {formatting.fmt_short_date(event_date)} to "
                f"{formatting.fmt_short_date(post_end)} against what its own "
                f"{_period_words(pre).removeprefix('the ')} predicted "
                f"({_pct_level(level)} interval "
                f"{formatting.fmt_pct(move.change_low)} to "
                f"{formatting.fmt_pct(move.change_high)}). A control must be untouched by the "
                "event: drop it or choose another app."
            )
        moves.append(move)

    # What the controls explain (base) and what is left to model (d = y - base).
    base: dict[date, float] = {}
    extra = 0
    names = list(series)
    if method == "did":
        both = [d for d in pre_dates if d in y and all(d in series[n] for n in names)]
        pre_y = sum(y[d] for d in both) / len(both)
        pre_c = sum(sum(series[n][d] for n in names) for d in both) / len(both)
        if pre_c <= 0:
            raise ImpactRefused("The controls' pre-period sum is zero: they cannot scale it.")
        k = pre_y / pre_c
        for d in pre_dates + post_dates:
            if all(d in series[n] for n in names):
                base[d] = k * sum(series[n][d] for n in names)
    elif method == "synthetic":
        both = [d for d in pre_dates if d in y and all(d in series[n] for n in names)]
        pre_y = sum(y[d] for d in both) / len(both)
        means = {n: sum(series[n][d] for d in both) / len(both) for n in names}
        if min(means.values()) <= 0:
            raise ImpactRefused("A control's pre-period mean is zero: it cannot be indexed.")
        weights = _synthetic_weights(
            [y[d] / pre_y for d in both], [[series[n][d] / means[n] for d in both] for n in names]
        )
        extra = sum(1 for w in weights if w > 0) - 1
        for d in pre_dates + post_dates:
            if all(d in series[n] for n in names):
                base[d] = pre_y * sum(
                    w * series[n][d] / means[n] for n, w in zip(names, weights, strict=True)
                )
        moves = [
            ControlMove(m.name, m.actual, m.expected, m.change, m.change_low, m.change_high, w)
            for m, w in zip(moves, weights, strict=True)
        ]

    def modelled(d: date) -> float:
        return y[d] - base.get(d, 0.0)

    pre_obs = [d for d in pre_dates if d in y and (method == "none" or d in base)]
    _check_pre(label if method == "none" else f"{label} with its controls", pre_dates,
               dict.fromkeys(pre_obs, 0.0))  # fmt: skip
    fc = _forecast(
        [(offset(d), d.weekday(), modelled(d)) for d in pre_obs],
        post_keys,
        level=level,
        extra_params=extra,
    )
    expected = [base.get(d, 0.0) + p for d, p in zip(post_dates, fc.point, strict=True)]
    below = [d for d, e in zip(post_dates, expected, strict=True) if e < 0]
    if below:
        raise ImpactRefused(
            f"The expected series of {label} falls below zero on {_listed(below)}: the "
            "extrapolated trend is not believable that far. Shorten the post-period or use a "
            "longer pre-period."
        )

    fitted = dict(zip(pre_obs, fc.fitted, strict=True))
    rows = []
    cum = 0.0
    for d in pre_dates:
        part = base.get(d) if method != "none" else None
        exp = (base.get(d, 0.0) + fitted[d]) if d in fitted else None
        rows.append((d, offset(d), "pre", y.get(d), part, exp, None, None, None, None, None, None))
    for i, d in enumerate(post_dates):
        excess = y[d] - expected[i]
        cum += excess
        rows.append(
            (
                d,
                offset(d),
                "post",
                y[d],
                base.get(d) if method != "none" else None,
                expected[i],
                expected[i] - fc.band[i],
                expected[i] + fc.band[i],
                excess,
                cum,
                cum - fc.cum_half[i],
                cum + fc.cum_half[i],
            )
        )
    schema = {
        "date": pl.Date,
        "offset": pl.Int32,
        "period": pl.String,
        **{c: pl.Float64 for c in DAY_COLUMNS[3:]},
    }
    days = pl.DataFrame(rows, schema=schema, orient="row")
    actual_total = sum(y[d] for d in post_dates)
    expected_total = sum(expected)
    return Impact(
        label=label,
        event_date=event_date,
        pre_start=pre_start,
        pre_end=event_date - timedelta(days=1),
        post_start=event_date,
        post_end=post_end,
        pre_days=pre,
        post_days=post,
        method=method,
        level=level,
        days=days,
        actual_total=actual_total,
        expected_total=expected_total,
        excess=cum,
        low=cum - fc.cum_half[-1],
        high=cum + fc.cum_half[-1],
        model=fc.model,
        controls=tuple(moves),
    )


# ----- words --------------------------------------------------------------------------------


def _period_words(days: int) -> str:
    """'the four weeks before', 'the 30 days before'."""
    weeks, rest = divmod(days, 7)
    if rest == 0 and weeks in _NUMBER_WORDS:
        return f"the {_NUMBER_WORDS[weeks]}week{'s' if weeks > 1 else ''} before"
    return f"the {days} days before"


def _pct_level(level: float) -> str:
    return formatting.fmt_share(level)


def _and(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def sentence(result: Impact) -> str:
    """The published sentence: the cumulative excess with its interval and what it is measured
    against, and the controls' own moves.

    "From 28 Feb to 13 Mar 2026, ChatGPT (US, iOS+Android) uninstalls were 74,000 above what
    the four weeks before predicted (95% interval 71,000 to 77,000); Gemini and Copilot, used
    as controls, moved by under 3% from what their own four weeks before predicted."
    Counts are rounded to the interval's precision (:func:`formatting.rounding_step`).
    """
    step = formatting.rounding_step((result.high - result.low) / 2)
    words = _period_words(result.pre_days)
    direction = "above" if result.excess >= 0 else "below"
    how = ""
    if result.controls:
        how = f"{METHOD_WORDS[result.method]} {_and([c.name for c in result.controls])}; "
    amount = formatting.fmt_count_rounded(abs(result.excess), step)
    if amount == "0":
        said = f"about what {words} predicted (0 to the nearest {formatting.fmt_int(step)}; "
    else:
        said = f"{amount} {direction} what {words} predicted ("
    text = (
        f"From {formatting.fmt_short_date(result.post_start)} to "
        f"{formatting.fmt_short_date(result.post_end, year=True)}, {result.label} were "
        f"{said}{how}{_pct_level(result.level)} interval "
        f"{formatting.fmt_count_rounded(result.low, step)} to "
        f"{formatting.fmt_count_rounded(result.high, step)})"
    )
    if not result.is_distinguishable:
        text += ": no effect distinguishable from the day-to-day noise"
    if result.controls:
        largest = max(abs(c.change or 0.0) for c in result.controls)
        text += (
            f"; {_and([c.name for c in result.controls])}, used as control"
            f"{'s' if len(result.controls) > 1 else ''}, moved by "
            f"{formatting.fmt_under_pct(largest)} from what "
            f"{'their' if len(result.controls) > 1 else 'its'} own {words.removeprefix('the ')} "
            "predicted"
        )
    return text + "."


def method_text(result: Impact) -> str:
    """How the expected series and the interval were made, in words, with the numbers."""
    m = result.model
    parts = [
        f"Expected had nothing happened: fitted on {formatting.fmt_date(result.pre_start)} to "
        f"{formatting.fmt_date(result.pre_end)} ({m.n} of {result.pre_days} days observed)"
    ]
    if result.method == "did":
        parts.append(
            f"difference-in-differences: the pre-period mean of {result.label} scaled by the "
            f"change of {_and([c.name for c in result.controls])} (summed), day by day; what "
            "they leave unexplained is modelled below"
        )
    elif result.method == "synthetic":
        weights = ", ".join(
            f"{c.name} {formatting.fmt_number(c.weight, 2)}" for c in result.controls
        )
        parts.append(
            "synthetic control: the controls indexed to their pre-period means, weighted "
            f"({weights}; non-negative, summing to 1, least squares on the pre-period); what "
            "they leave unexplained is modelled below"
        )
    what = "level" if result.method == "none" else "remaining level"
    parts.append(f"{what} {formatting.fmt_value(round(m.level, 2))} a day")
    if m.uses_weekly and m.weekday_factors:
        factors = ", ".join(
            f"{d} {formatting.fmt_multiple(f)}"
            for d, f in zip(_WEEKDAYS, m.weekday_factors, strict=True)
        )
        parts.append(f"weekly pattern (F-test p = {_p(m.weekly_p)}): {factors}")
    elif m.weekly_p is not None:
        parts.append(f"no weekly pattern (F-test p = {_p(m.weekly_p)}, not significant)")
    else:
        parts.append("no weekly pattern (fewer than three full weeks observed)")
    if m.uses_trend:
        parts.append(
            f"a linear trend of {formatting.fmt_number(m.slope, 2)} a day (t-test p = "
            f"{_p(m.trend_p)}; kept at any p, its uncertainty is in the interval)"
        )
    else:
        parts.append(f"no trend (fewer than {TREND_MIN_DAYS} days observed)")
    interval = (
        f"Interval: {_pct_level(result.level)} prediction interval of the sum, from the "
        f"pre-period fit's residuals (standard deviation "
        f"{formatting.fmt_number(m.residual_sd, 1)} a day, {m.df} degrees of freedom, t = "
        f"{formatting.fmt_number(m.t_quantile, 3)}) plus the uncertainty of the fitted parts"
    )
    if m.ar_inflated:
        interval += (
            f"; the residuals' lag-1 autocorrelation ({formatting.fmt_number(m.lag1, 2)}) is "
            "significant, so the summed noise is widened as an AR(1) process"
        )
    return "; ".join(parts) + ". " + interval + "."


def _p(p: float | None) -> str:
    if p is None:
        return formatting.NA
    return "< 0.001" if p < 0.001 else formatting.fmt_number(p, 3)
