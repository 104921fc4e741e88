"""The benchmark harness: generator determinism and honesty, and a smoke run (tiny, 1 rep).

No wall-clock assertions: figures are only checked to be present.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.generate import (  # noqa: E402
    LONG_HEADER,
    SIZES,
    WIDE_HEADER,
    generate,
    mix64,
    mix64_expr,
)

TINY = SIZES["tiny"]
FILES = ("long.csv", "wide.csv", "truth.json")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate(out, TINY, seed=7)
    return out


def _load(con: duckdb.DuckDBPyConnection, table: str, csv: Path) -> int:
    con.sql("SELECT * FROM read_csv($csv)", params={"csv": str(csv)}).create(table)
    return con.table(table).aggregate("count(*)").fetchall()[0][0]


def test_same_seed_same_bytes_and_batching_does_not_matter(tiny: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, TINY, seed=7, rows_per_batch=100)  # one app per batch instead of all
    for name in FILES:
        assert (again / name).read_bytes() == (tiny / name).read_bytes(), name


def test_different_seed_differs(tiny: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate(other, TINY, seed=8)
    assert (other / "long.csv").read_bytes() != (tiny / "long.csv").read_bytes()
    assert (other / "wide.csv").read_bytes() != (tiny / "wide.csv").read_bytes()


def test_polars_hash_matches_python_reference() -> None:
    rng = random.Random(1)
    xs = [0, 1, 2**63, 2**64 - 1] + [rng.getrandbits(64) for _ in range(200)]
    got = pl.DataFrame({"x": pl.Series(xs, dtype=pl.UInt64)}).select(mix64_expr(pl.col("x")))
    assert got.to_series().to_list() == [mix64(x) for x in xs]


def test_headers_and_columns(tiny: Path) -> None:
    assert (tiny / "long.csv").read_text().splitlines()[0] == LONG_HEADER
    assert (tiny / "wide.csv").read_text().splitlines()[0] == WIDE_HEADER
    long = pl.read_csv(tiny / "long.csv", try_parse_dates=True)
    assert long["date"].dtype == pl.Date
    assert long["date"].max().isoformat() == "2026-04-30"
    assert long["value"].dtype == pl.Int64 and long["value"].min() >= 0
    assert set(long["metric"]) == {"installs", "uninstalls"}
    assert set(long["source"]) == {"bench"}
    platforms = dict(long.select("app", "platform").unique().iter_rows())
    assert len(platforms) == TINY.apps
    for app, plat in platforms.items():
        assert plat == ("ios" if int(app.rsplit("-", 1)[1]) % 2 == 0 else "android")


def test_row_counts_match_size_minus_missing(tiny: Path) -> None:
    truth = json.loads((tiny / "truth.json").read_text())
    counts = truth["counts"]
    full = TINY.apps * TINY.days * TINY.countries * 2
    con = duckdb.connect()
    n_long = _load(con, "l", tiny / "long.csv")
    n_wide = _load(con, "w", tiny / "wide.csv")
    assert counts["full_long_rows"] == full
    assert n_long == counts["long_rows"] == full - counts["missing_long_rows"]
    assert n_wide == counts["wide_rows"]
    assert 0 < counts["missing_long_rows"] < 0.15 * full  # a few percent missing
    assert counts["wide_empty_installs"] + counts["wide_empty_uninstalls"] > 0
    assert truth["spikes"], "every app gets at least one injected spike"


def test_long_and_wide_carry_the_same_values(tiny: Path) -> None:
    con = duckdb.connect()
    _load(con, "l", tiny / "long.csv")
    _load(con, "w", tiny / "wide.csv")
    con.execute(
        "CREATE TABLE wl AS SELECT date, app, platform, country, metric, value "
        "FROM (UNPIVOT w ON installs, uninstalls INTO NAME metric VALUE value) "
        "WHERE value IS NOT NULL"
    )
    con.execute("CREATE TABLE ll AS SELECT date, app, platform, country, metric, value FROM l")
    only_long = con.sql("SELECT count(*) FROM (FROM ll EXCEPT ALL FROM wl)")
    only_wide = con.sql("SELECT count(*) FROM (FROM wl EXCEPT ALL FROM ll)")
    assert only_long.fetchall()[0][0] == 0
    assert only_wide.fetchall()[0][0] == 0
    assert (
        con.sql("SELECT count(*) FROM wl").fetchall()[0][0]
        == con.sql("SELECT count(*) FROM l").fetchall()[0][0]
    )


def test_injected_spikes_stand_out(tiny: Path) -> None:
    truth = json.loads((tiny / "truth.json").read_text())
    con = duckdb.connect()
    _load(con, "l", tiny / "long.csv")
    for s in truth["spikes"]:
        for country in s["countries"]:
            params = {
                "app": s["app"],
                "metric": s["metric"],
                "country": country,
                "start": s["start"],
            }
            peak = con.sql(
                "SELECT value FROM l WHERE app = $app AND metric = $metric "
                "AND country = $country AND date = $start::DATE",
                params=params,
            ).fetchall()
            before = con.sql(
                "SELECT median(value) FROM l WHERE app = $app AND metric = $metric "
                "AND country = $country AND date BETWEEN $start::DATE - 14 AND $start::DATE - 1",
                params=params,
            ).fetchall()[0][0]
            assert peak, f"spike day missing: {s}"  # spike days are never missing
            assert peak[0][0] > before, (s, country, peak, before)


def test_smoke_run_writes_results_with_floor_figures(tmp_path: Path) -> None:
    out, data = tmp_path / "out", tmp_path / "data"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--size",
            "tiny",
            "--reps",
            "1",
            "--out",
            str(out),
            "--data-dir",
            str(data),
            "--only",
            "import",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads((out / "results.json").read_text())
    by_id = {r["id"]: r for r in doc["results"]}
    truth = json.loads(next(data.glob("tiny-*/truth.json")).read_text())["counts"]
    for floor_id, rows in (
        ("import.long.floor", truth["long_rows"]),
        ("import.wide.floor", truth["wide_rows"]),
    ):
        floor = by_id[floor_id]
        assert floor["status"] == "ok", floor
        assert floor["median_s"] > 0 and floor["reps"] == 1
        assert floor["peak_rss_mb"] is None or floor["peak_rss_mb"] > 0
        assert floor["rows"] == rows
    for ingest_id in ("import.long.ingest", "import.wide.ingest"):
        r = by_id[ingest_id]  # recorded whatever the state of the CLI
        assert r["status"] in ("ok", "not available", "failed")
        assert r["target"]["max_ratio"] == 1.3
        if r["status"] == "ok":
            assert r["ratio_to_floor"] is not None
    assert by_id["import.long10.pandas_sqlite"]["floor"] == "import.long10.floor"
    assert doc["machine"]["cpu_count"] and doc["machine"]["libraries"]["duckdb"]
    md = (out / "results.md").read_text()
    assert "| benchmark | size | median | p95 | peak RSS | ratio to floor | target | met? |" in md
    assert not list(data.glob("work-*")), "scratch directory left behind"


def test_each_analyst_opens_on_the_view_its_first_change_changes() -> None:
    """The load test's analysts begin at their own place in the cycle of changes
    (benchmarks.bench_load._opening): the view a session opens on is the one the changes
    before its first would have left, and every step of the cycle, the first included, makes a
    new view (a change that changed nothing would count as an error)."""
    from datetime import date

    from benchmarks.bench_load import ACTIONS, _opening
    from semantic.views import ExploreState

    query = {"apps": ["A"], "metrics": ["installs"], "countries": "US",
             "start": "2025-08-05", "end": "2026-01-31", "baseline": "previous-day"}  # fmt: skip
    first, last = date(2024, 1, 1), date(2026, 1, 31)
    states = [
        ExploreState.from_params(_opening(query, k, first, last)) for k in range(len(ACTIONS) + 1)
    ]
    assert states[3].start == date(2026, 1, 2) and states[3].baseline == "mean:28"
    assert states[4].start == date(2025, 2, 1) and states[4].view == "change"
    assert (states[6].grain, states[6].baseline) == ("week", "wow")
    for k in range(len(ACTIONS)):
        assert states[k + 1] != states[k], ACTIONS[k]
