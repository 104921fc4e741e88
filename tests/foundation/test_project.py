"""Project-wide contracts: settings are documented, core packages never import streamlit,
SQL lives in queries/ and the README's two commands are the task runner's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pipelines import settings
from tests.conftest import REPO

CORE = ("pipelines", "semantic", "analytics", "charts")


def _python_files(*folders: str) -> list[Path]:
    return [p for f in folders for p in (REPO / f).rglob("*.py")]


def test_every_setting_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [name for name in settings.SETTINGS if f"`{name}`" not in readme]
    assert missing == []
    # The table is generated (`python -m pipelines.settings`): defaults and help stay in sync.
    assert settings.markdown_table() in readme


def test_every_environment_setting_used_in_code_is_declared() -> None:
    used: set[str] = set()
    for path in [*_python_files(*CORE, "app_pages"), REPO / "app.py"]:
        used |= set(re.findall(r"INSTALLPULSE_[A-Z_]+", path.read_text(encoding="utf-8")))
    assert sorted(used - set(settings.SETTINGS)) == []


def test_core_packages_never_import_streamlit() -> None:
    offenders = []
    for path in _python_files(*CORE):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_readme_starts_with_the_two_commands_of_the_task_runner() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make run", "make test"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run: ", makefile, re.M) and re.search(r"^test: ", makefile, re.M)
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.strip().splitlines()[-1] == "make test"


def test_every_named_query_file_is_used() -> None:
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in _python_files(*CORE, "app_pages", "benchmarks")
    )
    unused = []
    for path in (REPO / "queries").glob("*.sql"):
        if f'"{path.stem}"' not in code:
            unused.append(path.name)
    assert unused == []
