"""installpulse data pipelines: everything that moves data into and out of the DuckDB store.

This package never imports streamlit (a test enforces it): the CLI, the app and notebooks
all share the same import contract and named queries.
"""

__version__ = "0.1.0"
