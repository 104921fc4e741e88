"""Google Play Console statistics "installs" reports: `installs_<package>_<YYYYMM>_<dim>.csv`.

Play writes these UTF-16LE with a BOM (sources.prepare has already decoded them to UTF-8),
comma-separated, one header row, long by (date, dimension value). Only the `_overview`
(worldwide, staged as country WW) and `_country` files become series; the other breakdowns
(device, language, app version, OS version, carrier) are refused with a sentence, because a
day's total over them is already in the overview file and installpulse has no such dimension.

The file is read by DuckDB as text and staged with one `union all` per metric column, so a big
month file is never held in Python. Blank cells stay NULL ("not reported for this slice",
not a measured zero); a blank Country ("could not resolve") is staged as `ZZ`, the ISO 3166
user-assigned code installpulse uses for "unknown country".
"""

from __future__ import annotations

import re

import duckdb

from pipelines import sql
from pipelines.adapters import csvtext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged
from pipelines.errors import ImportFailed, Problem

# Play header (normalised) -> installpulse metric. Levels (total_user_installs,
# active_devices) are marked as levels in the metric catalogue, so they are never summed.
METRICS: dict[str, str] = {
    "daily_user_installs": "installs",
    "daily_user_uninstalls": "uninstalls",
    "daily_device_installs": "device_installs",
    "daily_device_uninstalls": "device_uninstalls",
    "daily_device_upgrades": "device_upgrades",
    "install_events": "install_events",
    "update_events": "update_events",
    "uninstall_events": "uninstall_events",
    "total_user_installs": "total_user_installs",
    "active_device_installs": "active_devices",
}
UNKNOWN_COUNTRY = "ZZ"
_FILE_NAME = re.compile(r"installs_(?P<package>.+)_(?P<month>\d{6})_(?P<dimension>[a-z_]+)\.csv$")


def _header(src: SourceFile) -> tuple[list[str], list[str]]:
    header = csvtext.parse_header(src, ",")
    return header, [csvtext.normalise_header(h) for h in header]


def _no_rows(src: SourceFile) -> ImportFailed:
    return ImportFailed(
        src.name,
        [
            Problem(
                "no data rows (only a header).",
                line=1,
                hint="Download the month again once Play has written days into it.",
            )
        ],
    )


class GooglePlayInstalls:
    name = "google-play-installs"
    label = "Google Play installs report (installs_<package>_<YYYYMM>_overview/country.csv)"
    how_to_get = (
        "Play Console > Download reports > Statistics > pick the app, month and 'Installs'; "
        "or copy stats/installs/installs_<package>_<YYYYMM>_country.csv (or _overview.csv) "
        "from the gs://pubsite_prod_... bucket. Import the file as downloaded (UTF-16)."
    )

    def sniff(self, src: SourceFile) -> bool:
        line = csvtext.first_line(src.head)
        if "," not in line:
            return False
        _, keys = _header(src)
        return "date" in keys and "package_name" in keys and any(k in METRICS for k in keys)

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        header, keys = _header(src)
        problems = csvtext.duplicate_header_problems(header)
        dimensions = [
            h
            for h, k in zip(header, keys, strict=True)
            if k not in METRICS and k not in ("date", "package_name")
        ]
        if dimensions and [csvtext.normalise_header(d) for d in dimensions] != ["country"]:
            match = _FILE_NAME.search(src.name)
            which = f"the _{match['dimension']} file" if match else "a breakdown file"
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        f"this Google Play installs report is broken down by "
                        f"{', '.join(dimensions)} ({which}); installpulse imports only the "
                        "_overview (worldwide) and _country files, and does not add up other "
                        "breakdowns into a daily total.",
                        line=1,
                        column=dimensions[0],
                        hint="Import installs_<package>_<YYYYMM>_overview.csv for worldwide "
                        "totals or ..._country.csv for one series per country.",
                    )
                ],
            )
        if "package_name" not in keys and not options.app:
            problems.append(
                Problem("missing the 'Package Name' column.", line=1, hint="Pass --app NAME.")
            )
        if problems:
            raise ImportFailed(src.name, problems)
        rows = csvtext.read_text_table(con, src, ",", len(header), labels=header)
        if rows == 0:
            raise _no_rows(src)
        date_col = f"c{keys.index('date')}"
        app_col = f"c{keys.index('package_name')}" if "package_name" in keys else "null::varchar"
        if "country" in keys:
            # Blank Country = installs Play could not place: ZZ (user-assigned "unknown").
            country = f"coalesce(nullif(trim(c{keys.index('country')}), ''), '{UNKNOWN_COUNTRY}')"
        else:
            country = "'WW'"
        unions = []
        for i, key in enumerate(keys):
            if key not in METRICS:
                continue
            # Only our own column identifiers and catalogue names reach the SQL text.
            unions.append(f"""
                select rowid + 2 as line, {date_col} as date, {app_col} as app,
                       null::varchar as app_name, 'android' as platform, {country} as country,
                       '{METRICS[key]}' as metric, c{i} as value, 'google_play' as source,
                       'c{i}' as value_column
                from raw""")  # noqa: S608
        sql.run_text(con, "create or replace temp view staging as " + " union all ".join(unions))
        labels = {
            "date": header[keys.index("date")],
            "app": header[keys.index("package_name")] if "package_name" in keys else None,
            "platform": "(Google Play: android)",
            "country": header[keys.index("country")] if "country" in keys else "(overview: WW)",
            "source": "(google_play)",
        }
        labels.update({f"c{i}": header[i] for i, k in enumerate(keys) if k in METRICS})
        labels = {k: v for k, v in labels.items() if v is not None}
        notices = []
        if "country" in keys:
            country_col = f"c{keys.index('country')}"
            blank = sql.run_text(
                con,
                # Our own column identifier only.
                f"select count(*) from raw where nullif(trim({country_col}), '') is null",  # noqa: S608
            )[0][0]
            if blank:
                notices.append(
                    f"{blank} row(s) with a blank Country (installs Play could not place) "
                    f"were imported as country {UNKNOWN_COUNTRY} (unknown)."
                )
        return Staged(
            rows=rows * len(unions),
            labels=labels,
            notices=notices,
            delimiter=",",
            lines_from_records=True,
        )
