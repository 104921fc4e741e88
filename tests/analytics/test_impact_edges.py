"""analytics.impact: a post-period that runs past the end of the data says where it ends."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from analytics import impact

EVENT = date(2026, 2, 28)


def test_a_post_period_past_the_data_names_the_last_day_and_the_longest_post():
    start = EVENT - timedelta(days=28)
    rows = [(start + timedelta(days=i), 100.0) for i in range(28 + 3)]  # data ends 2026-03-02
    frame = pl.DataFrame(rows, schema={"date": pl.Date, "value": pl.Float64}, orient="row")
    with pytest.raises(impact.ImpactRefused) as err:
        impact.impact(frame, EVENT, label="X")
    assert str(err.value) == (
        "The data of X ends on 2026-03-02: a post-period of 14 days from 2026-02-28 would reach "
        "2026-03-13. Use a post-period of at most 3 days."
    )
    assert impact.impact(frame, EVENT, post=3).excess == pytest.approx(0.0, abs=1e-9)
