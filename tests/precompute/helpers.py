"""Shared by the precompute tests: a seeded generic long CSV, and the stored tables next to a
fresh computation of them."""

from __future__ import annotations

import csv
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from analytics import spikes
from pipelines import contract, precompute, sql, store

D0 = date(2025, 6, 2)
APPS = ("Alpha", "Beta", "Gamma")
COUNTRIES = ("US", "DE")


def write_csv(
    path: Path,
    days: range,
    *,
    apps: tuple[str, ...] = APPS,
    countries: tuple[str, ...] = COUNTRIES,
    seed: int = 7,
    bump: float = 0.0,
) -> Path:
    """Uninstalls per app, country and day: weekly seasonal for Alpha, spikes, a few gaps.
    ``bump`` adds to every value (a restatement with other numbers)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["date", "app", "platform", "country", "metric", "value", "source"])
        for app in apps:
            for country in countries:
                for i in days:
                    d = D0 + timedelta(days=i)
                    noise = rng.gauss(0, 0.05)
                    if app == "Gamma" and i % 37 == 5:
                        continue  # a gap: the day is not observed
                    level = 1000.0 * (1.7 if app == "Alpha" and d.weekday() >= 5 else 1.0)
                    spike = 5000.0 if rng.random() < 0.03 else 0.0
                    value = round(level * (1 + noise) + spike + bump)
                    out.writerow(
                        [d.isoformat(), app, "android", country, "uninstalls", value, "demo"]
                    )
    return path


def ingest(path: Path, db: Path) -> int:
    return contract.ingest_file(path, db).import_id


def stored(db: Path) -> pl.DataFrame:
    with store.connect(db) as con:
        frame = pl.DataFrame(con.sql("select * from spike_scores order by series_id, date"))
    return frame


def fresh(db: Path) -> pl.DataFrame:
    """What the stored scores must be, computed from scratch without the incremental code:
    every series' whole history scored by spikes.score(weekday_aware="trailing"), kept from
    the newest day minus STORED_DAYS - 1 on."""
    with store.connect(db) as con:
        values = pl.DataFrame(
            con.sql("select series_id, date, value::double as value from observations")
        )
    if not values.height:
        return stored(db).clear()
    horizon = values["date"].max() - timedelta(days=precompute.STORED_DAYS - 1)
    scored = spikes.score(values, window=28, keys=["series_id"], weekday_aware="trailing").filter(
        pl.col("date") >= horizon
    )
    return scored.select(
        pl.col("series_id").cast(pl.Int32),
        "date",
        "value",
        "score",
        "median",
        "mad",
        pl.col("score_obs").cast(pl.Int32),
        "is_weekday_aware",
    ).sort("series_id", "date")


def rankings(db: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    with store.connect(db) as con:
        movers = pl.DataFrame(con.sql("select * from overview_movers order by days, method, rank"))
        found = pl.DataFrame(
            con.sql(
                "select * from overview_episodes order by end_date desc, abs(peak_score) desc, "
                "series_id"
            )
        )
    return movers, found


def rebuilt_rankings(db: Path, tmp: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rankings of a copy of ``db`` rebuilt from scratch (`precompute --all`)."""
    store.release_all()
    copy = tmp / f"rebuilt-{db.stem}.duckdb"
    shutil.copyfile(db, copy)
    precompute.rebuild_all(copy)
    out = rankings(copy)
    store.release_all()
    return out


def assert_equal_to_fresh(db: Path, tmp: Path) -> None:
    got = stored(db)
    want = fresh(db)
    assert got.height == want.height
    assert got.equals(want), got.join(want, on=["series_id", "date"], how="anti")
    movers, found = rankings(db)
    want_movers, want_found = rebuilt_rankings(db, tmp)
    assert movers.equals(want_movers)
    assert found.equals(want_found)


def touched_rows(db: Path, import_id: int) -> int:
    """Rows the after-write step writes for an import (run again, in a rolled-back
    transaction: the count of the recomputation the import itself made)."""
    with store.write_lock, store.connect(db) as con:
        con.execute("begin")
        con.fetchall()
        try:
            return precompute.refresh(con, precompute.touched(con, import_id))
        finally:
            con.execute("rollback")
            con.fetchall()


def series_id(
    db: Path, app: str, country: str, metric: str = "uninstalls", platform: str = "android"
) -> int:
    with store.connect(db) as con:
        return sql.run_text(
            con,
            "select s.series_id from series s join identifiers i using (identifier) "
            "join apps a using (app_id) where a.name = $app and s.country = $country "
            "and s.metric = $metric and s.platform = $platform",
            app=app,
            country=country,
            metric=metric,
            platform=platform,
        )[0][0]
