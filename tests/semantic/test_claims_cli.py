"""`installpulse check`: the table ends with the paragraph; CSV and JSON carry raw values;
an unreadable claim is a sentence with exit code 1, a missing argument exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import cli

ARGS = ["--app", "ChatGPT", "--metric", "uninstalls", "--country", "US", "--date", "2026-02-28"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines import demo as demo_data
    from pipelines import store

    path = tmp_path_factory.mktemp("claims_cli") / "demo.duckdb"
    demo_data.load(path)
    store.release_all()
    return path


def run(demo: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = cli.main(["check", "--db", str(demo), *ARGS, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_table(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(demo, capsys, "--claim", "+295%")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "Claim +295%: ChatGPT uninstalls on Sat 28 Feb 2026 against every baseline preset and "
        "slice; 'claimed' is each result at the claim's precision."
    )
    first = next(line for line in lines if line.startswith("│ as claimed"))
    cells = [c.strip() for c in first.strip("│").split("┆")]
    assert cells == [
        "as claimed", "US", "android+ios", "vs the previous day", "12,640", "3,200", "+295%",
        "3.95x", "+295%", "yes", "",
    ]  # fmt: skip
    assert lines[-1].startswith(
        "ChatGPT (US, iOS+Android) uninstalls +295% on Sat 28 Feb 2026: reproduced against the "
        "previous day (12,640 vs 3,200, 3.95x). Against an average day (the mean of the previous "
        "28 days) it is +324% (12,640 vs 2,981.75, 4.24x)."
    )
    assert lines[-1].endswith("Source: demo; illustrative demo data.")


def test_words_and_json(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        demo, capsys, "--claim", "+295%", "--words", "nearly three times more", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["claim"]["figure"] == "+295%"
    assert data["words"]["readings"] == [
        {"reading": "nearly three times as many", "strict": False, "fits": False},
        {"reading": "nearly +300%, nearly four times as many", "strict": True, "fits": True},
    ]
    first = data["rows"][0]
    assert (first["method"], first["value"], first["baseline"], first["change"]) == (
        "previous-day", 12640.0, 3200.0, 2.95,
    )  # fmt: skip
    assert first["reproduces"] is True
    assert len(data["rows"]) == 28


def test_csv(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(demo, capsys, "--claim", "3.95x", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "slice,app,metric,source,country,platform,date,method,method_label,value,baseline,"
        "change,multiple,reproduces,reading,baseline_obs,reason"
    )
    assert lines[1] == (
        "as claimed,ChatGPT,uninstalls,demo,US,android+ios,2026-02-28,previous-day,"
        "vs the previous day,12640.0,3200.0,2.95,3.95,true,as written,1,"
    )


def test_errors(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(demo, capsys, "--claim", "lots")
    assert code == 1
    assert err.startswith("installpulse: --claim: No figure found in 'lots'")
    code, _, err = run(demo, capsys, "--claim", "-12%", "--app", "Nope")
    assert code == 1 and "Unknown app 'Nope'" in err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["check", "--db", str(demo), *ARGS])
    assert exit_info.value.code == 2
    assert "--claim" in capsys.readouterr().err


def test_readme_shows_the_real_output(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The README's "Check a figure" example is this command's output on the demo: its first
    eleven lines and the last line (the paragraph, wrapped there at 100 characters)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("### Check a figure", 1)[1].split("\n```\n")
    shown = next(b for b in blocks if b.startswith("Claim +295%")).splitlines()
    code, out, _ = run(demo, capsys, "--claim", "+295%", "--words", "nearly three times more")
    assert code == 0
    lines = out.splitlines()
    assert shown[:11] == lines[:11]
    bottom = shown.index(lines[-2])  # the table's closing line
    assert " ".join(shown[bottom + 1 :]) == lines[-1]
