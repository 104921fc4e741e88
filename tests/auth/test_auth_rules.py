"""pipelines/auth.py: the table of rights, roles from secrets.toml, who a signed-in user is,
and which addresses may be served without sign-in."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import auth
from pipelines.errors import UsageError

# Every action with the roles that may do it, written out (not derived from auth.ACTIONS).
EXPECTED = {
    "explore": {"viewer", "editor", "admin"},
    "download": {"viewer", "editor", "admin"},
    "annotate": {"editor", "admin"},
    "import": {"editor", "admin"},
    "undo": {"editor", "admin"},
    "sync": {"editor", "admin"},
    "name_apps": {"editor", "admin"},
    "connections": {"admin"},
    "alerts": {"admin"},
}


def test_can_matches_the_documented_table() -> None:
    assert set(auth.ACTIONS) == set(EXPECTED)
    for action, roles in EXPECTED.items():
        for role in auth.ROLES:
            assert auth.can(role, action) is (role in roles), (role, action)


def test_unknown_role_may_do_nothing_and_unknown_action_is_a_defect() -> None:
    assert not auth.can("owner", "explore")
    with pytest.raises(KeyError):
        auth.can("admin", "drop_everything")


def test_require_refuses_with_a_sentence_naming_who_what_and_what_to_do() -> None:
    viewer = auth.Actor("vera@example.com", "viewer")
    with pytest.raises(auth.NotAllowed) as info:
        auth.require(viewer, "import")
    text = str(info.value)
    assert "vera@example.com" in text and "viewer" in text
    assert "import data" in text and "editor" in text
    assert "nothing was written" in text and "[installpulse.roles]" in text
    editor = auth.Actor("ed@example.com", "editor")
    assert auth.require(editor, "undo") is editor
    with pytest.raises(auth.NotAllowed, match="only an admin or above may add or remove conn"):
        auth.require(editor, "connections")


def test_no_actor_is_the_local_admin_named_after_the_os_user() -> None:
    who = auth.require(None, "connections")
    assert who == auth.local_actor()
    assert who.id == f"local:{getpass.getuser()}" and who.role == "admin"


def test_an_actor_needs_a_known_role_and_an_id() -> None:
    with pytest.raises(UsageError, match="'owner' is not a role"):
        auth.Actor("a@example.com", "owner")
    with pytest.raises(UsageError, match="needs an id"):
        auth.Actor("  ", "viewer")


SECRETS = {
    "auth": {"redirect_uri": "https://ip.example.com/oauth2callback", "cookie_secret": "x" * 32},
    "installpulse": {
        "default_role": "viewer",
        "roles": {"Ed@Example.com": "editor", "lead@example.com": "admin", "oidc|42": "editor"},
    },
}


def test_roles_come_from_the_table_by_verified_email_or_sub_else_the_default() -> None:
    ed = auth.signed_in_actor({"email": "ed@example.com", "sub": "1", "name": "Ed"}, SECRETS)
    assert (ed.id, ed.role, ed.label) == ("ed@example.com", "editor", "Ed (ed@example.com)")
    lead = auth.signed_in_actor({"email": "LEAD@example.com", "email_verified": True}, SECRETS)
    assert lead.role == "admin"
    anyone = auth.signed_in_actor({"email": "new@example.com", "sub": "9"}, SECRETS)
    assert (anyone.id, anyone.role) == ("new@example.com", "viewer")
    by_sub = auth.signed_in_actor({"sub": "oidc|42"}, SECRETS)
    assert (by_sub.id, by_sub.role) == ("sub:oidc|42", "editor")


def test_an_unverified_email_never_gets_the_role_of_that_address() -> None:
    claims = {"email": "lead@example.com", "email_verified": False, "sub": "77"}
    who = auth.signed_in_actor(claims, SECRETS)
    assert (who.id, who.role) == ("sub:77", "viewer")


def test_no_identity_at_all_is_refused() -> None:
    with pytest.raises(UsageError, match="neither a verified e-mail nor a subject"):
        auth.signed_in_actor({"name": "Nobody"}, SECRETS)


def test_default_role_and_table_roles_are_checked_with_where_they_are() -> None:
    assert auth.roles_config({}) == ({}, "viewer")
    with pytest.raises(UsageError, match=r"\[installpulse\] default_role = 'boss'"):
        auth.roles_config({"installpulse": {"default_role": "boss"}})
    with pytest.raises(UsageError, match=r"\[installpulse.roles\] 'a@b.c' = 'root'"):
        auth.roles_config({"installpulse": {"roles": {"a@b.c": "root"}}})
    assert auth.roles_config({"installpulse": {"default_role": "editor"}}) == ({}, "editor")


def test_auth_is_configured_only_with_redirect_uri_and_cookie_secret() -> None:
    assert auth.auth_configured(SECRETS)
    assert not auth.auth_configured({})
    assert not auth.auth_configured({"auth": {"redirect_uri": "https://x/oauth2callback"}})


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("", False),
        (None, False),
        ("192.168.1.20", False),
        ("::", False),
        ("ip.example.com", False),
    ],
)
def test_loopback_addresses(address: str | None, loopback: bool) -> None:
    assert auth.is_loopback(address) is loopback


def test_a_public_address_without_sign_in_is_refused_with_a_sentence() -> None:
    assert auth.exposure_refusal("127.0.0.1", signed_in=False) is None
    assert auth.exposure_refusal("0.0.0.0", signed_in=True) is None
    text = auth.exposure_refusal("0.0.0.0", signed_in=False)
    assert text is not None and "refuses to serve on 0.0.0.0 without sign-in" in text
    assert "[auth] in .streamlit/secrets.toml" in text and "127.0.0.1" in text
    unset = auth.exposure_refusal(None, signed_in=False)
    assert unset is not None and "every interface" in unset


def test_signing_in_is_read_from_the_secrets_files_streamlit_reads(tmp_path: Path) -> None:
    home, project = tmp_path / "home.toml", tmp_path / "project.toml"
    assert not auth.signing_in_from([home, project])  # (neither exists: local use)
    home.write_text('[auth]\nredirect_uri = "https://ip.example.com/oauth2callback"\n')
    assert not auth.signing_in_from([home, project])  # no cookie_secret: Streamlit cannot
    project.write_text(
        '[auth]\nredirect_uri = "https://ip.example.com/oauth2callback"\n'
        'cookie_secret = "0123456789abcdef0123456789abcdef"\n'
    )
    assert auth.signing_in_from([home, project])
    project.write_text("[auth\n")
    with pytest.raises(UsageError, match=r"project.toml is not valid TOML"):
        auth.signing_in_from([project])


def test_installpulse_app_refuses_a_public_address_without_sign_in(tmp_path: Path) -> None:
    """Before any server starts: exit 1 with the sentence (HOME and the folder have no
    secrets.toml). With sign-in configured the same command would start the server."""
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "app", "--address", "0.0.0.0", "--port", "9"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "refuses to serve on 0.0.0.0 without sign-in" in done.stderr
    assert "Database:" not in done.stdout  # (it stopped before anything else)
