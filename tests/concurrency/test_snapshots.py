"""Reads never wait for writes (issue 13): read snapshots (pipelines/snapshots.py) on real
DuckDB files and real CLI processes.

A writer is held at a fault point (pipelines/faults.py) deterministically, never by a sleep. A
reader proves it did not wait for the held file by running with INSTALLPULSE_LOCK_WAIT=0: any
read of the file itself would fail at once with DatabaseBusy.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
from pathlib import Path

import duckdb
import pytest

from pipelines import contract, events, ops, reads, recovery, snapshots, sql, store
from pipelines.adapters.base import IngestOptions
from tests.conftest import FIXTURES
from tests.faults.fault_helpers import cli, finish, killed_at, start, wait_stopped

GENERIC = FIXTURES / "generic"
FIRST = GENERIC / "long_utf8.csv"  # ChatGPT: 2 apps' identifiers, 6 rows
SECOND = GENERIC / "wide.csv"  # other series: the count of observations grows


def _observations(db: Path) -> int:
    return reads.totals(db)["observations"]


def _add_event(db: Path, title: str) -> None:
    day = reads.last_date(db)
    assert day is not None
    events.add(events.Event(start_date=day, title=title), db)


def _snapshot_names(db: Path) -> list[str]:
    return sorted(p.name for p in snapshots.folder(db).iterdir())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with read snapshots on (as the app turns them on) and one import."""
    path = tmp_path / "db.duckdb"
    assert snapshots.enable(path)
    contract.ingest_file(FIRST, path, IngestOptions())
    return path


def test_each_write_publishes_a_snapshot_of_the_checkpoint_and_reads_use_it(db: Path) -> None:
    stamp = snapshots.stamp(db)
    assert stamp is not None
    assert snapshots.current(db) == snapshots.folder(db) / stamp.name
    assert _observations(db) == 6
    shared = store.store_for(db)._snap
    assert shared is not None and shared.snapshot == snapshots.current(db)
    # The snapshot holds exactly what the file holds.
    store.release_all()
    with duckdb.connect(str(snapshots.current(db)), read_only=True) as con:
        assert con.sql("select count(*) from observations").fetchone()[0] == 6


def test_no_snapshot_folder_means_reads_use_the_file_as_before(tmp_path: Path) -> None:
    path = tmp_path / "plain.duckdb"
    contract.ingest_file(FIRST, path, IngestOptions())
    assert _observations(path) == 6
    assert not snapshots.folder(path).exists()
    assert store.store_for(path)._snap is None


def test_read_your_writes_in_one_process(db: Path) -> None:
    assert events.list_events(db).height == 0
    _add_event(db, "Launch")
    # The write returned: its snapshot is published, the next read (a snapshot read) sees it.
    assert snapshots.current(db) is not None
    assert events.list_events(db)["title"].to_list() == ["Launch"]
    ops.undo(1, db)
    assert _observations(db) == 0


def test_a_read_during_a_running_cli_import_returns_the_previous_data_without_waiting(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.release_all()  # this process must not hold the file the child opens
    writer = start("ingest", "--db", str(db), str(SECOND), fault="import:in_transaction@stop")
    wait_stopped(writer)
    try:
        monkeypatch.setenv("INSTALLPULSE_LOCK_WAIT", "0")  # a read of the file would fail
        assert _observations(db) == 6
        assert reads.data_version(db).startswith("1:")
        # Another process's read (the CLI) does not wait either.
        other = cli("imports", "--db", str(db), "--format", "csv", INSTALLPULSE_LOCK_WAIT="0")
        assert other.returncode == 0, other.stderr
        assert "long_utf8.csv" in other.stdout and "wide.csv" not in other.stdout
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    code, _, err = finish(writer)
    assert code == 0, err
    # The import is done and published: the next read shows it, still without waiting.
    assert _observations(db) > 6
    assert reads.data_version(db).startswith("2:")


def test_kill_9_of_the_writer_leaves_readers_on_the_last_good_snapshot(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.release_all()
    good = snapshots.current(db)
    writer = start("ingest", "--db", str(db), str(SECOND), fault="import:in_transaction@stop")
    wait_stopped(writer)
    monkeypatch.setenv("INSTALLPULSE_LOCK_WAIT", "0")
    assert _observations(db) == 6
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    # Nothing of the killed import; the file, free again, is read and published afresh.
    store.release_all()
    assert _observations(db) == 6
    assert snapshots.current(db) is not None
    assert good is not None and good.exists()  # kept: the newest two are


def test_a_writer_killed_after_its_commit_is_published_by_the_next_reader(db: Path) -> None:
    store.release_all()
    killed_at("checkpoint:before", "ingest", "--db", str(db), str(SECOND))
    assert snapshots.current(db) is None  # the commit waits in the WAL
    assert _observations(db) > 6  # the file was free: read it (committed data), publish
    assert snapshots.current(db) is not None
    store.release_all()
    assert _observations(db) > 6


def test_a_publisher_killed_mid_copy_leaves_no_snapshot_and_the_next_cleans_up(db: Path) -> None:
    store.release_all()
    before = _snapshot_names(db)
    killed_at("snapshot:copied", "ingest", "--db", str(db), str(SECOND))
    parts = [n for n in _snapshot_names(db) if n.endswith(".part")]
    assert len(parts) == 1 and set(_snapshot_names(db)) - set(parts) == set(before)
    assert _observations(db) > 6  # from the file (free), which publishes and prunes
    assert not [n for n in _snapshot_names(db) if n.endswith(".part")]


def test_snapshots_are_pruned_to_the_newest_two(db: Path) -> None:
    for title in ("a", "b", "c", "d"):
        _add_event(db, title)
    names = _snapshot_names(db)
    assert len(names) == snapshots.KEEP == 2
    assert snapshots.current(db) == snapshots.folder(db) / names[-1]


def test_a_snapshot_of_an_earlier_boot_is_never_read_and_the_next_write_prunes_it(
    db: Path,
) -> None:
    """Copies are not synced: one written before a power cut may be torn. After a reboot the
    kernel's boot id differs, so the snapshot named with the old one is not read."""
    store.release_all()
    published = snapshots.current(db)
    assert published is not None and published.name.endswith(f"-{snapshots.BOOT}.duckdb")
    stem = published.name.rsplit("-", 1)[0]
    other = "0123abcd" if snapshots.BOOT != "0123abcd" else "4567cdef"
    earlier = published.with_name(f"{stem}-{other}.duckdb")  # as the earlier boot named it
    published.rename(earlier)
    legacy = published.with_name(f"{stem}.duckdb")  # an older installpulse's name
    shutil.copyfile(earlier, legacy)
    assert snapshots.current(db) is None and snapshots.newest(db) is None
    assert _observations(db) == 6  # read from the file, which publishes anew
    _add_event(db, "after the reboot")
    names = _snapshot_names(db)
    assert earlier.name not in names and legacy.name not in names
    assert snapshots.current(db).name == names[-1]
    assert all(n.endswith(f"-{snapshots.BOOT}.duckdb") for n in names)


def test_publishing_keeps_this_process_s_lock_on_the_file(db: Path) -> None:
    """Closing any descriptor of a file drops the process's POSIX locks on it: the header read
    and the copy once let another process open the file read-write while this one held it."""
    import subprocess
    import sys

    store.release_all()
    probe = (
        "import duckdb, sys\n"
        "try:\n    duckdb.connect(sys.argv[1]).close()\nexcept duckdb.IOException as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    with store.write_lock, store.connect(db) as con:
        con.execute(
            "insert into events (event_id, start_date, end_date, title) "
            "values (99, current_date, current_date, 'x')"
        )
        con.fetchall()
        con.execute("checkpoint")
        con.fetchall()
        assert snapshots.stamp(db) is not None
        assert snapshots.publish(db) is not None  # (reads the header, copies the file)
        other = subprocess.run(
            [sys.executable, "-c", probe, str(db)], capture_output=True, text=True, timeout=60
        )
        assert other.returncode == 3, other.stdout + other.stderr
        assert "lock" in other.stdout.lower()
    store.release_all()
    free = subprocess.run([sys.executable, "-c", probe, str(db)], capture_output=True, timeout=60)
    assert free.returncode == 0  # let go with the connection


def test_a_reader_keeps_reading_a_pruned_snapshot_it_holds(db: Path) -> None:
    with store.connect(db) as con:
        held = store.store_for(db)._snap
        assert held is not None
        for title in ("a", "b", "c"):  # (another thread's writes, in effect)
            _add_event(db, title)
        assert not held.snapshot.exists()  # unlinked under the open connection
        assert sql.run_text(con, "select count(*) from events")[0][0] == 0  # its snapshot
    assert events.list_events(db).height == 3


def test_a_file_replaced_under_the_reader_is_never_read_through_its_predecessor(
    db: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.duckdb"
    contract.ingest_file(SECOND, other, IngestOptions())
    expected = _observations(other)
    store.release_all()
    assert _observations(db) == 6
    shutil.copyfile(other, db)  # in place: the same inode, another file's checkpoint
    assert snapshots.current(db) is None
    assert _observations(db) == expected


def test_threads_share_one_read_connection_per_snapshot(db: Path) -> None:
    seen: set[int] = set()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                assert _observations(db) == 6
                seen.add(id(store.store_for(db)._snap))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(seen) == 1


def test_a_snapshot_of_an_older_schema_is_not_read(db: Path) -> None:
    store.release_all()
    current = snapshots.current(db)
    assert current is not None
    with duckdb.connect(str(current)) as con:  # as if an older installpulse published it
        con.execute(
            "delete from schema_version where version = (select max(version) from schema_version)"
        )
    assert _observations(db) == 6  # read from the file instead
    assert store.store_for(db)._snap is None


def test_a_folder_where_snapshots_cannot_be_made_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "db.duckdb"
    contract.ingest_file(FIRST, path, IngestOptions())
    snapshots.folder(path).write_text("not a folder")  # mkdir fails, as on a read-only mount
    assert not snapshots.enable(path)
    assert _observations(path) == 6
    assert store.store_for(path)._snap is None


def test_recover_replays_into_the_file_and_publishes(db: Path) -> None:
    recovery.clean(db)  # (what `installpulse recover` runs first)
    assert snapshots.current(db) is not None
    assert _observations(db) == 6


def test_a_lake_address_never_gets_a_snapshot_folder() -> None:
    address = Path("ducklake:postgres:dbname=x host=127.0.0.1")
    assert not snapshots.enable(address)
    assert not snapshots.enabled(address)
