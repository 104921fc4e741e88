"""Faults the store must survive (RELIABILITY.md 3.3): a process killed mid-import leaves the
import fully absent and the file openable; two writers in one process are serialized."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from pipelines import contract, sql, store
from tests.conftest import FIXTURES, REPO


def _big_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("date,app,platform,country,metric,value,source\n")
        day0 = 20000  # 2024-10-04 as days since epoch
        import datetime as dt

        base = dt.date(1970, 1, 1)
        n = 0
        app = 0
        while n < rows:
            for d in range(700):
                day = base + dt.timedelta(days=day0 + d)
                fh.write(
                    f"{day.isoformat()},app{app},ios,US,installs,{(d * 7 + app) % 1000},bench\n"
                )
                n += 1
            app += 1


def test_kill_9_during_import_leaves_it_absent(tmp_path: Path) -> None:
    db = tmp_path / "kill.duckdb"
    contract.ingest_file(FIXTURES / "generic" / "long_utf8.csv", db)
    with store.connect(db) as con:
        before = store.table_checksums(con)
    big = tmp_path / "big.csv"
    _big_csv(big, 400_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "ingest", "--db", str(db), str(big)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    archive = tmp_path / "archive"
    deadline = time.monotonic() + 30
    while not any(archive.rglob("*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)  # the archive is written just before the import transaction starts
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    with store.connect(db) as con:
        after = store.table_checksums(con)
        statuses = sql.run_text(con, "select status from imports order by import_id")
    # The killed import is entirely absent (or, if it finished first, entirely present).
    if len(statuses) == 2 and statuses[-1] == ("ok",):
        assert after["observations"][0] == before["observations"][0] + 400_400
    else:
        assert {k: v for k, v in after.items() if k != "imports"} == {
            k: v for k, v in before.items() if k != "imports"
        }
        # The history shows the unfinished import (or nothing, if it died before starting).
        assert statuses[1:] in ([("running",)], [])
    # And the file takes new imports.
    result = contract.ingest_file(FIXTURES / "generic" / "wide.csv", db)
    assert result.status == "imported"


def test_two_imports_at_once_in_one_process_are_serialized(db: Path) -> None:
    files = [FIXTURES / "generic" / "restate_v1.csv", FIXTURES / "generic" / "wide.csv"]
    results: list = []
    errors: list = []

    def run(path: Path) -> None:
        try:
            results.append(contract.ingest_file(path, db))
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(r.import_id for r in results) == [1, 2]
    with store.connect(db) as con:
        assert sql.run_text(con, "select status, count(*) from imports group by all") == [("ok", 2)]
        assert sql.run_text(con, "select count(*) from observations") == [(8,)]
