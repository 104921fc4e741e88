"""One look for the screen and for exported images.

Streamlit applies its own theme to `st.plotly_chart` unless the page passes `theme=None`,
while kaleido exports use the plotly template: to make the PNG look like the screen we
register our own template ("installpulse") and every figure in this package sets it
explicitly. Colours are tied to the app name, not to trace order, so "Claude" has the
same colour on the explorer, the event study and the exported PNG, in every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE_NAME = "installpulse"

# Fonts present on a stock Debian with Chromium come last, so exports never fall back to serif.
FONT_FAMILY = '"Inter", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif'
TEXT_COLOR = "#1f2933"
MUTED_COLOR = "#5f6b7a"
GRID_COLOR = "#e6e9ef"
AXIS_COLOR = "#9aa5b1"
EVENT_COLOR = "#52606d"

# Okabe-Ito based, colour-blind-safe, dark enough for white backgrounds; yellow replaced
# by a darker ochre and two extra hues so 10 apps can share a chart.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#8C6D1F",  # ochre
    "#6A3D9A",  # purple
    "#B2182B",  # dark red
    "#4D4D4D",  # dark grey
)


def _stable_index(name: str, size: int) -> int:
    """Index from a keyed-free cryptographic hash: unlike hash(), the same in every process."""
    normalized = " ".join(str(name).split()).casefold()
    digest = hashlib.blake2b(normalized.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % size


def color_for(app: str) -> str:
    """Stable colour for an app name (case and spacing insensitive)."""
    return PALETTE[_stable_index(app, len(PALETTE))]


def colors_for(apps: Iterable[str]) -> dict[str, str]:
    """Colours for the apps on one chart: each keeps `color_for(app)` unless an app that
    sorts earlier already took it, then the next free palette colour is used.

    Deterministic for a given set of apps; distinct as long as there are no more apps
    than palette colours.
    """
    taken: set[str] = set()
    result: dict[str, str] = {}
    for app in sorted(set(apps), key=lambda a: (str(a).casefold(), str(a))):
        start = _stable_index(app, len(PALETTE))
        color = PALETTE[start]
        for step in range(len(PALETTE)):
            candidate = PALETTE[(start + step) % len(PALETTE)]
            if candidate not in taken:
                color = candidate
                break
        taken.add(color)
        result[app] = color
    return result


def with_alpha(hex_color: str, alpha: float) -> str:
    """`#rrggbb` -> `rgba(r,g,b,alpha)` for bands and shaded ranges."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha:g})"


def _build_template() -> go.layout.Template:
    axis = dict(
        showgrid=True,
        gridcolor=GRID_COLOR,
        gridwidth=1,
        zeroline=False,
        showline=True,
        linecolor=AXIS_COLOR,
        linewidth=1,
        ticks="outside",
        tickcolor=AXIS_COLOR,
        ticklen=4,
        title=dict(font=dict(size=13, color=MUTED_COLOR), standoff=8),
        tickfont=dict(size=12, color=MUTED_COLOR),
        # "4,500" like analytics.formatting's counts (plotly's default is "4500").
        separatethousands=True,
        automargin=True,
    )
    layout = go.Layout(
        font=dict(family=FONT_FAMILY, size=13, color=TEXT_COLOR),
        title=dict(font=dict(size=20, color=TEXT_COLOR), x=0, xanchor="left", xref="paper"),
        paper_bgcolor="white",
        plot_bgcolor="white",
        colorway=list(PALETTE),
        xaxis=dict(axis, showgrid=False),
        yaxis=dict(axis),
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1.01,
            xanchor="left",
            x=0,
            font=dict(size=12),
            bgcolor="rgba(255,255,255,0)",
        ),
        hoverlabel=dict(font=dict(family=FONT_FAMILY, size=12), namelength=-1),
        hovermode="closest",
        margin=dict(l=64, r=32, t=72, b=56),
    )
    return go.layout.Template(layout=layout)


def register_template() -> str:
    """Register the template with plotly (idempotent) and return its name."""
    if TEMPLATE_NAME not in pio.templates:
        pio.templates[TEMPLATE_NAME] = _build_template()
    return TEMPLATE_NAME


register_template()
