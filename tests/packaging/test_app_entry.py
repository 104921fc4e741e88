"""The packaged entry (app_pages/main.py, what `installpulse app` runs) behaves like app.py."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

ENTRY = REPO / "app_pages" / "main.py"


def test_packaged_entry_opens_an_empty_database() -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=60).run()
    assert not at.exception, at.exception[0].message
    assert "The database is empty" in at.info[0].value
