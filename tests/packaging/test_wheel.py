"""`pip install .` gives a working installpulse: the wheel carries the SQL, the schema
migrations, the demo CSVs and the Streamlit app, and the installed commands work from a folder
that is not the repository.

The wheel is built from a copy of the working tree (tracked and new files, not what .gitignore
leaves out), so the shared tree gets no build/ or egg-info; it is installed into a fresh venv
that sees the dev venv's dependencies through a one-line .pth path (a plain path line does not
run the dev venv's editable-install finder), so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import textwrap
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

CODE_PACKAGES = ("pipelines", "analytics", "charts", "app_pages", "semantic")


def _source_tree(dest: Path) -> Path:
    """Copy the files a clone plus the uncommitted work would have into `dest`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():  # a file deleted in the working tree is still in the index
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _source_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def wheel(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # The dev venv's setuptools (a dev dependency) builds it: no isolated build env to download.
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
               "--no-index", "--quiet", ".", "-w", str(out)]  # fmt: skip
    built = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("installpulse-*.whl")
    return path


def _names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_queries_migrations_demo_and_app(tree: Path, wheel: Path) -> None:
    names = _names(wheel)
    queries = sorted(p.relative_to(tree / "queries") for p in (tree / "queries").rglob("*.sql"))
    assert any(q.parts[0] == "schema" for q in queries)  # the migrations are among them
    missing = [str(q) for q in queries if f"pipelines/queries/{q.as_posix()}" not in names]
    assert missing == []
    demo = sorted(p.name for p in (tree / "data" / "demo").glob("*.csv"))
    assert {"observations.csv", "apps.csv", "events.csv"} <= set(demo)
    assert [n for n in demo if f"pipelines/demo_data/{n}" not in names] == []
    pages = sorted(p.name for p in (tree / "app_pages").glob("*.py"))
    assert "main.py" in pages
    assert [p for p in pages if f"app_pages/{p}" not in names] == []
    code = [p.relative_to(tree).as_posix() for f in CODE_PACKAGES for p in (tree / f).rglob("*.py")]
    assert [p for p in code if p not in names] == []


def test_wheel_leaves_tests_benchmarks_and_local_data_out(wheel: Path) -> None:
    names = _names(wheel)
    top = {n.split("/", 1)[0] for n in names}
    assert top <= {*CODE_PACKAGES, "installpulse-0.1.0.dist-info"}
    assert not [n for n in names if n.endswith((".duckdb", "build_demo.py"))]
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read("installpulse-0.1.0.dist-info/entry_points.txt").decode()
    assert "installpulse = pipelines.cli:run" in entry_points


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (--no-deps) and the dev venv's packages on its path."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "installpulse_dev_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
               "--no-deps", "--no-index", str(wheel)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return venv


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INSTALLPULSE_DB")}
    return {**env, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}


def _run(
    venv: Path, args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        cwd=cwd,
        env={**_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_installed_package_runs_demo_series_and_app(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # not the repository: nothing can be read from there
    elsewhere.mkdir()
    db = elsewhere / "analyst.duckdb"

    imports = "import pipelines, app_pages; print(pipelines.__file__, app_pages.__file__)"
    where = _run(installed, ["python", "-c", imports], elsewhere)
    for line in where.stdout.split():
        assert Path(line).is_relative_to(installed), line

    # As the README tells a newcomer: no --db, the database goes to the user's data folder
    # (XDG_DATA_HOME here, so the test's home is not touched) and the command says where.
    data_home = {"XDG_DATA_HOME": str(tmp_path / "data")}
    default_db = tmp_path / "data" / "installpulse" / "installpulse.duckdb"
    demo = _run(installed, ["installpulse", "demo"], elsewhere, data_home)
    assert "observations.csv: imported as #1" in demo.stdout
    assert "events.csv: imported as #2: 10 events." in demo.stdout
    assert demo.stdout.splitlines()[-1] == f"Database: {default_db}"
    assert default_db.is_file()
    assert list(elsewhere.iterdir()) == []  # nothing written where the command ran
    shutil.move(default_db, db)  # the rest runs on --db

    series = ["installpulse", "series", "--app", "ChatGPT", "--metric", "uninstalls", "--country",
              "US", "--start", "2026-02-28", "--end", "2026-02-28", "--db", str(db)]  # fmt: skip
    assert "+295%" in _run(installed, series, elsewhere).stdout
    (row,) = json.loads(_run(installed, [*series, "--format", "json"], elsewhere).stdout)
    assert row["value"] == 12640
    assert row["baseline"] == 3200
    assert row["change"] == pytest.approx(2.95)
    assert row["multiple"] == pytest.approx(3.95)

    # Every installed page renders the demo through the packaged queries (AppTest, ~3 s).
    apptest = textwrap.dedent(
        """
        from pathlib import Path
        import app_pages.main
        from streamlit import config
        from streamlit.testing.v1 import AppTest
        # No .streamlit/config.toml out here: the address `installpulse app` passes (without
        # one the app refuses to serve, as a server on every interface without sign-in)
        config.set_option("server.address", "127.0.0.1")
        at = AppTest.from_file(app_pages.main.__file__, default_timeout=60).run()
        assert not at.exception, at.exception
        print("|".join(e.value for e in at.subheader))
        for page in ["explore", "study", "check", "events", "data", "database"]:
            at.switch_page(str(Path(app_pages.main.__file__).with_name(page + ".py"))).run()
            assert not at.exception, (page, at.exception)
            print(page, "rendered")
        """
    )
    rendered = subprocess.run(
        [str(installed / "bin" / "python"), "-c", apptest],
        cwd=elsewhere,
        env={**_env(), "INSTALLPULSE_DB": str(db)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert "Top movers" in rendered.stdout
    assert rendered.stdout.count("rendered") == 6

    port = _free_port()
    log_path = tmp_path / "app.log"
    with log_path.open("w") as log:
        app = subprocess.Popen(
            [str(installed / "bin" / "installpulse"), "app", "--port", str(port), "--db", str(db)],
            cwd=elsewhere,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 40
        health = b""
        while health != b"ok":
            assert app.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                    health = response.read().strip()
            except OSError:
                time.sleep(0.3)
        with urllib.request.urlopen(url + "/", timeout=10) as response:
            assert response.status == 200
            assert b"<title>" in response.read()
    finally:
        app.terminate()  # `installpulse app` became the Streamlit server (exec): this stops it
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
    log_text = log_path.read_text()
    assert f"Database: {db}" in log_text
    assert f"URL: http://127.0.0.1:{port}" in log_text  # bound to this machine only
