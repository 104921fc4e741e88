"""Package contract: charts/ stays importable without Streamlit (STYLE.md lesson 1)."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "events",
    "explore",
    "export",
    "labels",
    "publish",
    "sparkline",
    "study",
    "text",
    "theme",
]


def test_charts_never_import_streamlit() -> None:
    code = (
        "import sys\n"
        + "".join(f"import charts.{m}\n" for m in MODULES)
        + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_template_is_registered_on_import() -> None:
    import plotly.io as pio

    import charts

    assert charts.TEMPLATE_NAME in pio.templates
