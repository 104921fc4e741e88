"""Segments of one App Store Connect report instance add up; a restated segment replaces.

Fixtures (tests/fixtures/apple_installs/segments/, written by make_fixtures.py): one daily
instance of 2026-03-02 for Example Chat (1000000001) delivered as two gzip TSV segments with
different detail rows, and segment 1 delivered again with restated counts. Rows (Counts):

    segment 1                                   segment 2
    US Install First-time iPhone search  500    US Install First-time iPhone referrer  60
    US Install First-time iPad browse     30    US Install Redownload iPad search      10
    US Install Redownload iPhone search   80    US Delete iPad                         25
    US Delete iPhone                     700    US Install Manual update iPhone        40
    DE Install First-time iPhone search   45    GB Install First-time iPhone search    33
    DE Delete iPhone                      20    GB Delete iPhone                        9

    restated segment 1: 500 -> 520, 30, 80 -> 85, 700 -> 690, 45 -> 47, 20 -> 22
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from adapter_helpers import fixture

from pipelines import contract, ops, sql, store
from pipelines.errors import ImportFailed

SEGMENTS = fixture("apple_installs", "segments")
SEG1 = SEGMENTS / "segment-1.txt.gz"
SEG2 = SEGMENTS / "segment-2.txt.gz"
SEG1_RESTATED = SEGMENTS / "restated" / "segment-1.txt.gz"
REPO = Path(__file__).resolve().parents[2]

# installs = first-time downloads + redownloads; uninstalls = Delete rows.
ONLY_SEG1 = {
    ("US", "installs"): 500 + 30 + 80,
    ("US", "first_time_downloads"): 500 + 30,
    ("US", "redownloads"): 80,
    ("US", "uninstalls"): 700,
    ("DE", "installs"): 45,
    ("DE", "first_time_downloads"): 45,
    ("DE", "uninstalls"): 20,
}
ONLY_SEG2 = {
    ("US", "installs"): 60 + 10,
    ("US", "first_time_downloads"): 60,
    ("US", "redownloads"): 10,
    ("US", "uninstalls"): 25,
    ("US", "updates"): 40,
    ("GB", "installs"): 33,
    ("GB", "first_time_downloads"): 33,
    ("GB", "uninstalls"): 9,
}
BOTH = {
    ("US", "installs"): 680,  # 610 + 70
    ("US", "first_time_downloads"): 590,  # 530 + 60
    ("US", "redownloads"): 90,  # 80 + 10
    ("US", "uninstalls"): 725,  # 700 + 25
    ("US", "updates"): 40,
    ("DE", "installs"): 45,
    ("DE", "first_time_downloads"): 45,
    ("DE", "uninstalls"): 20,
    ("GB", "installs"): 33,
    ("GB", "first_time_downloads"): 33,
    ("GB", "uninstalls"): 9,
}
RESTATED_AND_SEG2 = {
    ("US", "installs"): 705,  # 520 + 30 + 85 + 60 + 10
    ("US", "first_time_downloads"): 610,  # 520 + 30 + 60
    ("US", "redownloads"): 95,  # 85 + 10
    ("US", "uninstalls"): 715,  # 690 + 25
    ("US", "updates"): 40,
    ("DE", "installs"): 47,
    ("DE", "first_time_downloads"): 47,
    ("DE", "uninstalls"): 22,
    ("GB", "installs"): 33,
    ("GB", "first_time_downloads"): 33,
    ("GB", "uninstalls"): 9,
}


def day(db: Path) -> dict[tuple[str, str], float]:
    """Every stored value of 2026-03-02 as {(country, metric): value}; one row per series."""
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select country, metric, value from daily_metrics "
            "where app = 'Example Chat' and date = '2026-03-02' and platform = 'ios' "
            "and source = 'app_store_connect'",
        )
    found = {(c, m): v for c, m, v in rows}
    assert len(found) == len(rows), rows
    return found


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ),
        timeout=120,
        check=False,
    )


def test_segments_given_together_to_one_ingest_command_add_up(db: Path):
    done = cli("ingest", str(SEG1), str(SEG2), "--db", str(db))
    assert done.returncode == 0, done.stderr
    assert "another segment of the report of import #1" in done.stdout
    assert day(db) == BOTH
    # As the analyst reads it: US uninstalls 700 + 25, and installs summed over countries
    # 680 (US) + 45 (DE) + 33 (GB) = 758.
    shown = cli(
        "series", "--app", "Example Chat", "--metric", "uninstalls", "--country", "US",
        "--db", str(db), "--format", "json",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert [(r["date"], r["value"]) for r in json.loads(shown.stdout)] == [("2026-03-02", 725)]
    total = cli(
        "series", "--app", "Example Chat", "--metric", "installs", "--db", str(db),
        "--format", "json",
    )  # fmt: skip
    assert [r["value"] for r in json.loads(total.stdout)] == [758]


@pytest.mark.parametrize("order", [(SEG1, SEG2), (SEG2, SEG1)], ids=["1-then-2", "2-then-1"])
def test_segments_one_after_another_add_up_in_either_order(db: Path, order: tuple[Path, Path]):
    first = contract.ingest_file(order[0], db)
    assert day(db) == (ONLY_SEG1 if order[0] == SEG1 else ONLY_SEG2)
    second = contract.ingest_file(order[1], db)
    assert day(db) == BOTH
    assert any(f"segment of the report of import #{first.import_id}" in n for n in second.notices)


@pytest.mark.parametrize("order", [(SEG1, SEG2), (SEG2, SEG1)], ids=["1-then-2", "2-then-1"])
def test_a_restated_segment_replaces_only_its_own_contribution(db: Path, order: tuple[Path, Path]):
    ids = {path: contract.ingest_file(path, db).import_id for path in order}
    restated = contract.ingest_file(SEG1_RESTATED, db)
    assert day(db) == RESTATED_AND_SEG2
    assert any(f"restates import #{ids[SEG1]}" in n for n in restated.notices)
    assert any(f"segment of the report of import #{ids[SEG2]}" in n for n in restated.notices)
    # Undoing the restatement brings back segment 1 as first delivered.
    ops.undo(restated.import_id, db)
    assert day(db) == BOTH


def test_undo_of_segment_2_leaves_segment_1(db: Path):
    contract.ingest_file(SEG1, db)
    second = contract.ingest_file(SEG2, db)
    assert day(db) == BOTH
    ops.undo(second.import_id, db)
    assert day(db) == ONLY_SEG1


def test_undo_of_the_first_segment_leaves_the_second(db: Path):
    """The undone file is not the one holding the day's rows: the files left are re-summed."""
    first = contract.ingest_file(SEG1, db)
    second = contract.ingest_file(SEG2, db)
    assert day(db) == BOTH
    ops.undo(first.import_id, db)
    assert day(db) == ONLY_SEG2
    ops.undo(second.import_id, db)
    assert day(db) == {}


def test_undo_of_segment_2_after_a_restatement_leaves_the_restated_segment_1(db: Path):
    contract.ingest_file(SEG1, db)
    second = contract.ingest_file(SEG2, db)
    restated = contract.ingest_file(SEG1_RESTATED, db)
    assert day(db) == RESTATED_AND_SEG2
    ops.undo(second.import_id, db)
    assert day(db) == {
        ("US", "installs"): 635,  # 520 + 30 + 85
        ("US", "first_time_downloads"): 550,
        ("US", "redownloads"): 85,
        ("US", "uninstalls"): 690,
        ("DE", "installs"): 47,
        ("DE", "first_time_downloads"): 47,
        ("DE", "uninstalls"): 22,
    }
    ops.undo(restated.import_id, db)  # segment 1 as first delivered comes back
    assert day(db) == ONLY_SEG1


def test_reimporting_a_segment_is_already_imported(db: Path):
    first = contract.ingest_file(SEG1, db)
    contract.ingest_file(SEG2, db)
    again = contract.ingest_file(SEG1, db)
    assert (again.status, again.import_id) == ("already imported", first.import_id)
    assert day(db) == BOTH
    done = cli("ingest", str(SEG2), "--db", str(db))
    assert "already imported (import #2); nothing changed." in done.stdout
    assert day(db) == BOTH
    imports = ops.imports(db)
    assert imports.height == 2


def _rewrite(path: Path, target: Path, edit) -> Path:
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    target.write_bytes(gzip.compress(("\n".join(edit(lines)) + "\n").encode(), mtime=0))
    return target


def test_a_restatement_without_a_territory_drops_it_and_undo_brings_it_back(
    db: Path, tmp_path: Path
):
    """Segment 1 restated without its DE rows (under Apple's threshold now): no file that
    counts has DE any more, so DE's stored rows go (kept for undo)."""
    no_de = _rewrite(
        SEG1_RESTATED,
        tmp_path / "seg1-no-de.txt.gz",
        lambda ls: [x for x in ls if "\tDE\t" not in x],
    )
    contract.ingest_file(SEG1, db)
    contract.ingest_file(SEG2, db)
    restated = contract.ingest_file(no_de, db)
    expected = {k: v for k, v in RESTATED_AND_SEG2.items() if k[0] != "DE"}
    assert day(db) == expected
    assert restated.rows_replaced == 11  # 8 rows restated + the 3 DE rows moved aside
    ops.undo(restated.import_id, db)
    assert day(db) == BOTH


def test_the_detailed_report_of_the_same_day_replaces_the_standard_segments(
    db: Path, tmp_path: Path
):
    """Detailed has more columns; compared on the columns both have it holds the same detail
    rows as the Standard segments: a restatement, never added to them."""
    standard = [
        *gzip.decompress(SEG1.read_bytes()).decode().splitlines()[1:],
        *gzip.decompress(SEG2.read_bytes()).decode().splitlines()[1:],
    ]
    header = (
        "Date\tApp Name\tApp Apple Identifier\tEvent\tDownload Type\tApp Version\tDevice\t"
        "Platform Version\tSource Type\tSource Info\tCampaign\tPage Type\tPage Title\t"
        "App Download Date\tTerritory\tCounts\tUnique Devices"
    )
    detailed = [header]
    for line in standard:
        f = line.split("\t")
        counts = str(int(f[12]) + 1)  # every Detailed count one more than Standard's
        detailed.append("\t".join([*f[:9], "", "", f[9], "", *f[10:12], counts, f[13]]))
    path = tmp_path / "detailed.txt"
    path.write_text("\n".join(detailed) + "\n")
    contract.ingest_file(SEG1, db)
    contract.ingest_file(SEG2, db)
    result = contract.ingest_file(path, db)
    # Each of the 12 rows is one more: US installs 680 + 5 rows = 685, US uninstalls 725 + 2.
    assert day(db)[("US", "installs")] == 685
    assert day(db)[("US", "uninstalls")] == 727
    assert day(db)[("GB", "installs")] == 34
    assert sum(1 for n in result.notices if n.startswith("restates import #")) == 2


def test_a_segment_whose_earlier_segment_lost_its_archive_is_refused(db: Path):
    contract.ingest_file(SEG1, db)
    shutil.rmtree(db.parent / "archive")
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(SEG2, db)
    assert "cannot be compared with import #1 (segment-1.txt.gz)" in str(info.value)
    assert "archived copy is missing" in str(info.value)
    assert day(db) == ONLY_SEG1  # all or nothing
    assert ops.imports(db)["status"].to_list().count("failed") == 1


def test_the_same_segment_in_other_bytes_counts_once(db: Path, tmp_path: Path):
    """Segment 2 again, uncompressed (other bytes, so not 'already imported'): it shares
    every detail row with the stored segment 2, so it restates it instead of adding."""
    plain = tmp_path / "segment-2.txt"
    plain.write_bytes(gzip.decompress(SEG2.read_bytes()))
    contract.ingest_file(SEG1, db)
    contract.ingest_file(SEG2, db)
    result = contract.ingest_file(plain, db)
    assert result.status == "imported"
    assert day(db) == BOTH


def test_a_bad_segment_is_refused_at_its_line_and_changes_nothing(db: Path, tmp_path: Path):
    bad = _rewrite(
        SEG2,
        tmp_path / "segment-2-bad.txt.gz",
        lambda lines: [*lines[:6], lines[6].replace("2026-03-02", "03/02/2026", 1)],
    )
    contract.ingest_file(SEG1, db)
    with pytest.raises(ImportFailed) as info:
        contract.ingest_file(bad, db)
    problem = info.value.problems[0]
    assert (problem.line, problem.column, problem.value) == (7, "Date", "03/02/2026")
    assert day(db) == ONLY_SEG1
