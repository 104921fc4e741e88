"""The 44 bad inputs of RELIABILITY.md 3.2, each checked against the import contract (3.1).

A refused file: the CLI exits 1 (or `ingest_file` raises ImportFailed), the message names the
file, the physical line, the column and the value where there is one, every table is unchanged
and exactly one 'failed' row joins the history (C1, C2). An accepted file: the exact stored
values are read back through `daily_metrics`. The rule chosen for each ambiguous input is in
the README ("Limits and bad inputs"); the fixture bytes come from
tests/fixtures/bad/make_fixtures.py.
"""

from __future__ import annotations

import importlib.util
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipelines import contract, sql, store
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed, clip
from tests.bad_inputs.bad_input_helpers import (
    BAD,
    assert_only_a_failed_row_added,
    run_cli,
    snapshot,
    stored,
)


def row(app, date, value, metric="installs", platform="unknown", country="WW", source="generic"):
    return (app, platform, country, date, metric, value, source)


@dataclass
class Refused:
    """What the first located problem must say."""

    file: str
    case: str  # RELIABILITY.md 3.2 number
    text: str  # the rule, as the message words it
    line: int | None = None
    column: str | None = None
    value: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    cli: bool = False


REFUSED = [
    Refused("05_invalid_utf8.csv", "5", "invalid UTF-8 bytes", line=3, cli=True),
    Refused(
        "06b_ambiguous_delimiter.csv",
        "6",
        "delimiter is ambiguous",
        line=1,
        value="date;app;metric,value,x",
    ),
    Refused("08_decimal_comma.csv", "8", "decimal comma", line=3, column="value", value="1.234,56"),
    Refused(
        "09b_thousands_unquoted.csv",
        "9",
        "too many columns",
        line=3,
        value="2024-01-06,Foo,installs,1,234",
    ),
    Refused(
        "11_currency_percent.csv",
        "11",
        "currency or percent",
        line=3,
        column="value",
        value="$1200",
    ),
    Refused(
        "12_accounting_negative.csv", "12", "parentheses", line=2, column="value", value="(123)"
    ),
    Refused(
        "13_negative_count.csv", "13", "cannot be negative", line=3, column="value", value="-3"
    ),
    Refused("15_out_of_range.csv", "15", "out of range", line=2, column="value", value="1e20"),
    Refused(
        "16_fraction_in_count.csv", "16", "not a whole number", line=3, column="value", value="12.5"
    ),
    Refused(
        "17_duplicate_key.csv",
        "17",
        "on lines 2, 5",
        line=2,
        column="date",
        value="2024-01-05",
        cli=True,
    ),
    Refused("19_future_date.csv", "19", "future", line=3, column="date", value="2099-01-01"),
    Refused(
        "20_epoch_artifacts.csv",
        "20",
        "date before 2008-01-01",
        line=3,
        column="date",
        value="1899-12-30",
    ),
    Refused(
        "21_mixed_date_formats.csv",
        "21",
        "not an ISO date",
        line=3,
        column="date",
        value="05/01/2024",
    ),
    Refused("22_excel_serial.csv", "22", "Excel serial", line=2, column="date", value="45292"),
    Refused(
        "23_timestamp_offset.csv",
        "23",
        "not an ISO date",
        line=2,
        column="date",
        value="2024-03-10T01:30:00-05:00",
    ),
    Refused(
        "24_missing_column.csv",
        "24",
        "missing required column(s): value. Columns found that are not expected: amount",
        line=1,
    ),
    Refused("26_duplicate_headers.csv", "26", "duplicate column", line=1, column="installs "),
    Refused("27_header_only.csv", "27", "no data rows", line=1),
    Refused(
        "29_ragged_rows.csv",
        "29",
        "too few columns",
        line=3,
        column="value",
        value="2024-01-06,Foo,installs",
    ),
    Refused(
        "29b_ragged_after_quoted_newline.csv",
        "29",
        "too few columns",
        line=5,
        column="value",
        value="2024-01-06,Foo,installs",
        cli=True,
    ),
    Refused(
        "30_unterminated_quote.csv",
        "30",
        "unterminated or stray quote",
        line=3,
        value='2024-01-06,"Foo',
        cli=True,
    ),
    Refused(
        "31b_error_after_quoted_newline.csv",
        "31",
        "not a number",
        line=5,
        column="value",
        value="x",
        cli=True,
    ),
    Refused("32c_cr_only_error.csv", "32", "not a number", line=3, column="value", value="ten"),
    Refused(
        "33_preamble.csv",
        "33",
        "the header ('date,app,metric,value') is on line 4",
        line=1,
        value="Installs report",
        cli=True,
    ),
    Refused("33b_total_row.csv", "33", "not an ISO date", line=4, value="Total"),
    Refused(
        "36_gzip_bomb.csv.gz",
        "36",
        "decompression bomb",
        env={"INSTALLPULSE_MAX_FILE_MB": "1"},
        cli=True,
    ),
    Refused("36b_nested_gzip.csv.gz", "36", "nested archives are refused"),
    Refused("36c_zip_traversal.csv", "36", "is a ZIP archive"),
    Refused("36d_zip_many_members.zip", "36", "is a ZIP archive"),
    Refused("37_xlsx_renamed.csv", "37", "is a ZIP archive (or an Excel .xlsx workbook)", cli=True),
    Refused("37b_png_renamed.csv", "37", "is a PNG image"),
    Refused("37c_exe_renamed.csv", "37", "is a Windows executable"),
    Refused(
        "43_long_app_name.csv",
        "43",
        "longer than 200 characters",
        line=2,
        column="app",
        value="A" * 50,
    ),
    Refused(
        "44_control_char.csv", "44", "control character", line=3, column="app", value="Foo\x01Bar"
    ),
    Refused("44b_nul_in_field.csv", "44", "NUL byte at byte offset 62", line=3),
]


def _check_problem(message: str, case: Refused) -> None:
    """C2 on the rendered message: file, line, column, value and the rule, in that order."""
    assert case.file in message
    assert case.text in message
    if case.line is not None:
        assert f"{case.file}, line {case.line}" in message
    if case.column is not None:
        assert f"column '{case.column}'" in message
    if case.value is not None:
        assert clip(case.value)[:40] in message


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: f"{c.case}-{c.file}")
def test_refused(case: Refused, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    path = BAD / case.file
    before = snapshot(db)
    if case.cli:
        result = run_cli("ingest", "--db", str(db), str(path), env=case.env)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        message = result.stderr
    else:
        with pytest.raises(ImportFailed) as info:
            contract.ingest_file(path, db)
        message = info.value.render()
        first = info.value.problems[0]
        assert first.line == case.line
        if case.column is not None:
            assert first.column == case.column
        assert info.value.import_id is not None
    _check_problem(message, case)
    new = assert_only_a_failed_row_added(before, snapshot(db))
    assert new[2] == case.file
    assert case.text in new[3]


@dataclass
class Accepted:
    file: str
    case: str
    rows: set[tuple]
    encoding: str | None = None
    notice: str | None = None
    cli: bool = False


ACCEPTED = [
    Accepted(
        "01_utf8_bom.csv",
        "1",
        {row("Foo", "2024-01-05", 10.0), row("Foo", "2024-01-06", 12.0)},
        cli=True,
    ),
    Accepted(
        "02_utf16le_bom.csv",
        "2",
        {row("Café", "2024-01-05", 10.0), row("Café", "2024-01-06", 12.0)},
        encoding="utf-16-le",
    ),
    Accepted(
        "03_utf16le_no_bom.csv",
        "3",
        {row("Café", "2024-01-05", 10.0), row("Café", "2024-01-06", 12.0)},
        encoding="utf-16-le",
        notice="NUL pattern says UTF-16-LE",
    ),
    Accepted(
        "04_windows1252.csv",
        "4",
        {row("Café", "2024-01-05", 10.0), row("Café", "2024-01-06", 12.0)},
        encoding="cp1252",
        notice="Windows-1252",
    ),
    Accepted("06_semicolon.csv", "6", {row("Foo", "2024-01-05", 10.0)}),
    Accepted("07_tab.txt", "7", {row("Foo", "2024-01-05", 10.0), row("Foo", "2024-01-06", 12.0)}),
    Accepted(
        "07b_tab.txt.gz", "7", {row("Foo", "2024-01-05", 10.0), row("Foo", "2024-01-06", 12.0)}
    ),
    Accepted("09_thousands_quoted.csv", "9", {row("Foo", "2024-01-05", 1234.0)}),
    Accepted("10_quoted_numbers.csv", "10", {row("Foo", "2024-01-05", 123.0)}),
    Accepted("13b_negative_signed.csv", "13", {row("Foo", "2024-01-05", -3.0, "net_downloads")}),
    Accepted(
        "14_null_values.csv",
        "14",
        {
            row("Foo", "2024-01-01", None),
            row("Foo", "2024-01-02", None),
            row("Foo", "2024-01-03", None),
            row("Foo", "2024-01-04", None),
            row("Foo", "2024-01-05", 0.0),
        },
    ),
    Accepted("16b_whole_float.csv", "16", {row("Foo", "2024-01-05", 12.0)}),
    Accepted(
        "23b_dst_days.csv",
        "23",
        {
            row("Foo", "2024-03-10", 1.0),
            row("Foo", "2024-03-31", 2.0),
            row("Foo", "2024-10-27", 3.0),
            row("Foo", "2024-11-03", 4.0),
        },
    ),
    Accepted(
        "25_extra_columns.csv",
        "25",
        {row("Foo", "2024-01-05", 10.0)},
        notice="ignored column 'notes'",
    ),
    Accepted(
        "31_quoted_newline.csv",
        "31",
        {row("Two\nLines", "2024-01-05", 10.0), row("Two\nLines", "2024-01-06", 12.0)},
    ),
    Accepted("32_crlf.csv", "32", {row("Foo", "2024-01-05", 10.0), row("Foo", "2024-01-06", 12.0)}),
    Accepted(
        "32b_cr_only.csv", "32", {row("Foo", "2024-01-05", 10.0), row("Foo", "2024-01-06", 12.0)}
    ),
    Accepted(
        "39_unicode_names.csv",
        "39",
        {
            row('O\'Reilly "Pro"', "2024-01-05", 1.0),
            row("📈 Stats", "2024-01-05", 2.0),
            row("تطبيق", "2024-01-05", 3.0),
            row("Zero\u200bWidth", "2024-01-05", 4.0),
            # NFD "Cafe\u0301" and NFC "Caf\u00e9" are one app, stored in NFC.
            row("Caf\u00e9", "2024-01-05", 5.0),
            row("Caf\u00e9", "2024-01-06", 6.0),
        },
    ),
    Accepted(
        "40_markup_names.csv",
        "40",
        {
            row("<script>alert(1)</script>", "2024-01-05", 1.0),
            row('<a href="javascript:alert(1)">x</a>', "2024-01-05", 2.0),
            row('<span style="font-size:300px">big</span>', "2024-01-05", 3.0),
        },
    ),
    Accepted(
        "41_sql_injection.csv",
        "41",
        {
            row("'; DROP TABLE observations;--", "2024-01-05", 1.0),
            row("Robert'); DROP TABLE apps;--", "2024-01-05", 2.0),
        },
        cli=True,
    ),
    Accepted(
        "42_formula_text.csv",
        "42",
        {
            row('=HYPERLINK("http://x","y")', "2024-01-05", 1.0),
            row("+1+1", "2024-01-05", 2.0),
            row("-2+3", "2024-01-05", 3.0),
            row("@SUM(A1)", "2024-01-05", 4.0),
            row("\t=1", "2024-01-05", 5.0),
            row("Foo", "2024-01-05", -7.0, "net_downloads"),
        },
    ),
    Accepted(
        "wide_ok.csv",
        "wide",
        {
            row("Foo", "2024-01-05", 10.0),
            row("Foo", "2024-01-05", 1.0, "uninstalls"),
            row("Foo", "2024-01-06", 12.0),
            row("Foo", "2024-01-06", 2.0, "uninstalls"),
        },
    ),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=lambda c: f"{c.case}-{c.file}")
def test_accepted(case: Accepted, db: Path) -> None:
    path = BAD / case.file
    if case.cli:
        result = run_cli("ingest", "--db", str(db), str(path))
        assert result.returncode == 0, result.stderr
        assert "imported as #" in result.stdout
        notices = result.stdout
    else:
        outcome = contract.ingest_file(path, db)
        assert outcome.status == "imported"
        notices = " ".join(outcome.notices)
    assert stored(db) == case.rows
    with store.connect(db) as con:
        status, encoding = sql.run_text(
            con, "select status, encoding from imports order by import_id desc limit 1"
        )[0]
    assert status == "ok"
    if case.encoding:
        assert encoding == case.encoding
    if case.notice:
        assert case.notice in notices
    # Nothing executed: every table the schema made is still there.
    with store.connect(db) as con:
        tables = {r[0] for r in sql.run_text(con, "select table_name from duckdb_tables()")}
    assert {"apps", "observations", "series", "imports", "identifiers"} <= tables


def test_fixtures_match_their_generator() -> None:
    """The checked-in bytes are exactly what make_fixtures.py writes."""
    spec = importlib.util.spec_from_file_location("make_fixtures", BAD / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, data in module.fixtures().items():
        assert (BAD / name).read_bytes() == data, name


# --- cases built in the test: they are about bytes, sizes and names --------------------------


def test_28_empty_file(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    before = snapshot(db)
    with pytest.raises(ImportFailed, match="empty file"):
        contract.ingest_file(path, db)
    assert_only_a_failed_row_added(before, snapshot(db))


def test_34_one_gigabyte_refused_by_size_before_parsing(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:  # sparse: 1 GiB on paper, nothing on disk
        fh.write(b"date,app,metric,value\n")
        fh.truncate(1024**3)
    before = snapshot(db)
    started = time.monotonic()
    result = run_cli("ingest", "--db", str(db), str(path), env={"INSTALLPULSE_MAX_FILE_MB": "512"})
    assert result.returncode == 1
    assert "huge.csv: is 1024 MB, over the 512 MB limit" in result.stderr
    assert "refused before parsing" in result.stderr
    # No hashing, copying or parsing of a gigabyte happened (that would take seconds).
    assert time.monotonic() - started < 10
    new = assert_only_a_failed_row_added(before, snapshot(db))
    assert not (db.parent / "archive").exists() or not any((db.parent / "archive").rglob("*"))
    assert "INSTALLPULSE_MAX_FILE_MB" in new[3]


def _rows_file(path: Path, target_bytes: int) -> int:
    lines = ["date,app,metric,value\n"]
    size = len(lines[0])
    n = 0
    while True:
        text = f"2024-{1 + n % 12:02d}-{1 + (n // 12) % 28:02d},App{n // 336},installs,{n % 997}\n"
        if size + len(text) > target_bytes:
            break
        lines.append(text)
        size += len(text)
        n += 1
    path.write_text("".join(lines))
    return n


def test_35_just_under_the_limit_imports_and_just_over_is_refused(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSTALLPULSE_MAX_FILE_MB", "1")
    under = tmp_path / "under.csv"
    rows = _rows_file(under, 1024 * 1024)
    assert under.stat().st_size <= 1024 * 1024
    outcome = contract.ingest_file(under, db)
    assert outcome.rows == rows > 30_000
    over = tmp_path / "over.csv"
    over.write_bytes(under.read_bytes() + b"2025-01-01,Extra,installs,1\n")
    before = snapshot(db)
    with pytest.raises(ImportFailed, match="over the 1 MB limit"):
        contract.ingest_file(over, db)
    assert_only_a_failed_row_added(before, snapshot(db))


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../x.csv", "x.csv"),
        ("..\\..\\evil.csv", "evil.csv"),
        ("a.exe:.csv", "a.exe:.csv"),
        ("a\x00b.csv", "a?b.csv"),
        ("\x1b[31mred.csv", "?[31mred.csv"),
    ],
)
def test_38_file_names_are_only_shown_never_used(
    given: str, shown: str, db: Path, tmp_path: Path
) -> None:
    path = BAD / "27_header_only.csv"
    before = snapshot(db)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db, name=given)
    assert info.value.file_name == shown
    assert info.value.render().startswith(f"{shown}: not imported")
    new = assert_only_a_failed_row_added(before, snapshot(db))
    assert new[2] == shown
    assert not (tmp_path / "x.csv").exists() and not (tmp_path.parent / "x.csv").exists()


def test_38_odd_name_through_the_cli(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "a.exe:.csv"
    path.write_bytes((BAD / "06_semicolon.csv").read_bytes())
    result = run_cli("ingest", "--db", str(db), str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("a.exe:.csv: imported as #")


def test_18_overlap_replaces_the_range_and_c3_same_bytes_is_a_no_op(db: Path) -> None:
    first = contract.ingest_file(BAD / "18a_overlap_first.csv", db)
    second = contract.ingest_file(BAD / "18b_overlap_second.csv", db)
    assert (first.rows, second.rows, second.rows_replaced) == (2, 2, 1)
    assert stored(db) == {
        row("Foo", "2024-01-05", 10.0),
        row("Foo", "2024-01-06", 13.0),
        row("Foo", "2024-01-07", 14.0),
    }
    with store.connect(db) as con:
        everything = store.table_checksums(con)
    again = contract.ingest_file(BAD / "18b_overlap_second.csv", db)
    assert again.status == "already imported"
    assert again.import_id == second.import_id
    with store.connect(db) as con:
        assert store.table_checksums(con) == everything


def test_failed_file_fixed_and_retried_imports(db: Path, tmp_path: Path) -> None:
    """A failed attempt leaves no trace that blocks the corrected file (C1 + C3 together)."""
    path = tmp_path / "fix.csv"
    path.write_bytes(b"date,app,metric,value\n2024-01-05,Foo,installs,ten\n")
    with pytest.raises(ImportFailed):
        contract.ingest_file(path, db)
    path.write_bytes(b"date,app,metric,value\n2024-01-05,Foo,installs,10\n")
    assert contract.ingest_file(path, db).status == "imported"
    assert stored(db) == {row("Foo", "2024-01-05", 10.0)}


def test_explicit_encoding_option(db: Path) -> None:
    """--encoding overrides detection (here it must, for a Windows-1252 file)."""
    outcome = contract.ingest_file(BAD / "04_windows1252.csv", db, IngestOptions(encoding="cp1252"))
    assert outcome.status == "imported"
    assert stored(db) == {row("Café", "2024-01-05", 10.0), row("Café", "2024-01-06", 12.0)}


def test_many_problems_are_counted_and_the_first_ones_shown(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    body = "".join(f"2024-01-{d:02d},Foo,installs,bad{d}\n" for d in range(1, 26))
    path.write_text("date,app,metric,value\n" + body)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    text = info.value.render()
    assert "25 problems found" in text
    assert "many.csv, line 2, column 'value': value 'bad1'" in text
    assert "... and 15 more." in text
    assert os.environ.get("INSTALLPULSE_MAX_ERRORS_SHOWN") in (None, "", "10")
