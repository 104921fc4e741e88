"""The demo load is all-or-nothing (issue 11, item 8): killed at any point, the database holds
all of the demo or none of it, and `demo --if-empty` (what `make run` uses) then finishes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import store
from tests.faults.fault_helpers import (
    assert_before_or_after,
    cli,
    contents,
    killed_at,
    state,
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """An empty store's state, and a store with the demo loaded without interruption."""
    empty = tmp_path_factory.mktemp("empty") / "demo.duckdb"
    assert cli("imports", "--db", str(empty)).returncode == 0
    loaded = tmp_path_factory.mktemp("loaded") / "demo.duckdb"
    done = cli("demo", "--db", str(loaded))
    assert done.returncode == 0, done.stderr
    return loaded, state(empty), state(loaded)


@pytest.mark.parametrize("point", ["demo:after_observations", "demo:after_commit"])
def test_killed_demo_holds_all_or_none_and_if_empty_finishes_it(
    tmp_path: Path, reference: tuple[Path, dict, dict], point: str
) -> None:
    loaded, empty_state, loaded_state = reference
    db = tmp_path / "demo.duckdb"
    assert cli("imports", "--db", str(db)).returncode == 0
    killed_at(point, "demo", "--db", str(db))
    which = assert_before_or_after(state(db), empty_state, loaded_state)
    assert which == ("after" if point == "demo:after_commit" else "before")

    again = cli("demo", "--if-empty", "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert contents(db) == contents(loaded)
    if which == "after":
        assert "already holds data" in again.stdout
    else:
        assert "observations.csv: imported as" in again.stdout
        assert "events.csv: imported as" in again.stdout


def test_if_empty_finishes_a_demo_an_older_version_left_half_loaded(
    tmp_path: Path, reference: tuple[Path, dict, dict]
) -> None:
    """The state the issue found: observations, 10 of 15 identifiers named, no events."""
    from pipelines import contract, ops
    from pipelines.adapters.base import IngestOptions
    from pipelines.demo import DEMO_DIR, _aliases

    db = tmp_path / "half.duckdb"
    contract.ingest_file(DEMO_DIR / "observations.csv", db, IngestOptions(format="generic-long"))
    for store_id, name in _aliases()[:10]:
        ops.alias(store_id, name, db)
    store.release_all()
    done = cli("demo", "--if-empty", "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "observations.csv: already imported" in done.stdout
    assert "events.csv: imported as" in done.stdout
    assert contents(db) == contents(reference[0])
    again = cli("demo", "--if-empty", "--db", str(db))
    assert "already holds data" in again.stdout
