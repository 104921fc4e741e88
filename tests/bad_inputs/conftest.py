"""Fixtures for the bad-input suite: a real store with data in it.

Every case starts from a copy of one small store that already holds an import, so "nothing
changed" is checked against tables that have rows (an empty table would hide a stray write).
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import contract, sql, store
from tests.bad_inputs.bad_input_helpers import BASELINE


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    seed = folder / "baseline.csv"
    seed.write_bytes(BASELINE)
    db = folder / "template.duckdb"
    contract.ingest_file(seed, db)
    with store.connect(db) as con:
        sql.run_text(con, "checkpoint")
    return db


@pytest.fixture
def db(store_template: Path, tmp_path: Path) -> Path:
    """A private copy of the template store (one earlier import of app 'Base')."""
    target = tmp_path / "store" / "test.duckdb"
    target.parent.mkdir()
    shutil.copyfile(store_template, target)
    return target


@pytest.fixture
def default_field_limit() -> Iterator[None]:
    """Python's default csv field limit (128 KB), as a fresh process has it: an earlier test
    in this process may have raised it, which would hide the crash."""
    before = csv.field_size_limit()
    csv.field_size_limit(131072)
    try:
        yield
    finally:
        csv.field_size_limit(before)
