"""semantic.claims on the demo database: the published "+295%" checked against every baseline
preset and slice, the same numbers as Explore's answer, and the paragraph an editor pastes.

Demo values (data/demo/README.md): ChatGPT US uninstalls, iOS + Android, 12,640 on Sat 28 Feb
2026 against 3,200 the day before (12,640 / 3,200 = 3.95x, +295%); the mean of the 28 days
before is 2,981.75 (12,640 / 2,981.75 = 4.2391x, +324%).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines.errors import UsageError
from semantic import answer, claims, presets
from semantic.request import SeriesRequest

DAY = date(2026, 2, 28)

PARAGRAPH = (
    "ChatGPT (US, iOS+Android) uninstalls +295% on Sat 28 Feb 2026: reproduced against the "
    "previous day (12,640 vs 3,200, 3.95x). Against an average day (the mean of the previous 28 "
    "days) it is +324% (12,640 vs 2,981.75, 4.24x). Other baselines: +328% vs the median of the "
    "previous 28 days (4.28x), +313% vs the same weekday in the previous 4 weeks (4.13x), +306% "
    "vs the same weekday a week earlier (4.06x), +362% vs the same day of the previous month "
    "(4.62x) and +1,179% vs the same date a year earlier (12.79x). Against the previous day, "
    "other slices give all countries (BR+DE+GB+IN+US) +151% (2.51x), iOS alone +291% (3.91x) "
    "and Android alone +301% (4.01x). '+295%' means 3.95 times as many, 'nearly four times as "
    "many'; 'three times more' would understate it (most readers take it as three times as "
    "many). Source: demo; illustrative demo data."
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines import demo as demo_data
    from pipelines import store

    path = tmp_path_factory.mktemp("claims") / "demo.duckdb"
    demo_data.load(path)
    store.release_all()
    return path


def test_the_published_figure(demo: Path) -> None:
    out = claims.check(demo, "ChatGPT", "uninstalls", DAY, "+295%", countries="US")
    assert out.paragraph == PARAGRAPH
    mine = out.claimed
    assert mine.get_column("method").to_list() == list(presets.BASELINE_PRESETS)
    assert mine.filter(pl.col("reproduces")).get_column("method").to_list() == ["previous-day"]
    row = mine.row(0, named=True)
    assert (row["value"], row["baseline"], row["reading"]) == (12640.0, 3200.0, "as written")
    mean = mine.filter(pl.col("method") == "mean:28").row(0, named=True)
    assert mean["baseline"] == 2981.75
    assert mean["multiple"] == pytest.approx(12640 / 2981.75)
    # Slices: as claimed (7 rows), all countries (7), iOS (7), Android (7).
    assert out.table.get_column("slice").unique(maintain_order=True).to_list() == [
        "as claimed",
        "all countries",
        "ios",
        "android",
    ]
    assert out.table.height == 28
    assert out.table.columns == claims.TABLE_COLUMNS
    assert out.sources == ["demo"]


def test_the_same_numbers_as_explore(demo: Path) -> None:
    """Each row is what semantic.answer.answer (Explore, installpulse series) gives for the
    same request."""
    out = claims.check(demo, "ChatGPT", "uninstalls", DAY, "+295%", countries="US")
    for method in presets.BASELINE_PRESETS:
        for slice_name, countries, platforms in (
            ("as claimed", ["US"], []),
            ("all countries", [], []),
            ("ios", ["US"], ["ios"]),
        ):
            request = SeriesRequest.build(
                ["ChatGPT"], ["uninstalls"], DAY, DAY, countries=countries, platforms=platforms,
                method=method,
            )  # fmt: skip
            expected = answer.answer(demo, request, with_spikes=False).results.row(0, named=True)
            got = out.table.filter(
                (pl.col("slice") == slice_name) & (pl.col("method") == method)
            ).row(0, named=True)
            for column in ("value", "baseline", "change", "multiple", "reason", "method_label"):
                assert got[column] == expected[column], (slice_name, method, column)


def test_words_given(demo: Path) -> None:
    out = claims.check(
        demo, "ChatGPT", "uninstalls", DAY, "+295%", countries="US",
        words="nearly three times more",
    )  # fmt: skip
    assert out.words is not None and out.words.fits == (False, True)
    assert out.paragraph.endswith(
        "'+295%' means 3.95 times as many, 'nearly four times as many'. 'nearly three times "
        "more' is ambiguous: most readers take it as nearly three times as many, which would "
        "understate +295%; only read strictly (nearly +300%, nearly four times as many) does it "
        "fit. Source: demo; illustrative demo data."
    )


def test_a_figure_of_another_slice(demo: Path) -> None:
    # iOS alone: 7,284 vs 1,864 the day before = 3.9077x, +291%.
    out = claims.check(demo, "ChatGPT", "uninstalls", DAY, "+291%", countries="US")
    assert not out.claimed.get_column("reproduces").any()
    hits = out.reproduced.select("slice", "method").rows()
    assert hits == [("ios", "previous-day")]
    assert "not reproduced by any of the 7 baselines; the closest is the previous day" in (
        out.paragraph
    )
    assert "The claim is also reproduced by iOS alone against the previous day." in out.paragraph


def test_the_average_day_figure(demo: Path) -> None:
    out = claims.check(demo, "ChatGPT", "uninstalls", DAY, "+324%", countries="US")
    assert out.reproduced.filter(pl.col("slice") == "as claimed").get_column(
        "method"
    ).to_list() == ["mean:28"]
    assert out.paragraph.startswith(
        "ChatGPT (US, iOS+Android) uninstalls +324% on Sat 28 Feb 2026: reproduced against the "
        "mean of the previous 28 days (12,640 vs 2,981.75, 4.24x). Other baselines: +295% vs "
        "the previous day (3.95x),"
    )


def test_words_as_the_claim(demo: Path) -> None:
    out = claims.check(demo, "ChatGPT", "uninstalls", DAY, "nearly four times as many",
                       countries="US")  # fmt: skip
    # [3.5, 4): the previous day (3.95x) only, in the slice as claimed.
    assert out.claimed.filter(pl.col("reproduces")).get_column("method").to_list() == [
        "previous-day"
    ]
    strict = claims.check(demo, "ChatGPT", "uninstalls", DAY, "three times more", countries="US")
    # Strictly +300% = [3.5, 4.5): 3.95x, 4.24x, 4.28x, 4.13x, 4.06x; commonly [2.5, 3.5): none.
    rows = strict.claimed.filter(pl.col("reproduces"))
    assert rows.get_column("method").to_list() == [
        "previous-day", "mean:28", "median:28", "weekday:4", "wow",
    ]  # fmt: skip
    assert set(rows.get_column("reading").to_list()) == {"strict"}
    assert "reproduced only if the words are read strictly (+300%, four times as many)" in (
        strict.paragraph
    )


def test_one_platform_claimed(demo: Path) -> None:
    out = claims.check(demo, "ChatGPT", "uninstalls", DAY, "+291%", countries="US",
                       platforms="ios")  # fmt: skip
    assert out.claimed.get_column("reproduces").to_list()[0] is True
    # The other platform is still checked; iOS is not repeated.
    assert out.table.get_column("slice").unique(maintain_order=True).to_list() == [
        "as claimed",
        "all countries",
        "android",
    ]


def test_json_is_plain_data(demo: Path) -> None:
    import json

    data = claims.check(demo, "ChatGPT", "uninstalls", DAY, "+295%", countries="US").as_json()
    text = json.dumps(data, allow_nan=False)
    assert data["claim"]["figure"] == "+295%" and data["claim"]["value"] == 2.95
    assert data["rows"][0]["date"] == "2026-02-28" and data["rows"][0]["change"] == 2.95
    assert data["paragraph"] == PARAGRAPH
    assert "NaN" not in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(claim="lots"), "--claim: No figure found in 'lots'"),
        (dict(claim="+295%", app="Nope"), "Unknown app 'Nope'"),
        (dict(claim="+295%", metric="nope"), "Unknown metric"),
        (dict(claim="+295%", day=date(2024, 1, 1)), "No observation of ChatGPT uninstalls"),
        (dict(claim="three times more", words="nearly four"), "already in words"),
        (dict(claim="+295%", words="loads"), "--words: No figure found"),
    ],
)
def test_errors_are_sentences(demo: Path, kwargs: dict, message: str) -> None:
    args = dict(app="ChatGPT", metric="uninstalls", day=DAY, countries="US") | kwargs
    with pytest.raises(UsageError, match=message):
        claims.check(
            demo, args.pop("app"), args.pop("metric"), args.pop("day"), args.pop("claim"), **args
        )
