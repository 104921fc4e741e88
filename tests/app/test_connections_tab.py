"""The Data page's Connections tab (app_pages/connections.py) in AppTest, against the local
Sensor Tower stand-in: add a connection by its secret's reference, test it, sync it now (a
line per file), read the last sync in words, remove it. The token never appears on the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from app_helpers import open_page

from pipelines import sql, store, sync
from tests.connectors.fake_sensortower import TOKEN, ios_records, serve

APP = "6448311069"


@pytest.fixture
def st_fake(empty_env, monkeypatch):
    with serve(monkeypatch) as fake:
        yield fake


def _texts(at) -> str:
    parts = []
    for kind in ("success", "error", "warning", "info", "text", "markdown", "caption", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts).replace("\\", "")  # (md_escape backslashes)


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_add_test_sync_and_remove_a_connection(st_fake, empty_env):
    first = sync.last_full_day() - timedelta(days=3)
    st_fake.records["ios"] += ios_records(int(APP), ["US"], first, 3)
    at = open_page("app_pages/data.py")
    assert not at.exception
    assert "No connections yet." in _texts(at)
    at.selectbox(key="c_new_kind").set_value("sensortower").run()
    at.text_input(key="c_new_name").input("st")
    at.text_input(key="c_new_apps").input(APP)
    at.radio(key="c_new_source").set_value("env")
    at.text_input(key="c_new_where").input("SENSORTOWER_TOKEN")
    at.text_input(key="c_new_sensortower_start").input(first.isoformat())
    _button(at, "Add connection").click().run()
    assert not at.exception, at.exception
    texts = _texts(at)
    assert "Added 'st'" in texts and "environment variable SENSORTOWER_TOKEN" in texts
    at.run()  # the list now shows it
    assert "Never synced." in _texts(at)
    _button(at, "Test").click().run()
    assert "Sensor Tower accepted the token" in _texts(at)
    _button(at, "Sync now").click().run()
    assert not at.exception, at.exception
    texts = _texts(at)
    assert f"sensortower_ios_{APP}_{first}" in texts and ": imported as #1" in texts
    assert "Synced: 1 file(s) imported, 0 unchanged." in texts
    at.run()
    assert "succeeded" in _texts(at)
    assert TOKEN not in _texts(at)
    with store.connect(empty_env) as con:
        rows = sql.run_text(con, "select secret_ref from connections")
    store.release_all()
    assert rows == [("env:SENSORTOWER_TOKEN",)]
    at.checkbox(key="c_1_rm_ok").check().run()
    _button(at, "Remove 'st' (its imported data stays)").click().run()
    assert not at.exception
    assert "No connections yet." in _texts(at)


def test_a_failed_sync_is_shown_in_words(st_fake, empty_env, monkeypatch):
    at = open_page("app_pages/data.py")
    at.selectbox(key="c_new_kind").set_value("sensortower").run()
    at.text_input(key="c_new_name").input("st")
    at.text_input(key="c_new_apps").input(APP)
    at.radio(key="c_new_source").set_value("env")
    at.text_input(key="c_new_where").input("SENSORTOWER_TOKEN")
    _button(at, "Add connection").click().run()
    monkeypatch.setenv("SENSORTOWER_TOKEN", "st_live_wrong_token_0000000000000")
    at.run()
    _button(at, "Sync now").click().run()
    texts = _texts(at)
    assert "Sensor Tower refused the token (401 Unauthorized)" in texts
    at.run()
    assert "failed." in _texts(at)


def test_the_form_refuses_a_secret_pasted_as_a_variable_name(st_fake, empty_env):
    at = open_page("app_pages/data.py")
    at.selectbox(key="c_new_kind").set_value("sensortower").run()
    at.text_input(key="c_new_name").input("st")
    at.text_input(key="c_new_apps").input(APP)
    at.radio(key="c_new_source").set_value("env")
    at.text_input(key="c_new_where").input("st-live/7f3a+9c2e")
    _button(at, "Add connection").click().run()
    assert "is not an environment variable name" in _texts(at)
    with store.connect(empty_env) as con:
        assert sql.run_text(con, "select count(*) from connections") == [(0,)]
    store.release_all()
