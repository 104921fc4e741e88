"""Every figure of PRODUCT.md, reproduced from a demo database to the published precision.

Why: the demo exists to show the product computing the figures the press published (Sensor
Tower / Appfigures, March-April 2026). Each figure is checked twice: through the public
functions (semantic.totals.load -> analytics -> analytics.formatting) and through the CLI
(`python -m pipelines series ... --format json`, and the table's published sentence), so the
numbers a page shows and the numbers a script reads cannot drift apart.

Series are US, iOS + Android summed, source demo (data/demo/README.md gives the exact values).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from analytics import baselines, compare, typical
from analytics.formatting import fmt_int, fmt_multiple, fmt_pct
from pipelines import analysis_cli, demo, reads
from semantic import totals
from semantic.request import SeriesRequest

REPO = Path(__file__).resolve().parents[2]
KEYS = list(reads.SERIES_KEYS)

SENTENCE = (
    "ChatGPT (US, iOS+Android) uninstalls: 12,640 on Sat 28 Feb 2026, +295% vs the previous "
    "day (3.95x); typical day-over-day change over the previous 30 days: 9%."
)

# (app, metric, date, published change) - day over day, US, iOS + Android.
DAY_OVER_DAY = [
    ("ChatGPT", "uninstalls", "2026-02-28", "+295%"),
    ("ChatGPT", "downloads", "2026-02-27", "+14%"),
    ("ChatGPT", "downloads", "2026-02-28", "-13%"),
    ("ChatGPT", "downloads", "2026-03-01", "-5%"),
    ("Claude", "downloads", "2026-02-27", "+37%"),
    ("Claude", "downloads", "2026-02-28", "+51%"),
    ("ChatGPT", "one_star_reviews", "2026-02-28", "+775%"),
    ("ChatGPT", "one_star_reviews", "2026-03-01", "+100%"),
]
YEAR_OVER_YEAR = [("2026-03-01", "+413%"), ("2026-04-01", "+132%")]


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("figures") / "demo.duckdb"
    demo.load(path)
    return path


def d(text: str) -> date:
    return date.fromisoformat(text)


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "INSTALLPULSE_DB": str(db)},
        timeout=120,
        check=False,
    )


def cli_json(db: Path, *args: str) -> list[dict]:
    p = cli(db, *args, "--format", "json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def us_totals(db: Path, apps, metric: str, start: str, end: str, lookback: int = 0):
    """US totals (iOS + Android) through the semantic core's one read."""
    request = SeriesRequest.build(apps, [metric], d(start), d(end), countries="US")
    frame, _, _ = totals.load(db, request, d(start) - timedelta(days=lookback))
    return frame.select(*KEYS, "date", "value")


def us_series(db: Path, app: str, metric: str, start: str, end: str, lookback: int = 1):
    return us_totals(db, app, metric, start, end, lookback)


def one(frame: pl.DataFrame, day: str) -> dict:
    rows = frame.filter(pl.col("date") == d(day)).rows(named=True)
    assert len(rows) == 1, rows
    return rows[0]


# ----------------------------------------------------------------------------- public functions
@pytest.mark.parametrize(("app", "metric", "day", "published"), DAY_OVER_DAY)
def test_day_over_day_figures_via_functions(
    demo_path: Path, app: str, metric: str, day: str, published: str
) -> None:
    frame = us_series(demo_path, app, metric, day, day)
    kinds = reads.metric_kinds(demo_path, metric)
    row = one(baselines.compute(frame, "previous-day", keys=KEYS, kinds=kinds), day)
    assert (row["country"], row["platform"], row["source"]) == ("US", "android+ios", "demo")
    assert row["method_label"] == "vs the previous day"
    assert fmt_pct(row["change"]) == published


def test_uninstalls_295_is_395x_of_3200(demo_path: Path) -> None:
    frame = us_series(demo_path, "ChatGPT", "uninstalls", "2026-02-28", "2026-02-28")
    row = one(baselines.compute(frame, "previous-day", keys=KEYS), "2026-02-28")
    assert (fmt_int(row["value"]), fmt_int(row["baseline"])) == ("12,640", "3,200")
    assert row["change"] == pytest.approx(2.95)
    assert fmt_multiple(row["multiple"]) == "3.95x"  # +295% is 3.95 times, not "nearly three"


def test_typical_change_9_percent(demo_path: Path) -> None:
    frame = us_series(demo_path, "ChatGPT", "uninstalls", "2026-02-28", "2026-02-28", 31)
    row = one(typical.typical_change(frame, window=30, keys=KEYS), "2026-02-28")
    assert row["typical_obs"] == 30
    assert row["typical_change"] == pytest.approx(2.6976 / 30, abs=5e-5)  # README: 8.99%
    assert fmt_pct(row["typical_change"], signed=False) == "9%"


def test_claude_passes_chatgpt_on_28_feb_for_the_first_time(demo_path: Path) -> None:
    frame = us_totals(demo_path, ["ChatGPT", "Claude"], "downloads", "2025-01-01", "2026-02-28")
    rows = compare.crossovers(frame, "Claude", "ChatGPT", keys=KEYS).rows(named=True)
    assert len(rows) == 1
    first = rows[0]
    assert (first["date"], first["is_first"]) == (d("2026-02-28"), True)
    assert (fmt_int(first["value_a"]), fmt_int(first["value_b"])) == ("165,496", "148,770")
    assert first["first_date"] == d("2025-01-01")


@pytest.mark.parametrize(("month", "published"), YEAR_OVER_YEAR)
def test_month_year_over_year_via_functions(demo_path: Path, month: str, published: str) -> None:
    start = d("2026-03-01")
    lookback = (start - baselines.fetch_start("yoy", start, "month")).days
    frame = us_series(demo_path, "ChatGPT", "uninstalls", "2026-03-01", "2026-04-30", lookback)
    out = baselines.compute(frame, "yoy", "month", keys=KEYS, start=start, end=d("2026-04-30"))
    row = one(out, month)
    assert row["is_partial"] is False
    assert row["method_label"] == "vs the same month a year earlier"
    assert fmt_pct(row["change"]) == published


def test_exact_sentence_via_functions(demo_path: Path) -> None:
    out = analysis_cli.series_frame(
        demo_path,
        "ChatGPT",
        "uninstalls",
        country="US",
        start=d("2026-02-28"),
        end=d("2026-02-28"),
    )
    assert analysis_cli.series_sentence(out.row(-1, named=True)) == SENTENCE


# ----------------------------------------------------------------------------- the CLI
@pytest.mark.parametrize(
    ("app", "metric", "start", "end"),
    [
        ("ChatGPT", "uninstalls", "2026-02-28", "2026-02-28"),
        ("ChatGPT", "downloads", "2026-02-27", "2026-03-01"),
        ("Claude", "downloads", "2026-02-27", "2026-02-28"),
        ("ChatGPT", "one_star_reviews", "2026-02-28", "2026-03-01"),
    ],
)
def test_day_over_day_figures_via_cli(
    demo_path: Path, app: str, metric: str, start: str, end: str
) -> None:
    rows = cli_json(
        demo_path,
        "series",
        "--app",
        app,
        "--metric",
        metric,
        "--country",
        "US",
        "--start",
        start,
        "--end",
        end,
        "--baseline",
        "previous-day",
    )
    by_date = {r["date"]: r for r in rows}
    expected = {day: pub for a, m, day, pub in DAY_OVER_DAY if (a, m) == (app, metric)}
    assert set(by_date) == set(expected)
    for day, published in expected.items():
        assert fmt_pct(by_date[day]["change"]) == published
        assert by_date[day]["method"] == "previous-day"


def test_uninstalls_figures_via_cli_json(demo_path: Path) -> None:
    # A store identifier works as well as the display name.
    (row,) = cli_json(
        demo_path,
        "series",
        "--app",
        "6448311069",
        "--metric",
        "uninstalls",
        "--country",
        "US",
        "--start",
        "2026-02-28",
        "--end",
        "2026-02-28",
    )
    assert row["app"] == "ChatGPT" and row["date"] == "2026-02-28"
    assert (row["value"], row["baseline"]) == (12640, 3200)
    assert isinstance(row["change"], float) and row["reason"] is None
    assert (fmt_pct(row["change"]), fmt_multiple(row["multiple"])) == ("+295%", "3.95x")
    assert fmt_pct(row["typical_change"], signed=False) == "9%"


def test_exact_sentence_via_cli_table(demo_path: Path) -> None:
    p = cli(
        demo_path,
        "series",
        "--app",
        "ChatGPT",
        "--metric",
        "uninstalls",
        "--country",
        "US",
        "--start",
        "2026-02-24",
        "--end",
        "2026-02-28",
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.rstrip("\n").splitlines()[-1] == SENTENCE


def test_month_year_over_year_via_cli(demo_path: Path) -> None:
    rows = cli_json(
        demo_path,
        "series",
        "--app",
        "ChatGPT",
        "--metric",
        "uninstalls",
        "--country",
        "US",
        "--grain",
        "month",
        "--baseline",
        "yoy",
        "--start",
        "2026-03-01",
        "--end",
        "2026-04-30",
    )
    assert [r["date"] for r in rows] == ["2026-03-01", "2026-04-01"]
    for r, (_, published) in zip(rows, YEAR_OVER_YEAR, strict=True):
        assert r["is_partial"] is False and r["typical_change"] is None
        assert fmt_pct(r["change"]) == published
    assert (rows[0]["value"], rows[0]["baseline"]) == (197213, 38443)
    assert (rows[1]["value"], rows[1]["baseline"]) == (102140, 44026)


def test_crossover_via_cli(demo_path: Path) -> None:
    def downloads(app: str) -> dict[str, float]:
        rows = cli_json(
            demo_path,
            "series",
            "--app",
            app,
            "--metric",
            "downloads",
            "--country",
            "US",
            "--start",
            "2025-01-01",
            "--end",
            "2026-02-28",
        )
        return {r["date"]: r["value"] for r in rows}

    claude, chatgpt = downloads("Claude"), downloads("ChatGPT")
    assert len(claude) == len(chatgpt) == 424  # every day 2025-01-01 .. 2026-02-28
    above = [day for day in sorted(claude) if claude[day] > chatgpt[day]]
    assert above == ["2026-02-28"]


# (app, metric, (day, value, baseline) for the two days) - data/demo/README.md's levels.
ONE_NUMBER = [
    ("ChatGPT", "uninstalls", [("2026-02-27", 3200, 3250), ("2026-02-28", 12640, 3200)]),
    ("Claude", "downloads", [("2026-02-27", 109600, 80000), ("2026-02-28", 165496, 109600)]),
]


@pytest.mark.parametrize(("app", "metric", "days"), ONE_NUMBER)
def test_cli_csv_is_the_explore_download(
    demo_path: Path, app: str, metric: str, days: list[tuple[str, int, int]]
) -> None:
    """One request, one file: `installpulse series --format csv` and the Explore page's CSV
    download (the same view: one app, US, all platforms, the same range) agree cell for cell,
    the typical change to the last bit (the CLI reads 31 days back, the page more), and the
    sentence under the chart is the CLI table's last line."""
    from pipelines import csvout
    from semantic import answer, views

    start, end = days[0][0], days[-1][0]
    args = ["series", "--app", app, "--metric", metric, "--country", "US"]
    p = cli(demo_path, *args, "--start", start, "--end", end, "--format", "csv")
    assert p.returncode == 0, p.stderr
    from_cli = list(csv.DictReader(io.StringIO(p.stdout)))
    state = views.ExploreState(apps=[app], metrics=[metric], countries=["US"], start=d(start),
                               end=d(end), day=d(end))  # fmt: skip
    results = answer.answer(demo_path, state.request()).results
    download = csvout.to_csv_bytes(views.table_numbers(results)).decode("utf-8")
    from_page = list(csv.DictReader(io.StringIO(download)))
    assert from_page == from_cli
    # By hand: value / baseline of the demo's levels; the band is baseline x (1 +/- typical).
    for r, (day, value, baseline) in zip(from_page, days, strict=True):
        assert (r["date"], float(r["value"]), float(r["baseline"])) == (day, value, baseline)
        assert float(r["multiple"]) == value / baseline
        typ = float(r["typical_change"])
        assert float(r["typical_low"]) == baseline * (1 - typ)
        assert float(r["typical_high"]) == baseline * (1 + typ)
    table = cli(demo_path, *args, "--start", start, "--end", end)
    assert table.stdout.rstrip("\n").splitlines()[-1] == views.day_sentences(results, d(end))[0]
