"""Sentences: exact published strings built from real compute() rows."""

from __future__ import annotations

from datetime import date

import polars as pl
from analytics_helpers import row, series

from analytics.baselines import compute
from analytics.sentences import change_sentence, crossover_sentence, study_sentence


def test_the_published_uninstall_sentence() -> None:
    frame = series([3200, 12640], "2026-02-27", app="ChatGPT", metric="uninstalls")
    r = row(compute(frame, "previous-day"), "2026-02-28")
    text = change_sentence(r, scope="US, iOS+Android", typical=0.09)
    assert text == (
        "ChatGPT (US, iOS+Android) uninstalls: 12,640 on Sat 28 Feb 2026, +295% vs the "
        "previous day (3.95x); typical day-over-day change over the previous 30 days: 9%."
    )


def test_sentence_without_typical_and_with_overrides() -> None:
    # 3,500 -> 3,045: 3045 / 3500 - 1 = -0.13 -> "-13%", 0.87x
    frame = series([3500, 3045], "2026-02-27", app="chatgpt-id")
    r = row(compute(frame, "previous-day"), "2026-02-28")
    text = change_sentence(r, subject="ChatGPT", scope="US", metric="downloads")
    assert (
        text
        == "ChatGPT (US) downloads: 3,045 on Sat 28 Feb 2026, -13% vs the previous day (0.87x)."
    )


def test_null_baseline_sentence_says_why() -> None:
    # Only 1 Feb..3 Feb observed before 4 Feb... use a mean:4 with 2 observations of 4.
    frame = series([10, None, None, 40, 50], "2026-02-01", app="Claude", metric="downloads")
    r = row(compute(frame, "mean:4"), "2026-02-05")
    assert change_sentence(r) == (
        "Claude downloads: 50 on Thu 5 Feb 2026; no baseline: only 2 of 4 days observed "
        "(minimum 3)."
    )


def test_zero_baseline_and_missing_value_sentences() -> None:
    frame = series([0, 5, None], "2026-02-01", app="A")
    out = compute(frame, "previous-day")
    assert change_sentence(row(out, "2026-02-02")) == (
        "A: 5 on Mon 2 Feb 2026; no comparison: the baseline (vs the previous day) is zero."
    )
    assert change_sentence(row(out, "2026-02-03")) == "A: no observation on Tue 3 Feb 2026."


def test_month_and_partial_week_sentences() -> None:
    frame = pl.concat([series([100] * 31, "2025-03-01"), series([513] * 31, "2026-03-01")])
    r = row(compute(frame, "yoy", grain="month"), "2026-03-01")
    assert change_sentence(r, subject="ChatGPT", scope="US", metric="uninstalls") == (
        "ChatGPT (US) uninstalls: 15,903 in Mar 2026, +413% vs the same month a year earlier "
        "(5.13x)."
    )
    week = row(compute(series([5] * 3, "2026-02-13"), "wow", grain="week"), "2026-02-09")
    assert change_sentence(week, subject="A") == (
        "A: 15 in the week of Mon 9 Feb 2026 (partial period: 3 of 7 days); "
        "not compared with the baseline."
    )


def test_names_are_plain_text() -> None:
    frame = series([1, 2], "2026-02-27", app="<b>X</b> & Co")
    text = change_sentence(row(compute(frame, "previous-day"), "2026-02-28"))
    assert text.startswith("<b>X</b> & Co: 2 on")


def test_crossover_sentence() -> None:
    r = {
        "a": "Claude",
        "b": "ChatGPT",
        "date": date(2026, 2, 28),
        "value_a": 12000.0,
        "value_b": 11500.0,
        "is_first": True,
        "first_date": date(2026, 2, 1),
        "metric": "downloads",
    }
    assert crossover_sentence(r, scope="US") == (
        "Claude's US downloads exceeded ChatGPT's for the first time on Sat 28 Feb 2026: "
        "12,000 vs 11,500 (data from Sun 1 Feb 2026)."
    )
    again = {**r, "is_first": False}
    assert crossover_sentence(again, scope="US") == (
        "Claude's US downloads exceeded ChatGPT's again on Sat 28 Feb 2026: 12,000 vs 11,500."
    )


def test_study_sentences() -> None:
    r = {
        "app": "ChatGPT",
        "event_date": date(2026, 2, 27),
        "peak_change": 2.95,
        "peak_multiple": 3.95,
        "peak_date": date(2026, 2, 28),
        "peak_offset": 1,
        "reference_label": "vs the mean of days -14..-1",
        "typical_change": 0.09,
        "back_date": date(2026, 3, 5),
        "back_offset": 6,
        "days_after_peak": 5,
        "post": 14,
    }
    assert study_sentence(r, scope="US", metric="uninstalls", event_label="the deal") == (
        "ChatGPT (US) uninstalls after the deal (Fri 27 Feb 2026): peak +295% (3.95x) vs the "
        "mean of days -14..-1 on Sat 28 Feb 2026 (day +1); back within the typical range (±9%) "
        "on Thu 5 Mar 2026 (day +6, 5 days after the peak)."
    )
    never = {**r, "back_date": None, "back_offset": None, "days_after_peak": None}
    assert study_sentence(never) == (
        "ChatGPT after Fri 27 Feb 2026: peak +295% (3.95x) vs the mean of days -14..-1 on "
        "Sat 28 Feb 2026 (day +1); not back within the typical range (±9%) by day +14."
    )


def test_the_published_sentence_end_to_end_with_computed_typical() -> None:
    from analytics.typical import typical_change

    # 27 Feb = 3,200 reached by 30 moves of alternately +9% and -9% from 28 Jan, so every
    # |v_t / v_(t-1) - 1| over t = 29 Jan..27 Feb is 0.09; then 28 Feb = 12,640.
    values = [3200.0]
    for i in range(30):  # walk back: v_(t-1) = v_t / ratio_t
        values.insert(0, values[0] / (1.09 if i % 2 == 0 else 0.91))
    values.append(12640.0)
    frame = series(values, "2026-01-28", app="ChatGPT", metric="uninstalls")
    r = row(typical_change(compute(frame, "previous-day")), "2026-02-28")
    assert r["typical_obs"] == 30
    text = change_sentence(r, scope="US, iOS+Android", typical=r["typical_change"])
    assert text == (
        "ChatGPT (US, iOS+Android) uninstalls: 12,640 on Sat 28 Feb 2026, +295% vs the "
        "previous day (3.95x); typical day-over-day change over the previous 30 days: 9%."
    )
