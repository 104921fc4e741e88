"""Helpers for the bad-input and fetch suites: the C1 probe, stored values, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines import sql, store

REPO = Path(__file__).resolve().parents[2]
BAD = REPO / "tests" / "fixtures" / "bad"
BASELINE = b"date,app,metric,value\n2024-01-01,Base,installs,5\n2024-01-02,Base,installs,6\n"


def snapshot(db: Path) -> tuple[dict[str, tuple[int, int]], list[tuple]]:
    """(checksums of every table but the history, the history rows)."""
    with store.connect(db) as con:
        sums = store.table_checksums(con)
        history = sql.run_text(
            con, "select import_id, status, file_name, message, encoding from imports order by 1"
        )
    sums.pop("imports")
    return sums, history


def assert_only_a_failed_row_added(before, after) -> tuple:
    """C1: tables unchanged; exactly one new history row, and it says 'failed'."""
    sums_before, history_before = before
    sums_after, history_after = after
    assert sums_after == sums_before
    assert history_after[: len(history_before)] == history_before
    assert len(history_after) == len(history_before) + 1
    new = history_after[-1]
    assert new[1] == "failed"
    return new


def stored(db: Path) -> set[tuple]:
    """Every stored value outside the baseline app, as (app, platform, country, date, metric,
    value, source) with the date as ISO text."""
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select app, platform, country, strftime(date, '%Y-%m-%d'), metric, value, source "
            "from daily_metrics where app <> 'Base'",
        )
    return set(rows)


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
