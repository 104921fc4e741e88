"""Issue 10, defect 7: a database file replaced under a running app.

Why these tests exist: the store remembered "schema checked" per path for the whole process
and kept serving a lingering connection to whatever file it had opened. An analyst who
restores a backup or drops another team's file in place while the app runs then got the old
file's data (the lingering connection), a raw `CatalogException` (a new, empty file whose
schema was never created) or an old-schema file used without its migration. The file at the
path is what counts: each next `store.connect` must open it, check or migrate its schema and
show its contents - with the previous connection still lingering or already closed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from pipelines import contract, sql, store
from pipelines.adapters.base import IngestOptions
from pipelines.errors import InstallpulseError
from tests.conftest import FIXTURES

GENERIC = FIXTURES / "generic"


def _new_duckdb_file(path: Path) -> None:
    """A brand-new DuckDB file with nothing in it (what `duckdb.connect(path)` leaves)."""
    duckdb.connect(str(path)).close()


def _schema_1_file(path: Path) -> None:
    """A file at schema version 1, built with the real migration, holding one value."""
    con = duckdb.connect(str(path))
    store.apply_migrations(con, 0, 1)
    con.execute("insert into apps values (7, 'Old app', now())")
    con.execute("insert into identifiers values ('old.app', 7, now())")
    con.execute("insert into series values (1, 'old.app', 'ios', 'US', 'installs', 'demo')")
    con.execute("insert into observations values (1, date '2026-01-31', 99, 1)")
    con.close()


def _other_installpulse_file(path: Path) -> None:
    """Another valid installpulse database, made through installpulse itself."""
    options = IngestOptions(app="Other", platform="android")
    contract.ingest_file(GENERIC / "no_app_column.csv", path, options)
    store.release_idle(path)


def _apps(db: Path) -> list[tuple[str]]:
    with store.connect(db) as con:
        assert store.current_version(con) == store.SCHEMA_VERSION
        return sql.run_text(con, "select distinct app from daily_metrics order by 1")


REPLACEMENTS: dict[str, tuple[Callable[[Path], None], list[tuple[str]]]] = {
    "new empty duckdb file": (_new_duckdb_file, []),
    "older schema version": (_schema_1_file, [("Old app",)]),
    "another installpulse database": (_other_installpulse_file, [("Other",)]),
}


@pytest.mark.parametrize("lingering", [True, False], ids=["connection lingering", "closed"])
@pytest.mark.parametrize("replacement", list(REPLACEMENTS))
def test_the_next_connect_serves_the_file_now_at_the_path(
    replacement: str, lingering: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Open A (its connection lingers), put another file in its place the way a restore or a
    `mv` does, and connect again: the new file's contents, at the current schema."""
    monkeypatch.setenv("INSTALLPULSE_LINGER", "600")
    db = tmp_path / "live.duckdb"
    contract.ingest_file(GENERIC / "long_utf8.csv", db)
    assert _apps(db) == [("ChatGPT",), ("Claude",)]
    if not lingering:
        store.release_all()
    make, expected = REPLACEMENTS[replacement]
    incoming = tmp_path / "incoming" / "file.duckdb"
    incoming.parent.mkdir()
    make(incoming)
    assert not Path(str(incoming) + ".wal").exists()
    os.replace(incoming, db)

    assert _apps(db) == expected
    if replacement == "older schema version":
        backups = list((tmp_path / "backups").glob("live.schema1.*.duckdb"))
        assert len(backups) == 1  # migrated like any older file: backed up first
    # ... and the new file keeps working for writes, which land in it.
    contract.ingest_file(GENERIC / "wide.csv", db)
    assert len(_apps(db)) > len(expected)


def test_a_replacement_waits_for_a_query_still_reading_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB hands a new connect() the instance that already has the path open, so the old
    file's connection must be closed before the new file is opened: a connect that arrives
    while another thread is still reading the old file waits for it, then sees the new one."""
    monkeypatch.setenv("INSTALLPULSE_LINGER", "600")
    db = tmp_path / "live.duckdb"
    contract.ingest_file(GENERIC / "long_utf8.csv", db)
    reading, finish = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def slow_reader() -> None:
        with store.connect(db) as con:
            seen["old"] = sql.run_text(con, "select count(*) from observations")[0][0]
            reading.set()
            finish.wait(30)

    def next_reader() -> None:
        try:
            seen["new"] = _apps(db)
        except Exception as exc:  # reported below, not swallowed
            seen["new"] = exc

    old = threading.Thread(target=slow_reader)
    old.start()
    assert reading.wait(30)
    incoming = tmp_path / "incoming.duckdb"
    _other_installpulse_file(incoming)
    os.replace(incoming, db)
    new = threading.Thread(target=next_reader)
    new.start()
    new.join(0.5)
    assert new.is_alive(), "the new file must not be opened through the old file's instance"
    finish.set()
    old.join(30)
    new.join(30)
    assert seen == {"old": 6, "new": [("Other",)]}


@pytest.mark.parametrize("content", [b"", b"not a database at all\n" * 50], ids=["0 bytes", "junk"])
def test_a_file_that_is_not_a_database_is_refused_with_a_sentence(
    content: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A half-finished copy (0 bytes) or another kind of file put in place: a sentence saying
    what to do, never DuckDB's raw IOException, and the file is left exactly as it was."""
    monkeypatch.setenv("INSTALLPULSE_LINGER", "600")
    db = tmp_path / "live.duckdb"
    contract.ingest_file(GENERIC / "long_utf8.csv", db)
    incoming = tmp_path / "incoming.bin"
    incoming.write_bytes(content)
    os.replace(incoming, db)
    with pytest.raises(InstallpulseError, match="cannot open it") as raised:
        _apps(db)
    assert not isinstance(raised.value, duckdb.Error)
    assert db.read_bytes() == content
