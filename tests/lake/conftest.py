"""A real PostgreSQL catalog for the lake tests: one local cluster per session, started by
scripts/postgres.sh (as `.ci/run` and a person would), and a fresh catalog database and data
folder per test. Without PostgreSQL the tests skip with what is missing locally and fail under
CI."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "postgres.sh"
_names = itertools.count(1)


def _have_postgres() -> bool:
    return bool(list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))) or bool(
        shutil.which("pg_ctl")
    )


@pytest.fixture(scope="session")
def catalog_server():
    """(libpq string of the server's `postgres` database, port)."""
    if not _have_postgres():
        reason = "lake tests need PostgreSQL: install Debian's postgresql package"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    # (not under pytest's temp folder: it is private to root, and the server runs as postgres)
    folder = Path(tempfile.mkdtemp(prefix="installpulse-pg-"))
    os.chmod(folder, 0o755)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = folder / "data"
    subprocess.run([SCRIPT, "start", str(data), str(port)], check=True, capture_output=True)
    try:
        yield f"dbname=postgres host=127.0.0.1 port={port} user=postgres", port
    finally:
        subprocess.run([SCRIPT, "stop", str(data)], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def new_lake(server: tuple[str, int], folder: Path) -> str:
    """A new, empty catalog database; the lake's address."""
    import psycopg

    info, port = server
    name = f"lake_{os.getpid()}_{next(_names)}"
    with psycopg.connect(info, autocommit=True) as pg:
        pg.execute(f"create database {name}")  # (a name made here, not a user's)
    folder.mkdir(parents=True, exist_ok=True)
    return f"ducklake:postgres:dbname={name} host=127.0.0.1 port={port} user=postgres"


@pytest.fixture
def lake(catalog_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh lake chosen by INSTALLPULSE_STORE (data and archive in tmp_path)."""
    address = new_lake(catalog_server, tmp_path / "lake")
    monkeypatch.setenv("INSTALLPULSE_STORE", address)
    monkeypatch.setenv("INSTALLPULSE_LAKE_DATA", str(tmp_path / "lake"))
    monkeypatch.setenv("INSTALLPULSE_LOCK_WAIT", "30")
    return Path(address)
