"""The one CSV writer: every CSV installpulse hands out goes through `to_csv_bytes`.

That is the app's downloads (charts and tables), the CLI's `--format csv` (series, spikes,
study, imports, apps, metrics, events list) and `events export`. One writer, so a fix to
quoting or escaping reaches every output at once (issue 11 item 7: the CLI printed raw
formulas while the downloads were safe).

RFC 4180 quoting alone does not stop formula injection: Excel, Sheets and LibreOffice
evaluate a cell that starts with `=`, `+`, `-`, `@`, TAB or CR even when quoted
(OWASP, CWE-1236; RELIABILITY.md 1.8). Such TEXT cells get a leading `'`.
Numeric columns are written untouched: Grafana prefixed every cell and corrupted all
negative numbers, and a change of -0.13 must stay the number -0.13. Which cells are text is
decided by the column's type, never by looking at the value: the app name "-5" is text and
is escaped, the count -5 is a number and is not.

(The CSV that `pipelines.manual` writes to re-import typed-in rows is an internal file read
back by our own reader, not an output: escaping it would change the data.)
"""

from __future__ import annotations

from typing import TextIO

import polars as pl

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Files for spreadsheets use RFC 4180's CRLF; text printed for shells and pipes uses "\n"
# (a CR would end up in the last field of `cut` and `awk`).
CRLF = "\r\n"
LF = "\n"


def escape_formula(text: str) -> str:
    """Prefix `'` to a text cell a spreadsheet would evaluate as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _text_cell(value: object) -> str:
    if value is None:
        return ""
    return escape_formula(str(value))


def _cells(series: pl.Series) -> list[str]:
    dtype = series.dtype
    if dtype.is_numeric() or dtype == pl.Boolean:
        return series.cast(pl.String).fill_null("").to_list()
    if dtype == pl.Date:
        return series.dt.to_string("%Y-%m-%d").fill_null("").to_list()
    if isinstance(dtype, pl.Datetime):
        fmt = "%Y-%m-%dT%H:%M:%S%.f" + ("%:z" if dtype.time_zone else "")
        return series.dt.to_string(fmt).fill_null("").to_list()
    if isinstance(dtype, pl.List):
        return [
            "" if v is None else _text_cell(";".join("" if x is None else str(x) for x in v))
            for v in series.to_list()
        ]
    return [_text_cell(v) for v in series.cast(pl.String).to_list()]


def _field(text: str) -> str:
    """RFC 4180: quote a field holding a comma, a quote, CR or LF (whatever the line end:
    the csv module quotes only the characters of its own line terminator, so with "\\n"
    it would leave a CR bare and a reader would split the record there)."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _record(cells: list[str] | tuple[str, ...], line_end: str) -> str:
    if len(cells) == 1 and cells[0] == "":
        return '""' + line_end  # a lone empty field, not a blank line readers would skip
    return ",".join(_field(c) for c in cells) + line_end


def to_csv_bytes(frame: pl.DataFrame, line_end: str = CRLF) -> bytes:
    """UTF-8 RFC 4180 CSV (header row, `line_end` record ends) of `frame`.

    Dates and datetimes are ISO 8601; floats use polars' shortest round-trip form;
    nulls are empty cells; text, categorical and list columns (joined with `;`) are
    formula-escaped. Column names are text too and are escaped the same way.
    """
    columns = [_cells(frame.get_column(name)) for name in frame.columns]
    parts = [_record([escape_formula(str(n)) for n in frame.columns], line_end)]
    parts.extend(_record(row, line_end) for row in zip(*columns, strict=True))
    return "".join(parts).encode("utf-8")


def write(frame: pl.DataFrame, out: TextIO) -> None:
    """`frame` as CSV on a text stream (the CLI's stdout), "\\n" record ends."""
    out.write(to_csv_bytes(frame, LF).decode("utf-8"))
