"""Publication layout, modebar config and file names."""

from __future__ import annotations

import datetime as dt

from charts.explore import explore_figure
from charts.publish import modebar_config, publication_layout, safe_filename


def test_publication_layout_adds_title_subtitle_footer_on_a_copy(results) -> None:
    fig = explore_figure(results)
    out = publication_layout(
        fig,
        title="ChatGPT uninstalls <b>jump</b>",
        subtitle="uninstalls · US · change vs the previous day",
        source_line="Source: demo; illustrative demo data",
        export_date=dt.date(2026, 11, 27),
        width=1000,
        height=600,
    )
    assert out is not fig
    assert (out.layout.width, out.layout.height) == (1000, 600)
    assert out.layout.title.text == "ChatGPT uninstalls &lt;b&gt;jump&lt;/b&gt;"
    assert out.layout.title.subtitle.text == "uninstalls · US · change vs the previous day"
    footer = [a.text for a in out.layout.annotations if a.name == "footer"]
    assert footer == ["Source: demo; illustrative demo data", "Exported 2026-11-27"]
    assert not [a for a in fig.layout.annotations if a.name == "footer"]  # original untouched


def test_publication_layout_keeps_existing_footer_and_does_not_stack(results) -> None:
    fig = explore_figure(results, source_line="Source: demo", export_date="2026-11-27")
    out = publication_layout(publication_layout(fig))
    footer = [a.text for a in out.layout.annotations if a.name == "footer"]
    assert footer == ["Source: demo", "Exported 2026-11-27"]
    assert out.layout.title.text == fig.layout.title.text


def test_modebar_config_downloads_png_with_our_name() -> None:
    config = modebar_config("ChatGPT / Claude uninstalls 2026-02-28")
    options = config["toImageButtonOptions"]
    assert options["format"] == "png"
    assert options["filename"] == "chatgpt-claude-uninstalls-2026-02-28"
    assert options["width"] == 1200 and options["scale"] == 2
    assert config["displaylogo"] is False
    assert config["typesetMath"] is False


def test_safe_filename_is_never_a_path_or_empty() -> None:
    assert safe_filename("../../etc/passwd") == "etc-passwd"
    assert safe_filename("Über app", dt.date(2026, 2, 28), ext="png") == "uber-app_2026-02-28.png"
    assert safe_filename("<script>", "") == "script"
    assert safe_filename("...", None) == "chart"
    assert len(safe_filename("x" * 500)) == 80
