"""kill -9 at chosen points of an import and of an undo (RELIABILITY.md F1, issue 11's fault
suite): after each kill the database opens, every table is as before or every table as after
(nothing half-written), `installpulse recover` clears what the kill left, and the retry works.

The points are deterministic (pipelines/faults.py: the process kills itself there), not sleeps.
Moved here from tests/foundation/test_faults.py, whose kill was timed by polling the archive.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pipelines import contract, sql, store
from tests.conftest import FIXTURES
from tests.faults.fault_helpers import (
    assert_before_or_after,
    cli,
    contents,
    copy_db,
    killed_at,
    leftovers,
    state,
    statuses,
)

GENERIC = FIXTURES / "generic"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding two imports; the one under test restates a day of the second."""
    db = tmp_path_factory.mktemp("seed") / "db.duckdb"
    for name in ("long_utf8.csv", "restate_v1.csv"):
        done = cli("ingest", "--db", str(db), str(GENERIC / name))
        assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="module")
def imported(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded store after restate_v2.csv imported without interruption."""
    db = copy_db(seeded, tmp_path_factory.mktemp("imported") / "db.duckdb")
    done = cli("ingest", "--db", str(db), str(GENERIC / "restate_v2.csv"))
    assert done.returncode == 0 and "restated and replaced" in done.stdout, done.stdout
    return db


# point -> which state the kill must leave
IMPORT_POINTS = {
    "import:before_transaction": "before",
    "archive:copied": "before",
    "import:in_transaction": "before",
    "import:after_commit": "after",
}


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_import_killed_at(point: str, seeded: Path, imported: Path, tmp_path: Path) -> None:
    db = copy_db(seeded, tmp_path / "db.duckdb")
    before, after = state(seeded), state(imported)
    killed_at(point, "ingest", "--db", str(db), str(GENERIC / "restate_v2.csv"))
    assert assert_before_or_after(state(db), before, after) == IMPORT_POINTS[point]

    done = cli("recover", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert leftovers(tmp_path) == []
    assert "running" not in {s for _, s in statuses(db)}
    retry = cli("ingest", "--db", str(db), str(GENERIC / "restate_v2.csv"))
    assert retry.returncode == 0, retry.stderr
    expected = "already imported" if IMPORT_POINTS[point] == "after" else "imported as"
    assert expected in retry.stdout
    assert contents(db) == contents(imported)


UNDO_POINTS = {"undo:in_transaction": "before", "undo:after_commit": "after"}


@pytest.mark.parametrize("point", UNDO_POINTS)
def test_undo_killed_at(point: str, imported: Path, tmp_path: Path) -> None:
    reference = copy_db(imported, tmp_path / "ref" / "db.duckdb")
    assert cli("undo", "3", "--db", str(reference)).returncode == 0
    db = copy_db(imported, tmp_path / "db.duckdb")
    killed_at(point, "undo", "3", "--db", str(db))
    which = assert_before_or_after(state(db), state(imported), state(reference))
    assert which == UNDO_POINTS[point]
    retry = cli("undo", "3", "--db", str(db))
    if which == "after":
        assert retry.returncode == 1 and "is undone" in retry.stderr
    else:
        assert retry.returncode == 0 and "Undid import #3" in retry.stdout, retry.stderr
    assert contents(db) == contents(reference)


def test_two_imports_at_once_in_one_process_are_serialized(db: Path) -> None:
    files = [GENERIC / "restate_v1.csv", GENERIC / "wide.csv"]
    results: list = []
    errors: list = []

    def run(path: Path) -> None:
        try:
            results.append(contract.ingest_file(path, db))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(r.import_id for r in results) == [1, 2]
    with store.connect(db) as con:
        assert sql.run_text(con, "select status, count(*) from imports group by all") == [("ok", 2)]
        assert sql.run_text(con, "select count(*) from observations") == [(8,)]
