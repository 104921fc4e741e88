"""Appfigures events JSON -> event annotations (products resolved to apps)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from adapter_helpers import fixture

from pipelines import contract, event_formats, events
from pipelines.errors import ImportFailed

EVENTS = fixture("appfigures", "events.json")


def test_appfigures_events_import(db: Path):
    # The sales report taught installpulse that product 40123456 is "Example Chat".
    contract.ingest_file(fixture("appfigures", "sales_countries_dates_products.json"), db)
    status, _import_id, count = event_formats.import_appfigures(EVENTS, db)
    assert (status, count) == ("imported", 3)
    frame = events.list_events(db).sort("start_date")
    rows = frame.select("start_date", "end_date", "title", "description", "tags", "apps").rows()
    assert rows == [
        (
            date(2026, 2, 27),
            date(2026, 2, 27),
            "Featured on the App Store",
            "Today tab, US",
            ["appfigures"],
            ["Example Chat"],
        ),
        (date(2026, 2, 28), date(2026, 2, 28), "iOS 26.3 released", "", ["appfigures"], []),
        (date(2026, 3, 1), date(2026, 3, 1), "Price drop", "", ["appfigures"], ["Example Notes"]),
    ]
    again = event_formats.import_appfigures(EVENTS, db)
    assert again[0] == "already imported"


def test_unknown_product_id_kept_as_its_id(db: Path):
    event_formats.import_appfigures(EVENTS, db)
    apps = events.list_events(db).sort("start_date")["apps"].to_list()
    assert apps[0] == ["40123456"]


def test_bad_date_located_and_nothing_written(db: Path, tmp_path: Path):
    records = json.loads(EVENTS.read_text())
    records[2]["date"] = "28/02/2026"
    path = tmp_path / "ev.json"
    path.write_text(json.dumps(records, indent=2))
    with pytest.raises(ImportFailed) as info:
        event_formats.import_appfigures(path, db)
    problem = info.value.problems[0]
    assert path.read_text().splitlines()[problem.line - 1].strip() == "{"
    assert problem.value == "28/02/2026"
    assert events.list_events(db).height == 0
