"""Every write records who and when, and refuses an actor without the right before writing
anything - on real DuckDB files, through the same functions the pages and the CLI call."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import alerts, auth, contract, demo, events, manual, ops, sql, store, sync
from pipelines.connectors import connections
from pipelines.connectors.base import SecretRef
from tests.conftest import FIXTURES, REPO

VIEWER = auth.Actor("vera@example.com", "viewer", "Vera")
EDITOR = auth.Actor("ed@example.com", "editor", "Ed")
ADMIN = auth.Actor("lead@example.com", "admin")
LONG = FIXTURES / "generic" / "long_utf8.csv"


def _counts(db: Path) -> dict[str, int]:
    with store.connect(db) as con:
        counts = sql.run_text(
            con,
            "select (select count(*) from imports), (select count(*) from observations), "
            "(select count(*) from events), (select count(*) from connections)",
        )[0]
    return dict(zip(("imports", "observations", "events", "connections"), counts, strict=True))


def _event(title: str = "Launch") -> events.Event:
    return events.Event(date(2026, 3, 1), title, date(2026, 3, 2), "", ["launch"], [], False)


def test_an_event_records_its_author_and_its_last_editor(db: Path) -> None:
    event_id = events.add(_event(), db, actor=EDITOR)
    row = events.list_events(db).row(0, named=True)
    assert (row["created_by"], row["updated_by"]) == ("ed@example.com", "ed@example.com")
    assert row["created_at"] is not None
    first_edit = row["updated_at"]
    events.update(event_id, _event("Launch (rescheduled)"), db, actor=ADMIN)
    row = events.list_events(db).row(0, named=True)
    assert row["title"] == "Launch (rescheduled)"
    assert (row["created_by"], row["updated_by"]) == ("ed@example.com", "lead@example.com")
    assert row["updated_at"] >= first_edit


def test_a_viewer_cannot_add_edit_or_delete_an_event_and_nothing_changes(db: Path) -> None:
    event_id = events.add(_event(), db, actor=EDITOR)
    before = events.list_events(db)
    with pytest.raises(auth.NotAllowed, match="add, edit or delete events"):
        events.add(_event("Mine"), db, actor=VIEWER)
    with pytest.raises(auth.NotAllowed):
        events.update(event_id, _event("Changed"), db, actor=VIEWER)
    with pytest.raises(auth.NotAllowed):
        events.delete(event_id, db, actor=VIEWER)
    assert events.list_events(db).equals(before)


def test_an_import_says_who_imported_and_an_undo_who_undid(db: Path) -> None:
    result = contract.ingest_file(LONG, db, actor=EDITOR)
    assert result.status == "imported"
    with pytest.raises(auth.NotAllowed, match="undo an import"):
        ops.undo(result.import_id, db, actor=VIEWER)
    row = ops.imports(db).row(0, named=True)
    assert (row["status"], row["imported_by"], row["undone_by"]) == ("ok", "ed@example.com", None)
    ops.undo(result.import_id, db, actor=ADMIN)
    row = ops.imports(db).row(0, named=True)
    assert (row["status"], row["imported_by"]) == ("undone", "ed@example.com")
    assert row["undone_by"] == "lead@example.com" and row["undone_at"] is not None


def test_a_failed_import_records_who_tried(db: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,app,platform,country,metric,value,source\n2026-02-30,A,ios,US,x,1,s\n")
    with pytest.raises(Exception, match="not imported"):
        contract.ingest_file(bad, db, actor=EDITOR)
    row = ops.imports(db).row(0, named=True)
    assert (row["status"], row["imported_by"]) == ("failed", "ed@example.com")


def test_a_viewer_is_refused_every_way_in_before_anything_is_written(db: Path) -> None:
    contract.ingest_file(LONG, db, actor=EDITOR)  # (so the database exists and has a history)
    before = _counts(db)
    rows = [dict(date="2026-03-01", app="A", platform="ios", country="US", metric="downloads",
                 value=5, source="manual")]  # fmt: skip
    attempts = [
        lambda: contract.ingest_file(FIXTURES / "generic" / "long_utf8_bom.csv", db, actor=VIEWER),
        lambda: manual.ingest_rows(rows, db, actor=VIEWER),
        lambda: demo.load(db, actor=VIEWER),
        lambda: events.import_events([_event()], "e.csv", b"x", "events-csv", db, VIEWER),
        lambda: ops.alias("com.example.a", "A", db, actor=VIEWER),
        lambda: sync.sync([], True, db=db, actor=VIEWER),
        lambda: connections.add("c", "appfigures", {}, SecretRef.env("T"), ["a"], db, EDITOR),
        lambda: connections.remove("c", db, actor=EDITOR),
        lambda: alerts.add_rule(
            db, ["A"], "downloads", webhook="https://h/x", score=3, actor=EDITOR
        ),
        lambda: alerts.remove_rule(db, 1, actor=EDITOR),
    ]
    for attempt in attempts:
        with pytest.raises(auth.NotAllowed, match="nothing was written"):
            attempt()
    assert _counts(db) == before


def test_the_demo_and_typed_rows_record_who_imported(db: Path) -> None:
    demo.load(db, actor=EDITOR)
    rows = [dict(date="2026-03-01", app="A", platform="ios", country="US", metric="downloads",
                 value=5, source="manual")]  # fmt: skip
    manual.ingest_rows(rows, db, actor=ADMIN)
    history = ops.imports(db).sort("import_id")
    assert history.get_column("imported_by").to_list() == [
        "ed@example.com",  # observations.csv
        "ed@example.com",  # events.csv
        "lead@example.com",  # manual entry
    ]
    authors = events.list_events(db).get_column("created_by").unique().to_list()
    assert authors == ["ed@example.com"]


def test_a_connection_records_who_created_it(db: Path) -> None:
    connections.add("af", "appfigures", {}, SecretRef.env("AF_TOKEN"), ["123"], db, actor=ADMIN)
    with store.connect(db) as con:
        assert sql.run_text(con, "select created_by from connections") == [("lead@example.com",)]


def test_the_cli_acts_as_the_local_admin(db: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pipelines", *args, "--db", str(db)],
            capture_output=True, text=True, cwd=REPO, check=False,
            env={**os.environ, "INSTALLPULSE_ARCHIVE": str(db.parent / "archive")},
        )  # fmt: skip

    assert cli("ingest", str(LONG)).returncode == 0
    added = cli("events", "add", "--start", "2026-03-01", "--title", "From the CLI")
    assert added.returncode == 0, added.stderr
    me = f"local:{getpass.getuser()}"
    assert ops.imports(db).get_column("imported_by").to_list() == [me]
    assert events.list_events(db).select("created_by", "updated_by").row(0) == (me, me)
    # (`installpulse undo` passes the same actor to ops.undo, whose recording is tested above)


def test_a_schema_7_file_is_migrated_and_its_old_rows_say_nobody(db: Path) -> None:
    """Rows written before version 8 keep NULL authorship: who wrote them was not recorded."""
    con = duckdb.connect(str(db))
    store.apply_migrations(con, 0, 7)
    con.execute(
        "insert into events (event_id, start_date, end_date, title) "
        "values (1, date '2026-01-05', date '2026-01-05', 'Old')"
    )
    con.execute("insert into imports (import_id, file_name, status) values (1, 'old.csv', 'ok')")
    con.close()
    old = events.list_events(db).row(0, named=True)
    assert (old["title"], old["created_by"], old["updated_by"]) == ("Old", None, None)
    assert ops.imports(db).row(0, named=True)["imported_by"] is None
    with store.connect(db) as con:
        assert store.current_version(con) == store.SCHEMA_VERSION >= 8
    # and new writes on the migrated file are recorded
    events.add(_event(), db, actor=EDITOR)
    frame = events.list_events(db).sort("event_id")
    assert frame.get_column("created_by").to_list() == [None, "ed@example.com"]
