"""The choices an analyst picks from, and the defaults every surface shares.

Why one module: the baseline presets, their labels, the typical-change and spike windows and
the default ranges used to be written in the CLI, the pages and the charts separately, and
they drifted. Everything that decides *how* a number is made and is not a user's choice lives
here; a request (:mod:`semantic.request`) carries the user's choices.
"""

from __future__ import annotations

from analytics import baselines

#: The baseline methods offered in pickers, in this order. Their labels are the methods' own
#: (``baselines.Method.label``) plus the everyday words analysts use for them.
BASELINE_PRESETS: tuple[str, ...] = (
    "previous-day",
    "mean:28",
    "median:28",
    "weekday:4",
    "wow",
    "mom",
    "yoy",
)
_EVERYDAY = {
    "previous-day": "Previous day (day over day)",
    "mean:28": "Mean of the previous 28 days (an average day)",
    "median:28": "Median of the previous 28 days",
    "weekday:4": "Same weekday, previous 4 weeks",
    "wow": "Week over week",
    "mom": "Month over month",
    "yoy": "Year over year",
}

#: Default method of a series (the press's "day over day") and of the movers' change column
#: ("vs an average day").
SERIES_METHOD = "previous-day"
MOVERS_METHOD = "mean:28"

#: Days of day-over-day pairs behind the typical change (analytics.typical).
TYPICAL_WINDOW = 30
#: Days of history behind a robust spike score, and the score that counts as a spike.
SPIKE_WINDOW = 28
SPIKE_THRESHOLD = 3.5
#: The event study's reference window, as offsets from day 0 (the mean of days -14..-1).
STUDY_REFERENCE = (-14, -1)
STUDY_DAYS = 14
#: Range shown when a series request names no start, counted back from its end, per grain.
DEFAULT_SPAN_DAYS = {"day": 30, "week": 12 * 7, "month": 365}
#: Range the explorer opens on.
EXPLORE_SPAN_DAYS = 90

GRAINS = baselines.GRAINS
GRAIN_WORDS = {"day": "daily", "week": "weekly", "month": "monthly"}


def preset_label(method: str | baselines.Method) -> str:
    """What a picker shows for a method: the everyday words, else the method's own label."""
    m = baselines.parse_method(method)
    return _EVERYDAY.get(m.name, m.label[:1].upper() + m.label[1:])
