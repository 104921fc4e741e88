"""The app/export benchmarks: rows without a browser, the error target, one tiny rerun run.

No wall-clock assertions: figures are only checked to be present.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `benchmarks` is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_app import ErrorTarget, memory_benchmark  # noqa: E402
from benchmarks.bench_export import export_benchmark  # noqa: E402
from benchmarks.generate import SIZES  # noqa: E402
from benchmarks.registry import Context, Result  # noqa: E402


@pytest.fixture
def no_browser(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Context:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    return Context("tiny", SIZES["tiny"], 1, 1, tmp_path / "data", tmp_path / "work")


def test_memory_without_a_browser_is_a_failed_row_with_the_reason(no_browser: Context) -> None:
    (row,) = list(memory_benchmark(no_browser))
    assert row.status == "failed" and "Chromium" in row.note
    assert row.target is not None and row.target.max_rss_mb == 600


def test_export_without_a_browser_gives_failed_rows(no_browser: Context) -> None:
    rows = list(export_benchmark(no_browser))
    assert [r.id for r in rows] == [
        "export.png.first",
        "export.png.warm",
        "export.svg.first",
        "export.svg.warm",
    ]
    assert all(r.status == "failed" and "BROWSER_PATH" in r.note for r in rows)


def test_error_target_needs_zero_errors() -> None:
    r = Result(id="x", label="x", size="tiny", median_s=1.0, p95_s=1.0, target=ErrorTarget())
    r.errors = 0  # type: ignore[attr-defined]
    r.finish()
    assert r.met is True and r.target is not None and "no errors" in r.target.describe()
    r.errors = 2  # type: ignore[attr-defined]
    r.finish()
    assert r.met is False


def test_tiny_page_rerun_run(tmp_path: Path) -> None:
    out, data = tmp_path / "out", tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--size", "tiny", "--reps", "1",
         "--out", str(out), "--data-dir", str(data), "--only", "app_rerun"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    by_id = {r["id"]: r for r in json.loads((out / "results.json").read_text())["results"]}
    for page in ("overview", "explore"):
        r = by_id[f"app.rerun.{page}"]
        assert r["status"] == "ok", r
        assert r["errors"] == 0 and r["median_s"] > 0 and r["p95_s"] >= r["median_s"]
        assert r["reps"] == 10
    assert not list(data.glob("work-*")), "scratch directory left behind"
