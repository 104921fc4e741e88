"""The import contract, shared by every way data comes in (files, URLs, manual entry, demo).

1. validate the whole input before writing (in DuckDB: files are never held in Python);
2. write in one explicit BEGIN ... COMMIT; on any error the database is unchanged except one
   failed row in the import history;
3. the same bytes twice: the second is a no-op reported as "already imported";
4. a file restating stored days replaces them (kept for undo), recorded in the history;
5. every import is traceable (file name, hash, format, rows, when), archived and undoable.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

from pipelines import adapters, auth, countries, faults, settings, sources, sql, store
from pipelines.adapters import csvtext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged
from pipelines.errors import ImportFailed, InstallpulseError, Problem, ReadOnlyDatabase


@dataclass
class ImportResult:
    """What happened to one input."""

    file_name: str
    status: str  # 'imported' | 'already imported'
    import_id: int
    format: str
    rows: int = 0
    rows_replaced: int = 0
    series: int = 0
    first_date: date | None = None
    last_date: date | None = None
    notices: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.status == "already imported":
            return (
                f"{self.file_name}: already imported (import #{self.import_id}); nothing changed."
            )
        text = (
            f"{self.file_name}: imported as #{self.import_id} ({self.format}): "
            f"{self.rows:,} rows in {self.series:,} series, "
            f"{self.first_date} to {self.last_date}"
        )
        if self.rows_replaced:
            text += f"; {self.rows_replaced:,} stored rows restated and replaced"
        return text + "."


def _options_json(options: IngestOptions) -> str:
    return json.dumps({k: v for k, v in vars(options).items() if v is not None}, sort_keys=True)


def _record_failure(
    db: Path | str | None,
    name: str,
    sha: str | None,
    fmt: str | None,
    options: IngestOptions,
    error: ImportFailed,
    import_id: int | None = None,
    who: str | None = None,
) -> int:
    """The only write a failed import makes: one 'failed' history row with the message (and
    who tried, `who`)."""
    with store.write_lock, store.connect(db) as con:
        if import_id is None:
            row = sql.run(
                con,
                "history_insert",
                file_name=name,
                sha256=sha,
                format=fmt,
                status="failed",
                options=_options_json(options),
                encoding=None,
                actor=who,
            )
            import_id = int(row[0][0])
        sql.run(con, "history_fail", import_id=import_id, message=error.render()[:20000])
    error.import_id = import_id
    return import_id


def _problems_from_typed(
    con: duckdb.DuckDBPyConnection, src: SourceFile, staged: Staged
) -> ImportFailed | None:
    limit = settings.get_int("INSTALLPULSE_MAX_ERRORS_SHOWN")
    rows = sql.run(con, "import_problems", limit=limit)
    # (record lines the problem names, its message - or the parts of a duplicate's message,
    # finished once the lines are physical - and the rest of the Problem)
    found: list[tuple[list[int], str | tuple[str, str, str], dict[str, object]]] = []
    total = 0
    if rows:
        total = int(rows[0][4])
        for line, fieldname, value, message, _ in rows:
            label = staged.labels.get(fieldname, fieldname)
            hint = _hint_for(fieldname, message)
            found.append(([int(line)], message, {"column": label, "value": value, "hint": hint}))
    if not found:
        dupes = sql.run(con, "import_duplicates", limit=limit)
        if dupes:
            total = int(dupes[0][4])
            for lines, date_text, app, metric, _ in dupes:
                found.append(
                    (
                        [int(x) for x in lines[:5]],
                        ("the same day is given twice for", app, metric),
                        {
                            "column": staged.labels.get("date", "date"),
                            "value": date_text,
                            "hint": "Keep one row per app, platform, country, metric, source "
                            "and day.",
                        },
                    )
                )
    if not found:
        return None
    mapping: dict[int, int] = {}
    if staged.lines_from_records and staged.delimiter is not None:
        # Staged lines are record numbers (+2); quoted newlines and blank lines shift the
        # physical lines people see in an editor.
        records = {line - 2 for lines, _, _ in found for line in lines}
        physical = csvtext.physical_lines(src.path, staged.delimiter, records)
        mapping = {record + 2: line for record, line in physical.items()}
    problems = []
    for lines, message, extra in found:
        shown = [mapping.get(line, line) for line in lines]
        if isinstance(message, tuple):
            lead, app, metric = message
            joined = ", ".join(str(x) for x in shown)
            text = f"{lead} {app} / {metric} on lines {joined}."
        else:
            text = message
        problems.append(Problem(text, line=shown[0], **extra))  # type: ignore[arg-type]
    return ImportFailed(src.name, problems, total=total, shown=limit)


def _hint_for(fieldname: str, message: str) -> str | None:
    if message.startswith("unknown metric"):
        return (
            "See `installpulse metrics` for the names, or add one with `installpulse metrics add`."
        )
    if "Excel serial" in message or "ISO date" in message:
        return "Write dates as YYYY-MM-DD (e.g. 2026-02-28)."
    if "future" in message:
        return "Check the date; INSTALLPULSE_FUTURE_DAYS sets how far ahead is accepted."
    if "decimal comma" in message:
        return "Write decimals with a point (1234.5) and no thousands separator."
    if "parentheses" in message or "negative" in message:
        return "Counts cannot be negative; fix the value or leave the cell empty if unknown."
    if "currency" in message:
        return "Write plain numbers (1200, not $1,200 or 12%)."
    if "not a number" in message or "whole number" in message or "out of range" in message:
        return "Write a plain number; leave the cell empty (or NA) where the value is unknown."
    if "control character" in message:
        return (
            "Remove it (the value shows it escaped, e.g. \\x01); NUL and other control "
            "characters are refused, never stripped."
        )
    if "longer than" in message:
        return "Shorten it, or raise INSTALLPULSE_MAX_TEXT."
    if fieldname == "country":
        return (
            "Use ISO 3166-1 alpha-2 codes (US, GB, DE), WW for worldwide or ZZ for unknown; "
            "pass --country for files without a country column."
        )
    if fieldname in ("app", "platform", "source"):
        return f"Fill the {fieldname} column or pass --{fieldname}."
    return None


class ArchiveFailed(ImportFailed):
    """The raw bytes could not be archived: the import fails as a whole (no exact pass)."""


class DiskFull(ImportFailed):
    """The disk holding the database, its temp folder or the archive filled up during an
    import: one sentence naming it, never DuckDB's or Python's own words (issue 11, item 5)."""

    def render(self) -> str:
        return f"{self.file_name}: not imported: {self.problems[0].message}"


def _memory_failure(display: str, exc: BaseException) -> ImportFailed | None:
    """The refusal for an import that ran out of memory (RELIABILITY F12); None when `exc` is
    not about memory."""
    shortage = store.memory_shortage(exc)
    if shortage is None:
        return None
    why, hint = shortage
    return ImportFailed(
        display,
        [Problem(f"not enough memory to import it: {why}; nothing was imported.", hint=hint)],
    )


def _record_memory_failure(
    db: Path | str | None,
    name: str,
    sha: str | None,
    fmt: str | None,
    options: IngestOptions,
    error: ImportFailed,
    import_id: int | None,
    who: str | None = None,
) -> None:
    """Record the failed history row if memory allows; if not, its 'running' row stays for
    `installpulse recover` to mark (the data is unchanged either way: nothing was committed).

    Past DuckDB's own limit the process is sound: the instance is opened anew (DuckDB may have
    given up on it) and the row written. When the system refused memory, native code may have
    been left in a bad state: under an address-space cap a new instance's worker thread was
    seen to wait forever for the dynamic loader's lock, which the failed allocation had left
    held (glibc 2.36, duckdb 1.5.5; about 1 run in 15 of tests/faults/test_memory_cap.py). So
    then the row is written on the instance still open, or left for `recover`."""
    kept = store.store_for(db)
    system = store.SYSTEM_REFUSED in error.render()
    if not system:
        kept.retire()
    elif not kept.is_open():
        return
    try:
        _record_failure(db, name, sha, fmt, options, error, import_id, who)
    except (duckdb.Error, MemoryError, RuntimeError, InstallpulseError):
        pass
    if system:
        kept.retire()  # (no later write of this process reuses that instance)


def _after_failure(
    exc: BaseException,
    db: Path | str | None,
    display: str,
    sha: str | None,
    fmt: str | None,
    options: IngestOptions,
    import_id: int | None,
    archiving: Future[Path] | None,
    fresh: bool,
    who: str | None = None,
) -> None:
    """First step of every failed import: wait for the archive copy to end and remove what a
    failed copy left (*.part). If the failure was a full disk, also remove this import's archive
    copy and an empty DuckDB temp folder, record the failure if the disk lets us, and raise
    DiskFull instead of the error the full disk caused."""
    from pipelines import recovery  # (recovery imports this module)

    if archiving is not None:
        archiving.exception()  # (waits; its error, if any, is the one being handled or moot)
    full = recovery.disk_full(exc, settings.db_path(db))
    recovery.clean_failed_import(settings.db_path(db), sha, archive_too=fresh and bool(full))
    if full is None:
        return
    folder, free_mb = full
    error = DiskFull(
        display,
        [
            Problem(
                f"the disk holding {folder} is full ({free_mb:,} MB free); nothing was imported. "
                "Free space there (or choose another place with --db or INSTALLPULSE_ARCHIVE) "
                "and import it again."
            )
        ],
    )
    store.store_for(db).retire()  # (DuckDB may have given up on the instance: open anew)
    try:
        _record_failure(db, display, sha, fmt, options, error, import_id, who)
    except (duckdb.Error, InstallpulseError):
        pass  # still no room: `installpulse recover` marks the 'running' row later
    raise error from exc


class _NeedsExactPass(Exception):
    """The fast pass found something wrong: redo the import exactly to locate it."""


def _params(options: IngestOptions, has: dict[str, bool]) -> dict[str, object]:
    today = date.today()
    return {
        "has_app": has.get("app", False),
        "has_platform": has.get("platform", False),
        "has_country": has.get("country", False),
        "has_source": has.get("source", False),
        "default_app": options.app,
        "default_platform": options.platform or "unknown",
        "default_country": options.country or "WW",
        "default_source": options.source or "generic",
        "min_date": settings.get("INSTALLPULSE_MIN_DATE"),
        "max_date": (
            today + timedelta(days=settings.get_int("INSTALLPULSE_FUTURE_DAYS"))
        ).isoformat(),
        "max_text": settings.get_int("INSTALLPULSE_MAX_TEXT"),
    }


def _rejects_seen(con: duckdb.DuckDBPyConnection) -> bool:
    """Did any CSV scan of this connection set rows aside as malformed (store_rejects)?"""
    exists = sql.run_text(
        con, "select count(*) from duckdb_tables() where table_name = 'reject_errors'"
    )[0][0]
    return bool(exists) and bool(sql.run_text(con, "select count(*) from reject_errors")[0][0])


def _prepare(con: duckdb.DuckDBPyConnection, options: IngestOptions, has: dict[str, bool]) -> None:
    """The rules (temp macros), this import's settings and the `staged`/`checked` views."""
    sql.run_script(con, "import_rules")
    # (the ISO 3166-1 codes from pycountry, bound as a temp table the country rule reads)
    sql.run(con, "import_countries", **countries.rules_table())
    sql.run(con, "import_params", **_params(options, has))
    sql.run_script(con, "import_typed")


def _finish(
    con: duckdb.DuckDBPyConnection,
    import_id: int,
    fmt: str,
    counts: tuple[int, int, int, date | None, date | None],
) -> None:
    rows, replaced, nseries, first, last = counts
    sql.run(
        con,
        "history_ok",
        import_id=import_id,
        rows=rows,
        replaced=replaced,
        series=nseries,
        first_date=first,
        last_date=last,
        format=fmt,
    )


def _write(
    con: duckdb.DuckDBPyConnection, import_id: int, fmt: str
) -> tuple[int, int, int, date | None, date | None]:
    """The exact pass, inside the open transaction: resolve apps and series, replace restated
    days, insert, and mark the history row ok. Reads the checked rows from relation `typed`."""
    sql.run_script(con, "import_resolve_apps")
    sql.run_script(con, "import_incoming")
    rows, min_series, max_series, first, last, nseries = sql.run_text(
        con,
        "select count(*), min(series_id), max(series_id), min(date), max(date), "
        "count(distinct series_id) from incoming",
    )[0]
    replaced = 0
    if rows:
        bounds = {"min_series": min_series, "max_series": max_series}
        replaced = int(sql.run(con, "import_overlap", **bounds)[0][0])
        if replaced:
            for statement in sql.split_statements(sql.load("import_replace")):
                sql.run_text(con, statement, import_id=import_id, **bounds)
        sql.run(con, "import_insert", import_id=import_id)
    counts = (int(rows), replaced, int(nseries or 0), first, last)
    _finish(con, import_id, fmt, counts)
    return counts


# Bits of the duplicate-day check's bitstrings (date span x series) above which it counts
# distinct days instead: 2^30 bits is 128 MB.
_DAY_BITS_LIMIT = 1 << 30


# Row-group size of DuckDB tables, and how much of a file's head decides whether it arrives in
# series order (two row groups: a file ordered by day or by country shows it at once).
ROW_GROUP = 122_880
ORDER_SAMPLE_ROWS = 2 * ROW_GROUP
ORDER_SLACK = 4


class _NotInSeriesOrder(Exception):
    """The file's head promised series order, the rest broke it: redo the write sorted."""


def _in_series_order(chunks: list[tuple[int, int, int]], rows_per_series: float) -> bool:
    """Are rows that fall into row groups this way clustered by series?

    `chunks` holds (row group, span of series ids, rows) of the rows in the order they were
    (or would be) written. Sorted rows give each row group about rows / rows_per_series
    series, so a span of ids near that; a file in day order gives every row group nearly
    every series. Accepted within ORDER_SLACK times the sorted figure (+1 per group for its
    edges). A parallel append of a file that is in series order mixes a few row groups at
    its workers' seams (at L: one row group spans every series, a dozen span 1,500 ids, the
    other 330 the sorted ~120): reads then touch about 3 row groups per series instead of 1.
    Measured at L, the Explore data path was no slower on that table than on a sorted one
    (median 84-113 ms against 113-114 ms, same run), while a file in day order is 300 times
    over the bound and is sorted.
    """
    if not chunks:
        return True
    spans = sum(span for _, span, _ in chunks)
    bound = sum(rows / rows_per_series + 1 for _, _, rows in chunks)
    return spans <= ORDER_SLACK * bound


def _head_chunks(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int, int]]:
    """(row group, span of series ids, rows) of the file's first ORDER_SAMPLE_ROWS rows in the
    order they would be written (import_fast_order_sample.sql): at most 245,760 ids, cut into
    row groups here."""
    # On one thread: the plan's LIMIT is a streaming one, which on several threads takes the
    # first rows any thread reads (at 2 threads, rows from the file's middle came first); one
    # thread reads the head in file order. (A few row groups: tens of milliseconds.)
    threads = int(sql.run_text(con, "select current_setting('threads')")[0][0])
    sql.run_text(con, "set threads = 1")
    try:
        con.execute(sql.load("import_fast_order_sample"), {"sample": ORDER_SAMPLE_ROWS})
        ids = pl.DataFrame({"series_id": con.fetchnumpy()["series_id"]})
    finally:
        sql.run_text(con, f"set threads = {threads}")
    if ids.is_empty():
        return []
    spans = (
        ids.with_row_index("position")
        .group_by((pl.col("position") // ROW_GROUP).alias("chunk"))
        .agg(
            span=pl.col("series_id").max() - pl.col("series_id").min() + 1,
            rows=pl.len(),
        )
        .sort("chunk")
    )
    return [tuple(int(v) for v in row) for row in spans.iter_rows()]


def _fast_write(
    con: duckdb.DuckDBPyConnection, import_id: int, fmt: str, presorted: bool = True
) -> tuple[int, int, int, date | None, date | None]:
    """The fast pass, inside the open transaction: read the file twice and write nothing per
    row but the observations themselves.

    1. group the raw rows by key and by date text (import_fast_keys.sql) and apply the rules
       once per distinct key and date text;
    2. resolve apps and series for the keys, then insert every row with its series, day and
       value in one INSERT ... SELECT (import_fast_insert.sql): in file order when the file
       arrives in series order (its head decides, the written rows confirm, else
       `_NotInSeriesOrder` and the caller redoes it sorted), sorted otherwise;
    3. check what was written on compact columns: metric-dependent value rules, duplicate
       days, and that every row of the file arrived (import_fast_check.sql).
    Anything wrong raises `_NeedsExactPass` (the caller rolls back; the exact pass names the
    lines). Rows a store restates are moved aside after the insert, as the exact pass does.
    """
    sql.run_script(con, "import_fast_keys")
    if _rejects_seen(con) or sql.run(con, "import_fast_problems")[0][0]:
        raise _NeedsExactPass
    expected, n_keys = sql.run_text(
        con, "select coalesce(sum(rows), 0), count(*) from import_key_map"
    )[0]
    last_old_series = int(sql.run_text(con, "select coalesce(max(series_id), 0) from series")[0][0])
    sql.run_script(con, "import_resolve_apps")
    sql.run_script(con, "import_fast_series")
    # The file's row count is unknown to the planner (read_csv estimates a few rows), so left
    # to itself it would build the join's hash table on the file; keep the written order:
    # probe with the file, build on the key table.
    sql.run_text(con, "set disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        rows_per_series = expected / max(1, n_keys)
        if presorted and _in_series_order(_head_chunks(con), rows_per_series):
            sql.run(con, "import_fast_insert", import_id=import_id)
            first_rowid = sql.run_text(
                con,
                "select min(rowid) from observations where import_id = $import_id",
                import_id=import_id,
            )[0][0]
            written = sql.run(
                con, "import_fast_order_written", import_id=import_id, first_rowid=first_rowid
            )
            if not _in_series_order(written, rows_per_series):
                raise _NotInSeriesOrder
        else:
            sql.run(con, "import_fast_insert_sorted", import_id=import_id)
    finally:
        sql.run_text(con, "reset disabled_optimizers")
    if _rejects_seen(con):
        raise _NeedsExactPass
    rows, nseries, first, last, problems = sql.run(
        con, "import_fast_check", import_id=import_id, rows=expected
    )[0]
    if problems:
        raise _NeedsExactPass
    if rows:
        span = (last - first).days + 1
        if span * nseries <= _DAY_BITS_LIMIT:
            doubled = sql.run(con, "import_fast_days", import_id=import_id, first=first, span=span)
        else:
            doubled = sql.run(con, "import_fast_days_large", import_id=import_id)
        if doubled[0][0]:
            raise _NeedsExactPass
    replaced = 0
    min_series = sql.run_text(con, "select min(series_id) from import_key_series")[0][0]
    if min_series is not None and min_series <= last_old_series:
        bounds = {
            "import_id": import_id,
            "min_series": min_series,
            "last_old_series": last_old_series,
        }
        for statement in sql.split_statements(sql.load("import_fast_replace")):
            sql.run_text(con, statement, **bounds)
        replaced = int(
            sql.run_text(
                con,
                "select count(*) from replaced_observations where replaced_by = $import_id",
                import_id=import_id,
            )[0][0]
        )
    counts = (int(rows), replaced, int(nseries), first, last)
    _finish(con, import_id, fmt, counts)
    return counts


# An adapter may define `after_write(con, import_id) -> int`: called inside the import
# transaction once the rows are written, it may move more stored rows aside (into
# replaced_observations, replaced_by = import_id, so undo restores them) and returns how many.
# The App Store Installation and Deletion adapter uses it when a file restates a segment.
AfterWrite = Callable[[duckdb.DuckDBPyConnection, int], int]


def undo_rows(con: duckdb.DuckDBPyConnection, import_id: int) -> None:
    """Contract point 6 inside the caller's transaction: the import's rows go and the rows it
    replaced come back (import_undo.sql). An adapter whose rows depend on other imports of its
    format (App Store report segments add up) defines `before_undo(con, import_id)` and
    `after_undo(con, import_id)` around that to settle the rows left."""
    found = sql.run_text(
        con, "select format from imports where import_id = $import_id", import_id=import_id
    )
    fmt = found[0][0] if found else None
    adapter = next((a for a in adapters.ADAPTERS if a.name == fmt), None)
    before = getattr(adapter, "before_undo", None)
    after = getattr(adapter, "after_undo", None)
    from pipelines import precompute

    changed = precompute.touched(con, import_id)  # (read before its rows go)
    if before is not None:
        before(con, import_id)
    for statement in sql.split_statements(sql.load("import_undo")):
        sql.run_text(con, statement, import_id=import_id)
    if after is not None:
        after(con, import_id)
    precompute.refresh(con, changed)  # (the stored scores of those days, in the same transaction)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after an error; a COMMIT that failed (a full disk) has already ended the
    transaction, and DuckDB's "no transaction is active" must not hide why it failed."""
    try:
        con.execute("rollback")
        con.fetchall()
    except duckdb.TransactionException:
        pass


def validate_and_write(
    con: duckdb.DuckDBPyConnection,
    src: SourceFile,
    staged: Staged,
    options: IngestOptions,
    fmt: str,
    has: dict[str, bool],
    import_id: int,
    fast: bool = False,
    before_commit: Callable[[], object] | None = None,
    after_write: AfterWrite | None = None,
) -> ImportResult:
    """Check every staged value; if all is well, write in one transaction.

    Fast pass (`fast=True`, `_fast_write`): checks and writes in two reads of the file inside
    the transaction; any problem rolls back and raises `_NeedsExactPass`. Exact pass: every
    cell is checked and materialised with its messages first, so problems are located
    precisely, then written. `after_write` (an adapter's, see `AfterWrite`) runs in the same
    transaction after the rows are written; the rows it moves aside count as replaced.
    """
    _prepare(con, options, has)
    if not fast:
        sql.run(con, "import_exact")
        failure = _problems_from_typed(con, src, staged)
        if failure is not None:
            raise failure
    presorted = True
    while True:
        con.execute("begin")
        con.fetchall()
        try:
            if fast:
                counts = _fast_write(con, import_id, fmt, presorted=presorted)
            else:
                counts = _write(con, import_id, fmt)
            if after_write is not None and (moved := after_write(con, import_id)):
                rows, replaced, nseries, first, last = counts
                counts = (rows, replaced + moved, nseries, first, last)
                _finish(con, import_id, fmt, counts)
            faults.point("import:in_transaction")
            if before_commit is not None:
                before_commit()
            con.execute("commit")
            con.fetchall()
            break
        except _NotInSeriesOrder:
            con.execute("rollback")
            con.fetchall()
            presorted = False
        except BaseException:
            _rollback(con)
            raise
    rows, replaced, nseries, first, last = counts
    return ImportResult(
        src.name,
        "imported",
        import_id,
        fmt,
        rows=rows,
        rows_replaced=replaced,
        series=nseries,
        first_date=first,
        last_date=last,
        notices=list(src.notices) + list(staged.notices),
    )


def _stage_and_write(
    con: duckdb.DuckDBPyConnection,
    adapter: adapters.Adapter,
    src: SourceFile,
    options: IngestOptions,
    fmt: str,
    import_id: int,
    before_commit: Callable[[], object] | None = None,
    also: AfterWrite | None = None,
) -> ImportResult:
    """Try the fast pass (two streaming reads); on any problem redo it exactly so the error
    names the right lines. Nothing of the fast attempt survives its rollback. `also` runs in
    the import's transaction after the adapter's own `after_write`."""
    after_write = _chain(_chain(getattr(adapter, "after_write", None), also), _precompute)
    try:
        with csvtext.lazy_raw():
            staged = adapter.stage(con, src, options)
            return validate_and_write(
                con,
                src,
                staged,
                options,
                fmt,
                _has(staged),
                import_id,
                fast=True,
                before_commit=before_commit,
                after_write=after_write,
            )
    except ArchiveFailed:
        raise
    except (_NeedsExactPass, ImportFailed, duckdb.Error):
        pass
    # A fresh connection to the same database: a clean temp catalogue for the exact pass.
    exact = con.cursor()
    # (a cursor starts in the default catalog: on a lake, use the lake as `con` does)
    catalog = sql.run_text(con, "select current_database()")[0][0]
    exact.execute('use "' + catalog.replace('"', '""') + '"')
    try:
        staged = adapter.stage(exact, src, options)
        return validate_and_write(
            exact,
            src,
            staged,
            options,
            fmt,
            _has(staged),
            import_id,
            before_commit=before_commit,
            after_write=after_write,
        )
    finally:
        exact.close()


def _precompute(con: duckdb.DuckDBPyConnection, import_id: int) -> int:
    """Last step of every import's transaction: the stored spike scores and Overview rankings
    of what it changed (pipelines/precompute.py), committed with its rows."""
    from pipelines import precompute  # (imports the analytics: only once rows are written)

    return precompute.after_write(con, import_id)


def _chain(first: AfterWrite | None, second: AfterWrite | None) -> AfterWrite | None:
    if first is None or second is None:
        return first or second
    return lambda con, import_id: first(con, import_id) + second(con, import_id)


def _has(staged: Staged) -> dict[str, bool]:
    return {k: staged.labels.get(k) is not None for k in ("app", "platform", "country", "source")}


def _after_commit(db: Path | str | None) -> None:
    """Every import that commits is watched by the alert rules (README "Alerts"): evaluated and
    delivered once the import has let go of the database, within INSTALLPULSE_ALERT_DEADLINE;
    never raises (an alert cannot fail an import that committed)."""
    from pipelines import alerts  # (imports the semantic core: only once an import committed)

    alerts.after_import(db)


def ingest_file(
    path: Path | str,
    db: Path | str | None = None,
    options: IngestOptions | None = None,
    name: str | None = None,
    also: AfterWrite | None = None,
    actor: auth.Actor | None = None,
) -> ImportResult:
    """Import one file under the contract. Raises ImportFailed (located) or DatabaseBusy.

    `also(con, import_id)` writes more in the same transaction (the demo's apps and events:
    the demo is all there or not at all); it is not run when the file was already imported.
    `actor` (default: the local admin) must be allowed to import (NotAllowed otherwise, before
    anything is read) and is recorded in the history as who imported."""
    who = auth.require(actor, "import").id
    options = options or IngestOptions()
    path = Path(path)
    display = sources.display_name(name or path.name)
    sha: str | None = None
    fmt: str | None = options.format
    import_id: int | None = None
    archiving: Future[Path] | None = None
    fresh = False  # (whether this import's archive copy is new: removed if the disk is full)
    # (the executor is left - its archive copy joined - before the temp folder goes)
    with (
        tempfile.TemporaryDirectory(prefix="installpulse-") as tmp,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="installpulse-archive") as workers,
    ):
        try:
            src = sources.prepare(path, display, Path(tmp), options)
            sha = src.sha256
            adapter = adapters.by_name(options.format) if options.format else adapters.detect(src)
            fmt = adapter.name
            db_file = settings.db_path(db)
            folder = settings.archive_dir(db_file)
            # The raw bytes are copied into the archive while DuckDB reads the file (a 2.2 GB
            # copy is 1.5 s); the commit waits for the copy, so every committed import has
            # its archive and a failed copy fails the import.
            fresh = not sources.archive_path(src, folder).exists()
            archiving = workers.submit(
                sources.archive, src, folder, json.loads(_options_json(options))
            )
            with store.write_lock, store.connect(db) as con:
                previous = sql.run(con, "history_by_hash", sha256=src.sha256)
                if previous:
                    archiving.result()
                    return ImportResult(display, "already imported", int(previous[0][0]), fmt)
                import_id = int(
                    sql.run(
                        con,
                        "history_insert",
                        file_name=display,
                        sha256=src.sha256,
                        format=fmt,
                        status="running",
                        options=_options_json(options),
                        encoding=src.encoding,
                        actor=who,
                    )[0][0]
                )
                archived = sources.archive_path(src, folder).resolve()  # --db may be relative
                sql.run(con, "history_archive", import_id=import_id, archive_path=str(archived))
                faults.point("import:before_transaction")

                def archived_before_commit() -> None:
                    try:
                        archiving.result()
                    except OSError as exc:
                        raise ArchiveFailed(
                            display,
                            [
                                Problem(
                                    f"could not be archived in {folder} ({exc.strerror or exc}).",
                                    hint="Free disk space there (or set INSTALLPULSE_ARCHIVE)"
                                    " and import it again; nothing was written.",
                                )
                            ],
                        ) from exc

                result = _stage_and_write(
                    con, adapter, src, options, fmt, import_id, archived_before_commit, also
                )
                faults.point("import:after_commit")  # (checkpointed when the lock is let go)
            _after_commit(db)
            return result
        except ImportFailed as error:
            short = _memory_failure(display, error)  # (a reader's error caused by no memory)
            _after_failure(error, db, display, sha, fmt, options, import_id, archiving, fresh, who)
            if short is None:
                _record_failure(db, display, sha, fmt, options, error, import_id, who)
                raise
            _record_memory_failure(db, display, sha, fmt, options, short, import_id, who)
            raise short from error
        except InstallpulseError as exc:
            # The database is busy or unusable: no history row can be written. A read-only one
            # can take no import at all, so this import's new archive copy (in a writable
            # INSTALLPULSE_ARCHIVE) goes too. (Not when busy: the holder may be importing the
            # same file, and its commit needs that copy.)
            if isinstance(exc, ReadOnlyDatabase):
                if archiving is not None:
                    archiving.exception()  # (waits for the copy)
                from pipelines import recovery  # (recovery imports this module)

                recovery.clean_failed_import(settings.db_path(db), sha, archive_too=fresh)
            raise
        except (
            duckdb.Error, csv.Error, UnicodeError, OSError, ValueError, MemoryError, RuntimeError
        ) as exc:  # fmt: skip
            # A reader failure we did not foresee still ends as a sentence and a failed
            # history row, never a traceback and a 'running' row left behind.
            short = _memory_failure(display, exc)
            if isinstance(exc, RuntimeError) and short is None:
                raise  # (a defect, not an input or a resource problem)
            _after_failure(exc, db, display, sha, fmt, options, import_id, archiving, fresh, who)
            if short is not None:
                _record_memory_failure(db, display, sha, fmt, options, short, import_id, who)
                raise short from exc
            if isinstance(exc, FileNotFoundError) and not path.exists():
                raise
            error = ImportFailed(
                display,
                [
                    Problem(
                        f"could not be read ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}).",
                        hint="Check that it is a CSV export; report this message if it is.",
                    )
                ],
            )
            _record_failure(db, display, sha, fmt, options, error, import_id, who)
            raise error from exc
