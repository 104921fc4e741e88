"""A full disk (RELIABILITY.md F7, issue 11 item 5) on a real, small tmpfs: the import fails with
one sentence naming the full disk and its free space, the data is as before, nothing of the
failed import is left behind (no *.part copy, no 'running' row, no empty db.duckdb.tmp/), and
once space is freed the same import succeeds.

Mounting needs root (CI runs as root); elsewhere these tests skip and say why.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import store
from tests.conftest import FIXTURES
from tests.faults.fault_helpers import cli, leftovers, state, statuses

MB = 1024 * 1024


def _mount(where: Path, size_mb: int) -> None:
    if os.geteuid() != 0:
        pytest.skip("a full disk is simulated on a tmpfs, and mounting one needs root "
                    "(CI runs the tests as root)")  # fmt: skip
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): no full-disk test")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs, unmounted afterwards."""
    where = tmp_path / "disk"
    _mount(where, 32)
    try:
        yield where
    finally:
        store.release_all()
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 9 MB of valid rows (210,000 observations)."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    base = dt.date(2020, 1, 1)
    days = [(base + dt.timedelta(days=d)).isoformat() for d in range(700)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("date,app,platform,country,metric,value,source\n")
        for app in range(300):
            fh.writelines(f"{day},app{app},ios,US,installs,{(d * 7 + app) % 1000},bench\n"
                          for d, day in enumerate(days))  # fmt: skip
    return path


def _fill(disk: Path, leave: int) -> Path:
    """Fill the disk but `leave` bytes."""
    filler = disk / "filler.bin"
    free = shutil.disk_usage(disk).free
    with filler.open("wb") as fh:
        fh.truncate(0)
        chunk = b"\0" * MB
        remaining = free - leave
        while remaining > 0:
            fh.write(chunk[: min(MB, remaining)])
            remaining -= MB
    return filler


def _seeded(disk: Path) -> Path:
    db = disk / "db.duckdb"
    done = cli("ingest", "--db", str(db), str(FIXTURES / "generic" / "long_utf8.csv"))
    assert done.returncode == 0, done.stderr
    return db


def _check_refusal(disk: Path, db: Path, before: dict, done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert "cannot rollback" not in done.stderr
    assert "big.csv: not imported: the disk holding " in done.stderr, done.stderr
    assert " is full (" in done.stderr and " MB free); nothing was imported." in done.stderr
    assert leftovers(disk) == []
    assert state(db) == before
    assert [s for _, s in statuses(db)] in (["ok", "failed"], ["ok"])


@pytest.mark.parametrize("stage", ["archive copy", "database write"])
def test_full_disk_refuses_cleanly_and_the_retry_works(
    small_disk: Path, big_csv: Path, stage: str
) -> None:
    db = _seeded(small_disk)
    before = state(db)
    size = big_csv.stat().st_size
    # Too little for the archive copy; or room for it but not for the rows DuckDB writes.
    filler = _fill(small_disk, size // 2 if stage == "archive copy" else size + MB // 2)
    done = cli("ingest", "--db", str(db), str(big_csv))
    _check_refusal(small_disk, db, before, done)
    if stage == "database write":
        assert not (small_disk / "archive" / "big.csv").exists()
        assert len(list((small_disk / "archive").rglob("*.json"))) == 1  # the seed's only

    filler.unlink()
    retry = cli("ingest", "--db", str(db), str(big_csv))
    assert retry.returncode == 0, retry.stderr
    assert "big.csv: imported as" in retry.stdout
    assert leftovers(small_disk) == []
