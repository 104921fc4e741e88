"""Display strings for numbers and series, written once so every chart says the same.

A change is always shown with its multiple and its reference ("+295% (3.95x) vs the
previous day"): the press retold +295% as "nearly three times more", and a percentage
without its baseline cannot be checked (PRODUCT.md). Everything returned here is safe to
put into plotly text: user-supplied parts go through `safe_text`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from charts.text import safe_text

KEY_COLUMNS: tuple[str, ...] = ("app", "metric", "country", "platform", "source")
KEY_SEPARATOR = " · "


def _is_missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_value(x: float | None) -> str:
    """12345.0 -> "12,345"; 3.14159 -> "3.14"; missing -> "n/a"."""
    if _is_missing(x):
        return "n/a"
    assert x is not None
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def format_pct(fraction: float | None) -> str:
    """2.95 -> "+295%"; -0.13 -> "-13%"; 0.004 -> "+0.4%" (signed, fraction in)."""
    if _is_missing(fraction):
        return "n/a"
    assert fraction is not None
    pct = fraction * 100
    if abs(pct) >= 10 or pct == 0:
        text = f"{pct:+,.0f}%"
    else:
        text = f"{pct:+.1f}%"
    return text.replace("-", "\u2212", 1) if pct < 0 else text


def format_multiple(multiple: float | None) -> str:
    """3.95 -> "3.95x"."""
    if _is_missing(multiple):
        return "n/a"
    return f"{multiple:,.2f}x"


def format_change(
    change: float | None, multiple: float | None = None, method_label: str | None = None
) -> str:
    """ "+295% (3.95x) vs the previous day". The multiple is derived when not given."""
    if _is_missing(change):
        return "no change available"
    assert change is not None
    if _is_missing(multiple):
        multiple = 1 + change
    text = f"{format_pct(change)} ({format_multiple(multiple)})"
    if method_label:
        text += " " + safe_text(method_label, 60)
    return text


def varying_keys(keys: Sequence[Mapping[str, object]], columns: Sequence[str]) -> list[str]:
    """The key columns whose value differs between the series on one chart."""
    return [c for c in columns if len({k.get(c) for k in keys}) > 1]


def series_label(key: Mapping[str, object], show: Sequence[str], max_len: int = 48) -> str:
    """Legend name of one series: the app, then only the key parts that vary on the chart."""
    parts = [str(key.get("app") or "")] if "app" in key else []
    parts += [str(key[c]) for c in show if c != "app" and key.get(c) not in (None, "")]
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
