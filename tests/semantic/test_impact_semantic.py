"""semantic.impact and `installpulse impact` on the demo database.

The figures stated in the README ("Impact of an event") are checked here: ChatGPT's US
uninstalls (iOS+Android) from Sat 28 Feb to Fri 13 Mar 2026 against the four weeks before.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines import cli
from pipelines.errors import UsageError
from semantic import answer
from semantic import impact as semantic_impact
from semantic.request import SeriesRequest

EVENT = date(2026, 2, 28)
POST_VALUES = [12640, 11970, 11240, 9464, 10728, 8691, 9316, 8866, 6984, 8577, 7931, 7458,
               6332, 6063]  # fmt: skip


def ask(db: Path, *controls: str, method: str | None = None, **kw) -> semantic_impact.ImpactAnswer:
    request = semantic_impact.ImpactRequest.build(
        "ChatGPT", "uninstalls", EVENT, controls=controls, countries=["US"], method=method, **kw
    )
    return semantic_impact.impact(db, request)


def test_the_demo_figure_treated_alone(demo_db: Path):
    result = ask(demo_db)
    s = result.summary.row(0, named=True)
    assert (s["post_start"], s["post_end"]) == (EVENT, date(2026, 3, 13))
    assert (s["pre_start"], s["pre_end"], s["pre_observed"]) == (
        date(2026, 1, 31),
        date(2026, 2, 27),
        28,
    )
    assert s["actual_total"] == sum(POST_VALUES) == 126260
    # By hand from the 28 pre-period values: level = their mean, slope = least squares
    # sum((t - t_mean)(y - y_mean)) / sum((t - t_mean)^2) with t = -28..-1; the expected
    # total of days 0..13 = 14 x (mean + slope x (6.5 - (-14.5))).
    pre = result.days.filter(pl.col("period") == "pre")
    y = pre.get_column("actual").to_list()
    t = pre.get_column("offset").to_list()
    y_mean, t_mean = sum(y) / 28, sum(t) / 28
    slope = sum((a - t_mean) * (b - y_mean) for a, b in zip(t, y, strict=True)) / sum(
        (a - t_mean) ** 2 for a in t
    )
    assert y_mean == 2981.75
    assert s["expected_total"] == pytest.approx(14 * (y_mean + slope * 21))
    assert s["excess"] == pytest.approx(126260 - s["expected_total"])
    assert not s["uses_weekly"] and s["uses_trend"]
    assert round(s["excess"]) == 84423
    assert (round(s["excess_low"]), round(s["excess_high"])) == (80234, 88612)
    assert result.sentence == (
        "From 28 Feb to 13 Mar 2026, ChatGPT (US, iOS+Android) uninstalls were 84,000 above "
        "what the four weeks before predicted (95% interval 80,000 to 89,000)."
    )


def test_the_demo_figure_with_gemini_and_copilot_as_controls(demo_db: Path):
    result = ask(demo_db, "Gemini", "Copilot")
    s = result.summary.row(0, named=True)
    assert s["method"] == "did" and s["controls"] == "Gemini+Copilot"
    assert (round(s["excess"]), round(s["excess_low"]), round(s["excess_high"])) == (
        83100,
        78343,
        87857,
    )
    moves = {r["app"]: r for r in result.controls.to_dicts()}
    assert moves["Gemini"]["actual"] == 22502 and moves["Copilot"]["actual"] == 11360
    assert round(moves["Gemini"]["change"], 4) == 0.0612
    assert round(moves["Copilot"]["change"], 4) == -0.0219
    assert result.sentence == (
        "From 28 Feb to 13 Mar 2026, ChatGPT (US, iOS+Android) uninstalls were 83,000 above "
        "what the four weeks before predicted (difference-in-differences with Gemini and "
        "Copilot; 95% interval 78,000 to 88,000); Gemini and Copilot, used as controls, moved "
        "by under 7% from what their own four weeks before predicted."
    )
    synthetic = ask(demo_db, "Gemini", "Copilot", method="synthetic")
    weights = synthetic.controls.get_column("weight").to_list()
    assert sum(weights) == pytest.approx(1.0) and min(weights) >= 0
    assert synthetic.summary.row(0, named=True)["degrees_of_freedom"] == 25  # 28 - 2 - 1 weight


def test_the_numbers_are_explores_numbers(demo_db: Path):
    # One code path: the actual values are the totals Explore shows for the same slice.
    result = ask(demo_db)
    request = SeriesRequest.build(
        ["ChatGPT"], ["uninstalls"], date(2026, 1, 31), date(2026, 3, 13), countries=["US"]
    )
    explore = answer.answer(demo_db, request, with_spikes=False).results
    assert result.days.get_column("actual").to_list() == explore.get_column("value").to_list()
    assert result.days.get_column("date").to_list() == explore.get_column("date").to_list()
    assert result.sources == ("demo",)


def test_a_control_the_event_touched_is_refused(demo_db: Path):
    with pytest.raises(UsageError, match=r"^Claude, proposed as a control, moved too: \+74%"):
        ask(demo_db, "Gemini", "Claude")


def test_the_app_cannot_be_its_own_control(demo_db: Path):
    with pytest.raises(UsageError, match="cannot also be its own control"):
        ask(demo_db, "com.openai.chatgpt")  # a store identifier of ChatGPT


def test_a_level_metric_is_refused(demo_db: Path):
    request = semantic_impact.ImpactRequest.build("ChatGPT", "active_devices", EVENT)
    with pytest.raises(UsageError, match="is a level"):
        semantic_impact.impact(demo_db, request)


def test_unknown_app_and_empty_slice(demo_db: Path):
    with pytest.raises(UsageError, match="Unknown app 'Nope'"):
        semantic_impact.impact(
            demo_db, semantic_impact.ImpactRequest.build("Nope", "uninstalls", EVENT)
        )
    request = semantic_impact.ImpactRequest.build("ChatGPT", "installs", EVENT, countries=["DE"])
    with pytest.raises(UsageError, match="No observations of ChatGPT installs"):
        semantic_impact.impact(demo_db, request)


# ----- the CLI --------------------------------------------------------------------------------


def run(db: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["impact", *args, "--db", str(db)])
    out, err = capsys.readouterr()
    return code, out, err


STORY = ("--app", "ChatGPT", "--metric", "uninstalls", "--country", "US", "--date", "2026-02-28")


def test_cli_table_prints_the_sentence_the_days_and_the_method(demo_db, capsys):
    code, out, err = run(demo_db, capsys, *STORY, "--control", "Gemini", "--control", "Copilot")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("From 28 Feb to 13 Mar 2026, ChatGPT (US, iOS+Android) uninstalls")
    assert "Sat 28 Feb 2026" in out and "12,640" in out and "83,100" in out
    assert "Gemini" in out and "+6%" in out
    assert lines[-1].startswith("Expected had nothing happened: fitted on Sat 31 Jan 2026")


def test_cli_json_and_csv(demo_db, capsys):
    code, out, _ = run(demo_db, capsys, *STORY, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"sentence", "method", "summary", "controls", "days"}
    assert data["summary"]["method"] == "none" and data["controls"] == []
    assert round(data["summary"]["excess"]) == 84423
    assert len(data["days"]) == 42 and data["days"][28]["date"] == "2026-02-28"
    code, out, _ = run(demo_db, capsys, *STORY, "--pre", "21", "--post", "7", "--format", "csv")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.startswith("app,metric,source,country,platform,date,offset,period,actual")
    assert len(rows) == 28 and rows[21].split(",")[5] == "2026-02-28"


def test_cli_refusals_are_sentences_with_exit_1_and_bad_arguments_exit_2(demo_db, capsys):
    code, _, err = run(demo_db, capsys, *STORY, "--pre", "7")
    assert code == 1
    assert err == (
        "installpulse: A pre-period of 7 days is too short: at least 14 days are needed to "
        "estimate the level and the day-to-day noise (28 is the default).\n"
    )
    code, _, err = run(demo_db, capsys, *STORY, "--control", "Claude")
    assert code == 1 and "Claude, proposed as a control, moved too" in err
    code, _, err = run(demo_db, capsys, *STORY, "--method", "did")
    assert code == 1 and "needs at least one control" in err
    with pytest.raises(SystemExit) as exit_:
        cli.main(["impact", *STORY, "--method", "magic", "--db", str(demo_db)])
    assert exit_.value.code == 2


def test_cli_writes_the_chart_as_a_publication_image(demo_db, capsys, tmp_path, chromium_path):
    target = tmp_path / "impact [1].png"
    code, out, err = run(demo_db, capsys, *STORY, "--image", str(target))
    assert code == 0, err
    assert out.startswith("From 28 Feb to 13 Mar 2026")
    assert target.read_bytes().startswith(b"\x89PNG")
    assert err.startswith(f"Chart written to {target} (")
    code, _, err = run(demo_db, capsys, *STORY, "--image", str(tmp_path / "x.gif"))
    assert code == 1 and "name a .png or .svg file" in err
