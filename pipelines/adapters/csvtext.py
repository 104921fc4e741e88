"""Shared CSV plumbing for adapters: delimiter sniffing, header normalisation, and a DuckDB
read of the whole file as text with every structural problem reported by line.

DuckDB parses (fast, streaming, bounded memory); we only decide the dialect from the header
line and give DuckDB explicit column names, so no per-file sniffing surprise reaches users.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines import sources, sql
from pipelines.adapters.base import SourceFile
from pipelines.errors import ImportFailed, Problem

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "TAB"}


def normalise_header(name: str) -> str:
    """Case- and space-insensitive header key: ' Package  Name ' -> 'package_name'."""
    text = name.replace("\ufeff", "").strip().lower()
    text = re.sub(r"[\s_/\-]+", "_", text)
    return text.strip("_")


# Columns a warehouse loader adds to a connector table (Fivetran: `_fivetran_synced`,
# `_fivetran_id`, `_fivetran_deleted`; its file connectors: `_file`, `_line`, `_modified`).
# They say when and from where a row was loaded, never what it measures: readers ignore them.
BOOKKEEPING = frozenset({"_file", "_line", "_modified"})


def is_bookkeeping(name: str) -> bool:
    """A loader's bookkeeping column (by its raw header name: the leading _ matters)."""
    text = name.replace("\ufeff", "").strip().lower()
    return text in BOOKKEEPING or text.startswith("_fivetran_")


def first_line(head: str) -> str:
    for line in head.splitlines():
        if line.strip():
            return line
    return ""


def sniff_delimiter(src: SourceFile, header_line: str | None = None) -> str:
    """The delimiter among , ; TAB that the header line uses; ambiguous or none is an error."""
    line = header_line if header_line is not None else first_line(src.head)
    counts = {d: line.count(d) for d in DELIMITERS}
    best = max(counts.values())
    if best == 0:
        raise ImportFailed(
            src.name,
            [
                Problem(
                    "the header has a single column: no comma, semicolon or TAB delimiter found.",
                    line=1,
                    value=line[:80],
                    hint="Export as CSV with one of those delimiters.",
                )
            ],
        )
    winners = [d for d, c in counts.items() if c == best]
    if len(winners) > 1:
        names = " and ".join(DELIMITERS[d] for d in winners)
        raise ImportFailed(
            src.name,
            [
                Problem(
                    f"the header uses {names} equally often; the delimiter is ambiguous.",
                    line=1,
                    value=line[:80],
                    hint="Re-export with a single delimiter.",
                )
            ],
        )
    return winners[0]


# Python's csv module refuses fields over 128 KB by default (a process-wide setting), which
# made format detection crash on a long field in the first lines. Our readers take what
# DuckDB takes (lines up to 10 MB; a quoted field may span lines), and the import rules then
# refuse an over-long value at its line and column.
FIELD_LIMIT = 1 << 30


def long_fields() -> None:
    """Let the csv module read fields as long as DuckDB's (called before each use: the limit
    is global to the process, and anything may have lowered it)."""
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)


def split_line(src: SourceFile, text: str, delimiter: str = ",", line: int = 1) -> list[str]:
    """The cells of one line of the file's head, or a refusal naming the file and line."""
    long_fields()
    try:
        return next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error as exc:
        raise ImportFailed(
            src.name,
            [
                Problem(
                    f"this line cannot be read as CSV ({exc}).",
                    line=line,
                    value=text[:80],
                    hint="Export the report again as CSV.",
                )
            ],
        ) from exc


def parse_header(src: SourceFile, delimiter: str, line_text: str | None = None) -> list[str]:
    text = line_text if line_text is not None else first_line(src.head)
    return split_line(src, text, delimiter, line=1)


def duplicate_header_problems(header: list[str]) -> list[Problem]:
    seen: dict[str, str] = {}
    problems = []
    for name in header:
        key = normalise_header(name)
        if key in seen:
            problems.append(
                Problem(
                    f"duplicate column: '{seen[key]}' and '{name}' mean the same column.",
                    line=1,
                    column=name,
                    hint="Remove or rename one of them.",
                )
            )
        else:
            seen[key] = name
    return problems


_LAZY: contextvars.ContextVar[bool] = contextvars.ContextVar("installpulse_lazy_raw", default=False)


@contextlib.contextmanager
def lazy_raw(enabled: bool = True) -> Iterator[None]:
    """Within this block, adapters that allow it read `raw` as a view over the file.

    The import contract's fast pass reads the file twice through this view (keys and dates,
    then the rows into observations) instead of materialising every cell as text first
    (PERFORMANCE.md: memory is the binding limit). Any problem sends the import to the exact
    pass, which materialises `raw` with line numbers.
    """
    token = _LAZY.set(enabled)
    try:
        yield
    finally:
        _LAZY.reset(token)


def read_text_table(
    con: duckdb.DuckDBPyConnection,
    src: SourceFile,
    delimiter: str,
    ncols: int,
    skip: int = 0,
    labels: list[str] | None = None,
    allow_lazy: bool = False,
) -> int:
    """Read the file into temp table `raw` (columns c0..cN, all text) or fail with every
    structural problem (ragged rows, unterminated quotes, invalid UTF-8) located by line.

    With `allow_lazy` inside `lazy_raw()`, `raw` is a view over the file instead (its `rowid`
    column is 0: line numbers only exist in the exact pass) and the return value is 0 for an
    empty file, 1 otherwise; structural problems then surface when the view is scanned.
    """
    names = [f"c{i}" for i in range(ncols)]
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    # Only our own column names and a delimiter from a fixed allowlist reach the SQL text.
    assert delimiter in DELIMITERS
    delim = "\\t" if delimiter == "\t" else delimiter
    # Exactly the prepared file (sources.reader_path: DuckDB expands glob characters), and no
    # decompression: sources.prepare decided that from the bytes, whatever the name says.
    path = sources.reader_path(src.path)
    if allow_lazy and _LAZY.get():
        # A view cannot take bound parameters: it reads the path from a session variable
        # (bound), so no path text ever reaches the SQL text.
        sql.run_text(con, "set variable ip_raw_path = $path", path=path)
        sql.run_text(
            con,
            "create or replace temp view raw as select *, 0::bigint as rowid "  # noqa: S608
            "from read_csv(getvariable('ip_raw_path'), auto_detect=false, header=true, "
            f"skip={int(skip)}, delim=E'{delim}', quote='\"', escape='\"', columns={columns}, "
            "compression='none', store_rejects=true, strict_mode=true, null_padding=false, "
            "all_varchar=true, max_line_size=10000000)",
        )
        return int(sql.run_text(con, "select count(*) from (select 1 from raw limit 1)")[0][0])
    text = (
        "create or replace temp table raw as select * from read_csv($path, auto_detect=false, "  # noqa: S608
        f"header=true, skip=$skip, delim=E'{delim}', quote='\"', escape='\"', columns={columns}, "
        "compression='none', store_rejects=true, strict_mode=true, null_padding=false, "
        "all_varchar=true, max_line_size=10000000)"
    )
    try:
        sql.run_text(con, text, path=path, skip=skip)
    except duckdb.Error as exc:
        message = str(exc)
        found = locate_structure_error(src.path, delimiter, ncols, skip)
        if found is not None:
            line_no, text_value, rule = found
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        rule,
                        line=line_no,
                        value=text_value,
                        hint=(
                            "Save the file again so every line ends the same way "
                            "(most editors: line endings LF or CRLF)."
                            if "line endings" in rule
                            else _hint_reject(
                                "UNQUOTED VALUE" if "quote" in rule else "MISSING COLUMNS"
                            )
                        ),
                    )
                ],
            ) from exc
        line = re.search(r"Line: (\d+)", message)
        first = message.splitlines()[0] if message else "unreadable"
        if "Invalid unicode" in message or "not utf-8" in message:
            first = "invalid UTF-8 bytes in this line."
        raise ImportFailed(
            src.name,
            [
                Problem(
                    first.replace("Invalid Input Error: ", ""),
                    line=int(line.group(1)) if line else 1,
                    hint="Save the file as UTF-8 CSV, or say its encoding with --encoding.",
                )
            ],
        ) from exc
    rejects = sql.run_text(
        con,
        "select line, column_name, error_type, csv_line, error_message from reject_errors "
        "where scan_id = (select max(scan_id) from reject_errors) order by line limit 50",
    )
    if rejects:
        total = sql.run_text(
            con,
            "select count(*) from reject_errors "
            "where scan_id = (select max(scan_id) from reject_errors)",
        )[0][0]
        # DuckDB counts records (a quoted newline does not start a line); people count the
        # lines their editor shows, so map each record to the physical line it starts on.
        physical = physical_lines(
            src.path, delimiter, {int(r[0]) - 2 for r in rejects}, skip=skip, count_blank=True
        )
        problems = []
        for line, column, kind, raw_line, _message in rejects:
            label = None
            if column and labels and column.startswith("c") and column[1:].isdigit():
                index = int(column[1:])
                label = labels[index] if index < len(labels) else column
            problems.append(
                Problem(
                    _describe_reject(kind, ncols),
                    line=physical.get(int(line) - 2, int(line) + skip),
                    column=label,
                    value=(raw_line or "").strip("\r\n")[:80],
                    hint=_hint_reject(kind),
                )
            )
        raise ImportFailed(src.name, problems, total=int(total))
    return int(sql.run_text(con, "select count(*) from raw")[0][0])


def _describe_reject(kind: str, ncols: int) -> str:
    return {
        "TOO MANY COLUMNS": f"too many columns (the header has {ncols}).",
        "MISSING COLUMNS": f"too few columns (the header has {ncols}).",
        "UNQUOTED VALUE": "unterminated or stray quote.",
        "INVALID UNICODE": "invalid UTF-8 bytes in this line.",
        "INVALID ENCODING": "invalid UTF-8 bytes in this line.",
        "LINE SIZE OVER MAXIMUM": "line longer than 10 MB.",
    }.get(kind, kind.lower() + ".")


def _hint_reject(kind: str) -> str:
    if kind in ("TOO MANY COLUMNS", "MISSING COLUMNS"):
        return (
            "Every row needs as many fields as the header; quote values that contain the delimiter."
        )
    if kind == "UNQUOTED VALUE":
        return 'Close the quote, or double quotes inside quoted text ("").'
    return "Fix the line and import again."


def physical_lines(
    path: Path,
    delimiter: str,
    records: set[int],
    skip: int = 0,
    count_blank: bool = False,
) -> dict[int, int]:
    """Map 0-based data-record indices to the 1-based physical line each record starts on.

    A physical line is what an editor shows: CRLF, LF and CR each end one, and a newline inside
    a quoted field starts a new physical line but not a new record. Blank lines are not records
    for the typed table (`count_blank=False`, DuckDB drops them) but are for DuckDB's reject
    line numbers (`count_blank=True`). Only run on the error path, for the few records an
    error message names; it stops at the last one wanted.
    """
    wanted = sorted(r for r in records if r >= 0)
    out: dict[int, int] = {}
    if not wanted:
        return out
    long_fields()
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(skip):
            fh.readline()
        reader = csv.reader(fh, delimiter=delimiter)
        index = -2  # the header is record -1
        start_line = skip + 1
        pos = 0
        try:
            for row in reader:
                if row or count_blank:
                    index += 1
                    while pos < len(wanted) and wanted[pos] < index:
                        pos += 1
                    if pos < len(wanted) and index == wanted[pos]:
                        out[wanted[pos]] = start_line
                        pos += 1
                    if pos == len(wanted):
                        break
                start_line = skip + reader.line_num + 1
        except csv.Error:
            pass  # the rest is malformed; callers fall back to the record number
    return out


def locate_structure_error(
    path: Path, delimiter: str, ncols: int, skip: int = 0
) -> tuple[int, str, str] | None:
    """(physical line, text of that line, rule) of the first RFC 4180 violation, or None.

    Only run when DuckDB stops with an error that carries no line (its parser "reached an
    invalid state"): a small state machine over the text finds the first stray quote,
    unterminated quote or wrong field count, counting CRLF, LF and CR as line ends. A file
    without such a violation whose lines end in different ways (DuckDB reads one line-end
    style per file) gets the first line that ends differently from the first one.
    """
    style: str | None = None  # the first line's end: CRLF, LF or CR
    mixed: tuple[int, str, str] | None = None
    pending: tuple[int, str] | None = None  # a CR outside quotes, CRLF or CR yet unknown

    def ended(kind: str, at_line: int, text: str) -> None:
        nonlocal style, mixed
        if style is None:
            style = kind
        elif kind != style and mixed is None:
            mixed = (
                at_line,
                text[:80],
                f"this line ends with {kind} while the file's lines end with {style} "
                "(mixed line endings).",
            )

    line = 1
    record_line = 1
    fields = 1
    state = "start"  # start | plain | quoted | closed
    quote_line = 1
    current: list[str] = []
    previous = ""
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(skip):
            fh.readline()
            line += 1
        record_line = line
        while chunk := fh.read(1 << 20):
            for ch in chunk:
                if pending is not None:
                    ended("CRLF" if ch == "\n" else "CR", *pending)
                    pending = None
                if ch in "\r\n":
                    is_break = not (ch == "\n" and previous == "\r")
                    previous = ch
                    if state == "quoted":
                        if is_break:
                            line += 1
                        continue
                    if not is_break:
                        continue
                    text = "".join(current)
                    if ch == "\r":
                        pending = (line, text)
                    else:
                        ended("LF", line, text)
                    if text.strip() and fields != ncols:
                        kind = "too few" if fields < ncols else "too many"
                        return (
                            record_line,
                            text[:80],
                            (f"{kind} columns (the header has {ncols}; this line has {fields})."),
                        )
                    line += 1
                    record_line = line
                    fields, state, current = 1, "start", []
                    continue
                previous = ch
                current.append(ch)
                if state == "quoted":
                    if ch == '"':
                        state = "closed"
                elif state == "closed":
                    if ch == '"':
                        state = "quoted"  # a doubled quote inside quoted text
                    elif ch == delimiter:
                        fields, state = fields + 1, "start"
                    else:
                        return (
                            line,
                            "".join(current)[:80],
                            "text after a closing quote (stray quote).",
                        )
                elif ch == delimiter:
                    fields, state = fields + 1, "start"
                elif ch == '"':
                    if state == "plain":
                        return (
                            line,
                            "".join(current)[:80],
                            "quote inside an unquoted value (stray quote).",
                        )
                    state, quote_line = "quoted", line
                else:
                    state = "plain"
    if pending is not None:
        ended("CR", *pending)
    if state == "quoted":
        return quote_line, "".join(current)[:80], "unterminated quote: the file ends inside it."
    text = "".join(current)
    if text.strip() and fields != ncols:
        kind = "too few" if fields < ncols else "too many"
        return (
            record_line,
            text[:80],
            f"{kind} columns (the header has {ncols}; this line has {fields}).",
        )
    return mixed
