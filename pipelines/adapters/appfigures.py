"""Appfigures API `/reports/sales` JSON, nested by the requested `group_by` pivots.

    group_by=dates,products  ->  {"2026-02-28": {"40123456": {"downloads": 1520, ...}}}

The nesting order is whatever the user asked for, so each level is recognised by its keys:
ISO dates (`2026-02-28`), numeric product ids, or two-letter country codes. A level of any
other kind (stores, device) is refused: installpulse has no such dimension. The innermost
objects hold the metrics; installpulse takes downloads, uninstalls (where the store reports
them), re_downloads, updates, net_downloads, and revenue. Without a countries level the country
comes from --country (default WW); without a products level the app from the record's product,
or --app. Source `appfigures` keeps these apart from store-reported series. Only daily
granularity is accepted.

Platform: each product's own `store` (`apple` -> ios, `google_play` -> android), so one answer
may hold products of both stores; --platform only for products whose store the answer does not
give. A product of another store (Amazon, Windows...) or of no stated store without --platform
is refused, naming it, never stored as platform "unknown".

Revenue is in the account's currency, which the answer must state (`currency` on the record,
its product, or the top level of the answer): it is stored as `revenue_<currency>` (USD ->
revenue_usd). A currency with no such metric in the catalogue refuses the file with the command
that adds it; an answer that states no currency has its revenue left out with a notice - it is
never taken to be US dollars.
"""

from __future__ import annotations

import re
from typing import Any

import duckdb
import polars as pl

from pipelines import sql
from pipelines.adapters import jsontext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged, stage_frame
from pipelines.errors import ImportFailed, Problem

METRICS = {
    "downloads": "downloads",
    "uninstalls": "uninstalls",
    "re_downloads": "re_downloads",
    "updates": "updates",
    "net_downloads": "net_downloads",
    "revenue": "revenue",  # -> revenue_<currency>, see the module docstring
}
_CURRENCY = re.compile(r"[A-Za-z]{3}")
STORES = {"apple": "ios", "ios": "ios", "google_play": "android", "android": "android"}
_SHAPES = (
    ("dates", re.compile(r"\d{4}-\d{2}-\d{2}")),
    ("products", re.compile(r"\d+")),
    ("countries", re.compile(r"[A-Z]{2}|WW")),
)


def _shape(keys: list[str]) -> str | None:
    for name, pattern in _SHAPES:
        if keys and all(pattern.fullmatch(k) for k in keys):
            return name
    return None


def _is_leaf(obj: dict) -> bool:
    return any(k in obj and not isinstance(obj[k], dict) for k in METRICS)


class AppfiguresSales:
    name = "appfigures"
    label = "Appfigures /reports/sales JSON (nested by dates, products, countries)"
    how_to_get = (
        "GET https://api.appfigures.com/v2/reports/sales?group_by=dates,products,countries"
        "&granularity=daily&start_date=YYYY-MM-DD&end_date=YYYY-MM-DD&products=...; save the "
        "JSON response as a .json file."
    )

    def sniff(self, src: SourceFile) -> bool:
        head = src.head.lstrip()
        return head.startswith("{") and ('"net_downloads"' in head or '"re_downloads"' in head)

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        data, by_line = jsontext.load(src)
        if not isinstance(data, jsontext.LinedDict):
            raise ImportFailed(
                src.name, [Problem("expected a JSON object (the sales report).", line=1)]
            )
        leaves: list[tuple[dict[str, str], jsontext.LinedDict]] = []
        problems: list[Problem] = []
        levels: set[str] = set()
        # The answer's own currency, if it states one next to the pivots.
        top_currency = data.get("currency") if isinstance(data.get("currency"), str) else None
        if top_currency is not None:
            del data["currency"]
        self._walk(data, {}, leaves, problems, levels, by_line)
        if problems:
            raise ImportFailed(src.name, problems[:10], total=len(problems))
        if "dates" not in levels:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "the report is not broken down by date, so it has no daily values.",
                        line=1,
                        hint="Request it with group_by=dates (plus products, "
                        "countries) and granularity=daily.",
                    )
                ],
            )
        rows: dict[str, list] = {
            k: []
            for k in (
                "line",
                "date",
                "app",
                "app_name",
                "platform",
                "country",
                "metric",
                "value",
                "value_column",
            )
        }
        dates: list[tuple[str, int]] = []
        no_currency = 0
        currencies: dict[str, int] = {}
        known = {r[0] for r in sql.run_text(con, "select metric from metrics")}
        for keys, leaf in leaves:
            at = jsontext.record_position(leaf, by_line)
            product = leaf.get("product") if isinstance(leaf.get("product"), dict) else {}
            app = (
                keys.get("products")
                or jsontext.as_text(leaf.get("product_id") or product.get("id"))
                or options.app
            )
            store = str(product.get("store") or leaf.get("store") or "").lower()
            platform = STORES.get(store) or options.platform
            if platform is None:
                problems.append(
                    Problem(
                        f"product {app} is "
                        + (f"on the store '{store}'" if store else "of no stated store")
                        + ", so its platform is unknown.",
                        line=at,
                        value=store or None,
                        hint="installpulse reads Apple (ios) and Google Play (android) "
                        "products; request the products with their store (the product "
                        "object), or pass --platform.",
                    )
                )
                continue
            currency = next(
                (
                    c
                    for c in (leaf.get("currency"), product.get("currency"), top_currency)
                    if isinstance(c, str) and c.strip()
                ),
                None,
            )
            dates.append((keys["dates"], at))
            for field, metric in METRICS.items():
                if field not in leaf:
                    continue
                if field == "revenue":
                    if currency is None:
                        no_currency += 1
                        continue
                    code = currency.strip().upper()
                    metric = f"revenue_{code.lower()}"
                    if not _CURRENCY.fullmatch(code) or metric not in known:
                        currencies[code] = currencies.get(code, 0) + 1
                        continue
                rows["line"].append(at)
                rows["date"].append(keys["dates"])
                rows["app"].append(app)
                rows["app_name"].append(jsontext.as_text(product.get("name")))
                rows["platform"].append(platform)
                rows["country"].append(keys.get("countries") or options.country or "WW")
                rows["metric"].append(metric)
                rows["value"].append(jsontext.as_text(leaf[field]))
                rows["value_column"].append(field)
        if problems:
            raise ImportFailed(src.name, problems[:10], total=len(problems))
        if currencies:
            code, count = sorted(currencies.items())[0]
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        f"revenue is in {code} ({count} record(s)), and the catalogue has no "
                        f"metric revenue_{code.lower()}; installpulse never converts or relabels "
                        "a currency.",
                        value=code,
                        hint=f"Add it once: installpulse metrics add revenue_{code.lower()} "
                        f"--kind event --unit {code} --decimal --signed, then import again.",
                    )
                ],
            )
        if not rows["line"]:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "no metric fields (downloads, re_downloads, updates, ...) found.", line=1
                    )
                ],
            )
        jsontext.check_daily(src, dates, "sales report")
        n = len(rows["line"])
        frame = pl.DataFrame(
            {**rows, "source": ["appfigures"] * n},
            schema_overrides={"app_name": pl.String, "value": pl.String, "app": pl.String},
        )
        stage_frame(con, frame)
        suffix = "" if by_line else " [record number]"
        labels = {
            "date": "date key" + suffix,
            "app": "product" + suffix,
            "platform": "(product store)",
            "country": ("country key" if "countries" in levels else "(--country or WW)") + suffix,
            "source": "(appfigures)",
        }
        labels.update({field: field + suffix for field in METRICS})
        notices = [f"nesting read as {' > '.join(sorted(levels))}."]
        if no_currency:
            notices.append(
                f"revenue of {no_currency} record(s) was left out: the answer does not state its "
                "currency (a `currency` field), and installpulse never assumes US dollars."
            )
        if not by_line:
            notices.append("the JSON is on one line, so problems name the record number.")
        return Staged(rows=n, labels=labels, notices=notices)

    def _walk(
        self,
        obj: Any,
        keys: dict[str, str],
        leaves: list[tuple[dict[str, str], jsontext.LinedDict]],
        problems: list[Problem],
        levels: set[str],
        by_line: bool,
    ) -> None:
        if not isinstance(obj, jsontext.LinedDict):
            problems.append(
                Problem(
                    "expected an object of metrics or of a group_by level.",
                    value=jsontext.as_text(obj),
                )
            )
            return
        if _is_leaf(obj):
            leaves.append((dict(keys), obj))
            return
        at = jsontext.record_position(obj, by_line)
        shape = _shape(list(obj))
        if shape is None:
            sample = ", ".join(list(obj)[:4])
            problems.append(
                Problem(
                    "this level's keys are neither dates, numeric product ids nor two-letter "
                    "country codes (a stores or device breakdown?).",
                    line=at,
                    value=sample,
                    hint="Request group_by from dates, products and countries only.",
                )
            )
            return
        if shape in keys:
            problems.append(
                Problem(f"two nested levels of {shape}.", line=at, value=", ".join(list(obj)[:4]))
            )
            return
        levels.add(shape)
        for key, value in obj.items():
            self._walk(value, {**keys, shape: key}, leaves, problems, levels, by_line)
