"""Who is acting, what their role lets them do, and where a server may listen.

Three roles, each including the one before: a *viewer* explores, studies, checks figures and
downloads; an *editor* also annotates events, imports (uploads, URLs, typed rows, the demo),
syncs connections, names apps and undoes imports; an *admin* also manages connections and alert
rules. `can(role, action)` is the one table of rights; `require(actor, action)` is what every
write function calls first, so a page that forgot to hide a button still cannot write.

Where roles come from (one path, README "Running it for a team"): on a shared server people
sign in through OpenID Connect (Streamlit's `st.login`, `[auth]` in `.streamlit/secrets.toml`)
and their role is looked up in the `[installpulse.roles]` table of the same file, by verified
e-mail or by the provider's `sub`; anyone else who signs in gets `installpulse.default_role`
(viewer unless set). Without `[auth]` there is no account: the app serves this machine only
and whoever uses it is the local admin, as the CLI is (`local:<os user>`).

No Streamlit here: the page turns `st.user` into a plain mapping and passes the resulting
`Actor` down to the write functions explicitly.
"""

from __future__ import annotations

import getpass
import ipaddress
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.errors import InstallpulseError, UsageError

VIEWER, EDITOR, ADMIN = "viewer", "editor", "admin"
ROLES: tuple[str, ...] = (VIEWER, EDITOR, ADMIN)  # each includes the rights of the ones before

# action -> (the least role that may do it, how a refusal names it)
ACTIONS: dict[str, tuple[str, str]] = {
    "explore": (VIEWER, "explore, study and check figures"),
    "download": (VIEWER, "download charts and tables"),
    "annotate": (EDITOR, "add, edit or delete events"),
    "import": (EDITOR, "import data (files, URLs, typed rows, events, the demo)"),
    "undo": (EDITOR, "undo an import"),
    "sync": (EDITOR, "sync connections"),
    "name_apps": (EDITOR, "name apps and add metrics"),
    "connections": (ADMIN, "add or remove connections"),
    "alerts": (ADMIN, "add or remove alert rules"),
}


class NotAllowed(InstallpulseError):
    """An actor tried a write their role does not allow; nothing was written."""


@dataclass(frozen=True)
class Actor:
    """Someone who writes: `id` is what the database records (an e-mail, `sub:<sub>` or
    `local:<os user>`), `role` one of ROLES."""

    id: str
    role: str
    name: str = ""

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise UsageError(f"'{self.role}' is not a role; roles are {', '.join(ROLES)}.")
        if not self.id.strip():
            raise UsageError("An actor needs an id (an e-mail, a sub or local:<user>).")

    @property
    def label(self) -> str:
        """How pages name them: the display name and the recorded id when they differ."""
        return f"{self.name} ({self.id})" if self.name and self.name != self.id else self.id


def local_actor() -> Actor:
    """The CLI, library calls and the app without sign-in: the local admin, recorded as
    `local:<os user>`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # (no passwd entry for the uid, e.g. in a bare container)
        user = "unknown"
    return Actor(f"local:{user}", ADMIN)


def resolve(actor: Actor | None) -> Actor:
    """The actor of a write function: the one passed, else the local admin (a library or CLI
    caller on this machine). Pages always pass theirs."""
    return actor if actor is not None else local_actor()


def can(role: str, action: str) -> bool:
    """Whether `role` may do `action` (a key of ACTIONS)."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}")
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(ACTIONS[action][0])


def require(actor: Actor | None, action: str) -> Actor:
    """The actor (resolved), or NotAllowed with a sentence saying who, what and what to do."""
    who = resolve(actor)
    if can(who.role, action):
        return who
    least, what = ACTIONS[action]
    raise NotAllowed(
        f"{who.id} is signed in as {who.role}, and only an {least} or above may {what}; "
        "nothing was written. Ask an admin to give you that role in [installpulse.roles]."
    )


def roles_config(secrets: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """({e-mail or sub, lower-cased: role}, default role) from the `[installpulse]` section of
    secrets.toml; a role that is not one of ROLES is refused with where it is."""
    section = secrets.get("installpulse") or {}
    default = str(section.get("default_role", VIEWER))
    if default not in ROLES:
        raise UsageError(
            f"secrets.toml [installpulse] default_role = '{default}' is not a role; use one "
            f"of {', '.join(ROLES)}."
        )
    table: dict[str, str] = {}
    for key, role in dict(section.get("roles") or {}).items():
        if role not in ROLES:
            raise UsageError(
                f"secrets.toml [installpulse.roles] '{key}' = '{role}' is not a role; use one "
                f"of {', '.join(ROLES)}."
            )
        table[str(key).strip().lower()] = str(role)
    return table, default


def signed_in_actor(user: Mapping[str, Any], secrets: Mapping[str, Any]) -> Actor:
    """The Actor of a signed-in OIDC user (the claims `st.user` holds). The e-mail counts only
    when the provider does not say it is unverified; `sub` always identifies."""
    table, default = roles_config(secrets)
    sub = str(user.get("sub") or "").strip()
    email = str(user.get("email") or "").strip()
    verified = user.get("email_verified", True) is not False
    keys = ([email.lower()] if email and verified else []) + ([sub.lower()] if sub else [])
    role = next((table[k] for k in keys if k in table), default)
    ident = email if email and verified else (f"sub:{sub}" if sub else "")
    if not ident:
        raise UsageError(
            "The sign-in provider sent neither a verified e-mail nor a subject (sub); ask it "
            "for the 'openid email' scopes."
        )
    return Actor(ident, role, str(user.get("name") or ""))


def auth_configured(secrets: Mapping[str, Any]) -> bool:
    """Whether secrets.toml has an `[auth]` section Streamlit can sign people in with."""
    section = secrets.get("auth") or {}
    return bool(section.get("redirect_uri") and section.get("cookie_secret"))


def secrets_files(cwd: Path) -> list[Path]:
    """Where `streamlit run` started in `cwd` reads secrets.toml by default (later wins)."""
    return [Path.home() / ".streamlit" / "secrets.toml", cwd / ".streamlit" / "secrets.toml"]


def signing_in_from(paths: Sequence[Path]) -> bool:
    """Whether these secrets.toml files (those that exist) configure sign-in: how
    `installpulse app` checks before it starts a server on a public address."""
    merged: dict[str, Any] = {}
    for path in paths:
        if not path.is_file():
            continue
        try:
            merged.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path} is not valid TOML ({exc}); fix it and start again.") from exc
    return auth_configured(merged)


def is_loopback(address: str | None) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost). An
    unset address means every interface to Streamlit, so it is not loopback."""
    text = (address or "").strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def exposure_refusal(address: str | None, signed_in: bool) -> str | None:
    """The sentence with which the app refuses to serve, or None when it may: a server
    reachable from other machines must sign people in, or anyone on the network could import,
    undo and delete."""
    if signed_in or is_loopback(address):
        return None
    where = address or "every interface (server.address is not set)"
    return (
        f"installpulse refuses to serve on {where} without sign-in: anyone who can reach it "
        "could read, import and delete. Configure sign-in ([auth] in .streamlit/secrets.toml, "
        "README 'Running it for a team') or listen on 127.0.0.1 only."
    )
