"""Warehouse tables: connector tables (Fivetran's Google Play stats_installs_*, App Store
installation_and_deletion / download daily tables) exported as CSV or Parquet, bookkeeping
columns ignored; the generic long and wide layouts as Parquet."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from adapter_helpers import count_rows, fixture, metric_values, one
from make_fixtures_formats import warehouse_parquet

from pipelines import contract
from pipelines.errors import ImportFailed

OVERVIEW = fixture("warehouse", "stats_installs_overview.csv")
COUNTRY = fixture("warehouse", "stats_installs_country.csv")
COUNTRY_PQ = fixture("warehouse", "stats_installs_country.parquet")
INSTALLS = fixture("warehouse", "app_store_installation_and_deletion_detailed_daily.csv")
DOWNLOADS = fixture("warehouse", "app_store_download_standard_daily.csv")
LONG_PQ = fixture("warehouse", "generic_long.parquet")
WIDE_PQ = fixture("warehouse", "generic_wide.parquet")
CHAT = "com.example.chat"


def test_parquet_fixtures_match_the_script(tmp_path: Path):
    con = duckdb.connect()
    for made in warehouse_parquet(tmp_path):
        checked_in = fixture("warehouse", made.name)
        assert checked_in.read_bytes()[:4] == b"PAR1"
        query = "select * from read_parquet($p) order by all"
        assert (
            con.execute(query, {"p": str(made)}).fetchall()
            == con.execute(query, {"p": str(checked_in)}).fetchall()
        ), made.name


def test_play_overview_table_many_months_and_apps(db: Path):
    result = contract.ingest_file(OVERVIEW, db)
    assert result.format == "google-play-installs"
    assert any("_fivetran_synced" in n and "_file" in n for n in result.notices)
    assert one(db, CHAT, "WW", "2016-05-01", "current_device_installs") == 15613
    assert one(db, CHAT, "WW", "2016-05-01", "total_user_installs") == 27810
    assert one(db, CHAT, "WW", "2019-08-02", "active_devices") == 16469
    assert one(db, CHAT, "WW", "2019-08-02", "update_events") == 1
    assert one(db, "com.example.notes", "WW", "2019-08-01", "installs") == 6
    # Columns Play stopped filling: not reported after their day, a measured value before.
    assert one(db, CHAT, "WW", "2019-08-01", "device_uninstalls") is None
    assert one(db, CHAT, "WW", "2019-08-01", "total_user_installs") is None
    assert one(db, CHAT, "WW", "2016-05-01", "device_uninstalls") == 98


def test_play_country_table_csv_and_parquet_store_the_same(db: Path, tmp_path: Path):
    contract.ingest_file(COUNTRY, db)
    from_csv = metric_values(db)
    other = tmp_path / "other.duckdb"
    result = contract.ingest_file(COUNTRY_PQ, other)
    assert result.format == "google-play-installs"
    assert metric_values(other) == from_csv
    assert from_csv[(CHAT, "android", "IN", "2019-08-01", "active_devices", "google_play")] == 8449
    assert from_csv[(CHAT, "android", "ZZ", "2019-08-01", "installs", "google_play")] == 0


def test_apple_installation_and_deletion_table(db: Path):
    result = contract.ingest_file(INSTALLS, db)
    assert result.format == "apple-installs"
    assert one(db, "1000000001", "US", "2026-03-01", "first_time_downloads") == 1588
    assert one(db, "1000000001", "US", "2026-03-01", "installs") == 1600
    assert one(db, "1000000001", "US", "2026-03-01", "uninstalls") == 410
    assert one(db, "1000000001", "DE", "2026-03-02", "updates") == 6


def test_apple_download_table(db: Path):
    result = contract.ingest_file(DOWNLOADS, db)
    assert result.format == "apple-downloads"
    assert one(db, "1000000001", "US", "2026-03-01", "download_total") == 972
    assert one(db, "1000000001", "SI", "2026-03-01", "download_auto_updates") == 5


def test_apple_table_rows_differing_only_in_bookkeeping_count_once(db: Path, tmp_path: Path):
    lines = INSTALLS.read_text().splitlines(keepends=True)
    again = (
        lines[1]
        .replace("rLTCNO6J9D59i7ffRhp+E5EyleQ=", "otherid=")
        .replace("17:09:33.790", "18:00:00.000")
    )
    path = tmp_path / "resynced.csv"
    path.write_text("".join([*lines, again]))
    result = contract.ingest_file(path, db)
    assert one(db, "1000000001", "US", "2026-03-01", "first_time_downloads") == 1588
    assert any("counted once" in n for n in result.notices)


def test_generic_long_parquet(db: Path):
    result = contract.ingest_file(LONG_PQ, db)
    assert result.format == "generic-long"
    assert one(db, CHAT, "US", "2026-03-01", "uninstalls") == 115
    assert one(db, CHAT, "US", "2026-03-02", "installs") is None
    assert any("Parquet" in n for n in result.notices)


def test_generic_wide_parquet_ignores_bookkeeping(db: Path):
    result = contract.ingest_file(WIDE_PQ, db)
    assert result.format == "generic-wide"
    assert one(db, "1000000001", "DE", "2026-03-01", "installs") == 61
    assert one(db, "1000000001", "DE", "2026-03-02", "uninstalls") is None
    assert count_rows(db) == 4
    assert any("_fivetran_synced" in n for n in result.notices)


def test_parquet_error_names_the_row(db: Path, tmp_path: Path):
    path = tmp_path / "bad.parquet"
    con = duckdb.connect()
    con.execute(
        "copy (select * from (values ('2026-03-01', 'a', 'installs', '5'), "
        "('2026-03-02', 'a', 'installs', 'x5')) t(date, app, metric, value)) "
        "to $p (format parquet)",
        {"p": str(path)},
    )
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (3, "value", "x5")


def test_a_truncated_parquet_file_is_refused_with_a_sentence(db: Path, tmp_path: Path):
    path = tmp_path / "cut.parquet"
    path.write_bytes(LONG_PQ.read_bytes()[:200])
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    assert "cannot be read as Parquet" in str(info.value)


def test_formats_command_lists_the_new_formats(capsys: pytest.CaptureFixture[str]):
    from pipelines import cli

    assert cli.main(["formats"]) == 0
    out = capsys.readouterr().out
    assert "apple-downloads: App Store Connect 'App Downloads' report" in out
    assert "unified android_/iphone_/ipad_units" in out
    assert "stats_installs_overview" in out
    assert "app_store_installation_and_deletion_*_daily" in out
    assert "app_store_download_*_daily" in out
    assert "Generic long CSV or Parquet" in out and "Generic wide CSV or Parquet" in out
    assert "Current Device/User Installs" in out
