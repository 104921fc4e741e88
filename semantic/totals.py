"""Totals: how the stored series add up to the number an analyst asks for.

The rules (README "How a number is made"; PRODUCT.md "How totals work"), per app, metric and
day, are written once, in SQL, as the table macro ``ip_totals`` (queries/schema/v004.sql),
which this module calls through ``queries/series_totals.sql`` and analysts reach through the
view ``daily_totals``:

1. **Countries.** "All countries" is a source's worldwide row (WW) where it has one for that
   platform and day, else the sum of the countries it holds - never WW plus countries.
   Chosen countries are summed as chosen (WW together with countries is refused: WW already
   contains them).
2. **Store listings.** Several identifiers of one app on one platform and source are summed.
3. **Sources.** Sources that overlap on a platform, country scope and day are never summed:
   the best one by precedence wins (the request's ``prefer``, first-party by default; any
   other source next; estimates last) and the label names the sources used.
4. **Platforms** are summed, also when each comes from its own first-party source.

A sum is only formed when every part that has ever reported a value reported that day (a
missing part is "not reported", never zero; ``missing`` names it): a day's total never depends
on the range asked for. Levels are never summed:
a level metric whose total needs more than one stored value is refused with a sentence.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from pipelines import reads, sql, store
from pipelines.errors import UsageError
from semantic.request import ESTIMATES, SeriesRequest

SERIES_KEYS = ("app", "metric", "source", "country", "platform")
WORLDWIDE = "WW"
#: More countries than this are labelled by their number ("34 countries").
MAX_NAMED_COUNTRIES = 6


def _refuse_ww_with_countries(request: SeriesRequest) -> None:
    if WORLDWIDE in request.countries and len(request.countries) > 1 and not request.by_country:
        others = "+".join(c for c in request.countries if c != WORLDWIDE)
        raise UsageError(
            f"WW (worldwide) already contains {others}: summing them would count those "
            "countries twice. Choose WW alone, or the countries without WW."
        )


def resolve(
    con: Any, request: SeriesRequest, db: Path | str | None
) -> tuple[tuple[str, ...], dict[str, str]]:
    """(display names of the apps, catalogue kind of each metric), refusing unknown ones.

    Two queries whatever the number of apps (at a page rerun, per-app lookups cost more than
    the totals themselves), on ``con``, a cursor on ``db``; none on a lake whose catalogue
    lookups are kept for its current version (`reads.app_names`)."""
    found = reads.app_names(db, con, request.apps)
    names: list[str] = []
    for app in request.apps:
        if app not in found:
            raise UsageError(
                f"Unknown app {app!r}: it is neither an app name nor a store identifier in the "
                "database; see `installpulse apps`."
            )
        if found[app] not in names:
            names.append(found[app])
    kinds = reads.kinds_of(db, con, request.metrics)
    unknown = [m for m in request.metrics if m not in kinds]
    if unknown:
        raise UsageError(f"Unknown metric(s): {', '.join(unknown)}; see `installpulse metrics`.")
    return tuple(names), kinds


def _named(countries: str) -> str:
    codes = [c for c in countries.split("+") if c and c != WORLDWIDE]
    if len(codes) > MAX_NAMED_COUNTRIES:
        return f"{len(codes)} countries"
    return "+".join(codes)


def _country_label(any_ww: bool, all_ww: bool, countries: str) -> str:
    """What "all countries" covered over the window: ``WW`` (every day a worldwide row),
    the countries summed (``DE+US``, ``34 countries``), or ``WW, else DE+US``."""
    named = _named(countries)
    if all_ww or (any_ww and not named):
        return WORLDWIDE
    if any_ww:
        return f"{WORLDWIDE}, else {named}"
    return named


def label(frame: pl.DataFrame, request: SeriesRequest) -> pl.DataFrame:
    """Turn ``ip_totals`` rows into labelled series: app, metric, source, country, platform
    (each naming what the series covers), date, value, parts, missing, cover, sources_day.

    Labels are made over the whole window read, so a series keeps one name across its days:
    ``source`` lists the sources used (``app_store_connect+google_play``), ``country`` the
    scope (``US``, ``WW``, ``DE+US``, ``34 countries``, ``WW, else DE+US`` when some days had
    no worldwide row), ``platform`` the platforms summed (``android+ios``). Per day, ``cover``
    says whether that day's number is the worldwide row (``WW``) or the countries summed."""
    group = ["app", "metric", "country_key", "platform_key"]
    labels = frame.group_by(group).agg(
        pl.col("sources").str.split("+").explode().unique().sort().str.join("+").alias("source"),
        pl.col("platforms")
        .str.split("+")
        .explode()
        .unique()
        .sort()
        .str.join("+")
        .str.strip_chars("+")
        .alias("platform_all"),
        pl.col("any_ww").any().alias("group_any_ww"),
        pl.col("all_ww").all().alias("group_all_ww"),
        pl.col("countries").first().alias("group_countries"),
    )
    labels = labels.with_columns(
        country=pl.col("country_key")
        if request.by_country
        else pl.struct("group_any_ww", "group_all_ww", "group_countries").map_elements(
            lambda r: _country_label(
                r["group_any_ww"], r["group_all_ww"], r["group_countries"] or ""
            ),
            return_dtype=pl.String,
        ),
        platform=pl.col("platform_key") if request.by_platform else pl.col("platform_all"),
    )
    out = frame.join(labels, on=group, how="left").select(
        *SERIES_KEYS,
        "date",
        pl.col("value").cast(pl.Float64),
        "parts",
        "missing",
        pl.when(pl.col("all_ww"))
        .then(pl.lit(WORLDWIDE))
        .when(pl.col("any_ww"))
        .then(pl.concat_str(pl.lit("WW / "), pl.col("countries")))
        .otherwise(pl.col("countries"))
        .alias("cover"),
        pl.col("sources").alias("sources_day"),
        "kind",
    )
    return out.sort([*SERIES_KEYS, "date"])


def _refuse_summed_levels(frame: pl.DataFrame) -> None:
    summed = frame.filter((pl.col("kind") == "level") & (pl.col("parts") > 1))
    if summed.height:
        metrics = ", ".join(sorted(set(summed.get_column("metric").to_list())))
        raise UsageError(
            f"{metrics} is a level (a daily snapshot, not a count of events): it cannot be "
            "summed over countries, platforms or store listings. Choose one country (or a "
            "source's worldwide figure) and one platform."
        )


def load(
    db: Path | str | None,
    request: SeriesRequest,
    first_day: date | None = None,
) -> tuple[pl.DataFrame, dict[str, str], tuple[str, ...]]:
    """(labelled daily totals from ``first_day`` (default the request's start) to its end,
    the metrics' kinds, the apps' display names). One connection: the names, the kinds and
    the totals query."""
    _refuse_ww_with_countries(request)
    if not request.apps or not request.metrics:
        return empty(), {}, ()
    with store.connect_totals(db) as con:
        names, kinds = resolve(con, request, db)
        frame = sql.frame(
            con,
            "series_totals",
            apps=list(names),
            metrics=list(request.metrics),
            countries=list(request.countries) or None,
            platforms=list(request.platforms) or None,
            sources=list(request.sources) or None,
            start=first_day or request.start,
            end=request.end,
            by_country=request.by_country,
            by_platform=request.by_platform,
            prefer=list(request.prefer),
            estimates=list(ESTIMATES),
        )
    if not frame.height:
        return empty(), kinds, names
    _refuse_summed_levels(frame)
    return label(frame, request), kinds, names


def empty() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            **dict.fromkeys(SERIES_KEYS, pl.String),
            "date": pl.Date,
            "value": pl.Float64,
            "parts": pl.Int32,
            "missing": pl.String,
            "cover": pl.String,
            "sources_day": pl.String,
            "kind": pl.String,
        }
    )
