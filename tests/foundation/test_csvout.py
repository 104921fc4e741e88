"""CSV download: formula injection escaped in text cells only, numbers untouched."""

from __future__ import annotations

import csv
import datetime as dt
import io

import polars as pl

from pipelines.csvout import to_csv_bytes


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_formula_cells_get_a_quote_and_numbers_stay_numbers() -> None:
    frame = pl.DataFrame(
        {
            "date": [dt.date(2026, 2, 28)] * 6,
            "title": ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
            "change": [-0.13, 2.95, -5.0, None, 0.0, 1.5],
            "value": [-3, 1, 2, 3, 4, 5],
        }
    )
    data = to_csv_bytes(frame)
    rows = _rows(data)
    assert rows[0] == ["date", "title", "change", "value"]
    assert [r[1] for r in rows[1:]] == [
        '\'=HYPERLINK("x")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=1",
        "'\r=1",
    ]
    assert [r[2] for r in rows[1:]] == ["-0.13", "2.95", "-5.0", "", "0.0", "1.5"]
    assert rows[1][3] == "-3"
    assert rows[1][0] == "2026-02-28"
    # RFC 4180: CRLF record ends, quotes doubled inside quoted fields.
    assert b'\r\n2026-02-28,"\'=HYPERLINK(""x"")",-0.13,-3\r\n' in data


def test_utf8_lists_datetimes_and_nulls() -> None:
    frame = pl.DataFrame(
        {
            "app": ['Über, "app"', None],
            "tags": [["press", "=x"], None],
            "at": [dt.datetime(2026, 3, 1, 12, 30), None],
        }
    )
    rows = _rows(to_csv_bytes(frame))
    assert rows[1] == ['Über, "app"', "press;=x", "2026-03-01T12:30:00"]
    assert rows[2] == ["", "", ""]


def test_header_names_are_escaped_too() -> None:
    frame = pl.DataFrame({"=cmd": [1]})
    assert _rows(to_csv_bytes(frame))[0] == ["'=cmd"]
