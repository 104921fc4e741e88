"""Make hostile user text inert before it reaches plotly.

plotly.js renders a pseudo-HTML subset in every text sink we use (titles, legend names,
hover labels, annotations, tick labels): `<a href>` becomes a live link, `<span style>`
passes CSS, `<br>` breaks lines (RELIABILITY.md 1.7). Verified in Chromium with plotly.js
4.1.1 (see tests/charts/test_browser.py): the string is split into tags first and
entities are decoded only inside the resulting text nodes, so `&lt;b&gt;` renders as the
literal `<b>` - issue plotly.js#2927 (entities decoded before tag parsing) is fixed.
Entity-escaping `&`, `<`, `>` is therefore enough, and it keeps the text readable as
typed. `$` is escaped too so a title like `$...$` is never handed to MathJax.

Call `safe_text` exactly once on every user-supplied string, at the point where it
enters a figure; never on text we write ourselves (it would double-escape our `<br>`).
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_MAX_LEN = 80
ELLIPSIS = "…"

# Bidi embedding/override/isolate marks can reorder what a reader sees (visual spoofing).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_WHITESPACE_RUN = re.compile(r"\s+")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "$": "&#36;"}
_ESCAPE_RE = re.compile("[&<>$]")


def clean_text(value: object, max_len: int | None = DEFAULT_MAX_LEN) -> str:
    """Return `value` as a plain one-line string: no control characters, collapsed
    whitespace, at most `max_len` characters (ending in an ellipsis when cut).

    The result is NOT escaped; use it for file names, CSV or logs, not for plotly.
    """
    if value is None:
        return ""
    text = str(value)
    kept = []
    for ch in text:
        if ch in "\t\n\r\f\v":
            kept.append(" ")
        elif unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS:
            continue
        else:
            kept.append(ch)
    text = _WHITESPACE_RUN.sub(" ", "".join(kept)).strip()
    return truncate(text, max_len)


def truncate(text: str, max_len: int | None = DEFAULT_MAX_LEN) -> str:
    """Cut `text` to at most `max_len` characters, marking the cut with an ellipsis."""
    if max_len is None or len(text) <= max_len:
        return text
    if max_len <= 1:
        return ELLIPSIS[:max_len]
    return text[: max_len - 1].rstrip() + ELLIPSIS


def escape_markup(text: str) -> str:
    """Entity-escape the characters plotly.js treats as markup (`<`, `>`, `&`, `$`)."""
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


def safe_text(value: object, max_len: int | None = DEFAULT_MAX_LEN) -> str:
    """Return user text that plotly.js shows literally: cleaned, truncated, escaped.

    Truncation happens before escaping so an entity is never cut in half.
    """
    return escape_markup(clean_text(value, max_len))
