"""Sensor Tower `unified` answers stored per platform, and Appfigures answers with products of
both stores and revenue in the currency the answer states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adapter_helpers import count_rows, fixture, metric_values, one

from pipelines import contract, ops, sql, store
from pipelines.errors import ImportFailed

UNIFIED = fixture("sensortower", "unified_sales_report_estimates.json")
AF_EUR = fixture("appfigures", "sales_dates_products_countries_EUR.json")
ST_APP = "5ba4585f539ce75b97db6bcb"


def test_unified_is_stored_per_platform_never_with_the_total(db: Path):
    result = contract.ingest_file(UNIFIED, db)
    assert result.format == "sensortower"
    stored = metric_values(db)
    assert {(p, s) for a, p, c, d, m, s in stored} == {
        ("android", "sensortower"),
        ("ios", "sensortower"),
    }
    us = {(p, m): v for (a, p, c, d, m, s), v in stored.items() if (c, d) == ("US", "2026-02-28")}
    assert us == {
        ("android", "downloads"): 98000,
        ("ios", "downloads"): 152300 + 8100,
        ("android", "revenue_usd"): 51000.00,
        ("ios", "revenue_usd"): 95300.00,
    }
    assert any("per platform" in n for n in result.notices)
    # The day's total over platforms is the unified figure, counted once.
    with store.connect(db) as con:
        total = sql.run_text(
            con,
            "select value from daily_totals where metric = 'downloads' and country = 'US' "
            "and platform = 'all' and date = '2026-02-28'",
        )
    assert total == [(258400.0,)]


def test_unified_unknown_ipad_part_leaves_ios_unknown(db: Path):
    contract.ingest_file(UNIFIED, db)
    de = {
        (p, m): v
        for (a, p, c, d, m, s), v in metric_values(db, country="DE").items()
        if d == "2026-02-28"
    }
    assert de[("android", "downloads")] == 12000
    assert de[("ios", "downloads")] is None  # ipad_units null: the sum is unknown, not 20100


def test_unified_total_that_disagrees_is_noted(db: Path, tmp_path: Path):
    data = json.loads(UNIFIED.read_text())
    data[0]["unified_units"] += 5
    path = tmp_path / "unified.json"
    path.write_text(json.dumps(data, indent=2))
    result = contract.ingest_file(path, db)
    assert any("other than the sum of their platforms" in n for n in result.notices)
    assert metric_values(db, metric="downloads", country="US")  # platforms still stored


def test_appfigures_platform_from_each_products_store(db: Path, tmp_path: Path):
    ops.add_metric(
        "revenue_eur", "event", "EUR", "revenue in euros", integer=False, signed=True, db=db
    )
    result = contract.ingest_file(AF_EUR, db)
    assert result.format == "appfigures"
    platforms = {(a, p) for a, p, c, d, m, s in metric_values(db)}
    assert platforms == {("Example Chat", "ios"), ("Example Chat Android", "android")}
    assert one(db, "Example Chat Android", "DE", "2026-02-28", "uninstalls") == 44
    assert count_rows(db, "uninstalls") == 2  # Apple reports none: absent, not zero


def test_appfigures_revenue_in_the_stated_currency(db: Path):
    ops.add_metric(
        "revenue_eur", "event", "EUR", "revenue in euros", integer=False, signed=True, db=db
    )
    contract.ingest_file(AF_EUR, db)
    assert one(db, "Example Chat", "DE", "2026-02-28", "revenue_eur") == 12.30
    assert one(db, "Example Chat Android", "DE", "2026-03-01", "revenue_eur") == 1.25
    assert count_rows(db, "revenue_usd") == 0


def test_appfigures_currency_without_a_metric_is_refused_with_the_command(db: Path):
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(AF_EUR, db)
    text = str(info.value)
    assert "revenue is in EUR" in text
    assert "installpulse metrics add revenue_eur --kind event --unit EUR --decimal --signed" in text
    assert count_rows(db) == 0


def test_appfigures_usd_stated_on_the_record(db: Path, tmp_path: Path):
    data = json.loads(AF_EUR.read_text())
    del data["currency"]
    for day in ("2026-02-28", "2026-03-01"):
        for countries in data[day].values():
            for leaf in countries.values():
                leaf["currency"] = "usd"
    path = tmp_path / "usd.json"
    path.write_text(json.dumps(data, indent=2))
    contract.ingest_file(path, db)
    assert one(db, "Example Chat", "FR", "2026-02-28", "revenue_usd") == 4.99


def test_appfigures_product_of_another_store_is_refused(db: Path, tmp_path: Path):
    text = AF_EUR.read_text().replace('"google_play"', '"amazon_appstore"')
    path = tmp_path / "amazon.json"
    path.write_text(text)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    problem = info.value.problems[0]
    assert "amazon_appstore" in problem.message and "40999999" in problem.message
    assert problem.line is not None
