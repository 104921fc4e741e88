"""Read snapshots: pages read a checkpointed copy of the database, so reads never wait for writes.

DuckDB lets one process hold a file read-write, and even a read-only open fails while another
process holds it (RELIABILITY decision 1), so while `installpulse ingest` writes, a page that
reads the file itself waits for the lock and past INSTALLPULSE_LOCK_WAIT shows an error. A
copy of the file does not have that lock: after every committed write, once its checkpoint has
put every commit into the .duckdb file, the writer - still holding the file, so nothing can
change it under the copy - copies it into `<db>.snapshots/` (a reflink where the file system
has them, else `copy_file_range`, which stays in the kernel) and renames the copy into place.
Readers open the newest snapshot READ_ONLY (many processes and threads can share a read-only
file) and move to a newer one when it appears; older ones are unlinked, keeping the newest
KEEP (a reader still holding an unlinked one reads on: Linux keeps the file until it closes).

A snapshot is named by the data version of the file it copies: the checkpoint iteration
DuckDB writes in the file's header (it grows by one with every checkpoint and does not change
while an import is still uncommitted, even when the import has written blocks into the file),
the file's inode, and a CRC of that header with the file's size and modification time, so a
file replaced under a running app (a restore, a copy in place) never passes for its
predecessor - two files' headers can be byte for byte alike. An import still running writes
blocks into the file, so the file is not "as published" then: a reader reads the newest
snapshot, as it does while the import is committing. `current` is the snapshot of the file as
it is now, if one was published: same checkpoint, size and time, and no commit waiting in the
write-ahead log. Reading the header is one 8 KiB read, no DuckDB open and no lock.

Snapshots exist only for a database whose `.snapshots` folder exists: the app creates it
(`enable`), and from then on every writer of that file (the app, the CLI, a sync) publishes.
A single analyst who only uses the command line pays neither the copy nor the disk.

A copy is not synced to disk (at L a sync would write 168 MB per import): a power cut could
leave a torn one. So a snapshot is only read in the boot that wrote it - its name carries the
first 8 hex digits of the kernel's boot id, and a snapshot of an earlier boot is never read and
is pruned with the next publish (a reader then reads the file, which DuckDB's own checkpoint and
write-ahead log keep whole). Where there is no boot id (not Linux), every copy is synced.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

from pipelines import faults

KEEP = 2  # snapshots kept per database: the newest, and the one readers may still be opening
_HEADER_SIZE = 4096  # DuckDB: a main header, then two database headers of 4 KiB each
_NAME_RE = re.compile(r"^(\d{12})-(\d+)-([0-9a-f]{8})-([0-9a-f]{8})\.duckdb$")
_FICLONE = 0x40049409  # ioctl: share the extents of another file (btrfs, XFS, bcachefs)
_publishing = threading.Lock()
_log = logging.getLogger(__name__)


def _read_boot() -> str | None:
    """The first 8 hex digits of this boot's id (Linux), None elsewhere."""
    try:
        text = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii")
    except OSError:
        return None
    digits = text.strip().replace("-", "").lower()
    return digits[:8] if re.fullmatch(r"[0-9a-f]{32}", digits) else None


BOOT = _read_boot()  # (a process never outlives its boot)
_NO_BOOT = "00000000"  # the name's boot part where there is no boot id (every copy is synced)


@dataclass(frozen=True)
class Stamp:
    """The data version of a checkpointed DuckDB file: which file (inode), which checkpoint,
    and a CRC of its header, size and modification time."""

    inode: int
    iteration: int
    crc: int

    @property
    def name(self) -> str:
        return f"{self.iteration:012d}-{self.inode}-{self.crc:08x}-{BOOT or _NO_BOOT}.duckdb"


def folder(db: Path) -> Path:
    """`<db>.snapshots/`, next to the database (same file system: the copy can be a reflink)."""
    return db.with_name(db.name + ".snapshots")


def enabled(db: Path) -> bool:
    return folder(db).is_dir()


def enable(db: Path) -> bool:
    """Create the snapshots folder (the app does, on its first read); False where the folder
    of the database cannot be written (a read-only mount): readers then read the file itself.
    Never for a lake (`ducklake:...`): DuckLake readers already read a snapshot of their own,
    and no file lock stands between its readers and writers."""
    if str(db).startswith("ducklake:"):
        return False
    try:
        folder(db).mkdir(exist_ok=True)
    except OSError:
        return False
    return True


# Closing ANY descriptor of a file drops every POSIX lock this process holds on it - DuckDB's
# own lock on the database among them: an open-read-close of the header while this process
# held the file let another process open it read-write too (two writers on one file). So the
# file is read through one descriptor per file kept open (`_held`), closed only once DuckDB's
# connection to it is closed (`let_go`, called by the store).
_fds: dict[str, list[tuple[int, int]]] = {}  # path -> [(inode, fd)], the current file last
_fds_lock = threading.Lock()


def _held(db: Path) -> int:
    """A descriptor of the file now at `db`, kept open (see above); OSError if there is none."""
    inode = os.stat(db).st_ino
    key = str(db)
    with _fds_lock:
        held = _fds.setdefault(key, [])
        if held and held[-1][0] == inode:
            return held[-1][1]
        fd = os.open(db, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        held.append((os.fstat(fd).st_ino, fd))  # (a replaced file's stays open: see above)
        return fd


def let_go(db: Path) -> None:
    """Close the descriptors `_held` keeps for `db`: the caller has closed its connection."""
    with _fds_lock:
        held = _fds.pop(str(db), [])
    for _, fd in held:
        with contextlib.suppress(OSError):
            os.close(fd)


def _read_at(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    with _fds_lock:  # (no pread: a shared position)
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, size)


def stamp(db: Path) -> Stamp | None:
    """The checkpoint the file's header points at; None for a missing or never-checkpointed
    file (DuckDB writes both database headers at the first checkpoint)."""
    try:
        fd = _held(db)
        st = os.fstat(fd)
        raw = _read_at(fd, 2 * _HEADER_SIZE, _HEADER_SIZE)
    except OSError:
        return None
    if len(raw) < 2 * _HEADER_SIZE:
        return None
    headers = [raw[:_HEADER_SIZE], raw[_HEADER_SIZE:]]
    # each header: an 8-byte checksum, then the iteration; the higher iteration is the live one
    live = max(headers, key=lambda h: struct.unpack_from("<Q", h, 8)[0])
    iteration = struct.unpack_from("<Q", live, 8)[0]
    if iteration == 0:
        return None
    crc = zlib.crc32(struct.pack("<QQ", st.st_size, st.st_mtime_ns), zlib.crc32(live))
    return Stamp(st.st_ino, iteration, crc)


def _wal_pending(db: Path) -> bool:
    try:
        return db.with_name(db.name + ".wal").stat().st_size > 0
    except FileNotFoundError:
        return False


def _listed(db: Path) -> list[tuple[Path, int, int]]:
    """(path, iteration, inode) of every published snapshot of `db`; a snapshot written in an
    earlier boot has inode -1 (never read, pruned as a replaced file's are)."""
    try:
        names = os.listdir(folder(db))
    except OSError:
        return []
    out = []
    for name in names:
        m = _NAME_RE.match(name)
        if m:
            inode = int(m.group(2)) if m.group(4) == (BOOT or _NO_BOOT) else -1
            out.append((folder(db) / name, int(m.group(1)), inode))
    return out


def current(db: Path) -> Path | None:
    """The snapshot of the file as it is now (every commit in it), or None: none published
    for this checkpoint yet, or commits waiting in the write-ahead log."""
    if _wal_pending(db):
        return None
    now = stamp(db)
    if now is None:
        return None
    path = folder(db) / now.name
    return path if path.is_file() else None


def newest(db: Path) -> Path | None:
    """The newest snapshot of this file (same inode), whatever the file holds now: what a
    reader reads while a writer holds the file (the data as of the last published write)."""
    try:
        inode = db.stat().st_ino
    except OSError:
        return None
    mine = [(iteration, path) for path, iteration, ino in _listed(db) if ino == inode]
    return max(mine)[1] if mine else None


def publish(db: Path) -> Path | None:
    """Copy the checkpointed file into the snapshots folder and prune the older snapshots.

    The caller holds the file read-write (an open connection, after its checkpoint): no other
    process can change it during the copy, and this process's writers hold the write lock.
    Returns the snapshot (None when snapshots are off for this file, or it has uncheckpointed
    commits). An OSError (disk full) is the caller's to log: the write it follows is done."""
    if not enabled(db) or _wal_pending(db):
        return None
    with _publishing:
        now = stamp(db)
        if now is None:
            return None
        target = folder(db) / now.name
        if not target.is_file():
            part = folder(db) / f".{now.name}.{os.getpid()}.part"
            try:
                _copy(db, part)
                if BOOT is None:
                    _sync(part)
                faults.point("snapshot:copied")
                os.replace(part, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    part.unlink()
                raise
        prune(db, keep=KEEP)
        return target


def prune(db: Path, keep: int = KEEP) -> list[Path]:
    """Unlink all but the newest `keep` snapshots of this file, every snapshot of a file that
    was replaced, and copies a killed publisher left (`.part`: only a publisher, who holds the
    file, prunes, so no other copy is in progress). Returns what was removed."""
    try:
        inode = db.stat().st_ino
    except OSError:
        return []
    listed = sorted(_listed(db), key=lambda t: t[1], reverse=True)
    mine = [path for path, _, ino in listed if ino == inode]
    doomed = mine[keep:] + [path for path, _, ino in listed if ino != inode]
    with contextlib.suppress(OSError):
        doomed += [  # (and names of an older installpulse, which carried no boot)
            p
            for p in folder(db).iterdir()
            if p.name.endswith(".part") or (p.suffix == ".duckdb" and not _NAME_RE.match(p.name))
        ]
    removed = []
    for path in doomed:
        try:
            path.unlink()
            removed.append(path)
        except OSError as exc:  # (Windows refuses to unlink an open file: pruned next time)
            _log.info("Snapshot %s not removed yet (%s).", path, exc)
    return removed


def _sync(path: Path) -> None:
    """Where no boot id tells a pre-crash copy apart, the copy reaches the disk before its
    rename (and the rename before the next publish prunes the older one)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(src: Path, dst: Path) -> None:
    """A reflink where the file system shares extents (no data copied), else copy_file_range
    (the kernel copies page cache to page cache, no trip through Python), else a plain copy.
    The source is read through its kept descriptor, at explicit offsets (see `_held`)."""
    fd = _held(src)
    with open(dst, "wb") as fout:
        try:
            import fcntl

            fcntl.ioctl(fout.fileno(), _FICLONE, fd)
            return
        except (ImportError, OSError):
            pass
        size = os.fstat(fd).st_size
        done = 0
        try:
            while done < size:
                n = os.copy_file_range(fd, fout.fileno(), size - done, done)
                if n == 0:
                    break
                done += n
        except (AttributeError, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno not in (
                errno.EXDEV,
                errno.ENOSYS,
                errno.EOPNOTSUPP,
                errno.EINVAL,
            ):
                raise
            fout.seek(0)
            fout.truncate()
            offset = 0
            while chunk := _read_at(fd, 8 << 20, offset):
                fout.write(chunk)
                offset += len(chunk)
