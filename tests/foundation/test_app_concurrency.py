"""CLI ingest while a real `streamlit run` of the app is up (RELIABILITY.md decision 1, F6).

The app opens the DuckDB file per operation, so the CLI gets the write lock between reruns,
and the app shows the new data on its next rerun (the data version changed).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def running_app(demo_db: Path):
    port = free_port()
    env = {
        **os.environ,
        "INSTALLPULSE_DB": str(demo_db),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        "STREAMLIT_SERVER_HEADLESS": "true",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("streamlit did not answer /_stcore/health within 60 s")
        time.sleep(0.3)
    yield f"http://127.0.0.1:{port}", demo_db
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_cli_ingest_while_the_app_is_running(running_app, chromium) -> None:
    url, db = running_app
    page = chromium.new_page()
    try:
        page.goto(url + "/database")
        page.get_by_text("Daily values").wait_for(timeout=30000)
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
