"""The store: creation, versioned migration after a backup, refusing newer files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines import sql, store
from pipelines.errors import InstallpulseError


def test_new_file_gets_current_schema_and_documented_view(db: Path) -> None:
    with store.connect(db) as con:
        assert store.current_version(con) == store.SCHEMA_VERSION
        cols = [
            r[0]
            for r in sql.run_text(
                con,
                "select column_name from duckdb_columns() "
                "where table_name = 'daily_metrics' "
                "order by column_index",
            )
        ]
    assert cols == ["app", "platform", "country", "date", "metric", "value", "source"]


def _make_v1_file(path: Path) -> None:
    """A file exactly as installpulse schema 1 wrote it, with data in it."""
    con = duckdb.connect(str(path))
    for statement in sql.split_statements(sql.load("schema/v001")):
        con.execute(statement)
        con.fetchall()
    con.execute("insert into schema_version (version, installpulse_version) values (1, '0.0.1')")
    con.fetchall()
    con.execute("insert into apps values (1, 'ChatGPT', now())")
    con.fetchall()
    con.execute("insert into identifiers values ('ChatGPT', 1, now())")
    con.fetchall()
    con.execute("insert into series values (1, 'ChatGPT', 'ios', 'US', 'installs', 'demo')")
    con.fetchall()
    con.execute("insert into observations values (1, date '2026-02-28', 42, 1)")
    con.fetchall()
    con.execute(
        "insert into events (event_id, start_date, end_date, title) "
        "values (1, date '2026-02-27', date '2026-02-27', 'deal')"
    )
    con.fetchall()
    con.close()


def test_older_schema_is_backed_up_then_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _make_v1_file(path)
    with store.connect(path) as con:
        assert store.current_version(con) == store.SCHEMA_VERSION
        rows = sql.run_text(con, "select app, value from daily_metrics")
        approx = sql.run_text(con, "select is_approximate from events")
    assert rows == [("ChatGPT", 42.0)]
    assert approx == [(False,)]
    backups = list((tmp_path / "backups").glob("old.schema1.*.duckdb"))
    assert len(backups) == 1
    con = duckdb.connect(str(backups[0]), read_only=True)
    assert con.execute("select max(version) from schema_version").fetchall() == [(1,)]
    con.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    with store.connect(path) as con:
        con.execute("insert into schema_version (version) values (99)")
        con.fetchall()
    store.release_all()
    with pytest.raises(InstallpulseError, match="newer installpulse"):
        with store.connect(path):
            pass


def test_foreign_duckdb_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table t (x int)")
    con.fetchall()
    con.close()
    with pytest.raises(InstallpulseError, match="not an installpulse database"):
        with store.connect(path):
            pass


def test_checksums_change_with_content_and_not_with_order(db: Path) -> None:
    with store.connect(db) as con:
        con.execute(
            "insert into apps values (1, 'a', timestamp '2026-01-01'), "
            "(2, 'b', timestamp '2026-01-01')"
        )
        con.fetchall()
        first = store.table_checksums(con)["apps"]
        con.execute("delete from apps")
        con.fetchall()
        con.execute(
            "insert into apps values (2, 'b', timestamp '2026-01-01'), "
            "(1, 'a', timestamp '2026-01-01')"
        )
        con.fetchall()
        again = store.table_checksums(con)["apps"]
        con.execute("update apps set name = 'c' where app_id = 2")
        con.fetchall()
        changed = store.table_checksums(con)["apps"]
    assert first == again
    assert changed != first


def test_schema_3_file_gets_the_version_4_totals_macro(tmp_path: Path) -> None:
    """A file migrated to schema 3 (the first ip_totals) is moved to 4: the macro is replaced,
    the view daily_totals reads through it, and the totals are the same numbers."""
    path = tmp_path / "v3.duckdb"
    _make_v1_file(path)
    con = duckdb.connect(str(path))
    store.apply_migrations(con, 1, 3)
    con.execute(
        "insert into series values (2, 'ChatGPT', 'android', 'US', 'installs', 'demo'), "
        "(3, 'ChatGPT', 'android', 'US', 'installs', 'sensortower')"
    )
    con.execute(
        "insert into observations values (2, date '2026-02-28', 8, 1), "
        "(3, date '2026-02-28', 1000, 1)"
    )
    con.fetchall()
    query = (
        "select value, sources from daily_totals where app = 'ChatGPT' and country = 'US' "
        "and platform = 'all' and metric = 'installs'"
    )
    before = con.execute(query).fetchall()
    macro_v3 = con.execute(
        "select macro_definition from duckdb_functions() where function_name = 'ip_totals'"
    ).fetchall()
    con.close()
    with store.connect(path) as con:
        assert store.current_version(con) == store.SCHEMA_VERSION  # v4 and later applied
        after = sql.run_text(con, query)
        macro_v4 = sql.run_text(
            con, "select macro_definition from duckdb_functions() where function_name = 'ip_totals'"
        )
    assert before == after == [(50.0, "demo")]  # ios 42 + android 8; the estimate not summed
    assert macro_v4 != macro_v3
    assert "arg_min" in str(macro_v4)
