"""CLI ingest while a real `streamlit run` of the app is up (RELIABILITY.md decision 1, F6).

The app opens the DuckDB file per operation, so the CLI gets the write lock between reruns,
and the app shows the new data on its next rerun (the data version changed).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, streamlit_app

pytestmark = pytest.mark.browser


@pytest.fixture
def running_app(demo_db: Path, tmp_path: Path):
    with streamlit_app(demo_db, tmp_path / "streamlit.log") as url:
        yield url, demo_db


def test_cli_ingest_while_the_app_is_running(running_app, chromium) -> None:
    url, db = running_app
    page = chromium.new_page()
    try:
        page.goto(url + "/database")
        page.get_by_text("Daily values", exact=True).first.wait_for(timeout=30000)
        page.get_by_text("58,191").first.wait_for(timeout=30000)
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pipelines",
                "ingest",
                "--db",
                str(db),
                str(FIXTURES / "generic" / "long_utf8.csv"),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "imported as #3" in result.stdout
        page.reload()
        page.get_by_text("58,197").first.wait_for(timeout=30000)
    finally:
        page.close()
