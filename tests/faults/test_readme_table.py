"""The README's table of bad inputs and faults is checked, not typed: its counts equal its rows,
every test it names exists (a `def` of that name in that file), and a row without a test says
"not covered"."""

from __future__ import annotations

import re

from tests.conftest import REPO

SECTION = "## Bad inputs and faults: the tests that cover them"
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)(\[[^\]|;]*\])?")
COUNTS = re.compile(
    r"\*\*(\d+) bad inputs, (\d+) covered by a test; (\d+) faults, (\d+) covered by a test, "
    r"(\d+) not covered\.\*\*"
)


def _section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return text[start:end]


def _rows(section: str, prefix: str) -> list[list[str]]:
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(prefix + r"\d+", cells[0]):
            rows.append(cells)
    return rows


def test_counts_equal_the_rows_and_every_named_test_exists() -> None:
    section = _section()
    bad, faults = _rows(section, "B"), _rows(section, "F")
    found = COUNTS.search(section)
    assert found, "the counts line is missing or reworded"
    n_bad, bad_covered, n_faults, faults_covered, not_covered = map(int, found.groups())

    def covered(rows: list[list[str]]) -> list[list[str]]:
        return [r for r in rows if TEST_REF.search(r[-1])]

    assert (n_bad, bad_covered) == (len(bad), len(covered(bad)))
    assert (n_faults, faults_covered) == (len(faults), len(covered(faults)))
    assert not_covered == len(faults) - len(covered(faults)) + len(bad) - len(covered(bad))
    numbers = [r[0] for r in bad + faults]
    assert len(numbers) == len(set(numbers)), "a case number is used twice"
    for row in bad + faults:
        if not TEST_REF.search(row[-1]):
            assert "not covered" in row[-1], f"{row[0]} names no test and does not say so"

    missing = []
    for row in bad + faults:
        for path, name, _ in TEST_REF.findall(row[-1]):
            file = REPO / path
            if not file.exists() or not re.search(
                rf"^def {name}\(", file.read_text(encoding="utf-8"), re.MULTILINE
            ):
                missing.append(f"{row[0]}: {path}::{name}")
    assert missing == []


def test_every_case_of_reliability_md_has_a_row() -> None:
    """RELIABILITY.md 3.2 lists 44 bad inputs and 3.3 15 faults: each keeps its number here."""
    section = _section()
    numbers = {r[0] for r in _rows(section, "B") + _rows(section, "F")}
    assert {f"B{i}" for i in range(1, 45)} <= numbers
    assert {f"F{i}" for i in range(1, 16)} <= numbers
