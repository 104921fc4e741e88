"""Google Play Console statistics "installs" reports: `installs_<package>_<YYYYMM>_<dim>.csv`.

Play writes these UTF-16LE with a BOM (sources.prepare has already decoded them to UTF-8),
comma-separated, one header row, long by (date, dimension value). Only the `_overview`
(worldwide, staged as country WW) and `_country` files become series; the other breakdowns
(device, language, app version, OS version, carrier) are refused with a sentence, because a
day's total over them is already in the overview file and installpulse has no such dimension.

Two eras of columns. Files before December 2016 carry the levels `Current Device Installs` and
`Current User Installs` (devices / users with the app installed, including devices inactive for
months); Play replaced them with `Active Device Installs` (active in the last 30 days) in
September 2016 and dropped them on 2016-12-01. They are imported as their own level metrics,
never folded into `active_devices` (another definition).

Columns Play stopped filling. Play kept writing some columns after it stopped computing them,
as `0` instead of leaving them out: `Total User Installs` from 2018-07-17 (the cumulative count
was discontinued; Appfigures' note "Starting July 17th, Google stopped providing the all-time
metric", Play Console help answer 7003402 #cumulative_installs), `Daily Device Uninstalls` and
`Daily Device Upgrades` from 2019-07-29 (the July 2019 metric overhaul, help answer 9419939:
"Uninstalls by device" and "Updates by device" became new Device metrics). In a file, such a
column whose every cell from that day on is 0 or blank is "not reported" there: those days are
staged as NULL (unknown) with a notice, never as measured zeros. A deprecated column with any
other value after its day is imported as it is.

Warehouse copies. The same report loaded into a warehouse by a connector (Fivetran's
`stats_installs_overview` / `stats_installs_country` tables: snake_case headers such as
`package_name`, `daily_device_installs`, whole numbers written `16449.0`, many months and apps
in one table) is read the same way, as CSV or Parquet (sources.prepare), its bookkeeping
columns (`_file`, `_line`, `_modified`, `_fivetran_synced`) ignored.

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
    # Before December 2016 (levels, schema v006).
    "current_device_installs": "current_device_installs",
    "current_user_installs": "current_user_installs",
}
# Columns Play still writes as 0 after it stopped computing them: the first day without data
# (sources in the module docstring).
DEPRECATED: dict[str, str] = {
    "total_user_installs": "2018-07-17",
    "daily_device_uninstalls": "2019-07-29",
    "daily_device_upgrades": "2019-07-29",
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


def _not_reported(
    con: duckdb.DuckDBPyConnection, keys: list[str], date_col: str
) -> dict[str, tuple[str, int]]:
    """The deprecated columns that hold only 0 or blank from their cutoff day on in this file:
    {key: (first such day, number of such days)}. A column with any other value there (a
    non-zero count, or text the contract will refuse) is imported as it is."""
    found: dict[str, tuple[str, int]] = {}
    for key, cutoff in DEPRECATED.items():
        if key not in keys:
            continue
        col = f"c{keys.index(key)}"
        # Only our own column identifiers reach the SQL text; the cutoff is bound.
        first, days, other = sql.run_text(
            con,
            f"""
            select min(trim({date_col})), count(distinct trim({date_col})),
                   count(*) filter (where nullif(trim({col}), '') is not null
                                      and try_cast(trim({col}) as double) is distinct from 0)
            from raw where trim({date_col}) >= $cutoff""",  # noqa: S608
            cutoff=cutoff,
        )[0]
        if days and not other:
            found[key] = (first, int(days))
    return found


class GooglePlayInstalls:
    name = "google-play-installs"
    label = "Google Play installs report (installs_<package>_<YYYYMM>_overview/country.csv)"
    how_to_get = (
        "Play Console > Download reports > Statistics > pick the app, month and 'Installs'; "
        "or copy stats/installs/installs_<package>_<YYYYMM>_country.csv (or _overview.csv) "
        "from the gs://pubsite_prod_... bucket. Import the file as downloaded (UTF-16). "
        "Files of every era are read (before December 2016: Current Device/User Installs). "
        "A warehouse copy (Fivetran's stats_installs_overview / _country table) as CSV or "
        "Parquet works too."
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
            if k not in METRICS
            and k not in ("date", "package_name")
            and not csvtext.is_bookkeeping(h)
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
        silent = _not_reported(con, keys, date_col)
        unions = []
        for i, key in enumerate(keys):
            if key not in METRICS:
                continue
            value = f"c{i}"
            if key in silent:
                # Days from the cutoff on are "not reported" (the cutoff is our own constant).
                value = f"case when trim({date_col}) >= '{DEPRECATED[key]}' then null else c{i} end"
            # Only our own column identifiers and catalogue names reach the SQL text.
            unions.append(f"""
                select rowid + 2 as line, {date_col} as date, {app_col} as app,
                       null::varchar as app_name, 'android' as platform, {country} as country,
                       '{METRICS[key]}' as metric, {value} as value, 'google_play' as source,
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
        booked = [h for h in header if csvtext.is_bookkeeping(h)]
        notices = (
            [f"ignored the loader's bookkeeping column(s) {', '.join(booked)}."] if booked else []
        )
        notices += [
            f"'{header[keys.index(key)]}' is 0 or blank on every day from {day} on ({days} "
            f"day(s) in this file): Play stopped filling it on {DEPRECATED[key]}, so those days "
            "were imported as not reported (empty), not as zeros."
            for key, (day, days) in silent.items()
        ]
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
