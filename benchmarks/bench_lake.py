"""The lake backend (issue 13, README "Scaling out"): what DuckLake on a PostgreSQL catalog
costs against the DuckDB file, on the same data and machine in the same run.

* ``installpulse ingest long.csv`` in a fresh process into a new file (the floor of this
  pair) and into a new lake (a new catalog database and data folder per repetition); each
  store's schema is created beforehand, untimed (on a lake that alone is seconds).
* The Explore data path (``bench_analytics.explorer_loop``, page-rerun mode: 5 apps, 1
  country, 180 days, ``mean:28`` + typical + spikes, no result cache) on the file and on the
  lake the import made, p50/p95 over every path of every process.

The catalog is a local cluster started by ``scripts/postgres.sh`` (fsync off, 127.0.0.1): a
managed PostgreSQL over a network adds its round-trip time to every statement. Without
Debian's postgresql package the rows are "not available".
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from benchmarks.bench_analytics import pooled_latency_row
from benchmarks.bench_import import ingest_cmd
from benchmarks.measure import measure, run_command
from benchmarks.registry import STATUS_NOT_AVAILABLE, Context, Result, benchmark

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "postgres.sh"


def _have_postgres() -> bool:
    return bool(list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))) or bool(
        shutil.which("pg_ctl")
    )


@benchmark("lake", order=80, description=__doc__.split("\n\n")[0])
def lake_benchmark(ctx: Context) -> Iterator[Result]:
    labels = {
        "lake.ingest.file": "installpulse ingest long.csv into a DuckDB file (this pair's floor)",
        "lake.ingest.lake": "installpulse ingest long.csv into a lake (DuckLake, local catalog)",
        "lake.explore.file": "Explore data path on the file (5 apps, 1 country, 180 days)",
        "lake.explore.lake": "Explore data path on the lake (5 apps, 1 country, 180 days)",
    }
    if not _have_postgres():
        for id, label in labels.items():
            why = "needs PostgreSQL (Debian's postgresql package) for the lake's catalog"
            yield Result(id=id, label=label, size=ctx.size_name, status=STATUS_NOT_AVAILABLE,
                         note=why)  # fmt: skip
        return
    # (not under the work folder: the server runs as postgres, which must reach its folder)
    folder = Path(tempfile.mkdtemp(prefix="installpulse-bench-pg-"))
    os.chmod(folder, 0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    subprocess.run([SCRIPT, "start", str(folder / "pg"), str(port)], check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield from _rows(ctx, folder, port, labels)
    finally:
        subprocess.run([SCRIPT, "stop", str(folder / "pg")], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _rows(ctx: Context, folder: Path, port: int, labels: dict[str, str]) -> Iterator[Result]:
    import psycopg

    server = f"dbname=postgres host=127.0.0.1 port={port} user=postgres"
    home = ctx.work_dir / "lake_bench"
    file_db = home / "store.duckdb"
    lake = {"address": "", "n": 0}

    def create(db: str) -> None:
        """(untimed) The new store's schema: on a lake that is seconds of catalog statements,
        paid once per lake, not per import."""
        command = [*ingest_cmd(Path(db), ctx.long_csv)[:3], "imports", "--db", db]
        subprocess.run(command, check=True, capture_output=True, env=os.environ)

    def new_file() -> None:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        create(str(file_db))

    def new_lake() -> None:
        lake["n"] += 1
        name = f"bench_lake_{lake['n']}"
        with psycopg.connect(server, autocommit=True) as pg:
            pg.execute(f"create database {name}")  # (a name made here)
        lake["address"] = (
            f"ducklake:postgres:dbname={name} host=127.0.0.1 port={port} user=postgres"
        )
        os.environ["INSTALLPULSE_LAKE_DATA"] = str(folder / name)
        os.environ["INSTALLPULSE_ARCHIVE"] = str(folder / name / "archive")
        create(lake["address"])

    old = {k: os.environ.get(k) for k in ("INSTALLPULSE_LAKE_DATA", "INSTALLPULSE_ARCHIVE")}
    try:
        m = measure(lambda: run_command(ingest_cmd(file_db, ctx.long_csv), timeout=ctx.timeout_s),
                    ctx.reps, setup=new_file)  # fmt: skip
        floor = Result.from_measurement("lake.ingest.file", labels["lake.ingest.file"], ctx, m,
                                        is_floor=True)  # fmt: skip
        yield floor
        m = measure(
            lambda: run_command(
                [*ingest_cmd(Path(lake["address"]), ctx.long_csv)], timeout=ctx.timeout_s
            ),
            ctx.reps,
            setup=new_lake,
        )
        yield Result.from_measurement("lake.ingest.lake", labels["lake.ingest.lake"], ctx, m,
                                      floor=floor)  # fmt: skip
        note = "page-rerun mode, the connection kept open; p50/p95 over every path"
        explore_file = pooled_latency_row(ctx, "lake.explore.file", labels["lake.explore.file"],
                                    "explorer_loop", {"db": str(file_db), "mode": "rerun"},
                                    note=note)  # fmt: skip
        explore_file.is_floor = True
        yield explore_file
        explore_lake = pooled_latency_row(ctx, "lake.explore.lake", labels["lake.explore.lake"],
                                    "explorer_loop", {"db": lake["address"], "mode": "rerun"},
                                    note=note)  # fmt: skip
        explore_lake.compare_to(explore_file)
        yield explore_lake
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(home, ignore_errors=True)
