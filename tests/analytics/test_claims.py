"""Claimed figures: parsing, word ranges and the comparison at the stated precision.

Every expected value is worked out by hand in the comment next to it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from analytics.claims import (
    ClaimError,
    check_words,
    describe_multiple,
    misreading,
    parse_claim,
)


# ----------------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    ("text", "value", "places", "notes"),
    [
        ("+295%", "2.95", 0, ()),
        ("295 %", "2.95", 0, ("no sign: read as a rise",)),
        ("up 295%", "2.95", 0, ()),
        ("uninstalls jumped 295 percent", "2.95", 0, ()),
        ("-12%", "-0.12", 0, ()),
        ("down 12 per cent", "-0.12", 0, ()),
        ("12% fewer", "-0.12", 0, ()),
        ("+12.5%", "0.125", 1, ()),
        ("+1,179%", "11.79", 0, ()),
    ],
)
def test_percentages(text: str, value: str, places: int, notes: tuple[str, ...]) -> None:
    claim = parse_claim(text)
    assert claim.kind == "percent"
    assert claim.value == Decimal(value)
    assert claim.places == places
    assert claim.notes == notes
    assert len(claim.readings) == 1


def test_canonical_figures() -> None:
    assert parse_claim("up 295 percent").canonical == "+295%"
    assert parse_claim("down 12%").canonical == "-12%"
    assert parse_claim("12.5 %").canonical == "+12.5%"
    assert parse_claim("3.95x").canonical == "3.95x"
    assert parse_claim("4 ×").canonical == "4x"
    # A percentage is a change: +295% states 1 + 2.95 = 3.95 times the baseline.
    assert parse_claim("+295%").multiple == Decimal("3.95")


@pytest.mark.parametrize(
    ("text", "kind", "labels"),
    [
        ("3.95x", "multiple", ["3.95 times as many"]),
        ("3.95 times as many", "multiple", ["3.95 times as many"]),
        ("4x", "multiple", ["four times as many"]),
        ("nearly four times as many", "words", ["nearly four times as many"]),
        ("almost 4 times", "words", ["nearly four times as many"]),
        ("doubled", "words", ["twice as many"]),
        ("twice as many", "words", ["twice as many"]),
        ("a fourfold increase", "words", ["four times as many"]),
        ("half", "words", ["half as many"]),
        ("halved", "words", ["half as many"]),
        ("a third as many", "words", ["a third as many"]),
        ("three times fewer", "words", ["a third as many"]),
        ("more than four times as many", "words", ["more than four times as many"]),
        # "N times more" has two readings: the common one first, the strict one second.
        ("three times more", "words", ["three times as many", "+300%, four times as many"]),
        (
            "nearly three times more",
            "words",
            ["nearly three times as many", "nearly +300%, nearly four times as many"],
        ),
    ],
)
def test_multiples_and_words(text: str, kind: str, labels: list[str]) -> None:
    claim = parse_claim(text)
    assert claim.kind == kind
    assert [r.label for r in claim.readings] == labels
    assert claim.is_ambiguous == (len(labels) == 2)


def test_three_times_more_says_why_it_is_ambiguous() -> None:
    assert parse_claim("three times more").notes == (
        "'three times more' is ambiguous: most readers take it as three times as many; "
        "strictly it means +300% (four times as many)",
    )
    assert parse_claim("three times fewer").notes == (
        "'three times fewer' is read as a third as many (a fall of 300% would go below zero)",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The claim is empty"),
        ("a lot more", "No figure found in 'a lot more'"),
        ("-150%", "a fall of more than 100%"),
        ("down +12%", "says both +12% and a fall"),
        ("1,29%", "'1,29' is not a number"),
        ("0x", "a multiple must be above zero"),
    ],
)
def test_unreadable_claims_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ClaimError, match=message.replace("(", r"\(").replace("+", r"\+")):
        parse_claim(text)


def test_someone_is_not_one_times() -> None:
    # "one" inside "someone" is not a number word; the figure is the 3x after it.
    claim = parse_claim("someone said 3x")
    assert claim.value == Decimal(3)


# ----------------------------------------------------------------------------- comparing
def test_plus_295_percent_at_its_precision() -> None:
    claim = parse_claim("+295%")
    # 12,640 / 3,200 = 3.95 exactly -> change 2.95 -> "+295%": reproduced.
    assert claim.matches(12640 / 3200 - 1, 12640 / 3200)
    # 3,945 / 1,000 - 1 = 2.945: +294.5%, a tie, rounds away from zero to +295%.
    assert claim.matches(3945 / 1000 - 1, 3945 / 1000)
    # 39,449 / 10,000 - 1 = 2.9449: +294.49% -> "+294%": not reproduced.
    assert not claim.matches(39449 / 10000 - 1, 39449 / 10000)
    # 12,640 / 2,981.75 = 4.2391 -> +324%: not reproduced.
    assert not claim.matches(12640 / 2981.75 - 1, 12640 / 2981.75)
    # Only the multiple known: the change is multiple - 1 (on the decimal: 3.95 - 1 = 2.95).
    assert claim.matches(None, 3.95)
    assert not claim.matches(None, None)


def test_precision_is_the_claims_own() -> None:
    # "+294.6%" is stated to one decimal: 2.95 prints "+295.0%" there, so it does not match,
    # while 1.2946 (12,946 / 10,000 - 1 = 0.2946 -> +29.46% -> "+29.5%") matches "+29.5%".
    assert not parse_claim("+294.6%").matches(2.95, 3.95)
    assert parse_claim("+29.5%").matches(12946 / 10000 - 1, 12946 / 10000)
    assert parse_claim("+294.6%").at_precision(2.95, 3.95) == "+295.0%"
    assert parse_claim("+295%").at_precision(12640 / 2981.75 - 1, 12640 / 2981.75) == "+324%"
    assert parse_claim("3.95x").at_precision(None, 12640 / 2981.75) == "4.24x"


def test_falls() -> None:
    claim = parse_claim("-12%")
    assert claim.matches(-0.12, 0.88)
    # -0.125: a tie, rounds away from zero to -13%.
    assert not claim.matches(-0.125, 0.875)
    assert claim.matches(-0.1249, 0.8751)
    assert not claim.matches(0.12, 1.12)


def test_multiples_round_at_two_decimals() -> None:
    claim = parse_claim("3.95x")
    # 3.945 is a tie at two decimals: rounds away to 3.95; 3.9549 rounds to 3.95; 3.955 to 3.96.
    assert claim.matches(None, 3.945)
    assert claim.matches(None, 3.9549)
    assert not claim.matches(None, 3.955)
    assert not claim.matches(None, 3.944)


def test_nearly_four_times_is_3_5_to_under_4() -> None:
    claim = parse_claim("nearly four times as many")
    assert claim.matches(None, 3.95)
    assert claim.matches(None, 3.5)  # rounds to 4 and is below it
    assert not claim.matches(None, 3.49)  # rounds to 3
    assert not claim.matches(None, 4.0)  # not "nearly": it is four times
    assert not claim.matches(None, 4.24)


def test_three_times_more_matches_by_reading() -> None:
    claim = parse_claim("three times more")
    common, strict = claim.readings
    # 3.95x: strictly +300% = 4x covers [3.5, 4.5); commonly 3x covers [2.5, 3.5).
    assert claim.matches(None, 3.95) == [strict]
    assert claim.matches(None, 3.0) == [common]
    assert claim.matches(None, 5.0) == []


def test_qualified_percentages_are_as_precise_as_their_digits() -> None:
    # "nearly 300%" is stated to the hundred: [250%, 300%), like "nearly three times more"
    # read strictly (3.5x to under 4x).
    claim = parse_claim("nearly 300%")
    assert claim.canonical == "nearly +300%" and claim.is_qualified
    assert claim.matches(2.95, None) and claim.matches(2.5, None)
    assert not claim.matches(2.49, None) and not claim.matches(3.0, None)
    # "about 50%" to the ten: [45%, 55%).
    about = parse_claim("about 50%")
    assert about.matches(0.45, None) and about.matches(0.549, None)
    assert not about.matches(0.55, None)
    # "fell nearly 50%": a fall a little smaller than 50% that rounds to it: (-50%, -45%].
    fall = parse_claim("fell nearly 50%")
    assert fall.value == Decimal("-0.5")
    assert fall.matches(-0.45, None) and fall.matches(-0.49, None)
    assert not fall.matches(-0.5, None) and not fall.matches(-0.44, None)
    # "fell more than 50%": below -50%.
    assert parse_claim("fell more than 50%").matches(-0.51, None)
    assert not parse_claim("fell more than 50%").matches(-0.5, None)
    assert parse_claim("more than 300%").matches(3.01, None)


def test_one_sided_and_fraction_words() -> None:
    assert parse_claim("more than four times").matches(None, 4.24)
    assert not parse_claim("more than four times").matches(None, 4.0)
    assert parse_claim("at least four times").matches(None, 4.0)
    assert parse_claim("less than twice as many").matches(None, 1.99)
    half = parse_claim("half as many")
    # [0.45, 0.55): 0.45 rounds away to 0.5; 0.55 rounds to 0.6.
    assert half.matches(None, 0.45) and half.matches(None, 0.549)
    assert not half.matches(None, 0.55) and not half.matches(None, 0.449)
    third = parse_claim("three times fewer")
    # 1 / 0.30 = 3.33 -> 3: yes; 1 / 0.25 = 4 -> no; 1 / 0.2857 = 3.5002 -> 4: no.
    assert third.matches(None, 0.30)
    assert not third.matches(None, 0.25)
    assert not third.matches(None, 0.2857)


# ----------------------------------------------------------------------------- words
@pytest.mark.parametrize(
    ("multiple", "words"),
    [
        (3.95, "nearly four times as many"),
        (4.24, "more than four times as many"),
        (4.004, "four times as many"),  # 4.00 at two decimals
        (2.0, "twice as many"),
        (2.51, "nearly three times as many"),  # [2.5, 3): rounds to 3, below it
        (12.79, "nearly thirteen times as many"),
        (1.8, "nearly twice as many"),
        (1.37, "37% more"),
        (1.0, "about as many"),
        (0.87, "13% fewer"),
        (0.5, "half as many"),
        (0.3, "less than half as many"),
    ],
)
def test_describe_multiple(multiple: float, words: str) -> None:
    assert describe_multiple(multiple) == words
    # The words fit the multiple they describe.
    assert check_words(words, multiple).fits_any


def test_describe_multiple_missing() -> None:
    assert describe_multiple(None) == "n/a"


def test_words_verdicts_for_plus_295() -> None:
    # +295% = 3.95x.
    assert check_words("nearly four times as many", 3.95, subject="+295%").verdict == (
        "'nearly four times as many' fits +295%."
    )
    assert check_words("3 times as many", 3.95, subject="+295%").verdict == (
        "'3 times as many' would understate +295% (it says three times as many)."
    )
    assert check_words("five times as many", 3.95, subject="+295%").verdict == (
        "'five times as many' would overstate +295% (it says five times as many)."
    )
    assert check_words("nearly three times more", 3.95, subject="+295%").verdict == (
        "'nearly three times more' is ambiguous: most readers take it as nearly three times "
        "as many, which would understate +295%; only read strictly (nearly +300%, nearly four "
        "times as many) does it fit."
    )
    # 3x: the common reading fits, the strict one (+300% = 4x) would overstate it.
    assert check_words("three times more", 3.0).verdict == (
        "'three times more' is ambiguous: it fits as three times as many, but read strictly "
        "(+300%, four times as many) it would overstate 3.00x."
    )
    # 5.2x: neither reading (3x, 4x) fits.
    assert check_words("three times more", 5.2).verdict == (
        "'three times more' would understate 5.20x whichever way it is read (three times as "
        "many, or strictly +300%, four times as many)."
    )


def test_words_can_be_a_percentage() -> None:
    # "up 295 percent" on 3.95x: (3.95 - 1) x 100 = 295 -> fits.
    assert check_words("up 295 percent", 3.95).fits_all


def test_misreading_of_a_big_rise() -> None:
    assert misreading(2.95) == "three times more"  # 2.95 hundreds -> "three"
    assert misreading(3.24) == "three times more"
    assert misreading(1.51) == "two times more"
    assert misreading(1.4) is None
    assert misreading(None) is None
