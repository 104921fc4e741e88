"""App Store Connect "App Downloads" report (Standard and Detailed): Counts per Download Type,
segments that add up, restatements that replace, and headers matched by name."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from adapter_helpers import count_rows, fixture, metric_values, one

from pipelines import contract, ops
from pipelines.errors import ImportFailed

STANDARD = fixture("apple_downloads", "App Downloads Standard_2026-03-01.txt.gz")
DETAILED = fixture("apple_downloads", "App Downloads Detailed_2026-03-01.txt.gz")
SEG_1 = fixture("apple_downloads", "segments/segment-1.txt.gz")
SEG_2 = fixture("apple_downloads", "segments/segment-2.txt.gz")
RESTATED = fixture("apple_downloads", "segments/restated/segment-1.txt.gz")
INSTALLS = fixture(
    "apple_installs", "App Store Installation and Deletion Standard_2026-03-01.txt.gz"
)
CHAT = "Example Chat"
NOTES = "Example Notes"


def _text(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode()


def test_fixtures_are_gzip_tsv_as_delivered():
    standard = _text(STANDARD)
    assert standard.startswith("Date\tApp Name\tApp Apple Identifier\tDownload Type\t")
    assert standard.endswith("\t61\n\n")  # the trailing empty line
    assert '\t""\t' in _text(DETAILED)


def test_standard_counts_per_download_type(db: Path):
    result = contract.ingest_file(STANDARD, db)
    assert result.format == "apple-downloads"
    values = {
        m: v
        for (a, p, c, d, m, s), v in metric_values(db, country="US").items()
        if (a, p, s) == (CHAT, "ios", "app_store_connect")
    }
    assert values == {
        "download_first_time": 812 + 40,
        "download_redownloads": 120,
        "download_total": 812 + 40 + 120,
        "download_manual_updates": 95,
        "download_auto_updates": 3000,
        "download_restores": 7,
    }
    assert one(db, CHAT, "DE", "2026-03-01", "download_total") == 61
    assert result.rows == 6 + 2


def test_detailed_order_processing_date_and_empty_quoted_cells(db: Path):
    result = contract.ingest_file(DETAILED, db)
    assert result.format == "apple-downloads"
    assert one(db, NOTES, "FR", "2026-03-01", "download_auto_updates") == 590
    assert one(db, NOTES, "SG", "2026-03-01", "download_auto_updates") == 16
    assert one(db, NOTES, "FR", "2026-03-01", "download_total") == 35
    assert one(db, NOTES, "FR", "2026-03-01", "download_first_time") == 30


def test_headers_matched_case_and_order_insensitively(db: Path, tmp_path: Path):
    lines = _text(STANDARD).splitlines(keepends=True)
    names = lines[0].rstrip("\n").split("\t")
    order = [11, 3, 0, 10, 2, 1, 4, 5, 6, 7, 8, 9]  # Counts, Download Type, Date, Territory...
    out = ["\t".join(names[i].upper() for i in order) + "\tPROCESSING DATE\n"]
    for line in lines[1:]:
        if line.strip():
            cells = line.rstrip("\n").split("\t")
            out.append("\t".join(cells[i] or '""' for i in order) + "\t2026-03-02\n")
    path = tmp_path / "shuffled.txt"
    path.write_text("".join(out))
    assert contract.ingest_file(path, db).format == "apple-downloads"
    assert one(db, CHAT, "US", "2026-03-01", "download_total") == 972
    assert one(db, CHAT, "US", "2026-03-01", "download_auto_updates") == 3000


def test_downloads_and_installs_of_one_day_are_separate_series(db: Path):
    contract.ingest_file(INSTALLS, db)
    before = count_rows(db)
    result = contract.ingest_file(STANDARD, db)
    assert result.rows_replaced == 0
    assert count_rows(db) == before + result.rows
    assert one(db, CHAT, "US", "2026-03-01", "first_time_downloads") == 1588
    assert one(db, CHAT, "US", "2026-03-01", "download_first_time") == 852


def test_segments_add_up_and_a_restatement_replaces(db: Path):
    contract.ingest_file(SEG_1, db)
    second = contract.ingest_file(SEG_2, db)
    assert any("another segment" in n for n in second.notices)
    assert one(db, CHAT, "US", "2026-03-02", "download_first_time") == 560
    assert one(db, CHAT, "US", "2026-03-02", "download_total") == 640
    assert one(db, CHAT, "GB", "2026-03-02", "download_first_time") == 33
    restated = contract.ingest_file(RESTATED, db)
    assert any("restates import #1" in n for n in restated.notices)
    assert one(db, CHAT, "US", "2026-03-02", "download_first_time") == 570
    assert one(db, CHAT, "DE", "2026-03-02", "download_first_time") == 45
    ops.undo(restated.import_id, db)
    assert one(db, CHAT, "US", "2026-03-02", "download_first_time") == 560
    ops.undo(second.import_id, db)
    assert one(db, CHAT, "US", "2026-03-02", "download_first_time") == 500
    assert metric_values(db, country="GB") == {}


def test_segments_in_any_order_give_the_same_totals(db: Path, tmp_path: Path):
    contract.ingest_file(SEG_2, db)
    contract.ingest_file(SEG_1, db)
    assert one(db, CHAT, "US", "2026-03-02", "download_first_time") == 560
    assert one(db, CHAT, "US", "2026-03-02", "download_manual_updates") == 40


def test_non_numeric_counts_located(db: Path, tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_text(_text(STANDARD).replace("\t120\n", "\t12O\n"))
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (4, "Counts", "12O")
    assert count_rows(db) == 0


def test_unknown_download_type_is_left_out_with_a_notice(db: Path, tmp_path: Path):
    path = tmp_path / "odd.txt"
    path.write_text(_text(STANDARD).replace("\tRestore\t", "\tGift\t"))
    result = contract.ingest_file(path, db)
    assert any("Download Type 'gift'" in n for n in result.notices)
    assert metric_values(db, metric="download_restores") == {}
