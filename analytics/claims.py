"""Claimed figures: what "+295%" or "nearly three times more" says, as numbers.

Why: a figure in an article travels without its method and often without its own precision.
"+295%" and "3.95x" are the same comparison; "nearly four times as many" says it in words;
"three times more" says something else (most readers hear 3x, a strict reading is +300%, 4x).
To check a claim against the data we need, for each way of stating it, the set of multiples it
covers - and a comparison at the precision the claim was stated with, by the house rounding
rule (:func:`analytics.formatting.round_half_away`): "+295%" is reproduced by a computed
change that :mod:`analytics.formatting` prints as "+295%", not by one that is merely close.

The pieces:

* :func:`parse_claim` reads a percentage ("+295%", "295 %", "up 295%", "-12%", "down 12
  percent") or a multiple ("3.95x", "4 times as many", "nearly four times", "three times more",
  "doubled", "half") into a :class:`Claim`, whose :class:`Reading` s are the number ranges the
  words can mean. Two readings means the words are ambiguous ("N times more").
* :meth:`Claim.matches` compares a claim with a computed change and multiple.
* :func:`describe_multiple` gives the plain words for a multiple (3.95 -> "nearly four times as
  many") and :func:`check_words` says whether some words fit a multiple, and how they miss.

Word ranges (each a :class:`Reading`, on the scale the words are stated in, at the words'
precision - a whole number unless digits say otherwise):

==================================  ======================================================
words                               multiples covered
==================================  ======================================================
"N times as many", "Nx", "N-fold",  rounds to N: [N - 0.5, N + 0.5) for a whole N;
"doubled" (2), "tripled" (3)        "3.95x": [3.945, 3.955)
"about/around/roughly N times"      the same as the bare words
"nearly/almost/close to N times"    below N but rounding to it: [N - 0.5, N)
"more than/over N times"            above N: (N, inf); "at least": [N, inf)
"less than/under N times"           below N: (0, N)
"N times more/higher/bigger"        ambiguous: commonly N times as many (the ranges above);
                                    strictly "+N x 100%", i.e. N + 1 times as many
"N times fewer/less/lower"          1/multiple rounds to N (a fall "N times" is never a
                                    change of -N x 100%, which would go below zero)
"half", "halved", "half as many"    0.5 at one decimal: [0.45, 0.55)
"a third/quarter as many"           1/multiple rounds to 3 / 4
==================================  ======================================================

A percentage is a change (value / baseline - 1) and a claim without a sign is read as a rise
unless its words say it fell ("down 12%", "12% fewer").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from analytics import formatting

#: Scales a reading is stated on: ``percent`` = change x 100, ``multiple`` = value /
#: baseline, ``inverse`` = baseline / value ("three times fewer").
SCALES = ("percent", "multiple", "inverse")
#: Qualifiers: "" and ``about`` = rounds to the target; ``nearly`` = below it but rounds to
#: it; ``over`` / ``at least`` / ``under`` = one-sided bounds.
QUALIFIERS = ("", "about", "nearly", "over", "at least", "under")

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_NAMES = {v: k for k, v in _NUMBER_WORDS.items()}
_VERBS = {"doubled": 2, "double": 2, "tripled": 3, "triple": 3, "trebled": 3, "quadrupled": 4}
_QUALIFIER_WORDS = {
    "nearly": "nearly", "almost": "nearly", "close to": "nearly", "just under": "nearly",
    "approaching": "nearly", "not quite": "nearly",
    "about": "about", "around": "about", "roughly": "about", "approximately": "about",
    "some": "about", "~": "about",
    "more than": "over", "over": "over", "above": "over", "just over": "over",
    "upwards of": "over", "at least": "at least",
    "less than": "under", "under": "under", "below": "under", "fewer than": "under",
}  # fmt: skip
_UP_WORDS = (
    "up", "rose", "rise", "rises", "risen", "jumped", "jump", "jumps", "surged", "surge",
    "soared", "spiked", "climbed", "grew", "increase", "increased", "increases", "gain",
    "gained", "higher", "more",
)  # fmt: skip
_DOWN_WORDS = (
    "down", "fell", "fall", "falls", "fallen", "dropped", "drop", "drops", "declined",
    "decline", "decreased", "decrease", "plunged", "slumped", "lost", "lower", "fewer", "less",
)  # fmt: skip

_QUAL_RE = "|".join(sorted((re.escape(q) for q in _QUALIFIER_WORDS), key=len, reverse=True))
_NUM_RE = r"\d[\d,]*(?:\.\d+)?"
_WORD_NUM_RE = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_PERCENT = re.compile(
    rf"(?:(?P<qual>{_QUAL_RE})\s+)?(?P<sign>[+\-\u2212\u2013])?\s*(?P<num>{_NUM_RE})\s*"
    r"(?:%|percent\b|per\s+cent\b|pct\b)"
)
_MULTIPLE = re.compile(
    rf"(?:(?P<qual>{_QUAL_RE})\s+)?(?P<num>{_NUM_RE}|\b(?:{_WORD_NUM_RE}))\s*"
    r"(?:-?\s*fold\b|x\b|\u00d7|times\b)"
    r"(?:\s+(?P<cmp>as\s+\w+|more|higher|larger|bigger|greater|fewer|less|lower|smaller))?"
)
_TWICE = re.compile(
    rf"(?:(?P<qual>{_QUAL_RE})\s+)?\b(?P<word>twice|thrice)\b"
    r"(?:\s+(?P<cmp>as\s+\w+|more|higher|larger|bigger|greater|fewer|less|lower|smaller))?"
)
_VERB = re.compile(rf"(?:(?P<qual>{_QUAL_RE})\s+)?\b(?P<verb>{'|'.join(_VERBS)})\b")
_FRACTION = re.compile(
    rf"(?:(?P<qual>{_QUAL_RE})\s+)?\b(?P<frac>halved|half|a\s+third|one\s+third|"
    r"a\s+quarter|one\s+quarter)\b"
)
_SAME = re.compile(r"\b(?:as\s+many|as\s+much|the\s+same|unchanged|flat)\b")

_MORE = ("more", "higher", "larger", "bigger", "greater")
_FEWER = ("fewer", "less", "lower", "smaller")


class ClaimError(ValueError):
    """A claimed figure that cannot be read; the message says what to write instead."""


@dataclass(frozen=True)
class Reading:
    """One meaning of a claim: the values of ``scale`` that ``qualifier`` + ``target`` cover,
    at ``places`` decimals (the claim's precision). ``label`` says it in words, e.g.
    "3.95 times as many" or "strictly +300%, 4 times as many"."""

    scale: str
    target: Decimal
    places: int
    qualifier: str = ""
    label: str = ""
    strict: bool = False

    def holds(self, change: object, multiple: object) -> bool:
        """True when a computed change (fraction) and multiple fall in this reading.

        Rounding is the house rule (half away from zero, on the decimal a person reads), so
        a claim "+295%" holds exactly when :func:`analytics.formatting.fmt_pct` prints the
        computed change as "+295%"."""
        x = self._on_scale(change, multiple)
        if x is None:
            return False
        rounded = formatting.round_half_away(x, self.places)
        if self.qualifier in ("", "about"):
            return rounded == self.target
        if self.qualifier == "nearly":
            return x < self.target and rounded == self.target
        if self.qualifier == "over":
            return x > self.target
        if self.qualifier == "at least":
            return x >= self.target
        return x < self.target  # under

    def _on_scale(self, change: object, multiple: object) -> Decimal | None:
        # The decimal a person reads for each float (formatting's rule, not binary noise).
        c = formatting._decimal(change)
        m = formatting._decimal(multiple)
        if m is None and c is not None:
            m = c + 1
        if c is None and m is not None:
            c = m - 1
        if c is None or m is None:
            return None
        if self.scale == "percent":
            return c * 100
        if self.scale == "multiple":
            return m
        return None if m <= 0 else Decimal(1) / m

    def as_multiple(self) -> Decimal:
        """The target as a multiple (for "understates" / "overstates")."""
        if self.scale == "percent":
            return 1 + self.target / 100
        if self.scale == "multiple":
            return self.target
        return Decimal(1) / self.target


@dataclass(frozen=True)
class Claim:
    """A claimed figure: ``text`` as written, ``kind`` ('percent', 'multiple' or 'words'),
    ``value`` (the change as a fraction, or the multiple; None for pure words without a
    single value), ``places`` (decimals of the stated figure: 0 for "+295%", 2 for "3.95x"),
    ``readings`` (two when the words are ambiguous, the common reading first) and ``notes``
    (how it was read: "no sign: read as a rise")."""

    text: str
    kind: str
    value: Decimal | None
    places: int
    readings: tuple[Reading, ...]
    notes: tuple[str, ...] = ()

    @property
    def is_qualified(self) -> bool:
        """ "nearly", "about", "more than"...: a range, not a figure at a precision."""
        return any(r.qualifier for r in self.readings)

    @property
    def is_ambiguous(self) -> bool:
        return len(self.readings) > 1

    @property
    def canonical(self) -> str:
        """The figure as installpulse prints it: "+295%", "3.95x"; the words otherwise."""
        if self.kind == "percent" and self.value is not None:
            return self.readings[0].label  # "+295%", "nearly +300%"
        if self.kind == "multiple" and self.value is not None:
            return formatting.fmt_multiple(self.value, self.places)
        return self.text

    @property
    def multiple(self) -> Decimal | None:
        """The multiple the figure states (1 + change for a percentage)."""
        if self.value is None:
            return None
        return 1 + self.value if self.kind == "percent" else self.value

    def matches(self, change: object, multiple: object) -> list[Reading]:
        """The readings a computed change (fraction) and multiple reproduce ([] = none)."""
        return [r for r in self.readings if r.holds(change, multiple)]

    def at_precision(self, change: object, multiple: object) -> str:
        """A computed result printed the way the claim is stated: "+295%" (a percentage to
        the claim's decimals), "3.95x" (a multiple to its decimals), "4.24x" for words."""
        if self.kind == "percent":
            return formatting.fmt_pct(change, self.places)  # type: ignore[arg-type]
        return formatting.fmt_multiple(multiple, max(self.places, 2))  # type: ignore[arg-type]


def _clean(text: str) -> str:
    text = text.strip().strip("\"'\u201c\u201d\u2018\u2019").strip()
    return re.sub(r"\s+", " ", text.lower())


def _number(text: str) -> tuple[Decimal, int]:
    """(value, decimals) of "1,295.5" or "four"; ClaimError for a malformed number."""
    if text in _NUMBER_WORDS:
        return Decimal(_NUMBER_WORDS[text]), 0
    if "," in text and not re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        raise ClaimError(f"{text!r} is not a number: write 1,295 or 1295, or 12.5 (a dot).")
    plain = text.replace(",", "")
    try:
        value = Decimal(plain)
    except InvalidOperation:
        raise ClaimError(f"{text!r} is not a number.") from None
    places = len(plain.split(".")[1]) if "." in plain else 0
    return value, places


def _words_number(n: Decimal, places: int = 0) -> str:
    """4 -> "four", 3.95 -> "3.95" (words for whole numbers up to twenty)."""
    if places == 0 and n == n.to_integral_value() and int(n) in _NAMES:
        return _NAMES[int(n)]
    return formatting.fmt_number(n, places)


def _direction(text: str, start: int, end: int) -> int:
    """+1 / -1 / 0 from direction words around the figure ("up 12%", "12% fewer")."""
    words = set(re.findall(r"[a-z]+", text[:start])) | set(re.findall(r"[a-z]+", text[end:])[:2])
    up = bool(words & set(_UP_WORDS))
    down = bool(words & set(_DOWN_WORDS))
    if up and not down:
        return 1
    if down and not up:
        return -1
    return 0


_QUALIFIER_TEXT = {"": "", "about": "about ", "nearly": "nearly ", "over": "more than ",
                   "at least": "at least ", "under": "less than "}  # fmt: skip


def _times_label(qualifier: str, n: Decimal, places: int) -> str:
    number = _words_number(n, places)
    base = "twice as many" if number == "two" else f"{number} times as many"
    return _QUALIFIER_TEXT[qualifier] + base


def _fraction_label(qualifier: str, n: Decimal, places: int) -> str:
    """ "a third as many" (1/3), "half as many", "1/2.5 as many"."""
    names = {2: "half", 3: "a third", 4: "a quarter", 5: "a fifth", 10: "a tenth"}
    whole = places == 0 and n == n.to_integral_value() and int(n) in names
    base = names[int(n)] if whole else f"1/{formatting.fmt_number(n, places)}"
    return _QUALIFIER_TEXT[qualifier] + base + " as many"


def parse_claim(text: str) -> Claim:
    """Read a claimed figure (see the module docstring for the forms and their ranges).

    Raises :class:`ClaimError` with a sentence saying what to write when no figure is found."""
    raw = str(text or "").strip()
    clean = _clean(raw)
    if not clean:
        raise ClaimError(
            "The claim is empty: write a percentage (+295%, -12%, up 295%) or a multiple "
            "(3.95x, nearly four times as many, doubled, half)."
        )
    found = _PERCENT.search(clean)
    if found:
        return _percent_claim(raw, clean, found)
    for pattern, reader in (
        (_MULTIPLE, _multiple_claim),
        (_TWICE, _multiple_claim),
        (_VERB, _multiple_claim),
        (_FRACTION, _fraction_claim),
        (_SAME, _same_claim),
    ):
        found = pattern.search(clean)
        if found:
            return reader(raw, found)
    raise ClaimError(
        f"No figure found in {raw!r}: write a percentage (+295%, -12%, up 295%) or a multiple "
        "(3.95x, nearly four times as many, three times more, doubled, half)."
    )


def _percent_claim(raw: str, clean: str, found: re.Match[str]) -> Claim:
    number, places = _number(found.group("num"))
    sign = found.group("sign")
    direction = _direction(clean, found.start(), found.end())
    notes: list[str] = []
    if sign:
        negative = sign != "+"
        if direction and (direction < 0) != negative:
            raise ClaimError(
                f"{raw!r} says both {sign}{found.group('num')}% and "
                f"{'a fall' if direction < 0 else 'a rise'}: keep one."
            )
    elif direction:
        negative = direction < 0
    else:
        negative = False
        notes.append("no sign: read as a rise")
    if negative and number > 100:
        raise ClaimError(
            f"{raw!r} is a fall of more than 100%, below zero: a count cannot fall that far. "
            "A fall to a third is -67%, 'a third as many'."
        )
    target = -number if negative else number
    qualifier = _QUALIFIER_WORDS.get(found.group("qual") or "", "")
    if negative and qualifier in ("nearly", "over", "under"):
        # "nearly -50%" means a fall of nearly 50%: the bound is on the size of the fall.
        qualifier = {"nearly": "nearly", "over": "under", "under": "over"}[qualifier]
    label = _QUALIFIER_TEXT[qualifier] + formatting.fmt_pct(target / 100, places)
    # "nearly 300%" is stated to the hundred, like "nearly three times more" read strictly:
    # [250%, 300%). A qualified whole percentage is as precise as its significant digits.
    precision = places
    if qualifier and places == 0 and number != 0:
        digits = str(int(number))
        precision = -(len(digits) - len(digits.rstrip("0")))
    kind = _NearlyFall if negative and qualifier == "nearly" else Reading
    reading = kind("percent", target, precision, qualifier, label)
    return Claim(raw, "percent", target / 100, places, (reading,), tuple(notes))


@dataclass(frozen=True)
class _NearlyFall(Reading):
    """ "nearly -50%": a fall a little smaller than 50% that rounds to it (-49.6%)."""

    def holds(self, change: object, multiple: object) -> bool:
        x = self._on_scale(change, multiple)
        if x is None:
            return False
        return x > self.target and formatting.round_half_away(x, self.places) == self.target


def _multiple_claim(raw: str, found: re.Match[str]) -> Claim:
    groups = found.groupdict()
    qualifier = _QUALIFIER_WORDS.get(groups.get("qual") or "", "")
    cmp = (groups.get("cmp") or "").split(" ")[0]
    if groups.get("verb"):
        n, places = Decimal(_VERBS[groups["verb"]]), 0
        cmp = ""
    elif groups.get("word"):
        n, places = Decimal(2 if groups["word"] == "twice" else 3), 0
    else:
        n, places = _number(groups["num"])
    if n <= 0:
        raise ClaimError(f"{raw!r}: a multiple must be above zero.")
    notes: list[str] = []
    if cmp in _FEWER:
        reading = Reading("inverse", n, places, qualifier, _fraction_label(qualifier, n, places))
        said = _words_number(n, places)
        notes.append(
            f"'{said} times fewer' is read as {_fraction_label('', n, places)} (a fall of "
            f"{formatting.fmt_pct(n, max(places - 2, 0), signed=False)} would go below zero)"
        )
        return Claim(raw, "words", Decimal(1) / n, places, (reading,), tuple(notes))
    common = Reading("multiple", n, places, qualifier, _times_label(qualifier, n, places))
    exact_x = re.search(r"\d\s*(x\b|\u00d7)", found.group(0)) is not None and not qualifier
    kind = "multiple" if exact_x or (places > 0 and not qualifier) else "words"
    if cmp in _MORE:
        strict_pct = formatting.fmt_pct(n, max(places - 2, 0))
        said = _words_number(n, places)
        strict = Reading(
            "multiple",
            n + 1,
            places,
            qualifier,
            f"{_QUALIFIER_TEXT[qualifier]}{strict_pct}, {_times_label(qualifier, n + 1, places)}",
            strict=True,
        )
        notes.append(
            f"'{said} times more' is ambiguous: most readers take it as {said} times as many; "
            f"strictly it means {strict_pct} ({_times_label('', n + 1, places)})"
        )
        return Claim(raw, "words", None, places, (common, strict), tuple(notes))
    return Claim(raw, kind, n, places, (common,), tuple(notes))


def _fraction_claim(raw: str, found: re.Match[str]) -> Claim:
    qualifier = _QUALIFIER_WORDS.get(found.group("qual") or "", "")
    frac = found.group("frac").split(" ")[-1]
    if frac in ("half", "halved"):
        reading = Reading("multiple", Decimal("0.5"), 1, qualifier, "half as many")
        return Claim(raw, "words", Decimal("0.5"), 1, (reading,))
    n = Decimal(3 if frac == "third" else 4)
    reading = Reading("inverse", n, 0, qualifier, _fraction_label(qualifier, n, 0))
    return Claim(raw, "words", Decimal(1) / n, 0, (reading,))


def _same_claim(raw: str, found: re.Match[str]) -> Claim:
    """ "about as many", "unchanged": 1.0 at one decimal, [0.95, 1.05)."""
    reading = Reading("multiple", Decimal("1.0"), 1, "", "about as many")
    return Claim(raw, "words", Decimal(1), 1, (reading,))


# ----------------------------------------------------------------------------- words
def describe_multiple(multiple: object) -> str:
    """Plain words for a multiple, the way an editor would write it.

    3.95 -> "nearly four times as many", 4.24 -> "more than four times as many", 4.02 ->
    "four times as many", 2.0 -> "twice as many", 1.37 -> "37% more", 0.87 -> "13% fewer",
    0.5 -> "half as many". The words always fall in their own reading (:func:`check_words`
    of the result holds)."""
    m = formatting._decimal(multiple)
    if m is None:
        return formatting.NA
    if m >= Decimal("1.95"):
        n = formatting.round_half_away(m, 0)
        if formatting.round_half_away(m, 2) == n:
            return _times_label("", n, 0)
        return _times_label("nearly" if m < n else "over", n, 0)
    if m >= Decimal("1.75"):
        return "nearly twice as many"
    if m >= Decimal("1.05"):
        return f"{formatting.fmt_pct(m - 1, signed=False)} more"
    if m >= Decimal("0.95"):
        return "about as many"
    if m >= Decimal("0.55"):
        return f"{formatting.fmt_pct(1 - m, signed=False)} fewer"
    if m >= Decimal("0.45"):
        return "half as many"
    return "less than half as many"


@dataclass(frozen=True)
class WordsCheck:
    """Whether ``words`` fit ``multiple``: ``fits`` per reading, and a ``verdict`` sentence."""

    words: str
    multiple: Decimal
    readings: tuple[Reading, ...]
    fits: tuple[bool, ...]
    verdict: str

    @property
    def fits_all(self) -> bool:
        return all(self.fits)

    @property
    def fits_any(self) -> bool:
        return any(self.fits)


def _misses(reading: Reading, multiple: Decimal) -> str:
    return "understate" if reading.as_multiple() < multiple else "overstate"


def check_words(words: str, multiple: object, *, subject: str | None = None) -> WordsCheck:
    """Do ``words`` ("nearly three times more") fit ``multiple`` (3.95)?

    ``subject`` names the figure in the verdict ("+295%"; default the multiple). One reading
    that fits: "fits"; none: "would understate/overstate it"; an ambiguous phrase that fits
    one reading only: says which readers it misleads."""
    m = formatting._decimal(multiple)
    if m is None:
        raise ClaimError("No multiple to compare the words with.")
    claim = parse_claim(words)
    shown = _clean(words)
    name = subject or formatting.fmt_multiple(m)
    fits = tuple(r.holds(None, m) for r in claim.readings)
    if all(fits):
        verdict = f"'{shown}' fits {name}."
    elif not any(fits):
        common = claim.readings[0]
        verdict = f"'{shown}' would {_misses(common, m)} {name}"
        if claim.is_ambiguous:
            verdict += (
                f" whichever way it is read ({common.label}, or strictly {claim.readings[1].label})"
            )
        else:
            verdict += f" (it says {common.label})"
        verdict += "."
    else:
        common, strict = claim.readings[0], claim.readings[1]
        if fits[1]:
            verdict = (
                f"'{shown}' is ambiguous: most readers take it as {common.label}, which would "
                f"{_misses(common, m)} {name}; only read strictly ({strict.label}) does it fit."
            )
        else:
            verdict = (
                f"'{shown}' is ambiguous: it fits as {common.label}, but read strictly "
                f"({strict.label}) it would {_misses(strict, m)} {name}."
            )
    return WordsCheck(shown, m, claim.readings, fits, verdict)


def misreading(change: object) -> str | None:
    """The classic misreading of a rise of 100% or more: "+295%" retold as "three times
    more" (the change's number of hundreds, taken as a multiple). None under +150%."""
    c = formatting._decimal(change)
    if c is None or c < Decimal("1.5"):
        return None
    n = formatting.round_half_away(c, 0)
    return f"{_words_number(n)} times more"
