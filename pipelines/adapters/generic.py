"""Generic long and wide CSV: the formats analysts write by hand or export from a notebook.

Long:  date, app, [platform], [country], metric, value, [source]
Wide:  date, app, [platform], [country], [source], <one column per metric>

Headers are matched case- and space-insensitively; the delimiter is sniffed among , ; TAB;
the file is read by DuckDB as text and every value is checked by the import contract. Both
layouts may also arrive as Parquet (sources.prepare turns it into this CSV text); a warehouse
loader's bookkeeping columns (`_fivetran_synced`, `_file`...) are left out.
"""

from __future__ import annotations

import re

import duckdb

from pipelines import sql
from pipelines.adapters import csvtext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged
from pipelines.errors import ImportFailed, Problem, clip

KEY_COLUMNS = ("date", "app", "platform", "country", "source")
LONG_COLUMNS = ("date", "app", "platform", "country", "metric", "value", "source")


_ANY_DELIMITER = re.compile(r"[,;\t|]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
PREAMBLE_LINES = 20


def _loose_keys(line: str) -> set[str]:
    """Header keys whatever the delimiter: lets a generic adapter claim a file whose header is
    plainly ours but broken (ambiguous delimiter, missing column) and explain what is wrong."""
    return {csvtext.normalise_header(p.strip().strip('"')) for p in _ANY_DELIMITER.split(line)}


def _preamble(src: SourceFile) -> tuple[int, str] | None:
    """(line, text) of a header that sits below title/preamble lines, or None.

    Rule: the header must be the first non-blank line. A report title or 'Generated on' lines
    above it are refused naming both lines, never skipped by a guess about where data starts.
    """
    lines = _LINE_BREAK.split(src.head)[:PREAMBLE_LINES]
    first = next((i for i, text in enumerate(lines) if text.strip()), None)
    if first is None or "date" in _loose_keys(lines[first]):
        return None
    for i in range(first + 1, len(lines)):
        keys = _loose_keys(lines[i])
        if "date" in keys and len(keys) >= 3:
            return i + 1, lines[i]
    return None


def _check_preamble(src: SourceFile) -> None:
    found = _preamble(src)
    if found is None:
        return
    line, text = found
    first = csvtext.first_line(src.head)
    raise ImportFailed(
        src.name,
        [
            Problem(
                f"is not the header: the header ('{text[:60]}') is on line {line}; "
                "title or preamble lines above the header are not read.",
                line=1,
                value=first[:80],
                hint=f"Delete lines 1 to {line - 1} so the header is the first line.",
            )
        ],
    )


def _header(src: SourceFile) -> tuple[str, list[str], list[str]]:
    delimiter = csvtext.sniff_delimiter(src)
    header = csvtext.parse_header(src, delimiter)
    return delimiter, header, [csvtext.normalise_header(h) for h in header]


def _missing_problem(
    src: SourceFile,
    required: list[str],
    present: list[str],
    header: list[str],
    expected: tuple[str, ...],
) -> Problem:
    missing = [c for c in required if c not in present]
    unexpected = [clip(h) for h, k in zip(header, present, strict=True) if k not in expected]
    text = f"missing required column(s): {', '.join(missing)}."
    if unexpected:
        text += f" Columns found that are not expected: {', '.join(unexpected)}."
    return Problem(
        text,
        line=1,
        hint=f"The header needs {', '.join(required)} (case and spaces do not matter); "
        "use --app/--platform for values the file does not carry.",
    )


def _key_expr(keys: list[str], name: str) -> str:
    return f"c{keys.index(name)}" if name in keys else "null::varchar"


class GenericLong:
    name = "generic-long"
    label = (
        "Generic long CSV or Parquet (date, app, [platform], [country], metric, value, [source])"
    )
    how_to_get = (
        "Write it yourself or from a notebook: one row per day, app and metric; "
        "UTF-8 or UTF-16 with BOM; comma, semicolon or TAB."
    )

    def sniff(self, src: SourceFile) -> bool:
        # Claimed when the header (or one below a preamble) names date and metric or value,
        # even if it is broken: stage() then says what is wrong, line by line.
        found = _preamble(src)
        keys = _loose_keys(found[1] if found else csvtext.first_line(src.head))
        return "date" in keys and ("metric" in keys or "value" in keys)

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        _check_preamble(src)
        delimiter, header, keys = _header(src)
        problems = csvtext.duplicate_header_problems(header)
        required = ["date", "metric", "value"] + ([] if options.app else ["app"])
        if any(c not in keys for c in required):
            problems.append(_missing_problem(src, required, keys, header, LONG_COLUMNS))
        if problems:
            raise ImportFailed(src.name, problems)
        notices = [
            f"ignored column '{clip(h)}' (not part of the long format)."
            for h, k in zip(header, keys, strict=True)
            if k not in LONG_COLUMNS
        ]
        rows = csvtext.read_text_table(
            con, src, delimiter, len(header), labels=header, allow_lazy=True
        )
        if rows == 0:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "no data rows (only a header).",
                        line=1,
                        hint="Export the report with data in it.",
                    )
                ],
            )
        # Only our own column identifiers (c0..cN) are formatted into this statement.
        sql.run_text(
            con,
            f"""
            create or replace temp view staging as
            select rowid + 2 as line,
                   {_key_expr(keys, "date")} as date,
                   {_key_expr(keys, "app")} as app,
                   null::varchar as app_name,
                   {_key_expr(keys, "platform")} as platform,
                   {_key_expr(keys, "country")} as country,
                   {_key_expr(keys, "metric")} as metric,
                   {_key_expr(keys, "value")} as value,
                   {_key_expr(keys, "source")} as source,
                   'value' as value_column
            from raw""",  # noqa: S608
        )
        labels = {k: h for h, k in zip(header, keys, strict=True)}
        return Staged(
            rows=rows, labels=labels, notices=notices, delimiter=delimiter, lines_from_records=True
        )


class GenericWide:
    name = "generic-wide"
    label = (
        "Generic wide CSV or Parquet (date, app, [platform], [country], then one column per metric)"
    )
    how_to_get = (
        "Write it yourself or from a spreadsheet: one row per day and app, one "
        "column per metric named as in `installpulse metrics`."
    )

    def sniff(self, src: SourceFile) -> bool:
        # The last adapter: claims any header with a date column and something else, so a
        # broken generic file gets a located reason rather than "no known format".
        found = _preamble(src)
        keys = _loose_keys(found[1] if found else csvtext.first_line(src.head))
        if "date" not in keys or "metric" in keys or "value" in keys:
            return False
        return any(k not in KEY_COLUMNS for k in keys)

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        _check_preamble(src)
        delimiter, header, keys = _header(src)
        problems = csvtext.duplicate_header_problems(header)
        required = ["date"] + ([] if options.app else ["app"])
        if any(c not in keys for c in required):
            problems.append(_missing_problem(src, required, keys, header, KEY_COLUMNS))
        known = {r[0] for r in sql.run_text(con, "select metric from metrics")}
        # A loader's bookkeeping columns (_fivetran_synced...) hold no metric: left out.
        booked = [h for h in header if csvtext.is_bookkeeping(h)]
        metric_idx = [
            i
            for i, k in enumerate(keys)
            if k not in KEY_COLUMNS and not csvtext.is_bookkeeping(header[i])
        ]
        for i in metric_idx:
            if keys[i] not in known:
                problems.append(
                    Problem(
                        "is not a known metric, so the wide layout cannot tell what it holds.",
                        line=1,
                        column=header[i],
                        hint=f"Rename it to one of: {', '.join(sorted(known))}; or add it "
                        "first with `installpulse metrics add NAME --kind event|level`.",
                    )
                )
        if not metric_idx:
            problems.append(
                Problem(
                    "no metric columns after the key columns.",
                    line=1,
                    hint="Add one column per metric, e.g. installs,uninstalls.",
                )
            )
        if problems:
            raise ImportFailed(src.name, problems)
        rows = csvtext.read_text_table(
            con, src, delimiter, len(header), labels=header, allow_lazy=True
        )
        if rows == 0:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "no data rows (only a header).",
                        line=1,
                        hint="Export the report with data in it.",
                    )
                ],
            )
        # One UNPIVOT, so the file is scanned once however many metric columns it has (a
        # union per column would read it once per column). Blank cells stay (as NULL values).
        # Metric names come from the catalogue allowlist (checked above), columns are ours.
        metric_cols = ", ".join(f"c{i}" for i in metric_idx)
        metric_case = " ".join(f"when 'c{i}' then '{keys[i]}'" for i in metric_idx)
        sql.run_text(
            con,
            f"""
            create or replace temp view staging as
            select line, date, app, null::varchar as app_name, platform, country,
                   case value_column {metric_case} end as metric,
                   value, source, value_column
            from (
                    select rowid + 2 as line,
                           {_key_expr(keys, "date")} as date,
                           {_key_expr(keys, "app")} as app,
                           {_key_expr(keys, "platform")} as platform,
                           {_key_expr(keys, "country")} as country,
                           {_key_expr(keys, "source")} as source,
                           {metric_cols}
                    from raw
            ) unpivot include nulls (value for value_column in ({metric_cols}))""",  # noqa: S608
        )
        labels = {k: h for h, k in zip(header, keys, strict=True)}
        labels.update({f"c{i}": header[i] for i in metric_idx})
        notices = (
            [f"ignored the loader's bookkeeping column(s) {', '.join(booked)}."] if booked else []
        )
        return Staged(
            rows=rows * len(metric_idx),
            labels=labels,
            notices=notices,
            delimiter=delimiter,
            lines_from_records=True,
        )
