"""The `connect` and `sync` commands (registered into pipelines.cli's parser).

    installpulse connect add asc NAME --issuer-id ID --key-id ID --key-file AuthKey.p8 --app 123
    installpulse connect add sensortower NAME --secret-env SENSORTOWER_TOKEN --app 284882215
    installpulse connect list | test NAME | remove NAME
    installpulse sync [NAME ...] [--all] [--since YYYY-MM-DD]

Each kind's options come from its `Kind` (pipelines/connectors/base.py), so a new kind needs
no change here. Exit codes as for `ingest`: 0, 1 (a failure, the sentence on stderr), 2
(usage), 3 (database busy).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from pipelines import auth, cli
from pipelines.connectors import base
from pipelines.errors import UsageError


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from exc


def cmd_connect(args: argparse.Namespace) -> int:
    from pipelines.connectors import connections

    command = args.connect_command or "list"
    if command == "add":
        common = argparse.ArgumentParser(add_help=False)
        common.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH")
        own = kind_parser(args.kind, common).parse_args(args.rest)
        for key, value in vars(own).items():
            setattr(args, key, value)
        spec = base.kinds()[args.kind]
        options: dict[str, Any] = {}
        for option in spec.options:
            value = getattr(args, f"opt_{option.key}", None)
            if value is not None:
                options[option.key] = value
        secret = connections.secret_ref(args.key_file, args.secret_env, args.kind)
        apps = [a for item in args.app or [] for a in item.split(",")]
        connection, warnings = connections.add(
            args.name, args.kind, options, secret, apps, args.db, actor=auth.local_actor()
        )
        print(
            f"Added connection '{connection.name}' ({spec.label}) for "
            f"{len(connection.apps)} app(s); its secret is read from the "
            f"{connection.secret.describe()} when it syncs (never stored). "
            f"Check it with `installpulse connect test {connection.name}`."
        )
        for warning in warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return 0
    if command == "list":
        rows = []
        for c in connections.all_connections(args.db):
            rows.append(
                {
                    "name": c.name,
                    "kind": c.kind,
                    "apps": ",".join(c.apps),
                    "secret": c.secret.describe(),
                    "last_sync": str(c.last_sync or "")[:16],
                    "result": c.last_result or "never synced",
                    "message": (c.last_message or "").splitlines()[0][:120]
                    if c.last_message
                    else "",
                }
            )
        if args.format == "json":
            import json

            print(json.dumps(rows, indent=1))
        elif not rows:
            print("No connections; add one with `installpulse connect add`.")
        else:
            import polars as pl

            cli._print_frame(pl.DataFrame(rows), args.format)
        return 0
    if command == "test":
        connection = connections.get(args.name, args.db)
        for warning in connection.secret.warnings():
            print(f"warning: {warning}", file=sys.stderr)
        try:
            print(f"{connection.name}: {base.redact(connection.connector().test())}")
        except base.ConnectorError as exc:
            print(f"{connection.name}: {base.redact(str(exc))}", file=sys.stderr)
            return 1
        return 0
    if command == "remove":
        print(connections.remove(args.name, args.db, actor=auth.local_actor()))
        return 0
    raise AssertionError(command)


def cmd_sync(args: argparse.Namespace) -> int:
    from pipelines import sync

    if args.all and args.names:
        print("installpulse: give connection names or --all, not both.", file=sys.stderr)
        return 2
    outcomes = sync.sync(
        args.names,
        args.all,
        args.since,
        args.db,
        say=lambda line: print(line, flush=True),
        actor=auth.local_actor(),
    )
    failed = [o for o in outcomes if o.result != "ok"]
    for outcome in failed:
        print(f"{outcome.name}: {outcome.message}", file=sys.stderr)
    return 1 if failed else 0


def kind_parser(
    kind: str, common: argparse.ArgumentParser | None = None
) -> argparse.ArgumentParser:
    """`connect add KIND`'s own options, built when that command runs: the kinds' modules
    (and requests, PyJWT) are then imported only by the command that needs them."""
    spec = base.kinds().get(kind)
    if spec is None:
        raise UsageError(f"connections of kind '{kind}' are not available in this installpulse.")
    k = cli.Parser(
        prog=f"installpulse connect add {kind}",
        description=spec.label,
        parents=[common] if common is not None else [],
    )
    k.add_argument("name", metavar="NAME", help="a name for this connection")
    k.add_argument("--app", action="append", metavar="ID", help=f"{spec.apps_help} (repeat or a,b)")
    if "file" in spec.secret_sources:
        k.add_argument("--key-file", metavar="PATH", help=f"path of {spec.secret}")
    if "env" in spec.secret_sources:
        k.add_argument(
            "--secret-env",
            metavar="NAME",
            help=f"name of the environment variable holding {spec.secret}",
        )
    k.set_defaults(key_file=None, secret_env=None)
    for option in spec.options:
        help_text = option.help + (f" (default {option.default})" if option.default else "")
        k.add_argument(
            f"--{option.key.replace('_', '-')}",
            dest=f"opt_{option.key}",
            metavar="DATE" if option.kind == "date" else "VALUE",
            help=help_text,
        )
    return k


def register(sub: Any, common: argparse.ArgumentParser, out: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "connect", parents=[common], help="connections to App Store Connect, Sensor Tower, ..."
    )
    c_sub = p.add_subparsers(dest="connect_command")
    add = c_sub.add_parser(
        "add",
        parents=[common],
        help="store a connection (no secret stored)",
        description="installpulse connect add KIND NAME --app ID ... (installpulse connect add "
        "KIND --help lists the kind's options)",
    )
    add.add_argument(
        "kind", choices=base.KIND_NAMES, metavar="KIND", help=" | ".join(base.KIND_NAMES)
    )
    add.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    lst = c_sub.add_parser("list", parents=[common, out], help="list connections")
    lst.set_defaults(format="table")
    t = c_sub.add_parser("test", parents=[common], help="sign in and say what is visible")
    t.add_argument("name", metavar="NAME")
    r = c_sub.add_parser("remove", parents=[common], help="forget a connection")
    r.add_argument("name", metavar="NAME")
    p.set_defaults(func=cmd_connect, format="table")

    s = sub.add_parser("sync", parents=[common], help="fetch and import what is new")
    s.add_argument("names", nargs="*", metavar="NAME", help="connections (default: all)")
    s.add_argument("--all", action="store_true", help="every connection (for cron)")
    s.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="fetch from this day (default: after the last day held per app)",
    )
    s.set_defaults(batch=True, func=cmd_sync)


cli.EXTRA_COMMANDS.append(register)
