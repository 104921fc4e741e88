"""Writers and readers at once, across processes (RELIABILITY.md F4-F6): two and three
concurrent `installpulse ingest` processes all succeed (each waits for the file) or refuse with
the 'in use' sentence and exit 3 - never a traceback, never a corrupted or half-written store -
and a reader arriving while an import holds the file waits or gets the same sentence.

An import is held inside its transaction deterministically: it suspends itself at
`import:in_transaction@stop` (pipelines/faults.py) until the test resumes it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from pipelines import sql, store
from pipelines.errors import DatabaseBusy
from tests.conftest import FIXTURES
from tests.faults.fault_helpers import cli, finish, leftovers, start, state, statuses, wait_stopped

GENERIC = FIXTURES / "generic"
FILES = [GENERIC / "long_utf8.csv", GENERIC / "wide.csv", GENERIC / "restate_v1.csv"]


def _ok_files(db: Path) -> list[str]:
    return sorted(name for name, status in statuses(db) if status == "ok")


@pytest.mark.parametrize("writers", [2, 3])
def test_concurrent_ingests_all_succeed_when_they_may_wait(tmp_path: Path, writers: int) -> None:
    db = tmp_path / "db.duckdb"
    assert cli("imports", "--db", str(db)).returncode == 0
    # The first holds the file inside its transaction while the others start and wait.
    first = start("ingest", "--db", str(db), str(FILES[0]), fault="import:in_transaction@stop")
    wait_stopped(first)
    others = [start("ingest", "--db", str(db), str(f), INSTALLPULSE_LOCK_WAIT="60")
              for f in FILES[1:writers]]  # fmt: skip
    os.kill(first.pid, signal.SIGCONT)
    for proc in [first, *others]:
        code, out, err = finish(proc)
        assert code == 0 and "imported as" in out, (code, out, err)
        assert "Traceback" not in err
    assert _ok_files(db) == sorted(f.name for f in FILES[:writers])
    assert leftovers(tmp_path) == []


def test_concurrent_ingests_that_cannot_wait_refuse_clearly_then_retry(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    assert cli("ingest", "--db", str(db), str(FILES[0])).returncode == 0
    before = state(db)
    holder = start("ingest", "--db", str(db), str(FILES[1]), fault="import:in_transaction@stop")
    wait_stopped(holder)
    refused = [start("ingest", "--db", str(db), str(FILES[2]), INSTALLPULSE_LOCK_WAIT="0.2"),
               start("undo", "1", "--db", str(db), INSTALLPULSE_LOCK_WAIT="0.2")]  # fmt: skip
    for proc in refused:
        code, _, err = finish(proc)
        assert code == 3, (code, err)
        assert "is in use by" in err and "Traceback" not in err
    holder.kill()  # and the holder dies inside its transaction
    holder.wait(30)
    assert state(db) == before  # neither the refused nor the killed writer changed anything
    assert cli("recover", "--db", str(db)).returncode == 0
    for path in FILES[1:]:
        retry = cli("ingest", "--db", str(db), str(path))
        assert retry.returncode == 0, retry.stderr
    assert _ok_files(db) == sorted(f.name for f in FILES)


def test_reader_while_an_import_holds_the_file(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    assert cli("ingest", "--db", str(db), str(FILES[0])).returncode == 0
    store.release_all()
    writer = start("ingest", "--db", str(db), str(FILES[1]), fault="import:in_transaction@stop")
    wait_stopped(writer)
    try:
        # A reader in another process: the sentence and exit 3, no traceback.
        reader = cli("imports", "--db", str(db), INSTALLPULSE_LOCK_WAIT="0.2")
        assert reader.returncode == 3 and "is in use by" in reader.stderr, reader.stderr
        assert "Traceback" not in reader.stderr
        # A reader in this process (the app's path): DatabaseBusy, not a lock error.
        with pytest.raises(DatabaseBusy), store.connect(db, wait=0.2):
            pass
        # One that may wait reads once the import is done: the after state, whole.
        waiting = start("imports", "--db", str(db), "--format", "csv", INSTALLPULSE_LOCK_WAIT="60")
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    code, out, err = finish(writer)
    assert code == 0, err
    code, out, err = finish(waiting)
    assert code == 0, err
    assert "wide.csv" in out and ",ok," in out
    with store.connect(db) as con:
        assert sql.run_text(con, "select count(*) from imports where status = 'ok'")[0][0] == 2
    store.release_all()
