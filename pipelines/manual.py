"""Manual entry: numbers typed in by hand (a press release, a screenshot) go through the very
same contract as files - validated, one transaction, idempotent, archived, undoable.

The rows are written as a generic long CSV and imported as such, so the archive can replay
them like any file. In error messages, line N is table row N-1 (line 1 is the header).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.adapters.base import IngestOptions
from pipelines.auth import Actor
from pipelines.contract import ImportResult, ingest_file
from pipelines.errors import ImportFailed, Problem

COLUMNS = ("date", "app", "platform", "country", "metric", "value", "source")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rows_to_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in COLUMNS])
    return buffer.getvalue().encode("utf-8")


def ingest_rows(
    rows: Iterable[Mapping[str, Any]] | pl.DataFrame,
    db: Path | str | None = None,
    source: str = "manual",
    name: str = "manual entry",
    actor: Actor | None = None,
) -> ImportResult:
    """Import typed-in rows (dicts or a frame with the long columns; empty source -> `source`)
    as `actor` (default: the local admin; recorded as who imported)."""
    records = rows.to_dicts() if isinstance(rows, pl.DataFrame) else list(rows)
    cleaned = []
    for row in records:
        if all(row.get(c) in (None, "") for c in COLUMNS):
            continue  # a blank row left in the editor
        row = dict(row)
        if row.get("source") in (None, ""):
            row["source"] = source
        if row.get("country") in (None, ""):
            row["country"] = "WW"
        cleaned.append(row)
    if not cleaned:
        raise ImportFailed(name, [Problem("no rows to import.", hint="Type at least one row.")])
    payload = rows_to_csv(cleaned)
    with tempfile.TemporaryDirectory(prefix="installpulse-manual-") as tmp:
        path = Path(tmp) / "manual.csv"
        path.write_bytes(payload)
        return ingest_file(path, db, IngestOptions(format="generic-long"), name=name, actor=actor)
