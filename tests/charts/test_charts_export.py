"""Server-side export through kaleido and the real Chromium (skipped without one,
failed under CI). The exported SVG is parsed to prove hostile text stayed text."""

from __future__ import annotations

import datetime as dt
import io
import threading
import xml.etree.ElementTree as ET

import polars as pl
import pytest
from PIL import Image

from charts import export
from charts.explore import explore_figure
from charts.publish import publication_layout

SVG_NS = "{http://www.w3.org/2000/svg}"
HOSTILE = [
    '<a href="https://example.com">x</a><script>alert(1)</script>',
    '<span style="font-size:300px">big</span>',
    "<img src=x onerror=alert(1)>",
]

pytestmark = pytest.mark.slow


@pytest.fixture
def hostile_figure(results, events_frame):
    d = dt.date(2026, 2, 27)
    events = events_frame([(i, d, d, title, False) for i, title in enumerate(HOSTILE)])
    events = pl.concat([events, events_frame([(9, dt.date(2026, 2, 24), None, HOSTILE[1], True)])])
    hostile_app = results.with_columns(
        app=pl.when(pl.col("app") == "Claude").then(pl.lit(HOSTILE[0])).otherwise("app")
    )
    fig = explore_figure(hostile_app, events=events, title=HOSTILE[1], subtitle=HOSTILE[2])
    return publication_layout(
        fig, source_line=HOSTILE[2], export_date=dt.date(2026, 11, 27), width=1000, height=600
    )


def test_png_export_is_a_png_of_the_requested_size(
    browser_path, results, events, spikes, artifacts_dir
) -> None:
    fig = publication_layout(
        explore_figure(results, spikes=spikes, events=events),
        source_line="Source: demo; illustrative demo data",
        export_date=dt.date(2026, 11, 27),
        width=1200,
        height=675,
    )
    data = export.export_image(fig, fmt="png", width=1200, height=675, scale=1)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert Image.open(io.BytesIO(data)).size == (1200, 675)
    (artifacts_dir / "explore.png").write_bytes(data)
    hi = export.export_image(fig, fmt="png", width=600, height=400, scale=2)
    assert Image.open(io.BytesIO(hi)).size == (1200, 800)
    assert export.last_export_seconds is not None


def test_svg_export_keeps_hostile_text_inert(browser_path, hostile_figure, artifacts_dir) -> None:
    data = export.export_image(hostile_figure, fmt="svg", width=1000, height=600)
    (artifacts_dir / "hostile.svg").write_bytes(data)
    root = ET.fromstring(data)
    tags = {el.tag.removeprefix(SVG_NS) for el in root.iter()}
    assert "a" not in tags
    assert "script" not in tags
    assert "img" not in tags and "image" not in tags
    styled = [
        el.get("style", "")
        for el in root.iter()
        if el.tag == f"{SVG_NS}tspan" and "300px" in el.get("style", "")
    ]
    assert styled == []
    text = "".join(root.itertext())
    assert '<a href="https://example.com">x</a>' in text
    assert '<span style="font-size:300px">' in text
    assert "<img src=x onerror=alert(1)>" in text


def test_concurrent_exports_each_get_their_own_format(browser_path, results) -> None:
    fig = explore_figure(results, show_band=False)
    outcomes: list[tuple[str, bytes]] = []
    errors: list[BaseException] = []

    def run(fmt: str) -> None:
        try:
            for _ in range(2):
                outcomes.append((fmt, export.export_image(fig, fmt=fmt, width=500, height=300)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f,)) for f in ("png", "svg", "png")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(outcomes) == 6
    for fmt, data in outcomes:
        assert data.startswith(b"\x89PNG") if fmt == "png" else data.startswith(b"<svg")


def test_timeout_raises_a_clear_error(browser_path, results) -> None:
    fig = explore_figure(results)
    export.export_image(fig, fmt="svg")  # server warm, so only the render is timed
    with pytest.raises(export.ExportFailed, match=r"did not finish within 0.001 s"):
        export.export_image(fig, fmt="png", timeout=0.001)
    # The timed-out render finishes in the background and the next export works.
    assert export.export_image(fig, fmt="svg").startswith(b"<svg")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        export.export_image({"data": []}, fmt="gif")


def test_missing_browser_gives_the_install_sentence(monkeypatch, tmp_path, results) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    assert export.find_browser() is None
    ok, message = export.browser_available()
    assert not ok and "BROWSER_PATH=" in message and "camera button" in message
    export.stop_export_server()
    with pytest.raises(export.ExportUnavailable, match="camera button still works"):
        export.export_image(explore_figure(results), fmt="png")
    monkeypatch.delenv("BROWSER_PATH")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(export, "DEFAULT_BROWSER", str(tmp_path / "chromium"))
    ok, message = export.browser_available()
    assert not ok
    assert message == export.INSTALL_HINT
    assert "apt-get install chromium" in message


def test_timeout_setting_reads_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(export.TIMEOUT_ENV, "12.5")
    assert export.export_timeout() == 12.5
    monkeypatch.setenv(export.TIMEOUT_ENV, "soon")
    assert export.export_timeout() == export.DEFAULT_TIMEOUT_S
    monkeypatch.delenv(export.TIMEOUT_ENV)
    assert export.export_timeout() == 30.0


def test_static_figure_drops_only_hover_data(results, spikes) -> None:
    fig = explore_figure(results, spikes=spikes).to_dict()
    fig["data"].append({"type": "scatter", "x": [1], "y": [2], "customdata": [["a"]],
                        "texttemplate": "%{customdata[0]}", "hovertemplate": "h"})  # fmt: skip
    before = repr(fig)
    slim = export.static_figure(fig)
    assert repr(fig) == before  # the input is not changed
    assert any("customdata" in t for t in fig["data"][:-1])
    for trace in slim["data"][:-1]:
        assert not set(trace) & set(export.HOVER_ONLY_KEYS)
    assert slim["data"][-1] == fig["data"][-1]  # text drawn from customdata stays
    assert slim["layout"] == fig["layout"]
    assert [t.get("x") for t in slim["data"]] == [t.get("x") for t in fig["data"]]


def test_hover_data_does_not_change_the_image(browser_path, results, spikes) -> None:
    """The same pixels with and without the hover-only data export_image leaves out."""
    import kaleido

    fig = publication_layout(
        explore_figure(results, spikes=spikes),
        source_line="Source: demo",
        export_date=dt.date(2026, 11, 27),
        width=800,
        height=450,
    )
    ours = export.export_image(fig, fmt="png", width=800, height=450, scale=1)
    with export._lock:
        export._ensure_server(30)
        full = kaleido.calc_fig_sync(
            fig.to_dict(), opts={"format": "png", "width": 800, "height": 450, "scale": 1}
        )
    a = Image.open(io.BytesIO(ours)).convert("RGB")
    b = Image.open(io.BytesIO(full)).convert("RGB")
    assert a.size == b.size == (800, 450)
    assert a.tobytes() == b.tobytes()
