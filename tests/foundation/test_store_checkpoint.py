"""Issue 10, defect 6: once a command or a page action that wrote has finished, the database
file alone holds the data.

Why these tests exist: every commit used to stay in `<db>.wal` until some later checkpoint, so
an analyst who copied or backed up the `.duckdb` file (the file the README tells them to open)
got an empty or stale database. Each test copies ONLY the database file - never the `.wal` -
and opens the copy with plain DuckDB: what the live store holds must be in the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import contract, demo, events, manual, ops, recovery, sql, store
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed
from tests.conftest import FIXTURES, REPO

GENERIC = FIXTURES / "generic"


def _file_alone(db: Path, folder: Path) -> Path:
    """A copy of the database file without its write-ahead log (what `cp x.duckdb` gives)."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "copy.duckdb"
    shutil.copyfile(db, copy)
    assert not Path(str(copy) + ".wal").exists()
    return copy


def _checksums(path: Path) -> dict[str, tuple[int, int]]:
    con = duckdb.connect(str(path))
    try:
        return store.table_checksums(con)
    finally:
        con.close()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "INSTALLPULSE_LINGER": "2"},
    )


def test_cli_writes_are_in_the_database_file_alone(tmp_path: Path) -> None:
    """The real CLI in its own process: after `ingest` and after `apps alias` have exited, a
    copy of the .duckdb file alone has the rows, the history and the alias."""
    db = tmp_path / "cli.duckdb"
    done = _cli("ingest", str(GENERIC / "long_utf8.csv"), "--db", str(db))
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(_file_alone(db, tmp_path / "after-ingest")))
    try:
        assert con.execute("select count(*) from observations").fetchall() == [(6,)]
        assert con.execute("select status from imports").fetchall() == [("ok",)]
    finally:
        con.close()

    done = _cli("apps", "alias", "ChatGPT", "OpenAI ChatGPT", "--db", str(db))
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(_file_alone(db, tmp_path / "after-alias")))
    try:
        apps = con.execute("select distinct app from daily_metrics order by 1").fetchall()
    finally:
        con.close()
    assert apps == [("Claude",), ("OpenAI ChatGPT",)]


def _ingest(db: Path) -> None:
    contract.ingest_file(GENERIC / "long_utf8.csv", db)


def _failed_ingest(db: Path) -> None:
    with pytest.raises(ImportFailed):
        contract.ingest_file(GENERIC / "bad_values.csv", db)


def _undo(db: Path) -> None:
    ops.undo(contract.ingest_file(GENERIC / "long_utf8.csv", db).import_id, db)


def _alias(db: Path) -> None:
    _ingest(db)
    ops.alias("ChatGPT", "OpenAI ChatGPT", db)


def _rename(db: Path) -> None:
    _ingest(db)
    ops.rename_app("Claude", "Claude AI", db)


def _add_metric(db: Path) -> None:
    ops.add_metric("daily active", "level", "users", "Users active that day", db=db)


def _event_add_edit_delete(db: Path) -> None:
    first = events.add(events.Event(date(2026, 2, 27), "Deal announced"), db)
    second = events.add(events.Event(date(2026, 2, 28), "Boycott"), db)
    events.update(first, events.Event(date(2026, 2, 27), "Deal announced (edited)"), db)
    events.delete(second, db)


def _event_import(db: Path, tmp: Path) -> None:
    path = tmp / "events.csv"
    path.write_text("start_date,title\n2026-02-27,Deal\n2026-02-28,Boycott\n", encoding="utf-8")
    events.import_csv(path, db)


def _demo(db: Path) -> None:
    demo.load(db)


def _manual(db: Path) -> None:
    manual.ingest_rows(
        [
            {"date": "2026-02-27", "app": "Typed", "platform": "ios", "country": "US",
             "metric": "installs", "value": 12}
        ],
        db,
    )  # fmt: skip


def _recover(db: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive that knows a file this database lost: `recover --replay` re-imports it."""
    elsewhere = tmp / "elsewhere.duckdb"
    contract.ingest_file(GENERIC / "no_app_column.csv", elsewhere,
                         IngestOptions(app="Typed", platform="android"))  # fmt: skip
    monkeypatch.setenv("INSTALLPULSE_ARCHIVE", str(tmp / "archive"))
    assert [o.file_name for o in recovery.orphans(db)] == ["no_app_column.csv"]
    recovery.replay(db)


WRITERS: dict[str, Callable[..., None]] = {
    "ingest": _ingest,
    "failed ingest": _failed_ingest,
    "undo": _undo,
    "apps alias": _alias,
    "apps rename": _rename,
    "metrics add": _add_metric,
    "events add/edit/delete": _event_add_edit_delete,
    "events import": _event_import,
    "demo": _demo,
    "manual entry": _manual,
    "recover --replay": _recover,
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_in_process_write_is_in_the_file_while_the_connection_lingers(
    writer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page case: the app process keeps its connection open (INSTALLPULSE_LINGER) after
    an action writes, and nothing closes it; the file alone already matches the live store."""
    monkeypatch.setenv("INSTALLPULSE_LINGER", "600")
    db = tmp_path / "live.duckdb"
    action = WRITERS[writer]
    if writer == "recover --replay":
        action(db, tmp_path, monkeypatch)
    elif writer == "events import":
        action(db, tmp_path)
    else:
        action(db)
    with store.connect(db) as con:  # the lingering connection, as the next page rerun sees it
        live = store.table_checksums(con)
        assert sql.run_text(con, "select count(*) from imports")[0][0] >= (
            0 if writer in ("metrics add", "events add/edit/delete") else 1
        )
    assert _checksums(_file_alone(db, tmp_path / "copy")) == live


def test_the_connection_really_lingers_after_the_write(tmp_path: Path, monkeypatch) -> None:
    """The previous test means something only if the connection is still open: another process
    cannot open the file while this one holds it, yet the file alone has the import."""
    monkeypatch.setenv("INSTALLPULSE_LINGER", "600")
    db = tmp_path / "held.duckdb"
    _ingest(db)
    probe = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1])", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode != 0 and "lock" in probe.stderr.lower()
    con = duckdb.connect(str(_file_alone(db, tmp_path / "copy")))
    try:
        assert con.execute("select count(*) from observations").fetchall() == [(6,)]
    finally:
        con.close()


def test_nothing_is_checkpointed_before_the_writer_lets_go(tmp_path: Path, monkeypatch) -> None:
    """The checkpoint belongs to the end of a write (the write lock's release), not to every
    statement: a caller that holds the lock across several writes - or crashes before letting
    go - leaves them in the WAL, where DuckDB replays them, until it has finished."""
    monkeypatch.setenv("INSTALLPULSE_LINGER", "600")
    db = tmp_path / "unit.duckdb"
    _ingest(db)
    with store.write_lock:
        ops.rename_app("Claude", "Claude AI", db)
        wal = Path(str(db) + ".wal")
        assert wal.exists() and wal.stat().st_size > 0
        con = duckdb.connect(str(_file_alone(db, tmp_path / "during")))
        try:
            assert con.execute("select name from apps order by 1").fetchall() == [
                ("ChatGPT",),
                ("Claude",),
            ]
        finally:
            con.close()
    con = duckdb.connect(str(_file_alone(db, tmp_path / "after")))
    try:
        assert con.execute("select name from apps order by 1").fetchall() == [
            ("ChatGPT",),
            ("Claude AI",),
        ]
    finally:
        con.close()
