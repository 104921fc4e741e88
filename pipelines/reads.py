"""Named read queries that hand polars frames to the analytics and the pages.

Each function fetches only what is asked. Totals (series summed over countries, platforms or
listings, one source per day by precedence) are not made here: they are the semantic core's
one read (:mod:`semantic.totals`, the SQL macro ``ip_totals``). These are the raw reads:
every stored series for the spike scan, pickers, holdings, coverage.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from pipelines import sql, store

SERIES_KEYS = ("app", "metric", "source", "country", "platform")


def _list(values: Sequence[str] | str | None) -> list[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    values = [v for v in values if v]
    return values or None


def metric_kinds(db: Path | str | None, metrics: Sequence[str] | str) -> dict[str, str]:
    """Catalogue kind ('event' or 'level') of each known metric among ``metrics``.

    Unknown metrics are simply absent; the analytics take this mapping as ``kinds=``.
    """
    metric_list = _list(metrics) or []
    if not metric_list:
        return {}
    with store.connect(db) as con:
        return kinds_of(db, con, metric_list)


def kinds_of(db: Path | str | None, con: Any, metrics: Sequence[str]) -> dict[str, str]:
    """{metric: kind} of the known metrics among ``metrics``, read on ``con`` (a cursor on
    ``db``); a lake keeps the whole catalogue's per version (`LakeStore.remembered`)."""
    kept = store.store_for(db)
    if not kept.remembers:
        return {m: k for m, k, _, _ in sql.run(con, "metric_kinds", metrics=list(metrics))}
    every = kept.remembered(
        "metric_kinds", lambda: {m: k for m, k, _, _ in sql.run(con, "metric_kinds", metrics=None)}
    )
    return {m: every[m] for m in metrics if m in every}


def app_names(db: Path | str | None, con: Any, apps: Sequence[str]) -> dict[str, str]:
    """{asked value: display name} for each value of ``apps`` that is an app's name or any
    of its store identifiers (queries/resolve_apps.sql), read on ``con`` (a cursor on ``db``);
    a lake keeps the whole catalogue's per version (`LakeStore.remembered`)."""
    kept = store.store_for(db)
    if not kept.remembers:
        return dict(sql.run(con, "resolve_apps", apps=list(apps)))
    every = kept.remembered("resolve_apps", lambda: dict(sql.run(con, "resolve_apps", apps=None)))
    return {a: every[a] for a in apps if a in every}


def resolve_app(db: Path | str | None, app: str) -> str | None:
    """The display name of ``app`` (a display name or any store identifier), None if unknown."""
    with store.connect(db) as con:
        rows = sql.run(con, "analysis_resolve_app", app=app)
    return rows[0][0] if rows else None


def last_date(
    db: Path | str | None,
    metrics: Sequence[str] | str | None = None,
    app: str | None = None,
) -> date | None:
    """The last observed date (of these metrics, of this app), None when nothing matches."""
    with store.connect(db) as con:
        rows = sql.run(con, "analysis_last_date", metrics=_list(metrics), app=app)
    return rows[0][0] if rows else None


def recent_all(
    db: Path | str | None,
    start: date,
    end: date,
    metrics: Sequence[str] | str | None = None,
    *,
    lookback_days: int = 28,
) -> pl.DataFrame:
    """Every series, not aggregated, for ``start - lookback_days .. end``.

    Columns: series_id, app, metric, source, country, platform, date, value (Float64),
    ordered by series then day. This is what the
    whole-database spike scan reads: the shown range plus the score's look-back, never full
    history (PERFORMANCE.md). ``metrics`` None means every metric.
    """
    with store.connect(db) as con:
        frame = sql.frame(
            con,
            "recent_all",
            start=start - timedelta(days=lookback_days),
            end=end,
            metrics=_list(metrics),
        )
    return frame.with_columns(pl.col("value").cast(pl.Float64))


def recent_values(
    db: Path | str | None,
    start: date,
    end: date,
    metrics: Sequence[str] | str | None = None,
    *,
    lookback_days: int = 28,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(values, names): every series for ``start - lookback_days .. end``, keyed by id.

    ``values`` has series_id, date, value (Float64), in no particular order; ``names`` has
    series_id and the five names (:data:`SERIES_KEYS`) of every series of these metrics. The
    same rows as :func:`recent_all` without the names on every row: the whole-database spike
    scan scores on the id and names only the rows it ranks (0.5 -> 0.1 s at 40,000 series).
    """
    metric_list = _list(metrics)
    with store.connect(db) as con:
        values = sql.frame(
            con,
            "recent_values",
            start=start - timedelta(days=lookback_days),
            end=end,
            metrics=metric_list,
        )
        names = sql.frame(con, "series_names", metrics=metric_list)
    return values.with_columns(pl.col("value").cast(pl.Float64)), names


def data_version(db: Path | str | None = None) -> str:
    """The pages' cache key: it changes whenever data is committed (queries/data_version.sql
    on a file; a lake's newest snapshot, `lake.LakeStore.version`)."""
    from pipelines import lake  # (lake imports store; a lake's reads need it anyway)

    found = store.store_for(db)
    if isinstance(found, lake.LakeStore):
        return "lake:" + found.version()
    with found.connect() as con:
        return str(sql.run(con, "data_version")[0][0])


def holdings(db: Path | str | None = None) -> pl.DataFrame:
    with store.connect(db) as con:
        return sql.frame(con, "holdings")


def totals(db: Path | str | None = None) -> dict[str, Any]:
    with store.connect(db) as con:
        return sql.frame(con, "totals").to_dicts()[0]


def filter_options(db: Path | str | None = None) -> dict[str, Any]:
    with store.connect(db) as con:
        row = sql.frame(con, "filter_options").to_dicts()[0]
    return {
        k: (v if v is not None else []) if k not in ("first_date", "last_date") else v
        for k, v in row.items()
    }


def coverage(
    db: Path | str | None, start: date, end: date, apps: Sequence[str] | str | None = None
) -> pl.DataFrame:
    """Days with a value per app, metric, country and month (app, metric, country, month,
    days), aggregated in DuckDB; `apps` (display names) limits it to those apps."""
    with store.connect(db) as con:
        return sql.frame(con, "coverage", start=start, end=end, apps=_list(apps))
