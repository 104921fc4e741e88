"""Spike scores, detection, episodes and top movers, worked out by hand.

Robust score = (value - median) / (1.4826 * MAD); 1.4826 * 2 = 2.9652.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from analytics_helpers import SKIP, d, row, series

from analytics.spikes import detect, episodes, score, top_movers, weekly_seasonality

# A: 1..8 Feb 2026. B: a quiet series over the same days.
A = [10, 12, 14, 16, 40, 50, 12, 200]
B = [10, 12, 14, 16, 15, 13, 14, 15]


def two_series() -> pl.DataFrame:
    return pl.concat([series(A, "2026-02-01", app="A"), series(B, "2026-02-01", app="B")])


def test_plain_score_by_hand() -> None:
    out = score(series(A[:5], "2026-02-01"), window=4, weekday_aware=False)
    r = row(out, "2026-02-05")
    # history 10, 12, 14, 16: median 13, |dev| 3, 1, 1, 3 -> MAD 2
    assert r["median"] == 13 and r["mad"] == 2
    assert r["score"] == pytest.approx(27 / 2.9652)  # (40 - 13) / 2.9652 = 9.106
    assert r["direction"] == "up"
    assert r["score_obs"] == 4


def test_minimum_observations_and_gaps() -> None:
    # window 4 needs ceil(3) = 3. 5 Feb sees 1..4 Feb = 10, absent, NULL, 16 -> 2 observed.
    out = score(series([10, SKIP, None, 16, 40], "2026-02-01"), window=4, weekday_aware=False)
    r = row(out, "2026-02-05")
    assert r["score"] is None and r["median"] is None
    assert r["score_reason"] == "only 2 of 4 days observed (minimum 3)"
    assert row(out, "2026-02-03")["score_reason"] == "no observation on this day"


def test_zero_mad_falls_back_to_mean_deviation_and_flat_history_is_null() -> None:
    # history 10, 10, 10, 20: median 10, MAD 0; mean |dev| = 10 / 4 = 2.5 -> scale 1.2533 * 2.5
    r = row(score(series([10, 10, 10, 20, 30], "2026-02-01"), 4, weekday_aware=False), "2026-02-05")
    assert r["mad"] == 0
    assert r["score"] == pytest.approx(20 / (1.2533 * 2.5))  # 6.383
    flat = row(
        score(series([10, 10, 10, 10, 30], "2026-02-01"), 4, weekday_aware=False), "2026-02-05"
    )
    assert flat["score"] is None
    assert flat["score_reason"] == "flat history: no deviation to scale by"


def seasonal_three_weeks(saturday: float) -> pl.DataFrame:
    # Sat 14 .. Fri 27 Feb 2026, then Sat 28 Feb.
    # Sat 14 = 200, Sun 15 = 200, Mon-Fri 16-20 = 100; Sat 21 = 208, Sun 22 = 204, 23-27 = 104.
    values = [200, 200, 100, 100, 100, 100, 100, 208, 204, 104, 104, 104, 104, 104, saturday]
    return series(values, "2026-02-14", app="S")


def test_weekday_aware_score_by_hand() -> None:
    out = score(seasonal_three_weeks(300), window=14, weekday_aware=True)
    r = row(out, "2026-02-28")
    # Same weekday: Sat 14 = 200, Sat 21 = 208 -> median 204.
    # Residuals around each weekday's median in the window: Sat +-4, Sun +-2, weekdays +-2
    # -> median 0, |res| = 4, 4 and twelve 2s -> MAD 2.
    assert r["median"] == 204 and r["mad"] == 2
    assert r["score"] == pytest.approx(96 / 2.9652)  # (300 - 204) / 2.9652 = 32.38
    assert r["is_weekday_aware"] is True


def test_an_ordinary_saturday_is_not_a_spike_when_weekday_aware() -> None:
    aware = row(score(seasonal_three_weeks(212), 14, weekday_aware=True), "2026-02-28")
    assert aware["score"] == pytest.approx(8 / 2.9652)  # (212 - 204) / 2.9652 = 2.70 < 3.5
    plain = row(score(seasonal_three_weeks(212), 14, weekday_aware=False), "2026-02-28")
    # Plain: 14 values 100x5, 104x5, 200, 200, 204, 208 -> median (104 + 104) / 2 = 104;
    # |dev| 4x5, 0x5, 96, 96, 100, 104 -> MAD (4 + 4) / 2 = 4 -> (212 - 104) / 5.9304 = 18.2
    assert plain["median"] == 104 and plain["mad"] == 4
    assert plain["score"] == pytest.approx(108 / 5.9304)
    assert detect(seasonal_three_weeks(212), window=14, weekday_aware=True).height == 0


def test_weekly_seasonality_test() -> None:
    pattern = [100, 100, 100, 100, 100, 200, 250]  # Mon..Sun, repeated 8 weeks from Mon 5 Jan
    seasonal = series(pattern * 8, "2026-01-05", app="S")
    # Alternating 100/120: every weekday sees both values equally often -> no weekday effect.
    alternating = series([100, 120] * 28, "2026-01-05", app="N")
    out = weekly_seasonality(pl.concat([seasonal, alternating]))
    s = out.filter(pl.col("app") == "S").row(0, named=True)
    n = out.filter(pl.col("app") == "N").row(0, named=True)
    # Exact weekly pattern: ratio to the centred 7-day mean depends only on the weekday,
    # so within-weekday variance is 0 and eta squared is 1.
    assert s["seasonal_eta2"] == pytest.approx(1.0)
    assert s["is_weekday_aware"] is True
    assert n["seasonal_eta2"] < 0.1 and n["is_weekday_aware"] is False
    # Too short (fewer than 28 ratios): never seasonal, whatever the pattern.
    short = weekly_seasonality(series(pattern * 4, "2026-01-05"))
    assert short["is_weekday_aware"].to_list() == [False]
    # "auto" picks the weekday comparison for the seasonal series only.
    scored = score(pl.concat([seasonal, alternating]), window=28, weekday_aware="auto")
    flags = scored.group_by("app").agg(pl.col("is_weekday_aware").first()).sort("app")
    assert flags.rows() == [("N", False), ("S", True)]


def test_detect_directions() -> None:
    frame = series([10, 12, 14, 16, 40], "2026-02-01")
    assert detect(frame, window=4, weekday_aware=False)["date"].to_list() == [d("2026-02-05")]
    assert detect(frame, window=4, weekday_aware=False, direction="down").height == 0
    with pytest.raises(ValueError, match="direction"):
        detect(frame, direction="sideways")


def test_episodes_merge_consecutive_days_and_keep_series_apart() -> None:
    # A: 5 Feb 9.106 (above); 6 Feb: history 12, 14, 16, 40 -> median 15, |dev| 3, 1, 1, 25
    #    -> MAD 2 -> (50 - 15) / 2.9652 = 11.80; 7 Feb: history 14, 16, 40, 50 -> median 28,
    #    MAD 13 -> (12 - 28) / 19.27 = -0.83; 8 Feb: history 16, 40, 50, 12 -> median 28,
    #    |dev| 12, 12, 22, 16 -> MAD 14 -> (200 - 28) / 20.756 = 8.29.
    # B: 5..8 Feb scores 0.67, -1.01, -0.34, 0.34 -> no episode.
    out = episodes(two_series(), window=4, weekday_aware=False)
    assert out.rows(named=True) == [
        {
            "app": "A",
            "direction": "up",
            "start_date": d("2026-02-05"),
            "end_date": d("2026-02-06"),
            "n_days": 2,
            "peak_date": d("2026-02-06"),
            "peak_value": 50.0,
            "peak_score": pytest.approx(35 / 2.9652),
        },
        {
            "app": "A",
            "direction": "up",
            "start_date": d("2026-02-08"),
            "end_date": d("2026-02-08"),
            "n_days": 1,
            "peak_date": d("2026-02-08"),
            "peak_value": 200.0,
            "peak_score": pytest.approx(172 / (1.4826 * 14)),
        },
    ]
    merged = episodes(two_series(), window=4, weekday_aware=False, max_gap=2)
    assert merged.select("start_date", "end_date", "n_days", "peak_date").rows() == [
        (d("2026-02-05"), d("2026-02-08"), 3, d("2026-02-06"))
    ]


def test_top_movers_ranks_series_by_largest_abs_score() -> None:
    out = top_movers(
        two_series(),
        date(2026, 2, 5),
        date(2026, 2, 8),
        method="previous-day",
        window=4,
        weekday_aware=False,
    )
    assert out["app"].to_list() == ["A", "B"]
    assert out["rank"].to_list() == [1, 2]
    a, b = out.rows(named=True)
    assert a["date"] == d("2026-02-06") and a["score"] == pytest.approx(35 / 2.9652)
    assert a["change"] == pytest.approx(0.25)  # 50 / 40 - 1 vs the previous day
    assert a["method_label"] == "vs the previous day"
    # B's largest |score|: 6 Feb, history 12, 14, 16, 15 -> median 14.5, MAD 1
    # -> (13 - 14.5) / 1.4826 = -1.01
    assert b["date"] == d("2026-02-06") and b["score"] == pytest.approx(-1.5 / 1.4826)
    assert b["change"] == pytest.approx(13 / 15 - 1)  # -13.3%
    limited = top_movers(
        two_series(), date(2026, 2, 5), date(2026, 2, 8), limit=1, window=4, weekday_aware=False
    )
    assert limited["app"].to_list() == ["A"]


def test_top_movers_direction_and_threshold() -> None:
    # Down: A's most negative day is 7 Feb (12; history 14, 16, 40, 50: median 28, MAD 13):
    # -16 / 19.27 = -0.83; B's is 6 Feb, -1.01 (above). B ranks first.
    down = top_movers(
        two_series(),
        d("2026-02-05"),
        d("2026-02-08"),
        window=4,
        weekday_aware=False,
        direction="down",
    )
    assert down["app"].to_list() == ["B", "A"]
    assert down["date"].to_list() == [d("2026-02-06"), d("2026-02-07")]
    assert down["score"][1] == pytest.approx(-16 / (1.4826 * 13))
    assert set(down["direction"]) == {"down"}
    strong = top_movers(
        two_series(),
        d("2026-02-05"),
        d("2026-02-08"),
        window=4,
        weekday_aware=False,
        direction="down",
        threshold=1.0,
    )
    assert strong["app"].to_list() == ["B"]
    up = top_movers(
        two_series(),
        d("2026-02-05"),
        d("2026-02-08"),
        window=4,
        weekday_aware=False,
        direction="up",
        threshold=9,
    )
    assert up["app"].to_list() == ["A"] and up["date"].to_list() == [d("2026-02-06")]
    with pytest.raises(ValueError, match="direction must be one of"):
        top_movers(two_series(), d("2026-02-05"), d("2026-02-08"), direction="sideways")


def test_top_movers_accepts_precomputed_scores() -> None:
    # The CLI scores every series once (only the range: since=) and reuses the scores for top
    # movers and episodes; the changes still come from the full frame (previous day of 5 Feb).
    scored = score(two_series(), window=4, weekday_aware=False, since=d("2026-02-05"))
    assert scored["date"].min() == d("2026-02-05") and scored.height == 8
    full = score(two_series(), window=4, weekday_aware=False)
    assert scored.equals(full.filter(pl.col("date") >= d("2026-02-05")))
    again = top_movers(
        two_series(), d("2026-02-05"), d("2026-02-08"), method="previous-day", scored=scored
    )
    direct = top_movers(
        two_series(),
        d("2026-02-05"),
        d("2026-02-08"),
        method="previous-day",
        window=4,
        weekday_aware=False,
    )
    assert again.equals(direct)
    assert again.filter(pl.col("app") == "B")["change"][0] == pytest.approx(13 / 15 - 1)
