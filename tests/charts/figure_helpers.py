"""Read a figure as the browser gets it: its JSON, with plotly's typed arrays decoded.

The Explore figure sends its numbers as plotly.js typed arrays (`{"dtype": "f8", "bdata":
<base64>}`, see charts/explore.py `_y_values`), so tests that check plotted values decode
them here, from the bytes, the way plotly.js reads them (little-endian); a NaN becomes None,
as a JSON null (the gap plotly.js draws for both).
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

# plotly.js typed array names (plotly's `plotlyjsShortTypes`).
_DTYPES = {"i1": "<i1", "u1": "<u1", "i2": "<i2", "u2": "<u2", "i4": "<i4", "u4": "<u4"}
_DTYPES |= {"f4": "<f4", "f8": "<f8"}


def is_typed_array(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("bdata"), str)
        and isinstance(value.get("dtype"), str)
        and set(value) <= {"dtype", "bdata", "shape"}
    )


def decode_typed_arrays(value: Any) -> Any:
    """``value`` with every typed array replaced by its list of numbers (NaN -> None)."""
    if isinstance(value, list):
        return [decode_typed_arrays(v) for v in value]
    if not isinstance(value, dict):
        return value
    if is_typed_array(value):
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=_DTYPES[value["dtype"]])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return _nan_to_none(array.tolist())
    return {k: decode_typed_arrays(v) for k, v in value.items()}


def _nan_to_none(values: Any) -> Any:
    if isinstance(values, list):
        return [_nan_to_none(v) for v in values]
    return None if isinstance(values, float) and math.isnan(values) else values


def figure_json(fig: go.Figure) -> dict:
    """The figure's JSON (what st.plotly_chart and kaleido send), typed arrays decoded."""
    return decode_typed_arrays(json.loads(pio.to_json(fig)))
