"""The `installpulse` command line (also `python -m pipelines`).

Exit codes: 0 success; 1 a data or request error (the located message is on stderr);
2 a usage error (bad arguments); 3 the database is in use by another process for longer than
INSTALLPULSE_LOCK_WAIT seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import duckdb
import polars as pl

from pipelines import auth, csvout, ops, settings, store
from pipelines.errors import DatabaseBusy, ImportFailed, InstallpulseError, UsageError

if TYPE_CHECKING:
    from pipelines import contract
    from pipelines.adapters.base import IngestOptions

# The import, events, demo and recovery modules (and `requests`, the adapters) are imported by
# the commands that use them: every command starts a fresh process, and loading them all cost
# 0.08 s of e.g. `installpulse spikes` (issue 6: under 1 s).


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from exc


def _print_frame(frame: pl.DataFrame, fmt: str = "table") -> None:
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    if fmt != "json" and lists:
        frame = frame.with_columns(pl.col(c).cast(pl.List(pl.String)).list.join(";") for c in lists)
    if fmt == "json":
        print(json.dumps(frame.to_dicts(), default=str, indent=1))
    elif fmt == "csv":
        csvout.write(frame, sys.stdout)
    else:
        with pl.Config(
            tbl_rows=-1,
            tbl_cols=-1,
            fmt_str_lengths=60,
            tbl_width_chars=160,
            tbl_hide_dataframe_shape=True,
            tbl_hide_column_data_types=True,
        ):
            print(frame)


def _ingest_url(url: str, db: str | None, options: IngestOptions) -> contract.ImportResult:
    """Download under every fetch limit into a private temp folder, then import as a file."""
    from pipelines import contract, fetch

    with tempfile.TemporaryDirectory(prefix="installpulse-fetch-") as tmp:
        path, name = fetch.download(url, tmp)
        return contract.ingest_file(path, db, options, name=name, actor=auth.local_actor())


def cmd_ingest(args: argparse.Namespace) -> int:
    from pipelines import contract, event_formats, events, fetch
    from pipelines.adapters.base import IngestOptions

    options = IngestOptions(
        format=args.format,
        platform=args.platform,
        app=args.app,
        country=args.country,
        source=args.source,
        metric=args.metric,
        date_order=args.date_order,
        encoding=args.encoding,
    )
    failed = 0
    for item in args.files:
        try:
            if args.events:
                # Appfigures events JSON or the annotation CSV, told apart by content.
                with open(item, "rb") as fh:
                    first = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
                if first in (b"{", b"["):
                    status, import_id, count = event_formats.import_appfigures(
                        item, args.db, actor=auth.local_actor()
                    )
                else:
                    status, import_id, count = events.import_csv(
                        item, args.db, actor=auth.local_actor()
                    )
                print(f"{Path(item).name}: {status} (#{import_id}), {count} events.")
                continue
            if fetch.is_url(item):
                result = _ingest_url(item, args.db, options)
            else:
                result = contract.ingest_file(item, args.db, options, actor=auth.local_actor())
        except ImportFailed as exc:
            print(exc.render(), file=sys.stderr)
            failed += 1
            continue
        except FileNotFoundError:
            print(f"{item}: no such file.", file=sys.stderr)
            failed += 1
            continue
        print(result.summary())
        for notice in result.notices:
            print(f"  note: {notice}")
    return 1 if failed else 0


def cmd_imports(args: argparse.Namespace) -> int:
    frame = ops.imports(args.db, args.limit)
    _print_frame(
        # (the table keeps to what fits a terminal: who imported, not the encoding or the undo)
        frame.drop("sha256", "archive_path", "message", "encoding", "undone_by", "undone_at")
        if args.format == "table"
        else frame,
        args.format,
    )
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    print(ops.undo(args.import_id, args.db, actor=auth.local_actor()))
    return 0


def cmd_apps(args: argparse.Namespace) -> int:
    if args.apps_command == "alias":
        print(ops.alias(args.store_id, args.name, args.db, actor=auth.local_actor()))
    elif args.apps_command == "rename":
        print(ops.rename_app(args.old, args.new, args.db))
    else:
        _print_frame(ops.apps(args.db), args.format)
    return 0


def cmd_metrics(args: argparse.Namespace) -> int:
    if args.metrics_command == "add":
        print(
            ops.add_metric(
                args.name,
                args.kind,
                args.unit,
                args.definition,
                not args.decimal,
                args.signed,
                args.db,
            )
        )
    else:
        _print_frame(ops.metrics(args.db), args.format)
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from pipelines import events

    command = args.events_command or "list"
    if command == "list":
        _print_frame(
            events.list_events(args.db, app=args.app, tag=args.tag, text=args.search), args.format
        )
    elif command == "add":
        event_id = events.add(
            events.Event(
                args.start,
                args.title,
                args.end,
                args.description,
                args.tag or [],
                args.app or [],
                args.approximate,
            ),
            args.db,
            actor=auth.local_actor(),
        )
        print(f"Added event #{event_id}.")
    elif command == "delete":
        events.delete(args.event_id, args.db, actor=auth.local_actor())
        print(f"Deleted event #{args.event_id}.")
    elif command == "export":
        sys.stdout.buffer.write(events.export_csv(args.db))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipelines import demo

    # Say where: an installed installpulse writes to the user's data folder, which a newcomer
    # who ran `installpulse demo` from some folder would otherwise have to look up.
    where = settings.db_path(args.db)
    shown = where if str(where).startswith("ducklake:") else where.resolve()
    if args.if_empty and not demo.is_empty(args.db):
        print(f"The database already holds data; demo not loaded. Database: {shown}")
        return 0
    for line in demo.load(args.db, actor=auth.local_actor()):
        print(line)
    print(f"Database: {shown}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from pipelines import recovery

    done = recovery.clean(args.db)  # (*.part copies, empty <db>.tmp/, 'running' rows)
    print("Cleaned up after interrupted imports:" if done else
          "No leftovers of interrupted imports.")  # fmt: skip
    for line in done:
        print(line)
    info = recovery.marker(args.db)
    if info:
        print(
            f"A corrupt write-ahead log was set aside on {info['at']} "
            f"({info['quarantined_wal']}); writes after the last checkpoint were lost."
        )
    lost = recovery.orphans(args.db)
    if not lost:
        print("Every archived file is in the import history; nothing to re-run.")
    for orphan in lost:
        print(f"  not in the database: {orphan.file_name} (archived {orphan.archived_at})")
    if args.replay:
        for line in recovery.replay(args.db):
            print(line)
    elif lost:
        print("Re-run them with `installpulse recover --replay`.")
    return 0


def cmd_precompute(args: argparse.Namespace) -> int:
    from pipelines import precompute

    if args.all:
        written = precompute.rebuild_all(args.db)
        print(f"Stored spike scores rebuilt: {written:,} series-days; Overview rankings rebuilt.")
    found = precompute.read_state(args.db)
    if not found.is_filled:
        print(
            "No stored spike scores yet (a database migrated from an older schema): pages score "
            "on the fly. Run `installpulse precompute --all`, or import, to store them."
        )
    elif found.last_date is None:
        print("The database is empty: nothing to score.")
    else:
        print(
            f"Spike scores stored from {found.horizon_start} to {found.last_date} "
            f"(computed {found.computed_at:%Y-%m-%d %H:%M:%S}); kept up to date by every "
            "import and undo."
        )
    return 0


def cmd_formats(args: argparse.Namespace) -> int:
    from pipelines.adapters import ADAPTERS

    for adapter in ADAPTERS:
        print(f"{adapter.name}: {adapter.label}\n    {adapter.how_to_get}")
    return 0


# `.streamlit/config.toml` is read from the working directory of `streamlit run`, which an
# installed app does not have: `installpulse app` passes the same settings as flags
# (tests/packaging checks that the two agree).
STREAMLIT_OPTIONS: dict[str, bool | int | str] = {
    "server.address": "127.0.0.1",  # the default of --address, passed from there
    "server.headless": True,
    "server.maxUploadSize": 500,
    "server.enableXsrfProtection": True,
    "runner.postScriptGC": False,
    "browser.gatherUsageStats": False,
    "client.toolbarMode": "minimal",
    "theme.base": "light",
}


def app_command(address: str, port: int) -> list[str]:
    """`streamlit run` on the packaged entry (app_pages/main.py) with the app's settings.

    The entry is located without importing it: pipelines never imports streamlit."""
    spec = importlib.util.find_spec("app_pages.main")
    if spec is None or spec.origin is None:
        raise UsageError("the Streamlit app (app_pages) is not installed with installpulse")
    command = [sys.executable, "-m", "streamlit", "run", spec.origin]
    for name, value in STREAMLIT_OPTIONS.items():
        if name == "server.address":
            continue  # the caller's address (default: this one) ends the command
        text = str(value).lower() if isinstance(value, bool) else str(value)
        command += [f"--{name}", text]
    return [*command, "--server.address", address, "--server.port", str(port)]


def cmd_app(args: argparse.Namespace) -> int:
    # A server other machines can reach must sign people in (the app refuses too, per page).
    signed = auth.signing_in_from(auth.secrets_files(Path.cwd()))
    refusal = auth.exposure_refusal(args.address, signed)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 1
    command = app_command(args.address, args.port)
    env = dict(os.environ)
    if args.db:
        env["INSTALLPULSE_DB"] = str(Path(args.db).resolve())
    print(f"Database: {settings.db_path(env.get('INSTALLPULSE_DB'))}", flush=True)
    if os.name == "posix":
        # Streamlit replaces this process, so a Ctrl-C or a kill reaches the server itself.
        os.execve(sys.executable, command, env)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:  # Ctrl-C reached the server too; it stops on its own
        return 0


def cmd_maintain(args: argparse.Namespace) -> int:
    from pipelines import lake

    for line in lake.maintain(settings.db_path(args.db), args.older_than):
        print(line)
    return 0


def cmd_lake_copy(args: argparse.Namespace) -> int:
    from pipelines import lake

    for line in lake.copy_store(args.source, args.target):
        print(line)
    return 0


class Parser(argparse.ArgumentParser):
    """argparse, except that a value starting with '-' and a digit is a value.

    Stock argparse (before Python 3.13) takes `-2+3` or `-1e3` for an unknown option unless
    it is exactly a number, so `events add --description -2+3` failed with "expected one
    argument". Here every token that starts with '-' and a digit (or '-.' and a digit) is
    a value; no installpulse option looks like that. A value starting
    with '-' and a letter is still read as an option: the error says to write --option=VALUE.
    Sub-command parsers are made with this class too (add_parser uses the parent's class).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str) -> NoReturn:
        option = re.match(r"argument (--[\w-]+)(?:/\S+)?: expected one argument", message)
        if option:
            message += f" (for a value that starts with '-', write {option.group(1)}=VALUE)"
        super().error(message)


def _port(text: str) -> int:
    port = int(text) if text.isdigit() else 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a TCP port (1-65535): {text!r}")
    return port


def build_parser() -> argparse.ArgumentParser:
    db_help = (
        f"database file (default: INSTALLPULSE_DB or "
        f"{settings.SETTINGS['INSTALLPULSE_DB'].default})"
    )
    # Sub-commands accept --db too; SUPPRESS keeps a --db given before the sub-command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, metavar="PATH", help=db_help)
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--format", choices=["table", "csv", "json"], default="table")

    parser = Parser(
        prog="installpulse",
        description="Store, compare and chart app install/uninstall series.",
    )
    parser.add_argument("--db", default=None, metavar="PATH", help=db_help)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="import files (all-or-nothing each)")
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="export files, or http(s) URLs to download first (README: Limits and bad inputs)",
    )
    p.add_argument("--format", help="force a format (see `installpulse formats`)")
    p.add_argument("--platform", help="platform for files without one (ios, android, ...)")
    p.add_argument("--app", help="app for files without an app column")
    p.add_argument("--country", help="country for files without one (default WW)")
    p.add_argument("--source", help="source for files without one (default generic)")
    p.add_argument("--metric", help="metric for formats whose file does not name it")
    p.add_argument(
        "--date-order",
        choices=["dmy", "mdy", "ymd"],
        help="day/month order for locale dates that are ambiguous",
    )
    p.add_argument("--encoding", help="text encoding when the bytes do not say (e.g. cp1252)")
    p.add_argument("--events", action="store_true", help="the files are event annotation CSVs")
    p.set_defaults(batch=True, func=cmd_ingest)

    p = sub.add_parser("imports", parents=[common, out], help="import history")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_imports)

    p = sub.add_parser("undo", parents=[common], help="undo one import")
    p.add_argument("import_id", type=int, metavar="IMPORT_ID")
    p.set_defaults(func=cmd_undo)

    p = sub.add_parser("apps", parents=[common, out], help="list apps; alias store identifiers")
    apps_sub = p.add_subparsers(dest="apps_command")
    a = apps_sub.add_parser("alias", parents=[common], help="map a store identifier to a name")
    a.add_argument("store_id", metavar="STORE_ID")
    a.add_argument("name", metavar="NAME")
    a = apps_sub.add_parser("rename", parents=[common], help="rename an app")
    a.add_argument("old")
    a.add_argument("new")
    p.set_defaults(func=cmd_apps)

    p = sub.add_parser("metrics", parents=[common, out], help="the metric catalogue")
    m_sub = p.add_subparsers(dest="metrics_command")
    m = m_sub.add_parser("add", parents=[common], help="add a metric")
    m.add_argument("name")
    m.add_argument("--kind", choices=["event", "level"], required=True)
    m.add_argument("--unit", default="count")
    m.add_argument("--definition", default="user-defined metric")
    m.add_argument("--decimal", action="store_true", help="values may have decimals")
    m.add_argument("--signed", action="store_true", help="values may be negative")
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("events", parents=[common, out], help="event annotations")
    e_sub = p.add_subparsers(dest="events_command")
    e = e_sub.add_parser("list", parents=[common, out])
    e.add_argument("--app")
    e.add_argument("--tag")
    e.add_argument("--search")
    e = e_sub.add_parser("add", parents=[common])
    e.add_argument("--start", type=_date, required=True)
    e.add_argument("--end", type=_date)
    e.add_argument("--title", required=True)
    e.add_argument("--description", default="")
    e.add_argument("--tag", action="append")
    e.add_argument("--app", action="append")
    e.add_argument("--approximate", action="store_true")
    e = e_sub.add_parser("delete", parents=[common])
    e.add_argument("event_id", type=int)
    e_sub.add_parser("export", parents=[common])
    p.set_defaults(func=cmd_events, app=None, tag=None, search=None)

    p = sub.add_parser("demo", parents=[common], help="load the illustrative demo dataset")
    p.add_argument("--if-empty", action="store_true", help="only when the database is empty")
    p.set_defaults(batch=True, func=cmd_demo)

    p = sub.add_parser(
        "recover",
        parents=[common],
        help="clean up after interrupted imports; after a corrupt WAL, list (and --replay) "
        "the archived imports the database lost",
    )
    p.add_argument("--replay", action="store_true", help="re-import them from the archive")
    p.set_defaults(batch=True, func=cmd_recover)

    p = sub.add_parser(
        "precompute",
        parents=[common],
        help="the stored spike scores and Overview rankings: what they cover; --all rebuilds them",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="recompute every stored score and ranking (after a migration from schema 8)",
    )
    p.set_defaults(batch=True, func=cmd_precompute)

    p = sub.add_parser(
        "app", parents=[common], help="start the dashboard (Streamlit) from the installed package"
    )
    p.add_argument("--port", type=_port, default=8501, help="TCP port (default 8501)")
    p.add_argument(
        "--address",
        default=STREAMLIT_OPTIONS["server.address"],
        help="address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 exposes the "
        "app and its uploads to the network)",
    )
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("formats", help="list the import formats")
    p.set_defaults(func=cmd_formats)

    p = sub.add_parser(
        "maintain",
        parents=[common],
        help="on a lake: compact small files, expire old snapshots, delete unneeded files; "
        "on a file: checkpoint (README 'Scaling out')",
    )
    p.add_argument(
        "--older-than",
        type=float,
        default=7.0,
        metavar="DAYS",
        help="expire snapshots (and delete files unneeded) older than this (default 7 days)",
    )
    p.set_defaults(batch=True, func=cmd_maintain)

    p = sub.add_parser("lake", help="move data between a DuckDB file and a lake")
    lake_sub = p.add_subparsers(dest="lake_command", required=True)
    c = lake_sub.add_parser(
        "copy", help="copy every table into an empty store, ids kept, in one transaction"
    )
    c.add_argument("--from", dest="source", required=True, metavar="SRC",
                   help="a database file or a lake address (ducklake:postgres:...)")  # fmt: skip
    c.add_argument("--to", dest="target", required=True, metavar="DST",
                   help="an empty (or new) database file or lake address")  # fmt: skip
    p.set_defaults(batch=True, func=cmd_lake_copy)

    for register in EXTRA_COMMANDS:
        register(sub, common, out)
    return parser


# Analytics commands (series, spikes, study) register themselves here.
EXTRA_COMMANDS: list = []


def run() -> int:
    """The `installpulse` command (its console script and `python -m pipelines`): `main` in a
    process of its own, in which pandas is never imported.

    DuckDB 1.5.5 imports pandas the first time a statement binds a parameter, only to ask
    whether the value is ``pandas.NaT`` or ``pandas.NA`` (duckdb-python v1.5.5
    src/duckdb_py/native/python_conversion.cpp, ``GetPythonObjectType``). installpulse binds
    every SQL value and has no pandas object outside the app, so each command paid pandas's
    import: 0.55 s and 87 MB of a 1.1 s import at size S (``python -c "import duckdb; duckdb.
    connect().execute('select $v', {'v': 1})"`` takes 0.73 s, 0.19 s without the parameter).
    Marking pandas absent makes DuckDB, polars and plotly treat it as not installed (each
    asks with a guarded import), which is what it is to this process. Not in `main`: tests
    and the app call `main` in processes that use pandas."""
    if "pandas" not in sys.modules:
        sys.modules["pandas"] = None  # type: ignore[assignment]
    return main(console=True)


def yield_cpu() -> int:
    """Give up INSTALLPULSE_BATCH_NICE of CPU priority (``os.nice``): the commands that write in
    bulk (their parsers set ``batch``) run beside a shared app on the same machine, whose
    sessions should not wait while an import takes both cores - DuckDB's threads inherit the
    priority, and the import still uses every idle moment. Returns the niceness now."""
    raw = settings.get("INSTALLPULSE_BATCH_NICE").strip() or "0"
    try:
        step = int(raw)
    except ValueError:
        raise UsageError(
            f"INSTALLPULSE_BATCH_NICE must be a whole number from 0 to 19, not {raw!r}"
        ) from None
    if not 0 <= step <= 19:
        raise UsageError(f"INSTALLPULSE_BATCH_NICE must be from 0 to 19, not {step}")
    if not hasattr(os, "nice"):  # (Windows: no such priority)
        return 0
    niceness = os.nice(step)
    # Linux keeps a priority per thread, and the threads polars and DuckDB started before
    # this call keep theirs: lower each (threads started later inherit it from their maker).
    tasks = Path("/proc/self/task")
    if step and tasks.is_dir():
        for tid in tasks.iterdir():
            with contextlib.suppress(OSError, ValueError):  # (a thread that just ended)
                os.setpriority(os.PRIO_PROCESS, int(tid.name), niceness)
    return niceness


def main(argv: Sequence[str] | None = None, *, console: bool = False) -> int:
    """Run one command. ``console``: this process is the command's own (`run`), which may
    change process-wide things such as its CPU priority; tests and the app call it without."""
    try:
        from pipelines import analysis_cli  # noqa: F401  (registers series/spikes/study)
    except ImportError:
        pass
    from pipelines import alerts_cli  # noqa: F401  (registers alerts)
    from pipelines.connectors import cli as _connect  # noqa: F401  (registers connect/sync)

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if console and getattr(args, "batch", False):
            yield_cpu()
        return int(args.func(args) or 0)
    except DatabaseBusy as exc:
        print(str(exc), file=sys.stderr)
        return 3
    except ImportFailed as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"installpulse: {exc}", file=sys.stderr)
        return 1
    except InstallpulseError as exc:
        print(f"installpulse: {exc}", file=sys.stderr)
        return 1
    except (MemoryError, RuntimeError, duckdb.Error) as exc:
        shortage = store.memory_shortage(exc)  # (an import's is an ImportFailed already)
        if shortage is None:
            raise
        print(f"installpulse: not enough memory: {shortage[0]}. {shortage[1]}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
