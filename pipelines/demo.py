"""The illustrative demo: synthetic series calibrated to the figures published in March 2026.

`load()` imports the demo CSVs (data/demo/ in the repository) through the ordinary import
contract (so re-running it is a no-op) and maps the demo's store identifiers to display names.

The demo is one transaction: its observations, the names of its apps and its events commit
together (the apps and events are written by the observations import's `also` hook). A load
killed at any point leaves all of the demo or none of it, so `demo --if-empty` (what `make run`
uses) loads it again after an interruption (issue 11, item 8). A database an older installpulse
left half-loaded (the observations, some names, no events) counts as empty for `--if-empty`:
`load()` finishes it (every step is idempotent).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb

from pipelines import auth, contract, events, faults, ops, sql, store
from pipelines.adapters.base import IngestOptions
from pipelines.settings import resource_dir

# data/demo/ of a clone, or the copy an installed wheel carries in pipelines/demo_data/.
DEMO_DIR = resource_dir("demo")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _aliases() -> list[tuple[str, str]]:
    path = DEMO_DIR / "apps.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [(row["store_id"], row["app"]) for row in csv.DictReader(fh)]


def is_empty(db: Path | str | None = None) -> bool:
    """Whether `demo --if-empty` should load the demo: the database holds no observations, or
    only an unfinished demo (its observations without all its names or its events)."""
    with store.connect(db) as con:
        if sql.run_text(con, "select count(*) from observations")[0][0] == 0:
            return True
        status = "select status from imports where sha256 = $sha and status in ('ok', 'undone')"
        if not sql.run_text(con, status, sha=_sha(DEMO_DIR / "observations.csv")):
            return False  # data of its own: never touched by --if-empty
        if not sql.run_text(con, status, sha=_sha(DEMO_DIR / "events.csv")):
            return True
        mapped = {r[0] for r in sql.run_text(con, "select identifier from identifiers i join "
                                                  "apps a using (app_id) where a.name <> "
                                                  "i.identifier")}  # fmt: skip
        return any(store_id not in mapped for store_id, _ in _aliases())


def load(db: Path | str | None = None, actor: auth.Actor | None = None) -> list[str]:
    """Import the demo observations, aliases and events in one transaction; returns one
    summary line each. `actor` (default: the local admin) must be allowed to import and is
    recorded as who imported."""
    who = auth.require(actor, "import")
    aliases = _aliases()
    events_path = DEMO_DIR / "events.csv"
    payload = events_path.read_bytes()
    parsed = events.parse_csv(payload.decode("utf-8-sig"), events_path.name)
    stored: list[tuple[str, int, int]] = []

    def apps_and_events(con: duckdb.DuckDBPyConnection, _import_id: int) -> int:
        faults.point("demo:after_observations")
        for store_id, name in aliases:
            ops.alias_in(con, store_id, name)
        # (a fast pass that fell back to the exact one runs this again after its rollback)
        stored[:] = [
            events.store_import(con, parsed, events_path.name, payload, "events-csv", who.id)
        ]
        return 0  # no stored rows moved aside

    lines = []
    with store.write_lock:  # (its checkpoint comes after the fault point below)
        result = contract.ingest_file(
            DEMO_DIR / "observations.csv", db, IngestOptions(format="generic-long"),
            also=apps_and_events, actor=who,
        )  # fmt: skip
        faults.point("demo:after_commit")
        if result.status == "already imported":
            # The rows are there (an older, unfinished demo): finish it, idempotently.
            with ops.transaction(db) as con:
                for store_id, name in aliases:
                    ops.alias_in(con, store_id, name)
                stored[:] = [
                    events.store_import(
                        con, parsed, events_path.name, payload, "events-csv", who.id
                    )
                ]
    lines.append(result.summary())
    if aliases:
        lines.append("apps.csv: store identifiers mapped to app names.")
    status, import_id, count = stored[0]
    if status == "already imported":
        lines.append(f"events.csv: already imported (import #{import_id}); nothing changed.")
    else:
        lines.append(f"events.csv: imported as #{import_id}: {count} events.")
    return lines
