"""Work done once, not per view: spike scores and the Overview's rankings, stored when data
arrives (schema v009; README "Performance").

Why here and inside the write: every import (files, URLs, manual entry, the demo, sync,
`recover --replay`) and every undo changes observations in one transaction
(:mod:`pipelines.contract`); the scores are recomputed in that same transaction
(:func:`after_write`, :func:`undo`), so they commit with the rows they were computed from -
no reader ever sees new rows with old scores, and a crash leaves neither. Only what changed
is recomputed: the days an import wrote or replaced (read back from ``import_id`` and
``replaced_by``, as the alerts find them) and the ``spikes.TRAILING_SPAN`` (34) days after
each, the days whose score depends on them (``spikes.score(..., weekday_aware="trailing")``:
the 28-day window and the 34-day seasonality test end the day before). The numbers come from
that one function: a stored score is what :func:`analytics.spikes.score` gives on the
series, bit for bit (tests/precompute/).

Scores are kept for the last ``STORED_DAYS`` days of data (the Overview's 90-day episode
list with its 30 days of look-back, and Explore's 90-day default view): scoring a 3-year
backfill of 40,000 series in full would cost minutes and gigabytes per import for days no
page lists; Explore scores older days on the fly as before (:mod:`semantic.answer`).

The Overview's rankings (top movers per range and change method, latest episodes) depend on
the newest day of the whole database, so they are rebuilt from the stored scores after every
change: a few SQL reads and baselines for 20 series per range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from analytics import spikes
from pipelines import sql, store

#: Days of scores stored, counted back from the newest day of data.
STORED_DAYS = 120
#: Days after a changed day whose score depends on it (the seasonality test's span).
DEPENDS_DAYS = spikes.TRAILING_SPAN
#: Score window and spike threshold (the same as semantic.presets; imported lazily there).
WINDOW = 28
THRESHOLD = 3.5
#: The Overview's choices: its ranges ("Over the last") and change methods, in page order.
OVERVIEW_DAYS = (7, 14, 30)
OVERVIEW_METHODS = ("mean:28", "previous-day", "median:28", "weekday:4")
MOVERS_LIMIT = 20
EPISODE_DAYS = 90
EPISODE_LIMIT = 200
SPARKLINE_DAYS = 42
#: Rows of values (history included) scored at once: bounds the memory of a rebuild (the S
#: import's peak RSS: 564 MB with 400,000, 434 MB with 150,000; the import alone 344 MB).
BATCH_ROWS = 150_000
#: Scored rows held for one insert: each INSERT costs about 35 ms besides its rows (at L,
#: 42 inserts of a batch's rows took 3.0 s, one of all 4.7M rows 1.3 s).
INSERT_ROWS = 1_000_000


@dataclass(frozen=True)
class State:
    """What is stored: whether scores are filled, from which day, for which newest day."""

    is_filled: bool
    horizon_start: date | None
    last_date: date | None
    episode_since: date | None
    computed_at: datetime | None


def state(con: duckdb.DuckDBPyConnection) -> State:
    row = sql.run(con, "precompute_state")
    if not row:
        return State(False, None, None, None, None)
    return State(*row[0])


def read_state(db: Path | str | None) -> State:
    """The stored state of a database (pages: stored rankings or the on-the-fly path)."""
    with store.connect(db) as con:
        return state_of(db, con)


def state_of(db: Path | str | None, con: duckdb.DuckDBPyConnection) -> State:
    """The stored state as a reader sees it, on ``con`` (a cursor on ``db``); a lake keeps it
    for its current version (`LakeStore.remembered`): every page read asks."""
    return store.store_for(db).remembered("precompute_state", lambda: state(con))


def _widen(con: duckdb.DuckDBPyConnection, import_id: int) -> bool:
    """Whether an import's format rewrites other imports' rows of the same app and day (App
    Store segments settle in place): then every series of those identifiers counts."""
    from pipelines import adapters  # (the pages read scores without the import machinery)

    found = sql.run(con, "precompute_import_format", import_id=import_id)
    fmt = found[0][0] if found else None
    adapter = next((a for a in adapters.ADAPTERS if a.name == fmt), None)
    return any(hasattr(adapter, h) for h in ("after_write", "before_undo", "after_undo"))


def touched(con: duckdb.DuckDBPyConnection, import_id: int) -> pl.DataFrame:
    """(series_id, first_date, last_date) of what an import wrote or replaced."""
    return sql.frame(con, "precompute_touched", import_id=import_id, widen=_widen(con, import_id))


def after_write(con: duckdb.DuckDBPyConnection, import_id: int) -> int:
    """The contract's after-write step (inside the import's transaction, after the adapter's
    own): recompute what the import touched. Returns 0: it moves no stored rows aside."""
    refresh(con, touched(con, import_id))
    return 0


def refresh(con: duckdb.DuckDBPyConnection, ranges: pl.DataFrame) -> int:
    """Recompute the stored scores of the changed ranges (and of the days they reach), trim
    or extend the stored horizon, rebuild the rankings. Returns the score rows written.

    Not filled yet (a file migrated from schema 8): everything is computed instead."""
    current = state(con)
    if not current.is_filled:
        return rebuild(con)
    last = sql.run(con, "precompute_last_date")[0][0]
    if last is None:
        sql.run(con, "precompute_clear")
        _rankings(con, None)
        sql.run(
            con, "precompute_state_update", horizon_start=None, last_date=None, episode_since=None
        )
        return 0
    horizon = last - timedelta(days=STORED_DAYS - 1)
    wanted = ranges.select(
        "series_id",
        pl.max_horizontal("first_date", pl.lit(horizon)).alias("first_date"),
        (pl.col("last_date") + pl.duration(days=DEPENDS_DAYS)).alias("last_date"),
    )
    old = current.horizon_start
    if old is not None and horizon < old:
        # The newest day moved back (an undo of the latest import): the days between the new
        # and the old horizon were never stored.
        back = sql.frame(
            con, "precompute_all_series", first_date=horizon, last_date=old - timedelta(days=1)
        )
        wanted = pl.concat([wanted, back], how="vertical_relaxed")
    if old is None or horizon > old:
        sql.run(con, "precompute_trim", horizon_start=horizon)
    # (scores are stored up to the newest day before this change at most: an undo of the
    # newest import leaves days after ``last`` whose stored scores the delete must reach)
    until = last if current.last_date is None else max(last, current.last_date)
    written = _compute(con, wanted, until)
    _rankings(con, last)
    return written


def rebuild(con: duckdb.DuckDBPyConnection) -> int:
    """Every stored score and ranking from scratch (`installpulse precompute --all`, the first
    change after a migration). Returns the score rows written."""
    sql.run(con, "precompute_clear")
    last = sql.run(con, "precompute_last_date")[0][0]
    written = 0
    if last is not None:
        horizon = last - timedelta(days=STORED_DAYS - 1)
        written = _compute(
            con, sql.frame(con, "precompute_all_series", first_date=horizon, last_date=last), last
        )
    _rankings(con, last)
    return written


def rebuild_all(db: Path | str | None) -> int:
    """`installpulse precompute --all`: :func:`rebuild` in its own transaction."""
    with store.write_lock, store.connect(db) as con:
        con.execute("begin")
        con.fetchall()
        try:
            written = rebuild(con)
            con.execute("commit")
            con.fetchall()
        except BaseException:
            con.execute("rollback")
            con.fetchall()
            raise
    return written


def _merged(ranges: pl.DataFrame, until: date) -> pl.DataFrame:
    """One range per series (the span of its ranges, ending by ``until``, the newest day
    with data or stored scores: the DEPENDS_DAYS after a daily import's day do not exist yet,
    and counted they made a batch hold a fifth of the series it could), non-empty ones only."""
    return (
        ranges.group_by("series_id")
        .agg(pl.col("first_date").min(), pl.col("last_date").max())
        .with_columns(pl.min_horizontal("last_date", pl.lit(until)).alias("last_date"))
        .filter(pl.col("first_date") <= pl.col("last_date"))
        .with_columns(pl.col("series_id").cast(pl.Int32))
        .sort("series_id")
    )


def _batches(ranges: pl.DataFrame) -> list[pl.DataFrame]:
    """Ranges in parts of whole series of about BATCH_ROWS days (history included)."""
    days = (pl.col("last_date") - pl.col("first_date")).dt.total_days() + 1 + DEPENDS_DAYS
    tagged = ranges.with_columns(__b=(days.cum_sum() - days) // BATCH_ROWS)
    return [p.drop("__b") for p in tagged.partition_by("__b", maintain_order=True)]


def _compute(con: duckdb.DuckDBPyConnection, ranges: pl.DataFrame, until: date) -> int:
    """Delete and recompute the stored scores of ``ranges`` (series_id, first_date,
    last_date) up to ``until`` (see :func:`_merged`): each range's days from the values read
    with their DEPENDS_DAYS of history."""
    merged = _merged(ranges, until)
    written = 0
    held: list[pl.DataFrame] = []
    for part in _batches(merged) if merged.height else []:
        con.register("precompute_ranges_frame", part.to_arrow())
        try:
            sql.run(con, "precompute_ranges_create")
        finally:
            con.unregister("precompute_ranges_frame")
        sql.run(con, "precompute_delete")
        since = part.get_column("first_date").min() - timedelta(days=DEPENDS_DAYS)  # type: ignore[operator]
        ids = part.get_column("series_id")
        values = sql.frame(
            con,
            "precompute_values",
            history=DEPENDS_DAYS,
            since=since,
            first_series=ids.min(),
            last_series=ids.max(),
        )
        if values.height:
            rows = scores(values, part)
            held.append(rows)
            written += rows.height
            if sum(f.height for f in held) >= INSERT_ROWS:
                _insert_scores(con, held)
        sql.run(con, "precompute_ranges_drop")
    _insert_scores(con, held)
    return written


def _insert_scores(con: duckdb.DuckDBPyConnection, held: list[pl.DataFrame]) -> None:
    """Insert the held batches' scores in one statement and empty ``held``. Each batch is in
    series and day order and batches come in series order (the deletes of later batches touch
    other series), so the table stays clustered by series as observations are."""
    rows = pl.concat(held) if held else pl.DataFrame()
    held.clear()
    if not rows.height:
        return
    con.register("precompute_rows", rows.to_arrow())
    try:
        sql.run(con, "precompute_insert")
    finally:
        con.unregister("precompute_rows")


def scores(values: pl.DataFrame, ranges: pl.DataFrame) -> pl.DataFrame:
    """The stored columns of each range's days: :func:`analytics.spikes.score` with the
    per-day seasonality test, the one computation behind every stored score. ``values``
    (series_id, date, value) holds each range's days and their DEPENDS_DAYS of history."""
    since = ranges.get_column("first_date").min()
    scored = spikes.score(
        values.select("series_id", "date", "value"),
        window=WINDOW,
        keys=["series_id"],
        weekday_aware="trailing",
        since=since,  # type: ignore[arg-type]
    )
    kept = scored.join(ranges, on="series_id", how="inner", maintain_order="left").filter(
        pl.col("date").is_between(pl.col("first_date"), pl.col("last_date"))
    )
    return kept.select(
        pl.col("series_id").cast(pl.Int32),
        "date",
        "value",
        "score",
        "median",
        "mad",
        pl.col("score_obs").cast(pl.Int32),
        "is_weekday_aware",
    )


def _insert(con: duckdb.DuckDBPyConnection, query: str, frame: pl.DataFrame) -> None:
    """Insert a frame by a named query that reads the registered ``precompute_frame``."""
    if not frame.height:
        return
    con.register("precompute_frame", frame.to_arrow())
    try:
        sql.run(con, query)
    finally:
        con.unregister("precompute_frame")


def _values(con: duckdb.DuckDBPyConnection, ids: list[int], start: date, end: date) -> pl.DataFrame:
    return sql.frame(con, "precompute_series_values", series_ids=ids, start=start, end=end)


def movers(
    con: duckdb.DuckDBPyConnection, last: date, ranges: tuple[int, ...], methods: tuple[str, ...]
) -> pl.DataFrame:
    """Top movers of the last ``days`` days of data (each of ``ranges``) from the stored
    scores, for each method: per series its most extreme stored score in the range, ranked
    by |score| then series (precompute_peaks.sql: the order of ``spikes.top_movers``), with
    that day's change against the method (``analytics.baselines.compute``, once per method
    for the series of every range) and the last 42 days of values."""
    from analytics import baselines

    peaks = {
        days: sql.frame(
            con,
            "precompute_peaks",
            start=last - timedelta(days=days - 1),
            end=last,
            limit=MOVERS_LIMIT,
        ).with_row_index("rank", offset=1)
        for days in ranges
    }
    found = [p for p in peaks.values() if p.height]
    if not found:
        return pl.DataFrame()
    ids = pl.concat([p.select("series_id") for p in found]).unique().to_series().to_list()
    first = last - timedelta(days=max(ranges) - 1)
    lookback = max(max(baselines.lookback_days(m) for m in methods), WINDOW) + 1
    read_from = min(first - timedelta(days=lookback), last - timedelta(days=SPARKLINE_DAYS - 1))
    values = _values(con, ids, read_from, last)
    lines = (
        values.filter(pl.col("date") >= last - timedelta(days=SPARKLINE_DAYS - 1))
        .group_by("series_id", maintain_order=True)
        .agg(trend=pl.col("value"))
    )
    out = []
    for method in methods:
        changes = baselines.compute(
            values, method, keys=["series_id"], start=first, end=last
        ).select("series_id", "date", "baseline", "change", "multiple", "method_label", "reason")
        for days, ranked in peaks.items():
            if not ranked.height:
                continue
            out.append(
                ranked.join(changes, on=["series_id", "date"], how="left")
                .join(lines, on="series_id", how="left")
                .select(
                    pl.lit(days, pl.Int32).alias("days"),
                    pl.lit(method).alias("method"),
                    pl.col("rank").cast(pl.Int32),
                    pl.col("series_id").cast(pl.Int32),
                    "date",
                    "value",
                    "score",
                    "baseline",
                    "change",
                    "multiple",
                    "method_label",
                    "reason",
                    "trend",
                )
            )
    return pl.concat(out, how="vertical_relaxed")


def episodes(con: duckdb.DuckDBPyConnection, last: date) -> tuple[pl.DataFrame, date]:
    """(the latest spike episodes from the stored scores, the first day they cover): runs of
    stored days with |score| >= THRESHOLD in the last EPISODE_DAYS days, latest first, each
    with its values from 28 days before to 7 after (as the page's sparkline)."""
    since = last - timedelta(days=EPISODE_DAYS - 1)
    flagged = sql.frame(con, "precompute_flagged", since=since, threshold=THRESHOLD)
    if not flagged.height:
        return pl.DataFrame(), since
    found = spikes.episodes(flagged, threshold=THRESHOLD, keys=["series_id"])
    found = found.sort(
        ["end_date", pl.col("peak_score").abs(), "series_id"], descending=[True, True, False]
    ).head(EPISODE_LIMIT)
    ids = found.get_column("series_id").unique().to_list()
    values = _values(con, ids, since - timedelta(days=28), last)
    around = (
        found.select("series_id", "start_date", "end_date")
        .join(values, on="series_id", how="left")
        .filter(
            pl.col("date").is_between(
                pl.col("start_date") - pl.duration(days=28),
                pl.col("end_date") + pl.duration(days=7),
            )
        )
        .sort("date")
        .group_by(["series_id", "start_date"], maintain_order=True)
        .agg(trend=pl.col("value"))
    )
    out = found.join(around, on=["series_id", "start_date"], how="left").select(
        pl.col("series_id").cast(pl.Int32),
        "direction",
        "start_date",
        "end_date",
        "n_days",
        "peak_date",
        "peak_value",
        "peak_score",
        "trend",
    )
    return out, since


def _rankings(con: duckdb.DuckDBPyConnection, last: date | None) -> None:
    """Rebuild the stored rankings for the newest day ``last`` and record the state."""
    sql.run_script(con, "precompute_rankings_clear")
    since = None
    if last is not None:
        _insert(con, "precompute_movers_insert", movers(con, last, OVERVIEW_DAYS, OVERVIEW_METHODS))
        found, since = episodes(con, last)
        _insert(con, "precompute_episodes_insert", found)
    horizon = None if last is None else last - timedelta(days=STORED_DAYS - 1)
    sql.run(
        con, "precompute_state_update", horizon_start=horizon, last_date=last, episode_since=since
    )


def stored_movers(db: Path | str | None, days: int, method: str) -> pl.DataFrame:
    """The Overview's stored top movers, named (overview_movers_stored.sql)."""
    with store.connect(db) as con:
        return sql.frame(con, "overview_movers_stored", days=days, method=method)


def stored_episodes(db: Path | str | None, min_score: float, limit: int) -> pl.DataFrame:
    """The Overview's stored spike episodes whose peak reaches ``min_score``, named."""
    with store.connect(db) as con:
        return sql.frame(con, "overview_episodes_stored", min_score=min_score, limit=limit)
