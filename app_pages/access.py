"""Sign-in at the UI edge: who is using this session, and the gate every page passes first.

Without `[auth]` in `.streamlit/secrets.toml` nothing changes from a one-person install: no
account, the app serves 127.0.0.1 only, and the user is the local admin (`local:<os user>`).
With it, every page asks people to sign in through OpenID Connect (Streamlit's `st.login`) and
their role comes from `[installpulse.roles]` (pipelines/auth.py). The rights themselves live in
pipelines/auth.py; pages use `allowed()` to hide or disable a control, and pass `actor()` to
the write function, which refuses on its own anyway.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from app_pages import common
from pipelines import auth
from pipelines.errors import InstallpulseError

LOG = logging.getLogger("installpulse")


def secrets() -> dict[str, Any]:
    """secrets.toml as a dict ({} when there is none: local use)."""
    try:
        return st.secrets.to_dict()
    except (StreamlitSecretNotFoundError, FileNotFoundError):
        return {}


def signing_in() -> bool:
    """Whether this server signs people in (an `[auth]` section Streamlit can use)."""
    return auth.auth_configured(secrets())


def actor() -> auth.Actor:
    """Who this session acts as: the signed-in user with their role, or the local admin when
    the server has no sign-in. (Only called after `gate()` let the page run.)"""
    if not signing_in():
        return auth.local_actor()
    return auth.signed_in_actor(st.user.to_dict(), secrets())


def allowed(action: str) -> bool:
    """Whether this session's role may do `action` (pipelines.auth.ACTIONS)."""
    return auth.can(actor().role, action)


def refused_note(action: str) -> None:
    """Where a control is hidden: one line saying which role it needs."""
    least, what = auth.ACTIONS[action]
    st.caption(f"Your role ({actor().role}) cannot {what}; an {least} can.")


def gate() -> auth.Actor:
    """Run before any page: refuse a public address without sign-in, ask for sign-in when it is
    configured and nobody is signed in; returns the actor when the page may run."""
    configured = signing_in()
    refusal = auth.exposure_refusal(st.get_option("server.address"), configured)
    if refusal is not None:
        LOG.error(refusal)
        st.title("installpulse")
        st.error(refusal)
        st.stop()
    if configured and not st.user.is_logged_in:
        st.title("installpulse")
        st.write("This installpulse server is shared: sign in to see and work with its data.")
        st.button("Sign in", type="primary", on_click=st.login, key="auth_sign_in")
        st.stop()
    try:
        return actor()
    except InstallpulseError as exc:  # a misconfigured role table or an unusable identity
        st.title("installpulse")
        common.show_error(exc)
        if configured:
            st.button("Sign out", on_click=st.logout, key="auth_sign_out_error")
        st.stop()
        raise  # (st.stop() ends the run; this line is never reached)


def sidebar_identity(who: auth.Actor) -> None:
    """Who is signed in, their role and a sign-out button (or that this is local use)."""
    with st.sidebar:
        if signing_in():
            st.caption(f"Signed in as {common.md_escape(who.label)} · role: {who.role}")
            st.button("Sign out", on_click=st.logout, key="auth_sign_out")
        else:
            st.caption(
                f"Local use, no sign-in: you act as {common.md_escape(who.id)} ({who.role})."
            )
