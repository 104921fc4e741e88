"""The demo dataset reproduces every published figure of PRODUCT.md, and is well-formed.

Each figure is recomputed here from data/demo/observations.csv with plain polars arithmetic,
independently of data/demo/build_demo.py (which is only run, never imported), using the methods
fixed in PRODUCT.md: previous-day change v_d / v_{d-1} - 1, mean absolute previous-day change over
the 30 pairs before a day, and calendar-month sum over the same month a year earlier.
Series: country US, iOS + Android summed, source demo.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
OBSERVATIONS = DEMO / "observations.csv"
HEADER = "date,app,platform,country,metric,value,source"
FIRST_DAY = dt.date(2025, 1, 1)
LAST_DAY = dt.date(2026, 4, 30)
STORY_APPS = {"ChatGPT", "Claude"}


def half_away(x: float) -> int:
    """Round half away from zero, the published rounding."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def margin(x: float) -> float:
    """Distance of x from the nearest rounding boundary (k + 0.5); 0.5 is the centre."""
    return abs(abs(x - math.floor(x)) - 0.5)


@pytest.fixture(scope="module")
def obs() -> pl.DataFrame:
    return pl.read_csv(
        OBSERVATIONS,
        schema={
            "date": pl.String,
            "app": pl.String,
            "platform": pl.String,
            "country": pl.String,
            "metric": pl.String,
            "value": pl.Int64,
            "source": pl.String,
        },
    ).with_columns(pl.col("date").str.to_date("%Y-%m-%d"))


def us_daily(obs: pl.DataFrame, app: str, metric: str) -> pl.DataFrame:
    """date, value: the US series of one app and metric, iOS + Android summed."""
    return (
        obs.filter(
            (pl.col("app") == app)
            & (pl.col("country") == "US")
            & (pl.col("metric") == metric)
            & (pl.col("source") == "demo")
        )
        .group_by("date")
        .agg(pl.col("value").sum(), pl.col("platform").n_unique().alias("platforms"))
        .sort("date")
    )


def with_dod(series: pl.DataFrame) -> pl.DataFrame:
    """Adds prev (value of the calendar day before, by date join) and ratio = value / prev."""
    prev = series.select(
        (pl.col("date") + pl.duration(days=1)).alias("date"), pl.col("value").alias("prev")
    )
    return series.join(prev, on="date", how="left").with_columns(
        (pl.col("value") / pl.col("prev")).alias("ratio")
    )


def value_on(series: pl.DataFrame, day: str, column: str = "value") -> float:
    row = series.filter(pl.col("date") == dt.date.fromisoformat(day))
    assert row.height == 1, f"no single row for {day}"
    return row[column].item()


def dod_ratio(obs: pl.DataFrame, app: str, metric: str, day: str) -> float:
    series = with_dod(us_daily(obs, app, metric))
    assert value_on(series, day, "platforms") == 2, "iOS and Android must both be present"
    return value_on(series, day, "ratio")


# --------------------------------------------------------------------------------------------
# The published figures
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("app", "metric", "day", "published_pct"),
    [
        ("ChatGPT", "uninstalls", "2026-02-28", 295),
        ("ChatGPT", "downloads", "2026-02-27", 14),
        ("ChatGPT", "downloads", "2026-02-28", -13),
        ("ChatGPT", "downloads", "2026-03-01", -5),
        ("Claude", "downloads", "2026-02-27", 37),
        ("Claude", "downloads", "2026-02-28", 51),
        ("ChatGPT", "one_star_reviews", "2026-02-28", 775),
        ("ChatGPT", "one_star_reviews", "2026-03-01", 100),
    ],
)
def test_day_over_day_figures(obs, app, metric, day, published_pct):
    r = dod_ratio(obs, app, metric, day)
    assert half_away(100 * (r - 1)) == published_pct
    assert margin(100 * (r - 1)) > 0.3, "figure sits near a rounding boundary"


def test_uninstalls_295_pct_is_395x_from_stated_levels(obs):
    series = us_daily(obs, "ChatGPT", "uninstalls")
    assert value_on(series, "2026-02-27") == 3_200  # as stated in data/demo/README.md
    assert value_on(series, "2026-02-28") == 12_640
    r = dod_ratio(obs, "ChatGPT", "uninstalls", "2026-02-28")
    assert round(r, 2) == 3.95
    assert round(100 * (r - 1)) == 295


def test_uninstall_spike_on_both_platforms_and_boycott_stays_elevated(obs):
    per_platform = obs.filter(
        (pl.col("app") == "ChatGPT")
        & (pl.col("country") == "US")
        & (pl.col("metric") == "uninstalls")
    )
    for platform in ("ios", "android"):
        s = with_dod(per_platform.filter(pl.col("platform") == platform).select("date", "value"))
        assert value_on(s, "2026-02-28", "ratio") > 3.0
    total = us_daily(obs, "ChatGPT", "uninstalls")
    assert value_on(total, "2026-03-01") > 3 * value_on(total, "2026-02-27")
    assert value_on(total, "2026-03-02") > 3 * value_on(total, "2026-02-27")


def test_typical_change_before_the_spike_is_9_pct(obs):
    d = dt.date(2026, 2, 28)
    window = (
        with_dod(us_daily(obs, "ChatGPT", "uninstalls"))
        .filter(pl.col("date").is_between(d - dt.timedelta(days=30), d - dt.timedelta(days=1)))
        .with_columns((pl.col("ratio") - 1).abs().alias("abs_change"))
    )
    assert window.height == 30
    assert window["abs_change"].null_count() == 0
    typical = window["abs_change"].mean()
    assert half_away(100 * typical) == 9
    assert abs(100 * typical - 9.0) < 0.1, "typical change should be ~9.0%, not a knife-edge"


def test_claude_first_above_chatgpt_on_2026_02_28(obs):
    both = (
        us_daily(obs, "ChatGPT", "downloads")
        .select("date", pl.col("value").alias("gpt"))
        .join(
            us_daily(obs, "Claude", "downloads").select("date", pl.col("value").alias("claude")),
            on="date",
            how="full",
            coalesce=True,
        )
    )
    assert both.height == (LAST_DAY - FIRST_DAY).days + 1
    assert both.null_count().sum_horizontal().item() == 0
    above = both.filter(pl.col("claude") > pl.col("gpt"))
    assert above["date"].min() == dt.date(2026, 2, 28)
    earlier = both.filter(pl.col("date") < dt.date(2026, 2, 28))
    assert (earlier["claude"] < earlier["gpt"]).all()  # strictly below, incl. 2026-02-27


@pytest.mark.parametrize(("month", "published_pct"), [(3, 413), (4, 132)])
def test_month_year_over_year(obs, month, published_pct):
    series = us_daily(obs, "ChatGPT", "uninstalls").with_columns(
        pl.col("date").dt.year().alias("year"), pl.col("date").dt.month().alias("month")
    )
    sums = (
        series.filter(pl.col("month") == month)
        .group_by("year")
        .agg(pl.col("value").sum(), pl.len().alias("days"))
    )
    this = sums.filter(pl.col("year") == 2026)
    last = sums.filter(pl.col("year") == 2025)
    assert this["days"].item() == last["days"].item()  # complete months on both sides
    r = this["value"].item() / last["value"].item()
    assert half_away(100 * (r - 1)) == published_pct
    assert margin(100 * (r - 1)) > 0.4


# --------------------------------------------------------------------------------------------
# File format
# --------------------------------------------------------------------------------------------
def test_header_encoding_and_line_endings():
    raw = OBSERVATIONS.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert raw.split(b"\n", 1)[0].decode("utf-8") == HEADER
    assert raw.endswith(b"\n")
    assert len(raw) < 4_000_000


def test_cells_are_plain_iso_dates_and_integers():
    text = pl.read_csv(OBSERVATIONS, infer_schema=False)
    assert text.columns == HEADER.split(",")
    assert text["date"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert text["value"].str.contains(r"^[0-9]+$").all()  # no sign, separator or decimal
    assert text["country"].str.contains(r"^[A-Z]{2}$").all()


def test_vocabulary(obs):
    assert set(obs["source"].unique()) == {"demo"}
    assert set(obs["platform"].unique()) == {"ios", "android"}
    assert set(obs["metric"].unique()) <= {
        "installs",
        "uninstalls",
        "downloads",
        "one_star_reviews",
    }
    apps = set(obs["app"].unique())
    assert STORY_APPS <= apps and 4 <= len(apps) <= 5
    assert "US" in set(obs["country"].unique())
    per_app = obs.group_by("app").agg(pl.col("platform").n_unique())
    assert (per_app["platform"] == 2).all()


def test_no_duplicates_and_no_negatives(obs):
    key = ["date", "app", "platform", "country", "metric", "source"]
    assert obs.select(key).is_duplicated().sum() == 0
    assert obs["value"].min() >= 0
    assert obs["value"].null_count() == 0


def test_date_range(obs):
    assert obs["date"].min() == FIRST_DAY
    assert obs["date"].max() == LAST_DAY
    assert obs["date"].n_unique() == (LAST_DAY - FIRST_DAY).days + 1


def test_gaps_only_in_context_apps_outside_the_us(obs):
    n_days = (LAST_DAY - FIRST_DAY).days + 1
    counts = obs.group_by("app", "platform", "country", "metric").len()
    short = counts.filter(pl.col("len") < n_days)
    assert short.height >= 1, "the demo should show a few genuinely missing days"
    assert not set(short["app"]) & STORY_APPS
    assert "US" not in set(short["country"])
    story = counts.filter(pl.col("app").is_in(list(STORY_APPS)))
    assert (story["len"] == n_days).all()


def test_events_file():
    events = pl.read_csv(DEMO / "events.csv", infer_schema=False)
    assert events.columns == ["start_date", "end_date", "title", "description", "tags", "apps"]
    start = events["start_date"].str.to_date("%Y-%m-%d")
    end = events["end_date"].str.to_date("%Y-%m-%d")
    assert ((end.is_null()) | (end >= start)).all()
    assert events["title"].null_count() == 0
    days = set(start.to_list())
    for day in ("2026-02-24", "2026-02-26", "2026-02-27", "2026-03-02", "2026-03-03"):
        assert dt.date.fromisoformat(day) in days
    assert sum(d.year == 2025 for d in days) >= 2
    known_apps = {"ChatGPT", "Claude", "Gemini", "Copilot", "Perplexity"}
    for apps in events["apps"].drop_nulls():
        assert set(apps.split(";")) <= known_apps
    approximate = events.filter(pl.col("title").str.contains("(date approximate)", literal=True))
    assert approximate.height >= 1
    assert all("approximate" in tags.split(";") for tags in approximate["tags"])


def test_apps_file(obs):
    apps = pl.read_csv(DEMO / "apps.csv", infer_schema=False)
    assert apps.columns == ["store_id", "platform", "app"]
    assert apps["store_id"].is_unique().all()
    rows = set(apps.iter_rows())
    for required in [
        ("com.openai.chatgpt", "android", "ChatGPT"),
        ("6448311069", "ios", "ChatGPT"),
        ("com.anthropic.claude", "android", "Claude"),
        ("6473753684", "ios", "Claude"),
    ]:
        assert required in rows
    for app in obs["app"].unique():
        assert {p for _, p, a in rows if a == app} == {"ios", "android"}


def test_readme_says_synthetic_first_and_states_the_row_count(obs):
    text = (DEMO / "README.md").read_text(encoding="utf-8")
    first_line = text.splitlines()[0]
    assert re.search(r"\bSYNTHETIC\b", first_line)
    assert "Sensor Tower" in first_line and "Appfigures" in first_line
    assert f"{obs.height:,} rows" in text


def test_rebuild_is_byte_identical(tmp_path):
    subprocess.run(
        [sys.executable, str(DEMO / "build_demo.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for name in ("observations.csv", "apps.csv", "events.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


# --------------------------------------------------------------------------------------------
# The demo's own words: the numbers data/demo/README.md states are the numbers in the data
# --------------------------------------------------------------------------------------------
README_SERIES = {
    "ChatGPT uninstalls": ("ChatGPT", "uninstalls"),
    "ChatGPT downloads": ("ChatGPT", "downloads"),
    "Claude downloads": ("Claude", "downloads"),
    "ChatGPT one-star reviews": ("ChatGPT", "one_star_reviews"),
}
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def readme_table(first_header_cell: str) -> list[list[str]]:
    """Rows (as stripped cells) of the README table whose header starts with that cell."""
    lines = (DEMO / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header_cell} |"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [rows[0], *rows[2:]]  # drop the |---| separator


def number(text: str) -> int:
    return int(re.search(r"\d[\d,]*", text).group().replace(",", ""))


def test_readme_levels_table_matches_data(obs):
    header, *rows = readme_table("series")
    days = [DATE_RE.search(cell).group() for cell in header[1:]]
    assert {row[0] for row in rows} == set(README_SERIES)
    for row in rows:
        app, metric = README_SERIES[row[0]]
        series = us_daily(obs, app, metric)
        for day, cell in zip(days, row[1:], strict=True):
            assert value_on(series, day) == number(cell), (row[0], day)
            split = re.search(r"ios ([\d,]+) \+ android ([\d,]+)", cell)
            if split:
                per = dict(
                    obs.filter(
                        (pl.col("app") == app)
                        & (pl.col("country") == "US")
                        & (pl.col("metric") == metric)
                        & (pl.col("date") == dt.date.fromisoformat(day))
                    )
                    .select("platform", "value")
                    .iter_rows()
                )
                assert per == {"ios": number(split.group(1)), "android": number(split.group(2))}


def test_readme_figures_table_matches_data(obs):
    header, *rows = readme_table("figure")
    assert header == ["figure", "series", "date", "method", "exact values", "result"]
    checked = 0
    for figure, series_name, date_cell, method, values, result in rows:
        if method == "DoD":
            app, metric = README_SERIES[series_name]
            day = DATE_RE.search(date_cell).group()
            series = with_dod(us_daily(obs, app, metric))
            num, den = (number(part) for part in values.split("/"))
            assert (value_on(series, day), value_on(series, day, "prev")) == (num, den)
            assert f"{100 * (num / den - 1):+.2f}%" in result
            assert figure.startswith(f"{half_away(100 * (num / den - 1)):+d}%")
            checked += 1
        elif method.startswith("month YoY"):
            months = re.findall(r"(January|February|March|April) (\d{4})", date_cell)
            month_no = {"January": 1, "February": 2, "March": 3, "April": 4}
            u = us_daily(obs, "ChatGPT", "uninstalls")
            sums = [
                u.filter(
                    (pl.col("date").dt.year() == int(y))
                    & (pl.col("date").dt.month() == month_no[m])
                )["value"].sum()
                for m, y in months
            ]
            assert [number(part) for part in values.split("/")] == sums
            assert f"{100 * (sums[0] / sums[1] - 1):+.2f}%" in result
            checked += 1
        elif method == "mean absolute DoD":
            d = dt.date(2026, 2, 28)
            window = with_dod(us_daily(obs, "ChatGPT", "uninstalls")).filter(
                pl.col("date").is_between(d - dt.timedelta(days=30), d - dt.timedelta(days=1))
            )
            total = (window["ratio"] - 1).abs().sum()
            assert f"{total:.4f}" in values
            assert f"{100 * total / 30:.2f}%" in result
            checked += 1
    assert checked == 11


def test_readme_previous_day_vs_average_day_claim(obs):
    d = dt.date(2026, 2, 28)
    series = us_daily(obs, "ChatGPT", "uninstalls")
    window = series.filter(
        pl.col("date").is_between(d - dt.timedelta(days=30), d - dt.timedelta(days=1))
    )
    assert window.height == 30 and window["value"].sum() == 89_200
    r = value_on(series, "2026-02-28") / window["value"].mean()
    assert round(r, 2) == 4.25 and half_away(100 * (r - 1)) == 325
    text = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "89,200 / 30 = 2,973.3" in text and "4.25x, +325%" in text
