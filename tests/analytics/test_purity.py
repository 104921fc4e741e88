"""The analytics package stays pure: no UI or database imports (STYLE.md lesson 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import analytics

FORBIDDEN = {"streamlit", "duckdb", "plotly", "pandas"}


def test_no_ui_or_database_imports() -> None:
    root = Path(analytics.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
    assert len(list(root.rglob("*.py"))) >= 8  # the check really looked at the modules
