"""Real PostgreSQL catalogs for tests on the lake backend (README "Scaling out").

One local cluster per test session, started by scripts/postgres.sh as `.ci/run` and a person
would. A test's lake is a new catalog database copied from a template (`CREATE DATABASE ...
TEMPLATE`, half a second) plus a copy of the template's data folder: creating the schema from
the migration files on a new catalog takes 6-18 s (every statement is a catalog round trip),
loading the demo a minute. Templates are made once per session, when a test first asks for one:
"schema" (an empty lake at this installpulse's schema) and "demo" (the demo loaded). The copy
reads its own data folder: `lake.open_lake` overrides the catalog's data path with
INSTALLPULSE_LAKE_DATA, which each test points at its copy.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "postgres.sh"
_names = itertools.count(1)


def have_postgres() -> bool:
    return bool(list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))) or bool(
        shutil.which("pg_ctl")
    )


@contextlib.contextmanager
def _env(**values: str | None) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Catalogs:
    """A running PostgreSQL cluster on 127.0.0.1 and the lakes made on it."""

    def __init__(self) -> None:
        # (not under pytest's temp folder: it is private to root, and the server runs as postgres)
        self.folder = Path(tempfile.mkdtemp(prefix="installpulse-pg-"))
        os.chmod(self.folder, 0o755)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._data = self.folder / "data"
        subprocess.run(
            [SCRIPT, "start", str(self._data), str(self.port)], check=True, capture_output=True
        )
        self.info = f"dbname=postgres host=127.0.0.1 port={self.port} user=postgres"
        self._templates: dict[str, tuple[str, Path]] = {}

    def stop(self) -> None:
        subprocess.run([SCRIPT, "stop", str(self._data)], check=False, capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)

    def address(self, name: str) -> str:
        return f"ducklake:postgres:dbname={name} host=127.0.0.1 port={self.port} user=postgres"

    def _create(self, name: str, template: str | None = None) -> None:
        import psycopg

        # (names made here, never a user's)
        text = f"create database {name}" + (f" template {template}" if template else "")
        deadline = time.monotonic() + 15
        with psycopg.connect(self.info, autocommit=True) as pg:
            while True:
                try:
                    pg.execute(text)
                    return
                except psycopg.errors.ObjectInUse:
                    # the template's last sessions (DuckDB's pool, the writers' lock) are
                    # still closing on the server's side
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

    def new(self, data: Path, template: str | None = "schema") -> str:
        """A new lake whose data folder is `data`: a copy of `template` ("schema", "demo")
        or, with None, an empty catalog (installpulse creates the schema when it opens it)."""
        name = f"lake_{os.getpid()}_{next(_names)}"
        if template is None:
            self._create(name)
            data.mkdir(parents=True, exist_ok=True)
        else:
            source, source_data = self._template(template)
            self._create(name, source)
            shutil.copytree(source_data, data, dirs_exist_ok=True)
        return self.address(name)

    def _template(self, kind: str) -> tuple[str, Path]:
        if kind not in self._templates:
            from pipelines import demo, store

            name = f"template_{kind}_{os.getpid()}"
            data = self.folder / name
            self._create(name)
            data.mkdir()
            address = self.address(name)
            with _env(INSTALLPULSE_LAKE_DATA=str(data), INSTALLPULSE_ARCHIVE=None):
                if kind == "demo":
                    demo.load(Path(address))
                else:
                    with store.connect(Path(address)):
                        pass
            store.release_all()
            self._templates[kind] = (name, data)
        return self._templates[kind]


def start_or_skip() -> Catalogs:
    """The cluster, or a skip naming what is missing (a failure under CI)."""
    import pytest

    if not have_postgres():
        reason = "lake tests need PostgreSQL: install Debian's postgresql package"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return Catalogs()
