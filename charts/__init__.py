"""Streamlit-free chart package: polars frames in, plotly figures and export bytes out.

Pages call these functions and only lay out the result, so every chart can be built,
tested and exported without a running Streamlit server (STYLE.md lessons 1 and 3).
"""

from charts.theme import TEMPLATE_NAME, register_template

# Importing any chart module registers the "installpulse" plotly template, so a page
# can pass template="installpulse" without knowing where it is defined.
register_template()

__all__ = ["TEMPLATE_NAME", "register_template"]
