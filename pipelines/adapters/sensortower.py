"""Sensor Tower API `{os}/sales_report_estimates` responses (downloads and revenue estimates).

A JSON array of flat records, one per app x country x date:

    iOS      {"aid": 6448311069, "cc": "US", "d": "2026-02-28", "iu": 152300, "ir": 9120000,
              "au": 8100, "ar": 410000}      iu/au iPhone/iPad downloads, ir/ar revenue in cents
    Android  {"aid": "com.example.chat", "c": "US", "d": "2026-02-28", "u": 98000, "r": 5100000}

    unified {"app_id": "5ba4585f539ce75b97db6bcb", "country": "US", "date": "2026-02-28",
              "android_units": 98000, "android_revenue": 5100000, "iphone_units": 152300,
              "iphone_revenue": 9120000, "ipad_units": 8100, "ipad_revenue": 410000,
              "unified_units": 258400, "unified_revenue": 14630000}

downloads = iu + au (iOS) or u (Android); revenue_usd = (ir + ar) / 100 or r / 100, kept exact
as a decimal string. A `unified` record is stored per platform, under its unified app id:
android = android_units / android_revenue, ios = iphone_* + ipad_*; `unified_units` and
`unified_revenue` (the platforms' sum) are never stored - the totals add the platforms, and a
unified series on top would count every download twice. A record whose unified figure differs
from its platforms' sum is noted. A part that is missing or null makes the sum NULL (an
unknown part is not zero). Estimates are their own source (`sensortower`), so they never mix
with store numbers. Only daily requests (date_granularity=daily) are accepted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb
import polars as pl

from pipelines.adapters import jsontext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged, stage_frame
from pipelines.errors import ImportFailed, Problem

IOS = {"downloads": ("iu", "au"), "revenue_usd": ("ir", "ar")}
ANDROID = {"downloads": ("u",), "revenue_usd": ("r",)}
UNIFIED = {
    "android": {"downloads": ("android_units",), "revenue_usd": ("android_revenue",)},
    "ios": {
        "downloads": ("iphone_units", "ipad_units"),
        "revenue_usd": ("iphone_revenue", "ipad_revenue"),
    },
}
UNIFIED_KEYS = ("android_units", "iphone_units", "ipad_units", "unified_units")


def _sum(record: dict, keys: tuple[str, ...], cents: bool) -> tuple[str | None, str]:
    """(value text, value_column key) of one metric: exact sum, NULL if a part is unknown,
    the offending raw text when a part is not a number (so the contract reports it)."""
    parts: list[Any] = [record.get(k) for k in keys]
    for key, part in zip(keys, parts, strict=True):
        if part is not None and (isinstance(part, bool) or not isinstance(part, int | Decimal)):
            return jsontext.as_text(part), key
    if any(p is None for p in parts):
        return None, "+".join(keys)
    total = sum(Decimal(p) for p in parts)
    if cents:
        return str(total.scaleb(-2)), "+".join(keys)
    return str(total), "+".join(keys)


class SensorTowerEstimates:
    name = "sensortower"
    label = (
        "Sensor Tower API sales_report_estimates JSON (iOS iu/au/ir/ar, Android u/r, or "
        "unified android_/iphone_/ipad_units and _revenue)"
    )
    how_to_get = (
        "GET https://api.sensortower.com/v1/{ios|android|unified}/sales_report_estimates?app_ids=..."
        "&countries=US,DE&date_granularity=daily&start_date=YYYY-MM-DD&end_date=YYYY-MM-DD"
        "&auth_token=...; save the JSON response as a .json file (daily granularity, about "
        "one week per request)."
    )

    def sniff(self, src: SourceFile) -> bool:
        head = src.head.lstrip()
        if not head.startswith("["):
            return False
        start = head[:2000]
        if any(f'"{k}"' in start for k in UNIFIED_KEYS) and '"date"' in start:
            return True
        return '"aid"' in start and '"d"' in start and ('"iu"' in start or '"u"' in start)

    @staticmethod
    def _unified(record: dict, at: int, day: Any, rows: dict[str, list]) -> bool:
        """Stage one unified record per platform; False when its unified figures differ from
        the sum of its platforms (the platforms are staged either way)."""
        sums: dict[str, Decimal] = {}
        for platform, mapping in UNIFIED.items():
            for metric, keys in mapping.items():
                if not any(k in record for k in keys):
                    continue
                value, column = _sum(record, keys, cents=metric == "revenue_usd")
                rows["line"].append(at)
                rows["date"].append(jsontext.as_text(day))
                rows["app"].append(jsontext.as_text(record.get("app_id")))
                rows["platform"].append(platform)
                rows["country"].append(jsontext.as_text(record.get("country")))
                rows["metric"].append(metric)
                rows["value"].append(value)
                rows["value_column"].append(column)
                parts = [record.get(k) for k in keys]
                if all(isinstance(p, int | Decimal) and not isinstance(p, bool) for p in parts):
                    sums[metric] = sums.get(metric, Decimal(0)) + sum(Decimal(p) for p in parts)
        for metric, key in (("downloads", "unified_units"), ("revenue_usd", "unified_revenue")):
            total = record.get(key)
            if isinstance(total, int | Decimal) and not isinstance(total, bool):
                if metric in sums and Decimal(total) != sums[metric]:
                    return False
        return True

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        data, by_line = jsontext.load(src)
        where = "line" if by_line else "record number"
        if not isinstance(data, list) or not data:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "expected a non-empty JSON array of estimate records.",
                        line=1,
                        hint="Save the sales_report_estimates response as it came.",
                    )
                ],
            )
        rows: dict[str, list] = {
            k: []
            for k in (
                "line",
                "date",
                "app",
                "platform",
                "country",
                "metric",
                "value",
                "value_column",
            )
        }
        problems: list[Problem] = []
        dates: list[tuple[str, int]] = []
        unified_records = 0
        mismatched: list[int] = []
        for position, record in enumerate(data, start=1):
            if not isinstance(record, jsontext.LinedDict):
                problems.append(
                    Problem(
                        f"record {position} is not a JSON object.", value=jsontext.as_text(record)
                    )
                )
                continue
            at = jsontext.record_position(record, by_line)
            if any(k in record for k in UNIFIED_KEYS):
                unified_records += 1
                day = jsontext.day_text(record.get("date"))
                dates.append((day, at))
                if not self._unified(record, at, day, rows):
                    mismatched.append(at)
                continue
            ios = any(k in record for k in ("iu", "au", "ir", "ar", "cc"))
            mapping = IOS if ios else ANDROID
            country = record.get("cc") if ios else record.get("c")
            day = jsontext.day_text(record.get("d"))
            dates.append((day, at))
            for metric, keys in mapping.items():
                if not any(k in record for k in keys):
                    continue
                value, column = _sum(record, keys, cents=metric == "revenue_usd")
                rows["line"].append(at)
                rows["date"].append(jsontext.as_text(day))
                rows["app"].append(jsontext.as_text(record.get("aid")))
                rows["platform"].append("ios" if ios else "android")
                rows["country"].append(jsontext.as_text(country))
                rows["metric"].append(metric)
                rows["value"].append(value)
                rows["value_column"].append(column)
        if problems:
            raise ImportFailed(src.name, problems)
        if not rows["line"]:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "no download or revenue fields (iu, au, ir, ar, u, r, or the unified "
                        "android_/iphone_/ipad_units and _revenue) in any record.",
                        line=1,
                    )
                ],
            )
        jsontext.check_daily(src, dates, "estimates response")
        n = len(rows["line"])
        frame = pl.DataFrame(
            {**rows, "app_name": [None] * n, "source": ["sensortower"] * n},
            schema_overrides={"app_name": pl.String, "value": pl.String},
        )
        stage_frame(con, frame)
        suffix = f" [{where}]" if not by_line else ""
        labels = {
            "date": ("date" if unified_records else "d") + suffix,
            "app": ("app_id" if unified_records else "aid") + suffix,
            "platform": "(from the fields: ios/android)",
            "country": ("country" if unified_records else "cc / c") + suffix,
            "source": "(sensortower)",
        }
        for key in ("iu+au", "ir+ar", "u", "r", "iu", "au", "ir", "ar"):
            labels[key] = key + (" (cents)" if "r" in key else "") + suffix
        for metrics in UNIFIED.values():
            for keys in metrics.values():
                key = "+".join(keys)
                labels[key] = key + (" (cents)" if "revenue" in key else "") + suffix
                for part in keys:
                    labels[part] = part + (" (cents)" if "revenue" in part else "") + suffix
        notices = (
            []
            if by_line
            else ["the JSON is on one line, so problems name the record number, not the line."]
        )
        if unified_records:
            notices.append(
                f"{unified_records} unified record(s) stored per platform (android; ios = "
                "iPhone + iPad); unified_units and unified_revenue, their sum, are not stored."
            )
        if mismatched:
            shown = ", ".join(str(x) for x in mismatched[:5])
            notices.append(
                f"{len(mismatched)} unified record(s) ({where} {shown}) give a unified_units or "
                "unified_revenue other than the sum of their platforms; the platforms were "
                "stored."
            )
        return Staged(rows=n, labels=labels, notices=notices)
