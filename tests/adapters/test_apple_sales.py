"""Sales and Trends daily summary: Units summed by product type into three metrics."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from adapter_helpers import count_rows, fixture, metric_values, one

from pipelines import contract
from pipelines.errors import ImportFailed

SALES = fixture("apple_sales", "S_D_80012345_20260301.txt.gz")
CHAT = "Example Chat"


def _text() -> str:
    return gzip.decompress(SALES.read_bytes()).decode()


def test_fixture_is_gzip():
    assert SALES.read_bytes()[:2] == b"\x1f\x8b"


def test_units_summed_by_product_type(db: Path):
    result = contract.ingest_file(SALES, db)
    assert result.format == "apple-sales"
    assert any("IA1 (1)" in n for n in result.notices)
    assert one(db, CHAT, "US", "2026-03-01", "downloads") == 812 + 40 + 3
    assert one(db, CHAT, "US", "2026-03-01", "redownloads") == 120 + 4
    assert one(db, CHAT, "US", "2026-03-01", "updates") == 95 + 5
    assert one(db, CHAT, "DE", "2026-03-01", "downloads") == 61
    assert one(db, CHAT, "DE", "2026-03-01", "updates") == 22
    stored = metric_values(db)
    assert len(stored) == 5
    assert {(a, p, s) for a, p, c, d, m, s in stored} == {(CHAT, "ios", "app_store_connect")}


def test_iso_begin_dates_are_accepted(db: Path, tmp_path: Path):
    path = tmp_path / "iso.txt"
    path.write_text(_text().replace("03/01/2026", "2026-03-01"))
    contract.ingest_file(path, db)
    assert one(db, CHAT, "US", "2026-03-01", "downloads") == 855


def test_weekly_report_is_refused(db: Path, tmp_path: Path):
    lines = _text().splitlines(keepends=True)
    # A weekly report: Begin Date 03/01, End Date 03/07 (second column of the pair).
    lines[3] = lines[3].replace("03/01/2026\t03/01/2026", "03/01/2026\t03/07/2026")
    path = tmp_path / "weekly.txt"
    path.write_text("".join(lines))
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (4, "End Date", "03/07/2026")
    assert "weekly, monthly or yearly" in problem.message
    assert count_rows(db) == 0


def test_non_numeric_units_located(db: Path, tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_text(_text().replace("\t120\t", "\t1 20\t"))
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (5, "Units", "1 20")
