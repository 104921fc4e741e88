"""A lake keeps its whole-catalogue lookups (every app's name and identifier, every metric's
kind, the stored scores' state) for its current version (`LakeStore.remembered`): each is a
DuckLake transaction of 12-20 round trips to the catalog, every page read made three, and
after an import all 25 sessions of the load test made them at once. Kept, they must still
answer as the catalogue does after every commit."""

from __future__ import annotations

import collections
import datetime as dt
from pathlib import Path

import pytest

from pipelines import contract, precompute, sql, store
from semantic import answer
from semantic.request import SeriesRequest

HEADER = "date,app,platform,country,metric,value,source\n"
LOOKUPS = ("resolve_apps", "metric_kinds", "precompute_state", "explore_stored_series")


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def _request(*apps: str) -> SeriesRequest:
    return SeriesRequest.build(list(apps), ["installs"], dt.date(2026, 3, 1), dt.date(2026, 3, 3))


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """How many times each named query ran."""
    counts: collections.Counter[str] = collections.Counter()
    for kind in ("run", "frame"):
        real = getattr(sql, kind)

        def counted(con, name, _real=real, **params):  # type: ignore[no-untyped-def]
            counts[name] += 1
            return _real(con, name, **params)

        monkeypatch.setattr(sql, kind, counted)
    return counts


def test_a_read_at_the_same_version_asks_the_catalogue_nothing(
    lake: Path, tmp_path: Path, asked: collections.Counter[str]
) -> None:
    rows = [
        "2026-03-01,App A,ios,US,installs,10,manual",
        "2026-03-02,App A,ios,US,installs,12,manual",
    ]
    contract.ingest_file(_csv(tmp_path / "a.csv", rows))
    asked.clear()  # (the import's own lookups, in its transaction)
    first = answer.answer(lake, _request("App A"))
    once = {name: asked[name] for name in LOOKUPS}
    assert once == dict.fromkeys(LOOKUPS, 1)
    again = answer.answer(lake, _request("App A"))
    assert {name: asked[name] for name in LOOKUPS} == once
    assert again.series.equals(first.series)


def test_kept_lookups_follow_every_commit(lake: Path, tmp_path: Path) -> None:
    """A new app, a new identifier of it and a new metric kind are seen by the next read;
    a writer inside its transaction resolves what it just wrote."""
    contract.ingest_file(_csv(tmp_path / "a.csv", ["2026-03-01,App A,ios,US,installs,10,manual"]))
    assert answer.answer(lake, _request("App A")).series["value"].to_list() == [10.0]
    with pytest.raises(Exception, match="Unknown app 'App B'"):
        answer.answer(lake, _request("App B"))
    rows = [
        "2026-03-01,App B,ios,US,installs,5,manual",
        "2026-03-02,App B,ios,US,installs,6,manual",
    ]
    contract.ingest_file(_csv(tmp_path / "b.csv", rows))
    found = answer.answer(lake, _request("App B"))
    assert found.series["value"].to_list() == [5.0, 6.0]
    assert precompute.read_state(lake).last_date == dt.date(2026, 3, 2)


def test_a_writer_never_uses_a_kept_lookup(lake: Path) -> None:
    """Inside its transaction a writer sees what it wrote and no other session does: what it
    looks up is computed on its own cursor every time, and nothing is kept from it."""
    kept = store.store_for(lake)
    calls: list[str] = []
    with store.write_lock:
        assert kept.remembered("probe", lambda: calls.append("writer") or 1) == 1
        assert kept.remembered("probe", lambda: calls.append("writer") or 2) == 2
    assert kept.remembered("probe", lambda: calls.append("reader") or 3) == 3
    assert kept.remembered("probe", lambda: calls.append("reader") or 4) == 3
    assert calls == ["writer", "writer", "reader"]


def test_a_readers_cursor_is_kept_in_the_lake_for_the_next_reader(lake: Path) -> None:
    """`use lake` is a DuckLake transaction of its own (2.5-4 ms), and a page's reading opens
    three cursors: a reader's cursor is kept, already in the lake, for the next reader; a
    cursor that saw an error, a writer's, and those of a retired connection are not."""
    with store.connect(lake) as first:
        assert first.execute("select current_database()").fetchone() == ("lake",)
    with store.connect(lake) as again:
        assert again is first
        assert again.execute("select current_database()").fetchone() == ("lake",)
    with pytest.raises(ValueError), store.connect(lake) as failed:
        raise ValueError("a reader's error")
    with store.connect(lake) as after_error:
        assert after_error is not failed
    with store.write_lock, store.connect(lake) as writer:
        writer.execute("create temp table mine as select 1 as x")
    with store.connect(lake) as reader:
        assert reader is not writer
        assert reader.execute(
            "select count(*) from duckdb_tables() where temporary"
        ).fetchone() == (0,)
    store.store_for(lake).retire()
    with store.connect(lake) as fresh:
        assert fresh is not reader
        assert fresh.execute("select current_database()").fetchone() == ("lake",)
