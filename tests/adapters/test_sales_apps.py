"""Sales and Trends: an app is its Apple Identifier (titles repeat across apps), and a weekly
report is refused once for the file, not once per row."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from adapter_helpers import count_rows, fixture, metric_values

from pipelines import contract, sql, store
from pipelines.errors import ImportFailed

WEEKLY = fixture("apple_sales", "S_W_80012345_20260301.txt.gz")
SAME_TITLE = fixture("apple_sales", "S_D_80012399_20260301.txt.gz")


def _apps(db: Path) -> dict[str, str]:
    with store.connect(db) as con:
        return dict(
            sql.run_text(
                con,
                "select i.identifier, a.name from identifiers i join apps a using (app_id)",
            )
        )


def test_fixtures_are_gzip_tsv():
    for path in (WEEKLY, SAME_TITLE):
        text = gzip.decompress(path.read_bytes()).decode()
        assert text.startswith("Provider\tProvider Country\tSKU")


def test_two_apps_with_one_title_stay_two_apps(db: Path):
    contract.ingest_file(SAME_TITLE, db)
    assert _apps(db) == {"1000000301": "Chat", "1000000302": "Chat (1000000302)"}
    values = metric_values(db, metric="downloads")
    assert values == {
        ("Chat", "ios", "US", "2026-03-01", "downloads", "app_store_connect"): 70,
        ("Chat (1000000302)", "ios", "US", "2026-03-01", "downloads", "app_store_connect"): 9,
        ("Chat (1000000302)", "ios", "DE", "2026-03-01", "downloads", "app_store_connect"): 4,
    }


def test_a_title_already_held_by_another_apple_app_names_a_new_app(db: Path, tmp_path: Path):
    text = gzip.decompress(SAME_TITLE.read_bytes()).decode().splitlines(keepends=True)
    first = tmp_path / "first.txt"
    first.write_text("".join(text[:2]))
    second = tmp_path / "second.txt"
    second.write_text("".join([text[0], *text[2:]]))
    contract.ingest_file(first, db)
    contract.ingest_file(second, db)
    assert _apps(db) == {"1000000301": "Chat", "1000000302": "Chat (1000000302)"}


def test_the_same_identifier_keeps_its_app(db: Path, tmp_path: Path):
    contract.ingest_file(SAME_TITLE, db)
    text = gzip.decompress(SAME_TITLE.read_bytes()).decode().replace("03/01/2026", "03/02/2026")
    later = tmp_path / "later.txt"
    later.write_text(text)
    contract.ingest_file(later, db)
    assert _apps(db) == {"1000000301": "Chat", "1000000302": "Chat (1000000302)"}
    assert len(metric_values(db, app="Chat")) == 2


def test_weekly_report_is_refused_once(db: Path):
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(WEEKLY, db)
    problems = info.value.problems
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.line, problem.column, problem.value) == (2, "End Date", "03/01/2026")
    assert "weekly, monthly or yearly" in problem.message
    assert "02/23/2026" in problem.message and "3 row(s)" in problem.message
    assert count_rows(db) == 0
