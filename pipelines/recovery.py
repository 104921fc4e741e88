"""Recovery: after a corrupt write-ahead log was set aside, and after interrupted imports.

Every imported file is archived (content-addressed, with a sidecar naming the file and its
options) before its transaction starts, so imports the database lost can be replayed from the
archive exactly as they were made.

An import killed or stopped by a full disk leaves no rows (its transaction never committed),
but it can leave files and a history row: a `*.part` archive copy that never finished, an
empty DuckDB temp folder `<db>.tmp/`, and an import history row still 'running'.
`clean_failed_import` removes the files of one failed import (the import path calls it);
`leftovers` lists what interrupted imports left and `clean` removes it and marks the rows
(`installpulse recover`). A 'running' row found while this process holds the write lock and
the database file is always stale: an import holds both from its 'running' row to its end.
"""

from __future__ import annotations

import errno
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines import contract, settings, sql, store
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed


@dataclass
class Orphan:
    """An archived file whose import the database does not hold (lost or never finished)."""

    sha256: str
    path: Path
    file_name: str
    options: dict[str, object]
    archived_at: str


def marker(db: Path | str | None = None) -> dict[str, str] | None:
    """The recovery marker's contents when a corrupt WAL was quarantined, else None."""
    path = store.recovery_marker(settings.db_path(db))
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def orphans(db: Path | str | None = None) -> list[Orphan]:
    """Archived files with no successful import in the database, oldest first."""
    db_file = settings.db_path(db)
    folder = settings.archive_dir(db_file)
    with store.connect(db) as con:
        known = {r[0] for r in sql.run_text(
            con, "select sha256 from imports where status in ('ok', 'undone', 'failed') "
                 "and sha256 is not null")}  # fmt: skip
    found = []
    for sidecar in sorted(folder.glob("*/*.json")) if folder.exists() else []:
        sha = sidecar.name.removesuffix(".json")
        data = sidecar.with_name(sha)
        if sha in known or not data.exists():
            continue
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        found.append(Orphan(sha, data, meta.get("file_name", sha), meta.get("options", {}),
                            meta.get("archived_at", "")))  # fmt: skip
    return sorted(found, key=lambda o: o.archived_at)


def replay(db: Path | str | None = None) -> list[str]:
    """Re-import every orphan with its recorded options; then clear the marker."""
    lines = []
    for orphan in orphans(db):
        options = IngestOptions(**{k: v for k, v in orphan.options.items()
                                   if k in IngestOptions.__dataclass_fields__})  # fmt: skip
        try:
            result = contract.ingest_file(orphan.path, db, options, name=orphan.file_name)
            lines.append(result.summary())
        except ImportFailed as exc:
            lines.append(exc.render())
    path = store.recovery_marker(settings.db_path(db))
    if path.exists():
        path.unlink()
    return lines


# -- interrupted imports and full disks

INTERRUPTED = (
    "interrupted: the import stopped before it finished (killed, or the disk was full); "
    "nothing of it was written. Found by `installpulse recover`; import the file again."
)
_WRITE_RE = re.compile(r'(?:write|create|open|extend) (?:file|directory) "([^"]+)"', re.IGNORECASE)


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or while handling (a failed COMMIT can be
    hidden behind the error of the rollback that followed it)."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def disk_full(exc: BaseException, db: Path) -> tuple[Path, int] | None:
    """(the folder on the full disk, MB free there) when `exc` comes from a full disk, else None.

    DuckDB says so in its message ("No space left on device"; "failed to offload" when its temp
    folder cannot take what spills out of memory), Python with ENOSPC or EDQUOT."""
    for cause in _causes(exc):
        where: Path | None = None
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            where = Path(cause.filename).parent if cause.filename else db.parent
        elif isinstance(cause, duckdb.Error):
            text = str(cause)
            if "No space left on device" in text or "Disk quota exceeded" in text:
                found = _WRITE_RE.search(text)
                where = Path(found.group(1)).parent if found else db.parent
            elif "failed to offload" in text:
                where = db.with_name(db.name + ".tmp")
        if where is not None:
            where = _existing(where)
            return where, shutil.disk_usage(where).free // (1024 * 1024)
    return None


def _part_files(db: Path) -> list[Path]:
    folder = settings.archive_dir(db)
    return sorted(folder.glob("*/*.part")) if folder.exists() else []


def _empty_temp(db: Path) -> Path | None:
    temp = db.with_name(db.name + ".tmp")
    try:
        return temp if temp.is_dir() and not any(temp.iterdir()) else None
    except OSError:
        return None


def clean_failed_import(db: Path, sha: str | None, archive_too: bool = False) -> None:
    """Remove what one failed import made: its unfinished archive copy (*.part), its archive
    copy and sidecar when `archive_too` (made by it, and the disk is full), and DuckDB's temp
    folder if empty. Never raises: the import's own error is what the user must see."""
    if sha:
        target = settings.archive_dir(db) / sha[:2] / sha
        doomed = [target.with_suffix(".part")]
        if archive_too:
            doomed += [target, target.with_name(target.name + ".json")]
        if archive_too and db.exists() and db.stat().st_size == 0:
            doomed.append(db)  # created by this import on a full disk: it never got a header
        for path in doomed:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
        try:
            target.parent.rmdir()  # (only if empty)
        except OSError:
            pass
    temp = _empty_temp(db)
    if temp is not None:
        try:
            temp.rmdir()
        except OSError:
            pass


@dataclass
class Leftovers:
    """What interrupted imports left behind: files to remove and history rows to mark."""

    part_files: list[Path] = field(default_factory=list)
    empty_temp: Path | None = None
    running: list[tuple[int, str]] = field(default_factory=list)  # (import id, file name)

    def __bool__(self) -> bool:
        return bool(self.part_files or self.empty_temp or self.running)

    def describe(self) -> list[str]:
        lines = [f"  unfinished archive copy: {p}" for p in self.part_files]
        if self.empty_temp is not None:
            lines.append(f"  empty DuckDB temp folder: {self.empty_temp}")
        lines += [f"  import #{i} ({name}) is still 'running' but no import is running"
                  for i, name in self.running]  # fmt: skip
        return lines


def _running(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    rows = sql.run_text(
        con, "select import_id, file_name from imports where status = 'running' order by 1"
    )
    return [(int(i), str(n)) for i, n in rows]


def leftovers(db: Path | str | None = None) -> Leftovers:
    """List what interrupted imports left (under the write lock: no import of this process is
    running, and holding the file means no other process's is either)."""
    db_file = settings.db_path(db)
    with store.write_lock, store.connect(db) as con:
        running = _running(con)
    return Leftovers(_part_files(db_file), _empty_temp(db_file), running)


def clean(db: Path | str | None = None) -> list[str]:
    """Remove what interrupted imports left and mark their 'running' rows failed (with
    INTERRUPTED as the message); returns one line per thing done."""
    db_file = settings.db_path(db)
    done: list[str] = []
    with store.write_lock, store.connect(db) as con:
        for import_id, name in _running(con):
            sql.run(con, "history_fail", import_id=import_id, message=INTERRUPTED)
            done.append(f"  marked import #{import_id} ({name}) failed: interrupted")
        # (an archive copy still being written by a process that waits for this file would
        # lose its *.part here: that import then fails with an archive error, and can be rerun)
        for part in _part_files(db_file):
            size = part.stat().st_size
            part.unlink(missing_ok=True)
            done.append(f"  removed unfinished archive copy {part} ({size:,} bytes)")
    temp = _empty_temp(db_file)
    if temp is not None:
        temp.rmdir()
        done.append(f"  removed empty DuckDB temp folder {temp}")
    return done
