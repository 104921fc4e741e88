"""An import with too little memory (RELIABILITY.md F12): it completes, or it is refused with one
sentence saying which limit was hit and which setting to change ("not enough memory to import
it: ...; nothing was imported. Raise INSTALLPULSE_MEMORY_LIMIT ...") with the data unchanged and
a failed history row - never a traceback, never half an import. When the cap kills the process
outright (glibc aborts a thread it cannot give memory to, as an OOM killer would kill it), the
kill invariants hold: every table as before or as after, `recover` cleans up, the retry works.

Two caps: DuckDB's own (INSTALLPULSE_MEMORY_LIMIT, deterministic), and the system's - the
address space of the process capped with RLIMIT_AS (tests/faults/capped.py: at what the loaded
program uses plus N MB, with DuckDB on 2 threads, so the cap means the same on any machine).
Which of the three outcomes a system cap gives depends on where the allocation fails; each is
checked for what it must hold, and the generous cap must complete.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import contract, sql, store
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed, Problem
from tests.conftest import FIXTURES, REPO
from tests.faults.fault_helpers import (
    RUN_LIMIT,
    assert_before_or_after,
    cli,
    cli_env,
    contents,
    copy_db,
    leftovers,
    state,
    statuses,
)


@pytest.fixture(scope="module")
def medium_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 9 MB of valid rows (210,000 observations of 300 apps)."""
    path = tmp_path_factory.mktemp("medium") / "medium.csv"
    base = dt.date(2020, 1, 1)
    days = [(base + dt.timedelta(days=d)).isoformat() for d in range(700)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("date,app,platform,country,metric,value,source\n")
        for app in range(300):
            fh.writelines(f"{day},app{app},ios,US,installs,{(d * 7 + app) % 1000},bench\n"
                          for d, day in enumerate(days))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("seed") / "db.duckdb"
    done = cli("ingest", "--db", str(db), str(FIXTURES / "generic" / "long_utf8.csv"))
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="module")
def imported(seeded: Path, medium_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = copy_db(seeded, tmp_path_factory.mktemp("imported") / "db.duckdb")
    done = cli("ingest", "--db", str(db), str(medium_csv))
    assert done.returncode == 0, done.stderr
    return db


def _retry_matches(db: Path, medium_csv: Path, imported: Path) -> None:
    retry = cli("ingest", "--db", str(db), str(medium_csv))
    assert retry.returncode == 0, retry.stderr
    assert contents(db) == contents(imported)


def test_duckdb_memory_limit_reached_is_a_refusal_with_the_setting(
    seeded: Path, imported: Path, medium_csv: Path, tmp_path: Path
) -> None:
    db = copy_db(seeded, tmp_path / "db.duckdb")
    before = state(db)
    # (at 10MB duckdb 1.5 cannot commit even the history row that says the import failed)
    done = cli("ingest", "--db", str(db), str(medium_csv), INSTALLPULSE_MEMORY_LIMIT="16MB")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert (
        "medium.csv: not enough memory to import it: DuckDB reached its memory limit, "
        "INSTALLPULSE_MEMORY_LIMIT=16MB (" in done.stderr
    ), done.stderr
    # (DuckDB 1.5 says it while reading, or when the commit finds no block to write)
    assert any(
        cause in done.stderr
        for cause in ("(Out of Memory Error: ", "(TransactionContext Error: Failed to commit: ")
    ), done.stderr
    assert "; nothing was imported. Raise INSTALLPULSE_MEMORY_LIMIT" in done.stderr
    assert "encoding" not in done.stderr  # (it used to be blamed on the file's encoding)
    assert state(db) == before
    assert statuses(db)[-1] == ("medium.csv", "failed")
    assert leftovers(tmp_path) == []
    _retry_matches(db, medium_csv, imported)


def test_a_read_past_duckdbs_memory_limit_is_a_sentence(seeded: Path) -> None:
    done = cli("imports", "--db", str(seeded), INSTALLPULSE_MEMORY_LIMIT="1MB")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("installpulse: not enough memory: DuckDB reached its memory "
                                  "limit, INSTALLPULSE_MEMORY_LIMIT=1MB")  # fmt: skip


# DuckDB 1.5.5's words for a commit that found no memory, as printed under each cap here
COMMIT_OOM = {
    "duckdb": "TransactionContext Error: Failed to commit: could not allocate block of size "
    "256.0 KiB (16.0 MiB/16.0 MiB used)",
    "system": "TransactionContext Error: Failed to commit: Failed to allocate block of 262144 "
    "bytes (bad allocation)",
}


def test_a_commit_short_of_memory_is_a_shortage_of_the_right_kind() -> None:
    # (the system's words were not recognised: the import was 'could not be read', then
    # recording that failed on the same shortage with a traceback - CI, stop 19)
    duckdbs = store.memory_shortage(duckdb.TransactionException(COMMIT_OOM["duckdb"]))
    systems = store.memory_shortage(duckdb.TransactionException(COMMIT_OOM["system"]))
    assert duckdbs is not None and duckdbs[0].startswith("DuckDB reached its memory limit, ")
    assert systems is not None and systems[0].startswith(store.SYSTEM_REFUSED + " (")
    wrapped = ImportFailed("f.csv", [Problem("could not be read.")])
    wrapped.__cause__ = duckdb.TransactionException(COMMIT_OOM["system"])
    assert store.memory_shortage(wrapped) == systems
    conflict = "TransactionContext Error: Failed to commit: write-write conflict on key"
    assert store.memory_shortage(duckdb.TransactionException(conflict)) is None


def _running_import(db: Path) -> int:
    with store.write_lock, store.connect(db) as con:
        row = sql.run(con, "history_insert", file_name="medium.csv", sha256="ab" * 32,
                      format="generic-long", status="running", options="{}", encoding=None,
                      actor="local")  # fmt: skip
    store.release_all()
    return int(row[0][0])


@pytest.mark.parametrize("kind", ["duckdb", "system"])
def test_the_failed_row_opens_no_new_instance_after_the_system_refused_memory(
    kind: str, seeded: Path, tmp_path: Path
) -> None:
    """Past DuckDB's limit the failed row is written on an instance opened anew; after the
    system refused memory no instance is opened (a new one's thread was seen to wait forever
    for the loader's lock the failed allocation left held), and the row stays for recover."""
    db = copy_db(seeded, tmp_path / "db.duckdb")
    import_id = _running_import(db)
    assert not store.store_for(db).is_open()
    why = "DuckDB reached its memory limit" if kind == "duckdb" else store.SYSTEM_REFUSED
    short = ImportFailed("medium.csv", [Problem(f"not enough memory to import it: {why}.")])
    contract._record_memory_failure(db, "medium.csv", "ab" * 32, "generic-long",
                                    IngestOptions(), short, import_id, "local")  # fmt: skip
    opened = store.store_for(db).is_open()
    store.release_all()
    assert (opened, statuses(db)[-1]) == (
        (True, ("medium.csv", "failed")) if kind == "duckdb" else (False, ("medium.csv", "running"))
    )
    assert cli("recover", "--db", str(db)).returncode == 0
    assert statuses(db)[-1] == ("medium.csv", "failed")


def _capped(extra_mb: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.faults.capped", str(extra_mb), *args],
        cwd=REPO,
        env=cli_env(INSTALLPULSE_THREADS="2"),
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
    )


# extra address space (MB) beyond the loaded program -> the outcomes allowed
CAPS = {250: {"refused", "died"}, 600: {"refused", "died", "completed"}, 4000: {"completed"}}


@pytest.mark.parametrize("extra_mb", list(CAPS))
def test_import_under_an_address_space_cap(
    extra_mb: int, seeded: Path, imported: Path, medium_csv: Path, tmp_path: Path
) -> None:
    db = copy_db(seeded, tmp_path / "db.duckdb")
    before, after = state(seeded), state(imported)
    done = _capped(extra_mb, "ingest", "--db", str(db), str(medium_csv))
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    if done.returncode == 0:
        outcome = "completed"
        assert "medium.csv: imported as #2" in done.stdout
        assert state(db) == after
    elif done.returncode == 1:
        outcome = "refused"
        assert "medium.csv: not enough memory to import it: " in done.stderr, done.stderr
        assert "; nothing was imported." in done.stderr
        assert "INSTALLPULSE_MEMORY_LIMIT" in done.stderr
        assert state(db) == before
        assert leftovers(tmp_path) == []
    else:
        outcome = "died"  # (glibc: "cannot allocate memory for thread-local data: ABORT")
        assert_before_or_after(state(db), before, after)
    if outcome != "completed":  # (the failed row is written if memory allows; else recover)
        assert cli("recover", "--db", str(db)).returncode == 0
        assert leftovers(tmp_path) == []
        assert "running" not in {s for _, s in statuses(db)}
    assert outcome in CAPS[extra_mb], (outcome, done.returncode, done.stderr[-2000:])
    _retry_matches(db, medium_csv, imported)
