"""The pages' cache key (reads.data_version) moves when data is committed. On the file it is
queries/data_version.sql, which must not move when an import merely starts: its 'running'
history row is committed first, and a key that moved then cached the old data under the key the
finished import kept. On a lake it is the newest catalog snapshot that changed more than the
import history (lake.LakeStore.version): the 'running' row's snapshots do not move it either,
the data's commit does."""

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
    # The key stays put while the import runs: on the file readers read the last published
    # snapshot; on a lake the 'running' row's commits change only the import history.
    assert during == before
    assert after != before
    if backend == "lake":
        assert during.startswith("lake:")
        assert _history_only_commits() >= 1  # (so the lake's key did skip one)
    store.release_all()
    ops.undo(2)
    assert reads.data_version() not in (before, after)


def _history_only_commits() -> int:
    """How many of the lake's snapshots changed only the import history (the 'running' rows)."""
    import psycopg

    found = store.store_for(None)
    with psycopg.connect(found.info, autocommit=True) as catalog:
        (count,) = catalog.execute(
            "select count(*) from ducklake_snapshot_changes c where not exists ("
            " select 1 from unnest(string_to_array(c.changes_made, ',')) as e(entry)"
            " where split_part(e.entry, ':', 2) is distinct from ("
            "  select table_id::text from ducklake_table"
            "  where table_name = 'imports' and end_snapshot is null))"
        ).fetchone()
    return count
