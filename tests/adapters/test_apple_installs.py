"""App Store Installation and Deletion (Analytics Reports API): sums by Event/Download Type."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from adapter_helpers import count_rows, fixture, metric_values, one

from pipelines import contract
from pipelines.errors import ImportFailed

STANDARD = fixture(
    "apple_installs", "App Store Installation and Deletion Standard_2026-03-01.txt.gz"
)
DETAILED = fixture("apple_installs", "App Store Installation and Deletion Detailed_2026-03-01.txt")
CHAT = "Example Chat"


def test_standard_fixture_is_gzip_tsv():
    data = STANDARD.read_bytes()
    assert data[:2] == b"\x1f\x8b"
    assert gzip.decompress(data).decode().split("\n")[0].split("\t")[0] == "Date"


def test_standard_sums_by_event_and_download_type(db: Path):
    result = contract.ingest_file(STANDARD, db)
    assert result.format == "apple-installs"
    assert any("identical row" in n for n in result.notices)
    # US 2026-02-28: first-time 812 + 40, redownload 120 -> installs 972.
    assert one(db, CHAT, "US", "2026-02-28", "first_time_downloads") == 852
    assert one(db, CHAT, "US", "2026-02-28", "redownloads") == 120
    assert one(db, CHAT, "US", "2026-02-28", "installs") == 972
    assert one(db, CHAT, "US", "2026-02-28", "updates") == 95
    assert one(db, CHAT, "US", "2026-02-28", "restores") == 7
    # Deletes 1604 (delivered twice, counted once) + 12.
    assert one(db, CHAT, "US", "2026-02-28", "uninstalls") == 1616
    assert one(db, CHAT, "DE", "2026-02-28", "installs") == 61
    assert one(db, CHAT, "DE", "2026-02-28", "uninstalls") == 19
    assert one(db, CHAT, "US", "2026-03-01", "uninstalls") == 410
    stored = metric_values(db)
    assert {(a, p, s) for a, p, c, d, m, s in stored} == {(CHAT, "ios", "app_store_connect")}
    # No series for metrics that had no rows (DE has no redownloads) - absent, not zero.
    assert (CHAT, "ios", "DE", "2026-02-28", "redownloads", "app_store_connect") not in stored
    assert len(stored) == 12


def test_app_name_is_a_hint_the_identifier_is_the_key(db: Path):
    from pipelines import sql, store

    contract.ingest_file(STANDARD, db)
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select identifier, name from identifiers join apps using (app_id) order by 1",
        )
    assert rows == [("1000000001", CHAT)]


def test_detailed_other_column_order_and_concatenated_segments(db: Path):
    result = contract.ingest_file(DETAILED, db)
    assert result.format == "apple-installs"
    assert any("Auto-update".lower() in n for n in result.notices)
    assert one(db, "Example Notes", "GB", "2026-03-01", "installs") == 35
    assert one(db, "Example Notes", "GB", "2026-03-01", "first_time_downloads") == 30
    assert one(db, "Example Notes", "GB", "2026-03-01", "uninstalls") == 8
    assert one(db, "Example Notes", "FR", "2026-03-01", "uninstalls") == 3
    assert count_rows(db, "updates") == 0  # Auto-update is not Manual update


def test_identical_rows_count_once_even_across_concatenated_copies(db: Path, tmp_path: Path):
    doubled = tmp_path / "twice.txt.gz"
    doubled.write_bytes(STANDARD.read_bytes() * 2)  # the same segment concatenated twice
    contract.ingest_file(doubled, db)
    assert one(db, CHAT, "US", "2026-02-28", "uninstalls") == 1616
    assert one(db, CHAT, "US", "2026-02-28", "installs") == 972


def test_bad_counts_is_reported_at_its_physical_line(db: Path, tmp_path: Path):
    text = gzip.decompress(STANDARD.read_bytes()).decode().replace("\t95\t95", "\t9 5\t95")
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (5, "Counts", "9 5")
    assert count_rows(db) == 0


def test_unknown_event_is_an_error(db: Path, tmp_path: Path):
    text = DETAILED.read_text().replace("\tFR\tDelete\t", "\tFR\tRemove\t")
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    assert info.value.problems[0].line == 7
    assert "Install or Delete" in str(info.value)


def test_bad_date_is_reported_at_the_first_contributing_line(db: Path, tmp_path: Path):
    text = gzip.decompress(STANDARD.read_bytes()).decode().replace("2026-03-01\t", "03/01/2026\t")
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (12, "Date", "03/01/2026")
