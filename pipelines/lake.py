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
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines import __version__, settings, sql, store
from pipelines.errors import DatabaseBusy, InstallpulseError, UsageError

PREFIX = "ducklake:postgres:"
ALIAS = "lake"
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


def open_lake(location: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached and in use."""
    info = conninfo(location)
    config = {
        **store._config(),
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }
    con = duckdb.connect(config=config)
    try:
        for name in _EXTENSIONS:
            con.execute(f"load {_quote(extension_file(name))}")
        options = []
        data = settings.get("INSTALLPULSE_LAKE_DATA")
        if data:
            Path(data).mkdir(parents=True, exist_ok=True)
            options.append(f"data_path {_quote(str(Path(data).absolute()) + os.sep)}")
        if read_only:
            options.append("read_only")
        clause = f" ({', '.join(options)})" if options else ""
        try:
            con.execute(f"attach {_quote('ducklake:postgres:' + info)} as {ALIAS}{clause}")
        except duckdb.Error as exc:
            raise InstallpulseError(
                f"Cannot open the lake {location}: {str(exc).splitlines()[0]}. Check that its "
                "PostgreSQL catalog is running and reachable with that connection string "
                "(scripts/postgres.sh starts one for a try), and for a new lake set "
                "INSTALLPULSE_LAKE_DATA to a folder every importer shares."
            ) from exc
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

    @contextlib.contextmanager
    def connect(
        self, wait: float | None = None, *, snapshot: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        if store.write_lock.held() and self._writer._session is None:
            self._writer.acquire(wait)
            store.write_lock.wrote(self)  # type: ignore[arg-type]  # (checkpoint = unlock)
        cur = self._shared().cursor()
        try:
            cur.execute(f"use {ALIAS}")
            yield cur
        finally:
            cur.close()

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

    def release(self) -> None:
        """Nothing to free between reads: the lake holds no lock a writer waits for."""

    def retire(self) -> None:
        """Close the shared connection (tests; the next `connect` opens the lake anew)."""
        with self._opening:
            con, self._con = self._con, None
        if con is not None:
            con.close()


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
