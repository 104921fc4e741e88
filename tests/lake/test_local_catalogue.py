"""On a lake the totals macro reads the catalogue tables from a copy in memory
(`LakeStore.connect_totals`): a DuckLake table in a query costs its catalog round trips when
the query is bound, and `ip_totals` joins five tables, so most of an Explore reading's time
was the catalog's. The copy must answer as the lake does after every commit, read one
snapshot even while an import commits, be dropped once no reader needs it, and never serve a
writer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from pipelines import contract, sql, store
from pipelines.errors import UsageError
from semantic import answer
from semantic.request import SeriesRequest

HEADER = "date,app,platform,country,metric,value,source\n"
PARAMS = {
    "metrics": ["installs"],
    "countries": None,
    "platforms": None,
    "sources": None,
    "start": dt.date(2026, 3, 1),
    "end": dt.date(2026, 3, 3),
    "by_country": False,
    "by_platform": False,
    "prefer": ["manual"],
    "estimates": [],
}


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _values(db: Path, app: str) -> list[float]:
    request = SeriesRequest.build([app], ["installs"], dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    return answer.answer(db, request).series["value"].to_list()


def _copies(db: Path) -> list[str]:
    with store.connect(db) as con:
        rows = con.execute(
            "select schema_name from duckdb_schemas() where database_name = 'memory' "
            "and schema_name like 'ip_totals_%' order by schema_name"
        ).fetchall()
    return [r[0] for r in rows]


def _lake_scans(con: duckdb.DuckDBPyConnection, apps: list[str]) -> int:
    plan = con.execute("explain " + sql.load("series_totals"), {"apps": apps, **PARAMS})
    return "".join(row[1] for row in plan.fetchall()).count("DUCKLAKE_SCAN")


def test_the_totals_query_reads_only_the_values_from_the_lake(lake: Path, tmp_path: Path) -> None:
    contract.ingest_file(_csv(tmp_path / "a.csv", ["2026-03-01,App A,ios,US,installs,10,manual"]))
    with store.connect(lake) as con:
        assert _lake_scans(con, ["App A"]) >= 5  # apps, identifiers, series, metrics, values
    with store.connect_totals(lake) as con:
        assert _lake_scans(con, ["App A"]) == 2  # observations: ever reported, and the days
        assert con.execute("select current_database()").fetchone() == ("memory",)


def test_the_copy_follows_every_commit(lake: Path, tmp_path: Path) -> None:
    """A new app, a restated value and an alias are in the next reading."""
    contract.ingest_file(_csv(tmp_path / "a.csv", ["2026-03-01,App A,ios,US,installs,10,manual"]))
    assert _values(lake, "App A") == [10.0]
    with pytest.raises(UsageError, match="Unknown app 'App B'"):
        _values(lake, "App B")
    rows = [
        "2026-03-01,App B,ios,US,installs,5,manual",
        "2026-03-02,App B,ios,US,installs,6,manual",
    ]
    contract.ingest_file(_csv(tmp_path / "b.csv", rows))
    assert _values(lake, "App B") == [5.0, 6.0]
    contract.ingest_file(_csv(tmp_path / "a2.csv", ["2026-03-01,App A,ios,US,installs,11,manual"]))
    assert _values(lake, "App A") == [11.0]


def test_a_reading_keeps_its_snapshot_while_an_import_commits(lake: Path, tmp_path: Path) -> None:
    contract.ingest_file(_csv(tmp_path / "a.csv", ["2026-03-01,App A,ios,US,installs,10,manual"]))
    with store.connect_totals(lake) as reading:
        before = sql.frame(reading, "series_totals", apps=["App A"], **PARAMS)
        rows = ["2026-03-01,App A,ios,US,installs,99,manual"]
        contract.ingest_file(_csv(tmp_path / "restated.csv", rows))
        during = sql.frame(reading, "series_totals", apps=["App A"], **PARAMS)
        assert during.get_column("value").to_list() == [10.0]
        assert during.equals(before)
    assert _values(lake, "App A") == [99.0]


def test_a_copy_no_reader_needs_is_dropped(lake: Path, tmp_path: Path) -> None:
    contract.ingest_file(_csv(tmp_path / "a.csv", ["2026-03-01,App A,ios,US,installs,10,manual"]))
    with store.connect_totals(lake):
        pass
    first = _copies(lake)
    assert len(first) == 1
    with store.connect_totals(lake) as held:  # a reader still at the first version
        rows = ["2026-03-02,App A,ios,US,installs,12,manual"]
        contract.ingest_file(_csv(tmp_path / "b.csv", rows))
        assert _values(lake, "App A") == [10.0, 12.0]  # (a second copy, for the new version)
        assert len(_copies(lake)) == 2
        assert held.execute("select count(*) from observations").fetchone() == (1,)
    assert _copies(lake) != first
    assert len(_copies(lake)) == 1


def test_a_copy_that_failed_a_read_is_made_again_a_refused_request_keeps_it(
    lake: Path, tmp_path: Path
) -> None:
    contract.ingest_file(_csv(tmp_path / "a.csv", ["2026-03-01,App A,ios,US,installs,10,manual"]))
    _values(lake, "App A")
    first = _copies(lake)
    with pytest.raises(UsageError):
        _values(lake, "Nobody")
    assert _copies(lake) == first
    with pytest.raises(duckdb.Error), store.connect_totals(lake) as con:
        con.execute("select * from no_such_table")
    assert _values(lake, "App A") == [10.0]
    assert len(_copies(lake)) == 1
    assert _copies(lake) != first


def test_a_writer_reads_the_lake_itself(lake: Path, tmp_path: Path) -> None:
    """Inside its transaction a writer must see what it wrote, which no copy holds."""
    contract.ingest_file(_csv(tmp_path / "a.csv", ["2026-03-01,App A,ios,US,installs,10,manual"]))
    with store.write_lock, store.connect_totals(lake) as con:
        assert con.execute("select current_database()").fetchone() == ("lake",)
