"""installpulse runs on DuckDB's 1.5 long-term-support line (issue 13), which cannot read a file
written by DuckDB 2.x - the line installpulse ran on before. Such a file is refused with the way
to carry it over, and left byte-for-byte as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import store
from pipelines.errors import InstallpulseError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "duckdb"


def test_runs_on_the_1_5_lts_line() -> None:
    major, minor, patch = (int(p) for p in duckdb.__version__.split(".")[:3])
    assert (major, minor) == (1, 5) and patch >= 5


def test_a_file_written_by_duckdb_2_is_refused_with_the_way_over(tmp_path: Path) -> None:
    # an empty database file as duckdb 2.0.1 wrote it (12,288 bytes, checked in unchanged)
    path = tmp_path / "old.duckdb"
    shutil.copyfile(FIXTURE / "written_by_duckdb_2.0.1.duckdb", path)
    before = path.read_bytes()
    with pytest.raises(InstallpulseError) as caught, store.connect(path):
        pass
    text = str(caught.value)
    assert f"{path} was written by DuckDB 2.x" in text
    assert "pip install duckdb==2.0.1" in text
    assert "export database 'ip-export' (format parquet)" in text
    assert "import database 'ip-export'" in text
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.duckdb"]


def test_a_new_store_keeps_no_schema_in_the_wal(tmp_path: Path) -> None:
    """DuckDB 1.5.5 cannot replay an ALTER TABLE ADD COLUMN of a table with a nextval default
    (an internal error): the schema of a new file is checkpointed at once, so a kill or an
    unclosed exit right after creating it leaves a file that opens."""
    path = tmp_path / "new.duckdb"
    with store.connect(path):
        wal = path.with_name(path.name + ".wal")
        assert not wal.exists() or wal.stat().st_size == 0
    assert path.stat().st_size > 12288  # the tables are in the file itself
