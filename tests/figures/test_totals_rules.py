"""The totals rules on real store exports (issue 10, defects 1-3), through every surface.

Each case imports byte-exact fixtures in the stores' formats (tests/fixtures/) and asks the
same question of the CLI (`installpulse series --format json`), the Explore page's answer
(`semantic.views.ExploreState(...).request()` -> `semantic.answer.answer`), its CSV export,
and the analysts' SQL view `daily_totals`. Expected numbers are read off the fixture rows by
hand (quoted in each test).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import cli, contract, csvout, ops, store
from pipelines.adapters.base import IngestOptions
from pipelines.errors import UsageError
from semantic import answer, views
from semantic.request import SeriesRequest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PLAY = FIXTURES / "google_play"
PLAY_OVERVIEW = PLAY / "installs_com.example.chat_202603_overview.csv"
PLAY_COUNTRY = PLAY / "installs_com.example.chat_202603_country.csv"
APPLE_STANDARD = (
    FIXTURES / "apple_installs" / "App Store Installation and Deletion Standard_2026-03-01.txt.gz"
)
D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def ingest(db: Path, *paths: Path) -> None:
    for path in paths:
        result = contract.ingest_file(path, db, IngestOptions())
        assert result.status == "imported", result.summary()


def cli_json(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    code = cli.main(["series", *args, "--format", "json", "--db", str(db)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def view_values(db: Path, app: str, metric: str, country: str, platform: str) -> list:
    """Values of `daily_totals` for 2026-03-01..02 (the view covers all days: a day the
    window of a request would not include can be "not reported" there)."""
    store.release_all()
    with duckdb.connect(str(db)) as con:
        rows = con.execute(
            "select date, value from daily_totals where app = ? and metric = ? and country = ? "
            "and platform = ? and date between ? and ? order by date",
            [app, metric, country, platform, D1, D2],
        ).fetchall()
    return [v for _, v in rows]


def explore_values(db: Path, state: views.ExploreState) -> tuple[list, list[dict]]:
    """(values of the Explore answer, the rows of its CSV download parsed back)."""
    results = answer.answer(db, state.request()).results
    table = views.table_numbers(results)
    parsed = list(csv.DictReader(io.StringIO(csvout.to_csv_bytes(table).decode("utf-8"))))
    return results.get_column("value").to_list(), parsed


def test_worldwide_is_not_added_to_its_countries(tmp_path: Path, capsys) -> None:
    """Play's overview file (country WW) and the country file of the same month. Daily User
    Uninstalls in the overview: 395 (03-01) and 1,588 (03-02); the country file's US rows say
    115 and 1,101. "All countries" is Play's own worldwide total, never WW + US + IN + ZZ."""
    db = tmp_path / "db.duckdb"
    ingest(db, PLAY_OVERVIEW, PLAY_COUNTRY)
    rows = cli_json(
        db, capsys, "--app", "com.example.chat", "--metric", "uninstalls",
        "--start", "2026-03-01", "--end", "2026-03-02",
    )  # fmt: skip
    assert [r["value"] for r in rows] == [395, 1588]
    assert {r["country"] for r in rows} == {"WW"}
    state = views.ExploreState(apps=["com.example.chat"], metrics=["uninstalls"], start=D1, end=D2)
    values, exported = explore_values(db, state)
    assert values == [395, 1588]
    assert [float(r["value"]) for r in exported] == [395, 1588]
    assert exported[0]["country"] == "WW"
    assert view_values(db, "com.example.chat", "uninstalls", "all", "all") == [395, 1588]
    # One chosen country stays that country.
    us = cli_json(
        db, capsys, "--app", "com.example.chat", "--metric", "uninstalls", "--country", "US",
        "--start", "2026-03-01", "--end", "2026-03-02",
    )  # fmt: skip
    assert [r["value"] for r in us] == [115, 1101]
    assert view_values(db, "com.example.chat", "uninstalls", "US", "all") == [115, 1101]


def test_worldwide_with_countries_is_refused_as_a_choice(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    ingest(db, PLAY_OVERVIEW, PLAY_COUNTRY)
    state = views.ExploreState(
        apps=["com.example.chat"], metrics=["uninstalls"], countries=["WW", "US"],
        start=D1, end=D2,
    )  # fmt: skip
    with pytest.raises(UsageError, match="WW \\(worldwide\\) already contains US"):
        answer.answer(db, state.request())


def test_one_app_on_both_stores_is_totalled(tmp_path: Path, capsys) -> None:
    """Apple's Installation and Deletion report (iOS: US Delete rows on 03-01 count 410) and
    Play's country file (Android: US Daily User Uninstalls 115 on 03-01, 1,101 on 03-02),
    mapped to one app. US, iOS + Android on 03-01: 410 + 115 = 525, from two first-party
    sources, summed. 03-02 has no Apple row: not reported (never 1,101 as if iOS were 0)."""
    db = tmp_path / "db.duckdb"
    ingest(db, APPLE_STANDARD, PLAY_COUNTRY)
    ops.alias("com.example.chat", "Example Chat", db)
    ops.alias("1000000001", "Example Chat", db)
    rows = cli_json(
        db, capsys, "--app", "Example Chat", "--metric", "uninstalls", "--country", "US",
        "--start", "2026-03-01", "--end", "2026-03-02",
    )  # fmt: skip
    assert [r["value"] for r in rows] == [525, None]
    assert rows[0]["platform"] == "android+ios"
    assert rows[0]["source"] == "app_store_connect+google_play"
    assert rows[1]["missing"] == "ios"
    state = views.ExploreState(
        apps=["Example Chat"], metrics=["uninstalls"], countries=["US"], start=D1, end=D2
    )
    values, exported = explore_values(db, state)
    assert values == [525, None]
    assert [r["value"] for r in exported] == ["525.0", ""]
    assert view_values(db, "Example Chat", "uninstalls", "US", "all") == [525, None]
    # Each platform alone is its own first-party figure.
    assert view_values(db, "Example Chat", "uninstalls", "US", "ios") == [410]
    assert view_values(db, "Example Chat", "uninstalls", "US", "android") == [115, 1101]


ESTIMATE_CSV = (
    b"date,app,platform,country,metric,value,source\n"
    b"2026-03-01,com.example.chat,android,US,uninstalls,130,sensortower\n"
    b"2026-03-02,com.example.chat,android,US,uninstalls,1200,sensortower\n"
)


def test_an_estimate_beside_the_store_figure_is_chosen_never_summed(tmp_path: Path, capsys) -> None:
    """An estimate (130, 1,200) of the same platform, country and days as Play's own figure
    (115, 1,101): first-party wins by default, the estimate when preferred, never 245."""
    db = tmp_path / "db.duckdb"
    estimate = tmp_path / "estimates.csv"
    estimate.write_bytes(ESTIMATE_CSV)
    ingest(db, PLAY_COUNTRY)
    result = contract.ingest_file(estimate, db, IngestOptions(format="generic-long"))
    assert result.status == "imported"
    args = [
        "--app", "com.example.chat", "--metric", "uninstalls", "--country", "US",
        "--start", "2026-03-01", "--end", "2026-03-02",
    ]  # fmt: skip
    rows = cli_json(db, capsys, *args)
    assert [r["value"] for r in rows] == [115, 1101]
    assert rows[0]["source"] == "google_play"
    preferred = cli_json(db, capsys, *args, "--prefer", "sensortower")
    assert [r["value"] for r in preferred] == [130, 1200]
    assert preferred[0]["source"] == "sensortower"
    state = views.ExploreState(
        apps=["com.example.chat"], metrics=["uninstalls"], countries=["US"], start=D1, end=D2,
        prefer=["sensortower"],
    )  # fmt: skip
    assert explore_values(db, state)[0] == [130, 1200]
    assert view_values(db, "com.example.chat", "uninstalls", "US", "android") == [115, 1101]


def test_a_level_is_never_summed_into_weeks_on_explore(tmp_path: Path) -> None:
    """Play's Active Device Installs is a level: a week of it is not a sum of 7 days. The
    Explore answer at week grain refuses it, as the CLI does."""
    db = tmp_path / "db.duckdb"
    ingest(db, PLAY_OVERVIEW)
    state = views.ExploreState(
        apps=["com.example.chat"], metrics=["active_devices"], start=D1, end=D2, grain="week",
        baseline="wow",
    )  # fmt: skip
    with pytest.raises(UsageError, match="level"):
        answer.answer(db, state.request())
    # At day grain the worldwide level is one stored value a day: shown as it is.
    daily = answer.answer(db, SeriesRequest.build(["com.example.chat"], ["active_devices"], D1, D2))
    assert daily.results.get_column("value").to_list() == [180220, 179950]
