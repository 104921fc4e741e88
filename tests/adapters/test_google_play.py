"""Google Play installs reports: UTF-16LE month files, overview and country, restated days."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapter_helpers import count_rows, fixture, metric_values, one

from pipelines import contract
from pipelines.errors import ImportFailed

APP = "com.example.chat"
OVERVIEW = fixture("google_play", "installs_com.example.chat_202603_overview.csv")
COUNTRY = fixture("google_play", "installs_com.example.chat_202603_country.csv")
LATER = fixture("google_play", "later/installs_com.example.chat_202603_country.csv")
DEVICE = fixture("google_play", "installs_com.example.chat_202603_device.csv")


def test_fixtures_are_utf16le_with_bom():
    for path in (OVERVIEW, COUNTRY, LATER, DEVICE):
        data = path.read_bytes()
        assert data[:2] == b"\xff\xfe"
        assert data[2:].decode("utf-16-le").startswith("Date,Package")


def test_overview_maps_every_play_column(db: Path):
    result = contract.ingest_file(OVERVIEW, db)
    assert result.format == "google-play-installs"
    assert result.rows == 20
    values = metric_values(db)
    day1 = {m: v for (a, p, c, d, m, s), v in values.items() if d == "2026-03-01"}
    assert {(a, p, c, s) for a, p, c, d, m, s in values} == {(APP, "android", "WW", "google_play")}
    assert day1 == {
        "device_installs": 1520,
        "device_uninstalls": 410,
        "device_upgrades": 3020,
        "total_user_installs": 250310,
        "installs": 1388,
        "uninstalls": 395,
        "active_devices": 180220,
        "install_events": 1701,
        "update_events": 3104,
        "uninstall_events": 452,
    }
    assert one(db, APP, "WW", "2026-03-02", "uninstalls") == 1588
    assert one(db, APP, "WW", "2026-03-02", "uninstall_events") == 1731


def test_country_file_blank_cells_are_null_and_blank_country_is_zz(db: Path):
    result = contract.ingest_file(COUNTRY, db)
    assert result.rows == 50
    assert any("blank Country" in n and "ZZ" in n for n in result.notices)
    assert one(db, APP, "US", "2026-03-01", "installs") == 371
    assert one(db, APP, "US", "2026-03-02", "device_uninstalls") == 1130
    # The IN row of 03-01 is all blank: ten NULL values, not zeros.
    india = metric_values(db, country="IN")
    day1 = [v for (a, p, c, d, m, s), v in india.items() if d == "2026-03-01"]
    assert len(day1) == 10 and all(v is None for v in day1)
    assert one(db, APP, "IN", "2026-03-02", "device_uninstalls") is None
    assert one(db, APP, "IN", "2026-03-02", "uninstall_events") is None
    assert one(db, APP, "IN", "2026-03-02", "installs") == 50
    # Blank Country: installs Play could not place, kept as ZZ; a measured zero stays 0.
    assert one(db, APP, "ZZ", "2026-03-01", "installs") == 11
    assert one(db, APP, "ZZ", "2026-03-01", "total_user_installs") == 0


def test_restated_month_replaces_changed_days_and_adds_new_ones(db: Path):
    contract.ingest_file(COUNTRY, db)
    before = count_rows(db)
    result = contract.ingest_file(LATER, db)
    assert result.status == "imported"
    # 7 rows x 10 metrics in the new file; 5 rows x 10 were stored before and are restated.
    assert result.rows == 70
    assert result.rows_replaced == 50
    assert count_rows(db) == before + 20
    assert one(db, APP, "US", "2026-03-02", "installs") == 384  # was 380
    assert one(db, APP, "US", "2026-03-02", "device_installs") == 425  # was 420
    assert one(db, APP, "US", "2026-03-01", "installs") == 371  # unchanged
    assert one(db, APP, "US", "2026-03-03", "installs") == 402  # added
    assert one(db, APP, "IN", "2026-03-03", "uninstall_events") == 13
    assert one(db, APP, "IN", "2026-03-01", "installs") is None


def test_same_file_twice_is_already_imported(db: Path):
    contract.ingest_file(COUNTRY, db)
    again = contract.ingest_file(COUNTRY, db)
    assert again.status == "already imported"


def test_device_breakdown_is_refused_with_a_sentence(db: Path):
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(DEVICE, db)
    text = str(info.value)
    assert "Handset Marketing Name" in text
    assert "_device file" in text
    assert "_overview" in text and "_country" in text
    assert count_rows(db) == 0


def test_header_matched_case_insensitively(db: Path, tmp_path: Path):
    text = COUNTRY.read_bytes()[2:].decode("utf-16-le")
    text = text.replace(
        "Date,Package name,Country,Daily Device Installs",
        "DATE,package NAME,country,daily device installs",
        1,
    )
    path = tmp_path / "installs_com.example.chat_202603_country.csv"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    contract.ingest_file(path, db)
    assert one(db, APP, "US", "2026-03-02", "device_installs") == 420


def test_bad_value_is_located_by_line_and_column(db: Path, tmp_path: Path):
    text = OVERVIEW.read_bytes()[2:].decode("utf-16-le").replace(",1611,", ",16x1,")
    path = tmp_path / "installs_com.example.chat_202603_overview.csv"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (3, "Daily Device Installs", "16x1")


def test_plain_utf8_copy_is_still_recognised(db: Path, tmp_path: Path):
    # Someone converted the file to UTF-8 for BigQuery (Google's own advice): same result.
    path = tmp_path / "installs.csv"
    path.write_text(OVERVIEW.read_bytes()[2:].decode("utf-16-le"), encoding="utf-8")
    assert contract.ingest_file(path, db).format == "google-play-installs"
    assert one(db, APP, "WW", "2026-03-01", "installs") == 1388
