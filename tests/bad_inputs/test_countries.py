"""Country codes are checked against ISO 3166-1 (pycountry), in both passes, for every adapter.

A code ISO does not assign (`UK`, `XX`) is refused at its line with the column, the value and a
hint naming the ISO code where one is known; nothing is written but the failed history row.
`WW` (worldwide), `ZZ` (unknown), lower case and padded codes are accepted, and so are `XK` and
`AN`, which Google Play's country reports contain. Fixture bytes: tests/fixtures/bad/
make_fixtures.py (`country_*`); per-adapter cases change one code in a checked-in fixture.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from pipelines import contract, manual, store
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed
from tests.bad_inputs.bad_input_helpers import (
    BAD,
    REPO,
    assert_only_a_failed_row_added,
    run_cli,
    snapshot,
    stored,
)

FIXTURES = REPO / "tests" / "fixtures"
UK_HINT = "the ISO code is GB (UK is reserved for the United Kingdom but not assigned)."
NOT_ASSIGNED = "not an assigned ISO 3166-1 alpha-2 country code."
GENERAL_HINT = (
    "Use ISO 3166-1 alpha-2 codes (US, GB, DE), WW for worldwide or ZZ for unknown; "
    "pass --country for files without a country column."
)


def test_unassigned_codes_are_refused_at_their_lines_and_nothing_is_written(db: Path) -> None:
    before = snapshot(db)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(BAD / "country_unassigned.csv", db)
    error = info.value
    assert error.count == 2
    uk, xx = error.problems
    assert (uk.line, uk.column, uk.value) == (3, "country", "UK")
    assert uk.message == "not an ISO 3166-1 alpha-2 country code: " + UK_HINT
    assert (xx.line, xx.column, xx.value) == (5, "country", "XX")
    assert xx.message == NOT_ASSIGNED
    assert uk.hint == xx.hint == GENERAL_HINT
    text = error.render()
    assert text.splitlines() == [
        "country_unassigned.csv: not imported, 2 problems found; nothing was written.",
        "  - country_unassigned.csv, line 3, column 'country': value 'UK': "
        "not an ISO 3166-1 alpha-2 country code: " + UK_HINT + " " + GENERAL_HINT,
        "  - country_unassigned.csv, line 5, column 'country': value 'XX': "
        + NOT_ASSIGNED
        + " "
        + GENERAL_HINT,
    ]
    new = assert_only_a_failed_row_added(before, snapshot(db))
    assert new[3] == text
    assert stored(db) == set()


def test_the_cli_refuses_it_with_exit_code_1(db: Path) -> None:
    before = snapshot(db)
    result = run_cli("ingest", "--db", str(db), str(BAD / "country_unassigned.csv"))
    assert result.returncode == 1
    assert "line 3, column 'country': value 'UK': " in result.stderr
    assert "the ISO code is GB" in result.stderr
    assert "line 5, column 'country': value 'XX': " + NOT_ASSIGNED in result.stderr
    assert_only_a_failed_row_added(before, snapshot(db))


def test_worldwide_unknown_lower_case_and_padded_codes_are_accepted(db: Path) -> None:
    result = contract.ingest_file(BAD / "country_conventions.csv", db)
    assert (result.status, result.rows, result.series) == ("imported", 4, 4)
    day = "2024-01-05"
    assert stored(db) == {
        ("Foo", "unknown", "WW", day, "installs", 20.0, "generic"),
        ("Foo", "unknown", "ZZ", day, "installs", 2.0, "generic"),
        ("Foo", "unknown", "US", day, "installs", 10.0, "generic"),
        ("Foo", "unknown", "GB", day, "installs", 8.0, "generic"),
    }


def test_the_codes_google_play_reports_beyond_iso_are_accepted(db: Path) -> None:
    """XK (Kosovo) and AN (Netherlands Antilles) appear in Play country reports; a blank
    Country is ZZ. Daily User Installs per country, from the fixture's rows."""
    result = contract.ingest_file(BAD / "country_play_store_codes.csv", db)
    assert result.format == "google-play-installs"
    installs = {r[2]: r[5] for r in stored(db) if r[4] == "installs"}
    assert installs == {"US": 371.0, "XK": 5.0, "AN": 2.0, "ZZ": 11.0}


# --- both passes refuse (and accept) the same codes --------------------------------------------

HEADER = "date,app,platform,country,metric,value,source\n"


class _Passes:
    """Counts how the fast pass ended (it never reports: it proves a file clean or bails)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fast_ok = 0
        self.fast_bailed = 0
        original = contract._fast_write

        def fast_write(*args, **kwargs):
            try:
                result = original(*args, **kwargs)
            except contract._NeedsExactPass:
                self.fast_bailed += 1
                raise
            self.fast_ok += 1
            return result

        monkeypatch.setattr(contract, "_fast_write", fast_write)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("UK", "not an ISO 3166-1 alpha-2 country code: " + UK_HINT),
        ("uk", "not an ISO 3166-1 alpha-2 country code: " + UK_HINT),
        ("XX", NOT_ASSIGNED),
        ("QQ", NOT_ASSIGNED),
        (
            "EL",
            "not an ISO 3166-1 alpha-2 country code: "
            "the ISO code is GR (EL is the EU's abbreviation for Greece).",
        ),
        (
            "USA",
            "not an ISO 3166-1 alpha-2 country code: the ISO code is US (USA is the alpha-3 code).",
        ),
        (
            "Germany",
            "not an ISO 3166-1 alpha-2 country code: the ISO code is DE (Germany).",
        ),
        (
            "United Kingdom",
            "not an ISO 3166-1 alpha-2 country code: the ISO code is GB (United Kingdom).",
        ),
        (
            "SU",
            "not an ISO 3166-1 alpha-2 country code: SU was withdrawn from ISO 3166-1 "
            "(USSR, Union of Soviet Socialist Republics, 1992).",
        ),
        ("U1", "country must be an ISO 3166-1 alpha-2 code such as US (WW = worldwide)."),
    ],
)
def test_both_passes_refuse_a_code_iso_does_not_assign(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, message: str
) -> None:
    path = tmp_path / "codes.csv"
    path.write_bytes(
        (
            HEADER
            + "2026-02-27,A,ios,US,installs,1,x\n"
            + f"2026-02-27,A,ios,{code},installs,2,x\n"
        ).encode()
    )
    passes = _Passes(monkeypatch)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, tmp_path / "t.duckdb")
    assert passes.fast_bailed == 1 and passes.fast_ok == 0
    (problem,) = info.value.problems
    assert (problem.line, problem.column, problem.value, problem.message) == (
        3,
        "country",
        code,
        message,
    )


@pytest.mark.parametrize("code", ["US", "us", " gb ", "WW", "ZZ", "XK", "AN", "SS", "CW"])
def test_the_fast_pass_accepts_what_the_rules_accept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    path = tmp_path / "codes.csv"
    path.write_bytes((HEADER + f"2026-02-27,A,ios,{code},installs,2,x\n").encode())
    passes = _Passes(monkeypatch)
    contract.ingest_file(path, tmp_path / "t.duckdb")
    assert passes.fast_ok == 1 and passes.fast_bailed == 0
    with store.connect(tmp_path / "t.duckdb") as con:
        countries = con.sql("select country from series").fetchall()
    assert countries == [(code.strip().upper(),)]


# --- every adapter goes through the rule ------------------------------------------------------


def _gzip(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as fh:
        fh.write(data)
    return out.getvalue()


def _once(data: bytes, old: bytes, new: bytes) -> bytes:
    """`data` with the first `old` replaced by `new` (which must be there)."""
    assert old in data
    return data.replace(old, new, 1)


def _play(data: bytes) -> bytes:
    old, new = ",US,".encode("utf-16-le"), ",UK,".encode("utf-16-le")
    return _once(data, old, new)


def _apple_sales(data: bytes) -> bytes:
    return _gzip(_once(gzip.decompress(data), b"\tUSD\tUS\tUSD\t", b"\tUSD\tUK\tUSD\t"))


ADAPTER_CASES = [
    # (fixture, how to put UK in place of a real code, the column the message names, options)
    ("google_play/installs_com.example.chat_202603_country.csv", _play, "Country"),
    (
        "apple_installs/App Store Installation and Deletion Detailed_2026-03-01.txt",
        lambda d: _once(d, b"\tGB\t", b"\tUK\t"),
        "Territory",
    ),
    ("apple_sales/S_D_80012345_20260301.txt.gz", _apple_sales, "Country Code"),
    (
        "apple_web/Example Chat-Deletions-Territory.csv",
        lambda d: _once(d, b"Vereinigte Staaten", b"UK"),
        "(territory columns)",
        IngestOptions(metric="uninstalls"),
    ),
    (
        "sensortower/android_sales_report_estimates.json",
        lambda d: _once(d, b'"c":"US"', b'"c":"UK"'),
        "cc / c [record number]",
    ),
    (
        "appfigures/sales_countries_dates_products.json",
        lambda d: _once(d, b'"US": {', b'"UK": {'),
        "country key",
    ),
    ("generic/wide.csv", lambda d: _once(d, b",ios,US,", b",ios,UK,"), "Country"),
]


@pytest.mark.parametrize("case", ADAPTER_CASES, ids=[c[0].split("/")[0] for c in ADAPTER_CASES])
def test_every_adapter_refuses_uk_with_the_hint(db: Path, tmp_path: Path, case: tuple) -> None:
    fixture, change, column, *rest = case
    options = rest[0] if rest else None
    original = (FIXTURES / fixture).read_bytes()
    result = contract.ingest_file(FIXTURES / fixture, tmp_path / "ok.duckdb", options)
    assert result.status == "imported"
    path = tmp_path / Path(fixture).name
    path.write_bytes(change(original))
    before = snapshot(db)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db, options)
    problem = info.value.problems[0]
    assert problem.value == "UK"
    assert problem.message == "not an ISO 3166-1 alpha-2 country code: " + UK_HINT
    assert problem.line is not None
    assert problem.column == column
    assert_only_a_failed_row_added(before, snapshot(db))


def test_a_country_option_iso_does_not_assign_is_refused(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "no_country.csv"
    path.write_bytes(b"date,app,metric,value\n2024-01-05,Foo,installs,10\n")
    before = snapshot(db)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db, IngestOptions(country="uk"))
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (2, "country", "uk")
    assert "the ISO code is GB" in problem.message
    assert_only_a_failed_row_added(before, snapshot(db))


def test_manual_entry_refuses_uk_at_its_table_row(db: Path) -> None:
    rows = [
        {
            "date": "2024-01-05",
            "app": "Foo",
            "country": "US",
            "platform": "ios",
            "metric": "installs",
            "value": 3,
        },
        {
            "date": "2024-01-05",
            "app": "Foo",
            "country": "UK",
            "platform": "ios",
            "metric": "installs",
            "value": 4,
        },
    ]
    before = snapshot(db)
    with pytest.raises(ImportFailed) as info:
        manual.ingest_rows(rows, db)
    problem = info.value.problems[0]
    # line 3 = the second table row (line 1 is the header)
    assert (problem.line, problem.column, problem.value) == (3, "country", "UK")
    assert "the ISO code is GB" in problem.message
    assert_only_a_failed_row_added(before, snapshot(db))
