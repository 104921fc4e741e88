"""Helpers for the store-export adapter tests: fixture paths and reading back daily_metrics."""

from __future__ import annotations

from pathlib import Path

from pipelines import sql, store

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture(folder: str, name: str) -> Path:
    return FIXTURES / folder / name


def metric_values(db: Path, **where: str) -> dict[tuple, float | None]:
    """{(app, platform, country, date-iso, metric, source): value} for rows matching `where`."""
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select app, platform, country, strftime(date, '%Y-%m-%d'), metric, value, source "
            "from daily_metrics "
            "where ($app is null or app = $app) and ($country is null or country = $country) "
            "and ($metric is null or metric = $metric)",
            app=where.get("app"),
            country=where.get("country"),
            metric=where.get("metric"),
        )
    return {(a, p, c, d, m, s): v for a, p, c, d, m, v, s in rows}


def one(db: Path, app: str, country: str, date: str, metric: str) -> float | None:
    """The single stored value of one series day (fails if absent or ambiguous)."""
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select value from daily_metrics where app = $app and country = $country "
            "and date = $date::date and metric = $metric",
            app=app,
            country=country,
            date=date,
            metric=metric,
        )
    assert len(rows) == 1, f"{app}/{country}/{date}/{metric}: {rows}"
    return rows[0][0]


def count_rows(db: Path, metric: str | None = None) -> int:
    with store.connect(db) as con:
        return int(
            sql.run_text(
                con,
                "select count(*) from daily_metrics where $metric is null or metric = $metric",
                metric=metric,
            )[0][0]
        )
