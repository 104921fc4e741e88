"""Text safety and colours: the unit rules behind every chart label."""

from __future__ import annotations

import subprocess
import sys

from charts.text import clean_text, safe_text, truncate
from charts.theme import PALETTE, color_for, colors_for

HOSTILE_LINK = '<a href="https://example.com">x</a><script>alert(1)</script>'


def test_safe_text_escapes_markup_characters() -> None:
    assert safe_text(HOSTILE_LINK, None) == (
        '&lt;a href="https://example.com"&gt;x&lt;/a&gt;&lt;script&gt;alert(1)&lt;/script&gt;'
    )
    assert safe_text("AT&T <b>", None) == "AT&amp;T &lt;b&gt;"
    # An entity typed by the user stays the literal entity text, not the character.
    assert safe_text("&lt;b&gt;", None) == "&amp;lt;b&amp;gt;"


def test_safe_text_blocks_mathjax_delimiters() -> None:
    assert "$" not in safe_text("$\\href{javascript:alert(1)}{x}$")


def test_safe_text_strips_controls_and_bidi_and_collapses_whitespace() -> None:
    assert safe_text("a\x00b\x1b[31m\u202ec\n\nd\te") == "ab[31mc d e"
    assert clean_text(None) == ""
    assert clean_text(12.5) == "12.5"


def test_truncation_happens_before_escaping() -> None:
    text = safe_text("<" * 100, 10)
    assert text == "&lt;" * 9 + "…"
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abc", 4) == "abc"
    assert len(safe_text("x" * 500)) == 80


def test_color_for_is_stable_across_processes_and_spelling() -> None:
    code = "from charts.theme import color_for; print(color_for('ChatGPT'), color_for('Claude'))"
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PYTHONPATH": "."},
        ).stdout
        for seed in ("1", "2")
    }
    assert runs == {f"{color_for('ChatGPT')} {color_for('Claude')}\n"}
    assert color_for("chatgpt ") == color_for("ChatGPT")
    assert color_for("ChatGPT") in PALETTE


def test_colors_for_gives_distinct_colours_and_keeps_own_colour_when_free() -> None:
    apps = [f"app {i}" for i in range(len(PALETTE))]
    colors = colors_for(apps)
    assert len(set(colors.values())) == len(PALETTE)
    pair = colors_for(["ChatGPT", "Claude"])
    assert pair["ChatGPT"] == color_for("ChatGPT")
    assert pair["ChatGPT"] != pair["Claude"]
