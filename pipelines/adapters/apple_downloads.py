"""App Store Connect Analytics Reports API: "App Downloads" (Standard and Detailed) daily
segments, `.txt.gz` (sources.prepare gunzips) or plain text.

The sibling of the Installation and Deletion report: TAB-separated, one header row, long and
multi-dimensional, but every row is a download (no `Event` column, no `Unique Devices`), split
by `Download Type`, app version, device, source, page, pre-order, territory... Columns are
found by header name, case- and order-insensitively (Standard and Detailed orders differ; newer
files add `Processing Date`, `Source Info`, `Campaign`, `Page Title`). Per (Date, app,
Territory), summing `Counts`:

    download_first_time      Download Type = First-time download
    download_redownloads     Redownload
    download_manual_updates  Manual update
    download_auto_updates    Auto-update
    download_restores        Restore
    download_total           First-time download + Redownload (Apple's "Total Downloads")

These are their own metrics: an App Downloads count is a download, an Installation and Deletion
count an install event, and Sales and Trends' `Units` a sale - three measurements that are never
stored in one series. Segments add up and restatements replace exactly as for the Installation
and Deletion report (apple_installs.py: the same machinery, compared among App Downloads files
only).
"""

from __future__ import annotations

from pipelines.adapters import csvtext
from pipelines.adapters.apple_installs import AppleSegmentReport, ReportSpec, _header
from pipelines.adapters.base import SourceFile

NAME = "apple-downloads"
DOWNLOAD_TYPES: dict[str, tuple[str, ...]] = {
    "first-time download": ("download_first_time", "download_total"),
    "redownload": ("download_redownloads", "download_total"),
    "manual update": ("download_manual_updates",),
    "auto-update": ("download_auto_updates",),
    "restore": ("download_restores",),
}
DOWNLOADS = ReportSpec(
    name=NAME,
    title="App Downloads",
    required=("date", "app_apple_identifier", "download_type", "territory", "counts"),
    types=DOWNLOAD_TYPES,
    events=False,
)


class AppleDownloads(AppleSegmentReport):
    spec = DOWNLOADS
    name = NAME
    label = "App Store Connect 'App Downloads' report (Standard/Detailed, .txt.gz)"
    how_to_get = (
        "App Store Connect API: POST /v1/analyticsReportRequests (accessType ONGOING) once per "
        "app, then GET .../reports?filter[name]=App Downloads Standard (or Detailed) -> "
        "instances?filter[granularity]=DAILY -> segments, and download each segment's url "
        "(.txt.gz). Import the segments as they are: segments of one instance add up, a "
        "restated segment replaces its earlier copy. A warehouse table "
        "(app_store_download_*_daily) as CSV or Parquet works too."
    )

    def sniff(self, src: SourceFile) -> bool:
        line = csvtext.first_line(src.head)
        if "\t" not in line and "," not in line:
            return False
        _, keys = _header(src)
        return "event" not in keys and all(
            k in keys for k in ("app_apple_identifier", "download_type", "counts")
        )
