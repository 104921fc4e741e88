"""Operations on the store that are not imports: history, undo, apps and aliases, metrics.

Every write takes the process-wide write lock and one explicit transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from pipelines import auth, faults, settings, sql, store
from pipelines.errors import UsageError


@contextmanager
def transaction(db: Path | str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """One writer, one explicit BEGIN ... COMMIT (rolled back on any exception)."""
    with store.write_lock, store.connect(db) as con:
        con.execute("begin")
        con.fetchall()
        try:
            yield con
        except BaseException:
            con.execute("rollback")
            con.fetchall()
            raise
        con.execute("commit")
        con.fetchall()


def imports(db: Path | str | None = None, limit: int = 1000) -> pl.DataFrame:
    with store.connect(db) as con:
        return sql.frame(con, "history_list", limit=limit)


def undo(import_id: int, db: Path | str | None = None, actor: auth.Actor | None = None) -> str:
    """Undo one import: its rows go and the rows it replaced come back. `actor` (default: the
    local admin) must be allowed to undo and is recorded as who undid it."""
    who = auth.require(actor, "undo").id
    # (the outer hold of the write lock puts its checkpoint after the fault point)
    with store.write_lock:
        with transaction(db) as con:
            name, removed, events = _undo_rows(con, import_id)
            sql.run(con, "history_undone_by", import_id=import_id, actor=who)
        faults.point("undo:after_commit")
    what = f"{removed:,} rows"
    if events:
        what += f" and {events:,} events"
    return f"Undid import #{import_id} ({name}): removed {what}; restored what it had replaced."


def _undo_rows(con: duckdb.DuckDBPyConnection, import_id: int) -> tuple[str, int, int]:
    """(inside the undo's transaction) Check the import can be undone and undo it; returns its
    file name and the observations and events it removed."""
    row = sql.run_text(
        con, "select status, file_name from imports where import_id = $id", id=import_id
    )
    if not row:
        raise UsageError(f"There is no import #{import_id}; see `installpulse imports`.")
    status, name = row[0]
    if status != "ok":
        raise UsageError(
            f"Import #{import_id} ({name}) is {status}; only a successful import can be undone."
        )
    removed = sql.run_text(
        con, "select count(*) from observations where import_id = $id", id=import_id
    )[0][0]
    query = "select count(*) from events where import_id = $id"
    events = sql.run_text(con, query, id=import_id)[0][0]
    for statement in sql.split_statements(sql.load("events_undo")):
        sql.run_text(con, statement, import_id=import_id)
    from pipelines import contract  # (only undo needs the import machinery)

    contract.undo_rows(con, import_id)
    faults.point("undo:in_transaction")
    return name, removed, events


def apps(db: Path | str | None = None) -> pl.DataFrame:
    with store.connect(db) as con:
        return sql.frame(con, "apps_list")


def normalise_name(name: str) -> str:
    """One identity policy for names: NFC, trimmed; control characters refused."""
    text = unicodedata.normalize("NFC", name or "").strip()
    if not text:
        raise UsageError("An app name cannot be empty.")
    if re.search(r"[\x00-\x1f\x7f]", text):
        raise UsageError("An app name cannot contain control characters.")
    limit = settings.get_int("INSTALLPULSE_MAX_TEXT")
    if len(text) > limit:
        raise UsageError(f"An app name is limited to {limit} characters.")
    return text


def alias(
    store_id: str, name: str, db: Path | str | None = None, actor: auth.Actor | None = None
) -> str:
    """Map a store identifier to the app called `name` (created if new).

    Series are keyed by identifier, so nothing is copied; refused where the app already has a
    series with the same platform, country, metric and source under another identifier (the
    daily_metrics view would otherwise hold two rows for one day). `actor` (default: the
    local admin) must be allowed to name apps.
    """
    auth.require(actor, "name_apps")
    with transaction(db) as con:
        return alias_in(con, store_id, name)


def alias_in(con: duckdb.DuckDBPyConnection, store_id: str, name: str) -> str:
    """`alias` inside the caller's transaction (the demo maps its identifiers in the
    transaction that imports its rows)."""
    store_id = unicodedata.normalize("NFC", store_id).strip()
    name = normalise_name(name)
    sql.run_text(
        con,
        "insert into apps (app_id, name) select coalesce(max(app_id), 0) + 1, $name from apps "
        "having not exists (select 1 from apps where name = $name)",
        name=name,
    )
    app_id = sql.run_text(con, "select app_id from apps where name = $name", name=name)[0][0]
    clash = sql.run(con, "alias_clash", identifier=store_id, app_id=app_id)
    if clash:
        other, platform, country, metric, source = clash[0]
        raise UsageError(
            f"Cannot alias {store_id} to {name}: {name} already has {metric} for "
            f"{platform}/{country} from {source} under '{other}'. Undo one of the imports, "
            "or alias to another name."
        )
    sql.run_text(
        con,
        # (MERGE, not ON CONFLICT: a DuckLake table has no key)
        "merge into identifiers i using (select $identifier as identifier) n "
        "on i.identifier = n.identifier when matched then update set app_id = $app_id "
        "when not matched then insert (identifier, app_id) values ($identifier, $app_id)",
        identifier=store_id,
        app_id=app_id,
    )
    # An app left with no identifiers and no events (its only id moved) is removed.
    sql.run_text(
        con,
        "delete from apps a where a.app_id <> $app_id "
        "and not exists (select 1 from identifiers i where i.app_id = a.app_id) "
        "and not exists (select 1 from event_apps e where e.app_id = a.app_id)",
        app_id=app_id,
    )
    return f"{store_id} is now an identifier of {name}."


def rename_app(old: str, new: str, db: Path | str | None = None) -> str:
    new = normalise_name(new)
    with transaction(db) as con:
        if sql.run_text(con, "select 1 from apps where name = $n", n=new):
            raise UsageError(f"There is already an app called {new}; use `apps alias` to merge.")
        updated = sql.run_text(con, "select 1 from apps where name = $old", old=old)
        sql.run_text(con, "update apps set name = $new where name = $old", new=new, old=old)
        if not updated:
            raise UsageError(f"There is no app called {old}.")
    return f"Renamed {old} to {new}."


def metrics(db: Path | str | None = None) -> pl.DataFrame:
    with store.connect(db) as con:
        return sql.frame(con, "metrics_list")


def add_metric(
    name: str,
    kind: str,
    unit: str,
    definition: str,
    integer: bool = True,
    signed: bool = False,
    db: Path | str | None = None,
) -> str:
    key = re.sub(r"[\s\-/]+", "_", name.strip().lower())
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,47}", key):
        raise UsageError("A metric name is lower-case letters, digits and _ (e.g. daily_active).")
    if kind not in ("event", "level"):
        raise UsageError("--kind is 'event' (a count per day, summable) or 'level' (never summed).")
    with transaction(db) as con:
        if sql.run_text(con, "select 1 from metrics where metric = $m", m=key):
            raise UsageError(f"The metric {key} already exists.")
        sql.run_text(
            con,
            "insert into metrics values ($m, $kind, $unit, $int, $signed, $definition)",
            m=key,
            kind=kind,
            unit=unit,
            int=integer,
            signed=signed,
            definition=definition,
        )
    return f"Added metric {key} ({kind}, {unit})."
