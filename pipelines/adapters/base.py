"""What every format adapter receives and returns.

An adapter recognises its file by content (bytes and headers, never the file name alone) and
stages it into DuckDB as the canonical long table `staging`:

    line BIGINT        1-based line of the source file the value came from (header = line 1)
    date VARCHAR       ISO YYYY-MM-DD as text (adapters convert locale dates before staging)
    app VARCHAR        store identifier or name as the file gives it
    app_name VARCHAR   display-name hint (e.g. Apple's App Name), or NULL
    platform VARCHAR   NULL where the file has no platform column
    country VARCHAR    NULL where the file has no country column
    metric VARCHAR     canonical metric name (or the file's, normalised by the contract)
    value VARCHAR      the number as text; the contract parses it under one set of rules
    source VARCHAR     NULL where the file does not say
    value_column VARCHAR  key into `Staged.labels`: which file column the value came from

The import contract (pipelines/contract.py) then validates that table in SQL and writes it in one
transaction, so adding a format is one module and one fixture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import polars as pl

STAGING_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64(),
    "date": pl.String(),
    "app": pl.String(),
    "app_name": pl.String(),
    "platform": pl.String(),
    "country": pl.String(),
    "metric": pl.String(),
    "value": pl.String(),
    "source": pl.String(),
    "value_column": pl.String(),
}


@dataclass
class SourceFile:
    """A file ready to parse: `path` is UTF-8 text (decoded/decompressed if it had to be)."""

    name: str
    raw_path: Path
    path: Path
    encoding: str
    compression: str | None
    head: str
    size: int
    sha256: str
    notices: list[str] = field(default_factory=list)


@dataclass
class IngestOptions:
    """What the user may say about a file that it does not say itself."""

    format: str | None = None
    platform: str | None = None
    app: str | None = None
    country: str | None = None
    source: str | None = None
    metric: str | None = None
    date_order: str | None = None
    encoding: str | None = None


@dataclass
class Staged:
    """What an adapter staged: labels maps staging fields / value_column keys to file headers."""

    rows: int
    labels: dict[str, str]
    notices: list[str] = field(default_factory=list)
    delimiter: str | None = None
    # True when staging.line is the record index + 2 and may need remapping to physical lines
    # (quoted newlines, blank lines) when an error is reported.
    lines_from_records: bool = False


class Adapter(Protocol):
    """One export format."""

    name: str
    label: str
    how_to_get: str

    def sniff(self, src: SourceFile) -> bool: ...

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged: ...


def stage_frame(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    """Stage a canonical polars frame (adapters that parse in Python: small exports, JSON)."""
    missing = [c for c in STAGING_SCHEMA if c not in frame.columns]
    if missing:
        raise ValueError(f"staging frame lacks {missing}")
    arrow = frame.select([pl.col(c).cast(t) for c, t in STAGING_SCHEMA.items()]).to_arrow()
    con.register("staging_arrow", arrow)
    con.execute("create or replace temp table staging as select * from staging_arrow")
    con.fetchall()
    con.unregister("staging_arrow")
