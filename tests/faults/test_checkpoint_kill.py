"""kill -9 during a CHECKPOINT (RELIABILITY.md F2): every write ends with a FORCE CHECKPOINT when
its write lock is let go (pipelines/store.py), and a kill there - before it starts, or inside
DuckDB while it writes blocks, the header, or drops the write-ahead log - must lose nothing that
was committed: the database opens (replaying the WAL), every table holds the imported data, and
the next import works.

A kill inside DuckDB's checkpoint cannot be placed by a fault point in our code, so the import
suspends itself at `checkpoint:before@stop`, `strace` attaches to all its threads and kills it
(SIGKILL, on entry, before the call runs) at the n-th call of one file system call - the same
call every run, no timing. DuckDB 1.5's checkpoint (traced with strace) first appends a marker
to the WAL and syncs it (fsync 1), writes the changed blocks (pwrite64 1, 2, ...) and syncs the
file (fsync 2), writes the new header (the last pwrite64) and syncs it (fsync 3), then deletes
the WAL (unlink 1); duckdb 2.0 synced with fdatasync at the same three places. Without strace,
or where ptrace is not allowed, those cases skip and say why.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.faults.fault_helpers import (
    RUN_LIMIT,
    assert_before_or_after,
    cli,
    contents,
    copy_db,
    finish,
    killed_at,
    leftovers,
    start,
    state,
    statuses,
    wait_stopped,
)

GENERIC = FIXTURES / "generic"
IMPORTED = GENERIC / "restate_v2.csv"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("seed") / "db.duckdb"
    for name in ("long_utf8.csv", "restate_v1.csv"):
        done = cli("ingest", "--db", str(db), str(GENERIC / name))
        assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="module")
def imported(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded store after IMPORTED, uninterrupted."""
    db = copy_db(seeded, tmp_path_factory.mktemp("imported") / "db.duckdb")
    assert cli("ingest", "--db", str(db), str(IMPORTED)).returncode == 0
    return db


def _wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def _check_committed_and_go_on(db: Path, seeded: Path, imported: Path, folder: Path) -> None:
    """Everything committed is there (table by table), recover leaves nothing behind, the same
    import is 'already imported' and the next one imports."""
    assert assert_before_or_after(state(db), state(seeded), state(imported)) == "after"
    assert not _wal(db).exists()  # replayed into the file when it was opened
    done = cli("recover", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert leftovers(folder) == []
    assert "running" not in {s for _, s in statuses(db)}
    again = cli("ingest", "--db", str(db), str(IMPORTED))
    assert again.returncode == 0 and "already imported" in again.stdout, again.stdout
    assert contents(db) == contents(imported)
    following = cli("ingest", "--db", str(db), str(GENERIC / "wide.csv"))
    assert following.returncode == 0 and "wide.csv: imported as" in following.stdout, following
    assert [s for _, s in statuses(db)][-1] == "ok"


def test_killed_just_before_the_checkpoint(seeded: Path, imported: Path, tmp_path: Path) -> None:
    db = copy_db(seeded, tmp_path / "db.duckdb")
    killed_at("checkpoint:before", "ingest", "--db", str(db), str(IMPORTED))
    assert _wal(db).stat().st_size > 0  # the commit is in the WAL only
    _check_committed_and_go_on(db, seeded, imported, tmp_path)


def _strace_kill(pid: int, call: str, nth: int) -> subprocess.Popen[str]:
    """strace attached to every thread of `pid`, killing it on entry to the nth `call`."""
    tracer = subprocess.Popen(
        ["strace", "-f", "-qq", "-o", "/dev/null", "-p", str(pid),
         "-e", "trace=pwrite64,fdatasync,fsync,unlink,ftruncate",
         "-e", f"inject={call}:error=EIO:signal=KILL:when={nth}"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return tracer


def _attached(tracer: subprocess.Popen[str], pid: int) -> bool:
    """Whether strace has attached (it then keeps running; it exits at once when it cannot)."""
    tasks = Path(f"/proc/{pid}/task")
    for _ in range(RUN_LIMIT * 50):
        if tracer.poll() is not None:
            return False
        traced = [t for t in tasks.iterdir()
                  if _tracer_pid(t / "status") == tracer.pid]  # fmt: skip
        if traced and len(traced) == len(list(tasks.iterdir())):
            return True
        time.sleep(0.02)
    return False


def _tracer_pid(status: Path) -> int:
    for line in status.read_text().splitlines():
        if line.startswith("TracerPid:"):
            return int(line.split()[1])
    return 0


# (call, nth) -> what DuckDB has done when the kill comes
INSIDE = {
    ("fsync", 1): "checkpoint marker appended to the WAL, not yet synced",
    ("pwrite64", 1): "WAL marked, no block written",
    ("pwrite64", 2): "some blocks written",
    ("fsync", 2): "all blocks written, the header not yet",
    ("fsync", 3): "the new header written, not yet synced; the WAL still there",
    ("unlink", 1): "the new header synced; the WAL not yet deleted",
}


@pytest.mark.parametrize(("call", "nth"), list(INSIDE), ids=[f"{c}{n}" for c, n in INSIDE])
def test_killed_inside_the_checkpoint(
    call: str, nth: int, seeded: Path, imported: Path, tmp_path: Path
) -> None:
    if shutil.which("strace") is None:
        pytest.skip("a kill inside DuckDB's checkpoint is placed with strace, not installed "
                    "(apt-get install strace)")  # fmt: skip
    db = copy_db(seeded, tmp_path / "db.duckdb")
    proc = start("ingest", "--db", str(db), str(IMPORTED), fault="checkpoint:before@stop")
    try:
        wait_stopped(proc)
        tracer = _strace_kill(proc.pid, call, nth)
        if not _attached(tracer, proc.pid):
            err = tracer.stderr.read() if tracer.stderr else ""
            proc.kill()
            pytest.skip(f"strace cannot attach here (ptrace not allowed?): {err.strip()}")
        proc.send_signal(signal.SIGCONT)
        code, out, err = finish(proc)
        tracer.wait(timeout=RUN_LIMIT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == -signal.SIGKILL, (INSIDE[call, nth], code, out, err[-2000:])
    assert _wal(db).exists(), "killed after the checkpoint had finished"
    _check_committed_and_go_on(db, seeded, imported, tmp_path)
