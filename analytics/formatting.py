"""The one module that turns numbers into display text.

Why one module: "+295%" and "3.95x" describe the same comparison, and a page that formats its
own numbers is where a change gets printed as a multiple ("nearly three times more"). Every page,
chart note, CSV label and sentence calls these functions; column-name conventions pick the
formatter in :func:`fmt_column` (``change`` -> signed percent, ``multiple`` -> ``x``, ``_pct``
-> unsigned percent of a fraction, ``date``/``_date`` -> weekday date).

Rounding is half away from zero on the decimal value written in the float's shortest repr, so
0.145 prints "15%" (what a person computing by hand would publish), not "14%".
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

NA = "n/a"

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and not math.isfinite(x))


def _round(x: float, places: int) -> Decimal:
    """Round half away from zero, working on the float's decimal repr (0.145 -> 0.15)."""
    quantum = Decimal(1).scaleb(-places)
    return Decimal(repr(float(x))).quantize(quantum, rounding=ROUND_HALF_UP)


def _digits(d: Decimal, places: int) -> str:
    """Thousands separators, fixed decimals, and never a "-0"."""
    if d == 0:
        d = abs(d)
    return f"{d:,.{places}f}"


def fmt_int(x: float | None) -> str:
    """A count: ``12640 -> "12,640"``; fractional input is rounded; None/NaN -> "n/a"."""
    if _missing(x):
        return NA
    return _digits(_round(x, 0), 0)


def fmt_number(x: float | None, precision: int = 0) -> str:
    """A plain number with thousands separators and ``precision`` decimals."""
    if _missing(x):
        return NA
    return _digits(_round(x, precision), precision)


def fmt_pct(x: float | None, precision: int = 0, *, signed: bool = True) -> str:
    """A change stored as a fraction, as a percent: ``2.95 -> "+295%"``, ``-0.13 -> "-13%"``.

    Signed by default because a change has a direction; zero (after rounding) is "0%" with no
    sign. ``signed=False`` prints a magnitude ("9%" for a typical change). None -> "n/a".
    """
    if _missing(x):
        return NA
    # Multiply in decimal, not in binary: 2.95 * 100 is 295.00000000000006 as a float.
    d = (Decimal(repr(float(x))) * 100).quantize(Decimal(1).scaleb(-precision), ROUND_HALF_UP)
    text = _digits(d, precision)
    if signed and d > 0:
        text = "+" + text
    return text + "%"


def fmt_multiple(x: float | None, precision: int = 2) -> str:
    """A ratio to the baseline: ``3.95 -> "3.95x"`` (never a percent). None -> "n/a"."""
    if _missing(x):
        return NA
    return _digits(_round(x, precision), precision) + "x"


def fmt_share(x: float | None, precision: int = 0) -> str:
    """A share stored as a fraction (``_pct`` columns): ``0.523 -> "52%"``, unsigned."""
    return fmt_pct(x, precision, signed=False)


def fmt_date(d: date | datetime | None) -> str:
    """``date(2026, 2, 28) -> "Sat 28 Feb 2026"``; English names whatever the locale."""
    if d is None:
        return NA
    return f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def fmt_month(d: date | datetime | None) -> str:
    """A calendar month: ``date(2026, 3, 1) -> "Mar 2026"``."""
    if d is None:
        return NA
    return f"{_MONTHS[d.month - 1]} {d.year}"


# Display names of store platforms, in the order a combined scope lists them.
PLATFORM_LABELS = {"ios": "iOS", "android": "Android"}


def fmt_platforms(text: str | None) -> str:
    """A platform scope as people write it: ``"android+ios" -> "iOS+Android"``.

    The database labels a summed dimension by joining its sorted values with '+'; known
    platforms get their display name and come first (iOS, then Android), others keep theirs.
    """
    if not text:
        return ""
    parts = [p for p in str(text).split("+") if p]
    order = list(PLATFORM_LABELS)
    parts.sort(key=lambda p: (order.index(p) if p in order else len(order), p))
    return "+".join(PLATFORM_LABELS.get(p, p) for p in parts)


def fmt_scope(country: str | None = None, platform: str | None = None) -> str:
    """The scope shown in brackets after an app: ``("US", "android+ios") -> "US, iOS+Android"``."""
    return ", ".join(p for p in (country or "", fmt_platforms(platform)) if p)


def fmt_metric(name: str | None) -> str:
    """A metric name in a sentence: ``"one_star_reviews" -> "one star reviews"``."""
    return "" if name is None else str(name).replace("_", " ")


def fmt_column(name: str, value: object) -> str:
    """Format a value by its column name, the convention the whole app follows.

    ``change``/``*_change`` -> signed percent, ``multiple``/``*_multiple`` -> ``x``,
    ``*_pct`` -> unsigned percent, ``date``/``*_date`` -> weekday date, other numbers -> counts
    (floats keep two decimals when they are not whole), anything else -> ``str``.
    """
    if value is None:
        return NA
    if name == "change" or name.endswith("_change"):
        return fmt_pct(value)  # type: ignore[arg-type]
    if name == "multiple" or name.endswith("_multiple"):
        return fmt_multiple(value)  # type: ignore[arg-type]
    if name.endswith("_pct"):
        return fmt_share(value)  # type: ignore[arg-type]
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return fmt_int(value)
    if isinstance(value, float):
        return fmt_int(value) if value.is_integer() else fmt_number(value, 2)
    return str(value)
