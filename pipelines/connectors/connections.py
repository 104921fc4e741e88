"""Stored connections (`installpulse connect ...`): add, list, get, remove; their sync state.

What is stored (schema v005): name, kind, the kind's options as JSON, a secret *reference*
and the apps. `add` refuses anything that looks like a secret where a reference belongs (an
environment variable name that is not a name, an option value that is the secret itself:
options are checked against the resolved secret when it can be read).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipelines import auth, sql, store
from pipelines.connectors import base
from pipelines.connectors.base import ConnectorError, SecretRef
from pipelines.errors import UsageError
from pipelines.ops import transaction

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class Connection:
    """One stored connection."""

    connection_id: int
    name: str
    kind: str
    config: dict[str, Any]
    secret: SecretRef
    apps: tuple[str, ...]
    last_sync: Any = None
    last_result: str | None = None
    last_message: str | None = None
    last_files_imported: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def connector(self) -> base.Connector:
        """The connector; the config it gets also carries the apps (for `test`)."""
        return base.connector_for(self.kind, {**self.config, "apps": list(self.apps)}, self.secret)


def _option_value(option: base.Option, value: Any) -> Any:
    if value is None or value == "" or value == []:
        if option.required:
            raise UsageError(f"--{option.key.replace('_', '-')} is required ({option.help}).")
        value = option.default
        if value is None:
            return None
    if option.kind == "list":
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        items = [str(i).strip() for i in items if str(i).strip()]
        for item in items:
            if option.choices and item not in option.choices:
                raise UsageError(
                    f"--{option.key.replace('_', '-')}: '{item}' is not one of "
                    f"{', '.join(option.choices)}."
                )
        return items
    text = str(value).strip()
    if option.choices and text not in option.choices:
        raise UsageError(
            f"--{option.key.replace('_', '-')}: '{text}' is not one of {', '.join(option.choices)}."
        )
    if option.kind == "date":
        try:
            date.fromisoformat(text)
        except ValueError as exc:
            raise UsageError(
                f"--{option.key.replace('_', '-')}: not an ISO date (YYYY-MM-DD): {text!r}."
            ) from exc
    return text


def secret_ref(key_file: str | None, secret_env: str | None, kind: str) -> SecretRef:
    """The reference `connect add` was given: exactly one of a key file and a variable name."""
    spec = base.kinds()[kind]
    if bool(key_file) == bool(secret_env):
        raise UsageError(
            f"Give where {spec.secret} is: --key-file PATH or --secret-env VARIABLE_NAME "
            "(exactly one; never the secret itself)."
        )
    if key_file:
        if "file" not in spec.secret_sources:
            raise UsageError(f"A {kind} connection reads its secret from --secret-env.")
        path = Path(key_file).expanduser()
        if not path.is_file():
            raise UsageError(
                f"The key file {path} does not exist (or is not a file); give the path of "
                f"{spec.secret}."
            )
        return SecretRef.file(path)
    assert secret_env is not None
    if "env" not in spec.secret_sources:
        raise UsageError(f"A {kind} connection reads its secret from --key-file.")
    try:
        return SecretRef.env(secret_env)
    except ConnectorError as exc:
        raise UsageError(str(exc)) from exc


def add(
    name: str,
    kind: str,
    options: dict[str, Any],
    secret: SecretRef,
    apps: list[str],
    db: Path | str | None = None,
    actor: auth.Actor | None = None,
) -> tuple[Connection, list[str]]:
    """Store a new connection; (it, warnings). Nothing is fetched (see `connect test`).
    `actor` (default: the local admin) must be an admin; recorded as who created it."""
    who = auth.require(actor, "connections").id
    kinds = base.kinds()
    if kind not in kinds:
        raise UsageError(f"'{kind}' is not a connection kind ({', '.join(sorted(kinds))}).")
    if not _NAME.match(name):
        raise UsageError(
            f"'{name}' is not a connection name: 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    spec = kinds[kind]
    config: dict[str, Any] = {}
    for option in spec.options:
        value = _option_value(option, options.get(option.key))
        if value is not None:
            config[option.key] = value
    unknown = sorted(set(options) - {o.key for o in spec.options})
    if unknown:
        raise UsageError(f"A {kind} connection has no option(s) {', '.join(unknown)}.")
    apps = [a.strip() for a in apps if a and a.strip()]
    apps = list(dict.fromkeys(apps))
    if not apps:
        raise UsageError(f"Name at least one app with --app ({spec.apps_help}).")
    _refuse_secret_in(config, apps, secret)
    with transaction(db) as con:
        if sql.run(con, "connect_get", conn_name=name):
            raise UsageError(
                f"A connection named '{name}' exists already; remove it first "
                f"(`installpulse connect remove {name}`) or choose another name."
            )
        sql.run(
            con,
            "connect_insert",
            conn_name=name,
            kind=kind,
            config=json.dumps(config, sort_keys=True),
            secret_ref=secret.stored(),
            apps=apps,
            actor=who,
        )
    return get(name, db), secret.warnings()


def _refuse_secret_in(config: dict[str, Any], apps: list[str], secret: SecretRef) -> None:
    """An option or app that *is* the secret (pasted in the wrong place) is never stored."""
    try:
        value = secret.resolve()
    except ConnectorError:
        return  # not readable now (a variable set only where sync runs): nothing to compare
    pieces = {value, *(line.strip() for line in value.splitlines() if len(line.strip()) >= 12)}
    given = [str(v) for v in config.values() if not isinstance(v, list)]
    given += [str(i) for v in config.values() if isinstance(v, list) for i in v] + apps
    if any(g and g in pieces for g in given):
        raise UsageError(
            "An option or app given is the secret itself; installpulse stores only where the "
            "secret is (--key-file PATH or --secret-env NAME). Nothing was stored."
        )


def _row_to_connection(row: dict[str, Any]) -> Connection:
    return Connection(
        int(row["connection_id"]),
        row["name"],
        row["kind"],
        json.loads(row["config"]),
        SecretRef.parse(row["secret_ref"]),
        tuple(row["apps"] or ()),
        row.get("last_sync"),
        row.get("last_result"),
        row.get("last_message"),
        row.get("last_files_imported"),
    )


def all_connections(db: Path | str | None = None) -> list[Connection]:
    with store.connect(db) as con:
        rows = sql.frame(con, "connect_list").to_dicts()
    return [_row_to_connection(r) for r in rows]


def get(name: str, db: Path | str | None = None) -> Connection:
    found = [c for c in all_connections(db) if c.name == name]
    if not found:
        raise UsageError(f"There is no connection named '{name}'; see `installpulse connect list`.")
    return found[0]


def remove(name: str, db: Path | str | None = None, actor: auth.Actor | None = None) -> str:
    """Forget a connection, its state and its runs. What it imported stays (undo that with
    `installpulse undo`). Admins only (`actor`, default: the local admin)."""
    auth.require(actor, "connections")
    connection = get(name, db)
    with transaction(db) as con:
        for statement in sql.split_statements(sql.load("connect_remove")):
            sql.run_text(con, statement, connection_id=connection.connection_id)
    return (
        f"Removed connection '{name}'. The data it imported stays; "
        "`installpulse imports` lists it and `installpulse undo` removes an import."
    )


def runs(connection: Connection, db: Path | str | None = None, limit: int = 20) -> list[dict]:
    with store.connect(db) as con:
        return sql.frame(
            con, "connect_runs", connection_id=connection.connection_id, limit=limit
        ).to_dicts()
