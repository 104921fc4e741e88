"""A bulk write from the command line gives up CPU priority (INSTALLPULSE_BATCH_NICE, default
10) so a shared app on the same machine answers its pages first while the import takes both
cores; a read command keeps its priority; a bad setting is refused with a sentence.

The import is held inside its transaction (`import:in_transaction@stop`, pipelines/faults.py),
and its priority is read from /proc while it waits there, so what is checked is the running
command's own niceness, DuckDB's threads included.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.faults.fault_helpers import cli, finish, start, wait_stopped

FILE = FIXTURES / "generic" / "long_utf8.csv"


def _niceness(pid: int, tid: int | None = None) -> int:
    stat = Path(f"/proc/{pid}" + (f"/task/{tid}" if tid else "") + "/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])  # field 19 of stat: nice


def _held_import(db: Path, **env: str) -> tuple[int, list[int]]:
    """The niceness of a held `ingest` process and of each of its threads."""
    proc = start("ingest", "--db", str(db), str(FILE), fault="import:in_transaction@stop", **env)
    try:
        wait_stopped(proc)
        threads = [int(t) for t in os.listdir(f"/proc/{proc.pid}/task")]
        return _niceness(proc.pid), [_niceness(proc.pid, t) for t in threads]
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        code, _, err = finish(proc)
        assert code == 0, err


def test_an_import_runs_at_lower_priority_and_its_threads_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("INSTALLPULSE_BATCH_NICE")  # the default (tests/conftest.py sets 0)
    mine = os.nice(0)
    process, threads = _held_import(tmp_path / "db.duckdb")
    assert process == min(mine + 10, 19)
    assert len(threads) > 1 and set(threads) == {process}  # DuckDB's workers inherit it


def test_the_setting_chooses_how_much_and_zero_keeps_the_priority(tmp_path: Path) -> None:
    mine = os.nice(0)
    assert _held_import(tmp_path / "a.duckdb", INSTALLPULSE_BATCH_NICE="3")[0] == min(mine + 3, 19)
    assert _held_import(tmp_path / "b.duckdb", INSTALLPULSE_BATCH_NICE="0")[0] == mine


def test_a_bad_setting_is_refused_with_a_sentence(tmp_path: Path) -> None:
    done = cli("ingest", "--db", str(tmp_path / "db.duckdb"), str(FILE),
               INSTALLPULSE_BATCH_NICE="high")  # fmt: skip
    assert done.returncode == 1
    assert "INSTALLPULSE_BATCH_NICE must be a whole number from 0 to 19, not 'high'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "db.duckdb").exists()  # refused before anything was written
