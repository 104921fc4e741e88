"""Fixtures: small hand-made frames shaped like the analytics output, and the browser.

The numbers mirror the demo story (ChatGPT US uninstalls +295% day over day on
2026-02-28) so a failing assertion reads like the product.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest

from charts.export import browser_available, find_browser

HOSTILE_LINK = '<a href="https://example.com">x</a><script>alert(1)</script>'
HOSTILE_SPAN = '<span style="font-size:300px">big</span>'
HOSTILE_IMG = "<img src=x onerror=alert(1)>"

START = dt.date(2026, 2, 20)
DAYS = 12


def _series(app: str, metric: str, values: list[float], method_label: str) -> pl.DataFrame:
    dates = [START + dt.timedelta(days=i) for i in range(len(values))]
    baseline = [None, *values[:-1]]
    change = [None if b is None else v / b - 1 for v, b in zip(values, baseline, strict=True)]
    return pl.DataFrame(
        {
            "date": dates,
            "value": values,
            "baseline": baseline,
            "change": change,
            "multiple": [None if c is None else 1 + c for c in change],
            "method": ["dod"] * len(values),
            "method_label": [method_label] * len(values),
            "typical_low": [None if b is None else b * 0.91 for b in baseline],
            "typical_high": [None if b is None else b * 1.09 for b in baseline],
            "app": [app] * len(values),
            "metric": [metric] * len(values),
            "country": ["US"] * len(values),
            "platform": ["ios"] * len(values),
            "source": ["demo"] * len(values),
        },
        schema_overrides={"baseline": pl.Float64, "change": pl.Float64, "multiple": pl.Float64},
    )


@pytest.fixture
def results() -> pl.DataFrame:
    """Two apps, one metric: ChatGPT uninstalls (spike on 02-28) and Claude's, 10x smaller."""
    chatgpt = [1000, 1010, 990, 1005, 1000, 995, 1010, 1000, 3950, 2600, 1800, 1500]
    claude = [100, 102, 98, 101, 100, 99, 101, 137, 207, 190, 180, 170]
    return pl.concat(
        [
            _series("ChatGPT", "uninstalls", [float(v) for v in chatgpt], "vs the previous day"),
            _series("Claude", "uninstalls", [float(v) for v in claude], "vs the previous day"),
        ]
    )


@pytest.fixture
def spikes(results: pl.DataFrame) -> pl.DataFrame:
    keys = ["app", "metric", "country", "platform", "source"]
    up = results.filter(pl.col("date") == dt.date(2026, 2, 28)).select(*keys, "date", "value")
    down = results.filter(
        (pl.col("date") == dt.date(2026, 3, 3)) & (pl.col("app") == "ChatGPT")
    ).select(*keys, "date", "value")
    return pl.concat(
        [
            up.with_columns(score=pl.lit(9.5), direction=pl.lit("up")),
            down.with_columns(score=pl.lit(3.2), direction=pl.lit("down")),
        ]
    )


def make_events(rows: list[tuple]) -> pl.DataFrame:
    """rows: (event_id, start, end, title, is_approximate)."""
    return pl.DataFrame(
        {
            "event_id": [r[0] for r in rows],
            "start_date": [r[1] for r in rows],
            "end_date": [r[2] for r in rows],
            "title": [r[3] for r in rows],
            "description": [f"Description of {r[3]}" for r in rows],
            "tags": [["press"] for _ in rows],
            "is_approximate": [r[4] for r in rows],
        },
        schema_overrides={"event_id": pl.Int64, "tags": pl.List(pl.String)},
    )


@pytest.fixture
def events_frame():
    """Factory: build an events frame from (event_id, start, end, title, is_approximate)."""
    return make_events


@pytest.fixture
def events() -> pl.DataFrame:
    d = dt.date
    return make_events(
        [
            (1, d(2026, 2, 24), d(2026, 2, 24), "Defense Secretary meets Anthropic CEO", False),
            (2, d(2026, 2, 26), d(2026, 2, 26), "Anthropic publishes refusal", False),
            (3, d(2026, 2, 27), d(2026, 2, 27), "Federal agencies told to stop", False),
            (4, d(2026, 2, 27), d(2026, 2, 27), "Supply-chain risk designation", False),
            (5, d(2026, 2, 27), d(2026, 2, 27), "OpenAI agreement announced", False),
            (6, d(2026, 3, 2), d(2026, 3, 2), "Uninstall spike reported", False),
            (7, d(2026, 2, 25), d(2026, 3, 1), "Claude memory for all users", True),
        ]
    )


@pytest.fixture(scope="session")
def browser_path() -> str:
    """The Chromium to use, or skip (fail under CI) with what is missing."""
    path = find_browser()
    if path is None:
        reason = (
            "no Chromium found (looked at BROWSER_PATH, /usr/bin/chromium, then chromium, "
            f"chromium-browser, google-chrome on PATH): {browser_available()[1]}"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keep = os.environ.get("INSTALLPULSE_CHART_ARTIFACTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep)
    return tmp_path_factory.mktemp("chart-artifacts")


@pytest.fixture
def study() -> pl.DataFrame:
    """ChatGPT and Claude downloads aligned on 2026-02-27 (offsets -3..+3)."""
    rows = []
    event = dt.date(2026, 2, 27)
    series = {
        "ChatGPT": [100.0, 101.0, 99.0, 114.0, 99.0, 94.0, 95.0],
        "Claude": [50.0, 51.0, 49.0, 68.5, 103.0, 98.0, 90.0],
    }
    for app, values in series.items():
        reference = 100.0 if app == "ChatGPT" else 50.0
        for i, value in enumerate(values):
            offset = i - 3
            rows.append(
                {
                    "app": app,
                    "metric": "downloads",
                    "country": "US",
                    "platform": "ios",
                    "source": "demo",
                    "offset": offset,
                    "date": event + dt.timedelta(days=offset),
                    "value": value,
                    "reference": reference,
                    "change": value / reference - 1,
                    "multiple": value / reference,
                }
            )
    return pl.DataFrame(rows)
