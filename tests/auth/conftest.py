"""Fixtures of the sign-in tests: Streamlit's caches cleared around each AppTest, the demo
database in the environment, and the secrets.toml content a shared server would have."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app_pages.common import clear_caches

COOKIE_SECRET = "installpulse-tests-cookie-secret-0123456789abcdef"


def team_secrets(redirect_uri: str, metadata_url: str) -> dict[str, Any]:
    """secrets.toml of a shared server: sign-in through one OIDC provider, editors named,
    everyone else a viewer (README "Running it for a team")."""
    return {
        "auth": {
            "redirect_uri": redirect_uri,
            "cookie_secret": COOKIE_SECRET,
            "client_id": "installpulse",
            "client_secret": "installpulse-test-secret",
            "server_metadata_url": metadata_url,
            # Streamlit asks for prompt=select_account by default; oidc-provider supports the
            # login and consent prompts (README: a provider without select_account)
            "client_kwargs": {"prompt": "login"},
        },
        "installpulse": {
            "default_role": "viewer",
            "roles": {"editor@example.com": "editor", "lead@example.com": "admin"},
        },
    }


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def demo_env(demo_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("INSTALLPULSE_DB", str(demo_db))
    monkeypatch.setenv("INSTALLPULSE_ARCHIVE", str(tmp_path / "archive"))
    return demo_db
