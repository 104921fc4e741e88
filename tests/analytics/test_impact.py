"""analytics.impact: hand-worked small cases, refusals and the sentence.

Every expected number below is worked out by hand in the comments (the t quantiles are the
tabled two-sided 95% values: t(13) = 2.160369, t(12) = 2.178813, t(26) = 2.055529).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from analytics import _stats, formatting, impact

EVENT = date(2026, 2, 28)  # a Saturday


def frame(values: list[float | None], start: date) -> pl.DataFrame:
    rows = [(start + timedelta(days=i), v) for i, v in enumerate(values)]
    return pl.DataFrame(rows, schema={"date": pl.Date, "value": pl.Float64}, orient="row")


def pre_post(pre: list[float | None], post: list[float | None]) -> pl.DataFrame:
    return frame([*pre, *post], EVENT - timedelta(days=len(pre)))


# ----- hand-worked cases ----------------------------------------------------------------------


def test_flat_pre_period_of_100_and_post_of_150_gives_50_a_day_exactly():
    # Level 100, no noise: expected 100 every post day, excess 50, cumulative 50 x h; the
    # residuals are all zero, so the interval has zero width.
    r = impact.impact(pre_post([100.0] * 28, [150.0] * 14), EVENT, label="X")
    post = r.days.filter(pl.col("period") == "post")
    assert post.height == 14
    assert post.get_column("expected").to_list() == pytest.approx([100.0] * 14, abs=1e-9)
    assert post.get_column("excess").to_list() == pytest.approx([50.0] * 14, abs=1e-9)
    assert post.get_column("cum_excess").to_list() == pytest.approx(
        [50.0 * h for h in range(1, 15)], abs=1e-9
    )
    assert (r.excess, r.low, r.high) == pytest.approx((700.0, 700.0, 700.0), abs=1e-6)
    assert r.actual_total == 2100.0
    assert r.expected_total == pytest.approx(1400.0)
    assert r.change == pytest.approx(0.5)
    assert r.is_distinguishable
    assert not r.model.uses_weekly  # nothing to explain: F-test p = 1
    assert r.model.slope == pytest.approx(0.0, abs=1e-9)
    assert impact.sentence(r) == (
        "From 28 Feb to 13 Mar 2026, X were 700 above what the four weeks before predicted "
        "(95% interval 700 to 700)."
    )


def test_noisy_level_only_interval_is_the_regression_prediction_interval():
    # 14 pre days 90, 110, 90, ... : under 21 days, so the level alone: mean 100, residuals
    # +-10, RSS = 14 x 100 = 1400, s^2 = 1400 / 13 = 107.692, 13 degrees of freedom.
    # Post 130, 120: excess 30, 20; cumulative 30, 50.
    # Day 1 band: t(13) x s x sqrt(1 + 1/14) = 2.160369 x 10.37749 x 1.035098 = 23.2063.
    # Sum of 2 days: var = s^2 (2 + 2^2/14) = 107.692 x 2.285714 = 246.154, sd 15.6893,
    # half-width 2.160369 x 15.6893 = 33.8947: interval 16.105 to 83.895.
    r = impact.impact(pre_post([90.0, 110.0] * 7, [130.0, 120.0]), EVENT, pre=14, post=2)
    assert r.model.n == 14 and r.model.df == 13
    assert not r.model.uses_trend and not r.model.uses_weekly
    assert r.model.level == pytest.approx(100.0)
    assert r.model.residual_sd == pytest.approx(math.sqrt(1400 / 13))
    assert r.model.t_quantile == pytest.approx(2.160369, abs=1e-6)
    assert r.model.lag1 == pytest.approx(-1300 / 1400)  # alternating: no AR widening
    assert not r.model.ar_inflated
    post = r.days.filter(pl.col("period") == "post")
    assert post.get_column("excess").to_list() == pytest.approx([30.0, 20.0])
    assert post.get_column("expected_high").to_list()[0] == pytest.approx(123.2063, abs=1e-3)
    assert post.get_column("cum_low").to_list()[0] == pytest.approx(
        30 - 2.160369 * math.sqrt(1400 / 13 * (1 + 1 / 14)), abs=1e-4
    )
    assert (r.excess, r.low, r.high) == pytest.approx((50.0, 16.105, 83.895), abs=1e-3)
    # Pre days carry the fitted level and no excess.
    pre = r.days.filter(pl.col("period") == "pre")
    assert pre.get_column("expected").to_list() == pytest.approx([100.0] * 14)
    assert pre.get_column("excess").null_count() == 14


def test_weekly_pattern_is_used_and_followed_day_by_day():
    # Every week: Mon 140, Tue-Sat 100, Sun 60 (mean 100). 28 pre days = 4 full weeks, no
    # noise: the weekday effects explain everything (F-test p = 0), factors Mon 1.40x,
    # Sun 0.60x, others 1.00x. Post = the same weeks + 50: expected follows the pattern and
    # the excess is 50 every day, 700 in all, with no residual noise.
    week = {0: 140.0, 6: 60.0}
    start = EVENT - timedelta(days=28)
    pre = [week.get((start + timedelta(days=i)).weekday(), 100.0) for i in range(28)]
    expected = [week.get((EVENT + timedelta(days=i)).weekday(), 100.0) for i in range(14)]
    r = impact.impact(pre_post(pre, [v + 50 for v in expected]), EVENT)
    assert r.model.uses_weekly and r.model.weekly_p == 0.0
    assert r.model.weekday_factors == pytest.approx([1.4, 1.0, 1.0, 1.0, 1.0, 1.0, 0.6])
    post = r.days.filter(pl.col("period") == "post")
    assert post.get_column("expected").to_list() == pytest.approx(expected)
    assert post.get_column("excess").to_list() == pytest.approx([50.0] * 14)
    assert (r.excess, r.low, r.high) == pytest.approx((700.0, 700.0, 700.0), abs=1e-6)
    assert "weekly pattern (F-test p = < 0.001): Mon 1.40x" in impact.method_text(r)


def test_trend_is_extrapolated_when_three_weeks_are_observed():
    # Pre: 100 + 2 x (day index), exact; post continues the line + 10. Expected day h (offset
    # h) = 100 + 2 x (28 + h); excess 10 a day.
    pre = [100.0 + 2 * i for i in range(28)]
    post = [100.0 + 2 * (28 + h) + 10 for h in range(7)]
    r = impact.impact(pre_post(pre, post), EVENT, post=7)
    assert r.model.uses_trend and r.model.slope == pytest.approx(2.0)
    assert r.days.filter(pl.col("period") == "post").get_column("expected").to_list() == (
        pytest.approx([100.0 + 2 * (28 + h) for h in range(7)])
    )
    assert r.excess == pytest.approx(70.0)


def test_did_with_one_control_scales_the_pre_level_by_the_controls_change():
    # 14 pre days (level only). Control C: 90, 110, ... (mean 100); post 95, 115, ... (mean
    # 105: +5%, inside its own noise: excess 70 over 14 days, half-width t(13) x
    # sqrt(1400/13 x (14 + 14^2/14)) = 2.160369 x 54.914 = 118.63, interval -48.6 to 188.6).
    # Treated: 180, 220, ... = 2 x C in the pre-period, so k = 200 / 100 = 2 and d = y - 2C
    # is 0 every pre day. Post: 2 x C + 50 = 240, 280, ... Expected = 2 x C = 190, 230, ...;
    # excess 50 a day, 700 in all, no residual noise. Without the control the expected level
    # is 200 and the excess 840 = 700 + k x the control's 70.
    control = pre_post([90.0, 110.0] * 7, [95.0, 115.0] * 7)
    treated = pre_post([180.0, 220.0] * 7, [240.0, 280.0] * 7)
    r = impact.impact(treated, EVENT, pre=14, controls={"C": control}, method="did", label="T")
    post = r.days.filter(pl.col("period") == "post")
    assert post.get_column("control_part").to_list() == pytest.approx([190.0, 230.0] * 7)
    assert post.get_column("expected").to_list() == pytest.approx([190.0, 230.0] * 7)
    assert (r.excess, r.low, r.high) == pytest.approx((700.0, 700.0, 700.0), abs=1e-6)
    (move,) = r.controls
    assert move.name == "C" and move.change == pytest.approx(0.05)
    half = 2.160369 * math.sqrt(1400 / 13 * 28)
    assert move.change_low == pytest.approx((70 - half) / 1400, abs=1e-5)
    assert move.change_high == pytest.approx((70 + half) / 1400, abs=1e-5)
    assert not move.moved
    alone = impact.impact(treated, EVENT, pre=14)
    assert alone.excess == pytest.approx(840.0)
    assert impact.sentence(r) == (
        "From 28 Feb to 13 Mar 2026, T were 700 above what the two weeks before predicted "
        "(difference-in-differences with C; 95% interval 700 to 700); C, used as control, "
        "moved by under 6% from what its own two weeks before predicted."
    )


def test_synthetic_control_recovers_the_weights_and_the_excess():
    # Indices (each mean 1): a = 0.9, 1.1, ...; b = 1.0, 1.2, 0.8, 1.1, 0.9, 1.0, 1.0 weekly.
    # Treated = 1000 x (0.25 a + 0.75 b) exactly, so the least-squares weights are 0.25 and
    # 0.75 and nothing is left to model; post = the same + 30 a day: excess 30 x 14 = 420.
    a = [0.9, 1.1] * 14
    b = [1.0, 1.2, 0.8, 1.1, 0.9, 1.0, 1.0] * 4
    ca = pre_post([100 * v for v in a[:14]], [100 * v for v in a[14:]])
    cb = pre_post([500 * v for v in b[:14]], [500 * v for v in b[14:]])
    mix = [1000 * (0.25 * x + 0.75 * y) for x, y in zip(a, b, strict=True)]
    treated = pre_post(mix[:14], [v + 30 for v in mix[14:]])
    r = impact.impact(treated, EVENT, pre=14, controls={"A": ca, "B": cb}, method="synthetic")
    assert [c.weight for c in r.controls] == pytest.approx([0.25, 0.75])
    assert r.model.params == 2 and r.model.df == 12  # level + one free weight
    assert r.excess == pytest.approx(420.0)
    assert r.days.filter(pl.col("period") == "post").get_column("expected").to_list() == (
        pytest.approx(mix[14:])
    )


def test_synthetic_weights_stay_non_negative_and_sum_to_one():
    # Target = 2 x c1 - c2 would need a negative weight; the best admissible mix is c1 alone.
    c1 = [1.0, 2.0, 3.0, 4.0]
    c2 = [4.0, 3.0, 2.0, 1.0]
    target = [2 * x - y for x, y in zip(c1, c2, strict=True)]
    assert impact._synthetic_weights(target, [c1, c2]) == pytest.approx([1.0, 0.0])
    # Halfway between: 0.5 each.
    mid = [(x + y) / 2 for x, y in zip(c1, c2, strict=True)]
    assert impact._synthetic_weights(mid, [c1, c2]) == pytest.approx([0.5, 0.5])


def test_effect_inside_the_noise_is_said_not_refused():
    # Post = the pre pattern continued + 1 a day: excess 2 (14 days level-only), far inside
    # the +-(2.160369 x sqrt(1400/13 x (2 + 4/14))) = +-33.9 interval.
    r = impact.impact(pre_post([90.0, 110.0] * 7, [91.0, 111.0]), EVENT, pre=14, post=2)
    assert not r.is_distinguishable
    # Published to the interval's precision: +-33.9 -> tens, so the 2 reads "0 to the
    # nearest 10", the bounds 2 -+ 33.9 read -30 and 40.
    assert impact.sentence(r) == (
        "From 28 Feb to 1 Mar 2026, the series were about what the two weeks before "
        "predicted (0 to the nearest 10; 95% interval -30 to 40): no effect distinguishable "
        "from the day-to-day noise."
    )


def test_positive_autocorrelation_widens_the_sum():
    # Pre: blocks of 4 high days then 4 low days (runs): lag-1 autocorrelation 0.5 > 1.96 /
    # sqrt(28) = 0.37, so the summed noise uses h + 2 sum (h - k) r^k instead of h.
    pre = ([110.0] * 4 + [90.0] * 4) * 3 + [110.0] * 4
    r = impact.impact(pre_post(pre, [100.0] * 14), EVENT)
    assert r.model.ar_inflated and r.model.lag1 > 0.37
    assert "AR(1)" in impact.method_text(r)


# ----- refusals -------------------------------------------------------------------------------


def test_too_short_a_pre_period_is_refused_with_the_minimum():
    with pytest.raises(impact.ImpactRefused, match="13 days is too short: at least 14 days"):
        impact.impact(pre_post([100.0] * 13, [150.0] * 14), EVENT, pre=13)


def test_gaps_in_the_pre_period_beyond_ten_percent_are_refused():
    values: list[float | None] = [100.0] * 28
    values[3] = values[10] = None
    ok = impact.impact(pre_post(values, [150.0] * 14), EVENT)  # 2 of 28 allowed
    assert ok.model.n == 26
    values[20] = None
    with pytest.raises(impact.ImpactRefused) as err:
        impact.impact(pre_post(values, [150.0] * 14), EVENT, label="ChatGPT US uninstalls")
    assert str(err.value).startswith(
        "ChatGPT US uninstalls has 3 of the 28 pre-period days missing (2026-02-03, "
        "2026-02-10, 2026-02-20); at most 2 may be missing (10%)"
    )


def test_a_missing_post_day_is_refused():
    post: list[float | None] = [150.0] * 14
    post[6] = None
    with pytest.raises(
        impact.ImpactRefused, match=r"no value on 1 of the 14 post-period days \(2026-03-06\)"
    ):
        impact.impact(pre_post([100.0] * 28, post), EVENT)


def test_a_control_that_moved_is_refused():
    # 90, 110, 110, 90, ...: level 100, slope exactly 0 (symmetric blocks), no weekday pattern
    # (each weekday meets every phase once); post mean 160: +60%.
    control = pre_post([90.0, 110.0, 110.0, 90.0] * 7, [150.0, 170.0] * 7)
    treated = pre_post([100.0] * 28, [150.0] * 14)
    with pytest.raises(impact.ImpactRefused) as err:
        impact.impact(treated, EVENT, controls={"Claude": control})
    text = str(err.value)
    assert text.startswith("Claude, proposed as a control, moved too: +60% from 28 Feb to 13 Mar")
    assert "against what its own four weeks before predicted (95% interval" in text


def test_an_expected_series_below_zero_is_refused():
    pre = [280.0 - 10 * i for i in range(28)]  # 280 down to 10: 0 on day 0, -10 on day 1
    with pytest.raises(impact.ImpactRefused, match="falls below zero on 2026-03-01, "):
        impact.impact(pre_post(pre, [5.0] * 14), EVENT)


def test_method_and_controls_must_agree():
    t = pre_post([100.0] * 28, [150.0] * 14)
    with pytest.raises(impact.ImpactRefused, match="needs at least one control"):
        impact.impact(t, EVENT, method="did")
    with pytest.raises(impact.ImpactRefused, match="with method 'none'"):
        impact.impact(t, EVENT, method="none", controls={"C": t})
    with pytest.raises(ValueError, match="method must be one of"):
        impact.impact(t, EVENT, method="magic")


# ----- statistics and formatting helpers ------------------------------------------------------


@pytest.mark.parametrize(
    ("df", "tabled"), [(1, 12.706205), (5, 2.570582), (13, 2.160369), (26, 2.055529)]
)
def test_t_quantiles_match_the_tables(df: int, tabled: float):
    assert _stats.t_quantile(0.975, df) == pytest.approx(tabled, abs=1e-6)


def test_f_tail_at_the_tabled_critical_value():
    assert _stats.f_sf(2.5990, 6, 20) == pytest.approx(0.05, abs=2e-4)  # F(6, 20) 95%: 2.599


def test_rounding_of_published_totals():
    assert formatting.rounding_step(6000) == 1000
    assert formatting.rounding_step(1500) == 100
    assert formatting.rounding_step(19) == 1
    assert formatting.fmt_count_rounded(61234, 1000) == "61,000"
    assert formatting.fmt_count_rounded(61500, 1000) == "62,000"  # half away from zero
    assert formatting.fmt_count_rounded(-1250, 100) == "-1,300"
    assert formatting.fmt_count_rounded(-40, 100) == "0"
    assert formatting.fmt_under_pct(0.024) == "under 3%"
    assert formatting.fmt_under_pct(-0.0004) == "under 1%"
    assert formatting.fmt_short_date(date(2026, 2, 27)) == "27 Feb"
    assert formatting.fmt_short_date(date(2026, 3, 12), year=True) == "12 Mar 2026"
