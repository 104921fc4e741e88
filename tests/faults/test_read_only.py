"""The database on a read-only file system (RELIABILITY.md F8): reads work (a read-only open),
every write is refused before it starts with one sentence naming the folder and what to do,
never a traceback, the CLI exits 1 as for other refusals, nothing is written anywhere (not even
an archive copy in a writable INSTALLPULSE_ARCHIVE), and once the folder is writable again the
same write works - in a new process and in one that opened the file read-only before (the app).

The read-only folder is a real tmpfs remounted read-only (`mount -o remount,ro`), which needs
root (CI runs as root); elsewhere these tests skip and say why. (As root, permission bits do not
stop writes, so a folder of the wrong owner cannot be shown here; DuckDB's 'Permission denied'
takes the same path, with a sentence naming the user.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import contract, events, store
from pipelines.errors import ReadOnlyDatabase
from tests.conftest import FIXTURES, REPO
from tests.faults.fault_helpers import cli, state, statuses

GENERIC = FIXTURES / "generic"


def _mount(where: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *options, str(where)], capture_output=True, text=True)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs (read-write until a test makes it read-only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("a read-only folder is a tmpfs remounted read-only, and mounting needs root "
                    "(CI runs the tests as root)")  # fmt: skip
    where = tmp_path / "disk"
    where.mkdir()
    done = _mount(where, "-t", "tmpfs", "-o", "size=64m", "tmpfs")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): no read-only test")
    try:
        yield where
    finally:
        store.release_all()
        subprocess.run(["umount", "-l", str(where)], check=False)


def _read_only(disk: Path, on: bool = True) -> None:
    store.release_all()  # (a connection of this process must not keep a file open across)
    done = _mount(disk, "-o", "remount,ro" if on else "remount,rw")
    assert done.returncode == 0, done.stderr
    assert os.access(disk, os.W_OK) is (not on)


def _assert_refused(done: subprocess.CompletedProcess[str], db: Path) -> None:
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert f"Cannot write to the database {db}: the folder {db.parent} is on a read-only " in (
        done.stderr
    )
    assert "nothing was written" in done.stderr
    assert f"Make {db.parent} writable (remount it read-write" in done.stderr


def test_cli_reads_work_writes_are_refused_and_work_once_writable(
    disk: Path, tmp_path: Path
) -> None:
    db = disk / "db.duckdb"
    for name in ("long_utf8.csv", "restate_v1.csv"):
        assert cli("ingest", "--db", str(db), str(GENERIC / name)).returncode == 0
    before = state(db)
    _read_only(disk)
    assert state(db) == before  # (this process read it: a read-only open)

    for read in (["imports"], ["apps"], ["events", "list"], ["metrics"],
                 ["series", "--app", "ChatGPT", "--metric", "uninstalls"]):  # fmt: skip
        done = cli(*read, "--db", str(db))
        assert done.returncode == 0, (read, done.stderr)
        assert done.stderr == ""
    assert "restate_v1.csv" in cli("imports", "--db", str(db)).stdout

    archive = tmp_path / "archive"  # writable: the refused import must leave no copy there
    writes = [
        ["ingest", str(GENERIC / "wide.csv")],
        ["undo", "2"],
        ["events", "add", "--start", "2026-03-01", "--title", "Launch"],
        ["recover"],
    ]
    for write in writes:
        done = cli(*write, "--db", str(db), INSTALLPULSE_ARCHIVE=str(archive))
        _assert_refused(done, db)
    assert not archive.exists() or list(archive.rglob("*")) == []
    assert state(db) == before

    _read_only(disk, on=False)
    done = cli("ingest", "--db", str(db), str(GENERIC / "wide.csv"))
    assert done.returncode == 0 and "wide.csv: imported as #3" in done.stdout, done.stderr
    assert [s for _, s in statuses(db)] == ["ok", "ok", "ok"]


def test_a_new_database_in_a_read_only_folder_is_refused(disk: Path) -> None:
    _read_only(disk)
    db = disk / "new.duckdb"
    done = cli("imports", "--db", str(db))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"Cannot create the database {db}: the folder {disk} is on a read-only " in done.stderr
    assert "choose a database in a writable folder with --db or INSTALLPULSE_DB" in done.stderr
    assert not db.exists()


def test_one_process_reads_read_only_then_writes_once_writable(disk: Path) -> None:
    """The app's case: its process keeps the file open (read-only while the folder is), and a
    write after a remount must not be refused by that old read-only connection."""
    db = disk / "db.duckdb"
    contract.ingest_file(GENERIC / "long_utf8.csv", db)
    before = state(db)
    _read_only(disk)
    with store.connect(db) as con:  # read-only, and lingering
        assert con.execute("select count(*) from observations").fetchone() == (6,)
    with pytest.raises(ReadOnlyDatabase, match="nothing was written"):
        contract.ingest_file(GENERIC / "wide.csv", db)
    with pytest.raises(ReadOnlyDatabase, match="nothing was written"):
        events.add(events.Event(date(2026, 3, 1), "Launch"), db)
    assert state(db) == before

    with store.connect(db) as con:  # a reader again: the read-only connection is open
        assert con.execute("select count(*) from observations").fetchone() == (6,)
    assert _mount(disk, "-o", "remount,rw").returncode == 0  # (the connection stays open)
    result = contract.ingest_file(GENERIC / "wide.csv", db)
    assert result.status == "imported"
    assert events.add(events.Event(date(2026, 3, 1), "Launch"), db) == 1


@pytest.fixture
def read_only_demo(disk: Path, demo_db_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = disk / "demo.duckdb"
    shutil.copyfile(demo_db_template, db)
    _read_only(disk)
    monkeypatch.setenv("INSTALLPULSE_DB", str(db))
    return db


PAGES = ["app_pages/overview.py", "app_pages/explore.py", "app_pages/study.py",
         "app_pages/events.py", "app_pages/data.py", "app_pages/database.py"]  # fmt: skip


def _open(page: str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(page)
    at.run()
    return at


def test_app_pages_read_a_read_only_database_and_refuse_a_write(read_only_demo: Path) -> None:
    for page in PAGES:
        at = _open(page)
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
    explore = _open("app_pages/explore.py")
    assert explore.get("plotly_chart"), "the explorer drew no chart"

    at = _open("app_pages/events.py")
    at.text_input(key="ev_new_title").input("Launch day")
    next(b for b in at.button if b.label == "Add event").click()
    at.run()
    assert not at.exception, at.exception
    shown = " ".join(e.value for e in at.error).replace("\\", "")
    assert f"Cannot write to the database {read_only_demo}" in shown
    assert f"Make {read_only_demo.parent} writable" in shown
