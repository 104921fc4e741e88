"""Every CSV the CLI prints is formula-safe, and numbers stay numbers (issue 11 item 7).

Hostile app names, file names, event titles and descriptions go in through the real import
and `events add`; each command's `--format csv` (and `events export`) must write them with a
leading `'`, while numeric columns - a count of -5 included - stay plain numbers. Commands
run in-process through `cli.main` (the same code path as the console script, faster than a
subprocess each).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import cli, store

HOSTILE = ['=HYPERLINK("http://x")', "+cmd", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
ESCAPED = {f"'{h}" for h in HOSTILE}
STRIPPED = {h.strip().lower() for h in HOSTILE} | {h.lower() for h in HOSTILE}


def _generic_csv(rows: list[tuple[str, str, str, float]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["date", "app", "metric", "value"])
    writer.writerows(rows)
    return buffer.getvalue()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> list[list[str]]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return list(csv.reader(io.StringIO(captured.out, newline="")))


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every hostile name as an app (28 days of installs, so spikes and studies have a
    baseline), a signed metric with -5, a file named like a formula, and hostile events."""
    folder = tmp_path_factory.mktemp("hostile")
    db = folder / "hostile.duckdb"
    rows = []
    for name in HOSTILE:
        for day in range(1, 29):
            rows.append((f"2024-02-{day:02d}", name, "installs", 10 + day % 3))
        rows.append(("2024-02-29", name, "installs", 500))  # a spike for `spikes`
    source = folder / "+cmd.csv"
    source.write_text(_generic_csv(rows), encoding="utf-8")
    signed = folder / "signed.csv"
    net = [("2024-02-28", "-2+3", "net_change", -5), ("2024-02-29", "-2+3", "net_change", 3)]
    signed.write_text(_generic_csv(net))
    commands = [
        ["ingest", "--db", str(db), str(source)],
        ["metrics", "add", "net_change", "--kind", "event", "--signed", "--db", str(db)],
        ["ingest", "--db", str(db), str(signed)],
    ]
    for title in HOSTILE:
        commands.append(
            [
                *("events", "add", "--db", str(db), "--start", "2024-02-29"),
                *(f"--title={title}", f"--description={title}", f"--tag={title}", "--app=-2+3"),
            ]
        )
    for argv in commands:
        assert cli.main(argv) == 0, argv
    store.release_all()
    yield db


def _column(rows: list[list[str]], name: str) -> list[str]:
    return [row[rows[0].index(name)] for row in rows[1:]]


def test_apps_csv(hostile_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _run(capsys, "apps", "--db", str(hostile_db), "--format", "csv")
    assert set(_column(rows, "name")) == ESCAPED
    assert set(_column(rows, "identifiers")) == ESCAPED
    assert all(cell.isdigit() for cell in _column(rows, "series"))


def test_imports_csv(hostile_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _run(capsys, "imports", "--db", str(hostile_db), "--format", "csv")
    assert "'+cmd.csv" in _column(rows, "file_name")
    assert "+cmd.csv" not in _column(rows, "file_name")
    assert all(cell.isdigit() for cell in _column(rows, "rows_written"))


def test_events_list_and_export_csv(hostile_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = _run(capsys, "events", "list", "--db", str(hostile_db), "--format", "csv")
    exported = _run(capsys, "events", "export", "--db", str(hostile_db))
    for rows in (listed, exported):
        assert len(rows) == 1 + len(HOSTILE)
        for column in ("title", "description", "tags"):
            cells = _column(rows, column)
            # Titles and tags are stored trimmed ("\t=1" -> "=1"), tags lowercased.
            assert all(c.startswith("'") and c[1:].lower() in STRIPPED for c in cells), cells
        assert set(_column(rows, "apps")) == {"'-2+3"}
        assert set(_column(rows, "start_date")) == {"2024-02-29"}


def test_series_csv_keeps_negative_numbers(
    hostile_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _run(
        capsys, "series", "--db", str(hostile_db), "--app=-2+3", "--metric", "net_change",
        "--format", "csv",
    )  # fmt: skip
    assert set(_column(rows, "app")) == {"'-2+3"}
    values = _column(rows, "value")
    assert values[:2] == ["-5.0", "3.0"]  # the number -5, not the text '-5
    change = [c for c in _column(rows, "change") if c]
    assert all(not c.startswith("'") for c in change)
    for name in HOSTILE[:4]:  # `--app` is trimmed, so "\t=1" cannot be named there
        rows = _run(
            capsys, "series", "--db", str(hostile_db), f"--app={name}", "--metric", "installs",
            "--format", "csv",
        )  # fmt: skip
        assert set(_column(rows, "app")) == {f"'{name}"}


def test_spikes_and_study_csv(hostile_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = _run(
        capsys, "spikes", "--db", str(hostile_db), "--start", "2024-02-20", "--end",
        "2024-02-29", "--format", "csv",
    )  # fmt: skip
    assert set(_column(rows, "app")) == ESCAPED
    for name in ("-2+3", '=HYPERLINK("http://x")'):
        rows = _run(
            capsys, "study", "--db", str(hostile_db), "--date", "2024-02-29", f"--app={name}",
            "--metric", "installs", "--pre", "3", "--post", "0", "--format", "csv",
        )  # fmt: skip
        assert set(_column(rows, "app")) == {f"'{name}"}
        assert _column(rows, "value")[-1] == "500.0"
