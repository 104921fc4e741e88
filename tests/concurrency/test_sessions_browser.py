"""Two browser sessions on the real app while a CLI import runs: what a person does in Chromium.

The load test (`make bench`, 25 sessions) drives websocket clients (`test_sessions_ws.py` runs
it small); this one keeps the real frontend in the loop. `benchmarks.bench_load.browser_run`
starts `streamlit run app.py` on 127.0.0.1 and drives Explore sessions in one Debian Chromium: each
changes a filter with no import running, again while `installpulse ingest` holds the database
inside its transaction (fault point `import:in_transaction@stop`, so 'during' is certain, not
timed), and once more after the import is resumed and done. It runs in its own process
(Playwright's async API there, the suite's sync one here).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.measure import run_callable
from pipelines import reads, store
from tests.conftest import FIXTURES

NEW_FILE = FIXTURES / "generic" / "long_utf8.csv"  # 6 values the demo does not hold
SESSIONS = 2


def _values(counts: str) -> int:
    found = re.search(r"([\d,]+) daily values", counts)
    assert found, counts
    return int(found.group(1).replace(",", ""))


@pytest.mark.browser
def test_sessions_rerun_without_error_during_an_import_and_see_it_after(
    demo_db: Path, chromium_path: str, tmp_path: Path
) -> None:
    before = reads.totals(demo_db)["observations"]
    store.release_all()
    done = run_callable(
        "benchmarks.bench_load:browser_run",
        {
            "db": str(demo_db),
            "browser": chromium_path,
            "log": str(tmp_path / "streamlit.log"),
            "import_file": str(NEW_FILE),
            "sessions": SESSIONS,
            "changes": 1,
            "fault": "import:in_transaction@stop",
            "apps_per_session": 2,
        },
        timeout=600,
    )
    assert done.ok, done.stderr_tail
    result = done.value
    assert result["import"]["returncode"] == 0, result["import"]["output"]
    assert "imported as" in result["import"]["output"]
    assert len(result["sessions"]) == SESSIONS
    for session in result["sessions"]:
        assert session["errors"] == []
        assert set(session["times"]) == {"idle", "import", "after"}  # every rerun finished
        assert _values(session["counts"]["idle"]) == before
        assert _values(session["counts"]["import"]) == before  # the last import's data
        assert _values(session["counts"]["after"]) == before + 6  # the new import's
    assert reads.totals(demo_db)["observations"] == before + 6
