"""CSV of exactly the numbers behind a chart, safe to open in a spreadsheet.

RFC 4180 quoting alone does not stop formula injection: Excel, Sheets and LibreOffice
evaluate a cell that starts with `=`, `+`, `-`, `@`, TAB or CR even when quoted
(OWASP ASVS, CWE-1236; RELIABILITY.md 1.8). Such TEXT cells get a leading `'`.
Numeric columns are written untouched: Grafana prefixed every cell and corrupted all
negative numbers, and a change of -0.13 must stay the number -0.13.
"""

from __future__ import annotations

import csv
import io

import polars as pl

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(text: str) -> str:
    """Prefix `'` to a text cell a spreadsheet would evaluate as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _text_cell(value: object) -> str:
    if value is None:
        return ""
    return escape_formula(str(value))


def to_csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 RFC 4180 CSV (CRLF line ends, header row) of `frame`.

    Dates and datetimes are ISO 8601; floats use polars' shortest round-trip form;
    nulls are empty cells; text, categorical and list columns are formula-escaped.
    Column names are text too and are escaped the same way.
    """
    columns: list[list[str]] = []
    for name, dtype in frame.schema.items():
        series = frame.get_column(name)
        if dtype.is_numeric() or dtype == pl.Boolean:
            cells = series.cast(pl.String).fill_null("").to_list()
        elif dtype == pl.Date:
            cells = series.dt.to_string("%Y-%m-%d").fill_null("").to_list()
        elif isinstance(dtype, pl.Datetime):
            fmt = "%Y-%m-%dT%H:%M:%S%.f" + ("%:z" if dtype.time_zone else "")
            cells = series.dt.to_string(fmt).fill_null("").to_list()
        elif isinstance(dtype, pl.List):
            cells = [
                "" if v is None else _text_cell(";".join("" if x is None else str(x) for x in v))
                for v in series.to_list()
            ]
        else:
            cells = [_text_cell(v) for v in series.cast(pl.String).to_list()]
        columns.append(cells)

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([escape_formula(str(n)) for n in frame.columns])
    for row in zip(*columns, strict=True):
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")
