"""AppTest of the sign-in gate and the role checks on the pages that write (Events, Data and
its Connections tab, Explore's add-an-event form), on a copy of the demo database.

AppTest seeds `st.user` (`at.user`) and `st.secrets` (`at.secrets`), so a signed-in viewer,
editor or admin is the real page code with those claims; the OIDC round trip itself is
tested in a real browser against a real provider (test_signin_browser.py).
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from pipelines import auth, events, ops
from tests.auth.conftest import team_secrets
from tests.conftest import REPO

APP = REPO / "app.py"
SECRETS = team_secrets("http://127.0.0.1:8501/oauth2callback", "http://127.0.0.1:1/.well-known")
VIEWER = {"is_logged_in": True, "sub": "v1", "email": "viewer@example.com",
          "email_verified": True, "name": "Vera Viewer"}  # fmt: skip
EDITOR = {"is_logged_in": True, "sub": "e1", "email": "editor@example.com",
          "email_verified": True, "name": "Ed Editor"}  # fmt: skip
ADMIN = {"is_logged_in": True, "sub": "a1", "email": "lead@example.com", "email_verified": True}


def _open(page: str | None, user: dict | None = None, *, signed: bool = True) -> AppTest:
    """The app (app.py, the gate included) on `page`, as `user` when sign-in is configured."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    if signed:
        at.secrets.update(SECRETS)
    if user is not None:
        at.user = dict(user)
    at.run()
    assert not at.exception, at.exception
    if page is not None:
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception
    return at


def _buttons(at: AppTest) -> set[str]:
    return {b.label for b in at.button}


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


@pytest.fixture
def public_address() -> Iterator[None]:
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        yield
    finally:
        config.set_option("server.address", before)


def test_local_use_needs_no_account_and_is_the_local_admin(demo_env: Path) -> None:
    at = _open("app_pages/events.py", signed=False)
    assert f"you act as local:{getpass.getuser()} (admin)" in _captions(at).replace("\\", "")
    assert {"Add event", "Sign out"} & _buttons(at) == {"Add event"}
    assert at.get("file_uploader"), "the local admin can import events"


def test_a_shared_server_shows_nothing_before_sign_in(demo_env: Path) -> None:
    at = _open(None, {"is_logged_in": False})
    assert _buttons(at) == {"Sign in"}
    assert "sign in to see and work with its data" in at.markdown[0].value
    assert not at.dataframe and not at.get("plotly_chart") and not at.caption


def test_a_public_address_without_sign_in_is_refused_and_shows_no_data(
    demo_env: Path, public_address: None
) -> None:
    at = _open(None, signed=False)
    assert len(at.error) == 1
    assert "refuses to serve on 0.0.0.0 without sign-in" in at.error[0].value
    assert not at.dataframe and not at.get("plotly_chart") and not at.button


def test_a_public_address_with_sign_in_configured_serves(
    demo_env: Path, public_address: None
) -> None:
    at = _open("app_pages/events.py", VIEWER)
    assert not at.error and at.dataframe


def test_a_viewer_sees_events_with_their_authors_but_no_control_that_writes(
    demo_env: Path,
) -> None:
    events.add(
        events.Event(date(2026, 4, 1), "Editor's note"),
        demo_env,
        actor=auth.Actor("editor@example.com", "editor"),
    )
    at = _open("app_pages/events.py", VIEWER)
    assert "Signed in as Vera Viewer (viewer@example.com) · role: viewer" in _captions(at).replace(
        "\\", ""
    )
    assert "Sign out" in _buttons(at)
    assert not {"Add event", "Save", "Delete this event", "Import events"} & _buttons(at)
    assert not at.get("file_uploader")
    text = _captions(at)
    assert "Your role (viewer) cannot add, edit or delete events; an editor can." in text
    assert "Your role (viewer) cannot import data" in text
    table = at.dataframe[0].value
    assert {"created_by", "updated_by", "updated_at"} <= set(table.columns)
    noted = table[table["title"] == "Editor's note"]
    assert noted["created_by"].tolist() == ["editor@example.com"]


def test_an_editor_adds_an_event_and_is_its_author(demo_env: Path) -> None:
    at = _open("app_pages/events.py", EDITOR)
    assert {"Add event", "Import events"} & _buttons(at) == {"Add event"}  # (import: on upload)
    at.text_input(key="ev_new_title").set_value("Added by Ed")
    next(b for b in at.button if b.label == "Add event").click()
    at.run()
    assert not at.exception and not at.error
    added = events.list_events(demo_env, text="added by ed").row(0, named=True)
    assert (added["created_by"], added["updated_by"]) == ("editor@example.com",) * 2


def test_a_viewer_on_the_data_page_can_read_the_history_but_not_import_or_undo(
    demo_env: Path,
) -> None:
    at = _open("app_pages/data.py", VIEWER)
    assert not at.get("file_uploader") and "Undo" not in _buttons(at)
    assert not {"Import these rows", "Map identifier to name", "Add connection"} & _buttons(at)
    text = _captions(at)
    for what in ("import data", "undo an import", "name apps", "add or remove connections"):
        assert f"Your role (viewer) cannot {what}" in text, what
    history = next(d.value for d in at.dataframe if "imported_by" in d.value.columns)
    assert set(history["imported_by"]) == {f"local:{getpass.getuser()}"}  # the demo's loader


def test_an_editor_undoes_an_import_and_the_history_says_who(demo_env: Path) -> None:
    at = _open("app_pages/data.py", EDITOR)
    assert at.get("file_uploader") and "Undo" in _buttons(at)
    assert "Add connection" not in _buttons(at)  # connections are for admins
    assert "Your role (editor) cannot add or remove connections; an admin can." in _captions(at)
    chosen = at.selectbox[0].value
    next(b for b in at.button if b.label == "Undo").click()
    at.run()
    assert not at.exception and not at.error
    row = ops.imports(demo_env).filter(import_id=chosen).row(0, named=True)
    assert (row["status"], row["undone_by"]) == ("undone", "editor@example.com")


def test_an_admin_may_add_connections(demo_env: Path) -> None:
    at = _open("app_pages/data.py", ADMIN)
    assert {"Add connection", "Undo"} <= _buttons(at)


def test_explore_offers_adding_an_event_to_editors_only(demo_env: Path) -> None:
    viewer = _open("app_pages/explore.py", VIEWER)
    assert "Add event" not in _buttons(viewer)
    assert "cannot add, edit or delete events" in _captions(viewer)
    editor = _open("app_pages/explore.py", EDITOR)
    assert "Add event" in _buttons(editor)
