"""The DuckDB store: opening the file, the schema and its migrations, and table checksums.

Design decision (RELIABILITY.md decision 1): DuckDB lets one process hold a file read-write,
and even a read-only open fails while another process holds it. installpulse therefore never
keeps a long-lived connection: the app, the CLI and notebooks-through-our-API open the file
per operation (about 40 ms; kept open INSTALLPULSE_LINGER seconds so a page rerun's queries
share it) and close it. A CLI ingest can run while the app is up; whoever arrives while the
other holds the file retries for INSTALLPULSE_LOCK_WAIT seconds and then gets a
`DatabaseBusy` sentence naming the process, never a lock traceback.

Each database file has one `Store` per process (`store_for`): it holds the lingering
connection and the identity of the file it serves, so a file replaced under a running app is
noticed and opened - and its schema checked or migrated - afresh. Every writer holds
`write_lock`; letting go of it checkpoints what was written, so the .duckdb file alone holds
every finished write (issue 10, defects 6 and 7). A file this process cannot write (a
read-only mount, a folder of another owner) is opened read-only for readers, and a writer is
refused before it starts with a `ReadOnlyDatabase` sentence (RELIABILITY F8).

Reads never wait for writes (issue 13) where the database has read snapshots
(`pipelines/snapshots.py`; the app turns them on): a read outside the write lock uses the
snapshot of the file's last checkpoint, opened READ_ONLY once per process and shared by every
thread through cursors; when the file has moved past its newest snapshot (commits another
program made, a crash) the read takes the file itself if it is free, publishing a snapshot on
the way, and the newest snapshot if a writer holds it. Every writer publishes one when it lets
go of the write lock, after its checkpoint, so a page's next read sees its own write.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from pipelines import __version__, faults, settings, snapshots, sql
from pipelines.errors import DatabaseBusy, InstallpulseError, ReadOnlyDatabase

T = TypeVar("T")
SCHEMA_VERSION = 9
_WAL_RE = re.compile(r"replaying WAL|Corrupt WAL", re.IGNORECASE)
_NOT_WRITABLE_RE = re.compile(r"Read-only file system|Permission denied", re.IGNORECASE)
# DuckDB 1.5 reports a commit that found no memory for its blocks as a TransactionException:
# "Failed to commit: could not allocate block of N bytes" past its own limit, "Failed to commit:
# Failed to allocate block of N bytes (bad allocation)" when the system refused the memory
_COMMIT_OOM = re.compile(r"Failed to commit: (?:could not|failed to) allocate", re.IGNORECASE)
SYSTEM_REFUSED = "the system refused more memory"
_LOCK_RE = re.compile(r"(?:Could not set lock|Conflicting lock)", re.IGNORECASE)
_PID_RE = re.compile(r"PID (\d+)")
_HELD_BY_RE = re.compile(r"lock is held in (.+?) \(PID \d+\)")
_log = logging.getLogger(__name__)
_BUSY_RECHECK = 0.5  # seconds a reader that found the file held reads snapshots without asking


def _describe_pid(pid: str) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return f"PID {pid}"
    return f"PID {pid}: {cmd[:120]}" if cmd else f"PID {pid}"


def _holder(lock_error: str) -> str:
    """Who holds the lock, saying only what is known: any program can hold a DuckDB file
    (another installpulse, the app, a DuckDB shell, a backup tool). DuckDB names the PID
    and the executable when the OS tells it; /proc then gives the command line."""
    pid = _PID_RE.search(lock_error)
    if not pid:
        return "another process"
    who = _describe_pid(pid.group(1))
    if ":" not in who:  # no /proc entry (another container, another OS): DuckDB's word
        exe = _HELD_BY_RE.search(lock_error)
        who = f"{who}: {exe.group(1)}" if exe else who
    return f"another process ({who})"


_serving = False  # (serve_sessions) this process is the app's, serving many sessions


def serve_sessions() -> None:
    """(the app, before its first read) Connections this process opens from now on run each
    query on INSTALLPULSE_APP_THREADS threads (1 by default) unless INSTALLPULSE_THREADS says
    otherwise. The app's reads are small and many sessions make them at once: DuckDB's
    threads then only contend for the same two cores. 25 Explore sessions with no think time
    on the S store: 5.3-5.5 reruns/s at 0.175-0.189 CPU-s each with DuckDB's default of one
    thread per core, 6.3-7.0 reruns/s at 0.140-0.155 CPU-s with one. The CLI and imports
    keep DuckDB's choice."""
    global _serving
    _serving = True


def _config() -> dict[str, str]:
    config = {"memory_limit": settings.get("INSTALLPULSE_MEMORY_LIMIT")}
    threads = settings.get("INSTALLPULSE_THREADS")
    if not threads and _serving:
        threads = settings.get("INSTALLPULSE_APP_THREADS")
    if threads:
        config["threads"] = threads
    return config


def memory_shortage(exc: BaseException | None) -> tuple[str, str] | None:
    """(why, what to do) when `exc` is, or was caused by, a lack of memory: DuckDB reaching
    INSTALLPULSE_MEMORY_LIMIT, or the system refusing memory (a ulimit or a container's cap:
    DuckDB's failed allocation, Python's MemoryError, no memory for a new thread's stack).
    None otherwise. Adapters wrap reader errors, so causes and contexts are followed."""
    seen: set[int] = set()
    found: BaseException | None = None
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if (
            isinstance(exc, (MemoryError, duckdb.OutOfMemoryException))
            or (isinstance(exc, RuntimeError) and "can't start new thread" in str(exc))
            or (isinstance(exc, duckdb.TransactionException) and _COMMIT_OOM.search(str(exc)))
        ):
            found = exc
            break
        exc = exc.__cause__ or exc.__context__
    if found is None:
        return None
    limit = settings.get("INSTALLPULSE_MEMORY_LIMIT")
    text = str(found).splitlines()[0] if str(found) else ""
    if isinstance(found, duckdb.Error) and "used)" in text:
        return (
            f"DuckDB reached its memory limit, INSTALLPULSE_MEMORY_LIMIT={limit} ({text})",
            "Raise INSTALLPULSE_MEMORY_LIMIT if the machine (or container) has memory to spare, "
            "or import the file in smaller parts.",
        )
    return (
        f"{SYSTEM_REFUSED} (a ulimit's or a container's memory cap)",
        f"Raise that cap, or set INSTALLPULSE_MEMORY_LIMIT (now {limit}) well below it so "
        "DuckDB spills to disk instead, or import the file in smaller parts.",
    )


def recovery_marker(path: Path) -> Path:
    return path.with_name(path.name + ".recovery.json")


def quarantine_wal(path: Path, error: str) -> bool:
    """A corrupt write-ahead log must not make the database unopenable (a crash loop): set it
    aside with a timestamp, reopen from the last checkpoint, and leave a marker that the app
    and `installpulse recover` show until someone re-runs the lost imports (RELIABILITY F3)."""
    wal = path.with_name(path.name + ".wal")
    if not wal.exists():
        return False
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    target = wal.with_name(f"{wal.name}.corrupt-{stamp}")
    wal.rename(target)
    marker = recovery_marker(path)
    marker.write_text(
        json.dumps({"quarantined_wal": str(target), "at": stamp, "error": error.splitlines()[0]}),
        encoding="utf-8",
    )
    return True


def not_writable(path: Path, error: str, schema: int | None = None) -> ReadOnlyDatabase:
    """The sentence for a database this process cannot write (RELIABILITY F8): which folder,
    why as far as the OS said, that nothing was written, and what to do. With `schema` (an
    older file, which must be migrated before it can be read) reading does not work either."""
    folder = path.absolute().parent
    why = (
        f"the folder {folder} is on a read-only file system"
        if "Read-only file system" in error
        else f"this user ({_user()}) may not write to the folder {folder} or the file"
    )
    if not path.exists():
        head = f"Cannot create the database {path}: {why}."
    elif schema is None:
        head = f"Cannot write to the database {path}: {why}, so nothing was written (reading it "
        head += "still works)."
    else:
        head = (
            f"Cannot read the database {path}: it is at schema {schema}, this installpulse reads "
            f"schema {SCHEMA_VERSION}, and migrating it writes to it, but {why}."
        )
    elsewhere = (
        "copy the database to a writable folder and choose the copy"
        if path.exists()
        else "choose a database in a writable folder"
    )
    return ReadOnlyDatabase(
        f"{head} Make {folder} writable (remount it read-write, or give this user ownership of "
        f"the folder and the file), or {elsewhere} with --db or INSTALLPULSE_DB."
    )


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):  # (no pwd on Windows; a uid without name)
        return "the current user"


def open_read_only(path: Path, refusal: ReadOnlyDatabase) -> duckdb.DuckDBPyConnection:
    """Open a database that cannot be written, for reading (DuckDB's read_only mode). Nothing
    is written: no WAL, no checkpoint, no migration. When even that fails, the user gets the
    refusal that led here, not DuckDB's error."""
    try:
        return duckdb.connect(str(path), read_only=True, config=_config())
    except duckdb.Error as exc:
        raise refusal from exc


def newer_duckdb_file(path: Path) -> InstallpulseError:
    """installpulse ran on duckdb 2.0 until issue 13 moved it to the 1.5 LTS line (for the
    DuckLake extension wheels), and 1.5 cannot read a file 2.0 wrote. Its data is not lost:
    DuckDB 2.0 exports it and 1.5 imports the export, schema and all (tested on the demo)."""
    quoted = str(path).replace("'", "''")
    return InstallpulseError(
        f"{path} was written by DuckDB 2.x (installpulse before it moved to DuckDB's 1.5 "
        "long-term-support line), which this DuckDB "
        f"{duckdb.__version__} cannot read. Nothing was changed. To carry it over, in another "
        'Python environment run `pip install duckdb==2.0.1` and `python -c "import duckdb; '
        f"duckdb.connect('{quoted}').execute(\\\"export database 'ip-export' "
        '(format parquet)\\")"`; then here `python -c "import duckdb; '
        "duckdb.connect('new.duckdb').execute(\\\"import database 'ip-export'\\\")\"` and use "
        "--db new.duckdb (README: Versions)."
    )


def open_connection(path: Path, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the file read-write, waiting while another process holds it."""
    path = Path(path)
    if not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InstallpulseError(
                f"Cannot create the folder for the database {path}: {exc.strerror}. "
                "Choose another location with --db or INSTALLPULSE_DB."
            ) from exc
    deadline = time.monotonic() + (
        settings.get_float("INSTALLPULSE_LOCK_WAIT") if wait is None else wait
    )
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), config=_config())
        except duckdb.Error as exc:
            if _WAL_RE.search(str(exc)) and quarantine_wal(path, str(exc)):
                continue  # reopen from the last checkpoint; recovery.json says what happened
            if not isinstance(exc, duckdb.IOException):
                raise
            text = str(exc)
            if "not a valid DuckDB database file" in text:
                empty = path.exists() and path.stat().st_size == 0
                raise InstallpulseError(
                    f"{path} is {'an empty file (0 bytes)' if empty else 'not a DuckDB database'}"
                    ", so installpulse cannot open it. If a copy to this path is still running, "
                    "wait for it to finish; otherwise move the file away (installpulse then "
                    "creates a new database) or choose another file with --db."
                ) from exc
            if "created with an newer version of DuckDB" in text:
                raise newer_duckdb_file(path) from exc
            if not _LOCK_RE.search(text):
                if _NOT_WRITABLE_RE.search(text):
                    raise not_writable(path, text) from exc
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"The database {path} is in use by {_holder(text)}. "
                    f"Waited {settings.get('INSTALLPULSE_LOCK_WAIT')} s; try again when it has "
                    "finished (an import of a large file can take a minute), or raise "
                    "INSTALLPULSE_LOCK_WAIT."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


FileId = tuple[int, int]


def _file_id(path: Path) -> FileId | None:
    """The identity of the file at `path` (device, inode); None when there is none. A file put
    in place by a rename, a restore or a copy-then-move has a new one."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def _wal_pending(path: Path) -> bool:
    try:
        return path.with_name(path.name + ".wal").stat().st_size > 0
    except FileNotFoundError:
        return False


class _Keeper:
    """One open connection (so DuckDB's instance, its buffer pool and the file lock) to the
    file with identity `file_id`, kept alive for a short idle time after the last use, so a
    burst of queries (a page rerun) pays neither the open nor a cold cache per query: measured
    on the S database, the explorer's query went from 99 ms to 20 ms median. After
    INSTALLPULSE_LINGER seconds without use the file is released, so a CLI ingest waiting for
    the lock gets it well within INSTALLPULSE_LOCK_WAIT."""

    def __init__(self, con: duckdb.DuckDBPyConnection, file_id: FileId | None) -> None:
        self.con = con
        self.file_id = file_id
        self.users = 0
        self.timer: threading.Timer | None = None
        self.retired = False
        self.read_only = False  # opened read-only: the file cannot be written here
        self.snapshot: Path | None = None  # a read snapshot's file (not the database itself)

    def take(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.users += 1


class Store:
    """One database file as this process sees it: the path, the connection kept open to it
    (if any) and the identity of the file that connection serves.

    The schema is checked (and an older file migrated) every time the file is opened - about
    1 ms against the 40 ms of the open - never remembered across opens, so a file put in place
    while the app runs is checked like any other. Before a lingering connection is reused, the
    file at the path is compared with the one it serves: if it was replaced (or removed), the
    old connection is retired - closed as soon as its last query ends - and the new file is
    opened. DuckDB hands a new `connect()` the instance that already has that path open, so
    the new file is opened only once the old connection is closed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._cond = threading.Condition()
        self._opening = threading.Lock()
        self._keeper: _Keeper | None = None
        self._retiring: set[_Keeper] = set()
        self._snap: _Keeper | None = None  # the read snapshot in use (see `_read`)
        self._snap_opening = threading.Lock()
        self._busy_until = 0.0  # (monotonic) a writer held the file: read snapshots till then

    @contextlib.contextmanager
    def connect(
        self, wait: float | None = None, *, snapshot: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the shared connection, opened (and the schema checked) if need be.

        Outside the write lock, on a database with read snapshots, the cursor reads the
        snapshot of the last committed write and never waits for a writer (`snapshot=False`
        asks for the file itself)."""
        if snapshot and not write_lock.held() and snapshots.enabled(self.path):
            with contextlib.ExitStack() as stack:
                yield self._read(stack, wait)
            return
        with self._connect_file(wait) as con:
            yield con

    @contextlib.contextmanager
    def _connect_file(self, wait: float | None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the connection to the database file itself."""
        keeper = self._take_current() or self._open(wait)
        if write_lock.held():
            if keeper.read_only:  # a writer: try read-write again (the folder may be writable now)
                with self._cond:
                    self._retire(keeper)
                self._put_back(keeper)
                keeper = self._take_current() or self._open(wait)
            write_lock.wrote(self)
        try:
            con = keeper.con.cursor()
        except BaseException:
            self._put_back(keeper)
            raise
        try:
            yield con
        finally:
            con.close()
            self._put_back(keeper)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file, so the file alone holds every commit.

        FORCE waits for queries other threads are running (plain CHECKPOINT refuses while any
        transaction is open, and DuckDB's automatic one at commit is skipped when a transaction
        that updated rows overlaps a reader). A failure is logged, not raised: the commit it
        follows is durable in the WAL, and a later write, or closing, checkpoints again.
        Where the database has read snapshots, the checkpointed file is then published as the
        newest one (the file is still held, so nothing changes it during the copy)."""
        publish = snapshots.enabled(self.path)
        if not publish and not _wal_pending(self.path):
            return
        keeper = self._take_current(check_file=False)
        if keeper is None:
            return  # closed meanwhile, and closing checkpointed
        try:
            if _wal_pending(self.path):
                cur = keeper.con.cursor()
                try:
                    faults.point("checkpoint:before")
                    cur.execute("force checkpoint")
                    cur.fetchall()
                finally:
                    cur.close()
            if publish and not keeper.read_only:
                self._publish()
        except duckdb.Error as exc:
            _log.warning("Checkpoint of %s failed (%s); the WAL keeps the data.", self.path, exc)
            with self._cond:
                self._retire(keeper)  # DuckDB may have invalidated the instance: open anew
        finally:
            self._put_back(keeper)

    #: a file's catalogue lookups cost 1-5 ms: computed per read (a lake keeps them per version)
    remembers = False

    def remembered(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` (the interface of `lake.LakeStore.remembered`)."""
        return compute()

    def connect_totals(self) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
        """A cursor for the totals macro (the interface of `lake.LakeStore.connect_totals`):
        on a file, a reader's cursor like any other (its tables cost nothing to open)."""
        return self.connect()

    def is_open(self) -> bool:
        """Whether a connection to the file is open now (a write would need no new instance)."""
        with self._cond:
            return self._keeper is not None

    def release(self) -> None:
        """Close the kept connection now if no one is using it (else when its last user ends)."""
        with self._cond:
            for keeper in (self._keeper, self._snap):
                if keeper is not None and keeper.users == 0:
                    self._retire(keeper)

    def retire(self) -> None:
        """Close the kept connection now, or as soon as its last user ends; the next `connect`
        opens the file anew (even if a writer held it a moment ago)."""
        self._busy_until = 0.0
        with self._cond:
            for keeper in (self._keeper, self._snap):
                if keeper is not None:
                    self._retire(keeper)

    # -- read snapshots (pipelines/snapshots.py)
    def _read(self, stack: contextlib.ExitStack, wait: float | None) -> duckdb.DuckDBPyConnection:
        """A cursor for a read that never waits for a writer: on the snapshot of the file as it
        is (the usual case: every writer publishes one), else on the file itself if no one
        holds it (commits no snapshot has yet: another program's, or a writer killed before
        publishing; opening it publishes one), else on the newest snapshot - the data as of
        the last published write. Only a database with no snapshot at all waits, as before."""
        for _ in range(2):  # (a snapshot pruned between listing and opening: look again)
            snap = snapshots.current(self.path)
            if snap is None and time.monotonic() >= self._busy_until:
                try:
                    return stack.enter_context(self._connect_file(0))
                except DatabaseBusy:
                    # A failed open costs ~13 ms: while a writer holds the file (a long
                    # import), ask again at most every _BUSY_RECHECK seconds.
                    self._busy_until = time.monotonic() + _BUSY_RECHECK
            if snap is None:
                snap = snapshots.newest(self.path)
                if snap is None:
                    break
            keeper = self._take_snapshot(snap)
            if keeper is None:
                continue
            stack.callback(self._put_back, keeper)
            con = keeper.con.cursor()
            stack.callback(con.close)
            return con
        return stack.enter_context(self._connect_file(wait))

    def _take_snapshot(self, snap: Path) -> _Keeper | None:
        """The shared read-only connection to `snap`, opened once per process (every thread
        reads through its own cursor); None when the file is gone (pruned) or is not at this
        installpulse's schema (a snapshot an older version published: read the file, which
        is migrated when opened)."""
        with self._cond:
            keeper = self._snap
            if keeper is not None and keeper.snapshot == snap:
                keeper.take()
                return keeper
        with self._snap_opening:
            with self._cond:
                keeper = self._snap
                if keeper is not None and keeper.snapshot == snap:
                    keeper.take()
                    return keeper
            try:
                con = duckdb.connect(str(snap), read_only=True, config=_config())
            except duckdb.IOException:
                return None
            try:
                if current_version(con) != SCHEMA_VERSION:
                    con.close()
                    return None
            except BaseException:
                con.close()
                raise
            keeper = _Keeper(con, None)
            keeper.snapshot, keeper.read_only, keeper.users = snap, True, 1
            with self._cond:
                if self._snap is not None:
                    self._retire(self._snap)  # closed when its last reader ends
                self._snap = keeper
            return keeper

    def _publish(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        """(holding the file read-write) Publish the file as the newest read snapshot, first
        checkpointing through `con` what is still in the WAL (a reader's open replays a WAL
        without checkpointing it). Logged, never raised: the write it follows is done, and
        readers read the file itself until a later write publishes."""
        try:
            if con is not None and _wal_pending(self.path):
                con.execute("force checkpoint")
                con.fetchall()
            snapshots.publish(self.path)
        except (OSError, duckdb.Error) as exc:
            _log.warning("No read snapshot of %s published (%s).", self.path, exc)

    # -- internals (callers hold self._cond where noted)
    def _take_current(self, check_file: bool = True) -> _Keeper | None:
        with self._cond:
            keeper = self._keeper
            if keeper is None:
                return None
            if check_file and keeper.file_id != _file_id(self.path):
                self._retire(keeper)  # the file was replaced or removed under us
                return None
            keeper.take()
            return keeper

    def _open(self, wait: float | None) -> _Keeper:
        with self._opening:  # one thread opens; the others share what it opened
            keeper = self._take_current()
            if keeper is not None:
                return keeper
            deadline = time.monotonic() + (
                settings.get_float("INSTALLPULSE_LOCK_WAIT") if wait is None else wait
            )
            with self._cond:
                while self._retiring:
                    if not self._cond.wait(max(0.0, deadline - time.monotonic())):
                        raise DatabaseBusy(
                            f"The database file {self.path} was replaced while a query was "
                            "still reading the old one; try again in a moment."
                        )
            try:
                con = open_connection(self.path, wait)
                refusal = None
            except ReadOnlyDatabase as exc:
                # A reader goes on read-only; a writer (or a file not yet made) is refused.
                if write_lock.held() or not self.path.is_file():
                    raise
                con, refusal = open_read_only(self.path, exc), exc
            try:
                if refusal is None:
                    con = ensure_schema(con, self.path)
                    if not write_lock.held() and snapshots.enabled(self.path):
                        self._publish(con)  # (a writer publishes when it lets go)
                else:
                    check_schema_read_only(con, self.path, str(refusal.__cause__))
                keeper = _Keeper(con, _file_id(self.path))
                keeper.read_only = refusal is not None
            except BaseException:
                con.close()
                raise
            keeper.users = 1
            with self._cond:
                self._keeper = keeper
            return keeper

    def _put_back(self, keeper: _Keeper) -> None:
        linger = settings.get_float("INSTALLPULSE_LINGER")
        with self._cond:
            keeper.users -= 1
            if keeper.users > 0:
                return
            if keeper.snapshot is not None and not keeper.retired:
                return  # a snapshot blocks no one: kept open (warm) until a newer one appears
            if keeper.retired or linger <= 0 or keeper is not self._keeper:
                self._retire(keeper)
            else:
                keeper.timer = threading.Timer(linger, self._expire, (keeper,))
                keeper.timer.daemon = True
                try:
                    keeper.timer.start()
                except RuntimeError:  # no memory for the timer's thread (a memory cap)
                    keeper.timer = None
                    self._retire(keeper)  # closed now rather than lingering

    def _expire(self, keeper: _Keeper) -> None:
        with self._cond:
            if keeper.users == 0 and keeper is self._keeper:
                self._retire(keeper)

    def _retire(self, keeper: _Keeper) -> None:
        """(holding self._cond) No new users; closed now if idle, else by its last user."""
        keeper.retired = True
        if self._keeper is keeper:
            self._keeper = None
        if self._snap is keeper:
            self._snap = None
        if keeper.timer is not None:
            keeper.timer.cancel()
            keeper.timer = None
        if keeper.users > 0:
            if keeper.snapshot is None:  # (a new open of the file waits for these to close)
                self._retiring.add(keeper)
            return
        self._retiring.discard(keeper)
        try:
            keeper.con.close()  # closing the last connection checkpoints
        except duckdb.Error as exc:  # an invalidated instance; the WAL keeps what it had
            _log.warning("Closing %s failed (%s).", self.path, exc)
        if keeper.snapshot is None and self._keeper is None and not self._retiring:
            snapshots.let_go(self.path)  # (no connection of ours holds the file: see _held)
        self._cond.notify_all()


class _WriteLock:
    """The process-wide writer lock (re-entrant), which also ends every write with a checkpoint.

    One lock serializes writers (imports, undo, apps, metrics, events): DuckDB's optimistic
    concurrency would otherwise fail one of two concurrent writers (RELIABILITY.md F4). A
    connection opened while holding it notes its store; when the outermost holder lets go,
    each noted store is checkpointed, so when a command or a page action that wrote returns,
    the database file alone holds what it wrote (a copy or backup of the .duckdb file without
    its .wal is complete). One checkpoint per unit of work, not per statement: a caller that
    holds the lock across several writes checkpoints once, at the end. Never take this lock
    inside an open transaction: the checkpoint waits for every open transaction to end.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._owner: int | None = None
        self._depth = 0
        self._written: list[Store] = []
        #: How many outermost holds have ended in this process: a reader that remembered a
        #: value derived from the data (the app's per-rerun data version) compares this to
        #: know whether a write of this process came since.
        self.generation = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not self._lock.acquire(blocking, timeout):
            return False
        self._owner = threading.get_ident()
        self._depth += 1
        return True

    def release(self) -> None:
        if not self.held():
            raise RuntimeError("release of a write lock this thread does not hold")
        if self._depth > 1:
            self._depth -= 1
            self._lock.release()
            return
        written, self._written = self._written, []
        try:
            for noted in written:
                noted.checkpoint()
        finally:
            self._depth = 0
            self._owner = None
            self.generation += 1
            self._lock.release()

    def held(self) -> bool:
        """Whether the calling thread holds the lock."""
        return self._owner == threading.get_ident()

    def wrote(self, noted: Store) -> None:
        """(holder only) Checkpoint this store when the lock is let go."""
        if all(noted is not s for s in self._written):
            self._written.append(noted)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


write_lock = _WriteLock()
_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


def store_for(path: Path | str | None = None) -> Store:
    """The one Store of this database file in this process (keyed by its resolved path; kept
    for the life of the process, so two threads never hold two connections to one file). A
    lake's address (`ducklake:postgres:...`, README "Scaling out") gets a lake's store."""
    db = settings.db_path(path)
    if str(db).startswith("ducklake:"):
        from pipelines import lake  # (lake imports this module)

        return lake.store_for(db)  # type: ignore[return-value]  # (the same interface)
    key = db.resolve()
    with _stores_lock:
        found = _stores.get(key)
        if found is None:
            found = _stores[key] = Store(db)
        return found


def release_all() -> None:
    """Close every lingering connection now (tests, and before copying a database file); one
    in use is closed when its last user ends."""
    with _stores_lock:
        stores = list(_stores.values())
    for each in stores:
        each.retire()
    import sys  # (lakes too, if this process opened any)

    if "pipelines.lake" in sys.modules:
        sys.modules["pipelines.lake"].release_all()


def release_idle(path: Path | str | None = None) -> None:
    """Close the lingering connection to this database now if no one is using it.

    After one large read (the Overview's scan of every series), this frees DuckDB's cache of
    what it scanned (about 140 MB at 40,000 series) instead of holding it through the scoring
    that follows. A connection in use is left alone: its last user starts the linger timer."""
    store_for(path).release()


def connect(
    path: Path | str | None = None, wait: float | None = None
) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A short-lived connection to an up-to-date store (created or migrated when opened)."""
    return store_for(path).connect(wait)


def connect_totals(
    path: Path | str | None = None,
) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A reader's cursor for the totals macro `ip_totals` and the catalogue lookups beside it
    (`semantic.totals.load`): `connect` on a file; on a lake, one whose catalogue tables are
    in memory (`lake.LakeStore.connect_totals`)."""
    return store_for(path).connect_totals()


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open store; 0 for an empty file."""
    tables = {r[0] for r in sql.run_text(con, "select table_name from duckdb_tables()")}
    if "schema_version" not in tables:
        if tables:
            raise InstallpulseError(
                "This DuckDB file has tables but no installpulse schema_version: it is not an "
                "installpulse database. Choose another file with --db."
            )
        return 0
    row = sql.run_text(con, "select max(version) from schema_version")
    return int(row[0][0] or 0)


def apply_migrations(
    con: duckdb.DuckDBPyConnection, start: int, stop: int = SCHEMA_VERSION
) -> None:
    """Apply schema files v{start+1}..v{stop}, each in its own explicit transaction with its
    schema_version row: duckdb 1.5 refuses to commit a transaction that alters a table again
    after an ALTER that filled its rows (v002's column default, then v008's columns)."""
    for version in range(start + 1, stop + 1):
        con.execute("begin")
        con.fetchall()
        try:
            sql.run_script(con, f"schema/v{version:03d}")
            sql.run_text(
                con,
                "insert into schema_version (version, installpulse_version) values ($v, $iv)",
                v=version,
                iv=__version__,
            )
            con.execute("commit")
            con.fetchall()
        except Exception:
            try:
                con.execute("rollback")
                con.fetchall()
            except duckdb.TransactionException:
                pass  # (a failed commit has already ended the transaction)
            raise


def ensure_schema(con: duckdb.DuckDBPyConnection, db: Path) -> duckdb.DuckDBPyConnection:
    """Create a new store, or back up and migrate an older one; refuse a newer one."""
    version = current_version(con)
    if version == SCHEMA_VERSION:
        return con
    if version > SCHEMA_VERSION:
        raise InstallpulseError(
            f"{db} was written by a newer installpulse (schema {version}; this one knows "
            f"{SCHEMA_VERSION}). Upgrade installpulse to open it."
        )
    if version == 0:
        apply_migrations(con, 0)
        # DuckDB 1.5.5 cannot replay an ALTER TABLE ... ADD COLUMN on a table whose defaults
        # call nextval ("GetDefaultDatabase with no default database set"): a new file whose
        # schema was still in the WAL at a kill or an unclosed exit would not open. The
        # migrations therefore never stay in the WAL.
        con.execute("force checkpoint")
        con.fetchall()
        return con
    backup = backup_file(con, db, version)
    con = open_connection(db)
    try:
        apply_migrations(con, version)
    except Exception as exc:
        con.close()
        raise InstallpulseError(
            f"Migrating {db} from schema {version} to {SCHEMA_VERSION} failed ({exc}); the file "
            f"holds the versions before the one that failed, each whole, and a backup of it as it "
            f"was is at {backup}."
        ) from exc
    # The migrated file alone is at the new version (a copy of it needs no second migration).
    con.execute("force checkpoint")
    con.fetchall()
    return con


def check_schema_read_only(con: duckdb.DuckDBPyConnection, db: Path, error: str) -> None:
    """A database opened read-only is read as it is: one of this schema version only (an older
    one must be migrated first, which writes)."""
    version = current_version(con)
    if version > SCHEMA_VERSION:
        ensure_schema(con, db)  # (raises the 'newer installpulse' sentence)
    if version < SCHEMA_VERSION:
        raise not_writable(db, error, schema=version)


def backup_file(con: duckdb.DuckDBPyConnection, db: Path, version: int) -> Path:
    """Checkpoint, close and copy the file before a migration touches it."""
    con.execute("checkpoint")
    con.fetchall()
    con.close()
    folder = db.parent / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    target = folder / f"{db.stem}.schema{version}.{stamp}.duckdb"
    shutil.copy2(db, target)
    return target


def table_checksums(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """(row count, order-independent hash sum) of every table: the all-or-nothing test's probe."""
    out: dict[str, tuple[int, int]] = {}
    tables = [
        r[0]
        for r in sql.run_text(
            con,
            "select table_name from duckdb_tables() where not temporary and schema_name='main' "
            "order by table_name",
        )
    ]
    for table in tables:
        # Identifiers come from the catalogue, never from users; quoted for safety.
        quoted = '"' + table.replace('"', '""') + '"'
        row = sql.run_text(
            con,
            f"select count(*), coalesce(sum(hash(t))::hugeint, 0) from {quoted} t",  # noqa: S608
        )[0]
        out[table] = (int(row[0]), int(row[1]))
    return out
