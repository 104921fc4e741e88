"""The registry of format adapters: one module per export format, recognised by content.

Order matters only where two formats could both claim a file: specific store exports come
before the generic layouts. Adding a format = one module + one line here + one fixture.
"""

from __future__ import annotations

from pipelines.adapters.appfigures import AppfiguresSales
from pipelines.adapters.apple_downloads import AppleDownloads
from pipelines.adapters.apple_installs import AppleInstallsDeletions
from pipelines.adapters.apple_sales import AppleSalesSummary
from pipelines.adapters.apple_web import AppleAnalyticsWeb
from pipelines.adapters.base import Adapter, SourceFile
from pipelines.adapters.generic import GenericLong, GenericWide
from pipelines.adapters.google_play import GooglePlayInstalls
from pipelines.adapters.sensortower import SensorTowerEstimates
from pipelines.errors import ImportFailed, Problem

ADAPTERS: list[Adapter] = [
    GooglePlayInstalls(),
    AppleInstallsDeletions(),
    AppleDownloads(),
    AppleSalesSummary(),
    AppleAnalyticsWeb(),
    SensorTowerEstimates(),
    AppfiguresSales(),
    GenericLong(),
    GenericWide(),
]


def by_name(name: str) -> Adapter:
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    known = ", ".join(a.name for a in ADAPTERS)
    raise ImportFailed("--format", [Problem(f"unknown format '{name}'. Known formats: {known}.")])


def detect(src: SourceFile) -> Adapter:
    """The first adapter that recognises the file's bytes and header, or a sentence listing
    every known format."""
    for adapter in ADAPTERS:
        if adapter.sniff(src):
            return adapter
    first = src.head.splitlines()[0] if src.head else ""
    known = "; ".join(a.label for a in ADAPTERS)
    raise ImportFailed(
        src.name,
        [
            Problem(
                "no known format recognises this file.",
                line=1,
                value=first[:100],
                hint=f"Known formats: {known}. Use --format NAME to force one.",
            )
        ],
    )
