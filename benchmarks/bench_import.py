"""Import benchmarks: installpulse ingest of the long and wide CSV against the floor.

The floor is the fastest way DuckDB itself can load the same file, measured in the same run:
a fresh database file and ``CREATE TABLE t AS SELECT * FROM read_csv(file)``. Every figure is a
whole fresh process (interpreter start and imports included), median over the repetitions, with
the peak RSS of that process. References: polars/pandas -> DuckDB, ``cat`` of the file, and the
notebook path (pandas ``read_csv`` + ``to_sql`` into SQLite) on the first 10% of the rows,
compared with the floor of that same 10% file.

Targets (the benchmark issue): ingest within 1.3x of the floor's time, under 1 GB peak RSS.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks.measure import ROOT, child_env, measure, run_callable, run_command, warm_file
from benchmarks.registry import (
    STATUS_NOT_AVAILABLE,
    Context,
    Result,
    Target,
    benchmark,
)

INGEST_TARGET = Target(max_ratio=1.3, max_rss_mb=1024)
NOTEBOOK_FRACTION = 0.10
HERE = "benchmarks.bench_import"


# ----------------------------------------------------------------------------- child callables
# These run inside a fresh process started by run_callable(); they return the row count.
def duckdb_floor(csv: str, db: str) -> int:
    import duckdb

    con = duckdb.connect(db)
    con.execute("CREATE TABLE t AS SELECT * FROM read_csv($csv)", {"csv": csv})
    n = con.sql("SELECT count(*) FROM t").fetchall()[0][0]
    con.close()
    return int(n)


def polars_to_duckdb(csv: str, db: str) -> int:
    import duckdb
    import polars as pl

    arrow = pl.read_csv(csv, try_parse_dates=True).to_arrow()
    con = duckdb.connect(db)
    con.register("src", arrow)
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    con.close()
    return arrow.num_rows


def pandas_to_duckdb(csv: str, db: str) -> int:
    import duckdb
    import pandas as pd

    df = pd.read_csv(csv, parse_dates=["date"])
    con = duckdb.connect(db)
    con.register("src", df)
    con.execute("CREATE TABLE t AS SELECT * FROM src")
    con.close()
    return len(df)


def pandas_to_sqlite(csv: str, db: str) -> int:
    """The notebook path."""
    import sqlite3

    import pandas as pd

    df = pd.read_csv(csv)
    con = sqlite3.connect(db)
    df.to_sql("t", con, index=False)
    con.commit()
    con.close()
    return len(df)


# ----------------------------------------------------------------------------- helpers
INGEST_MODULE = "pipelines"


def ingest_cmd(db: Path, csv: Path) -> list[str]:
    return [sys.executable, "-m", INGEST_MODULE, "ingest", "--db", str(db), str(csv)]


def ingest_available() -> tuple[bool, str]:
    """Whether ``python -m pipelines`` can be started here (checked in a fresh process)."""
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.find_spec('{INGEST_MODULE}.__main__')\n"
        "sys.exit(0 if spec else 3)\n"
    )
    try:
        p = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return False, str(exc)
    if p.returncode == 0:
        return True, ""
    if p.returncode == 3:
        return False, f"no module {INGEST_MODULE}.__main__ yet"
    return False, (p.stderr.strip().splitlines() or ["import failed"])[-1][:300]


def _fresh(*paths: Path):
    def setup() -> None:
        for p in paths:
            for q in (p, p.with_name(p.name + ".wal"), p.with_name(p.name + "-journal")):
                q.unlink(missing_ok=True)

    return setup


def _callable_row(
    ctx: Context,
    id: str,
    label: str,
    fn: str,
    csv: Path,
    floor: Result | None = None,
    note: str = "",
    suffix: str = ".duckdb",
    is_floor: bool = False,
) -> Result:
    db = ctx.work_dir / f"{id}{suffix}"
    m = measure(
        lambda: run_callable(
            f"{HERE}:{fn}", {"csv": str(csv), "db": str(db)}, timeout=ctx.timeout_s
        ),
        ctx.reps,
        setup=_fresh(db),
    )
    _fresh(db)()
    return Result.from_measurement(id, label, ctx, m, floor=floor, note=note, is_floor=is_floor)


def _check_rows(r: Result, expected: int) -> Result:
    if r.rows is not None and r.rows != expected:
        r.note = "; ".join(
            x for x in (r.note, f"loaded {r.rows:,} rows, expected {expected:,}") if x
        )
    return r


def _ingest_row(
    ctx: Context, id: str, label: str, csv: Path, floor: Result, available: tuple[bool, str]
) -> Result:
    ok, why = available
    if not ok:
        r = Result(
            id=id,
            label=label,
            size=ctx.size_name,
            status=STATUS_NOT_AVAILABLE,
            target=INGEST_TARGET,
            note=why,
        )
        r.floor = floor.id
        return r
    # a fresh directory per repetition: ingest also keeps an archive copy next to the database
    home = ctx.work_dir / id
    db = home / "store.duckdb"

    def setup() -> None:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)

    m = measure(
        lambda: run_command(ingest_cmd(db, csv), timeout=ctx.timeout_s), ctx.reps, setup=setup
    )
    shutil.rmtree(home, ignore_errors=True)
    return Result.from_measurement(id, label, ctx, m, floor=floor, target=INGEST_TARGET)


# ----------------------------------------------------------------------------- the benchmark
@benchmark("import", order=10, description=__doc__.split("\n\n")[0])
def import_benchmarks(ctx: Context) -> Iterator[Result]:
    truth = ctx.truth["counts"]
    long_csv, wide_csv = ctx.long_csv, ctx.wide_csv
    for f in (long_csv, wide_csv):
        warm_file(f)
    available = ingest_available()

    # long.csv
    floor = _check_rows(
        _callable_row(
            ctx,
            "import.long.floor",
            "DuckDB read_csv -> table (floor), long.csv",
            "duckdb_floor",
            long_csv,
            is_floor=True,
        ),
        truth["long_rows"],
    )
    yield floor
    yield _ingest_row(
        ctx, "import.long.ingest", "installpulse ingest, long.csv", long_csv, floor, available
    )
    yield _callable_row(
        ctx,
        "import.long.polars_duckdb",
        "polars read_csv -> DuckDB, long.csv",
        "polars_to_duckdb",
        long_csv,
        floor,
    )
    yield _callable_row(
        ctx,
        "import.long.pandas_duckdb",
        "pandas read_csv -> DuckDB, long.csv",
        "pandas_to_duckdb",
        long_csv,
        floor,
    )
    cat = measure(lambda: run_command(["cat", str(long_csv)], timeout=ctx.timeout_s), ctx.reps)
    yield Result.from_measurement(
        "import.long.cat", "cat long.csv (reading the bytes)", ctx, cat, floor=floor
    )

    # wide.csv, with its own floor
    wfloor = _check_rows(
        _callable_row(
            ctx,
            "import.wide.floor",
            "DuckDB read_csv -> table (floor), wide.csv",
            "duckdb_floor",
            wide_csv,
            is_floor=True,
        ),
        truth["wide_rows"],
    )
    yield wfloor
    yield _ingest_row(
        ctx, "import.wide.ingest", "installpulse ingest, wide.csv", wide_csv, wfloor, available
    )

    # the notebook path, on the first 10% of long.csv, against the floor of that same file
    head = ctx.head_fraction(long_csv, NOTEBOOK_FRACTION)
    warm_file(head)
    pct = f"{NOTEBOOK_FRACTION:.0%}"
    hfloor = _callable_row(
        ctx,
        "import.long10.floor",
        f"DuckDB read_csv -> table (floor), first {pct} of long.csv",
        "duckdb_floor",
        head,
        is_floor=True,
    )
    yield hfloor
    yield _callable_row(
        ctx,
        "import.long10.pandas_sqlite",
        f"pandas read_csv + to_sql SQLite (notebook), first {pct} of long.csv",
        "pandas_to_sqlite",
        head,
        hfloor,
        suffix=".sqlite",
    )
