"""A change of baseline on the Explore page reads nothing again (the reading is cached per
``semantic.answer.read_key``, which leaves the method out) and shows the numbers the CLI
prints for that baseline; a method that reads further back (yoy) reads anew."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_helpers import STORY, open_page

from analytics import formatting
from pipelines import cli
from semantic import answer


def _cli_rows(db: Path, method: str, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    code = cli.main(
        ["series", "--app", "ChatGPT", "--metric", "uninstalls", "--country", "US",
         "--start", STORY["start"], "--end", STORY["end"], "--baseline", method,
         "--format", "json", "--db", str(db)]
    )  # fmt: skip
    assert code == 0
    return json.loads(capsys.readouterr().out)


def _shown(at, app: str) -> list[tuple[str, str, str, str]]:
    table = at.dataframe[-1].value
    table = table[table["app"] == app]
    return list(
        zip(table["method"], table["value"], table["baseline"], table["change"], strict=True)
    )


def test_a_baseline_change_reads_once_and_says_what_the_cli_says(
    demo_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reads = []
    real = answer.read

    def counting(db, request, **options):
        reads.append(request)
        return real(db, request, **options)

    monkeypatch.setattr(answer, "read", counting)
    at = open_page("app_pages/explore.py", STORY)
    assert not at.exception, at.exception
    assert len(reads) == 1

    shown = {}
    for method, n_reads in (("mean:28", 1), ("wow", 1), ("yoy", 2)):
        at.selectbox(key="x_baseline").set_value(method).run()
        assert not at.exception, at.exception
        assert at.query_params["baseline"] == method
        assert len(reads) == n_reads, method
        shown[method] = _shown(at, "ChatGPT")

    for method, rows in shown.items():  # the CLI reads by the same function: after the page
        expected = [
            (
                method,
                formatting.fmt_value(row["value"]),
                formatting.fmt_value(row["baseline"]),
                formatting.fmt_pct(row["change"]),
            )
            for row in _cli_rows(demo_env, method, capsys)
        ]
        assert len(expected) == 29  # 14 Feb .. 14 Mar
        assert rows == expected
