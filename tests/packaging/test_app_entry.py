"""The packaged entry (app_pages/main.py, what `installpulse app` runs) behaves like app.py."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO

ENTRY = REPO / "app_pages" / "main.py"


@pytest.mark.xfail(
    strict=True,
    reason="app_pages/overview.py links `app_pages/data.py` (st.page_link) and switches to "
    "`app_pages/explore.py` (st.switch_page) by paths relative to the entry script, which are "
    "only right for app.py at the repository root: an installed app's first page (an empty "
    "database) fails. Fix in overview.py: Path(__file__).with_name('data.py') / 'explore.py'.",
)
def test_packaged_entry_opens_an_empty_database() -> None:
    at = AppTest.from_file(str(ENTRY), default_timeout=60).run()
    assert not at.exception, at.exception[0].message
    assert "The database is empty" in at.info[0].value
