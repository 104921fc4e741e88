"""The DuckDB store: opening the file, the schema and its migrations, and table checksums.

Design decision (RELIABILITY.md decision 1): DuckDB lets one process hold a file read-write,
and even a read-only open fails while another process holds it. installpulse therefore never
keeps a long-lived connection: the app, the CLI and notebooks-through-our-API open the file
per operation (about 15 ms) and close it at once. A CLI ingest can run while the app is up;
whoever arrives while the other holds the file retries for INSTALLPULSE_LOCK_WAIT seconds
and then gets a `DatabaseBusy` sentence naming the process, never a lock traceback.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import __version__, settings, sql
from pipelines.errors import DatabaseBusy, InstallpulseError

SCHEMA_VERSION = 3
_WAL_RE = re.compile(r"replaying WAL|Corrupt WAL", re.IGNORECASE)
_LOCK_RE = re.compile(r"(?:Could not set lock|Conflicting lock)", re.IGNORECASE)
_PID_RE = re.compile(r"PID (\d+)")
_checked: set[Path] = set()
_migrate_lock = threading.Lock()
# One process-wide lock serializes writers (imports, undo, events): DuckDB's optimistic
# concurrency would otherwise fail one of two concurrent writers (RELIABILITY.md F4).
write_lock = threading.RLock()


def _describe_pid(pid: str) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return f"PID {pid}"
    return f"PID {pid}: {cmd[:120]}" if cmd else f"PID {pid}"


def _config() -> dict[str, str]:
    config = {"memory_limit": settings.get("INSTALLPULSE_MEMORY_LIMIT")}
    threads = settings.get("INSTALLPULSE_THREADS")
    if threads:
        config["threads"] = threads
    return config


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
            if not _LOCK_RE.search(text):
                if "Permission denied" in text or "Read-only file system" in text:
                    raise InstallpulseError(
                        f"Cannot open the database {path} for writing ({text.splitlines()[0]}). "
                        "Check the folder's permissions or choose another file with --db."
                    ) from exc
                raise
            if time.monotonic() >= deadline:
                pid = _PID_RE.search(text)
                who = _describe_pid(pid.group(1)) if pid else "another process"
                raise DatabaseBusy(
                    f"The database {path} is in use by another installpulse process ({who}). "
                    f"Waited {settings.get('INSTALLPULSE_LOCK_WAIT')} s; try again when it has "
                    "finished (an import of a large file can take a minute), or raise "
                    "INSTALLPULSE_LOCK_WAIT."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


class _Keeper:
    """Keeps one connection (so DuckDB's instance, its buffer pool and the file lock) alive for
    a short idle time after the last use, so a burst of queries (a page rerun) pays neither the
    open nor a cold cache per query: measured on the S database, the explorer's query went from
    99 ms to 20 ms median. After INSTALLPULSE_LINGER seconds without use the file is released,
    so a CLI ingest waiting for the lock gets it well within INSTALLPULSE_LOCK_WAIT."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.users = 0
        self.timer: threading.Timer | None = None


_keepers: dict[Path, _Keeper] = {}
_keepers_lock = threading.Lock()


def _release(resolved: Path, keeper: _Keeper) -> None:
    with _keepers_lock:
        if keeper.users == 0 and _keepers.get(resolved) is keeper:
            del _keepers[resolved]
            keeper.con.close()


def release_all() -> None:
    """Close every lingering connection now (tests, and before copying a database file)."""
    with _keepers_lock:
        for keeper in _keepers.values():
            if keeper.timer is not None:
                keeper.timer.cancel()
            if keeper.users == 0:
                keeper.con.close()
        _keepers.clear()


def release_idle(path: Path | str | None = None) -> None:
    """Close the lingering connection to this database now if no one is using it.

    After one large read (the Overview's scan of every series), this frees DuckDB's cache of
    what it scanned (about 140 MB at 40,000 series) instead of holding it through the scoring
    that follows. A connection in use is left alone: its last user starts the linger timer."""
    resolved = settings.db_path(path).resolve()
    with _keepers_lock:
        keeper = _keepers.get(resolved)
        if keeper is not None and keeper.users == 0:
            if keeper.timer is not None:
                keeper.timer.cancel()
            del _keepers[resolved]
            keeper.con.close()


@contextlib.contextmanager
def connect(
    path: Path | str | None = None, wait: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection to an up-to-date store (created or migrated on first use)."""
    db = settings.db_path(path)
    resolved = db.resolve()
    linger = settings.get_float("INSTALLPULSE_LINGER")
    keeper = None
    if linger > 0:
        with _keepers_lock:
            keeper = _keepers.get(resolved)
            if keeper is not None:
                if keeper.timer is not None:
                    keeper.timer.cancel()
                    keeper.timer = None
                keeper.users += 1
    if keeper is None:
        base = open_connection(db, wait)
        try:
            if resolved not in _checked:
                with _migrate_lock:
                    base = ensure_schema(base, db)
                    _checked.add(resolved)
        except BaseException:
            base.close()
            raise
        if linger > 0:
            keeper = _Keeper(base)
            keeper.users = 1
            with _keepers_lock:
                existing = _keepers.get(resolved)
                if existing is None:
                    _keepers[resolved] = keeper
                else:  # another thread opened it meanwhile: share theirs
                    existing.users += 1
                    if existing.timer is not None:
                        existing.timer.cancel()
                        existing.timer = None
                    keeper = existing
        else:
            try:
                yield base
            finally:
                base.close()
            return
    con = keeper.con.cursor()
    try:
        yield con
    finally:
        con.close()
        with _keepers_lock:
            keeper.users -= 1
            if keeper.users == 0 and _keepers.get(resolved) is keeper:
                keeper.timer = threading.Timer(linger, _release, (resolved, keeper))
                keeper.timer.daemon = True
                keeper.timer.start()


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
    """Apply schema files v{start+1}..v{stop} in one explicit transaction."""
    con.execute("begin")
    con.fetchall()
    try:
        for version in range(start + 1, stop + 1):
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
        con.execute("rollback")
        con.fetchall()
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
        return con
    backup = backup_file(con, db, version)
    con = open_connection(db)
    try:
        apply_migrations(con, version)
    except Exception as exc:
        raise InstallpulseError(
            f"Migrating {db} from schema {version} to {SCHEMA_VERSION} failed ({exc}); the file "
            f"is unchanged and a backup is at {backup}."
        ) from exc
    return con


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
