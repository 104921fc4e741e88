"""The pages' Streamlit-free helpers: upload processing (AppTest cannot drive the file
uploader; the browser tests do the full upload) and the explorer/overview computations."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from app_pages import common, upload
from pipelines import ops, reads, store
from semantic import views

REPO_FIXTURES = __import__("pathlib").Path(__file__).resolve().parents[1] / "fixtures"
GOOD = (
    b"date,app,country,platform,metric,value,source\n"
    b"2026-03-01,NewApp,US,ios,downloads,120,press\n"
    b"2026-03-02,NewApp,US,ios,downloads,180,press\n"
)


def _data_checksums(db):
    with store.connect(db) as con:
        sums = store.table_checksums(con)
    return {k: v for k, v in sums.items() if k != "imports"}


def test_bad_upload_shows_located_errors_and_writes_nothing(demo_db):
    data = (REPO_FIXTURES / "generic" / "bad_values.csv").read_bytes()
    before = _data_checksums(demo_db)
    preview = upload.inspect("../../etc/passwd/bad values.csv", data)
    assert preview.ok and preview.format == "generic-long"
    assert preview.name == "bad values.csv"  # shown without its directories
    with pytest.raises(Exception) as caught:
        upload.ingest("bad values.csv", data, demo_db)
    text = upload.error_text(caught.value)
    assert "not imported, 4 problems found; nothing was written" in text
    assert "line 3, column 'metric': value 'instals'" in text
    assert "line 4, column 'date'" in text
    assert _data_checksums(demo_db) == before
    failed = ops.imports(demo_db).filter(pl.col("status") == "failed")
    assert failed.get_column("file_name").to_list() == ["bad values.csv"]


def test_binary_upload_is_refused_before_import(demo_db):
    preview = upload.inspect("report.csv", b"PK\x03\x04 not really a csv")
    assert not preview.ok
    assert "ZIP archive" in (preview.error or "")


def test_good_upload_imports_and_is_undoable(demo_db):
    preview = upload.inspect("press.csv", GOOD)
    assert preview.ok and preview.lines[0].startswith("date,app")
    result = upload.ingest("press.csv", GOOD, demo_db)
    assert result.status == "imported" and result.rows == 2
    again = upload.ingest("press.csv", GOOD, demo_db)
    assert again.status == "already imported"
    ops.undo(result.import_id, demo_db)
    assert "NewApp" not in reads.filter_options(demo_db)["apps"]


def test_event_csv_upload(demo_db):
    data = b"start_date,title,apps\n2026-04-01,Spring sale,Claude\n"
    status, _, count = upload.ingest_events("ev.csv", data, demo_db)
    assert (status, count) == ("imported", 1)
    with pytest.raises(Exception) as caught:
        upload.ingest_events("ev.csv", b"start_date,title\n01/04/2026,x\n", demo_db)
    assert "line 2, column 'start_date'" in upload.error_text(caught.value)


def test_state_round_trips_through_the_query_string():
    state = views.ExploreState(
        apps=["ChatGPT", "Claude, Inc."],
        metrics=["uninstalls"],
        countries=["US"],
        start=date(2026, 2, 1),
        end=date(2026, 3, 1),
        baseline="mean:28",
        grain="day",
        view="index",
        day=date(2026, 2, 28),
    )
    params = state.to_params()
    assert params["apps"] == ["ChatGPT", "Claude, Inc."]  # repeated keys: commas are safe
    assert views.ExploreState.from_params(params) == state


def test_overview_reads_only_the_window(demo_db):
    last = reads.filter_options(demo_db)["last_date"]
    fetch_start, start, end = views.overview_window(last, 7)
    assert (start - fetch_start).days >= views.SPIKE_WINDOW
    values, names = reads.recent_values(demo_db, fetch_start, end, lookback_days=0)
    assert values.get_column("date").min() == fetch_start
    assert values.height < 120 * 50  # 120 series x about 43 days, never the whole table
    movers = views.overview_movers(values, start, end, names=names)
    assert movers.height and movers.get_column("date").min() >= start
    # the same movers from rows that carry their names
    named = views.overview_movers(
        reads.recent_all(demo_db, fetch_start, end, lookback_days=0), start, end
    )
    assert named.equals(movers)
    row = movers.row(0, named=True)
    opened = views.ExploreState.from_params(views.explorer_params_for(row))
    assert opened.apps == [row["app"]] and opened.day == row["date"]
    assert opened.prefer == [row["source"]]  # Explore shows the mover's own series


def test_md_escape_keeps_user_text_literal():
    hostile = "[x](https://example.com) <b>bold</b> :red[alert] $x^2$ **b**"
    escaped = common.md_escape(hostile)
    assert escaped.replace("\\", "") == hostile
    for mark in "[]()<>:$*":
        assert mark not in escaped.replace("\\" + mark, "")


def test_source_line_labels_the_demo():
    assert views.source_line(["demo"]) == "Source: demo; illustrative demo data"
    assert views.source_line(["sensortower", "manual"]) == "Source: manual, sensortower"


def test_appfigures_events_json_upload(demo_db):
    data = b'[{"caption": "Featured on the App Store", "date": "2026-04-10", "products": []}]'
    status, _, count = upload.ingest_events("appfigures.json", data, demo_db)
    assert (status, count) == ("imported", 1)


def test_episode_scan_shrinks_for_very_many_series():
    # 2,000,000 rows / 120 series leaves far more than 90 days: the full window.
    assert views.episode_days(120) == 90
    # 2,000,000 / 40,000 = 50 rows per series, 35 of them look-back (a day's score reads its
    # 34 previous days, spikes.TRAILING_SPAN): 15 days.
    assert views.episode_days(40_000) == 15
    # Never below a week.
    assert views.episode_days(1_000_000) == 7


@pytest.mark.parametrize("limit", [3, 20, 50])
def test_overview_movers_equal_the_full_scoring(demo_db, limit):
    """The Overview scores in full only days that can reach the threshold when enough series
    do (32 demo series reach it in these 14 days: limits 3 and 20); otherwise everything
    (limit 50). Either way: the same table as scoring every series' every day."""
    from analytics import spikes

    last = reads.filter_options(demo_db)["last_date"]
    fetch_start, start, end = views.overview_window(last, 14)
    values, names = reads.recent_values(demo_db, fetch_start, end, lookback_days=0)
    ours = views.overview_movers(values, start, end, limit=limit, names=names)
    full = spikes.top_movers(values, start, end, limit=limit, keys=["series_id"])
    full = full.filter(pl.col("score").is_not_null()).join(names, on="series_id", how="left")
    columns = ["rank", "app", "metric", "country", "date", "value", "score", "change"]
    assert ours.height == min(limit, full.height) > 0
    assert ours.select(columns).equals(full.select(columns).sort("rank"))


@pytest.mark.parametrize(("days", "bound"), [(90, "GENERAL_BATCH_ROWS"), (21, "RECENT_BATCH_ROWS")])
def test_overview_episodes_in_series_batches_equal_one_pass(demo_db, monkeypatch, days, bound):
    """90 days take the general scorer, 21 the recent-days one; either in parts of whole
    series gives the same episodes as one pass."""
    last = reads.filter_options(demo_db)["last_date"]
    since = last - timedelta(days=days - 1)
    values, names = reads.recent_values(
        demo_db, since - timedelta(days=views.SPIKE_WINDOW), last, lookback_days=0
    )
    whole = views.overview_episodes(values, since, limit=200, names=names)
    monkeypatch.setattr(views, bound, 300)  # a few series per part
    assert len(views._series_batches(values, ["series_id"], since)) >= 10
    parts = views.overview_episodes(values, since, limit=200, names=names)
    assert whole.height > 2
    assert parts.equals(whole)


def test_coverage_grid_is_the_share_of_each_months_days_in_range():
    cover = pl.DataFrame(
        {
            "app": ["A", "A", "A", "B"],
            "metric": ["installs"] * 4,
            "country": ["US"] * 4,
            "month": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 2, 1)],
            "days": [16, 28, 10, 14],
        }
    )
    # range 16 Jan .. 10 Mar: January has 16 days in it, February 28, March 10
    cells = views.coverage_grid(cover, date(2026, 1, 16), date(2026, 3, 10))
    assert cells["rows"] == ["A · installs · US", "B · installs · US"]
    assert cells["months"] == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert cells["possible"] == [16, 28, 10]
    assert cells["share"] == [[1.0, 1.0, 1.0], [None, 0.5, None]]
    assert cells["days"] == [[16, 28, 10], [None, 14, None]]
