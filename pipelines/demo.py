"""The illustrative demo: synthetic series calibrated to the figures published in March 2026.

`load()` imports the demo CSVs (data/demo/ in the repository) through the ordinary import
contract (so re-running it is a no-op) and maps the demo's store identifiers to display names.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines import contract, events, ops, sql, store
from pipelines.adapters.base import IngestOptions
from pipelines.settings import resource_dir

# data/demo/ of a clone, or the copy an installed wheel carries in pipelines/demo_data/.
DEMO_DIR = resource_dir("demo")


def is_empty(db: Path | str | None = None) -> bool:
    with store.connect(db) as con:
        return sql.run_text(con, "select count(*) from observations")[0][0] == 0


def load(db: Path | str | None = None) -> list[str]:
    """Import the demo observations, aliases and events; returns one summary line each."""
    lines = []
    result = contract.ingest_file(
        DEMO_DIR / "observations.csv", db, IngestOptions(format="generic-long")
    )
    lines.append(result.summary())
    aliases = DEMO_DIR / "apps.csv"
    if aliases.exists():
        with aliases.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                ops.alias(row["store_id"], row["app"], db)
        lines.append(f"{aliases.name}: store identifiers mapped to app names.")
    status, import_id, count = events.import_csv(DEMO_DIR / "events.csv", db)
    if status == "already imported":
        lines.append(f"events.csv: already imported (import #{import_id}); nothing changed.")
    else:
        lines.append(f"events.csv: imported as #{import_id}: {count} events.")
    return lines
