"""An annotation CSV with a field over Python's default 128 KB csv limit (issue 11, item 2, for
`installpulse ingest --events`): refused at its line with the reason, no traceback, nothing
stored; a file that is not CSV at all is refused with its line too."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import events
from pipelines.errors import ImportFailed
from tests.bad_inputs.bad_input_helpers import run_cli

BIG = "x" * 140_000


@pytest.mark.usefixtures("default_field_limit")
def test_a_long_description_is_refused_at_its_line() -> None:
    text = f"start_date,title,description\n2026-02-27,deal,short\n2026-02-28,deal,{BIG}\n"
    with pytest.raises(ImportFailed) as caught:
        events.parse_csv(text, "events.csv")
    problem = caught.value.problems[0]
    assert problem.line == 3
    assert "description" in str(problem.message) or "longer" in str(problem.message)
    assert len(caught.value.render()) < 2000  # the field is not echoed


@pytest.mark.usefixtures("default_field_limit")
def test_cli_ingest_events_with_a_long_field(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(f"start_date,title,description\n2026-02-28,deal,{BIG}\n", encoding="utf-8")
    result = run_cli("ingest", "--db", str(db), "--events", str(path))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "events.csv" in result.stderr and "line 2" in result.stderr
    listed = run_cli("events", "list", "--db", str(db), "--format", "csv")
    assert listed.stdout.count("\n") <= 1  # header only: nothing stored


def test_a_bad_csv_quote_is_refused_with_its_line() -> None:
    with pytest.raises(ImportFailed) as caught:
        events.parse_csv('start_date,title\n2026-02-28,"a\x00b"\n', "nul.csv")
    assert caught.value.problems[0].line == 2
