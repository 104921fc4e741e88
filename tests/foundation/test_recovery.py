"""A corrupt write-ahead log (RELIABILITY.md F3): the file still opens from its last
checkpoint, the WAL is quarantined, the app says so, and the lost import is replayed from
the archive with its recorded options."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipelines import contract, recovery, sql, store
from pipelines.adapters.base import IngestOptions
from tests.conftest import FIXTURES, REPO

GENERIC = FIXTURES / "generic"


def _corrupt_copy(tmp_path: Path) -> Path:
    """A database whose second import lives only in a WAL that is then damaged."""
    db = tmp_path / "live.duckdb"
    contract.ingest_file(GENERIC / "long_utf8.csv", db)
    # Holding the write lock keeps the second import in the WAL (it is checkpointed when the
    # writer lets go): the state a crash right after its commit leaves.
    with store.write_lock:
        contract.ingest_file(GENERIC / "no_app_column.csv", db,
                             IngestOptions(app="Typed", platform="android"))  # fmt: skip
        copy = tmp_path / "copy.duckdb"
        shutil.copyfile(db, copy)
        wal = Path(str(db) + ".wal")
        assert wal.exists() and wal.stat().st_size > 0
        data = bytearray(wal.read_bytes())
    # Damage an early entry: DuckDB treats a damaged *last* entry as a torn tail and drops it
    # silently (then only `recovery.orphans` can tell), but a damaged middle is an error.
    for i in range(len(data) // 10, len(data) // 10 + 16):
        data[i] ^= 0xFF
    Path(str(copy) + ".wal").write_bytes(bytes(data))
    shutil.copytree(tmp_path / "archive", tmp_path / "archive-copy")
    store.release_all()
    return copy


def test_corrupt_wal_is_quarantined_and_lost_imports_replayed(tmp_path: Path, monkeypatch) -> None:
    copy = _corrupt_copy(tmp_path)
    monkeypatch.setenv("INSTALLPULSE_ARCHIVE", str(tmp_path / "archive-copy"))
    with store.connect(copy) as con:
        rows = sql.run_text(con, "select count(*) from observations")[0][0]
    assert rows == 6  # the checkpointed import only
    info = recovery.marker(copy)
    assert info is not None and Path(info["quarantined_wal"]).exists()
    assert not Path(str(copy) + ".wal.corrupt").exists()
    lost = recovery.orphans(copy)
    assert [o.file_name for o in lost] == ["no_app_column.csv"]
    assert lost[0].options == {"app": "Typed", "platform": "android"}

    monkeypatch.setenv("INSTALLPULSE_DB", str(copy))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("Recovery needed" in w.value for w in at.sidebar.warning)

    lines = recovery.replay(copy)
    assert "no_app_column.csv: imported as" in lines[0]
    assert recovery.marker(copy) is None
    with store.connect(copy) as con:
        apps = sql.run_text(con, "select distinct app from daily_metrics order by 1")
    assert apps == [("ChatGPT",), ("Claude",), ("Typed",)]


def test_a_truncated_wal_tail_is_dropped_but_the_archive_still_knows(tmp_path: Path) -> None:
    db = tmp_path / "live.duckdb"
    contract.ingest_file(GENERIC / "long_utf8.csv", db)
    store.release_all()
    with store.write_lock:  # the import committed, its writer not yet finished (a crash)
        contract.ingest_file(GENERIC / "wide.csv", db)
        copy = tmp_path / "copy.duckdb"
        shutil.copyfile(db, copy)
        wal = Path(str(db) + ".wal").read_bytes()
    Path(str(copy) + ".wal").write_bytes(wal[: len(wal) // 2])  # a torn write at a crash
    store.release_all()
    with store.connect(copy) as con:
        assert sql.run_text(con, "select count(*) from observations")[0][0] == 6
    lost = recovery.orphans(copy)  # same archive folder (next to both files)
    assert [o.file_name for o in lost] == ["wide.csv"]
    assert "wide.csv: imported as" in recovery.replay(copy)[0]
