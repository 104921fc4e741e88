"""analytics.alerting by hand: which days fire, and how firing days group into episodes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from analytics import alerting


def _days(values: dict[int, tuple[float | None, float | None]]) -> pl.DataFrame:
    """Series 'a', day n of Jan 2026 -> (score, change)."""
    return pl.DataFrame(
        {
            "app": ["a"] * len(values),
            "date": [date(2026, 1, n) for n in values],
            "score": [v[0] for v in values.values()],
            "change": [v[1] for v in values.values()],
        }
    )


DAYS = _days(
    {
        1: (1.0, 0.10),
        2: (3.5, 1.00),  # exactly at both thresholds: fires
        3: (-4.0, -0.60),
        4: (None, None),  # no score, no change: never fires
        5: (3.49, 0.99),
    }
)


@pytest.mark.parametrize(
    ("kind", "threshold", "direction", "days"),
    [
        ("score", 3.5, "both", [2, 3]),
        ("score", 3.5, "up", [2]),
        ("score", 3.5, "down", [3]),
        ("change", 1.0, "up", [2]),
        ("change", 0.5, "down", [3]),  # -60% <= -50%
        ("change", 0.6, "both", [2, 3, 5]),  # +100%, -60% (at the threshold), +99%
    ],
)
def test_firing_days(kind, threshold, direction, days):
    fired = alerting.firing(DAYS, kind, threshold, direction)
    assert [d.day for d in fired.get_column("date")] == days


def test_firing_signal_and_direction_come_from_the_rule_kind():
    fired = alerting.firing(DAYS, "change", 0.995, "both")
    assert fired.select("signal", "direction").rows() == [(1.0, "up")]
    fired = alerting.firing(DAYS, "score", 3.5, "both")
    assert fired.select("signal", "direction").rows() == [(3.5, "up"), (-4.0, "down")]


def test_episodes_group_consecutive_days_of_one_direction():
    # up on 1, 2, 3 (one run, peak on 2), a gap, up on 5 (a second run), down on 6
    flagged = pl.DataFrame(
        {
            "app": ["a"] * 5 + ["b"],
            "date": [date(2026, 1, n) for n in (1, 2, 3, 5, 6)] + [date(2026, 1, 2)],
            "signal": [4.0, 9.0, 5.0, 6.0, -7.0, 5.0],
            "direction": ["up", "up", "up", "up", "down", "up"],
        }
    )
    out = alerting.episodes(flagged, keys=["app"])
    assert out.select(
        "app", "direction", "start_date", "end_date", "n_days", "peak_date"
    ).rows() == [
        ("a", "up", date(2026, 1, 1), date(2026, 1, 3), 3, date(2026, 1, 2)),
        ("a", "up", date(2026, 1, 5), date(2026, 1, 5), 1, date(2026, 1, 5)),
        ("a", "down", date(2026, 1, 6), date(2026, 1, 6), 1, date(2026, 1, 6)),
        ("b", "up", date(2026, 1, 2), date(2026, 1, 2), 1, date(2026, 1, 2)),
    ]


def test_the_earliest_of_equal_peaks_is_the_peak():
    flagged = pl.DataFrame(
        {
            "app": ["a", "a"],
            "date": [date(2026, 1, 2), date(2026, 1, 1)],
            "signal": [5.0, -5.0],
            "direction": ["up", "up"],
        }
    )
    (row,) = alerting.episodes(flagged, keys=["app"]).to_dicts()
    assert row["peak_date"] == date(2026, 1, 1)


def test_no_flagged_days_no_episodes():
    empty = alerting.firing(DAYS, "score", 50, "both")
    assert alerting.episodes(empty, keys=["app"]).height == 0


@pytest.mark.parametrize(
    ("kind", "threshold", "direction", "message"),
    [
        ("z", 1, "up", "kind must be one of"),
        ("score", 0, "up", "above 0"),
        ("score", 3, "sideways", "direction must be one of"),
        ("change", 1.5, "down", "a fall cannot exceed 100%"),
    ],
)
def test_check_rule_refuses(kind, threshold, direction, message):
    with pytest.raises(ValueError, match=message):
        alerting.check_rule(kind, threshold, direction)
