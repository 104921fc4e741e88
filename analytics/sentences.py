"""Publishable sentences built from analytics result rows.

Why: a number in an article travels without its chart. The sentence must carry the value, the
date, the change as a percent, the method it is measured against, the multiple (so "+295%" is
never retold as "three times"), and the typical change that puts it in context - always in the
same words. Every number and date goes through :mod:`analytics.formatting` (one rounding rule:
percent to the integer, multiple to two decimals, half away from zero on the decimal value),
so a sentence says exactly what the chart hover, the tables and the CLI say.

App names and labels are user text: the functions return plain strings and add no markup;
escaping is the job of whatever renders them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from analytics.formatting import (
    fmt_date,
    fmt_int,
    fmt_month,
    fmt_multiple,
    fmt_offset,
    fmt_pct,
    fmt_value,
)


def _head(subject: str | None, scope: str | None, metric: str | None) -> str:
    """ "ChatGPT (US, iOS+Android) uninstalls" from its optional parts."""
    text = subject or ""
    if scope:
        text = f"{text} ({scope})" if text else scope
    if metric:
        text = f"{text} {metric}" if text else metric
    return text


def _when(day: date, grain: str) -> str:
    if grain == "week":
        return f"in the week of {fmt_date(day)}"
    if grain == "month":
        return f"in {fmt_month(day)}"
    return f"on {fmt_date(day)}"


def change_sentence(
    row: Mapping[str, Any],
    *,
    subject: str | None = None,
    scope: str | None = None,
    metric: str | None = None,
    typical: float | None = None,
    typical_window: int = 30,
) -> str:
    """One row of :func:`analytics.baselines.compute` as a sentence.

    ``subject`` and ``metric`` default to the row's ``app`` and ``metric``; ``scope`` is a label
    such as "US, iOS+Android"; ``typical`` is a typical day-over-day change (a fraction, see
    :func:`analytics.typical.typical_change`) over ``typical_window`` days. Example::

        ChatGPT (US, iOS+Android) uninstalls: 12,640 on Sat 28 Feb 2026, +295% vs the previous
        day (3.95x); typical day-over-day change over the previous 30 days: 9%.
    """
    head = _head(
        subject if subject is not None else row.get("app"),
        scope,
        metric if metric is not None else row.get("metric"),
    )
    grain = row.get("grain") or "day"
    when = _when(row["date"], grain)
    value = row.get("value")
    if value is None:
        text = f"{head}: no observation {when}"
    else:
        text = f"{head}: {fmt_value(value)} {when}"
        change = row.get("change")
        reason = row.get("reason")
        if change is not None:
            text += f", {fmt_pct(change)} {row['method_label']} ({fmt_multiple(row['multiple'])})"
        elif row.get("is_partial"):
            observed, days = row.get("days_observed"), row.get("days_in_period")
            detail = f": {observed} of {days} days" if observed is not None and days else ""
            text += f" (partial period{detail}); not compared with the baseline"
        elif reason == "baseline is zero":
            text += f"; no comparison: the baseline ({row['method_label']}) is zero"
        else:
            text += f"; no baseline: {reason}"
    if typical is not None:
        text += (
            f"; typical day-over-day change over the previous {typical_window} days: "
            f"{fmt_pct(typical, signed=False)}"
        )
    return text + "."


def crossover_sentence(
    row: Mapping[str, Any],
    *,
    scope: str | None = None,
    metric: str | None = None,
) -> str:
    """One row of :func:`analytics.compare.crossovers` as a sentence.

    "Claude's US downloads exceeded ChatGPT's for the first time on Sat 28 Feb 2026: 12,000 vs
    11,500 (data from Sun 1 Feb 2026)." "For the first time" only ever means "in the data
    compared", so the start of that data is stated when the row carries it.
    """
    what = " ".join(p for p in (scope, metric if metric is not None else row.get("metric")) if p)
    subject = f"{row['a']}'s {what}".rstrip()
    when = "for the first time" if row.get("is_first") else "again"
    text = (
        f"{subject} exceeded {row['b']}'s {when} on {fmt_date(row['date'])}: "
        f"{fmt_int(row['value_a'])} vs {fmt_int(row['value_b'])}"
    )
    if row.get("is_first") and row.get("first_date") is not None:
        text += f" (data from {fmt_date(row['first_date'])})"
    return text + "."


def no_baseline_sentence(reason: str | None) -> str:
    """The short note shown where a chart has no baseline: "no baseline: <reason>"."""
    return f"no baseline: {reason}" if reason else "no baseline"


def study_sentence(
    row: Mapping[str, Any],
    *,
    subject: str | None = None,
    scope: str | None = None,
    metric: str | None = None,
    event_label: str | None = None,
) -> str:
    """One row of :func:`analytics.study.study_summary` as a sentence.

    "ChatGPT (US) uninstalls after OpenAI's deal (Fri 27 Feb 2026): peak +295% (3.95x) vs the
    mean of days -14..-1 on Sat 28 Feb 2026 (day +1); back within the typical range (±9%) on
    Thu 5 Mar 2026 (day +6, 5 days after the peak)."
    """
    head = _head(
        subject if subject is not None else row.get("app"),
        scope,
        metric if metric is not None else row.get("metric"),
    )
    event = fmt_date(row["event_date"])
    head += f" after {event_label} ({event})" if event_label else f" after {event}"
    if row.get("peak_change") is None:
        return f"{head}: no peak: {row.get('reason') or 'no reference'}."
    text = (
        f"{head}: peak {fmt_pct(row['peak_change'])} ({fmt_multiple(row['peak_multiple'])}) "
        f"{row['reference_label']} on {fmt_date(row['peak_date'])} "
        f"(day {fmt_offset(row['peak_offset'])})"
    )
    typical = row.get("typical_change")
    band = f"the typical range (±{fmt_pct(typical, signed=False)})"
    if typical is None:
        pass
    elif row.get("back_date") is not None:
        days = row["days_after_peak"]
        text += (
            f"; back within {band} on {fmt_date(row['back_date'])} "
            f"(day {fmt_offset(row['back_offset'])}, {days} day{'s' if days != 1 else ''} "
            "after the peak)"
        )
    else:
        text += f"; not back within {band} by day {fmt_offset(row['post'])}"
    return text + "."
