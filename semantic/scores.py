"""Spike scores of a request's series: stored where a series is one stored series, computed
otherwise - one function decides (:func:`spike_scores`).

The scores are :func:`analytics.spikes.score` with the per-day seasonality test
(``weekday_aware="trailing"``): the score of a day depends on its own 34 previous days only,
so the score stored when the data arrived (pipelines/precompute.py) and the score computed
here from a read frame are the same number, bit for bit, for every day that has its 34 days
of history in the frame. Which way a series goes:

- **stored**: the request's total of that series is exactly one stored series (one app
  identifier, platform, country, metric and source; not a sum over countries, listings or
  platforms, nor a per-day choice among sources), its values over the days read are the
  stored ones, and the stored scores cover the days asked for (the last
  ``precompute.STORED_DAYS`` days of data). Then the scores are read, not computed;
- **computed**: everything else (a total over countries or platforms, an older range, a
  database whose scores are not stored yet), from the frame read, as before.

Callers score the days from ``first`` on and read ``first - TRAILING_SPAN`` days before, so
both ways give every such day its full history.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from analytics import spikes
from pipelines import precompute, sql, store
from semantic import presets, totals

KEYS = list(totals.SERIES_KEYS)
#: Days read before the first scored day (the score of a day depends on these).
HISTORY_DAYS = spikes.TRAILING_SPAN
SCORE_COLUMNS = ["score", "direction", "median", "mad", "score_obs", "is_weekday_aware"]


def _stored_series(
    db: Path | str | None, con: Any, apps: list[str], metrics: list[str]
) -> pl.DataFrame:
    """(series_id, KEYS...) of the stored series of ``apps`` and ``metrics``, by series_id; a
    lake keeps every stored series' per version (`LakeStore.remembered`: a DuckLake
    transaction of three table scans per reading otherwise; 80,000 rows at L after its
    import)."""
    kept = store.store_for(db)
    if not kept.remembers:
        return sql.frame(con, "explore_stored_series", apps=apps, metrics=metrics)
    every = kept.remembered(
        "explore_stored_series",
        lambda: sql.frame(con, "explore_stored_series", apps=None, metrics=None),
    )
    return every.filter(pl.col("app").is_in(apps) & pl.col("metric").is_in(metrics))


def _stored_ids(db: Path | str | None, series: pl.DataFrame, first: date) -> pl.DataFrame:
    """(KEYS..., series_id) of the totals that are one stored series with stored scores from
    ``first`` on; empty when none is (or nothing is stored)."""
    with store.connect(db) as con:
        state = precompute.state_of(db, con)
        if not state.is_filled or state.horizon_start is None or state.horizon_start > first:
            return pl.DataFrame()
        apps = series.get_column("app").unique().to_list()
        metrics = series.get_column("metric").unique().to_list()
        found = _stored_series(db, con, apps, metrics)
    if not found.height:
        return pl.DataFrame()
    # A total is one stored series when its labels name one of each and one series has them
    # (two listings of one app on one platform and source are summed: not one series).
    single = found.group_by(KEYS).agg(pl.col("series_id").first(), n=pl.len())
    single = single.filter(pl.col("n") == 1).drop("n")
    return series.select(KEYS).unique().join(single, on=KEYS, how="inner")


def spike_scores(
    db: Path | str | None, series: pl.DataFrame, first: date, end: date
) -> pl.DataFrame:
    """Scores of every series of ``series`` (a request's labelled totals, KEYS, date, value,
    read from ``first - HISTORY_DAYS``) on its days from ``first`` to ``end``: KEYS, date,
    value and :data:`SCORE_COLUMNS`, stored where a series is one stored series (module
    docstring), computed from ``series`` otherwise."""
    if not series.height:
        return pl.DataFrame()
    frame = series.select(*KEYS, "date", "value")
    ids = _stored_ids(db, frame, first)
    read = pl.DataFrame()
    if ids.height:
        with store.connect(db) as con:
            stored = sql.frame(
                con,
                "spike_scores_of",
                series_ids=ids.get_column("series_id").to_list(),
                start=first,
                end=end,
            )
        stored = stored.join(ids, on="series_id", how="inner").drop("series_id")
        # Only where the stored values are the values read (the total is that series).
        mine = frame.filter(pl.col("date").is_between(first, end))
        both = mine.join(stored, on=[*KEYS, "date"], how="full", nulls_equal=True, suffix="_s")
        differs = both.filter(
            pl.col("value").ne_missing(pl.col("value_s"))
            | pl.col("date").is_null()
            | pl.col("date_s").is_null()
        )
        bad = differs.select(
            *[pl.coalesce(k, f"{k}_s").alias(k) if f"{k}_s" in differs.columns else k for k in KEYS]
        ).unique()
        good = ids.select(KEYS).join(bad, on=KEYS, how="anti", nulls_equal=True)
        read = stored.join(good, on=KEYS, how="semi", nulls_equal=True).with_columns(
            direction=pl.when(pl.col("score") > 0)
            .then(pl.lit("up"))
            .when(pl.col("score") < 0)
            .then(pl.lit("down"))
        )
        frame = frame.join(good, on=KEYS, how="anti", nulls_equal=True)
    computed = pl.DataFrame()
    if frame.height:
        computed = spikes.score(
            frame,
            window=presets.SPIKE_WINDOW,
            keys=KEYS,
            weekday_aware="trailing",
            since=first,
        ).filter(pl.col("date") <= end)
    parts = [p.select(*KEYS, "date", "value", *SCORE_COLUMNS) for p in (read, computed) if p.height]
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts, how="vertical_relaxed").sort([*KEYS, "date"])
