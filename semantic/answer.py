"""One request, one answer: the frame behind every surface.

:func:`answer` takes a :class:`semantic.request.SeriesRequest`, reads the totals once
(:func:`semantic.totals.load`: the window plus the look-back the method, the typical change
and the spike scores need) and runs the pure polars analytics on them. The CLI's
``series`` (table, CSV, JSON), the Explore page's chart, sentences, numbers table and CSV and
image exports all lay out the same :class:`Answer`; :func:`study` does the same for the Event
study page and ``installpulse study``. Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from analytics import baselines, formatting, sentences, typical
from analytics import spikes as spike_scores
from analytics import study as event_study
from pipelines.errors import UsageError
from semantic import presets, totals
from semantic import scores as stored_scores
from semantic.request import SeriesRequest

KEYS = list(totals.SERIES_KEYS)
#: Typical change on day d uses the pairs d-30..d-1, i.e. values from d-31 on.
TYPICAL_LOOKBACK = presets.TYPICAL_WINDOW + 1

#: The columns of :attr:`Answer.results`, in order (CLI, tables and CSV exports).
RESULT_COLUMNS = [
    *KEYS,
    *baselines.RESULT_COLUMNS,
    "typical_change",
    "typical_low",
    "typical_high",
    "missing",
]


def _fail_from(exc: ValueError) -> UsageError:
    text = str(exc)
    text = text[:1].upper() + text[1:]
    return UsageError(text if text.endswith(".") else text + ".")


@dataclass(frozen=True)
class Answer:
    """The answer to one request.

    ``series``: the labelled daily totals read (look-back included): keys, date, value,
    parts, missing, cover, sources_day, kind. ``results``: one row per series and period of
    the requested range (:data:`RESULT_COLUMNS`). ``spikes``: the peak of each spike episode
    in the range (day grain). ``kinds``: metric -> 'event' | 'level'.
    """

    request: SeriesRequest
    series: pl.DataFrame
    results: pl.DataFrame
    spikes: pl.DataFrame = field(default_factory=pl.DataFrame)
    kinds: Mapping[str, str] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        """Every source behind the answer (for the source line of exports)."""
        if not self.series.height:
            return []
        found = set()
        for text in self.series.get_column("source").unique().to_list():
            found.update(p for p in str(text).split("+") if p)
        return sorted(found)


def day_extras(series: pl.DataFrame) -> pl.DataFrame:
    """KEYS, date, the typical day-over-day change and what a total lacked (``missing``) on
    every day of ``series`` (day grain): what :func:`numbers` adds to the baselines. Neither
    depends on the baseline method, so a :class:`Reading` keeps them."""
    frame = series.select(*KEYS, "date", "value", "missing")
    typ = typical.typical_change(frame, window=presets.TYPICAL_WINDOW, keys=KEYS)
    return typ.select(*KEYS, "date", "typical_change", "missing")


def numbers(
    series: pl.DataFrame,
    request: SeriesRequest,
    kinds: Mapping[str, str],
    *,
    extras: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Baselines, change, multiple, the typical day-over-day change and its band, per series
    and period of ``request.start..request.end`` (the frame holds the look-back too).
    ``extras``: :func:`day_extras` of ``series`` where already made (day grain)."""
    if not series.height:
        return pl.DataFrame(schema={c: pl.String for c in RESULT_COLUMNS})
    frame = series.select(*KEYS, "date", "value")
    try:
        result = baselines.compute(
            frame,
            request.method,
            request.grain,
            keys=KEYS,
            kinds=kinds,
            start=request.start,
            end=request.end,
        )
    except ValueError as exc:
        raise _fail_from(exc) from None
    if request.grain == "day":
        if extras is None:
            extras = day_extras(series)
        result = result.join(extras, on=[*KEYS, "date"], how="left", nulls_equal=True)
    else:
        result = result.with_columns(
            typical_change=pl.lit(None, pl.Float64), missing=pl.lit(None, pl.String)
        )
    result = result.with_columns(
        typical_low=pl.col("baseline") * (1 - pl.col("typical_change")),
        typical_high=pl.col("baseline") * (1 + pl.col("typical_change")),
        missing=pl.when(pl.col("missing") != "").then(pl.col("missing")),
    )
    return result.select(RESULT_COLUMNS).sort([*KEYS, "date"])


#: Days before the range whose scores can open an episode the range shows (a spike episode
#: is scored from SPIKE_WINDOW days back; each scored day needs its own history too).
SPIKE_LOOKBACK = presets.SPIKE_WINDOW + 1


def spike_peaks(
    series: pl.DataFrame, request: SeriesRequest, db: Path | str | None = None
) -> pl.DataFrame:
    """The peak day of each spike episode in the range (day grain only).

    One marker per episode, not per flagged day: after a jump every following day also
    scores high against the quiet weeks before it, and a row of triangles hides the peak.
    The scores of the days from SPIKE_LOOKBACK before the range on come from
    :func:`semantic.scores.spike_scores`: read where they are stored, computed otherwise.
    """
    if not series.height or request.grain != "day":
        return pl.DataFrame()
    first = request.start - timedelta(days=SPIKE_LOOKBACK)
    scored = stored_scores.spike_scores(db, series, first, request.end)
    if not scored.height:
        return pl.DataFrame()
    found = spike_scores.episodes(scored, threshold=presets.SPIKE_THRESHOLD, keys=KEYS)
    return found.select(
        *KEYS,
        "direction",
        pl.col("peak_date").alias("date"),
        pl.col("peak_score").alias("score"),
        pl.col("peak_value").alias("value"),
        "start_date",
        "end_date",
        "n_days",
    ).filter(pl.col("date").is_between(request.start, request.end))


# ----- an answer in two parts ------------------------------------------------------------
#
# Why two: an analyst flips between baselines on one view, and what is read (the totals over
# the range and its look-back), the spike peaks and the typical change do not depend on the
# baseline method - except through the first day read, which a long look-back (yoy, a fixed
# window, a week's start) moves. `read` is that part and `read_key` says what it depends on,
# so the page keeps it per key and a change of baseline recomputes only the baselines
# (`numbers`). `answer` is the two parts in a row: the CLI and the page call the same
# functions.


@dataclass(frozen=True)
class Reading:
    """What a request reads, whatever its baseline method: ``series`` (the labelled daily
    totals from :func:`first_day_read` on), the metrics' ``kinds``, the ``spikes`` (the peak
    of each spike episode in the range, day grain; empty without spikes) and, at day grain,
    the ``extras`` of every day (:func:`day_extras`; None otherwise)."""

    series: pl.DataFrame
    kinds: Mapping[str, str]
    spikes: pl.DataFrame
    extras: pl.DataFrame | None = None


def first_day_read(request: SeriesRequest, *, with_spikes: bool = True) -> date:
    """The first day :func:`read` reads: the method's look-back, and at day grain the typical
    change's 31 days (and the spike scores' history, with spikes)."""
    extra = TYPICAL_LOOKBACK if request.grain == "day" else 0
    if with_spikes and request.grain == "day":
        extra = max(extra, SPIKE_LOOKBACK + stored_scores.HISTORY_DAYS)
    return request.first_day_read(extra)


def read_key(request: SeriesRequest, *, with_spikes: bool = True) -> tuple[object, ...]:
    """Everything :func:`read` depends on: the request but its baseline method, and the first
    day read (the one thing the method changes). Two requests with one key read the same."""
    scope = tuple((f.name, getattr(request, f.name)) for f in fields(request) if f.name != "method")
    return scope, first_day_read(request, with_spikes=with_spikes), with_spikes


def read(db: Path | str | None, request: SeriesRequest, *, with_spikes: bool = True) -> Reading:
    """The part of an answer its baseline method does not change (see :func:`read_key`)."""
    first = first_day_read(request, with_spikes=with_spikes)
    series, kinds, _ = totals.load(db, request, first)
    spikes = spike_peaks(series, request, db) if with_spikes else pl.DataFrame()
    extras = day_extras(series) if request.grain == "day" and series.height else None
    return Reading(series, kinds, spikes, extras)


def from_reading(reading: Reading, request: SeriesRequest) -> Answer:
    """The answer to ``request`` from what it read (``read(db, request)``, or the reading of
    another request with the same :func:`read_key`): its numbers by its own method."""
    results = numbers(reading.series, request, reading.kinds, extras=reading.extras)
    return Answer(request, reading.series, results, reading.spikes, reading.kinds)


def answer(db: Path | str | None, request: SeriesRequest, *, with_spikes: bool = True) -> Answer:
    """Read the totals of ``request`` (range plus look-back) and compute its numbers."""
    return from_reading(read(db, request, with_spikes=with_spikes), request)


def series_answer(
    db: Path | str | None,
    app: str,
    metric: str,
    *,
    countries: object = None,
    platforms: object = None,
    sources: object = None,
    prefer: object = None,
    start: date | None = None,
    end: date | None = None,
    method: str | baselines.Method = presets.SERIES_METHOD,
    grain: str = "day",
    last_date: date | None = None,
) -> Answer:
    """One app and metric (``installpulse series``): the default range is the series' last
    ``DEFAULT_SPAN_DAYS[grain]`` days ending on ``last_date``; an empty range is an error."""
    if end is None:
        end = last_date
        if end is None:
            raise UsageError(f"No observations of {app} {metric} in the database.")
    if start is None:
        start = end - timedelta(days=presets.DEFAULT_SPAN_DAYS[grain] - 1)
        if grain == "month":
            start = start.replace(day=1)
    if start > end:
        raise UsageError(f"--start {start} is after --end {end}.")
    try:
        request = SeriesRequest.build(
            [app],
            [metric],
            start,
            end,
            countries=countries,
            platforms=platforms,
            sources=sources,
            prefer=prefer,
            method=method,
            grain=grain,
        )
    except ValueError as exc:
        raise _fail_from(exc) from None
    result = answer(db, request, with_spikes=False)
    shown = result.series.filter(
        pl.col("date").is_between(start, end) & pl.col("value").is_not_null()
    )
    if not shown.height:
        scope = ", ".join(request.countries + request.platforms)
        what = f"{app} {metric}" + (f" ({scope})" if scope else "")
        raise UsageError(f"No observations of {what} between {start} and {end}.")
    return result


def sentence(row: Mapping[str, object]) -> str:
    """The published sentence for one row of :attr:`Answer.results` - the CLI table's last
    line and the Explore page's "In words" both print this."""
    return sentences.change_sentence(
        dict(row),
        subject=str(row["app"]),
        scope=formatting.fmt_scope(row.get("country"), row.get("platform")),  # type: ignore[arg-type]
        metric=formatting.fmt_metric(row.get("metric")),  # type: ignore[arg-type]
        typical=row.get("typical_change"),  # type: ignore[arg-type]
        typical_window=presets.TYPICAL_WINDOW,
    )


def study_sentence(row: Mapping[str, object], event_label: str | None = None) -> str:
    """The sentence for one app of a study summary (CLI and Event study page)."""
    return sentences.study_sentence(
        dict(row),
        subject=str(row["app"]),
        scope=formatting.fmt_scope(row.get("country"), row.get("platform")),  # type: ignore[arg-type]
        metric=formatting.fmt_metric(row.get("metric")),  # type: ignore[arg-type]
        event_label=event_label,
    )


# ----- event study ------------------------------------------------------------------------


def study(
    db: Path | str | None,
    request: SeriesRequest,
    event_date: date,
    *,
    pre: int = presets.STUDY_DAYS,
    post: int = presets.STUDY_DAYS,
    require_all: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(days, summary) of an event study over the request's apps and first metric.

    Reads ``event_date - max(pre, 14) .. event_date + post`` (the reference is days
    -14..-1); ``require_all`` refuses a study where an app has no data (the CLI)."""
    ref_start, ref_end = presets.STUDY_REFERENCE
    start = event_date - timedelta(days=max(pre, -ref_start))
    end = event_date + timedelta(days=post)
    ranged = request.with_range(start, end)
    series, _, names = totals.load(db, ranged)
    if require_all:
        found = set(series.get_column("app").to_list()) if series.height else set()
        missing = [n for n in names if n not in found] or ([] if series.height else list(names))
        if missing:
            raise UsageError(
                f"No observations of {', '.join(missing)} {', '.join(request.metrics)} "
                f"between {start} and {end}."
            )
    if not series.height:
        return series, series
    frame = series.select(*KEYS, "date", "value")
    try:
        days = event_study.event_study(
            frame,
            event_date,
            pre=pre,
            post=post,
            ref_start_offset=ref_start,
            ref_end_offset=ref_end,
            keys=KEYS,
        )
    except ValueError as exc:
        raise _fail_from(exc) from None
    return days, event_study.study_summary(days, keys=KEYS)
