"""Sensor Tower and Appfigures JSON estimates: exact sums, NULLs, nesting, lines, own sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adapter_helpers import count_rows, fixture, metric_values, one

from pipelines import contract
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed

ST_IOS = fixture("sensortower", "ios_sales_report_estimates.json")
ST_ANDROID = fixture("sensortower", "android_sales_report_estimates.json")
AF_DATES = fixture("appfigures", "sales_dates_products_US.json")
AF_COUNTRIES = fixture("appfigures", "sales_countries_dates_products.json")
APPLE_ID = "6448311069"


def test_sensortower_ios_sums_iphone_and_ipad_and_converts_cents(db: Path):
    result = contract.ingest_file(ST_IOS, db)
    assert result.format == "sensortower"
    assert one(db, APPLE_ID, "US", "2026-02-28", "downloads") == 152300 + 8100
    assert one(db, APPLE_ID, "US", "2026-02-28", "revenue_usd") == 95300.00
    # 1,234,567 + 1 cents = $12,345.68 exactly.
    assert one(db, APPLE_ID, "US", "2026-03-01", "revenue_usd") == 12345.68
    # iPad part missing or null: the sum is unknown, not the iPhone part alone.
    assert one(db, APPLE_ID, "DE", "2026-02-28", "downloads") is None
    assert one(db, APPLE_ID, "DE", "2026-02-28", "revenue_usd") is None
    assert one(db, APPLE_ID, "DE", "2026-03-01", "downloads") == 20700
    assert one(db, APPLE_ID, "DE", "2026-03-01", "revenue_usd") is None
    assert {(p, s) for a, p, c, d, m, s in metric_values(db)} == {("ios", "sensortower")}


def test_sensortower_android_one_line_file(db: Path):
    result = contract.ingest_file(ST_ANDROID, db)
    assert any("record number" in n for n in result.notices)
    assert one(db, "com.example.chat", "US", "2026-03-01", "downloads") == 99500
    assert one(db, "com.example.chat", "US", "2026-03-01", "revenue_usd") == 51000.01
    assert one(db, "com.example.chat", "IN", "2026-02-28", "revenue_usd") == 0
    assert {(p, s) for a, p, c, d, m, s in metric_values(db)} == {("android", "sensortower")}


def test_sensortower_error_names_the_pretty_printed_line(db: Path, tmp_path: Path):
    records = json.loads(ST_IOS.read_text())
    records[1]["cc"] = "USA"
    path = tmp_path / "st.json"
    path.write_text(json.dumps(records, indent=2))
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    # Record 2 opens on line 11 of the indent=2 file (9 lines per record after the '[').
    assert path.read_text().splitlines()[problem.line - 1].strip() == "{"
    assert problem.line == 11 and problem.value == "USA"


def test_sensortower_error_on_one_line_file_names_the_record(db: Path, tmp_path: Path):
    records = json.loads(ST_ANDROID.read_text())
    records[2]["u"] = "many"
    path = tmp_path / "st.json"
    path.write_text(json.dumps(records))
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert problem.line == 3 and problem.value == "many"
    assert "record number" in problem.column


def test_sensortower_weekly_granularity_refused(db: Path, tmp_path: Path):
    path = tmp_path / "weekly.json"
    path.write_text(
        json.dumps(
            [
                {"aid": "a.b", "c": "US", "d": "2026-02-02", "u": 1, "r": 0},
                {"aid": "a.b", "c": "US", "d": "2026-02-09", "u": 1, "r": 0},
            ],
            indent=1,
        )
    )
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    assert "not daily" in str(info.value)


def test_estimates_are_separate_series_from_store_numbers(db: Path):
    contract.ingest_file(fixture("apple_sales", "S_D_80012345_20260301.txt.gz"), db)
    contract.ingest_file(AF_COUNTRIES, db)
    downloads = metric_values(db, country="US", metric="downloads")
    assert downloads == {
        ("Example Chat", "ios", "US", "2026-03-01", "downloads", "app_store_connect"): 855,
        ("Example Chat", "ios", "US", "2026-02-28", "downloads", "appfigures"): 1520,
        ("Example Chat", "ios", "US", "2026-03-01", "downloads", "appfigures"): 1611,
    }


def test_appfigures_dates_products(db: Path):
    result = contract.ingest_file(AF_DATES, db, IngestOptions(country="US", platform="ios"))
    assert result.format == "appfigures"
    app = "40123456"
    assert one(db, app, "US", "2026-02-28", "downloads") == 1520
    assert one(db, app, "US", "2026-02-28", "re_downloads") == 310
    assert one(db, app, "US", "2026-02-28", "uninstalls") == 410
    assert one(db, app, "US", "2026-03-01", "updates") == 2987
    assert one(db, app, "US", "2026-03-01", "net_downloads") == 1611
    # The answer states no currency: its revenue is left out, never taken as US dollars.
    assert count_rows(db, "revenue_usd") == 0
    assert any("never assumes US dollars" in n for n in result.notices)
    assert count_rows(db) == 10  # returns is not imported
    assert {(p, s) for a, p, c, d, m, s in metric_values(db)} == {("ios", "appfigures")}


def test_appfigures_other_nesting_order_and_product_objects(db: Path):
    result = contract.ingest_file(AF_COUNTRIES, db)
    assert any("countries > dates > products" in n for n in result.notices)
    chat = "Example Chat"  # from the product object's name
    assert count_rows(db, "revenue_usd") == 0  # no currency stated
    assert one(db, chat, "US", "2026-02-28", "net_downloads") == 1519
    assert one(db, chat, "DE", "2026-02-28", "re_downloads") is None
    assert one(db, chat, "DE", "2026-02-28", "downloads") == 201
    assert count_rows(db, "uninstalls") == 0  # Apple reports none: absent, not zero
    assert {p for a, p, c, d, m, s in metric_values(db)} == {"ios"}  # product store 'apple'


def test_appfigures_store_breakdown_refused(db: Path, tmp_path: Path):
    path = tmp_path / "af.json"
    path.write_text(
        json.dumps({"2026-02-28": {"apple": {"downloads": 1, "re_downloads": 0}}}, indent=2)
    )
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db, IngestOptions(app="x"))
    problem = info.value.problems[0]
    assert problem.line == 2 and problem.value == "apple"  # the object holding the keys
    assert "group_by" in problem.hint


def test_appfigures_without_dates_refused(db: Path, tmp_path: Path):
    path = tmp_path / "af.json"
    path.write_text(json.dumps({"40123456": {"downloads": 1, "re_downloads": 0}}))
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    assert "not broken down by date" in str(info.value)
