"""App Analytics web 'Export CSV': preamble, wide territories, locale dates, --metric."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapter_helpers import count_rows, fixture, metric_values, one

from pipelines import contract
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed

GERMAN = fixture("apple_web", "Example Chat-Deletions-Territory.csv")
ENGLISH = fixture("apple_web", "Example Chat-Installations-Territory.csv")
CHAT = "Example Chat"


def test_german_export_needs_a_metric(db: Path):
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(GERMAN, db)
    assert "--metric" in str(info.value)
    assert count_rows(db) == 0


def test_german_export_with_metric_dates_inferred_dmy(db: Path):
    result = contract.ingest_file(GERMAN, db, IngestOptions(metric="uninstalls"))
    assert result.format == "apple-analytics-web"
    assert any("dmy" in n for n in result.notices)  # 27.02.26 settles day-first
    assert one(db, CHAT, "US", "2026-02-27", "uninstalls") == 410
    assert one(db, CHAT, "US", "2026-02-28", "uninstalls") == 1620
    assert one(db, CHAT, "DE", "2026-03-01", "uninstalls") == 58
    assert one(db, CHAT, "JP", "2026-02-28", "uninstalls") is None  # '-' is missing, not 0
    stored = metric_values(db)
    assert len(stored) == 9
    assert {(a, p, s) for a, p, c, d, m, s in stored} == {(CHAT, "ios", "app_store_connect")}


def test_english_export_metric_from_preamble_needs_date_order(db: Path):
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(ENGLISH, db)
    problem = info.value.problems[0]
    assert "--date-order" in problem.hint and problem.line == 7
    contract.ingest_file(ENGLISH, db, IngestOptions(date_order="mdy"))
    assert one(db, CHAT, "US", "2026-03-02", "installs") == 1250
    assert one(db, CHAT, "GB", "2026-03-02", "installs") is None
    assert one(db, CHAT, "WW", "2026-03-03", "installs") == 2100  # the Total column


def test_unknown_territory_names_are_listed(db: Path, tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text(
        GERMAN.read_text().replace("Japan", "iOS 18.1").replace("Deutschland", "Atlantis")
    )
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db, IngestOptions(metric="uninstalls"))
    text = str(info.value)
    assert "'Atlantis'" in text and "'iOS 18.1'" in text and "line 5" in text


def test_monthly_grouping_is_refused(db: Path, tmp_path: Path):
    path = tmp_path / "monthly.csv"
    path.write_text(
        "Name,Example Chat\nStartdatum,01.01.25\nEnddatum,31.03.25\n\n"
        "Datum,Deutschland\n01.01.25,100\n01.02.25,90\n01.03.25,80\n"
    )
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db, IngestOptions(metric="uninstalls", date_order="dmy"))
    assert "grouped by week or month" in str(info.value)


def test_app_option_overrides_preamble_name(db: Path):
    contract.ingest_file(GERMAN, db, IngestOptions(metric="uninstalls", app="1000000001"))
    assert one(db, "1000000001", "US", "2026-02-27", "uninstalls") == 410
