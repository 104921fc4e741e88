"""The recent-days path of analytics.spikes against the general one.

`score(..., since=...)` and `detect(..., since=...)` - what the whole-database scan (CLI
`spikes`, the Overview) and the explorer use - gather each scored day's window from a dense
grid instead of lagging every row, and `detect` skips the exact MAD of days that cannot reach
the threshold. Their numbers must be the general path's to the last bit, so every comparison
here is exact, on generated series with everything that makes robust scores awkward: gaps,
NULL values, zeros, flat histories (MAD and mean deviation 0), weekly-seasonal and
non-seasonal series, a weekday missing from a seasonal window, too-short histories, series
that end before the scored days and ones that start inside them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analytics import spikes


# The recent-days path serves the per-series seasonality test ("auto", True, False): these
# tests compare it with the general path in that mode; the default mode, "trailing" (a test per
# day), is checked against its general path at the end.
def score(frame: pl.DataFrame, **kw) -> pl.DataFrame:
    kw.setdefault("weekday_aware", "auto")
    return spikes.score(frame, **kw)


def detect(frame: pl.DataFrame, *args, **kw) -> pl.DataFrame:
    if len(args) < 4:
        kw.setdefault("weekday_aware", "auto")
    return spikes.detect(frame, *args, **kw)


FIRST = date(2026, 1, 5)


def generated(seed: int, n_series: int = 48) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(n_series):
        kind = i % 8
        start = FIRST + timedelta(days=rng.randrange(0, 12))
        days = 20 if kind == 7 else rng.randrange(60, 100)  # kind 7: too short a history
        for k in range(days):
            day = start + timedelta(days=k)
            wd = day.weekday()
            if kind == 0:
                v = rng.gauss(100, 15)  # plain noise, not integers
            elif kind == 1:
                v = (260.0 if wd >= 5 else 100.0) * rng.uniform(0.9, 1.1)  # busy weekends
            elif kind == 2:
                v = float(rng.choice([0, 0, 0, 0, 1, 2]))  # mostly zero: MAD 0
            elif kind == 3:
                v = 7.0  # flat: MAD and mean deviation 0
            elif kind == 4:
                v = float(rng.randrange(0, 40))  # integers with many gaps (below)
            elif kind == 5:
                v = (50.0 if wd == 0 else 20.0) + rng.gauss(0, 1)  # busy Mondays
                if i % 16 == 5 and wd == 2 and k > days - 40:
                    continue  # no Wednesday at all in the last weeks
            elif kind == 6:
                v = rng.lognormvariate(3, 1)  # heavy tail
            else:
                v = rng.gauss(10, 2)
            if rng.random() < 0.05:
                v *= rng.choice([6.0, 0.1])  # spikes and dips
            if rng.random() < (0.3 if kind == 4 else 0.06):
                continue  # an absent day
            value = None if rng.random() < 0.02 else v  # a present day without a value
            country = None if i == 13 else f"c{i // 6}"
            rows.append({"app": f"a{i % 6}", "country": country, "date": day, "value": value})
    schema = {"app": pl.String, "country": pl.String, "date": pl.Date, "value": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


FRAME = generated(1)
LAST = FRAME["date"].max()
SINCE = [LAST - timedelta(days=6), LAST - timedelta(days=45), FIRST - timedelta(days=3)]


@pytest.fixture(autouse=True)
def _recent_path_for_every_span(monkeypatch: pytest.MonkeyPatch) -> None:
    """score/detect take the recent-days path only up to RECENT_MAX_DAYS scored days; these
    tests compare it with the general path at every span, so lift the bound."""
    monkeypatch.setattr(spikes, "RECENT_MAX_DAYS", 100_000)


def test_only_short_spans_take_the_recent_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spikes, "RECENT_MAX_DAYS", 31)
    keys = spikes.resolve_keys(FRAME, None)
    last = FRAME.get_column("date").max()
    # 31 days to score: the recent path; 32: None, so score() runs the general path
    assert spikes._score_recent(FRAME, keys, 28, "auto", last - timedelta(days=30)) is not None
    assert spikes._score_recent(FRAME, keys, 28, "auto", last - timedelta(days=31)) is None
    since = last - timedelta(days=90)
    assert_frame_equal(score(FRAME, since=since), general(FRAME, since), check_exact=True)


def general(frame: pl.DataFrame, since: date, **kw) -> pl.DataFrame:
    """The general path: every row scored, then the days from `since` kept."""
    return score(frame, **kw).filter(pl.col("date") >= since)


@pytest.mark.parametrize("since", SINCE)
@pytest.mark.parametrize(
    ("window", "weekday_aware"),
    [(28, "auto"), (28, True), (28, False), (14, "auto"), (21, True), (10, "auto"), (30, "auto")],
)
def test_recent_scores_are_the_general_scores(window: int, weekday_aware, since: date) -> None:
    kw = {"window": window, "weekday_aware": weekday_aware}
    got = score(FRAME, since=since, **kw)
    assert_frame_equal(got, general(FRAME, since, **kw), check_exact=True)


def test_the_generated_frame_covers_the_awkward_cases() -> None:
    out = score(FRAME, since=SINCE[1])
    assert out["is_weekday_aware"].any() and not out["is_weekday_aware"].all()
    assert (out["mad"] == 0).any() and out["score"].is_null().any()
    reasons = " ".join(out["score_reason"].drop_nulls().unique().to_list())
    for part in ("no observation", "days observed", "same weekdays", "flat history"):
        assert part in reasons
    assert out["score"].abs().max() > 10  # the spikes are there


@pytest.mark.parametrize(("dtype", "offset"), [(pl.Int32, 0), (pl.Int64, -24), (pl.Int64, 2**40)])
def test_integer_series_key(dtype, offset: int) -> None:
    # The database's series_id: a single integer key within 32 bits is used as it is (negative
    # ones too); a larger one goes through the same id mapping as names.
    rank = pl.struct("app", "country").rank("dense").cast(pl.Int64) + offset
    frame = FRAME.select(rank.cast(dtype).alias("series_id"), "date", "value")
    since = SINCE[0]
    got = score(frame, keys=["series_id"], since=since)
    assert_frame_equal(got, general(frame, since, keys=["series_id"]), check_exact=True)
    rows = detect(frame, 2.0, keys=["series_id"], since=since)
    want = detect(general(frame, since, keys=["series_id"]), 2.0)
    assert_frame_equal(rows, want, check_exact=True)


@pytest.mark.parametrize("dense", [0.0, 1e9])
@pytest.mark.parametrize("wide_days", [0, 10_000])
def test_both_window_paths_and_both_seasonality_tests(
    monkeypatch: pytest.MonkeyPatch, dense: float, wide_days: int
) -> None:
    # Windows sliced per day for every series, or gathered row by row; the seasonality test in
    # wide form (decided where certain) or the general one for every series: all the same.
    monkeypatch.setattr(spikes, "DENSE_MAX_CELLS_PER_ROW", dense)
    monkeypatch.setattr(spikes, "WIDE_SEASONALITY_MAX_DAYS", wide_days)
    for since in SINCE:
        got = score(FRAME, since=since)
        assert_frame_equal(got, general(FRAME, since), check_exact=True)
        flagged = detect(FRAME, 2.5, since=since)
        assert_frame_equal(flagged, detect(general(FRAME, since), 2.5), check_exact=True)


def test_wide_seasonality_leaves_uncertain_series_to_the_general_test() -> None:
    # Runs of zeros put centred sums at 0 (whether a day has a ratio then hangs on rounding)
    # and a perfectly regular week puts the total sum of squares at rounding level: neither is
    # decided in wide form.
    frame = pl.DataFrame(
        {
            "app": ["zeros"] * 42 + ["regular"] * 42,
            "date": [FIRST + timedelta(days=i) for i in range(42)] * 2,
            "value": [0.0] * 20 + [3.0] * 22 + [7.0] * 42,
        }
    )
    grid = spikes._build_grid(
        frame,
        ["app"],
        frame.select(
            pl.col("app").rank("dense").cast(pl.Int64).alias(spikes._SID), "date", "value"
        ),
        28,
        FIRST + timedelta(days=40),
    )
    assert grid is not None
    decided = spikes._wide_seasonality(grid, pl.Series([0, 1])).collect()
    assert decided["__sure"].to_list() == [False, False]
    since = FIRST + timedelta(days=35)
    assert_frame_equal(score(frame, since=since), general(frame, since), check_exact=True)


def test_one_series_without_keys() -> None:
    one = FRAME.filter((pl.col("app") == "a1") & (pl.col("country") == "c0")).drop("app", "country")
    since = SINCE[1]
    assert_frame_equal(score(one, since=since), general(one, since), check_exact=True)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(
    ("threshold", "direction"), [(3.5, "both"), (3.5, "up"), (2.0, "down"), (0.0, "both")]
)
def test_detect_since_keeps_the_days_the_general_scores_flag(
    seed: int, threshold: float, direction: str
) -> None:
    frame = generated(seed)
    for since in SINCE:
        got = detect(frame, threshold, direction, since=since)
        want = detect(general(frame, since), threshold, direction)
        assert_frame_equal(got, want, check_exact=True)
        assert got.height > 0


def test_detect_since_with_weekday_aware_windows_only() -> None:
    since = SINCE[1]
    got = detect(FRAME, 2.5, weekday_aware=True, window=21, since=since)
    want = detect(general(FRAME, since, weekday_aware=True, window=21), 2.5)
    assert_frame_equal(got, want, check_exact=True)


def test_non_finite_values_are_scored_in_full() -> None:
    # NaN and infinities order unlike numbers: no day is skipped, the result is the general one.
    frame = FRAME.with_columns(
        value=pl.when(pl.int_range(pl.len()) % 97 == 0)
        .then(float("nan"))
        .when(pl.int_range(pl.len()) % 101 == 0)
        .then(float("inf"))
        .otherwise(pl.col("value"))
    )
    since = SINCE[1]
    assert_frame_equal(score(frame, since=since), general(frame, since), check_exact=True)
    got = detect(frame, 3.5, since=since)
    assert_frame_equal(got, detect(general(frame, since), 3.5), check_exact=True)


def test_duplicate_days_and_empty_frames() -> None:
    dup = pl.concat([FRAME.head(3), FRAME.head(1)])
    with pytest.raises(ValueError, match=r"\(series, date\) pair\(s\) appear more than once"):
        score(dup, since=SINCE[0])
    empty = FRAME.clear()
    assert_frame_equal(score(empty, since=SINCE[0]), score(empty), check_exact=True)
    assert detect(empty, since=SINCE[0]).height == 0
    late = LAST + timedelta(days=1)  # nothing to score
    assert_frame_equal(score(FRAME, since=late), general(FRAME, late), check_exact=True)


@pytest.mark.parametrize("seed", [3, 11])
def test_trailing_scores_and_flags_with_since_are_the_general_ones(seed: int) -> None:
    """The default mode: `since` only saves work, a day's score and flag do not change."""
    frame = generated(seed)
    for since in SINCE:
        got = spikes.score(frame, since=since)
        want = spikes.score(frame).filter(pl.col("date") >= since)
        assert_frame_equal(got, want, check_exact=True)
        for threshold, direction in [(3.5, "both"), (2.0, "down")]:
            flagged = spikes.detect(frame, threshold, direction, since=since)
            assert_frame_equal(flagged, spikes.detect(want, threshold, direction), check_exact=True)
