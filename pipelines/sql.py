"""Named SQL: every query lives in `queries/<name>.sql` and is loaded by name.

Values are always bound parameters (`$name` in the file); nothing here ever formats a user
value into SQL text. Only the parameters a query names are passed, so one call site can
share a parameter dict between queries.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import duckdb
import polars as pl

from pipelines.settings import resource_dir

# queries/ of a clone, or the copy an installed wheel carries in pipelines/queries/.
QUERIES_DIR = resource_dir("queries")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)?$")
_SELECT = re.compile(r"^\s*(select|with|from)\b", re.IGNORECASE)


@lru_cache(maxsize=256)
def load(name: str) -> str:
    """The text of `queries/<name>.sql` (names are an allowlist: lower-case words only)."""
    if not _NAME.match(name):
        raise ValueError(f"not a query name: {name!r}")
    return (QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _bind(text: str, params: dict[str, Any]) -> dict[str, Any]:
    wanted = set(_PARAM.findall(text))
    missing = wanted - params.keys()
    if missing:
        raise KeyError(f"query needs parameters {sorted(missing)}")
    return {k: params[k] for k in wanted}


def run(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[tuple[Any, ...]]:
    """Execute a named statement and drain its result (duckdb 2.0 blocks on unread results)."""
    return run_text(con, load(name), **params)


def run_text(con: duckdb.DuckDBPyConnection, text: str, **params: Any) -> list[tuple[Any, ...]]:
    """Execute SQL text that comes from this repository (never from a user) with bound values.

    A text of several statements runs them in order, each with the parameters it names, and
    returns the rows of its last `select` (else of its last statement): that is how a query
    reads back what it wrote without RETURNING, which DuckLake tables refuse (README "Scaling
    out")."""
    statements = split_statements(text) if ";" in text.rstrip().rstrip(";") else [text]
    rows: list[tuple[Any, ...]] = []
    selected = False
    for statement in statements:
        bound = _bind(statement, params)
        con.execute(statement, bound) if bound else con.execute(statement)
        result = con.fetchall()
        if _SELECT.match(statement):
            rows, selected = result, True
        elif not selected:
            rows = result
    return rows


def frame(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pl.DataFrame:
    """A named query's result as a polars frame (Arrow transfer, no Python rows).

    By ``execute`` and an Arrow table, not a relation (``con.sql`` with bound values, then
    ``pl.DataFrame(rel)``): the relation path took 3-7x as long in the precompute (at L, a
    batch's 340,000 values: 2.6 s against 0.4 s) and 1.2-1.4x on the Explore page's read of 5
    apps' totals (S 53 -> 42 ms, L 63 -> 45 ms). ``execute`` materialises the result, which
    every caller reads whole anyway. The Arrow table needs pyarrow (0.2 s to import alone; the
    app has it loaded through Streamlit, and `installpulse series` took 1.1-1.2 s either way).
    """
    text = load(name)
    bound = _bind(text, params)
    result = con.execute(text, bound) if bound else con.execute(text)
    return pl.from_arrow(result.to_arrow_table())  # type: ignore[return-value]


def run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run a multi-statement file statement by statement (inside the caller's transaction)."""
    for statement in split_statements(load(name)):
        con.execute(statement)
        con.fetchall()


def split_statements(text: str) -> list[str]:
    """Split a schema file on semicolons that end a line (our files never embed ';' in strings
    at line end)."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("--")]
    parts = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return [p.strip() for p in parts if p.strip()]
