"""One real `streamlit run app.py` per session on a copy of the demo database, driven by
Debian's Chromium through Playwright (never a downloaded browser).

Without Chromium the tests skip with the reason; under CI (env CI set) they fail instead.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import streamlit_app

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-results" / "screenshots"


@pytest.fixture(scope="session")
def server_db(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("browser-db") / "demo.duckdb"
    shutil.copyfile(demo_db_template, target)
    return target


@pytest.fixture(scope="session")
def app_url(server_db: Path, chromium_path: str, tmp_path_factory) -> Iterator[str]:
    env = {
        "INSTALLPULSE_ARCHIVE": str(tmp_path_factory.mktemp("browser-archive")),
        "BROWSER_PATH": chromium_path,
    }
    log = tmp_path_factory.mktemp("browser-log") / "streamlit.log"
    with streamlit_app(server_db, log, env) as url:
        yield url


@pytest.fixture(scope="session")
def browser(chromium):
    """The session's Chromium (tests/conftest.py), shared with the other browser tests."""
    return chromium


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="session", autouse=True)
def delete_output_dir() -> None:
    """pytest-playwright empties test-results/ when it first needs it (mid-session here),
    which deleted the screenshots of earlier tests; ours are overwritten per run instead."""
