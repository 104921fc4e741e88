"""The app behind a reverse proxy that breaks uploads (RELIABILITY.md F15): one that drops the
`_streamlit_xsrf` cookie, and one with a 10 MB request body limit. "The deployment smoke test
catches 403/413 before users do": `python -m pipelines.deploy_check URL` names each problem
with what to change, and passes a proxy that forwards everything. The browser tests show the
check tells the truth: through the cookie-dropping proxy a real upload in Chromium fails with
the 403 the check predicted, through a proper one the same upload is read.

The proxy (tests/faults/proxy.py) is real: sockets on 127.0.0.1 forwarding HTTP and the
WebSocket to a real `streamlit run app.py`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipelines import deploy_check
from tests.browser.browser_helpers import settle
from tests.conftest import REPO, streamlit_app
from tests.faults.proxy import Proxy

MB = 1024 * 1024


@pytest.fixture(scope="module")
def app_port(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("proxied")
    db = folder / "demo.duckdb"
    shutil.copyfile(demo_db_template, db)
    env = {"INSTALLPULSE_ARCHIVE": str(folder / "archive")}
    with streamlit_app(db, folder / "streamlit.log", env) as url:
        yield int(urlsplit(url).port or 0)


def test_deploy_check_passes_a_proxy_that_forwards_everything(app_port: int) -> None:
    with Proxy(app_port) as url:
        report = deploy_check.check(url)
    assert report.problems == []
    assert report.ok == [
        "the app answers /_stcore/health",
        "the WebSocket /_stcore/stream is forwarded",
        "an upload of 11 MB reaches the app with its XSRF token",
    ]


def test_deploy_check_names_a_dropped_xsrf_cookie(app_port: int) -> None:
    with Proxy(app_port, drop_xsrf=True) as url:
        report = deploy_check.check(url)
    assert len(report.problems) == 1, report.problems
    problem = report.problems[0]
    assert problem.startswith("an upload of 11 MB was refused with 403 (XSRF token missing or")
    assert "drops, renames or re-encodes the _streamlit_xsrf cookie" in problem
    assert "'AxiosError: Request failed with status code 403'" in problem


def test_deploy_check_names_a_10_mb_body_limit(app_port: int) -> None:
    proxy = Proxy(app_port, body_limit=10 * MB)
    with proxy as url:
        small = deploy_check.check(url, upload_mb=9)
        big = deploy_check.check(url, upload_mb=11)
    assert small.problems == []  # under the proxy's limit: it gets through
    assert len(big.problems) == 1, big.problems
    assert big.problems[0].startswith("an upload of 11 MB was refused with 413 (request body too")
    assert (
        "raise its body limit to the app's upload limit, 500 MB (nginx: client_max_body_size "
        "500m;)" in big.problems[0]
    )
    assert proxy.refused == [413]  # the proxy refused it, not the app


def test_deploy_check_names_a_websocket_that_is_not_forwarded(app_port: int) -> None:
    with Proxy(app_port, websocket=False) as url:
        report = deploy_check.check(url)
    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith("the WebSocket handshake on /_stcore/stream got ")
    assert "not forward WebSocket upgrades, so no page can run (nginx: " in report.problems[0]


def test_deploy_check_command_exits_1_and_prints_the_problem(app_port: int) -> None:
    with Proxy(app_port, drop_xsrf=True, body_limit=10 * MB) as url:
        done = subprocess.run(
            [sys.executable, "-m", "pipelines.deploy_check", url, "--upload-mb", "12"],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith(f"Deployment check of {url}:\n  ok: the app answers")
    assert "  PROBLEM: an upload of 12 MB was refused with 413" in done.stdout
    assert "Traceback" not in done.stderr


UPLOAD = (
    "date,app,country,platform,metric,value,source\n"
    "2026-04-01,ProxiedApp,US,ios,downloads,100,press\n"
)


def _upload(chromium, url: str, path: Path):
    """Open the Data page at `url` in a fresh browser and choose `path` in its uploader."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url + "/data")
    settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))
    return page


@pytest.mark.browser
def test_a_browser_upload_fails_as_the_check_predicts(
    chromium, app_port: int, tmp_path: Path
) -> None:
    path = tmp_path / "proxied.csv"
    path.write_text(UPLOAD, encoding="utf-8")
    with Proxy(app_port) as url:  # a proper proxy: the upload is read and previewed
        page = _upload(chromium, url, path)
        try:
            page.get_by_text("Detected: Generic long CSV").wait_for()
        finally:
            page.context.close()
    with Proxy(app_port, drop_xsrf=True) as url:  # the pages work; the upload does not
        page = _upload(chromium, url, path)
        try:
            page.get_by_text("status code 403").first.wait_for()
            assert page.get_by_text("Detected: Generic long CSV").count() == 0
        finally:
            page.context.close()
