"""The one module that turns numbers and dates into display text.

Why one module: "+295%" and "3.95x" describe the same comparison, and a surface that formats its
own numbers is where the same change gets printed two ways (0.145 was "+15%" in the sentence and
"+14%" in the chart hover, which rounded in binary). Sentences, the CLI's tables, plotly hover
text, tick labels and the pages' tables all call these functions; none formats a change, a
multiple or a count itself (no d3 formats in hover templates, no ``format="percent"`` in
``st.column_config``: both round in JavaScript). :func:`fmt_column` and :func:`display_frame`
pick the formatter from the column name (STYLE.md: ``change`` -> signed percent, ``multiple`` ->
``x``, ``_pct`` -> unsigned percent of a fraction, ``score`` -> signed one decimal, ``date``/
``_date`` -> weekday date, other numbers -> counts).

The rounding rule (also in the README, "Methodology", Conventions):

* A change is published to the integer percent, a multiple to two decimals, a count to the unit,
  a spike score to one decimal.
* Ties round **half away from zero**: +14.5% -> "+15%", -14.5% -> "-15%", 0.865x -> "0.87x".
* The tie is judged on the **decimal number a person reads**, not on the binary float. The float
  0.145 is stored as 0.14499999999999999 and 12640 / 3200 - 1 as 2.9500000000000002; a person
  who divides 1,145 by 1,000 gets exactly +14.5% and publishes "+15%", and a check of our figure
  by hand must agree with it. So the number is first read as a decimal: the float's shortest
  repr, cut to 9 decimal places beyond the published precision (half-even) to drop the noise of
  the binary arithmetic - 1005 / 1000 - 1 is the float 0.004999999999999893, which is +0.5% and
  so "+1%" - then rounded half away from zero. 9 places is far finer than any real difference:
  a ratio of whole counts with a denominator under ten billion is either exactly on a tie or at
  least 5e-12 away from one. (Rounding the binary value, as JavaScript and Python's ``round`` and
  ``format`` do, prints 0.145 as "14%" and 0.865 as "0.86x".)
* Zero has no sign: a change that rounds to 0 is "0%", never "+0%" or "-0%".
* Signs are ASCII: "+15%", "-15%", day "-3" (the same bytes in a sentence, a CSV and a terminal).
* A missing number (None, NaN, infinity) is ``NA`` ("n/a") everywhere.

A consequence worth knowing: half away from zero is symmetric, so a fall of 13.5% is "-14%",
while its multiple 0.865 is "0.87x" (which is a fall of 13%). Each string is the correct rounding
of its own number; a reader subtracting 1 from the rounded multiple can be one point off on a tie.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

import numpy as np
import polars as pl

NA = "n/a"

# Decimal places kept beyond the published precision when a float is read as a decimal: drops
# binary-arithmetic noise (~1e-16 relative) and keeps every real difference (see the docstring).
NOISE_PLACES = 9

_CONTEXT = Context(prec=60)
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Number = float | int | Decimal | None


def _decimal(x: object) -> Decimal | None:
    """The decimal a person reads for ``x`` (its shortest repr), or None when it is missing."""
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, Decimal):
        return x if x.is_finite() else None
    if isinstance(x, int):
        return Decimal(x)
    try:
        f = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    return Decimal(repr(f))


def round_half_away(x: Decimal, places: int) -> Decimal:
    """THE rounding rule: ``x`` to ``places`` decimals, half away from zero, judged on the decimal.

    ``x`` is first cut to ``places + NOISE_PLACES`` decimals (half-even) so that the noise of
    binary arithmetic cannot decide a tie, then rounded half away from zero (Decimal calls it
    ROUND_HALF_UP). Never returns a negative zero.
    """
    clean = x.quantize(Decimal(1).scaleb(-(places + NOISE_PLACES)), ROUND_HALF_EVEN, _CONTEXT)
    out = clean.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, _CONTEXT)
    return abs(out) if out == 0 else out


def _digits(d: Decimal, places: int) -> str:
    """Thousands separators and fixed decimals of an already rounded number."""
    return f"{d:,.{places}f}"


def _signed(d: Decimal, text: str, signed: bool) -> str:
    return "+" + text if signed and d > 0 else text


def fmt_number(x: Number, precision: int = 0) -> str:
    """A plain number with thousands separators and ``precision`` decimals: ``1234.5678, 2 ->
    "1,234.57"``. None/NaN -> "n/a"."""
    d = _decimal(x)
    if d is None:
        return NA
    return _digits(round_half_away(d, precision), precision)


def fmt_int(x: Number) -> str:
    """A count: ``12640 -> "12,640"``; fractional input is rounded; None/NaN -> "n/a"."""
    return fmt_number(x, 0)


fmt_count = fmt_int


def fmt_value(x: Number) -> str:
    """A value or baseline as measured: whole numbers as counts (``12640.0 -> "12,640"``),
    others to two decimals (a mean baseline ``1003.5714 -> "1,003.57"``, ``4.25 -> "4.25"``)."""
    d = _decimal(x)
    if d is None:
        return NA
    return fmt_number(d, 0 if d == d.to_integral_value() else 2)


def fmt_pct(x: Number, precision: int = 0, *, signed: bool = True) -> str:
    """A change stored as a fraction, as a percent: ``2.95 -> "+295%"``, ``0.145 -> "+15%"``,
    ``-0.13 -> "-13%"``.

    Signed by default because a change has a direction; zero (after rounding) is "0%" with no
    sign. ``signed=False`` drops the "+" only, to print a magnitude ("9%" for a typical change).
    None -> "n/a".
    """
    d = _decimal(x)
    if d is None:
        return NA
    # Multiply in decimal, not in binary: 2.95 * 100 is 295.00000000000006 as a float.
    r = round_half_away(d * 100, precision)
    return _signed(r, _digits(r, precision), signed) + "%"


def fmt_share(x: Number, precision: int = 0) -> str:
    """A share stored as a fraction (``_pct`` columns): ``0.523 -> "52%"``, unsigned."""
    return fmt_pct(x, precision, signed=False)


def fmt_multiple(x: Number, precision: int = 2) -> str:
    """A ratio to the baseline: ``3.95 -> "3.95x"``, ``0.865 -> "0.87x"`` (never a percent)."""
    d = _decimal(x)
    if d is None:
        return NA
    return _digits(round_half_away(d, precision), precision) + "x"


def fmt_change(change: Number, multiple: Number = None) -> str:
    """A change with its multiple: ``(2.95, 3.95) -> "+295% (3.95x)"``.

    The multiple is 1 + change when not given (computed in decimal, so it rounds like the
    change does). A missing change -> "n/a".
    """
    c = _decimal(change)
    if c is None:
        return NA
    m = _decimal(multiple)
    return f"{fmt_pct(c)} ({fmt_multiple(c + 1 if m is None else m)})"


def fmt_score(x: Number) -> str:
    """A robust spike score, signed like its direction, one decimal: ``9.46 -> "+9.5"``,
    ``-3.25 -> "-3.3"``."""
    d = _decimal(x)
    if d is None:
        return NA
    r = round_half_away(d, 1)
    return _signed(r, _digits(r, 1), True)


def fmt_offset(n: int | None) -> str:
    """A day offset from an event: ``3 -> "+3"``, ``-3 -> "-3"``, ``0 -> "0"``."""
    if n is None:
        return NA
    return f"{int(n):+d}" if n else "0"


def fmt_date(d: date | datetime | None) -> str:
    """``date(2026, 2, 28) -> "Sat 28 Feb 2026"``; English names whatever the locale."""
    if d is None:
        return NA
    return f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def fmt_short_date(d: date | datetime | None, *, year: bool = False) -> str:
    """A day in running text: ``date(2026, 2, 27) -> "27 Feb"`` (``year=True``: "27 Feb 2026")."""
    if d is None:
        return NA
    return f"{d.day} {_MONTHS[d.month - 1]}" + (f" {d.year}" if year else "")


def rounding_step(half_width: Number) -> int:
    """The unit a total is published to when its interval is +-``half_width``: the largest
    power of ten that fits twice in it (+-6,000 -> 1,000; +-1,500 -> 100; +-600 -> 100),
    1 for a half-width under 20.

    Why: "61,000 (95% interval 55,000 to 67,000)" says as much as the estimate knows; its
    unit digits would be noise."""
    d = _decimal(half_width)
    if d is None or d < 20:
        return 1
    return 10 ** (len(str(int(d / 2))) - 1)


def fmt_count_rounded(x: Number, step: int = 1) -> str:
    """A count rounded to a multiple of ``step`` (half away from zero): ``(61234, 1000) ->
    "61,000"``, ``(-1250, 100) -> "-1,300"``."""
    d = _decimal(x)
    if d is None:
        return NA
    r = round_half_away(d / step, 0) * step
    return _digits(abs(r) if r == 0 else r, 0)


def fmt_under_pct(x: Number) -> str:
    """A bound on a magnitude given as a fraction: the whole percent just above it,
    ``0.024 -> "under 3%"``, ``0.03 -> "under 4%"``, ``0.0004 -> "under 1%"``."""
    d = _decimal(x)
    if d is None:
        return NA
    whole = int(abs(d) * 100) + 1
    return f"under {whole}%"


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


# Columns whose fraction is a magnitude, not a signed change (printed "9%", as the sentences do).
UNSIGNED_CHANGE_COLUMNS = frozenset({"typical_change"})


def _is(name: str, stem: str) -> bool:
    return name == stem or name.endswith("_" + stem)


def column_formatter(name: str) -> Callable[[object], str] | None:
    """The formatter the column name asks for, or None for "by the value's type".

    ``change``/``*_change`` -> signed percent (``typical_change`` unsigned), ``multiple``/
    ``*_multiple`` -> ``x``, ``*_pct`` -> unsigned percent, ``score``/``*_score`` -> signed one
    decimal, ``offset``/``*_offset`` -> signed day offset, ``id``/``*_id`` -> digits only.
    """
    if name in UNSIGNED_CHANGE_COLUMNS:
        return lambda v: fmt_pct(v, signed=False)  # type: ignore[arg-type]
    if _is(name, "change"):
        return fmt_pct  # type: ignore[return-value]
    if _is(name, "multiple"):
        return fmt_multiple  # type: ignore[return-value]
    if name.endswith("_pct"):
        return fmt_share  # type: ignore[return-value]
    if _is(name, "score"):
        return fmt_score  # type: ignore[return-value]
    if _is(name, "offset"):
        return lambda v: NA if _decimal(v) is None else fmt_offset(int(v))  # type: ignore[arg-type]
    if _is(name, "id"):
        return lambda v: NA if _decimal(v) is None else str(v)
    return None


def fmt_column(name: str, value: object) -> str:
    """Format a value by its column name, the convention the whole app follows.

    See :func:`column_formatter`; otherwise dates -> weekday date, booleans -> yes/no, numbers
    -> :func:`fmt_value` (counts; two decimals when not whole), anything else -> ``str``.
    Missing (None, NaN) -> "n/a".
    """
    if value is None:
        return NA
    formatter = column_formatter(name)
    if formatter is not None:
        return formatter(value)
    if isinstance(value, date):
        return fmt_date(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return fmt_value(value)
    return str(value)


def _format_values(name: str, values: Iterable[object]) -> list[str]:
    cache: dict[object, str] = {}
    out = []
    for v in values:
        key = ("nan",) if isinstance(v, float) and math.isnan(v) else v
        text = cache.get(key)
        if text is None:
            text = cache[key] = fmt_column(name, v)
        out.append(text)
    return out


# ----- display_frame's fast path -----------------------------------------------------------
#
# Why: a numbers table holds ~300-3,500 rows x 10 numeric columns, and formatting them value by
# value through Decimal was a fifth of an Explore rerun's CPU. The fast path rounds a whole
# column at once in binary (numpy) and formats each distinct rounded number once, by this
# argument: with ``y = |x| * 10**places`` computed in binary, the rule above gives
# ``floor(y + 0.5)`` whenever ``y < _FAST_LIMIT`` and ``y`` is not within _TIE of a tie
# (k + 0.5). The decimal ``X`` a person reads differs from ``y`` by at most 2**-52 * y (repr's
# rounding and the product's: under 3e-8 below _FAST_LIMIT); cutting ``X`` to NOISE_PLACES
# moves it by 5e-10 at most; so ``X`` lies on the same side of every tie as ``y`` unless ``y``
# is within ~3e-8 of one. Every other value (near a tie, too large, or in a column whose
# formatter is not one of these) takes the exact Decimal path above, so a string never depends
# on which path made it (tests/analytics/test_formatting_fast.py compares both on 170,000
# values, ties included; 4.3 million agreed when this was written). Polars expressions were
# tried first: a query of ~40 expressions costs 6-8 ms to plan whatever the number of rows,
# more than the whole table takes by this path.

#: Values whose scaled magnitude is this large or larger take the exact path.
_FAST_LIMIT = 1e8
#: Scaled magnitudes this close to a tie (k + 0.5) take the exact path.
_TIE = 1e-6
#: Whole values below this print as their digits (exact in binary).
_INT_LIMIT = 1e15


@dataclass(frozen=True)
class _Plan:
    """How :func:`fmt_column` prints a column's numbers: ``places`` decimals after scaling by
    ``scale`` (100 for a percent), a "+" when ``signed``, ``suffix`` after; ``whole``: whole
    numbers print without decimals (:func:`fmt_value`)."""

    places: int
    scale: float
    signed: bool = False
    suffix: str = ""
    whole: bool = False


_VALUE = _Plan(2, 100.0, whole=True)  # fmt_value: counts, else two decimals
_CHANGE = _Plan(0, 100.0, signed=True, suffix="%")  # fmt_pct
_SHARE = _Plan(0, 100.0, suffix="%")  # fmt_pct(signed=False), fmt_share
_MULTIPLE = _Plan(2, 100.0, suffix="x")  # fmt_multiple
_SCORE = _Plan(1, 10.0, signed=True)  # fmt_score


def _plan(name: str) -> _Plan | None:
    """The plan :func:`fmt_column` follows for a numeric column ``name`` (in
    :func:`column_formatter`'s order), or None where only the exact path formats it (offsets,
    ids)."""
    if name in UNSIGNED_CHANGE_COLUMNS:
        return _SHARE
    if _is(name, "change"):
        return _CHANGE
    if _is(name, "multiple"):
        return _MULTIPLE
    if name.endswith("_pct"):
        return _SHARE
    if _is(name, "score"):
        return _SCORE
    if _is(name, "offset") or _is(name, "id"):
        return None
    return _VALUE


def _rounded_texts(keys: np.ndarray, plan: _Plan) -> list[str]:
    """The strings of distinct rounded numbers: each key is 2 * the signed count of the last
    printed decimal, plus 1 for a whole value printed without decimals."""
    signed_units, whole = np.divmod(keys, 2)
    units = np.abs(signed_units)
    if plan.places:
        heads, tails = np.divmod(units, 10**plan.places)
        ends = [f".{t:0{plan.places}d}" for t in range(10**plan.places)]
        body = [
            f"{u:,}" if w else f"{h:,}{ends[t]}"
            for u, w, h, t in zip(
                units.tolist(), whole.tolist(), heads.tolist(), tails.tolist(), strict=True
            )
        ]
    else:
        body = [f"{u:,}" for u in units.tolist()]
    plus = "+" if plan.signed else ""
    signs = np.where(signed_units < 0, "-", np.where(signed_units > 0, plus, "")).tolist()
    return [sign + text + plan.suffix for sign, text in zip(signs, body, strict=True)]


def _fast_column(name: str, column: pl.Series, plan: _Plan) -> pl.Series:
    """``fmt_column(name, v)`` of every value of a float or integer column (see above)."""
    x = column.cast(pl.Float64).to_numpy()  # nulls become NaN: both print "n/a"
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(x)
        size = np.abs(x)
        if plan.whole:
            whole = (np.floor(size) == size) & (size < _INT_LIMIT)
        else:
            whole = np.zeros(len(x), dtype=bool)
        y = np.where(whole, size, size * plan.scale)
        low = np.floor(y)
        frac = y - low
        decided = finite & (whole | ((y < _FAST_LIMIT) & (np.abs(frac - 0.5) > _TIE)))
        units = np.where(decided, low + (frac > 0.5), 0).astype(np.int64)
    keys = np.where((x < 0) & (units > 0), -units, units) * 2 + whole
    distinct, where = np.unique(keys[decided], return_inverse=True)
    out = np.full(len(x), NA, dtype=object)
    out[decided] = np.array(_rounded_texts(distinct, plan), dtype=object)[where]
    undecided = finite & ~decided
    if undecided.any():
        # Near a tie or too large for the binary shortcut: the exact path, value by value.
        out[undecided] = _format_values(name, column.filter(pl.Series(undecided)).to_list())
    return pl.Series(name, out.tolist(), dtype=pl.String)


def display_frame(frame: pl.DataFrame, *, dates: bool = False) -> pl.DataFrame:
    """The frame a table shows: every numeric column as this module's display strings.

    Pages pass it to ``st.dataframe`` instead of ``column_config`` number formats (which round in
    JavaScript, in binary). Columns are chosen by name (:func:`fmt_column`): ``change`` ->
    "+15%", ``multiple`` -> "0.87x", ``typical_change`` -> "9%", ``share_pct`` -> "52%",
    ``score`` -> "+9.5", ``value``/``baseline`` and other numbers -> "12,640" / "1,003.57";
    missing -> "n/a". Text, boolean, list and (unless ``dates=True``) date columns are left as
    they are, so checkboxes, sparklines and date sorting keep working. Column order and names
    are unchanged. Note that a string column sorts as text in a table.

    Float and integer columns take the fast path (``_fast_column``: rounded in binary where
    that cannot change the string, each distinct number formatted once); the values it leaves
    undecided, and other numeric columns, are formatted value by value (the same strings).
    """
    out = []
    for name, dtype in frame.schema.items():
        column = frame.get_column(name)
        if dtype == pl.Boolean or not (dtype.is_numeric() or (dates and dtype.is_temporal())):
            out.append(column)
            continue
        plan = _plan(name)
        if plan is not None and (dtype.is_float() or dtype.is_integer()):
            out.append(_fast_column(name, column, plan))
        else:
            out.append(pl.Series(name, _format_values(name, column.to_list()), dtype=pl.String))
    return pl.DataFrame(out)
