"""The analytics commands (`series`, `spikes`, `study`) on the demo database: formats, defaults,
aggregation rules and exit codes.

Most checks call the command functions in process through ``pipelines.cli.main`` (the same
argument parsing and error handling as the console script); one subprocess run checks that the
commands are registered for `python -m pipelines`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines import analysis_cli, cli, demo, reads, store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "demo.duckdb"
    demo.load(path)
    return path


def run(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main([*args, "--db", str(db)])
    out, err = capsys.readouterr()
    return code, out, err


def test_commands_are_registered_for_python_m_pipelines(demo_path: Path) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "pipelines", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert p.returncode == 0
    for name in ("series", "spikes", "study"):
        assert name in p.stdout


def test_series_csv_has_raw_values_and_empty_missing(demo_path, capsys) -> None:
    code, out, _ = run(
        demo_path,
        capsys,
        "series",
        "--app",
        "Claude",
        "--metric",
        "downloads",
        "--country",
        "US",
        "--platform",
        "ios",
        "--start",
        "2026-02-27",
        "--end",
        "2026-02-28",
        "--format",
        "csv",
    )
    assert code == 0
    frame = pl.read_csv(out.encode(), try_parse_dates=True)
    assert frame.get_column("date").to_list() == [date(2026, 2, 27), date(2026, 2, 28)]
    assert set(frame.get_column("platform")) == {"ios"}
    assert frame.get_column("reason").null_count() == 2  # empty cells, not "None"
    assert "typical_change" in frame.columns and "is_partial" in frame.columns


def test_series_aggregates_countries_by_default(demo_path, capsys) -> None:
    code, out, _ = run(
        demo_path,
        capsys,
        "series",
        "--app",
        "com.openai.chatgpt",
        "--metric",
        "uninstalls",
        "--start",
        "2026-02-28",
        "--end",
        "2026-02-28",
        "--format",
        "json",
    )
    assert code == 0
    (row,) = json.loads(out)
    assert (row["country"], row["platform"]) == ("BR+DE+GB+IN+US", "android+ios")
    assert row["value"] == 16930  # 12,640 in the US plus the other four countries


def test_series_default_range_is_the_last_30_days(demo_path, capsys) -> None:
    code, out, _ = run(
        demo_path,
        capsys,
        "series",
        "--app",
        "ChatGPT",
        "--metric",
        "downloads",
        "--country",
        "US",
        "--format",
        "json",
    )
    rows = json.loads(out)
    assert code == 0 and len(rows) == 30
    assert (rows[0]["date"], rows[-1]["date"]) == ("2026-04-01", "2026-04-30")
    assert all(r["typical_change"] is not None for r in rows)  # the look-back was fetched


def test_series_week_partial_period_is_not_compared(demo_path, capsys) -> None:
    # 2026-04-27 is a Monday; the data end on Thu 30 Apr: that week is partial.
    code, out, _ = run(
        demo_path,
        capsys,
        "series",
        "--app",
        "ChatGPT",
        "--metric",
        "downloads",
        "--country",
        "US",
        "--grain",
        "week",
        "--baseline",
        "wow",
        "--start",
        "2026-04-13",
        "--end",
        "2026-04-30",
        "--format",
        "json",
    )
    rows = json.loads(out)
    assert code == 0
    assert [r["date"] for r in rows] == ["2026-04-13", "2026-04-20", "2026-04-27"]
    assert rows[-1]["is_partial"] is True and rows[-1]["change"] is None
    assert rows[-1]["reason"] == "partial period"
    assert rows[0]["change"] is not None


def test_series_table_of_a_month_names_months(demo_path, capsys) -> None:
    code, out, _ = run(
        demo_path,
        capsys,
        "series",
        "--app",
        "ChatGPT",
        "--metric",
        "uninstalls",
        "--country",
        "US",
        "--grain",
        "month",
        "--baseline",
        "yoy",
        "--start",
        "2026-03-01",
        "--end",
        "2026-03-31",
    )
    assert code == 0
    assert "Mar 2026" in out and "+413%" in out and "5.13x" in out
    assert out.splitlines()[-1] == (
        "ChatGPT (US, iOS+Android) uninstalls: 197,213 in Mar 2026, +413% vs the same month a "
        "year earlier (5.13x)."
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app", "Nope", "--metric", "uninstalls"], "Unknown app 'Nope'"),
        (["--app", "ChatGPT", "--metric", "nope"], "Unknown metric(s): nope"),
        (
            [
                "--app",
                "ChatGPT",
                "--metric",
                "downloads",
                "--grain",
                "week",
                "--baseline",
                "mean:28",
            ],
            "works at grain day, not 'week'",
        ),
        (
            [
                "--app",
                "ChatGPT",
                "--metric",
                "downloads",
                "--start",
                "2030-01-01",
                "--end",
                "2030-01-31",
            ],
            "No observations of ChatGPT downloads",
        ),
        (
            [
                "--app",
                "ChatGPT",
                "--metric",
                "downloads",
                "--start",
                "2026-03-02",
                "--end",
                "2026-03-01",
            ],
            "is after --end",
        ),
    ],
)
def test_series_errors_exit_1_with_a_sentence(demo_path, capsys, args, message) -> None:
    code, out, err = run(demo_path, capsys, "series", *args)
    assert code == 1 and out == ""
    assert message in err and "Traceback" not in err


def test_series_level_metric_is_refused_when_summed(demo_path, capsys) -> None:
    """A level on two platforms would be summed without --platform: refused; one platform
    (one stored value a day) is no sum and is shown."""
    with store.connect(demo_path) as con:  # one day of a level metric on both platforms
        con.execute(
            "insert into series values (9999, 'com.openai.chatgpt', 'android', 'US', "
            "'active_devices', 'demo'), (9998, '6448311069', 'ios', 'US', "
            "'active_devices', 'demo')"
        )
        con.execute(
            "insert into observations values (9999, date '2026-04-30', 1000, 1), "
            "(9998, date '2026-04-30', 700, 1)"
        )
        con.fetchall()
    try:
        code, _, err = run(
            demo_path,
            capsys,
            "series",
            "--app",
            "ChatGPT",
            "--metric",
            "active_devices",
            "--country",
            "US",
        )
        assert code == 1
        assert "active_devices is a level" in err and "one platform" in err
        code, out, _ = run(
            demo_path,
            capsys,
            "series",
            "--app",
            "ChatGPT",
            "--metric",
            "active_devices",
            "--country",
            "US",
            "--platform",
            "android",
            "--format",
            "json",
        )
        assert code == 0 and json.loads(out)[0]["value"] == 1000
    finally:
        with store.connect(demo_path) as con:
            con.execute("delete from observations where series_id in (9998, 9999)")
            con.execute("delete from series where series_id in (9998, 9999)")
            con.fetchall()


def test_series_bad_baseline_is_an_argparse_error(demo_path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["series", "--app", "ChatGPT", "--metric", "downloads", "--baseline", "avg"])
    assert exc.value.code == 2
    assert "valid forms" in capsys.readouterr().err


def test_spikes_default_is_the_last_7_days(demo_path, capsys) -> None:
    code, out, _ = run(demo_path, capsys, "spikes", "--format", "json", "--threshold", "0")
    rows = json.loads(out)
    assert code == 0 and 0 < len(rows) <= 50
    assert all("2026-04-24" <= r["date"] <= "2026-04-30" for r in rows)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    scores = [abs(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_spikes_finds_the_boycott(demo_path, capsys) -> None:
    code, out, _ = run(
        demo_path,
        capsys,
        "spikes",
        "--start",
        "2026-02-27",
        "--end",
        "2026-03-01",
        "--metric",
        "uninstalls",
        "--direction",
        "up",
        "--limit",
        "4",
        "--format",
        "json",
    )
    rows = json.loads(out)
    assert code == 0 and len(rows) == 4
    top = {(r["app"], r["country"], r["platform"]) for r in rows[:2]}
    assert top == {("ChatGPT", "US", "ios"), ("ChatGPT", "US", "android")}
    for r in rows:
        assert r["metric"] == "uninstalls" and r["direction"] == "up" and r["score"] >= 3.5
        assert r["start_date"] <= r["date"] <= r["end_date"]
        assert r["method"] == "mean:28"


def test_spikes_table_and_nothing_found(demo_path, capsys) -> None:
    code, out, _ = run(demo_path, capsys, "spikes", "--threshold", "1000")
    assert code == 0 and "No series moved that much." in out
    code, out, _ = run(demo_path, capsys, "spikes", "--threshold", "1000", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_spikes_reads_only_the_look_back(demo_path) -> None:
    frame = reads.recent_all(demo_path, date(2026, 4, 24), date(2026, 4, 30))
    assert frame.get_column("date").min() == date(2026, 3, 27)  # 28 days before the 24th
    assert frame.columns == [
        "series_id", "app", "metric", "source", "country", "platform", "date", "value"
    ]  # fmt: skip
    assert frame.get_column("series_id").n_unique() == 120
    assert frame.select("app", "metric", "country", "platform").unique().height == 120
    only = reads.recent_all(demo_path, date(2026, 4, 30), date(2026, 4, 30), ["installs"])
    assert set(only.get_column("metric")) == {"installs"}


def test_study_json_and_sentence(demo_path, capsys) -> None:
    code, out, _ = run(
        demo_path,
        capsys,
        "study",
        "--date",
        "2026-02-28",
        "--app",
        "ChatGPT",
        "--app",
        "6473753684",
        "--metric",
        "uninstalls",
        "--country",
        "US",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0
    assert [r["app"] for r in data["summary"]] == ["ChatGPT", "Claude"]
    assert len(data["days"]) == 2 * 29
    chatgpt = data["summary"][0]
    assert chatgpt["peak_date"] == "2026-02-28" and chatgpt["peak_value"] == 12640
    code, out, _ = run(
        demo_path,
        capsys,
        "study",
        "--date",
        "2026-02-28",
        "--app",
        "ChatGPT",
        "--metric",
        "uninstalls",
        "--country",
        "US",
        "--summary",
    )
    assert code == 0
    sentence = out.splitlines()[-1]
    assert sentence.startswith("ChatGPT (US, iOS+Android) uninstalls after Sat 28 Feb 2026: peak +")
    assert "on Sat 28 Feb 2026 (day 0)" in sentence


def test_study_csv_is_the_days(demo_path, capsys) -> None:
    code, out, _ = run(
        demo_path,
        capsys,
        "study",
        "--date",
        "2026-02-28",
        "--app",
        "Claude",
        "--metric",
        "downloads",
        "--country",
        "US",
        "--pre",
        "3",
        "--post",
        "2",
        "--format",
        "csv",
    )
    frame = pl.read_csv(out.encode())
    assert code == 0
    assert frame.get_column("offset").to_list() == [-3, -2, -1, 0, 1, 2]


def test_series_frame_is_the_public_path(demo_path) -> None:
    out = analysis_cli.series_frame(
        demo_path,
        "Claude",
        "downloads",
        country="US",
        start=date(2026, 2, 27),
        end=date(2026, 2, 28),
    )
    assert out.columns == analysis_cli.SERIES_COLUMNS
    assert [round(x, 4) for x in out.get_column("change")] == [0.37, 0.51]
