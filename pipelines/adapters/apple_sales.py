"""App Store Connect Sales and Trends: the daily SALES / SUMMARY report (gzipped TSV).

One row per SKU x country x product type x price x device...; per (Begin Date, Apple
Identifier, Country Code) installpulse sums `Units` into

    downloads     Product Type Identifier in (1, 1F, 1T)   first-time downloads ("App Units")
    redownloads   (3, 3F)
    updates       (7, 7F, 7T)

Other product types (in-app purchases, Mac apps F1/F7, custom apps 1E...) are left out with a
notice. Only DAILY reports are accepted: rows whose Begin Date differs from their End Date come
from a weekly/monthly/yearly report, and the file is refused once, naming the first such row.
The app is the Apple Identifier; the Title only names it (two apps may share a title: the
import contract then names the second "Title (identifier)"). Dates are
MM/DD/YYYY (the classic format) or YYYY-MM-DD.
"""

from __future__ import annotations

import duckdb

from pipelines import sql
from pipelines.adapters import csvtext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged
from pipelines.errors import ImportFailed, Problem

PRODUCT_TYPES: dict[str, str] = {
    "1": "downloads",
    "1F": "downloads",
    "1T": "downloads",
    "3": "redownloads",
    "3F": "redownloads",
    "7": "updates",
    "7F": "updates",
    "7T": "updates",
}
REQUIRED = {
    "units": "Units",
    "product_type_identifier": "Product Type Identifier",
    "begin_date": "Begin Date",
    "end_date": "End Date",
    "country_code": "Country Code",
    "apple_identifier": "Apple Identifier",
}
MAX_SHOWN = 10


def _header(src: SourceFile) -> tuple[list[str], list[str]]:
    header = csvtext.parse_header(src, "\t")
    return header, [csvtext.normalise_header(h) for h in header]


def _iso(column: str) -> str:
    """SQL turning a MM/DD/YYYY or YYYY-MM-DD cell into ISO text (anything else kept as is,
    so the contract reports it)."""
    return (
        f"coalesce(case when regexp_full_match(trim({column}), '\\d{{2}}/\\d{{2}}/\\d{{4}}') "
        f"then strftime(try_strptime(trim({column}), '%m/%d/%Y'), '%Y-%m-%d') end, "
        f"trim({column}))"
    )


class AppleSalesSummary:
    name = "apple-sales"
    label = "App Store Connect Sales and Trends daily summary (gzipped TSV)"
    how_to_get = (
        "App Store Connect > Payments and Financial Reports > Sales and Trends > Reports, "
        "Summary Sales, daily; or GET /v1/salesReports?filter[reportType]=SALES"
        "&filter[reportSubType]=SUMMARY&filter[frequency]=DAILY&filter[reportDate]=YYYY-MM-DD"
        "&filter[vendorNumber]=... (a .gz TSV). Import it as downloaded."
    )

    def sniff(self, src: SourceFile) -> bool:
        line = csvtext.first_line(src.head)
        if "\t" not in line:
            return False
        _, keys = _header(src)
        return all(k in keys for k in REQUIRED) and "provider" in keys

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        header, keys = _header(src)
        problems = csvtext.duplicate_header_problems(header)
        missing = [label for key, label in REQUIRED.items() if key not in keys]
        if missing:
            problems.append(
                Problem(
                    f"missing column(s) {', '.join(missing)} of the Sales and Trends summary.",
                    line=1,
                    hint="Import the SALES / SUMMARY report as downloaded.",
                )
            )
        if problems:
            raise ImportFailed(src.name, problems)
        rows = csvtext.read_text_table(con, src, "\t", len(header), labels=header)
        if rows == 0:
            raise ImportFailed(
                src.name, [Problem("no data rows (only a header).", line=1, hint="Download again.")]
            )
        col = {k: f"c{i}" for i, k in enumerate(keys)}
        title = col.get("title", "null::varchar")
        # Only our own column identifiers and constants reach the SQL text; types are bound.
        sql.run_text(
            con,
            f"""
            create or replace temp table sales_rows as
            select rowid + 2 as line,
                   {_iso(col["begin_date"])} as date,
                   {_iso(col["end_date"])} as end_date,
                   {col["begin_date"]} as begin_text,
                   {col["end_date"]} as end_text,
                   trim({col["apple_identifier"]}) as app,
                   {title} as app_name,
                   trim({col["country_code"]}) as country,
                   upper(trim({col["product_type_identifier"]})) as product_type,
                   trim({col["units"]}) as units
            from raw""",  # noqa: S608
        )
        problems = self._check(con, src, header, keys)
        if problems:
            raise ImportFailed(src.name, problems)
        mapping = ", ".join(f"('{t}', '{m}')" for t, m in PRODUCT_TYPES.items())
        sql.run_text(
            con,
            f"""
            create or replace temp table staging as
            with mapping (product_type, metric) as (values {mapping})
            select min(line) as line, date, app, min(app_name) as app_name,
                   'ios' as platform, country, metric,
                   sum(units::hugeint)::varchar as value,
                   'app_store_connect' as source, 'units' as value_column
            from sales_rows join mapping using (product_type)
            group by date, app, country, metric
            order by line""",  # noqa: S608
        )
        staged = int(sql.run_text(con, "select count(*) from staging")[0][0])
        notices = []
        others = sql.run_text(
            con,
            "select product_type, count(*) from sales_rows "
            "where product_type not in (select unnest($types)) group by 1 order by 1",
            types=list(PRODUCT_TYPES),
        )
        if others:
            listed = ", ".join(f"{t or '(blank)'} ({n})" for t, n in others)
            notices.append(
                f"rows of other product types were left out (in-app purchases, Mac or custom "
                f"apps): {listed}."
            )
        if staged == 0:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "no app download, re-download or update rows (product types 1, 1F, 1T, "
                        "3, 3F, 7, 7F, 7T) in this report.",
                        line=1,
                        hint="This report holds nothing installpulse charts.",
                    )
                ],
            )
        labels = {
            "date": header[keys.index("begin_date")],
            "app": header[keys.index("apple_identifier")],
            "platform": "(App Store: ios)",
            "country": header[keys.index("country_code")],
            "source": "(app_store_connect)",
            "units": f"{header[keys.index('units')]} (summed)",
        }
        return Staged(
            rows=staged, labels=labels, notices=notices, delimiter="\t", lines_from_records=True
        )

    @staticmethod
    def _check(
        con: duckdb.DuckDBPyConnection, src: SourceFile, header: list[str], keys: list[str]
    ) -> list[Problem]:
        """Period and Units, checked before summing (a sum would hide them)."""
        types = list(PRODUCT_TYPES)
        # A weekly/monthly/yearly report is one refusal for the file (its first such row and
        # how many there are), not one per row: every row of such a report differs.
        period = sql.run_text(
            con,
            "select min(line), arg_min(begin_text, line), arg_min(end_text, line), count(*) "
            "from sales_rows where date is distinct from end_date",
        )[0]
        if period[3]:
            line, begin, end, count = period
            mapping = csvtext.physical_lines(src.path, "\t", {int(line) - 2})
            return [
                Problem(
                    f"this is a weekly, monthly or yearly report, not a daily one: Begin Date "
                    f"{begin} and End Date {end} differ ({count} row(s) cover more than one "
                    "day), so its units are not one day's. The whole file is refused.",
                    mapping.get(int(line) - 2, int(line)),
                    header[keys.index("end_date")],
                    end,
                    "Download the DAILY report (frequency=DAILY) for each day.",
                )
            ]
        bad = sql.run_text(
            con,
            """
            select line, 'units', units, 'Units must be a whole number.'
            from sales_rows
            where product_type in (select unnest($types))
              and not regexp_full_match(coalesce(units, ''), '-?\\d{1,15}')
            order by 1
            limit $limit""",
            types=types,
            limit=MAX_SHOWN,
        )
        problems = []
        for line, field, value, message in bad:
            hint = "Download the report again; installpulse does not guess units."
            problems.append(Problem(message, int(line), header[keys.index(field)], value, hint))
        if problems:
            mapping = csvtext.physical_lines(src.path, "\t", {p.line - 2 for p in problems})
            problems = [
                Problem(p.message, mapping.get(p.line - 2, p.line), p.column, p.value, p.hint)
                for p in problems
            ]
        return problems
