"""The import contract on the generic formats: values exact in every encoding and delimiter,
located errors, all-or-nothing, idempotence, restatement, undo, manual entry, aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import contract, manual, ops, sql, store
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed, UsageError
from tests.conftest import FIXTURES, checksums

GENERIC = FIXTURES / "generic"
LONG_EXPECTED = [
    ("ChatGPT", "android", "US", "2026-02-27", "uninstalls", 1500.0, "sensortower"),
    ("ChatGPT", "android", "US", "2026-02-28", "uninstalls", None, "sensortower"),
    ("ChatGPT", "ios", "US", "2026-02-27", "uninstalls", 1700.0, "sensortower"),
    ("ChatGPT", "ios", "US", "2026-02-28", "uninstalls", 6715.0, "sensortower"),
    ("Claude", "ios", "US", "2026-02-27", "downloads", 80000.0, "sensortower"),
    ("Claude", "ios", "US", "2026-02-28", "downloads", 109600.0, "sensortower"),
]
WIDE_EXPECTED = [
    ("Claude", "ios", "US", "2026-02-27", "installs", 80000.0, "generic"),
    ("Claude", "ios", "US", "2026-02-27", "uninstalls", 410.0, "generic"),
    ("Claude", "ios", "US", "2026-02-28", "installs", 109600.0, "generic"),
    ("Claude", "ios", "US", "2026-02-28", "uninstalls", None, "generic"),
    ("Claude", "ios", "US", "2026-03-01", "installs", None, "generic"),
    ("Claude", "ios", "US", "2026-03-01", "uninstalls", 395.0, "generic"),
]


def stored(db: Path) -> list[tuple]:
    with store.connect(db) as con:
        return sql.run_text(
            con,
            "select app, platform, country, strftime(date, '%Y-%m-%d'), "
            "metric, value, source from daily_metrics order by all",
        )


@pytest.mark.parametrize(
    ("fixture", "fmt", "encoding"),
    [
        ("long_utf8.csv", "generic-long", "utf-8"),
        ("long_utf8_bom.csv", "generic-long", "utf-8-sig"),
        ("long_utf16le_bom.csv", "generic-long", "utf-16-le"),
        ("long_utf16be_bom.csv", "generic-long", "utf-16-be"),
        ("long_semicolon.csv", "generic-long", "utf-8"),
        ("long_tab.tsv", "generic-long", "utf-8"),
        ("long_crlf_headers.csv", "generic-long", "utf-8"),
    ],
)
def test_long_format_every_encoding_and_delimiter(
    db: Path, fixture: str, fmt: str, encoding: str
) -> None:
    result = contract.ingest_file(GENERIC / fixture, db)
    assert result.status == "imported"
    assert result.format == fmt
    assert result.rows == 6
    assert stored(db) == LONG_EXPECTED
    with store.connect(db) as con:
        assert sql.run_text(con, "select encoding, status from imports") == [(encoding, "ok")]


@pytest.mark.parametrize("fixture", ["wide.csv", "wide_utf16le_bom.csv", "wide_semicolon.csv"])
def test_wide_format(db: Path, fixture: str) -> None:
    result = contract.ingest_file(GENERIC / fixture, db)
    assert result.format == "generic-wide"
    assert stored(db) == WIDE_EXPECTED


def test_missing_app_column_needs_app_option(db: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(GENERIC / "no_app_column.csv", db)
    assert "missing required column(s): app" in str(info.value)
    contract.ingest_file(
        GENERIC / "no_app_column.csv", db, IngestOptions(app="Manual App", platform="android")
    )
    assert stored(db) == [
        ("Manual App", "android", "WW", "2026-03-01", "installs", 7.0, "generic"),
        ("Manual App", "android", "WW", "2026-03-02", "installs", 8.0, "generic"),
    ]


def test_located_errors_name_file_line_column_value_and_total(db: Path) -> None:
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(GENERIC / "bad_values.csv", db)
    text = str(info.value)
    assert text.startswith("bad_values.csv: not imported, 4 problems found; nothing was written.")
    assert "line 2, column 'value': value '12.5': not a whole number" in text
    assert "line 3, column 'metric': value 'instals': unknown metric" in text
    assert "line 4, column 'date': value '01/03/2026': not an ISO date" in text
    assert "line 5, column 'value': value '-3': negative" in text


def test_failed_import_changes_nothing_but_one_history_row(db: Path) -> None:
    contract.ingest_file(GENERIC / "long_utf8.csv", db)
    before = checksums(db)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(GENERIC / "bad_values.csv", db)
    after = checksums(db)
    assert {k: v for k, v in after.items() if k != "imports"} == {
        k: v for k, v in before.items() if k != "imports"
    }
    assert after["imports"][0] == before["imports"][0] + 1
    with store.connect(db) as con:
        rows = sql.run_text(
            con, "select status, file_name, message like '%line 2%' from imports order by import_id"
        )
    assert rows[-1] == ("failed", "bad_values.csv", True)
    assert info.value.import_id is not None


def test_same_bytes_twice_is_already_imported(db: Path) -> None:
    first = contract.ingest_file(GENERIC / "long_utf8.csv", db)
    before = checksums(db)
    second = contract.ingest_file(GENERIC / "long_utf8.csv", db)
    assert second.status == "already imported"
    assert second.import_id == first.import_id
    assert "already imported" in second.summary()
    assert checksums(db) == before


def test_restated_days_replace_stored_rows_and_undo_restores_them(db: Path) -> None:
    contract.ingest_file(GENERIC / "restate_v1.csv", db)
    second = contract.ingest_file(GENERIC / "restate_v2.csv", db)
    assert second.rows_replaced == 2
    assert [r[3:6] for r in stored(db)] == [
        ("2026-03-01", "installs", 100.0),
        ("2026-03-02", "installs", 250.0),
        ("2026-03-03", "installs", 300.0),
    ]
    with store.connect(db) as con:
        assert sql.run_text(
            con, "select rows_replaced from imports where import_id = $i", i=second.import_id
        ) == [(2,)]
    message = ops.undo(second.import_id, db)
    assert "removed 3 rows" in message
    assert [r[3:6] for r in stored(db)] == [
        ("2026-03-01", "installs", 100.0),
        ("2026-03-02", "installs", 200.0),
    ]
    with store.connect(db) as con:
        assert sql.run_text(con, "select count(*) from replaced_observations") == [(0,)]
    # Undone bytes can be imported again.
    again = contract.ingest_file(GENERIC / "restate_v2.csv", db)
    assert again.status == "imported"


def test_undo_of_an_older_import_keeps_later_restatements(db: Path) -> None:
    first = contract.ingest_file(GENERIC / "restate_v1.csv", db)
    contract.ingest_file(GENERIC / "restate_v2.csv", db)
    ops.undo(first.import_id, db)
    assert [r[3:6] for r in stored(db)] == [
        ("2026-03-01", "installs", 100.0),
        ("2026-03-02", "installs", 250.0),
        ("2026-03-03", "installs", 300.0),
    ]
    with pytest.raises(UsageError, match="is undone"):
        ops.undo(first.import_id, db)


def test_raw_file_is_archived_by_content_hash(db: Path) -> None:
    result = contract.ingest_file(GENERIC / "long_utf16le_bom.csv", db)
    with store.connect(db) as con:
        ((sha, path),) = sql.run_text(
            con, "select sha256, archive_path from imports where import_id = $i", i=result.import_id
        )
    archived = Path(path)
    assert archived.name == sha
    assert archived.read_bytes() == (GENERIC / "long_utf16le_bom.csv").read_bytes()


def test_manual_entry_goes_through_the_same_contract(db: Path) -> None:
    rows = [
        {
            "date": "2026-02-28",
            "app": "ChatGPT",
            "platform": "ios",
            "country": "US",
            "metric": "uninstalls",
            "value": 12640,
            "source": "",
        },
        {
            "date": "",
            "app": "",
            "platform": "",
            "country": "",
            "metric": "",
            "value": None,
            "source": "",
        },
    ]
    result = manual.ingest_rows(rows, db)
    assert result.rows == 1
    assert stored(db) == [("ChatGPT", "ios", "US", "2026-02-28", "uninstalls", 12640.0, "manual")]
    assert manual.ingest_rows(rows, db).status == "already imported"
    before = checksums(db)
    with pytest.raises(ImportFailed) as info:
        manual.ingest_rows(
            [
                {
                    "date": "2026-02-28",
                    "app": "ChatGPT",
                    "platform": "ios",
                    "country": "USA",
                    "metric": "uninstalls",
                    "value": "-5",
                }
            ],
            db,
        )
    assert "line 2, column 'country': value 'USA'" in str(info.value)
    assert "line 2, column 'value': value '-5': negative" in str(info.value)
    after = checksums(db)
    assert {k: v for k, v in after.items() if k != "imports"} == {
        k: v for k, v in before.items() if k != "imports"
    }


def test_alias_makes_store_ids_one_app(db: Path) -> None:
    contract.ingest_file(
        GENERIC / "no_app_column.csv",
        db,
        IngestOptions(app="com.openai.chatgpt", platform="android"),
    )
    apps = ops.apps(db)
    assert apps["name"].to_list() == ["com.openai.chatgpt"]
    ops.alias("com.openai.chatgpt", "ChatGPT", db)
    ops.alias("6448311069", "ChatGPT", db)
    apps = ops.apps(db)
    assert apps["name"].to_list() == ["ChatGPT"]
    assert sorted(apps["identifiers"][0]) == ["6448311069", "com.openai.chatgpt"]
    assert {r[0] for r in stored(db)} == {"ChatGPT"}


def test_alias_refuses_to_merge_clashing_series(db: Path) -> None:
    contract.ingest_file(
        GENERIC / "no_app_column.csv", db, IngestOptions(app="a.one", platform="android")
    )
    other = db.parent / "other.csv"
    other.write_text("date,app,platform,metric,value\n2026-03-05,a.two,android,installs,1\n")
    contract.ingest_file(other, db)
    ops.alias("a.one", "Same", db)
    with pytest.raises(UsageError, match="already has installs"):
        ops.alias("a.two", "Same", db)


def test_mixed_line_endings_are_located_at_the_line_that_ends_differently(db: Path) -> None:
    # Found by the mutation property: DuckDB stops with no line ("invalid state") on a file
    # whose lines end in different ways; the fallback scanner names the physical line.
    path = db.parent / "mixed.csv"
    path.write_bytes(
        b"date,app,metric,value\r\n"
        b'2026-01-01,"a\nb",installs,1\r\n'  # one record on lines 2-3
        b'2026-01-02,"a\nb",installs,2\r\r\n\n'  # lines 4-5, ending with a bare CR
        b'2026-01-03,"a\nb",installs,3\r\n'
    )
    before = checksums(db)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(path, db)
    assert info.value.problems[0].line == 5
    assert "ends with CR while the file's lines end with CRLF" in str(info.value)
    after = checksums(db)
    assert {k: v for k, v in after.items() if k != "imports"} == {
        k: v for k, v in before.items() if k != "imports"
    }
