"""App Store Connect Analytics Reports API: "App Store Installation and Deletion" (Standard and
Detailed) daily segments, `.txt.gz` (sources.prepare gunzips) or plain text.

TAB-separated, one header row, long and multi-dimensional: installs and deletions are rows
(`Event`), split by app version, device, source, page, territory... Columns are found by header
name (the order differs between Standard, Detailed and over time). Per (Date, app, Territory):

    installs              sum(Counts) where Event = Install and Download Type in
                          (First-time download, Redownload)
    first_time_downloads  ... Download Type = First-time download
    redownloads           ... Download Type = Redownload
    updates               ... Download Type = Manual update
    restores              ... Download Type = Restore
    uninstalls            sum(Counts) where Event = Delete

`Counts` (events of opted-in users) is used, never `Unique Devices`. Identical rows (the same
segment delivered twice, or two instances concatenated) are counted once: full rows are
de-duplicated before summing. A repeated header line (segments concatenated with
`cat a.txt.gz b.txt.gz`) is skipped. An aggregated value's line is its first contributing line.
"""

from __future__ import annotations

import duckdb

from pipelines import sql
from pipelines.adapters import csvtext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged
from pipelines.errors import ImportFailed, Problem

REQUIRED = ("date", "app_apple_identifier", "event", "download_type", "territory", "counts")
INSTALL_TYPES: dict[str, tuple[str, ...]] = {
    "first-time download": ("installs", "first_time_downloads"),
    "redownload": ("installs", "redownloads"),
    "manual update": ("updates",),
    "restore": ("restores",),
}
UNKNOWN_COUNTRY = "ZZ"
MAX_SHOWN = 10


def _header(src: SourceFile) -> tuple[list[str], list[str]]:
    header = csvtext.parse_header(src, "\t")
    return header, [csvtext.normalise_header(h) for h in header]


def _mapping_sql() -> str:
    """The fixed (download type, metric) pairs as a VALUES list of our own constants."""
    pairs = [(t, m) for t, metrics in INSTALL_TYPES.items() for m in metrics]
    return ", ".join(f"('{t}', '{m}')" for t, m in pairs)


class AppleInstallsDeletions:
    name = "apple-installs"
    label = (
        "App Store Connect 'App Store Installation and Deletion' report "
        "(Standard/Detailed, .txt.gz)"
    )
    how_to_get = (
        "App Store Connect API: POST /v1/analyticsReportRequests (accessType ONGOING) once per "
        "app, then GET .../reports?filter[name]=App Store Installation and Deletion Standard "
        "(or Detailed) -> instances?filter[granularity]=DAILY -> segments, and download each "
        "segment's url (.txt.gz). Several segments of one instance may be concatenated "
        "(cat a.txt.gz b.txt.gz > day.txt.gz) and imported as one file."
    )

    def sniff(self, src: SourceFile) -> bool:
        line = csvtext.first_line(src.head)
        if "\t" not in line:
            return False
        _, keys = _header(src)
        return all(k in keys for k in ("app_apple_identifier", "event", "download_type", "counts"))

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        header, keys = _header(src)
        problems = csvtext.duplicate_header_problems(header)
        missing = [c for c in REQUIRED if c not in keys]
        if missing:
            names = {
                "date": "Date",
                "app_apple_identifier": "App Apple Identifier",
                "event": "Event",
                "download_type": "Download Type",
                "territory": "Territory",
                "counts": "Counts",
            }
            problems.append(
                Problem(
                    f"missing column(s) {', '.join(names[m] for m in missing)} of the "
                    "App Store Installation and Deletion report.",
                    line=1,
                    hint="Import the report segment as downloaded from Apple.",
                )
            )
        if problems:
            raise ImportFailed(src.name, problems)
        rows = csvtext.read_text_table(con, src, "\t", len(header), labels=header)
        col = {k: f"c{i}" for i, k in enumerate(keys)}
        app_name = col.get("app_name", "null::varchar")
        all_cols = ", ".join(f"c{i}" for i in range(len(header)))
        # Full-row de-duplication; the repeated header of concatenated segments is dropped.
        # Only our own column identifiers (c0..cN) and fixed constants reach the SQL text.
        sql.run_text(
            con,
            f"""
            create or replace temp table apple_rows as
            select {all_cols}, min(rowid) + 2 as line, count(*) as copies
            from raw
            where not ({col["date"]} is not distinct from $date_label
                       and {col["counts"]} is not distinct from $counts_label)
            group by all""",  # noqa: S608
            date_label=header[keys.index("date")],
            counts_label=header[keys.index("counts")],
        )
        stats = sql.run_text(con, "select count(*), coalesce(sum(copies - 1), 0) from apple_rows")[
            0
        ]
        if rows == 0 or stats[0] == 0:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "no data rows (only a header).", line=1, hint="Download the segment again."
                    )
                ],
            )
        problems = self._check(con, src, header, col)
        if problems:
            raise ImportFailed(src.name, problems)
        sql.run_text(
            con,
            f"""
            create or replace temp table staging as
            with typed as (
                select line, {col["date"]} as date, {col["app_apple_identifier"]} as app,
                       {app_name} as app_name,
                       coalesce(nullif(trim({col["territory"]}), ''), '{UNKNOWN_COUNTRY}')
                           as country,
                       lower(trim({col["event"]})) as event,
                       lower(trim(coalesce({col["download_type"]}, ''))) as download_type,
                       trim({col["counts"]})::hugeint as counts
                from apple_rows
            ),
            mapping (download_type, metric) as (values {_mapping_sql()}),
            tagged as (
                select t.*, m.metric from typed t join mapping m using (download_type)
                where t.event = 'install'
                union all
                select t.*, 'uninstalls' from typed t where t.event = 'delete'
            )
            select min(line) as line, date, app, min(app_name) as app_name,
                   'ios' as platform, country, metric, sum(counts)::varchar as value,
                   'app_store_connect' as source, 'counts' as value_column
            from tagged
            group by date, app, country, metric
            order by line""",  # noqa: S608
        )
        staged = sql.run_text(con, "select count(*) from staging")[0][0]
        notices = []
        if stats[1]:
            notices.append(
                f"{stats[1]} identical row(s) were delivered more than once and counted once."
            )
        ignored = sql.run_text(
            con,
            f"""
            select lower(trim(coalesce({col["download_type"]}, ''))) as t, count(*)
            from apple_rows
            where lower(trim({col["event"]})) = 'install'
              and lower(trim(coalesce({col["download_type"]}, ''))) not in
                  (select unnest($types))
            group by t order by t""",  # noqa: S608
            types=list(INSTALL_TYPES),
        )
        for kind, count in ignored:
            notices.append(
                f"{count} Install row(s) with Download Type '{kind or '(blank)'}' are not part "
                "of any installpulse metric and were left out."
            )
        labels = {
            "date": header[keys.index("date")],
            "app": header[keys.index("app_apple_identifier")],
            "platform": "(App Store: ios)",
            "country": header[keys.index("territory")],
            "source": "(app_store_connect)",
            "counts": f"{header[keys.index('counts')]} (summed)",
        }
        return Staged(
            rows=int(staged),
            labels=labels,
            notices=notices,
            delimiter="\t",
            lines_from_records=True,
        )

    @staticmethod
    def _check(
        con: duckdb.DuckDBPyConnection, src: SourceFile, header: list[str], col: dict[str, str]
    ) -> list[Problem]:
        """Values the sums depend on, checked before summing (a sum would hide them)."""
        labels = {c: header[int(c[1:])] for c in col.values()}
        bad = sql.run_text(
            con,
            f"""
            select line, 'counts' as field, {col["counts"]} as value,
                   case when nullif(trim({col["counts"]}), '') is null
                        then 'empty Counts on an event row; the day cannot be summed.'
                        else 'Counts must be a whole number of events.' end as message
            from apple_rows
            where not regexp_full_match(coalesce(trim({col["counts"]}), ''), '\\d{{1,15}}')
            union all
            select line, 'event', {col["event"]},
                   'unknown Event (expected Install or Delete).'
            from apple_rows
            where lower(trim(coalesce({col["event"]}, ''))) not in ('install', 'delete')
            order by line
            limit {MAX_SHOWN}""",  # noqa: S608
        )
        problems = []
        for line, field, value, message in bad:
            column = labels[col[field]]
            problems.append(
                Problem(
                    message,
                    line=int(line),
                    column=column,
                    value=value,
                    hint="Download the segment again; installpulse does not guess counts.",
                )
            )
        if problems:
            mapping = csvtext.physical_lines(src.path, "\t", {p.line - 2 for p in problems})
            problems = [
                Problem(p.message, mapping.get(p.line - 2, p.line), p.column, p.value, p.hint)
                for p in problems
            ]
        return problems
