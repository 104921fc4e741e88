"""Shared fixtures: every test gets its own real DuckDB file in a temp dir (no mocks), and the
environment points installpulse there so no test can touch data/installpulse.duckdb."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import store

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


# -- the two backends (issue 13: "the same import contract, the same named queries, the same
# results"). Every test runs on a DuckDB file; the tests listed here run a second time on a
# DuckLake whose catalog is a real PostgreSQL database (tests/lake/catalogs.py): their `db`,
# `demo_db` and INSTALLPULSE_STORE are then a fresh lake. A module path takes all its tests.
LAKE_TESTS = (
    "tests/foundation/test_contract.py::test_failed_import_changes_nothing_but_one_history_row",
    "tests/foundation/test_contract.py::test_same_bytes_twice_is_already_imported",
    "tests/foundation/test_contract.py::test_restated_days_replace_stored_rows_and_undo_restores_them",
    "tests/foundation/test_contract.py::test_undo_of_an_older_import_keeps_later_restatements",
    "tests/foundation/test_contract.py::test_manual_entry_goes_through_the_same_contract",
    "tests/foundation/test_contract.py::test_alias_makes_store_ids_one_app",
    "tests/semantic/test_impact_semantic.py::test_the_numbers_are_explores_numbers",
    "tests/app/test_pages.py::test_explorer_shows_the_published_sentence",
    "tests/app/test_upload_and_views.py::test_good_upload_imports_and_is_undoable",
    "tests/alerts/test_demo_alert.py",
    "tests/foundation/test_data_version.py",
)


def _on_lake(nodeid: str) -> bool:
    return any(nodeid == t or (t.endswith(".py") and nodeid.startswith(t + "::"))
               for t in LAKE_TESTS)  # fmt: skip


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and _on_lake(metafunc.definition.nodeid):
        metafunc.parametrize("backend", ["file", "lake"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """'file', or 'lake' in the second run of a test listed in LAKE_TESTS."""
    return getattr(request, "param", "file")


@pytest.fixture(scope="session")
def lake_catalogs():
    """The session's PostgreSQL cluster for lake catalogs (skips without PostgreSQL locally,
    fails under CI)."""
    from tests.lake.catalogs import start_or_skip

    catalogs = start_or_skip()
    try:
        yield catalogs
    finally:
        store.release_all()
        catalogs.stop()


@pytest.fixture(autouse=True)
def _isolated_db(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    backend: str,
):
    base = tmp_path_factory.mktemp("store")
    monkeypatch.setenv("INSTALLPULSE_DB", str(base / "installpulse.duckdb"))
    monkeypatch.setenv("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    monkeypatch.setenv("STREAMLIT_SERVER_HEADLESS", "true")
    # The CLI's bulk writes run at normal priority here: with two xdist workers, a niced import
    # of one could wait behind the other's Chromium past a test's bounds
    # (tests/faults/test_batch_priority.py checks the default of 10 itself).
    monkeypatch.setenv("INSTALLPULSE_BATCH_NICE", "0")
    if backend == "lake":  # (INSTALLPULSE_STORE wins over INSTALLPULSE_DB, not over a --db)
        template = "demo" if "demo_db" in request.fixturenames else "schema"
        address = request.getfixturevalue("lake_catalogs").new(base / "lake", template)
        monkeypatch.setenv("INSTALLPULSE_STORE", address)
        monkeypatch.setenv("INSTALLPULSE_LAKE_DATA", str(base / "lake"))
        monkeypatch.setenv("INSTALLPULSE_LOCK_WAIT", "60")
    yield
    store.release_all()  # no lingering connection outlives its test


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def find_chromium() -> str | None:
    """$BROWSER_PATH, else /usr/bin/chromium, else chromium / chromium-browser on PATH."""
    explicit = os.environ.get("BROWSER_PATH", "").strip()
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, or skip with what is missing - a failure under CI (env CI set)."""
    path = find_chromium()
    if path is None:
        reason = (
            "browser tests need Chromium: none at $BROWSER_PATH, /usr/bin/chromium or on PATH "
            "(install it with `apt-get install chromium`; never `playwright install`)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def chromium(chromium_path: str):
    """One Playwright driver and one launched Chromium for the whole session: Playwright's sync
    API cannot be started twice in one process while another instance runs."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def db(tmp_path: Path, backend: str, _isolated_db: None) -> Path:
    """A fresh store file path (created on first connect); on the lake, the lake's address."""
    if backend == "lake":
        return Path(os.environ["INSTALLPULSE_STORE"])
    return tmp_path / "test.duckdb"


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo loaded once per session; tests copy it (loading takes about a second)."""
    from pipelines import demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    old = os.environ.get("INSTALLPULSE_ARCHIVE")
    demo.load(path)
    with store.connect(path) as con:
        con.execute("checkpoint")
        con.fetchall()
    store.release_all()
    if old is not None:
        os.environ["INSTALLPULSE_ARCHIVE"] = old
    return path


@pytest.fixture
def demo_db(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str, _isolated_db: None
) -> Path:
    """A private copy of the demo database (on the lake: a lake copied from the demo's)."""
    if backend == "lake":
        return Path(os.environ["INSTALLPULSE_STORE"])
    demo_db_template = request.getfixturevalue("demo_db_template")
    target = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db_template, target)
    return target


def checksums(path: Path) -> dict[str, tuple[int, int]]:
    with store.connect(path) as con:
        return store.table_checksums(con)


@contextlib.contextmanager
def streamlit_app(
    db: Path, log_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """A real `streamlit run app.py` on `db` at a free port; yields its URL once
    /_stcore/health answers, and stops it afterwards."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "INSTALLPULSE_DB": str(db),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_HEADLESS": "true",
        **(extra_env or {}),
    }
    command = [sys.executable, "-m", "streamlit", "run", "app.py",
               "--server.address", "127.0.0.1", "--server.port", str(port)]  # fmt: skip
    with log_path.open("w") as log:
        proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT)  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"streamlit did not answer /_stcore/health; see {log_path}")
            time.sleep(0.3)
        try:
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
