"""The server restarts under an open page (RELIABILITY.md F9: a deploy, a crash): `kill -9` the
real `streamlit run app.py` while the Explore page is open in Chromium, start it again on the
same port, and the page comes back by itself (Streamlit's reconnect) with the same view - the
state lives in the URL and the database, not in the lost session - the same numbers, and no
error left on screen.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.browser_helpers import settle
from tests.conftest import REPO

pytestmark = [pytest.mark.browser]

STORY = (
    "/explore?apps=ChatGPT&apps=Claude&metrics=uninstalls&countries=US"
    "&start=2026-02-14&end=2026-03-14&day=2026-02-28"
)
SENTENCE = "+295% vs the previous day (3.95x)"
START_LIMIT = 60  # seconds for the server to answer /_stcore/health (a bound, not a timing)


class Server:
    """`streamlit run app.py` on a fixed port, which can be killed and started again."""

    def __init__(self, db: Path, log: Path, archive: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {**os.environ, "INSTALLPULSE_DB": str(db), "INSTALLPULSE_ARCHIVE": str(archive),
                    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
                    "STREAMLIT_SERVER_HEADLESS": "true"}  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "streamlit", "run", "app.py",
                   "--server.address", "127.0.0.1", "--server.port", str(self.port)]  # fmt: skip
        with self.log.open("a") as log:
            self.proc = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)  # fmt: skip
        deadline = time.monotonic() + START_LIMIT
        while not self.healthy():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"streamlit did not answer /_stcore/health; see {self.log}")
            time.sleep(0.2)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as response:
                return response.read().strip() == b"ok"
        except OSError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def server(demo_db_template: Path, tmp_path: Path, chromium_path: str) -> Iterator[Server]:
    db = tmp_path / "demo.duckdb"
    shutil.copyfile(demo_db_template, db)
    running = Server(db, tmp_path / "streamlit.log", tmp_path / "archive")
    running.start()
    try:
        yield running
    finally:
        running.stop()


def _shown(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def test_page_recovers_after_the_server_is_killed_and_restarted(chromium, server: Server) -> None:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(server.url + STORY)
        settle(page, chart=True)
        page.get_by_text("% vs baseline", exact=True).click()  # a view held in the URL
        settle(page, chart=True)
        page.wait_for_function("() => location.search.includes('view=change')")
        url_before, text_before = page.url, _shown(page)
        assert SENTENCE in text_before
        chart_before = page.locator(".js-plotly-plot").first.text_content()

        server.kill()
        # The page notices: Streamlit's dialog says the server is not responding.
        lost = page.get_by_role("dialog").filter(has_text="Connection error")
        lost.wait_for(state="visible")
        server.start()

        # It reconnects by itself (no reload), runs the page again and draws the same view.
        lost.wait_for(state="detached", timeout=60_000)
        settle(page, chart=True)
        assert page.url == url_before
        assert "Change (%)" in (page.locator(".js-plotly-plot").first.text_content() or "")
        assert page.locator(".js-plotly-plot").first.text_content() == chart_before
        assert _shown(page) == text_before
        for error in ('[data-testid="stException"]', '[data-testid="stAlertContentError"]',
                      '[role="dialog"]'):  # fmt: skip
            assert page.locator(error).count() == 0, error
    finally:
        context.close()
