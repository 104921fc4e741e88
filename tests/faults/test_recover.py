"""`installpulse recover` after killed imports (issue 11, item 5): it lists and removes what
they left - an unfinished *.part archive copy, an empty DuckDB temp folder, 'running' history
rows (marked failed, with a message) - says what it did, and the imports then succeed."""

from __future__ import annotations

from pathlib import Path

from pipelines import recovery, sql, store
from tests.conftest import FIXTURES
from tests.faults.fault_helpers import cli, killed_at, leftovers, state, statuses

GENERIC = FIXTURES / "generic"


def test_recover_cleans_what_killed_imports_left(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    assert cli("ingest", "--db", str(db), str(GENERIC / "long_utf8.csv")).returncode == 0
    before = state(db)
    # Killed with its archive copy complete but not renamed (a *.part) ...
    killed_at("archive:copied", "ingest", "--db", str(db), str(GENERIC / "wide.csv"))
    # ... and killed inside its transaction (its history row stays 'running').
    killed_at("import:in_transaction", "ingest", "--db", str(db), str(GENERIC / "restate_v1.csv"))
    # DuckDB's spill folder is made only when memory runs short; an empty one is what such an
    # import leaves when it is stopped after its temp files went.
    (tmp_path / "db.duckdb.tmp").mkdir()
    assert state(db) == before
    found = leftovers(tmp_path)
    assert [p for p in found if p.endswith(".part")] and "db.duckdb.tmp" in found
    assert ("restate_v1.csv", "running") in statuses(db)
    listed = recovery.leftovers(db)
    assert listed.part_files and listed.empty_temp and listed.running
    store.release_all()

    done = cli("recover", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "Cleaned up after interrupted imports:" in done.stdout
    assert "removed unfinished archive copy" in done.stdout
    assert "removed empty DuckDB temp folder" in done.stdout
    assert "(restate_v1.csv) failed: interrupted" in done.stdout
    assert leftovers(tmp_path) == []
    assert "running" not in {s for _, s in statuses(db)}
    with store.connect(db) as con:
        message = sql.run_text(
            con, "select message from imports where file_name = 'restate_v1.csv'"
        )[0][0]
    store.release_all()
    assert message.startswith("interrupted:")
    assert state(db) == before  # nothing but the history's uncommitted rows was touched

    again = cli("recover", "--db", str(db))
    assert "No leftovers of interrupted imports." in again.stdout
    for name in ("wide.csv", "restate_v1.csv"):
        retry = cli("ingest", "--db", str(db), str(GENERIC / name))
        assert retry.returncode == 0 and f"{name}: imported as" in retry.stdout, retry.stderr
