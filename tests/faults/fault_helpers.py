"""Helpers of the fault suite: run the real CLI in a subprocess, stop it at a named fault point
(pipelines/faults.py: INSTALLPULSE_FAULT), and compare database states.

A state is one order-independent checksum per table over the columns that say what the data is
(timestamps, which differ between two runs of the same command, are left out; the import
history counts only committed rows: a 'running' row is what a killed import leaves, and a
'failed' one what `recover` makes of it). Comparing the state after a kill with the state
before the command and the state after an uninterrupted run of it on a copy is the
all-or-nothing check: every table must match one of them, and all tables the same one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines import sql, store
from tests.conftest import REPO

# Bounds, not timings: a subprocess that needs longer than this is a failure.
RUN_LIMIT = 120


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "INSTALLPULSE_FAULT"}
    env.update(extra)
    return env


def cli(*args: str, fault: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`installpulse ARGS` in a new process (killed at `fault` when given)."""
    if fault:
        env["INSTALLPULSE_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=REPO,
        env=cli_env(**env),
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT,
    )


def killed_at(point: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `installpulse ARGS` and check it died by SIGKILL at `point`."""
    store.release_all()  # this process must not hold the file the child opens
    done = cli(*args, fault=point)
    assert done.returncode == -signal.SIGKILL, (point, done.returncode, done.stderr[-2000:])
    return done


def start(*args: str, fault: str | None = None, **env: str) -> subprocess.Popen[str]:
    if fault:
        env["INSTALLPULSE_FAULT"] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", *args],
        cwd=REPO,
        env=cli_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_stopped(proc: subprocess.Popen[str]) -> None:
    """Wait until `proc` suspended itself at its fault point (state T in /proc), or fail."""
    deadline = time.monotonic() + RUN_LIMIT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before its fault point: "
                                 f"{proc.stderr.read() if proc.stderr else ''}")  # fmt: skip
        stat = Path(f"/proc/{proc.pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "T":
            return
        time.sleep(0.02)
    raise AssertionError("the process never reached its fault point")


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=RUN_LIMIT)
    return proc.returncode, out, err


_TABLE_SQL = (
    "select table_name from duckdb_tables() where not temporary and schema_name = 'main' "
    "order by table_name"
)


def state(db: Path) -> dict[str, tuple[int, int]]:
    """(rows, checksum) per table, timestamps left out; imports: committed rows only."""
    out: dict[str, tuple[int, int]] = {}
    with store.connect(db) as con:
        for (table,) in sql.run_text(con, _TABLE_SQL):
            cols = [
                name
                for name, kind in sql.run_text(
                    con,
                    "select column_name, data_type from duckdb_columns() "
                    "where table_name = $t and schema_name = 'main' order by column_index",
                    t=table,
                )
                if not kind.startswith("TIMESTAMP")
                and name not in ("message", "installpulse_version", "archive_path")
            ]
            where = "where status in ('ok', 'undone')" if table == "imports" else ""
            columns = ", ".join(f'"{c}"' for c in cols)  # names from the catalogue
            count, total = sql.run_text(
                con,
                f'select count(*), coalesce(sum(hash({columns}))::hugeint, 0) from "{table}" '  # noqa: S608
                f"{where}",
            )[0]
            out[table] = (int(count), int(total))
    store.release_all()
    return out


def contents(db: Path) -> dict[str, object]:
    """What the data says, independent of ids and timestamps: observations by series key,
    identifiers by app name, events, and the committed imports by file name - to compare a
    retried operation with one that was never interrupted."""
    queries = {
        "observations": "select sum(hash(s.identifier, s.platform, s.country, s.metric, "
        "s.source, o.date, o.value))::hugeint, count(*) from observations o join series s "
        "using (series_id)",
        "replaced": "select count(*) from replaced_observations",
        "identifiers": "select list(x order by x) from (select a.name || '=' || i.identifier as x "
        "from identifiers i join apps a using (app_id))",
        "events": "select sum(hash(start_date, end_date, title, description))::hugeint, count(*) "
        "from events",
        "imports": "select list(file_name || ':' || status order by import_id) from imports "
        "where status in ('ok', 'undone')",
    }
    out: dict[str, object] = {}
    with store.connect(db) as con:
        for name, query in queries.items():
            out[name] = sql.run_text(con, query)[0]
    store.release_all()
    return out


def assert_before_or_after(
    now: dict[str, tuple[int, int]],
    before: dict[str, tuple[int, int]],
    after: dict[str, tuple[int, int]],
) -> str:
    """Every table as before, or every table as after - never a mix. Returns which."""
    if now == before:
        return "before"
    if now == after:
        return "after"
    mixed = {t: (now.get(t), before.get(t), after.get(t)) for t in now
             if now.get(t) not in (before.get(t), after.get(t))}  # fmt: skip
    as_before = [t for t in now if now[t] == before.get(t)]
    raise AssertionError(f"half-written: tables neither before nor after: {mixed}; "
                         f"tables as before: {as_before}")  # fmt: skip


def statuses(db: Path) -> list[tuple[str, str]]:
    with store.connect(db) as con:
        rows = sql.run_text(con, "select file_name, status from imports order by import_id")
    store.release_all()
    return [(r[0], r[1]) for r in rows]


def copy_db(src: Path, dst: Path) -> Path:
    """A copy of a checkpointed database file (and its archive folder, if any)."""
    store.release_all()
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    if (src.parent / "archive").exists() and src.parent != dst.parent:
        shutil.copytree(src.parent / "archive", dst.parent / "archive", dirs_exist_ok=True)
    return dst


def leftovers(folder: Path) -> list[str]:
    """Files an interrupted import may leave next to the database: *.part, empty *.tmp dirs."""
    found = [str(p.relative_to(folder)) for p in folder.rglob("*.part")]
    found += [str(p.relative_to(folder)) for p in folder.glob("*.tmp")
              if p.is_dir() and not any(p.iterdir())]  # fmt: skip
    return sorted(found)
