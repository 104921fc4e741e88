"""Auto-detection picks the right adapter for every checked-in store-export fixture."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from adapter_helpers import FIXTURES
from make_fixtures import write_all

from pipelines import adapters, sources
from pipelines.adapters.base import IngestOptions
from pipelines.errors import ImportFailed

# fixture folder -> adapter name; every file in the folder must be detected as that format.
EXPECTED = {
    "google_play": "google-play-installs",
    "apple_installs": "apple-installs",
    "apple_sales": "apple-sales",
    "apple_web": "apple-analytics-web",
    "sensortower": "sensortower",
    "appfigures": "appfigures",
}

# Event annotations, imported with pipelines.event_formats, not as a data file.
NOT_DATA = {"events.json"}


def _fixture_files() -> list[tuple[str, Path]]:
    out = []
    for folder, fmt in EXPECTED.items():
        for path in sorted((FIXTURES / folder).rglob("*")):
            if path.is_file() and path.name not in NOT_DATA:
                out.append((fmt, path))
    return out


def _detect(path: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        src = sources.prepare(path, path.name, Path(tmp), IngestOptions())
        return adapters.detect(src).name


@pytest.mark.parametrize(
    ("fmt", "path"), _fixture_files(), ids=lambda v: v.name if isinstance(v, Path) else v
)
def test_detect_every_fixture(fmt: str, path: Path):
    assert _detect(path) == fmt


def test_store_adapters_come_before_the_generic_ones():
    names = [a.name for a in adapters.ADAPTERS]
    assert names.index("generic-long") > max(names.index(n) for n in EXPECTED.values())


def test_unrecognised_file_lists_known_formats(tmp_path: Path):
    path = tmp_path / "mystery.csv"
    path.write_text("alpha,beta\n1,2\n")
    with pytest.raises(ImportFailed) as info:
        _detect(path)
    text = str(info.value)
    assert "no known format recognises this file" in text
    for adapter in adapters.ADAPTERS:
        assert adapter.label in text


def test_fixtures_are_reproducible(tmp_path: Path):
    for relative, data in write_all(tmp_path).items():
        assert (FIXTURES / relative).read_bytes() == data, relative
