"""DuckLake on PostgreSQL: the store past one machine (README "Scaling out", issue 13).

A lake is named by an address, `ducklake:postgres:dbname=NAME host=HOST port=PORT user=USER`
(a libpq connection string after `ducklake:postgres:`), given as INSTALLPULSE_STORE or --db;
its Parquet files live in a folder every machine shares (INSTALLPULSE_LAKE_DATA, needed when
the lake is created and then read from the catalog). A connection to it is an in-memory DuckDB
with the ducklake and postgres extensions loaded by path from their PyPI wheels (nothing is
downloaded) and the lake ATTACHed and USEd, so every named query runs unchanged.

What differs from the file, and why:
- Schema: the same migration files, translated here - DuckLake refuses sequences, PRIMARY KEY,
  UNIQUE and CHECK constraints, list defaults and ADD COLUMN with a default. Ids are max + 1
  in the named queries and uniqueness is checked by the queries themselves (NOT EXISTS, MERGE),
  on both backends; the file keeps its keys as a second guard.
- Writers: DuckDB's file lock serialises a file's writers; a lake is written from several
  processes and machines, so every writer (the process-wide `store.write_lock`) also holds a
  PostgreSQL advisory lock on the catalog, taken before its first statement and let go when
  the write lock is: ids are numbered and uniqueness checked by one writer at a time. A
  process that dies (kill -9) loses its catalog session, and with it the lock; its open
  transaction was never committed, so nothing of it is visible.
- Readers never wait: each transaction reads the snapshot committed when it began.
- Upkeep: every import adds small Parquet files and a snapshot; `maintain` (the `installpulse
  maintain` command) merges the files and expires old snapshots under the writers' lock.
- Moving: `copy_store` (`installpulse lake copy`) copies a file into an empty lake or a lake
  into an empty file, every table with its ids, in one transaction on the destination.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

from pipelines import __version__, settings, sql, store
from pipelines.errors import DatabaseBusy, InstallpulseError, UsageError

PREFIX = "ducklake:postgres:"
ALIAS = "lake"
#: Readers' cursors kept for reuse (LakeStore.connect): about one per concurrent page read.
_IDLE_CURSORS = 32
#: What the totals macro reads (LakeStore.connect_totals): the catalogue tables, copied into
#: memory per version, and the one table of values, read from the lake.
_CATALOGUE = ("apps", "identifiers", "series", "metrics")
_VALUES = "observations"
#: Seconds a local copy of the catalogue serves before it is made again (see connect_totals).
_LOCAL_TTL_S = 600.0
# The advisory lock key of installpulse's writers (any constant; "installpulse" in hex digits).
WRITER_LOCK_KEY = 0x1257A11_0015E
_EXTENSIONS = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}


def is_lake(location: Path | str | None) -> bool:
    return location is not None and str(location).startswith("ducklake:")


def conninfo(location: Path | str) -> str:
    """The libpq connection string of a lake's catalog; a clear error for a malformed address."""
    text = str(location)
    if not text.startswith(PREFIX) or "=" not in text[len(PREFIX) :]:
        raise UsageError(
            f"Not a lake address: {text!r}. Write it as "
            "'ducklake:postgres:dbname=NAME host=HOST port=PORT user=USER' (a PostgreSQL "
            "connection string after 'ducklake:postgres:'; README 'Scaling out')."
        )
    return text[len(PREFIX) :].strip()


def extension_file(name: str) -> str:
    """The extension file shipped in its PyPI wheel (built for this duckdb version)."""
    module = _EXTENSIONS[name]
    spec = importlib.util.find_spec(module)
    folders = list(spec.submodule_search_locations or []) if spec else []
    found = [
        f for folder in folders for f in glob.glob(os.path.join(folder, "extensions", "*", "*"))
    ]
    found = [f for f in found if f.endswith(f"{name}.duckdb_extension")]
    if not found:
        raise InstallpulseError(
            f"The DuckDB extension {name} is not installed: install installpulse's dependency "
            f"{module.replace('_', '-')} (pip install {module.replace('_', '-')}=="
            f"{duckdb.__version__}) for duckdb {duckdb.__version__}."
        )
    return sorted(found)[-1]


def _quote(text: str) -> str:
    """A SQL string literal of configuration text (ATTACH takes no bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    for name in _EXTENSIONS:
        con.execute(f"load {_quote(extension_file(name))}")


def _attach(
    con: duckdb.DuckDBPyConnection,
    location: Path | str,
    alias: str,
    read_only: bool = False,
    local_data: bool = True,
) -> None:
    """ATTACH the lake as `alias`, its files in INSTALLPULSE_LAKE_DATA (with `local_data`,
    when set), else where its catalog says."""
    info = conninfo(location)
    options = []
    data = settings.get("INSTALLPULSE_LAKE_DATA") if local_data else ""
    if data:
        # This machine's path of the shared data folder: it may be mounted elsewhere than
        # where the lake was created (the catalog keeps file paths relative to it), and a
        # copied lake (`installpulse lake copy`, the tests' templates) reads its own copy.
        Path(data).mkdir(parents=True, exist_ok=True)
        options.append(f"data_path {_quote(str(Path(data).absolute()) + os.sep)}")
        options.append("override_data_path true")
    if read_only:
        options.append("read_only")
    clause = f" ({', '.join(options)})" if options else ""
    try:
        con.execute(f"attach {_quote('ducklake:postgres:' + info)} as {alias}{clause}")
    except duckdb.Error as exc:
        raise InstallpulseError(
            f"Cannot open the lake {location}: {str(exc).splitlines()[0]}. Check that its "
            "PostgreSQL catalog is running and reachable with that connection string "
            "(scripts/postgres.sh starts one for a try), and for a new lake set "
            "INSTALLPULSE_LAKE_DATA to a folder every importer shares."
        ) from exc


def _memory_db() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake extensions loaded (nothing downloaded)."""
    config = {
        **store._config(),
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }
    con = duckdb.connect(config=config)
    try:
        _load_extensions(con)
    except BaseException:
        con.close()
        raise
    return con


def open_lake(location: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached and in use."""
    con = _memory_db()
    try:
        _attach(con, location, ALIAS, read_only)
        con.execute(f"use {ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


# -- the schema, translated from the same migration files -------------------------------------

_SEQUENCE = re.compile(r"^\s*create\s+sequence\b", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*create\s+table\b", re.IGNORECASE)
_TABLE_CONSTRAINT = re.compile(r"^\s*(primary\s+key|unique|check)\s*\(", re.IGNORECASE)
_ADD_COLUMN_DEFAULT = re.compile(
    r"^\s*alter\s+table\s+(\w+)\s+add\s+column\s+(\w+)\s+(.+?)\s+default\s+(.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)


def _strip_checks(line: str) -> str:
    """A column definition without its CHECK (...) clauses (parentheses balanced)."""
    while (m := re.search(r"\s+check\s*\(", line, re.IGNORECASE)) is not None:
        depth, end = 0, m.end() - 1
        for end in range(m.end() - 1, len(line)):
            depth += {"(": 1, ")": -1}.get(line[end], 0)
            if depth == 0:
                break
        line = line[: m.start()] + line[end + 1 :]
    return line


def _table_for_lake(statement: str) -> str:
    """CREATE TABLE without what DuckLake refuses: keys, UNIQUE, CHECK, list defaults."""
    out: list[str] = []
    for line in statement.splitlines():
        code, _, comment = line.partition("--")
        if _TABLE_CONSTRAINT.match(code):
            continue
        code = _strip_checks(code)
        code = re.sub(r"\s+primary\s+key\b", "", code, flags=re.IGNORECASE)
        code = re.sub(r"\s+unique\b", "", code, flags=re.IGNORECASE)
        code = re.sub(r"\s+default\s+\[\s*\]", "", code, flags=re.IGNORECASE)
        out.append(code.rstrip() + (f" --{comment}" if comment else ""))
    text = "\n".join(out)
    return re.sub(r",(\s*(?:--[^\n]*\s*)*)\)\s*$", r"\1)", text)  # (a comma before the end)


def statements_for_lake(version: int) -> list[str]:
    """Schema file v{version} as statements a DuckLake catalog accepts."""
    result: list[str] = []
    for statement in sql.split_statements(sql.load(f"schema/v{version:03d}")):
        if _SEQUENCE.match(statement):
            continue  # (ids are max + 1: the named queries need no sequence)
        if _CREATE_TABLE.match(statement):
            result.append(_table_for_lake(statement))
            continue
        added = _ADD_COLUMN_DEFAULT.match(statement)
        if added:  # DuckLake: add the column, then its default, then fill the rows there
            table, column, kind, default = added.groups()
            kind = _strip_checks(" " + kind).strip()
            kind = re.sub(r"\s+not\s+null\b", "", kind, flags=re.IGNORECASE)
            result.append(f"alter table {table} add column {column} {kind}")
            # (DuckLake takes `false` for a non-literal there, but reads the text 'false')
            literal = f"'{default.lower()}'" if default.lower() in ("true", "false") else default
            result.append(f"alter table {table} alter column {column} set default {literal}")
            # (text of our own schema files, never a user's value)
            fill = f"update {table} set {column} = {default} where {column} is null"  # noqa: S608
            result.append(fill)
            continue
        result.append(statement)
    return result


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    tables = {
        r[0]
        for r in sql.run_text(
            con,
            "select table_name from duckdb_tables() where database_name = current_database()",
        )
    }
    if "schema_version" not in tables:
        if tables:
            raise InstallpulseError(
                "This lake has tables but no installpulse schema_version: it is not an "
                "installpulse lake. Choose another catalog database."
            )
        return 0
    return int(sql.run_text(con, "select max(version) from schema_version")[0][0] or 0)


def ensure_schema(
    con: duckdb.DuckDBPyConnection, location: Path | str, locked: bool = False
) -> None:
    """Create or migrate the lake's schema, one version per transaction, holding the writers'
    lock (taken here unless `locked`: this process holds it already), so two processes opening
    a new lake at once do not both create it."""
    if current_version(con) == store.SCHEMA_VERSION:
        return
    with contextlib.nullcontext() if locked else _AdvisoryLock(conninfo(location)):
        version = current_version(con)
        if version > store.SCHEMA_VERSION:
            raise InstallpulseError(
                f"The lake {location} was written by a newer installpulse (schema {version}; "
                f"this one knows {store.SCHEMA_VERSION}). Upgrade installpulse to open it."
            )
        for each in range(version + 1, store.SCHEMA_VERSION + 1):
            con.execute("begin")
            try:
                for statement in statements_for_lake(each):
                    con.execute(statement)
                    con.fetchall()
                sql.run_text(
                    con,
                    "insert into schema_version (version, installpulse_version) values ($v, $iv)",
                    v=each,
                    iv=__version__,
                )
                con.execute("commit")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("rollback")
                raise


# -- the writers' lock across processes and machines ------------------------------------------


class _AdvisoryLock:
    """PostgreSQL's session advisory lock WRITER_LOCK_KEY on the lake's catalog, held by one
    catalog session (psycopg) from `acquire` to `release`; waits up to INSTALLPULSE_LOCK_WAIT
    seconds, then raises DatabaseBusy naming who holds it."""

    def __init__(self, info: str) -> None:
        self.info = info
        self._session = None

    def acquire(self, wait: float | None = None) -> None:
        import psycopg  # (only a lake needs it)

        name = f"installpulse {__version__} {socket.gethostname()} pid {os.getpid()}"
        try:
            session = psycopg.connect(self.info, autocommit=True, application_name=name[:63])
        except psycopg.Error as exc:
            raise InstallpulseError(
                f"Cannot reach the lake's catalog ({self.info}): {str(exc).strip()}."
            ) from exc
        limit = settings.get_float("INSTALLPULSE_LOCK_WAIT") if wait is None else wait
        deadline = time.monotonic() + limit
        delay = 0.02
        while True:
            got = session.execute("select pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,))
            if got.fetchone()[0]:
                self._session = session
                return
            if time.monotonic() >= deadline:
                holder = session.execute(
                    "select a.application_name, a.client_addr from pg_locks l "
                    "join pg_stat_activity a using (pid) where l.locktype = 'advisory' "
                    "and l.granted and l.objid = %s::bigint %% 4294967296",
                    (WRITER_LOCK_KEY,),
                ).fetchone()
                session.close()
                who = f"{holder[0] or 'a client'}" if holder else "another writer"
                raise DatabaseBusy(
                    f"The lake is being written by {who}. Waited {limit:g} s; try again when "
                    "it has finished (an import of a large file can take a minute), or raise "
                    "INSTALLPULSE_LOCK_WAIT."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def release(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(Exception):
                session.execute("select pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))
            session.close()

    def __enter__(self) -> _AdvisoryLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# The newest snapshot whose changes (DuckLake's `changes_made`: "inlined_insert:2,
# inserted_into_table:3,...", each a kind and a table id or name) touch some table other than
# the import history. PostgreSQL walks the snapshots backwards on their primary key and stops at
# the first such one: a few rows whatever the lake's age.
_VERSION_SQL = """
select s.snapshot_id, s.snapshot_time
from ducklake_snapshot s
left join ducklake_snapshot_changes c on c.snapshot_id = s.snapshot_id
where c.changes_made is null
   or exists (
        select 1 from unnest(string_to_array(c.changes_made, ',')) as e(entry)
        where split_part(e.entry, ':', 2) is distinct from (
            select table_id::text from ducklake_table
            where table_name = %(history)s and end_snapshot is null))
order by s.snapshot_id desc
limit 1
"""


class LakeStore:
    """A lake as this process sees it: one in-memory DuckDB with the lake attached, shared by
    every thread through cursors (the interface of `store.Store`). Under `store.write_lock`
    the first `connect` takes the catalog's advisory lock; the write lock's release calls
    `checkpoint`, which lets it go (a lake has no WAL to fold: every commit is in the catalog
    and its Parquet files)."""

    def __init__(self, location: Path) -> None:
        self.path = location
        self.info = conninfo(location)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._opening = threading.Lock()
        self._writer = _AdvisoryLock(self.info)
        self._catalog = None  # (psycopg) the session `version` asks on
        self._asking = threading.Lock()
        self._idle: list[duckdb.DuckDBPyConnection] = []  # readers' cursors, in the lake
        self._idle_of: duckdb.DuckDBPyConnection | None = None  # (the connection they are of)
        self._kept: dict[str, Any] = {}  # (see `remembered`) lookups as of `_kept_version`
        self._kept_version = ""
        self._keeping = threading.Lock()  # one thread computes a lookup; the others wait
        self._local: _Local | None = None  # (see `connect_totals`) the catalogue in memory
        self._old_locals: list[_Local] = []  # replaced ones, dropped when their last reader ends
        self._idle_local: list[duckdb.DuckDBPyConnection] = []  # cursors in memory's catalog
        self._local_made = 0  # (numbers the schemas)
        self._localising = threading.Lock()

    #: whole-catalogue lookups are kept per version (`remembered`); a file computes them anew
    remembers = True

    def remembered(self, name: str, compute: Callable[[], Any]) -> Any:
        """`compute()`, a lookup of the whole catalogue (every app's name, every metric's kind,
        the stored scores' state), as of the lake's current version: computed once per version
        for every session of this process, by one thread while the others wait.

        Why: on a lake each such query is a DuckLake transaction of 12-20 round trips to the
        catalog (12-42 ms here, against 1-5 ms on a file), every page read made three, and
        after an import's commit all 25 sessions of the load test made them at once. Kept
        under the version read before computing, so a kept lookup is never older than its
        key; a writer (inside its own transaction) always computes."""
        if store.write_lock.held():
            return compute()
        version = self.version()
        with self._keeping:
            if self._kept_version != version:
                self._kept, self._kept_version = {}, version
            if name not in self._kept:
                self._kept[name] = compute()
            return self._kept[name]

    def version(self) -> str:
        """The lake's newest snapshot that changed more than the import history, as
        "id@time": it moves with every commit of any writer that changes what a page reads
        (an import's data, an undo, an event edit, an alias, a compaction), so a result cached
        under it is the data as of that commit. An import commits its 'running' history row
        (and its progress) before its data, two snapshots that change only the `imports`
        table: the file's key (queries/data_version.sql) does not move for them either, and a
        key that moved made all 25 sessions of the load test read everything again twice per
        import, before the data had changed (p50 2.1 s during a lake import at S, against
        0.2 s without one).

        The pages ask it on every rerun (their cache key, `reads.data_version`). Asked of the
        catalog directly, one indexed row costs well under a millisecond; the history query the
        file uses reads four lake tables through their Parquet files, 146 ms of CPU per call
        here, a third of an Explore rerun on a lake. The time in the key tells a lake that
        was made anew at the same address (its ids start again) from the one before."""
        import psycopg  # (only a lake needs it)

        query = _VERSION_SQL
        with self._asking:
            for attempt in (1, 2):
                try:
                    if self._catalog is None or self._catalog.closed:
                        self._catalog = psycopg.connect(self.info, autocommit=True)
                    row = self._catalog.execute(query, {"history": "imports"}).fetchone()
                    break
                except psycopg.Error as exc:
                    if self._catalog is not None:
                        self._catalog.close()
                    self._catalog = None
                    if attempt == 2:
                        raise InstallpulseError(
                            f"Cannot reach the lake's catalog ({self.info}): {str(exc).strip()}."
                        ) from exc
        if row is None:
            return "0"
        return f"{row[0]}@{row[1].isoformat()}"

    @contextlib.contextmanager
    def connect(
        self, wait: float | None = None, *, snapshot: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        if store.write_lock.held():
            if self._writer._session is None:
                self._writer.acquire(wait)
                store.write_lock.wrote(self)  # type: ignore[arg-type]  # (checkpoint = unlock)
            cur = self._shared().cursor()
            try:
                cur.execute(f"use {ALIAS}")
                yield cur
            finally:
                cur.close()
            return
        # A reader's cursor is kept for the next reader: `use` is a DuckLake transaction of
        # its own (2.5-4 ms here), and a page's reading opens three cursors. A writer's is
        # not (its temp tables and transactions are its own), nor one that saw an error.
        con = self._shared()
        with self._opening:
            cur = self._idle.pop() if self._idle_of is con and self._idle else None
        if cur is None:
            cur = con.cursor()
            try:
                cur.execute(f"use {ALIAS}")
            except BaseException:
                cur.close()
                raise
        try:
            yield cur
        except BaseException:
            cur.close()
            raise
        with self._opening:
            if self._con is con and len(self._idle) < _IDLE_CURSORS:
                if self._idle_of is not con:
                    self._idle, self._idle_of = [], con
                self._idle.append(cur)
                return
        cur.close()

    @contextlib.contextmanager
    def connect_totals(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A reader's cursor for the totals macro (`semantic.totals.load`): in a schema of the
        in-memory database that holds the catalogue tables it joins (apps, identifiers, series,
        metrics), copied once per lake version, beside a view of the lake's observations and
        the macro itself, all as of one snapshot.

        Why: a DuckLake table in a query costs its catalog round trips when the query is bound
        (the table's files, their statistics, the schema), whatever its size. `ip_totals`
        reads five tables, so the catalog's part of an Explore reading was most of its time
        (97 ms, of which 36 ms were the query's own work, at S); with four of them in memory the
        query touches the lake once. The copies are made under the version read first, in one
        transaction at the lake's current snapshot, and the view reads that same snapshot
        (`AT (VERSION => ...)`), so a reading is consistent even when an import commits while
        it runs. A copy serves its version for at most `_LOCAL_TTL_S` seconds, so the snapshot
        it names stays one `maintain` has not expired; one that fails a read is not used
        again. A writer (inside its own transaction) reads the lake itself."""
        if store.write_lock.held():
            with self.connect() as cur:
                yield cur
            return
        version = self.version()
        con = self._shared()
        with self._localising:
            local = self._local
            if local is None or local.version != version or local.stale():
                self._local_made += 1
                local = _Local.make(con, f"ip_totals_{self._local_made}", version)
                if self._local is not None:
                    self._old_locals.append(self._local)
                self._local = local
            local.readers += 1
            cur = self._idle_local.pop() if self._idle_local else None
        failed = closed = False
        try:
            if cur is None:
                cur = con.cursor()
            cur.execute(f"use memory.{local.schema}")
            yield cur
        except BaseException as exc:
            failed = isinstance(exc, duckdb.Error)  # (not a refusal of the request's words)
            closed = True
            if cur is not None:
                cur.close()
            raise
        finally:
            with self._localising:
                local.readers -= 1
                if failed and self._local is local:
                    self._old_locals.append(local)
                    self._local = None
                done = [old for old in self._old_locals if old.readers == 0]
                self._old_locals = [old for old in self._old_locals if old.readers]
                if not closed and self._con is con and len(self._idle_local) < _IDLE_CURSORS:
                    self._idle_local.append(cur)
                elif not closed and cur is not None:
                    cur.close()
            for old in done:
                old.drop(con)

    def _shared(self) -> duckdb.DuckDBPyConnection:
        with self._opening:
            if self._con is None:
                con = open_lake(self.path)
                try:
                    ensure_schema(con, self.path, locked=self._writer._session is not None)
                except BaseException:
                    con.close()
                    raise
                self._con = con
            return self._con

    def checkpoint(self) -> None:
        """(end of a unit of writes) Let the writers' lock go."""
        self._writer.release()

    def is_open(self) -> bool:
        """Whether the shared connection is open now (a write would need no new instance)."""
        return self._con is not None

    def release(self) -> None:
        """Nothing to free between reads: the lake holds no lock a writer waits for."""

    def retire(self) -> None:
        """Close the shared connection (tests; the next `connect` opens the lake anew)."""
        with self._opening:
            con, self._con = self._con, None
            idle, self._idle, self._idle_of = self._idle, [], None
        with self._localising:
            idle += self._idle_local
            self._idle_local, self._local, self._old_locals = [], None, []
        for cur in idle:
            cur.close()
        if con is not None:
            con.close()
        with self._asking:
            catalog, self._catalog = self._catalog, None
        if catalog is not None:
            catalog.close()


class _Local:
    """One copy of the lake's catalogue in the in-memory database (`LakeStore.connect_totals`):
    a schema named `schema` with the catalogue tables, a view of the values and the totals
    macro, as of one snapshot of the lake, made for the lake version `version`."""

    def __init__(self, schema: str, version: str) -> None:
        self.schema, self.version = schema, version
        self.made = time.monotonic()
        self.readers = 0

    def stale(self) -> bool:
        return time.monotonic() - self.made > _LOCAL_TTL_S

    @classmethod
    def make(cls, con: duckdb.DuckDBPyConnection, schema: str, version: str) -> _Local:
        """Copy the catalogue and define the view and the macro, in one transaction (so the
        copies and the view's snapshot are one state of the lake)."""
        cur = con.cursor()
        target = f"memory.{schema}"
        try:
            # (names of our own tables and an integer id: no user text)
            cur.execute("begin")
            now = cur.execute(f"select id from {ALIAS}.current_snapshot()").fetchone()  # noqa: S608
            snapshot = int(now[0])
            cur.execute(f"create schema {target}")
            for table in _CATALOGUE:
                cur.execute(
                    f"create table {target}.{table} as "  # noqa: S608
                    f"select * from {ALIAS}.{table} at (version => {snapshot})"
                )
            cur.execute(
                f"create view {target}.{_VALUES} as "  # noqa: S608
                f"select * from {ALIAS}.{_VALUES} at (version => {snapshot})"
            )
            cur.execute(f"use {target}")
            cur.execute(totals_macro())
            cur.execute("commit")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                cur.execute("rollback")
            raise
        finally:
            cur.close()
        return cls(schema, version)

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        """Free the copy (no reader uses it any more)."""
        with contextlib.suppress(duckdb.Error), con.cursor() as cur:
            cur.execute(f"drop schema if exists memory.{self.schema} cascade")


def totals_macro() -> str:
    """The statement that defines `ip_totals` as the newest schema file has it."""
    for version in range(store.SCHEMA_VERSION, 0, -1):
        for statement in sql.split_statements(sql.load(f"schema/v{version:03d}")):
            if re.match(r"\s*create\s+or\s+replace\s+macro\s+ip_totals\b", statement, re.I):
                return statement
    raise InstallpulseError("No schema file defines the totals macro ip_totals.")


_stores: dict[str, LakeStore] = {}
_stores_lock = threading.Lock()


def store_for(location: Path) -> LakeStore:
    """The one LakeStore of this lake address in this process."""
    key = conninfo(location)
    with _stores_lock:
        found = _stores.get(key)
        if found is None:
            found = _stores[key] = LakeStore(location)
        return found


def release_all() -> None:
    with _stores_lock:
        stores = list(_stores.values())
    for each in stores:
        each.retire()


# -- maintenance (`installpulse maintain`) -----------------------------------------------------


def maintain(location: Path | str, older_than_days: float = 7.0) -> list[str]:
    """Compact and tidy a lake, or checkpoint a file; one line per step of what was done.

    On a lake, holding the writers' lock (so no import runs meanwhile): small inserts kept in
    the catalog (DuckLake inlines inserts of up to 10 rows) are written out as Parquet, files
    that restatements left mostly deleted are rewritten, adjacent small files are merged,
    snapshots older than `older_than_days` are expired (time travel before then is given up),
    and files no snapshot needs any more - scheduled that long ago, or written by an importer
    that died before its commit - are deleted. Every row of the current snapshot is kept.
    Deleting only what was scheduled `older_than_days` ago leaves a reader still on an older
    snapshot its files. On a DuckDB file: a checkpoint (the write-ahead log folded in)."""
    from analytics.formatting import fmt_int, fmt_number

    if older_than_days < 0:
        raise UsageError(f"--older-than must be 0 days or more, not {older_than_days:g}.")
    if not is_lake(location):
        return _maintain_file(Path(location))
    days = float(older_than_days)
    with store.write_lock, store.connect(location) as con:
        listed = sql.run(con, "lake_file_counts")[0][2]
        sql.run(con, "lake_flush_inlined")  # (counted below as files: they are now)
        files = sql.run(con, "lake_file_counts")[0][0]
        rewritten = sql.run(con, "lake_rewrite_files")[0][0]
        merged, written = sql.run(con, "lake_merge_files")[0]
        after, snapshots, _ = sql.run(con, "lake_file_counts")[0]
        expired = sql.run(con, "lake_expire_snapshots", days=days)[0][0]
        deleted = sql.run(con, "lake_cleanup_files", days=days)[0][0]
        orphans = sql.run(con, "lake_orphaned_files", days=days)[0][0]
        _, kept, listed_after = sql.run(con, "lake_file_counts")[0]
    shown = fmt_number(days, 0 if days == int(days) else 2)
    return [
        f"Compacted: {fmt_int(files)} data files in the current snapshot -> {fmt_int(after)} "
        "(small inserts the catalog held written out first; "
        f"{fmt_int(merged)} small files merged into {fmt_int(written)}, {fmt_int(rewritten)} "
        "with deleted rows rewritten); every row kept.",
        f"Snapshots: {fmt_int(expired)} older than {shown} days expired, {fmt_int(kept)} kept "
        f"(of {fmt_int(snapshots)}).",
        f"Files: {fmt_int(deleted)} no longer needed and {fmt_int(orphans)} left by unfinished "
        f"writes deleted; the catalog lists {fmt_int(listed_after)} data and delete files "
        f"(was {fmt_int(listed)}).",
    ]


def _maintain_file(path: Path) -> list[str]:
    from analytics.formatting import fmt_int, fmt_number

    if not path.exists():
        raise InstallpulseError(f"There is no database at {path}: nothing to maintain.")
    wal = path.with_name(path.name + ".wal")
    before = wal.stat().st_size if wal.exists() else 0
    with store.write_lock, store.connect(path) as con:
        con.execute("force checkpoint")
        con.fetchall()
    return [
        f"Checkpointed {path}: {fmt_int(before)} bytes of write-ahead log folded into the file "
        f"({fmt_number(path.stat().st_size / 1e6, 1)} MB). A DuckDB file has no small files "
        "to merge or snapshots to expire."
    ]


# -- moving between a file and a lake (`installpulse lake copy`) -------------------------------

# Tables the schema itself fills: a new store holds them, so they do not make it "not empty".
_SEEDED = {"schema_version", "metrics", "precompute_state"}


def _attach_store(con: duckdb.DuckDBPyConnection, location: Path, alias: str, read_only: bool,
                  local_data: bool = True) -> None:  # fmt: skip
    if is_lake(location):
        _attach(con, location, alias, read_only, local_data)
        return
    mode = " (read_only)" if read_only else ""
    try:
        con.execute(f"attach {_quote(str(location))} as {alias}{mode}")
    except duckdb.IOException as exc:
        raise DatabaseBusy(
            f"The database {location} is in use by another process ({str(exc).splitlines()[0]});"
            " stop the app and other commands using it, then copy again."
        ) from exc


def copy_store(source: Path | str, target: Path | str) -> list[str]:
    """Copy every table of `source` into the empty store `target` (a file into a lake, a lake
    into a file, or between two of either), ids kept, in one transaction on the target: a
    failed copy leaves the target as it was. A target that holds any data is refused. Both
    are first opened by installpulse, so each is at this installpulse's schema; the target's
    metric catalogue is replaced by the source's (which may hold metrics added by hand).
    Between two lakes the source's files are read where its catalog says; otherwise the
    lake's are in INSTALLPULSE_LAKE_DATA."""
    from analytics.formatting import fmt_int

    source, target = Path(str(source)), Path(str(target))
    if str(source) == str(target) or (
        not is_lake(source) and not is_lake(target) and source.resolve() == target.resolve()
    ):
        raise UsageError(f"--from and --to are the same store ({source}): nothing to copy.")
    if not is_lake(source) and not source.is_file():
        raise UsageError(f"There is no database at {source} to copy from (--from).")
    for each in (source, target):
        with store.connect(each):
            pass  # (created or migrated to this schema)
    store.release_all()  # (this process holds neither file while the copy attaches them)
    both_lakes = is_lake(source) and is_lake(target)
    lines: list[str] = []
    with store.write_lock, contextlib.ExitStack() as stack:
        if is_lake(target):
            stack.enter_context(_AdvisoryLock(conninfo(target)))
        con = stack.enter_context(contextlib.closing(_memory_db()))
        _attach_store(con, source, "ip_from", True, local_data=not both_lakes)
        _attach_store(con, target, "ip_to", False)
        tables = [r[0] for r in sql.run(con, "copy_tables", database="ip_from")]
        counts = {r[0]: _count(con, "ip_to", r[0]) for r in sql.run(con, "copy_tables",
                                                                   database="ip_to")}  # fmt: skip
        held = [(t, n) for t, n in counts.items() if n and t not in _SEEDED]
        if held:
            what = ", ".join(f"{t} {fmt_int(n)} rows" for t, n in held[:4])
            raise UsageError(
                f"{target} already holds data ({what}): installpulse lake copy writes only into "
                "an empty store, so nothing was copied. Choose a new file, or a new catalog "
                "database (createdb), as --to."
            )
        con.execute("begin")
        try:
            for table in tables:
                # (names from the source's catalogue, never a user's; quoted all the same)
                name = '"' + table.replace('"', '""') + '"'
                if table in _SEEDED:
                    con.execute(f"delete from ip_to.main.{name}")  # noqa: S608
                order = " order by series_id, date" if table == "observations" else ""
                con.execute(
                    f"insert into ip_to.main.{name} by name "  # noqa: S608
                    f"select * from ip_from.main.{name}{order}"
                )
                con.fetchall()
                lines.append(f"{table}: {fmt_int(_count(con, 'ip_to', table))} rows")
            con.execute("commit")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                con.execute("rollback")
            raise
    return [f"Copied {source} into {target}, ids kept, in one transaction:", *lines]


def _count(con: duckdb.DuckDBPyConnection, database: str, table: str) -> int:
    name = '"' + table.replace('"', '""') + '"'  # (from the catalogue, never a user's)
    return int(con.execute(f"select count(*) from {database}.main.{name}").fetchall()[0][0])  # noqa: S608
