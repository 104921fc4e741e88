"""The Connections tab in a real browser: add a Sensor Tower connection against the local
stand-in (tests/connectors/fake_sensortower.py) by its variable's name, sync it now, and see
the file imported - a real `streamlit run` with the stand-in's address in its environment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from browser_helpers import screenshot, settle

from pipelines import ops, sql, store, sync
from tests.conftest import streamlit_app
from tests.connectors.fake_sensortower import TOKEN, FakeSensorTower, ios_records, serve

APP = "6448311069"


@pytest.fixture
def connected_app(
    tmp_path: Path, chromium_path: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[FakeSensorTower, Path, str]]:
    with serve(monkeypatch) as fake:  # (its settings are in os.environ, which the app inherits)
        db = tmp_path / "connections.duckdb"
        env = {"INSTALLPULSE_ARCHIVE": str(tmp_path / "archive"), "BROWSER_PATH": chromium_path}
        with streamlit_app(db, tmp_path / "streamlit.log", env) as url:
            yield fake, db, url


def test_add_a_connection_and_sync_it_in_the_browser(browser, connected_app):
    fake, db, url = connected_app
    first = sync.last_full_day() - timedelta(days=2)
    fake.records["ios"] += ios_records(int(APP), ["US"], first, 2)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(url + "/data")
        settle(page)
        page.get_by_role("tab", name="Connections").click()
        page.get_by_text("No connections yet.").wait_for()
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Kind").click()
        page.get_by_role("option", name="Sensor Tower (sales report estimates)").click()
        settle(page)
        page.get_by_role("textbox", name="Name", exact=True).fill("st")
        page.get_by_role("textbox", name="Apps (comma-separated)").fill(APP)
        page.get_by_text("Environment variable name").click()
        where = "Path or variable name (never the secret itself)"
        page.get_by_role("textbox", name=where).fill("SENSORTOWER_TOKEN")
        page.get_by_role("textbox", name="first day of the first sync").fill(first.isoformat())
        page.get_by_role("button", name="Add connection").click()
        page.get_by_text("Added 'st'").wait_for()
        settle(page)
        page.get_by_text("Never synced.").wait_for()
        page.get_by_role("button", name="Sync now").click()
        synced = page.get_by_text("Synced: 1 file(s) imported, 0 unchanged.")
        synced.filter(visible=True).first.wait_for()
        settle(page)
        body = page.locator("body").text_content() or ""  # (the status box may be closed)
        assert f"sensortower_ios_{APP}_{first}_" in body and "imported as #1" in body
        assert TOKEN not in body
        screenshot(page, "data-connections-sync")
    finally:
        context.close()
    history = ops.imports(db)
    assert history.row(0, named=True)["file_name"].startswith(f"sensortower_ios_{APP}_{first}")
    with store.connect(db) as con:
        assert sql.run_text(con, "select secret_ref from connections") == [
            ("env:SENSORTOWER_TOKEN",)
        ]
    store.release_all()
