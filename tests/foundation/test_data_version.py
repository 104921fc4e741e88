"""The pages' cache key (reads.data_version, queries/data_version.sql) moves when data is
committed, not when an import merely starts: its 'running' history row is committed first, and a
lake's readers see it at once (on the file, readers read the last published snapshot). A key that
moved at the start cached the old data under the key the finished import kept."""

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
    assert during == before
    assert after != before
    store.release_all()
    ops.undo(2)
    assert reads.data_version() not in (before, after)
