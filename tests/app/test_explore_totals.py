"""The Explore page totals real store exports by the rules (issue 10): what an analyst sees
in the numbers table and the chart is the CLI's answer.

Fixtures: Play's overview (WW) and country files of March 2026 and an estimate of the same
Android US days. By hand: Play's worldwide Daily User Uninstalls are 395 (03-01) and 1,588
(03-02); the US rows say 115 and 1,101; the estimate says 130 and 1,200.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_helpers import figure, open_page

from pipelines import cli, contract
from pipelines.adapters.base import IngestOptions

PLAY = Path(__file__).resolve().parents[1] / "fixtures" / "google_play"
ESTIMATE_CSV = (
    b"date,app,platform,country,metric,value,source\n"
    b"2026-03-01,com.example.chat,android,US,uninstalls,130,sensortower\n"
    b"2026-03-02,com.example.chat,android,US,uninstalls,1200,sensortower\n"
)
VIEW = {
    "apps": "com.example.chat",
    "metrics": "uninstalls",
    "start": "2026-03-01",
    "end": "2026-03-02",
}


@pytest.fixture
def play_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "play.duckdb"
    for name in ("overview", "country"):
        path = PLAY / f"installs_com.example.chat_202603_{name}.csv"
        assert contract.ingest_file(path, db, IngestOptions()).status == "imported"
    estimate = tmp_path / "estimate.csv"
    estimate.write_bytes(ESTIMATE_CSV)
    assert contract.ingest_file(estimate, db, IngestOptions()).status == "imported"
    monkeypatch.setenv("INSTALLPULSE_DB", str(db))
    return db


def numbers(at) -> list[tuple[str, str, str]]:
    table = at.dataframe[-1].value
    return list(zip(table["country"], table["source"], table["value"], strict=True))


def test_all_countries_is_the_worldwide_row(play_env: Path, capsys) -> None:
    at = open_page("app_pages/explore.py", VIEW)
    assert not at.exception, at.exception
    assert numbers(at) == [("WW", "google_play", "395"), ("WW", "google_play", "1,588")]
    hover = json.dumps(figure(at)["data"])
    assert "1,588" in hover and "+302%" in hover  # 1,588 / 395 - 1 = 3.0203
    code = cli.main(
        ["series", "--app", "com.example.chat", "--metric", "uninstalls",
         "--start", "2026-03-01", "--end", "2026-03-02", "--format", "json",
         "--db", str(play_env)]
    )  # fmt: skip
    assert code == 0
    assert [r["value"] for r in json.loads(capsys.readouterr().out)] == [395, 1588]


def test_prefer_sources_picks_the_estimate_and_the_url_keeps_it(play_env: Path) -> None:
    at = open_page("app_pages/explore.py", {**VIEW, "countries": "US"})
    assert numbers(at) == [("US", "google_play", "115"), ("US", "google_play", "1,101")]
    at = open_page("app_pages/explore.py", {**VIEW, "countries": "US", "prefer": "sensortower"})
    assert not at.exception, at.exception
    assert numbers(at) == [("US", "sensortower", "130"), ("US", "sensortower", "1,200")]
    assert at.query_params["prefer"] == "sensortower"
