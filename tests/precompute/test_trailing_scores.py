"""The per-day seasonality test behind stored scores (spikes.score(weekday_aware="trailing")),
with hand-worked values on tiny series, and the property storage rests on: a day's score
depends on its TRAILING_SPAN previous days alone, whatever frame it is computed in."""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl

from analytics import spikes

D0 = date(2026, 1, 5)  # a Monday


def _series(values: list[float | None], key: str = "a") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "k": [key] * len(values),
            "date": [D0 + timedelta(days=i) for i in range(len(values))],
            "value": values,
        },
        schema={"k": pl.String, "date": pl.Date, "value": pl.Float64},
    )


def test_hand_worked_plain_score():
    # 28 days of history: 14 x 100, 7 x 104, 7 x 96, in a repeating order, then 130.
    # Sorted: 7 x 96, 14 x 100, 7 x 104 -> median (14th and 15th values) = 100.
    # |x - 100|: 14 x 0 and 14 x 4 -> MAD = (0 + 4) / 2 = 2.
    # score = (130 - 100) / (1.4826 x 2) = 30 / 2.9652 = 10.1174 (34 days are not there, so
    # the seasonality test cannot run: a plain score).
    history = [100.0, 104.0, 100.0, 96.0] * 7
    out = spikes.score(_series([*history, 130.0]), keys=["k"], weekday_aware="trailing")
    day = out.filter(pl.col("date") == D0 + timedelta(days=28)).row(0, named=True)
    assert day["median"] == 100.0
    assert day["mad"] == 2.0
    assert day["score"] == 30 / (1.4826 * 2)
    assert round(day["score"], 4) == 10.1174
    assert day["score_obs"] == 28
    assert day["is_weekday_aware"] is False
    assert day["direction"] == "up"


def test_hand_worked_weekday_decision():
    # Weekdays 100, weekends 200. Every centred 7-day window holds 5 weekdays and 2 weekend
    # days: mean 900 / 7; ratios are 100 / (900/7) = 0.778 on weekdays and 1.556 at weekends,
    # the same for each weekday, so the weekday explains all the variance (eta squared 1).
    values = [200.0 if (D0 + timedelta(days=i)).weekday() >= 5 else 100.0 for i in range(40)]
    out = spikes.score(_series(values), keys=["k"], weekday_aware="trailing")
    aware = dict(zip(out["date"].to_list(), out["is_weekday_aware"].to_list(), strict=True))
    # The test needs the 34 days before the day: day 34 (the 35th) is the first.
    assert aware[D0 + timedelta(days=33)] is False
    assert all(aware[D0 + timedelta(days=i)] for i in range(34, 40))
    # A weekday-aware day is scored against its own weekday: a Monday of 100 after four
    # Mondays of 100 has median 100; every residual is 0, so there is no scale ("flat").
    monday = out.filter(pl.col("date") == D0 + timedelta(days=35)).row(0, named=True)
    assert monday["median"] == 100.0
    assert monday["score"] is None
    assert monday["score_reason"] == "flat history: no deviation to scale by"


def test_a_gap_in_the_34_days_means_no_weekday_test():
    values: list[float | None] = [
        200.0 if (D0 + timedelta(days=i)).weekday() >= 5 else 100.0 for i in range(40)
    ]
    values[20] = None  # kills the 7 ratios around it: 21 of 28 left
    out = spikes.score(_series(values), keys=["k"], weekday_aware="trailing")
    assert not out.filter(pl.col("date") <= D0 + timedelta(days=20 + 31))["is_weekday_aware"].any()


def _random_frame(n_series: int = 12, days: int = 150, seed: int = 3) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for s in range(n_series):
        seasonal = s % 3 == 0
        for i in range(days):
            d = D0 + timedelta(days=i)
            if s % 4 == 1 and rng.random() < 0.04:
                continue
            level = 1000 * (1.6 if seasonal and d.weekday() >= 5 else 1.0)
            spike = 6000 if rng.random() < 0.02 else 0
            rows.append((f"s{s}", d, float(round(level * (1 + rng.gauss(0, 0.05))) + spike)))
    return pl.DataFrame(rows, schema=["k", "date", "value"], orient="row")


def test_score_of_a_day_depends_on_its_34_previous_days_only():
    frame = _random_frame()
    full = spikes.score(frame, keys=["k"], weekday_aware="trailing")
    assert full["is_weekday_aware"].any() and not full["is_weekday_aware"].all()
    for since in (D0 + timedelta(days=60), D0 + timedelta(days=120)):
        cut = frame.filter(pl.col("date") >= since - timedelta(days=spikes.TRAILING_SPAN))
        part = spikes.score(cut, keys=["k"], weekday_aware="trailing", since=since)
        assert part.equals(full.filter(pl.col("date") >= since))


def test_the_decision_is_weekly_seasonality_on_the_34_days_before():
    frame = _random_frame(n_series=6, days=120, seed=5)
    full = spikes.score(frame, keys=["k"], weekday_aware="trailing")
    for key in ("s0", "s1", "s3"):
        for offset in (40, 70, 100):
            day = D0 + timedelta(days=offset)
            span = frame.filter(
                (pl.col("k") == key)
                & pl.col("date").is_between(day - timedelta(days=34), day - timedelta(days=1))
            )
            expected = spikes.weekly_seasonality(span, keys=["k"])["is_weekday_aware"][0]
            got = full.filter((pl.col("k") == key) & (pl.col("date") == day))
            assert got["is_weekday_aware"][0] == expected


def test_same_decision_same_numbers_as_the_auto_path():
    # Where both paths take the same decision, the windows and kernels are the same: equal
    # to the last bit.
    frame = _random_frame(n_series=8, days=90, seed=11).filter(pl.col("k") != "s0")
    trailing = spikes.score(frame, keys=["k"], weekday_aware="trailing")
    plain = spikes.score(frame, keys=["k"], weekday_aware=False)
    same = trailing.filter(~pl.col("is_weekday_aware"))
    other = plain.join(same.select("k", "date"), on=["k", "date"], how="semi")
    assert same.drop("is_weekday_aware").equals(other.drop("is_weekday_aware"))
