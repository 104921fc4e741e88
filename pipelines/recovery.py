"""After a corrupt write-ahead log was set aside: what was lost, and re-running it.

Every imported file is archived (content-addressed, with a sidecar naming the file and its
options) before its transaction starts, so imports the database lost can be replayed from the
archive exactly as they were made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

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
