"""Stored spike scores and Overview rankings equal a fresh computation after every change:
an import, a restating re-import of some days, undo, the demo, a migrated file filled by
`installpulse precompute --all`; and only the days a change reaches are recomputed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl

from pipelines import cli, demo, ops, precompute, store

from .helpers import (
    D0,
    assert_equal_to_fresh,
    fresh,
    ingest,
    series_id,
    stored,
    touched_rows,
    write_csv,
)


def test_import_restatement_and_undo(tmp_path: Path, db: Path):
    first = ingest(write_csv(tmp_path / "a.csv", range(0, 200)), db)
    assert_equal_to_fresh(db, tmp_path)
    with store.connect(db) as con:
        state = precompute.state(con)
    assert state.is_filled
    assert state.last_date == D0 + timedelta(days=199)
    assert state.horizon_start == D0 + timedelta(days=199 - precompute.STORED_DAYS + 1)
    assert stored(db).height == 3 * 2 * precompute.STORED_DAYS - 2 * 3  # Gamma's 3 gaps x 2

    # A restatement of days 150..160 of one app and country, with other numbers.
    restated = write_csv(
        tmp_path / "b.csv", range(150, 161), apps=("Beta",), countries=("US",), bump=300
    )
    second = ingest(restated, db)
    assert_equal_to_fresh(db, tmp_path)
    # Only that series, on days 150..160 and the 34 after them (to 194 of 0..199), changed.
    assert touched_rows(db, second) == (194 - 150 + 1)
    # (the first import, by contrast, wrote every stored day of all six series)
    assert touched_rows(db, first) == stored(db).height

    # Undoing the restatement brings the scores of the first file back.
    ops.undo(second, db)
    assert_equal_to_fresh(db, tmp_path)
    ops.undo(first, db)
    assert stored(db).height == 0
    assert_equal_to_fresh(db, tmp_path)


def test_new_days_move_the_horizon_and_their_undo_moves_it_back(tmp_path: Path, db: Path):
    ingest(write_csv(tmp_path / "a.csv", range(0, 150)), db)
    later = ingest(write_csv(tmp_path / "b.csv", range(150, 160), seed=9), db)
    assert_equal_to_fresh(db, tmp_path)
    assert stored(db)["date"].min() == D0 + timedelta(days=159 - precompute.STORED_DAYS + 1)
    # New days at the end: only they are scored (nothing after them depends on them yet).
    assert touched_rows(db, later) == 3 * 2 * 10 - 2  # Gamma has no day 153 (153 % 37 == 5)
    ops.undo(later, db)  # the newest day goes back 10 days: 10 older days are stored again
    assert_equal_to_fresh(db, tmp_path)


def test_the_demo_is_stored_as_computed_fresh(demo_db: Path, tmp_path: Path):
    assert_equal_to_fresh(demo_db, tmp_path)
    # The published spike is among the stored scores: ChatGPT US iOS uninstalls on 28 Feb 2026.
    sid = series_id(demo_db, "ChatGPT", "US", platform="ios")
    day = stored(demo_db).filter(
        (pl.col("series_id") == sid) & (pl.col("date") == pl.date(2026, 2, 28))
    )
    assert day.height == 1 and day["score"][0] > 3.5


def test_a_migrated_file_is_filled_by_precompute_all(tmp_path: Path, db: Path, capsys):
    ingest(write_csv(tmp_path / "a.csv", range(0, 120)), db)
    # What a file migrated from schema 8 holds: no scores, marked not filled.
    with store.write_lock, store.connect(db) as con:
        con.execute(
            "delete from spike_scores; delete from overview_movers; "
            "update precompute_state set is_filled = false, horizon_start = null"
        )
        con.fetchall()
    assert cli.main(["precompute", "--db", str(db)]) == 0
    assert "No stored spike scores yet" in capsys.readouterr().out
    assert cli.main(["precompute", "--all", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert f"Stored spike scores rebuilt: {fresh(db).height:,} series-days" in out
    assert_equal_to_fresh(db, tmp_path)


def test_the_next_import_fills_a_migrated_file(tmp_path: Path, db: Path):
    ingest(write_csv(tmp_path / "a.csv", range(0, 120)), db)
    with store.write_lock, store.connect(db) as con:
        con.execute("delete from spike_scores; update precompute_state set is_filled = false")
        con.fetchall()
    ingest(write_csv(tmp_path / "b.csv", range(120, 125), apps=("Alpha",)), db)
    assert_equal_to_fresh(db, tmp_path)


def test_a_new_database_is_migrated_with_the_tables_and_nothing_to_fill(db: Path):
    with store.connect(db) as con:
        assert store.current_version(con) == 9
        assert precompute.state(con).is_filled is False
        assert con.sql("select count(*) from spike_scores").fetchall() == [(0,)]
    demo.is_empty(db)


APPLE = Path(__file__).resolve().parents[1] / "fixtures" / "apple_installs" / "segments"


def test_app_store_segments_settled_in_place_stay_equal(tmp_path: Path, db: Path):
    # App Store segments add up by rewriting the earlier file's rows of the same app and day
    # in place (rows that carry neither the new import's id nor replaced_by): the stored
    # values and scores of every series of that app follow, through segments, a
    # restatement and undo.
    first = ingest(APPLE / "segment-1.txt.gz", db)
    ingest(APPLE / "segment-2.txt.gz", db)
    assert_equal_to_fresh(db, tmp_path)
    restated = ingest(APPLE / "restated" / "segment-1.txt.gz", db)
    assert_equal_to_fresh(db, tmp_path)
    ops.undo(restated, db)
    assert_equal_to_fresh(db, tmp_path)
    ops.undo(first, db)
    assert_equal_to_fresh(db, tmp_path)
    assert stored(db).height > 0
