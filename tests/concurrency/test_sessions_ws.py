"""The load test's websocket driver, small: three Explore sessions on the real app while a CLI
import runs, speaking Streamlit's own protocol (no browser).

`benchmarks.bench_load.load_run` - what `make bench` runs with 25 sessions - starts `streamlit
run app.py` on 127.0.0.1 and drives each session as a websocket client (`benchmarks.ws_client`):
filter changes with no import, while `installpulse ingest` holds the database inside its
transaction (fault point `import:in_transaction@stop`, so 'during' is certain, not timed), one
after the import is resumed and done, and a short run with no think time. Here it must have
measured real reruns (each with a chart, each a new view, no error of any kind) and the counts
must show the last import's data during the import and the new one after it. No timing is
asserted. It runs in its own process, as the benchmark does.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.measure import run_callable
from benchmarks.ws_client import Rerun
from pipelines import reads, store
from tests.conftest import FIXTURES

NEW_FILE = FIXTURES / "generic" / "long_utf8.csv"  # 6 values the demo does not hold
SESSIONS = 3
CHANGES = 1


def _values(counts: str) -> int | None:
    return Rerun(seconds=0, counts=counts).daily_values()


def test_websocket_sessions_rerun_without_error_during_an_import_and_see_it_after(
    demo_db: Path, tmp_path: Path
) -> None:
    before = reads.totals(demo_db)["observations"]
    store.release_all()
    done = run_callable(
        "benchmarks.bench_load:load_run",
        {
            "db": str(demo_db),
            "log": str(tmp_path / "streamlit.log"),
            "import_file": str(NEW_FILE),
            "sessions": SESSIONS,
            "changes": CHANGES,
            "think": [0.05, 0.2],
            "saturation_s": 1.0,
            "fault": "import:in_transaction@stop",
            "apps_per_session": 2,
        },
        timeout=300,
    )
    assert done.ok, done.stderr_tail
    result = done.value
    assert result["import"]["returncode"] == 0, result["import"]["output"]
    assert "imported as" in result["import"]["output"]
    assert [_values(c) for c in result["counts_before"]] == [before] * SESSIONS
    assert len(result["sessions"]) == SESSIONS
    for session in result["sessions"]:
        assert session["errors"] == []  # (a rerun with no chart or no new view is one)
        assert not session["broken"]
        times = session["times"]
        assert len(times["open"]) == 1
        assert len(times["idle"]) == CHANGES
        assert len(times["import"]) == CHANGES  # held: every change ran during the import
        assert len(times["after"]) == 1
        assert len(times["saturation"]) >= 1
        assert all(t > 0 for phase in times.values() for t in phase)
        assert _values(session["counts"]["idle"]) == before
        assert _values(session["counts"]["import"]) == before  # the last import's data
        assert _values(session["counts"]["after"]) == before + 6  # the new import's
    assert set(result["phases"]) == {"open", "idle", "import", "after", "saturation"}
    assert result["rss_peak_mb"] > 0
    assert reads.totals(demo_db)["observations"] == before + 6
