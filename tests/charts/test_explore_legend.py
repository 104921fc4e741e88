"""The Explore chart's legend never covers its title: one row above the plot when its entries
fit (the demo's two apps), down the right-hand side when they would wrap (five apps x two
metrics: 14 entries, which plotly wrapped upwards over the title and subtitle), at the chart's
edge beside a right-hand axis. The exported SVG (kaleido and the real Chromium) shows where
each one landed."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from charts import export
from charts.explore import explore_figure
from charts.publish import publication_layout
from pipelines import events, reads
from semantic import answer
from semantic.views import ExploreState

APPS = ["ChatGPT", "Claude", "Copilot", "Gemini", "Perplexity"]


def _results(db: Path, apps: list[str], metrics: list[str]):
    params = {"apps": apps, "metrics": metrics, "countries": ["US"],
              "start": ["2026-02-14"], "end": ["2026-03-14"]}  # fmt: skip
    state = ExploreState.from_params(params).sanitize(reads.filter_options(db))
    return answer.answer(db, state.request())


def _page_figure(found, view: str = "absolute", right: list[str] | None = None):
    """As app_pages/explore.py lays it out."""
    fig = explore_figure(
        found.results,
        spikes=found.spikes if found.spikes.height else None,
        view=view,  # type: ignore[arg-type]
        secondary_axis_for=right,
    )
    fig.update_layout(height=540, margin=dict(t=118))
    return fig


def test_few_entries_keep_the_top_row_many_go_down_the_side(demo_db: Path) -> None:
    story = _page_figure(_results(demo_db, ["ChatGPT", "Claude"], ["uninstalls"]))
    assert story.layout.legend.orientation in (None, "h")
    assert story.layout.legend.x is None  # the template's: one row above the plot

    many = _page_figure(_results(demo_db, APPS, ["installs", "uninstalls"]), "change")
    legend = many.layout.legend
    assert (legend.orientation, legend.x, legend.xanchor, legend.y, legend.yanchor) == (
        "v",
        1.02,
        "left",
        1,
        "top",
    )
    assert legend.xref in (None, "paper")

    both = _results(demo_db, APPS, ["installs", "uninstalls"])
    beside_axis = _page_figure(both, right=["Claude"])
    assert beside_axis.layout.yaxis2.side == "right"
    legend = beside_axis.layout.legend
    assert (legend.orientation, legend.xref, legend.x, legend.xanchor) == (
        "v",
        "container",
        1,
        "right",
    )


def test_an_export_keeps_each_legend_where_it_belongs(demo_db: Path) -> None:
    day = date(2026, 12, 3)
    many = _page_figure(_results(demo_db, APPS, ["installs", "uninstalls"]), "change")
    story = _page_figure(_results(demo_db, ["ChatGPT", "Claude"], ["uninstalls"]))
    side = publication_layout(many, source_line="Source: demo", export_date=day)
    top = publication_layout(story, source_line="Source: demo", export_date=day)
    assert (side.layout.legend.orientation, side.layout.legend.y) == ("v", 1)
    assert (top.layout.legend.y, top.layout.legend.yanchor) == (1.02, "bottom")


def _legend_top_and_subtitle(svg: str) -> tuple[float, float, float]:
    """The legend's top-left corner and the subtitle's baseline, in the SVG's pixels."""
    legend = re.search(
        r'<g class="legend"[^>]*transform="translate\(([-\d.]+),\s*([-\d.]+)\)"', svg
    )
    subtitle = re.search(r'<text class="gtitle-subtitle"[^>]*\sy="([-\d.]+)"', svg)
    assert legend and subtitle, "no legend or subtitle in the SVG"
    return float(legend.group(1)), float(legend.group(2)), float(subtitle.group(1))


@pytest.mark.slow
@pytest.mark.parametrize("apps", [["ChatGPT", "Claude"], APPS], ids=["two apps", "five apps"])
def test_the_drawn_legend_starts_below_the_subtitle(
    browser_path: str, demo_db: Path, apps: list[str]
) -> None:
    metrics = ["uninstalls"] if len(apps) == 2 else ["installs", "uninstalls"]
    fig = _page_figure(_results(demo_db, apps, metrics), "change")
    svg = export.export_image(fig, fmt="svg", width=1000, height=540).decode()
    x, top, subtitle_baseline = _legend_top_and_subtitle(svg)
    assert top >= subtitle_baseline - 1, (top, subtitle_baseline)
    if len(apps) == 5:
        assert x > 600  # beside the plot, not over it


def _label_boxes(svg: str) -> list[tuple[float, float, float, float, str]]:
    """(left, top, right, bottom, text) of every annotation label drawn in the SVG."""
    found = re.finditer(
        r'<g class="cursor-pointer" transform="translate\(([-\d.]+),\s*([-\d.]+)\)"[^>]*>'
        r'<rect class="bg" x="[-\d.]+" y="[-\d.]+" width="([\d.]+)" height="([\d.]+)"'
        r'.*?<text class="annotation-text"[^>]*>([^<]*)</text>',
        svg,
    )
    return [
        (float(m[1]), float(m[2]), float(m[1]) + float(m[3]), float(m[2]) + float(m[4]), m[5])
        for m in found
    ]


@pytest.mark.slow
def test_event_labels_beside_a_side_legend_do_not_overlap(browser_path: str, demo_db: Path) -> None:
    """The side legend narrows the plot (about 690 px of a 1,000-px chart): the event labels
    are staggered for that width, so none is drawn over another (the demo's five events of
    24 Feb - 4 Mar; laid out for 900 px, "Defense Secretary meets" and "2 events" overlapped)."""
    found = _results(demo_db, APPS, ["installs", "uninstalls"])
    fig = explore_figure(found.results, events=events.list_events(demo_db))
    fig.update_layout(height=540, margin=dict(t=118))
    assert fig.layout.legend.orientation == "v"
    svg = export.export_image(fig, fmt="svg", width=1000, height=540).decode()
    boxes = [b for b in _label_boxes(svg) if b[4] and "bench" not in b[4]]
    assert len(boxes) >= 4, boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (a, b)
