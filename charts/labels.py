"""Labels for series and changes on a chart, written once so every chart says the same.

A change is always shown with its multiple and its reference ("+295% (3.95x) vs the
previous day"): the press retold +295% as "nearly three times more", and a percentage
without its baseline cannot be checked (PRODUCT.md). The numbers themselves come from
:mod:`analytics.formatting` (one rounding rule for sentences, tables, the CLI and charts);
nothing here formats a number. Everything returned here is safe to put into plotly text:
user-supplied parts go through `safe_text`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from analytics.formatting import NA, fmt_change, fmt_platforms
from charts.text import safe_text

KEY_COLUMNS: tuple[str, ...] = ("app", "metric", "country", "platform", "source")
KEY_SEPARATOR = " · "


def format_change(
    change: float | None, multiple: float | None = None, method_label: str | None = None
) -> str:
    """ "+295% (3.95x) vs the previous day": the module's numbers, then the safe method label.

    The numbers are :func:`analytics.formatting.fmt_change` exactly (the multiple is derived when
    not given); a missing change is "no change available".
    """
    numbers = fmt_change(change, multiple)
    if numbers == NA:
        return "no change available"
    if method_label:
        numbers += " " + safe_text(method_label, 60)
    return numbers


def varying_keys(keys: Sequence[Mapping[str, object]], columns: Sequence[str]) -> list[str]:
    """The key columns whose value differs between the series on one chart."""
    return [c for c in columns if len({k.get(c) for k in keys}) > 1]


def series_label(key: Mapping[str, object], show: Sequence[str], max_len: int = 48) -> str:
    """Legend name of one series: the app, then only the key parts that vary on the chart."""
    parts = [str(key.get("app") or "")] if "app" in key else []
    parts += [
        fmt_platforms(str(key[c])) if c == "platform" else str(key[c])
        for c in show
        if c != "app" and key.get(c) not in (None, "")
    ]
    text = KEY_SEPARATOR.join(p for p in parts if p) or "series"
    return safe_text(text, max_len)


def join_distinct(values: Sequence[object], max_items: int = 4, max_len: int = 24) -> str:
    """ "US, GB, DE and 2 more" from distinct values, each made safe."""
    distinct = sorted({str(v) for v in values if v not in (None, "")})
    shown = [safe_text(v, max_len) for v in distinct[:max_items]]
    rest = len(distinct) - len(shown)
    if rest > 0:
        return ", ".join(shown) + f" and {rest} more"
    return ", ".join(shown)
