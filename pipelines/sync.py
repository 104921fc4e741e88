"""`installpulse sync`: fetch what is new from each connection and import it.

For each connection and app the next sync starts the day after the last day held
(`sync_state`), or at `--since`. Every fetched file goes through `contract.ingest_file`, the
call `installpulse ingest` makes, with the same defaults, so it is archived, all-or-nothing,
"already imported" when its bytes are, and undoable; a synced file and the same file imported
by hand give the same tables. The file's fingerprint is recorded in the import's own
transaction, so a kill -9 leaves every file either imported and recorded or neither. The last
day held moves only when a whole group of files is in (see pipelines/connectors/base.py), so
the next sync after a kill fetches from where the state stands and completes it: the files
already in are skipped by fingerprint (or are "already imported" by their bytes).

A connection stops at its first failure (a provider error or a refused file), keeping what
was imported before it; the run records the sentence; the other connections still sync.
Exit codes as for `ingest`: 0 all synced, 1 a failure, 3 the database is busy.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines import auth, faults, sql, store
from pipelines.connectors import base, connections
from pipelines.connectors.base import ConnectorError, Fetched
from pipelines.connectors.connections import Connection
from pipelines.errors import ImportFailed, UsageError
from pipelines.ops import transaction

Say = Callable[[str], None]


@dataclass
class Outcome:
    """One connection's sync."""

    name: str
    result: str  # 'ok' | 'failed'
    imported: int = 0
    unchanged: int = 0
    message: str = ""


def last_full_day() -> date:
    """The last day a provider can have finished: yesterday in UTC."""
    return datetime.now(UTC).date() - timedelta(days=1)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_run(connection: Connection, db: Path | str | None) -> int:
    """A 'running' row; earlier 'running' rows of a process that is gone become
    'interrupted' (a sync killed with kill -9 or by a power cut)."""
    with transaction(db) as con:
        for run_id, pid in sql.run(
            con, "connect_runs_running", connection_id=connection.connection_id
        ):
            if pid != os.getpid() and not _alive(pid):
                sql.run(
                    con,
                    "connect_run_finish",
                    run_id=run_id,
                    result="interrupted",
                    files_imported=0,
                    files_unchanged=0,
                    message="This sync was interrupted (the process ended); the files it "
                    "imported are whole, and the next sync completed what was left.",
                )
        return int(
            sql.run(
                con,
                "connect_run_start",
                connection_id=connection.connection_id,
                connection_name=connection.name,
                pid=os.getpid(),
            )[0][0]
        )


def _finish_run(run_id: int, outcome: Outcome, db: Path | str | None) -> None:
    with transaction(db) as con:
        sql.run(
            con,
            "connect_run_finish",
            run_id=run_id,
            result=outcome.result,
            files_imported=outcome.imported,
            files_unchanged=outcome.unchanged,
            message=base.redact(outcome.message)[:20000],
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Run:
    """The state of one connection's sync while files arrive."""

    def __init__(
        self, connection: Connection, db: Path | str | None, say: Say, actor: auth.Actor
    ) -> None:
        self.connection = connection
        self.db = db
        self.say = say
        self.actor = actor
        self.outcome = Outcome(connection.name, "ok")
        with store.connect(db) as con:
            cid = connection.connection_id
            self.state = dict(sql.run(con, "connect_state", connection_id=cid))
            self.known = {r[0] for r in sql.run(con, "connect_fingerprints", connection_id=cid)}
        self.group: str | None = None
        self.group_days: dict[str, date] = {}

    def _record_file(self, con: duckdb.DuckDBPyConnection, f: Fetched, fp: str, import_id: int):
        sql.run(
            con,
            "connect_file_insert",
            connection_id=self.connection.connection_id,
            fingerprint=fp,
            app=f.app,
            file_name=f.name,
            import_id=import_id,
            last_day=f.last_day,
        )

    def close_group(self) -> None:
        """The group is in: its apps' last days move forward."""
        if self.group_days:
            with transaction(self.db) as con:
                for app, day in self.group_days.items():
                    sql.run(
                        con,
                        "connect_state_upsert",
                        connection_id=self.connection.connection_id,
                        app=app,
                        last_day=day,
                    )
            for app, day in self.group_days.items():
                self.state[app] = max(day, self.state.get(app, day))
        self.group_days = {}

    def take(self, f: Fetched) -> None:
        from pipelines import contract
        from pipelines.adapters.base import IngestOptions

        if self.group is not None and f.group != self.group:
            self.close_group()
        self.group = f.group
        if f.last_day is not None:
            self.group_days[f.app] = max(f.last_day, self.group_days.get(f.app, f.last_day))
        fp = f.fingerprint or f"sha256:{_sha256(f.path)}"
        if fp in self.known:
            self.say(f"  {f.name}: unchanged since it was imported; skipped.")
            self.outcome.unchanged += 1
            f.path.unlink(missing_ok=True)
            return

        def also(con: duckdb.DuckDBPyConnection, import_id: int) -> int:
            self._record_file(con, f, fp, import_id)
            faults.point("sync:file_in_transaction")
            return 0

        result = contract.ingest_file(
            f.path, self.db, IngestOptions(), name=f.name, also=also, actor=self.actor
        )
        if result.status == "already imported":
            with transaction(self.db) as con:
                self._record_file(con, f, fp, result.import_id)
            self.outcome.unchanged += 1
        else:
            self.outcome.imported += 1
        faults.point("sync:after_file")
        self.known.add(fp)
        f.path.unlink(missing_ok=True)
        self.say(f"  {result.summary()}")
        for notice in result.notices:
            self.say(f"    note: {notice}")


def _batches(
    connection: Connection, state: dict[str, date], since: date | None, until: date, say: Say
) -> list[tuple[date | None, list[str]]]:
    """Apps grouped by the day their fetch starts (one request can then cover several)."""
    starts: dict[date | None, list[str]] = {}
    for app in connection.apps:
        start = since
        if start is None and app in state:
            start = state[app] + timedelta(days=1)
        if start is not None and start > until:
            say(f"  {app}: up to date (held to {state.get(app, until)}).")
            continue
        starts.setdefault(start, []).append(app)
    return sorted(starts.items(), key=lambda kv: (kv[0] is not None, kv[0] or date.min))


def sync_connection(
    connection: Connection,
    db: Path | str | None = None,
    since: date | None = None,
    say: Say = print,
    until: date | None = None,
    actor: auth.Actor | None = None,
) -> Outcome:
    """Fetch and import what is new for one connection; never raises ConnectorError or
    ImportFailed (they end the run as 'failed' with the sentence). `actor` (default: the
    local admin) must be allowed to sync (NotAllowed before anything is fetched); every file
    it imports records them as who imported."""
    who = auth.require(actor, "sync")
    until = until or last_full_day()
    run_id = _start_run(connection, db)
    run = _Run(connection, db, say, who)
    say(f"{connection.name} ({connection.kind}): syncing to {until}.")
    try:
        connector = connection.connector()
        if hasattr(connector, "say"):
            connector.say = say  # (optional: notes such as "no estimates yet", rate waits)
        with tempfile.TemporaryDirectory(prefix="installpulse-sync-") as tmp:
            for start, apps in _batches(connection, run.state, since, until, say):
                for fetched in connector.fetch(apps, start, until, Path(tmp), known=run.known):
                    run.take(fetched)
                run.close_group()
                run.group = None
    except ConnectorError as exc:
        run.outcome.result = "failed"
        run.outcome.message = base.redact(str(exc))
    except ImportFailed as exc:
        run.outcome.result = "failed"
        run.outcome.message = base.redact(
            exc.render() + "\nThe files before it are imported; fix the cause and sync again "
            "(the sync continues from this file)."
        )
    except BaseException as exc:
        run.outcome.result = "failed"
        run.outcome.message = f"The sync stopped ({type(exc).__name__}); sync again."
        try:
            _finish_run(run_id, run.outcome, db)
        finally:
            raise
    outcome = run.outcome
    counts = f"{outcome.imported} file(s) imported, {outcome.unchanged} unchanged"
    if outcome.result == "ok":
        outcome.message = f"Synced: {counts}."
        say(f"{connection.name}: {outcome.message}")
    else:
        say(f"{connection.name}: FAILED after {counts}: {outcome.message}")
    _finish_run(run_id, outcome, db)
    return outcome


def sync(
    names: Sequence[str],
    everything: bool = False,
    since: date | None = None,
    db: Path | str | None = None,
    say: Say = print,
    actor: auth.Actor | None = None,
) -> list[Outcome]:
    """Sync the named connections (or all of them) as `actor`; one Outcome each."""
    auth.require(actor, "sync")
    stored = connections.all_connections(db)
    if everything or not names:
        chosen = stored
        if not chosen:
            raise UsageError(
                "There are no connections yet; add one with `installpulse connect add`."
            )
    else:
        by_name = {c.name: c for c in stored}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise UsageError(
                f"No connection named {', '.join(repr(m) for m in missing)}; see "
                "`installpulse connect list`."
            )
        chosen = [by_name[n] for n in dict.fromkeys(names)]
    return [sync_connection(c, db, since, say, actor=actor) for c in chosen]
