"""Sign-in for real: the npm package `oidc-provider` (a certified OpenID Connect provider,
tests/auth/oidc/) on 127.0.0.1, the real `streamlit run app.py` configured by a secrets.toml
for it, and Debian's Chromium signing in as a viewer and as an editor through the provider's
own login and consent pages.

The provider comes from tests/auth/oidc/package-lock.json (`npm ci` there; `make test` does it
when node_modules is missing). Without node/npm or Chromium these tests skip with the reason;
under CI (env CI set) they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pipelines import events, ops
from tests.auth.conftest import team_secrets
from tests.browser.browser_helpers import screenshot, settle
from tests.conftest import REPO

pytestmark = pytest.mark.browser

OIDC_DIR = Path(__file__).resolve().parent / "oidc"
START_TIMEOUT_S = 60  # a bound on a hung start, not a performance threshold


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"{url} did not answer; see {log}:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _toml(secrets: dict) -> str:
    """secrets.toml text (two levels of tables, string values: all this file needs)."""
    lines: list[str] = []

    def table(name: str, values: dict) -> None:
        lines.append(f"[{name}]")
        nested = {k: v for k, v in values.items() if isinstance(v, dict)}
        for key, value in values.items():
            if not isinstance(value, dict):
                lines.append(f"{json.dumps(key)} = {json.dumps(value)}")
        for key, value in nested.items():
            table(f"{name}.{key}", value)

    for name, values in secrets.items():
        table(name, values)
    return "\n".join(lines) + "\n"


@dataclass
class Server:
    url: str
    db: Path


@pytest.fixture(scope="module")
def team_server(
    demo_db_template: Path, chromium_path: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The OIDC provider and the app signed in through it, both on 127.0.0.1."""
    node = shutil.which("node")
    if node is None:
        _missing("sign-in tests need Node.js (`apt-get install nodejs npm`)")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        _missing("sign-in tests need the OIDC provider: run `npm ci` in tests/auth/oidc")
    tmp = tmp_path_factory.mktemp("signin")
    db = tmp / "team.duckdb"
    shutil.copyfile(demo_db_template, db)
    app_port, oidc_port = _free_port(), _free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    issuer = f"http://127.0.0.1:{oidc_port}"
    secrets_file = tmp / "secrets.toml"
    secrets_file.write_text(
        _toml(
            team_secrets(f"{app_url}/oauth2callback", f"{issuer}/.well-known/openid-configuration")
        )
    )
    oidc_log, app_log = tmp / "oidc.log", tmp / "streamlit.log"
    with oidc_log.open("w") as out:
        oidc = subprocess.Popen(
            [node, "provider.mjs", str(oidc_port), f"{app_url}/oauth2callback"],
            cwd=OIDC_DIR, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_http(f"{issuer}/.well-known/openid-configuration", oidc, oidc_log)
        env = {
            **os.environ,
            "INSTALLPULSE_DB": str(db),
            "INSTALLPULSE_ARCHIVE": str(tmp / "archive"),
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            "STREAMLIT_SERVER_HEADLESS": "true",
            "BROWSER_PATH": chromium_path,
        }
        command = [sys.executable, "-m", "streamlit", "run", "app.py",
                   "--server.address", "127.0.0.1", "--server.port", str(app_port),
                   "--secrets.files", str(secrets_file)]  # fmt: skip
        with app_log.open("w") as out:
            app = subprocess.Popen(command, cwd=REPO, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)  # fmt: skip
        try:
            _wait_http(f"{app_url}/_stcore/health", app, app_log)
            yield Server(app_url, db)
        finally:
            _stop(app)
    finally:
        _stop(oidc)


@pytest.fixture
def tab(chromium, team_server: Server):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def sign_in(page, server: Server, login: str) -> None:
    """Through the provider's own pages: the app's Sign in, the login form, the consent."""
    page.goto(server.url)
    settle(page)
    assert page.locator('[data-testid="stDataFrame"]').count() == 0  # nothing before sign-in
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url.rsplit(':', 1)[0]}:*/interaction/**")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password")
    page.locator('button[type="submit"]').click()
    page.locator('button[type="submit"]', has_text="Continue").click()  # consent
    page.wait_for_url(f"{server.url}/**")
    settle(page)
    page.get_by_text("Signed in as").wait_for()


def expect_in_grid(page, text: str) -> None:
    """Wait until a data grid shows `text`: Streamlit draws grids on a canvas and mirrors the
    cells in view in an accessible table for screen readers, which is what a test can read."""
    expect(page.locator('[data-testid="stDataFrame"] table').first).to_contain_text(text)


def test_a_viewer_signs_in_and_has_no_control_that_writes(tab, team_server: Server) -> None:
    sign_in(tab, team_server, "viewer")
    sidebar = tab.locator('[data-testid="stSidebar"]').inner_text()
    assert "Signed in as Vera Viewer (viewer@example.com) · role: viewer" in sidebar
    tab.get_by_role("button", name="Sign out").wait_for()
    before = (ops.imports(team_server.db).height, events.list_events(team_server.db).height)

    tab.goto(team_server.url + "/events")
    settle(tab)
    tab.get_by_text(
        "Your role (viewer) cannot add, edit or delete events; an editor can."
    ).wait_for()
    tab.locator('[data-testid="stDataFrame"]').first.wait_for()
    for name in ("Add event", "Save", "Delete this event", "Import events"):
        assert tab.get_by_role("button", name=name).count() == 0, name
    screenshot(tab, "signin-viewer-events")

    tab.goto(team_server.url + "/data")
    settle(tab)
    tab.get_by_text("Your role (viewer) cannot import data").first.wait_for()
    assert tab.locator('[data-testid="stFileUploaderDropzoneInput"]').count() == 0
    tab.get_by_role("tab", name="Import history").click()
    tab.get_by_text("Your role (viewer) cannot undo an import; an editor can.").wait_for()
    assert tab.get_by_role("button", name="Undo").count() == 0
    screenshot(tab, "signin-viewer-history")
    after = (ops.imports(team_server.db).height, events.list_events(team_server.db).height)
    assert after == before


def test_an_editor_adds_an_event_and_imports_and_each_shows_who(
    tab, team_server: Server, tmp_path: Path
) -> None:
    sign_in(tab, team_server, "editor")
    assert "role: editor" in tab.locator('[data-testid="stSidebar"]').inner_text()

    tab.goto(team_server.url + "/events")
    settle(tab)
    tab.get_by_role("button", name="Add event").wait_for()
    title = "Editor's browser note"
    tab.get_by_label("Title", exact=True).fill(title)
    tab.get_by_role("button", name="Add event").click()
    settle(tab)
    tab.get_by_text("Added event #").first.wait_for()
    tab.get_by_label("Search titles and descriptions").fill("browser note")
    tab.keyboard.press("Enter")
    settle(tab)
    expect_in_grid(tab, "editor@example.com")
    screenshot(tab, "signin-editor-event")
    added = events.list_events(team_server.db, text="browser note").row(0, named=True)
    assert (added["title"], added["created_by"]) == (title, "editor@example.com")

    upload = tmp_path / "editor upload.csv"
    upload.write_text(
        "date,app,country,platform,metric,value,source\n"
        "2026-04-01,EditorApp,US,ios,downloads,100,press\n",
        encoding="utf-8",
    )
    tab.goto(team_server.url + "/data")
    settle(tab)
    dropzone = tab.locator('[data-testid="stFileUploaderDropzoneInput"]').first
    dropzone.wait_for(state="attached")
    dropzone.set_input_files(str(upload))
    settle(tab)
    tab.get_by_role("button", name="Import 1 file").click()
    settle(tab)
    tab.get_by_text("imported as #").first.wait_for()
    tab.get_by_role("tab", name="Import history").click()
    settle(tab)
    expect_in_grid(tab, "editor@example.com")
    screenshot(tab, "signin-editor-history")
    row = ops.imports(team_server.db).row(0, named=True)
    assert (row["file_name"], row["imported_by"]) == ("editor upload.csv", "editor@example.com")
