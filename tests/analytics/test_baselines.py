"""Baselines: every expected number below is worked out by hand in the comment beside it."""

from __future__ import annotations

import polars as pl
import pytest
from analytics_helpers import SKIP, d, row, series

from analytics import baselines
from analytics.baselines import LEVEL_METRICS, compute, level_metrics, lookback_days, parse_method


# --- parse_method -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "name", "label"),
    [
        ("previous-day", "previous-day", "vs the previous day"),
        ("mean", "mean:28", "vs the mean of the previous 28 days"),
        (" Mean:7 ", "mean:7", "vs the mean of the previous 7 days"),
        ("median:14", "median:14", "vs the median of the previous 14 days"),
        ("weekday", "weekday:4", "vs the same weekday in the previous 4 weeks"),
        ("weekday:2", "weekday:2", "vs the same weekday in the previous 2 weeks"),
        (
            "window:2026-02-01..2026-02-14",
            "window:2026-02-01..2026-02-14",
            "vs the mean of 2026-02-01..2026-02-14",
        ),
        ("yoy", "yoy", "vs the same period a year earlier"),
    ],
)
def test_parse_method_canonical_names_and_labels(text: str, name: str, label: str) -> None:
    m = parse_method(text)
    assert (m.name, m.label) == (name, label)


def test_parse_method_mean_defaults_to_28_and_equals_explicit() -> None:
    assert parse_method("mean") == parse_method("mean:28")
    assert parse_method("mean").n == 28


@pytest.mark.parametrize(
    "text",
    [
        "avg",
        "mean:",
        "mean:0",
        "window:2026-02-14..2026-02-01",
        "window:2026-02-30..2026-03-01",
        "",
    ],
)
def test_parse_method_bad_text_lists_valid_forms(text: str) -> None:
    with pytest.raises(ValueError, match="valid forms: previous-day, mean"):
        parse_method(text)


def test_grain_specific_labels() -> None:
    yoy = parse_method("yoy")
    assert yoy.label_for("month") == "vs the same month a year earlier"
    assert yoy.label_for("week") == "vs the same ISO week a year earlier"
    assert yoy.label_for("day") == "vs the same date a year earlier"


def test_method_refused_at_a_grain_where_it_means_nothing() -> None:
    frame = series([1, 2], "2026-02-02")
    with pytest.raises(ValueError, match="at grain 'week' use one of: window, yoy, wow"):
        compute(frame, "mean:28", grain="week")
    with pytest.raises(ValueError, match="unknown grain"):
        compute(frame, "yoy", grain="quarter")


# --- lookback_days ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "grain", "days"),
    [
        ("previous-day", "day", 1),
        ("mean", "day", 28),
        ("median:7", "day", 7),
        ("weekday:4", "day", 28),  # 4 weeks x 7 days
        ("wow", "day", 7),
        ("mom", "day", 31),  # 31 Jan -> 31 Dec
        ("yoy", "day", 366),  # 1 Mar 2028 -> 1 Mar 2027 crosses 29 Feb 2028
        ("wow", "week", 13),  # up to 6 days back to Monday + 7
        ("yoy", "week", 377),  # 6 + 53 weeks (371)
        ("mom", "month", 61),  # 30 days back to the 1st + 31
        ("yoy", "month", 396),  # 30 + 366
        ("window:2026-01-01..2026-01-07", "day", 0),
    ],
)
def test_lookback_days(method: str, grain: str, days: int) -> None:
    assert lookback_days(method, grain) == days


def test_fetch_start_includes_a_fixed_window() -> None:
    # Window starts 2026-01-01, before the first shown day: fetch from the window's start.
    assert baselines.fetch_start("window:2026-01-01..2026-01-07", d("2026-02-10")) == d(
        "2026-01-01"
    )
    # mean:28 from 2026-03-01: 28 days back is 2026-02-01.
    assert baselines.fetch_start("mean:28", d("2026-03-01")) == d("2026-02-01")


def test_lookback_covers_the_baseline_of_the_first_shown_day() -> None:
    # Fetch exactly [first - lookback, last]: the first shown day must get a full mean:7.
    first = d("2026-03-10")
    frame = series([10] * 20, "2026-03-01")  # 1..20 Mar
    fetched = frame.filter(pl.col("date") >= baselines.fetch_start("mean:7", first))
    out = compute(fetched, "mean:7", start=first)
    assert out["date"][0] == first
    assert row(out, "2026-03-10")["baseline_obs"] == 7  # 3..9 Mar, all fetched


# --- previous-day -----------------------------------------------------------------------------
def test_previous_day_the_press_figure() -> None:
    frame = series([3200, 12640], "2026-02-27", app="ChatGPT")
    r = row(compute(frame, "previous-day"), "2026-02-28")
    assert r["baseline"] == 3200
    assert r["change"] == pytest.approx(2.95)  # 12640 / 3200 = 3.95 -> +295%
    assert r["multiple"] == pytest.approx(3.95)
    assert r["method"] == "previous-day"
    assert r["method_label"] == "vs the previous day"
    assert r["baseline_obs"] == 1
    assert r["reason"] is None
    assert r["is_partial"] is False


def test_previous_day_absent_and_null_days_are_not_zero() -> None:
    # 1 Feb 10, 2 Feb NULL, 3 Feb 30, 4 Feb absent, 5 Feb 50
    frame = series([10, None, 30, SKIP, 50], "2026-02-01")
    out = compute(frame, "previous-day")
    assert out.height == 4  # one row per input row; the absent day is not invented
    r2 = row(out, "2026-02-02")
    assert r2["baseline"] == 10 and r2["change"] is None
    assert r2["reason"] == "no observation on this day"
    r3 = row(out, "2026-02-03")
    assert r3["baseline"] is None and r3["baseline_obs"] == 0
    assert r3["reason"] == "no observation on the previous day"  # 2 Feb is NULL, not 0
    r5 = row(out, "2026-02-05")
    assert r5["baseline"] is None  # 4 Feb absent: NOT 30 (the previous row)
    assert r5["reason"] == "no observation on the previous day"


def test_zero_baseline_gives_null_change_never_inf() -> None:
    frame = series([0, 5], "2026-02-01")
    r = row(compute(frame, "previous-day"), "2026-02-02")
    assert r["baseline"] == 0
    assert r["change"] is None and r["multiple"] is None
    assert r["reason"] == "baseline is zero"


def test_several_series_do_not_leak() -> None:
    # A: 1-3 Feb = 100, 200, 300. B: 3-4 Feb = 7, 14. B's first day must not see A's values.
    frame = pl.concat(
        [series([100, 200, 300], "2026-02-01", app="A"), series([7, 14], "2026-02-03", app="B")]
    )
    out = compute(frame, "previous-day")
    assert row(out, "2026-02-03", app="A")["change"] == pytest.approx(0.5)  # 300/200 - 1
    assert row(out, "2026-02-03", app="B")["baseline"] is None  # B has no 2 Feb
    assert row(out, "2026-02-04", app="B")["change"] == pytest.approx(1.0)  # 14/7 - 1
    assert out.columns[:2] == ["app", "date"]


def test_null_key_is_its_own_series() -> None:
    # country NULL (Play "could not resolve") is a series of its own, not merged with US.
    frame = pl.concat(
        [series([10, 20], "2026-02-01", country="US"), series([1, 4], "2026-02-01", country="US")]
    ).with_columns(
        pl.when(pl.int_range(pl.len()) >= 2).then(None).otherwise(pl.lit("US")).alias("country")
    )
    out = compute(frame, "previous-day").filter(pl.col("date") == d("2026-02-02"))
    assert sorted(out["change"].to_list()) == [pytest.approx(1.0), pytest.approx(3.0)]  # 20/10, 4/1


def test_duplicate_days_are_refused() -> None:
    frame = pl.concat([series([1], "2026-02-01", app="A"), series([2], "2026-02-01", app="A")])
    with pytest.raises(ValueError, match="more than once"):
        compute(frame, "previous-day")


# --- trailing mean / median -------------------------------------------------------------------
def test_mean_with_absent_day_counts_observations() -> None:
    # 1..6 Feb: 10, 20, absent, 40, 50, 60; mean:4 needs ceil(0.75*4) = 3 days.
    frame = series([10, 20, SKIP, 40, 50, 60], "2026-02-01")
    out = compute(frame, "mean:4")
    r6 = row(out, "2026-02-06")  # window 2..5 Feb = 20, -, 40, 50 -> 110 / 3
    assert r6["baseline"] == pytest.approx(110 / 3)
    assert r6["baseline_obs"] == 3
    assert r6["change"] == pytest.approx(60 / (110 / 3) - 1)  # 60 / 36.667 - 1 = 0.636
    r5 = row(out, "2026-02-05")  # window 1..4 Feb = 10, 20, -, 40 -> 70 / 3
    assert r5["baseline"] == pytest.approx(70 / 3)
    r4 = row(out, "2026-02-04")  # window 31 Jan..3 Feb: only 10, 20 -> 2 < 3
    assert r4["baseline"] is None
    assert r4["reason"] == "only 2 of 4 days observed (minimum 3)"


def test_mean_with_null_value_and_min_obs_override() -> None:
    # 1..5 Feb: 10, NULL, NULL, 40, 50. On 5 Feb mean:4 sees 1..4 Feb: 10, 40 -> 2 of 4.
    frame = series([10, None, None, 40, 50], "2026-02-01")
    assert row(compute(frame, "mean:4"), "2026-02-05")["reason"] == (
        "only 2 of 4 days observed (minimum 3)"
    )
    r = row(compute(frame, "mean:4", min_obs=2), "2026-02-05")
    assert r["baseline"] == pytest.approx(25.0)  # (10 + 40) / 2
    assert r["change"] == pytest.approx(1.0)  # 50 / 25 - 1
    with pytest.raises(ValueError, match="min_obs"):
        compute(frame, "mean:4", min_obs=5)


def test_median_excludes_the_day_itself() -> None:
    # 1..5 Feb: 1, 100, 3, 4, 1000. median:4 on 5 Feb = median(1, 100, 3, 4) = (3 + 4) / 2.
    frame = series([1, 100, 3, 4, 1000], "2026-02-01")
    r = row(compute(frame, "median:4"), "2026-02-05")
    assert r["baseline"] == pytest.approx(3.5)
    assert r["multiple"] == pytest.approx(1000 / 3.5)  # 285.71x


# --- weekday ----------------------------------------------------------------------------------
def test_weekday_mean_of_same_weekdays() -> None:
    # Sundays 1, 8, 15 Feb 2026 = 10, 30, 50; other days 999 must not enter the baseline.
    values: list = [999.0] * 15
    values[0], values[7], values[14] = 10, 30, 50
    out = compute(series(values, "2026-02-01"), "weekday:2")
    r = row(out, "2026-02-15")
    assert r["baseline"] == pytest.approx(20.0)  # (10 + 30) / 2
    assert r["change"] == pytest.approx(1.5)  # 50 / 20 - 1
    assert r["baseline_obs"] == 2
    assert r["method_label"] == "vs the same weekday in the previous 2 weeks"


def test_weekday_minimum_is_half_the_weeks() -> None:
    # weekday:4 needs ceil(4/2) = 2. On 22 Feb the Sundays 25 Jan, 1, 8, 15 Feb: only 15 Feb = 8.
    frame = pl.concat([series([8], "2026-02-15"), series([9], "2026-02-22")])
    r = row(compute(frame, "weekday:4"), "2026-02-22")
    assert r["baseline"] is None
    assert r["reason"] == "only 1 of 4 same weekdays observed (minimum 2)"
    frame2 = pl.concat([series([6], "2026-02-08"), frame])  # + 8 Feb = 6 -> (6 + 8) / 2 = 7
    assert row(compute(frame2, "weekday:4"), "2026-02-22")["baseline"] == pytest.approx(7.0)


# --- fixed window -----------------------------------------------------------------------------
def test_window_baseline_mean_and_minimum() -> None:
    # Window 1..4 Feb = 10, 20, NULL, 30 -> 3 of 4 >= ceil(0.75*4) = 3 -> mean 20.
    frame = pl.concat([series([10, 20, None, 30], "2026-02-01"), series([50], "2026-02-10")])
    out = compute(frame, "window:2026-02-01..2026-02-04")
    r = row(out, "2026-02-10")
    assert r["baseline"] == pytest.approx(20.0)
    assert r["change"] == pytest.approx(1.5)  # 50 / 20 - 1
    assert r["method_label"] == "vs the mean of 2026-02-01..2026-02-04"
    # Window 1..5 Feb has 5 days; 5 Feb absent -> 3 of 5 < ceil(3.75) = 4.
    r2 = row(compute(frame, "window:2026-02-01..2026-02-05"), "2026-02-10")
    assert r2["baseline"] is None
    assert r2["reason"] == "only 3 of 5 days of 2026-02-01..2026-02-05 observed (minimum 4)"


def test_window_at_week_grain_scales_daily_mean_to_seven_days() -> None:
    # Window Mon 2..Sun 8 Feb = 10/day -> daily mean 10 -> weekly baseline 70.
    # Week of Mon 9 Feb = 20/day -> 140 -> change 140 / 70 - 1 = +100%.
    frame = series([10] * 7 + [20] * 7, "2026-02-02")
    r = row(compute(frame, "window:2026-02-02..2026-02-08", grain="week"), "2026-02-09")
    assert r["baseline"] == pytest.approx(70.0)
    assert r["change"] == pytest.approx(1.0)


# --- yoy / mom / wow at day grain -------------------------------------------------------------
def test_yoy_daily_and_29_february() -> None:
    frame = pl.concat(
        [
            series([100, 200], "2027-02-28"),  # 28 Feb, 1 Mar 2027
            series([150, 999, 300], "2028-02-28"),  # 28 Feb, 29 Feb, 1 Mar 2028
        ]
    )
    out = compute(frame, "yoy")
    assert row(out, "2028-02-28")["change"] == pytest.approx(0.5)  # 150 / 100 - 1
    assert row(out, "2028-03-01")["change"] == pytest.approx(0.5)  # 300 / 200 - 1
    r = row(out, "2028-02-29")
    assert r["baseline"] is None  # never 28 Feb 2027
    assert r["reason"] == "no same date a year earlier (29 Feb)"
    assert r["method_label"] == "vs the same date a year earlier"
    assert row(out, "2027-02-28")["reason"] == (
        "no observation on the same date a year earlier (2026-02-28)"
    )


def test_mom_daily_same_day_of_month() -> None:
    frame = pl.concat(
        [series([40], "2026-02-15"), series([60], "2026-03-15"), series([70], "2026-03-31")]
    )
    out = compute(frame, "mom")
    assert row(out, "2026-03-15")["change"] == pytest.approx(0.5)  # 60 / 40 - 1
    assert row(out, "2026-03-31")["reason"] == "no day 31 in the previous month"


def test_wow_daily_seven_days_before() -> None:
    # Sat 21 Feb = 80, Sat 28 Feb = 100; the days between are 1 and must not matter.
    frame = series([80, 1, 1, 1, 1, 1, 1, 100], "2026-02-21")
    r = row(compute(frame, "wow"), "2026-02-28")
    assert r["baseline"] == 80
    assert r["change"] == pytest.approx(0.25)  # 100 / 80 - 1


# --- week / month grain -----------------------------------------------------------------------
def test_weeks_are_iso_monday_weeks_summed_with_partial_edges() -> None:
    # Wed 4 .. Sun 22 Feb 2026. Week of Mon 2 Feb has 5 days (Wed-Sun) -> partial.
    # Week Mon 9..Sun 15 = 10/day = 70; week Mon 16..Sun 22 = 20/day = 140.
    frame = series([5] * 5 + [10] * 7 + [20] * 7, "2026-02-04")
    out = compute(frame, "wow", grain="week")
    assert out["date"].to_list() == [d("2026-02-02"), d("2026-02-09"), d("2026-02-16")]
    first = row(out, "2026-02-02")
    assert first["is_partial"] is True and first["value"] == 25  # 5 x 5
    assert first["change"] is None and first["reason"] == "partial period"
    assert (first["days_observed"], first["days_in_period"]) == (5, 7)
    second = row(out, "2026-02-09")
    assert second["baseline"] is None  # previous week only 5 of 7 days
    assert second["reason"] == "baseline period 2026-W06 only 5 of 7 days observed"
    third = row(out, "2026-02-16")
    assert third["value"] == 140 and third["baseline"] == 70
    assert third["change"] == pytest.approx(1.0)  # 140 / 70 - 1
    assert third["method_label"] == "vs the previous week"


def test_week_with_null_day_is_partial() -> None:
    # Mon 9..Sun 15 Feb with Thu 12 NULL: 6 of 7 days -> partial, not a smaller sum compared.
    frame = series([10, 10, 10, None, 10, 10, 10], "2026-02-09")
    r = row(compute(frame, "wow", grain="week"), "2026-02-09")
    assert r["is_partial"] is True and r["value"] == 60 and r["days_observed"] == 6


def test_month_yoy_is_sum_of_month_vs_same_month_a_year_earlier() -> None:
    # Mar 2025: 31 x 100 = 3,100. Mar 2026: 31 x 513 = 15,903. 15903 / 3100 - 1 = +413%.
    frame = pl.concat([series([100] * 31, "2025-03-01"), series([513] * 31, "2026-03-01")])
    r = row(compute(frame, "yoy", grain="month"), "2026-03-01")
    assert r["value"] == 15903 and r["baseline"] == 3100
    assert r["change"] == pytest.approx(4.13)
    assert r["method_label"] == "vs the same month a year earlier"


def test_month_cut_by_the_requested_range_is_partial() -> None:
    # Feb 2026 fully present (28 x 10 = 280); Mar 2026 present, but the view ends 15 Mar.
    frame = series([10] * 28 + [30] * 31, "2026-02-01")
    out = compute(frame, "mom", grain="month", end=d("2026-03-15"))
    mar = row(out, "2026-03-01")
    assert mar["is_partial"] is True and mar["reason"] == "partial period"
    assert mar["value"] == 450  # 15 x 30: only the days inside the range
    assert mar["baseline"] == 280  # the baseline month is still complete
    full = row(compute(frame, "mom", grain="month"), "2026-03-01")
    assert full["change"] == pytest.approx(930 / 280 - 1)  # 31 x 30 = 930 vs 280


def test_week_yoy_uses_iso_week_numbers_and_week_53() -> None:
    # ISO 2026 has 53 weeks (1 Jan 2026 is a Thursday); ISO 2025 has 52.
    # Week 1 of 2027 starts Mon 4 Jan 2027; week 1 of 2026 starts Mon 29 Dec 2025 (53 weeks).
    frame = pl.concat(
        [
            series([10] * 7, "2025-12-29"),  # 2026-W01 = 70
            series([30] * 7, "2026-12-28"),  # 2026-W53 = 210
            series([20] * 7, "2027-01-04"),  # 2027-W01 = 140
        ]
    )
    out = compute(frame, "yoy", grain="week")
    assert row(out, "2027-01-04")["baseline"] == 70
    assert row(out, "2027-01-04")["change"] == pytest.approx(1.0)  # 140 / 70 - 1
    assert row(out, "2026-12-28")["reason"] == "ISO year 2025 has no week 53"


def test_level_metrics_are_never_summed() -> None:
    frame = series([5, 6, 7], "2026-02-02", metric="active_devices")
    with pytest.raises(ValueError, match="are levels, not event counts"):
        compute(frame, "wow", grain="week")
    events = series([5, 6, 7], "2026-02-02", metric="uninstalls")
    with pytest.raises(ValueError, match="cannot aggregate a level metric"):
        compute(events, "wow", grain="week", level=True)
    # Daily comparisons of a level are fine.
    r = row(compute(frame, "previous-day", level=True), "2026-02-03")
    assert r["change"] == pytest.approx(0.2)  # 6 / 5 - 1


@pytest.mark.parametrize("name", ["total_user_installs", "active_devices", "active_users"])
def test_level_fallback_list_is_the_catalogue(name: str) -> None:
    # queries/schema/v001.sql: exactly these three metrics have kind 'level'.
    assert name in LEVEL_METRICS
    with pytest.raises(ValueError, match=f"{name} are levels"):
        compute(series([5, 6, 7], "2026-02-02", metric=name), "wow", grain="week")


def test_catalogue_kinds_override_the_name_list() -> None:
    # A user-defined level (installpulse metrics add ... --kind level) is refused by its kind.
    custom = series([5, 6, 7], "2026-02-02", metric="rating_avg")
    assert compute(custom, "wow", grain="week").height == 1  # unknown name, no kind: an event
    with pytest.raises(ValueError, match="rating_avg are levels"):
        compute(custom, "wow", grain="week", kinds={"rating_avg": "level"})
    # The catalogue's word wins over the fallback list: 2 Feb (Mon) .. 8 Feb = 5 + 6 + 7 = 18.
    active = series([5, 6, 7], "2026-02-02", metric="active_users")
    out = compute(active, "wow", grain="week", kinds={"active_users": "event"})
    assert out.row(0, named=True)["value"] == 18
    with pytest.raises(ValueError, match="unknown metric kind"):
        compute(active, "wow", grain="week", kinds={"active_users": "snapshot"})
    assert level_metrics(["installs", "active_users", "x"], {"x": "level"}) == ["active_users", "x"]


def test_mean_28_default_minimum_twelve_of_28() -> None:
    # 1..28 Feb: only the first 12 days observed, then 1 Mar = 99.
    # mean:28 on 1 Mar looks at 1..28 Feb: 12 observed < ceil(0.75 * 28) = 21.
    frame = series([10] * 12 + [None] * 16 + [99], "2026-02-01")
    r = row(compute(frame, "mean"), "2026-03-01")
    assert r["baseline"] is None and r["baseline_obs"] == 12
    assert r["reason"] == "only 12 of 28 days observed (minimum 21)"
    assert r["method"] == "mean:28"


def test_trailing_windows_do_not_leak_across_series() -> None:
    # A: 1..4 Feb = 1000 each. B: 3..6 Feb = 10, 20, 30, 40 (overlapping dates).
    # B's mean:2 on 6 Feb = (20 + 30) / 2 = 25 and on 5 Feb only 3..4 Feb = 15; no 1000 enters.
    frame = pl.concat(
        [series([1000] * 4, "2026-02-01", app="A"), series([10, 20, 30, 40], "2026-02-03", app="B")]
    )
    out = compute(frame, "mean:2")
    assert row(out, "2026-02-06", app="B")["baseline"] == pytest.approx(25.0)
    assert row(out, "2026-02-05", app="B")["baseline"] == pytest.approx(15.0)
    r = row(out, "2026-02-04", app="B")  # 2..3 Feb for B: only 3 Feb, 1 < ceil(1.5) = 2
    assert r["baseline"] is None and r["reason"] == "only 1 of 2 days observed (minimum 2)"
    assert row(out, "2026-02-04", app="A")["baseline"] == pytest.approx(1000.0)


def test_database_count_columns_are_not_series_keys() -> None:
    # pipelines.reads.load_series adds `components` and `present` (Int32): counts, not keys.
    frame = series([10, 20, 30], "2026-02-01", app="A").with_columns(
        components=pl.lit(2, pl.Int32), present=pl.Series([2, 1, 2], dtype=pl.Int32)
    )
    out = compute(frame, "previous-day")
    assert out.columns[0] == "app" and "present" not in out.columns
    assert row(out, "2026-02-02")["change"] == pytest.approx(1.0)  # 20 / 10 - 1, one series
