"""The pages' cache key (reads.data_version) moves when data is committed. On the file it is
queries/data_version.sql, which must not move when an import merely starts: its 'running'
history row is committed first, and a key that moved then cached the old data under the key the
finished import kept. On a lake it is the newest catalog snapshot, which every commit moves,
the data's included."""

from __future__ import annotations

import os
import signal

from pipelines import contract, ops, reads, settings, snapshots, store
from tests.conftest import FIXTURES
from tests.faults.fault_helpers import finish, start, wait_stopped

FIRST = FIXTURES / "generic" / "long_utf8.csv"
SECOND = FIXTURES / "generic" / "wide.csv"


def test_the_version_moves_when_an_import_commits_not_when_it_starts(backend: str) -> None:
    if backend == "file":
        snapshots.enable(settings.db_path(None))  # (as the app does: reads never wait)
    contract.ingest_file(FIRST, None)
    before = reads.data_version()
    store.release_all()  # (this process must not hold the file the child writes)
    writer = start("ingest", str(SECOND), fault="import:in_transaction@stop")
    wait_stopped(writer)
    try:
        during = reads.data_version()
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    code, _, err = finish(writer)
    assert code == 0, err
    after = reads.data_version()
    # On the file the key stays put while the import runs (readers read the last published
    # snapshot). A lake's key is its newest catalog snapshot, which the 'running' row also
    # makes: it may move at the start, and it must move again when the data commits.
    if backend == "file":
        assert during == before
    else:
        assert during.startswith("lake:")
    assert after not in (before, during)
    store.release_all()
    ops.undo(2)
    assert reads.data_version() not in (before, after)
