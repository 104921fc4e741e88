"""Write the store-export fixtures in tests/fixtures/<format>/ byte-exactly.

Layouts follow /work/shared/docs/FORMATS.md (numbers made up). Run from the repository root:

    .venv/bin/python tests/adapters/make_fixtures.py

The files are checked in; `test_fixtures_are_reproducible` fails if this script and the checked-in
bytes drift apart. Encodings and containers are the real ones: Play files are UTF-16LE with a BOM,
Apple API segments and Sales reports are gzip (mtime 0, so the bytes are stable).
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

PLAY_METRICS = (
    "Daily Device Installs,Daily Device Uninstalls,Daily Device Upgrades,Total User Installs,"
    "Daily User Installs,Daily User Uninstalls,Active Device Installs,Install events,"
    "Update events,Uninstall events"
)


def utf16(text: str) -> bytes:
    return b"\xff\xfe" + text.encode("utf-16-le")


def gz(text: str) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as fh:
        fh.write(text.encode("utf-8"))
    return buffer.getvalue()


def crlf(lines: list[str]) -> str:
    return "\r\n".join(lines) + "\r\n"


def lf(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def google_play() -> dict[str, bytes]:
    overview = crlf(
        [
            f"Date,Package Name,{PLAY_METRICS}",
            "2026-03-01,com.example.chat,1520,410,3020,250310,1388,395,180220,1701,3104,452",
            "2026-03-02,com.example.chat,1611,1622,2987,251540,1470,1588,179950,1790,3055,1731",
        ]
    )
    country_header = f"Date,Package name,Country,{PLAY_METRICS}"
    country = crlf(
        [
            country_header,
            "2026-03-01,com.example.chat,US,402,120,800,60210,371,115,45120,450,811,131",
            "2026-03-01,com.example.chat,IN,,,,,,,,,,",
            "2026-03-01,com.example.chat,,12,3,9,0,11,3,40,13,9,3",
            "2026-03-02,com.example.chat,US,420,1130,790,60460,380,1101,45000,470,799,1160",
            "2026-03-02,com.example.chat,IN,55,,31,8020,50,9,6100,61,30,",
        ]
    )
    # The same month downloaded three days later: 03-02 US restated, 03-03 added.
    later = crlf(
        [
            country_header,
            "2026-03-01,com.example.chat,US,402,120,800,60210,371,115,45120,450,811,131",
            "2026-03-01,com.example.chat,IN,,,,,,,,,,",
            "2026-03-01,com.example.chat,,12,3,9,0,11,3,40,13,9,3",
            "2026-03-02,com.example.chat,US,425,1131,790,60465,384,1102,45010,474,799,1161",
            "2026-03-02,com.example.chat,IN,55,,31,8020,50,9,6100,61,30,",
            "2026-03-03,com.example.chat,US,433,140,770,60760,402,130,45200,481,780,150",
            "2026-03-03,com.example.chat,IN,60,12,33,8070,57,11,6130,66,33,13",
        ]
    )
    device = crlf(
        [
            f"Date,Package name,Handset Marketing Name,{PLAY_METRICS}",
            "2026-03-01,com.example.chat,Galaxy S24,40,12,80,6021,37,11,4512,45,81,13",
        ]
    )
    return {
        "installs_com.example.chat_202603_overview.csv": utf16(overview),
        "installs_com.example.chat_202603_country.csv": utf16(country),
        "later/installs_com.example.chat_202603_country.csv": utf16(later),
        "installs_com.example.chat_202603_device.csv": utf16(device),
    }


APPLE_STANDARD_HEADER = (
    "Date\tApp Name\tApp Apple Identifier\tEvent\tDownload Type\tApp Version\tDevice\t"
    "Platform Version\tSource Type\tPage Type\tApp Download Date\tTerritory\tCounts\t"
    "Unique Devices"
)


def apple_installs() -> dict[str, bytes]:
    rows = [
        APPLE_STANDARD_HEADER,
        # 2026-02-28 US: first-time 812 + 40, redownload 120, manual update 95, restore 7,
        # delete 1604 + 12 (the 1604 row is delivered twice and must count once).
        "2026-02-28\tExample Chat\t1000000001\tInstall\tFirst-time download\t1.4.0\tiPhone\t"
        "iOS 26.3\tApp Store search\tProduct page\t2026-02-28\tUS\t812\t790",
        "2026-02-28\tExample Chat\t1000000001\tInstall\tFirst-time download\t1.4.0\tiPad\t"
        "iPadOS 26.3\tApp Store browse\tProduct page\t2026-02-28\tUS\t40\t40",
        "2026-02-28\tExample Chat\t1000000001\tInstall\tRedownload\t1.4.0\tiPhone\t"
        "iOS 26.3\tApp Store search\tProduct page\t\tUS\t120\t118",
        "2026-02-28\tExample Chat\t1000000001\tInstall\tManual update\t1.4.0\tiPhone\t"
        "iOS 26.3\tUnavailable\tNo page\t\tUS\t95\t95",
        "2026-02-28\tExample Chat\t1000000001\tInstall\tRestore\t1.4.0\tiPhone\t"
        "iOS 26.3\tUnavailable\tNo page\t\tUS\t7\t7",
        "2026-02-28\tExample Chat\t1000000001\tDelete\t\t1.3.9\tiPhone\t"
        "iOS 26.3\tUnavailable\tNo page\t\tUS\t1604\t1577",
        "2026-02-28\tExample Chat\t1000000001\tDelete\t\t1.3.9\tiPad\t"
        "iPadOS 26.3\tUnavailable\tNo page\t\tUS\t12\t12",
        "2026-02-28\tExample Chat\t1000000001\tDelete\t\t1.3.9\tiPhone\t"
        "iOS 26.3\tUnavailable\tNo page\t\tUS\t1604\t1577",
        # 2026-02-28 DE: only first-time downloads and deletions.
        "2026-02-28\tExample Chat\t1000000001\tInstall\tFirst-time download\t1.4.0\tiPhone\t"
        "iOS 26.3\tApp Store search\tProduct page\t2026-02-28\tDE\t61\t60",
        "2026-02-28\tExample Chat\t1000000001\tDelete\t\t1.4.0\tiPhone\t"
        "iOS 26.3\tUnavailable\tNo page\t\tDE\t19\t19",
        # 2026-03-01 US (a daily instance may carry more than one day).
        "2026-03-01\tExample Chat\t1000000001\tInstall\tFirst-time download\t1.4.0\tiPhone\t"
        "iOS 26.3\tApp Store search\tProduct page\t2026-03-01\tUS\t1588\t1540",
        "2026-03-01\tExample Chat\t1000000001\tDelete\t\t1.4.0\tiPhone\t"
        "iOS 26.3\tUnavailable\tNo page\t\tUS\t410\t400",
    ]
    # Detailed: other column order, extra fields, and a later segment concatenated after the
    # first (its header repeated) - the way `cat seg1 seg2` joins segments.
    detailed_header = (
        "App Apple Identifier\tApp Name\tDate\tTerritory\tEvent\tDownload Type\tSource Type\t"
        "Source Info\tCampaign\tPage Type\tPage Title\tApp Version\tDevice\tPlatform Version\t"
        "App Download Date\tCounts\tUnique Devices"
    )
    detailed = [
        detailed_header,
        "1000000002\tExample Notes\t2026-03-01\tGB\tInstall\tFirst-time download\t"
        'Web referrer\texample.org\tspring\tProduct page\tNotes, but "fast"\t2.0\tiPhone\t'
        "iOS 26.3\t2026-03-01\t30\t29",
        "1000000002\tExample Notes\t2026-03-01\tGB\tInstall\tRedownload\tApp Store search\t\t\t"
        "Product page\t\t2.0\tiPhone\tiOS 26.3\t\t5\t5",
        "1000000002\tExample Notes\t2026-03-01\tGB\tInstall\tAuto-update\tUnavailable\t\t\t"
        "No page\t\t2.0\tiPhone\tiOS 26.3\t\t300\t300",
        detailed_header,
        "1000000002\tExample Notes\t2026-03-01\tGB\tDelete\t\tUnavailable\t\t\tNo page\t\t2.0\t"
        "iPhone\tiOS 26.3\t\t8\t8",
        "1000000002\tExample Notes\t2026-03-01\tFR\tDelete\t\tUnavailable\t\t\tNo page\t\t2.0\t"
        "iPhone\tiOS 26.3\t\t3\t3",
    ]
    return {
        "App Store Installation and Deletion Standard_2026-03-01.txt.gz": gz(lf(rows)),
        "App Store Installation and Deletion Detailed_2026-03-01.txt": lf(detailed).encode(),
        **apple_segments(),
    }


def _apple_row(event: str, kind: str, device: str, source: str, territory: str, n: int) -> str:
    """One Standard row of Example Chat on 2026-03-02 (Unique Devices a little under Counts)."""
    system = "iPadOS 26.3" if device == "iPad" else "iOS 26.3"
    page = "Product page" if event == "Install" and kind != "Manual update" else "No page"
    downloaded = "2026-03-02" if kind == "First-time download" else ""
    fields = [
        "2026-03-02", "Example Chat", "1000000001", event, kind, "1.4.0", device, system,
        source, page, downloaded, territory, str(n), str(n - n // 50),
    ]  # fmt: skip
    return "\t".join(fields)


def apple_segments() -> dict[str, bytes]:
    """One daily instance of 2026-03-02 delivered as two segments (other rows of the same day
    in each), and segment 1 delivered again later with restated counts (same detail rows)."""

    def segment_1(us: int, ipad: int, redl: int, delete: int, de: int, de_del: int):
        return [
            APPLE_STANDARD_HEADER,
            _apple_row("Install", "First-time download", "iPhone", "App Store search", "US", us),
            _apple_row("Install", "First-time download", "iPad", "App Store browse", "US", ipad),
            _apple_row("Install", "Redownload", "iPhone", "App Store search", "US", redl),
            _apple_row("Delete", "", "iPhone", "Unavailable", "US", delete),
            _apple_row("Install", "First-time download", "iPhone", "App Store search", "DE", de),
            _apple_row("Delete", "", "iPhone", "Unavailable", "DE", de_del),
        ]  # fmt: skip

    segment_2 = [
        APPLE_STANDARD_HEADER,
        _apple_row("Install", "First-time download", "iPhone", "App referrer", "US", 60),
        _apple_row("Install", "Redownload", "iPad", "App Store search", "US", 10),
        _apple_row("Delete", "", "iPad", "Unavailable", "US", 25),
        _apple_row("Install", "Manual update", "iPhone", "Unavailable", "US", 40),
        _apple_row("Install", "First-time download", "iPhone", "App Store search", "GB", 33),
        _apple_row("Delete", "", "iPhone", "Unavailable", "GB", 9),
    ]
    folder = "segments/"
    return {
        folder + "segment-1.txt.gz": gz(lf(segment_1(500, 30, 80, 700, 45, 20))),
        folder + "segment-2.txt.gz": gz(lf(segment_2)),
        folder + "restated/segment-1.txt.gz": gz(lf(segment_1(520, 30, 85, 690, 47, 22))),
    }


SALES_HEADER = (
    "Provider\tProvider Country\tSKU\tDeveloper\tTitle\tVersion\tProduct Type Identifier\t"
    "Units\tDeveloper Proceeds\tBegin Date\tEnd Date\tCustomer Currency\tCountry Code\t"
    "Currency of Proceeds\tApple Identifier\tCustomer Price\tPromo Code\tParent Identifier\t"
    "Subscription\tPeriod\tCategory\tCMB\tDevice\tSupported Platforms\tProceeds Reason\t"
    "Preserved Pricing\tClient"
)


def _sales_row(
    ptype: str,
    units: str,
    country: str,
    device: str,
    currency: str = "USD",
    sku: str = "chat",
    title: str = "Example Chat",
    app_id: str = "1000000001",
    parent: str = "",
) -> str:
    fields = [
        "APPLE",
        "US",
        sku,
        "Example Co",
        title,
        "1.4.0",
        ptype,
        units,
        "0",
        "03/01/2026",
        "03/01/2026",
        currency,
        country,
        currency,
        app_id,
        "0",
        "",
        parent,
        "",
        "",
        "Social Networking",
        "",
        device,
        "iOS",
        "",
        "",
        "",
    ]
    return "\t".join(fields)


def apple_sales() -> dict[str, bytes]:
    rows = [
        SALES_HEADER,
        _sales_row("1", "812", "US", "iPhone"),
        _sales_row("1T", "40", "US", "iPad"),
        _sales_row("1F", "3", "US", "iPhone"),
        _sales_row("3F", "120", "US", "iPhone"),
        _sales_row("3", "4", "US", "iPad"),
        _sales_row("7", "95", "US", "iPhone"),
        _sales_row("7T", "5", "US", "iPad"),
        _sales_row(
            "IA1",
            "10",
            "US",
            "iPhone",
            sku="chat.plus",
            title="Chat Plus",
            app_id="1000000099",
            parent="chat",
        ),
        _sales_row("1", "61", "DE", "iPhone", currency="EUR"),
        _sales_row("7", "22", "DE", "iPhone", currency="EUR"),
    ]
    return {"S_D_80012345_20260301.txt.gz": gz(lf(rows))}


# App Analytics web export, German UI (keys as observed), Deletions by territory, by day.
APPLE_WEB_DE = lf(
    [
        "Name,Example Chat",
        "Startdatum,27.02.26",
        "Enddatum,01.03.26",
        "",
        "Datum,Vereinigte Staaten,Deutschland,Japan",
        "27.02.26,410,52,33",
        "28.02.26,1620,61,-",
        "01.03.26,1588,58,35",
    ]
)
# English keys (UNCONFIRMED in FORMATS.md), a Metric row, and dates that do not settle the
# day/month order (no day above 12): needs --date-order.
APPLE_WEB_EN = crlf(
    [
        "Name,Example Chat",
        "Metric,Installations",
        "Start Date,03/01/26",
        "End Date,03/03/26",
        "",
        "Date,United States,United Kingdom,Total",
        "03/01/26,1300,210,2000",
        "03/02/26,1250,-,1900",
        "03/03/26,1400,230,2100",
    ]
)


def apple_web() -> dict[str, bytes]:
    return {
        "Example Chat-Deletions-Territory.csv": APPLE_WEB_DE.encode(),
        "Example Chat-Installations-Territory.csv": APPLE_WEB_EN.encode(),
    }


def sensortower() -> dict[str, bytes]:
    ios = [
        {
            "aid": 6448311069,
            "cc": "US",
            "d": "2026-02-28",
            "iu": 152300,
            "ir": 9120000,
            "au": 8100,
            "ar": 410000,
        },
        {
            "aid": 6448311069,
            "cc": "US",
            "d": "2026-03-01",
            "iu": 171900,
            "ir": 1234567,
            "au": 8800,
            "ar": 1,
        },
        # iPad figures missing: downloads and revenue unknown (NULL), not iPhone-only.
        {"aid": 6448311069, "cc": "DE", "d": "2026-02-28", "iu": 20100, "ir": 700000},
        {
            "aid": 6448311069,
            "cc": "DE",
            "d": "2026-03-01",
            "iu": 19800,
            "ir": 690000,
            "au": 900,
            "ar": None,
        },
    ]
    android = [
        {"aid": "com.example.chat", "c": "US", "d": "2026-02-28", "u": 98000, "r": 5100000},
        {"aid": "com.example.chat", "c": "US", "d": "2026-03-01", "u": 99500, "r": 5100001},
        {"aid": "com.example.chat", "c": "IN", "d": "2026-02-28", "u": 410000, "r": 0},
    ]
    return {
        # Pretty-printed as saved from a browser or `jq .`; the Android one as the raw
        # one-line response body.
        "ios_sales_report_estimates.json": (json.dumps(ios, indent=2) + "\n").encode(),
        "android_sales_report_estimates.json": json.dumps(android, separators=(",", ":")).encode(),
    }


def appfigures() -> dict[str, bytes]:
    # group_by=dates,products (FORMATS.md 6.1 example) for country US.
    by_dates = {
        "2026-02-28": {
            "40123456": {
                "downloads": 1520,
                "re_downloads": 310,
                "updates": 3020,
                "uninstalls": 410,
                "net_downloads": 1520,
                "returns": 0,
                "revenue": "0.00",
            }
        },
        "2026-03-01": {
            "40123456": {
                "downloads": 1611,
                "re_downloads": 295,
                "updates": 2987,
                "uninstalls": 1622,
                "net_downloads": 1611,
                "returns": 0,
                "revenue": "0.00",
            }
        },
    }
    # group_by=countries,dates,products with product objects; Apple has no uninstalls.
    product = {"id": 40123456, "name": "Example Chat", "store": "apple"}
    by_countries = {
        "US": {
            "2026-02-28": {
                "40123456": {
                    "downloads": 1520,
                    "re_downloads": 310,
                    "updates": 3020,
                    "net_downloads": 1519,
                    "returns": 1,
                    "revenue": "1234.56",
                    "product": product,
                }
            },
            "2026-03-01": {
                "40123456": {
                    "downloads": 1611,
                    "re_downloads": 295,
                    "updates": 2987,
                    "net_downloads": 1611,
                    "returns": 0,
                    "revenue": "99.99",
                    "product": product,
                }
            },
        },
        "DE": {
            "2026-02-28": {
                "40123456": {
                    "downloads": 201,
                    "re_downloads": None,
                    "updates": 330,
                    "net_downloads": 201,
                    "returns": 0,
                    "revenue": "12.30",
                    "product": product,
                }
            },
        },
    }
    events = [
        {
            "id": 9001,
            "caption": "Featured on the App Store",
            "date": "2026-02-27T00:00:00",
            "details": "Today tab, US",
            "products": [40123456],
        },
        {
            "id": 9002,
            "caption": "Price drop",
            "date": "2026-03-01",
            "details": "",
            "products": [{"id": 40999999, "name": "Example Notes"}],
        },
        {
            "id": 9003,
            "caption": "iOS 26.3 released",
            "date": "2026-02-28",
            "details": None,
            "products": [],
        },
    ]
    return {
        "sales_dates_products_US.json": (json.dumps(by_dates, indent=2) + "\n").encode(),
        "sales_countries_dates_products.json": (json.dumps(by_countries, indent=2) + "\n").encode(),
        "events.json": (json.dumps(events, indent=2) + "\n").encode(),
    }


def write_all(root: Path = FIXTURES) -> dict[Path, bytes]:
    """Write every fixture under root; returns what was written."""
    written: dict[Path, bytes] = {}
    for folder, files in (
        ("google_play", google_play()),
        ("apple_installs", apple_installs()),
        ("apple_sales", apple_sales()),
        ("apple_web", apple_web()),
        ("sensortower", sensortower()),
        ("appfigures", appfigures()),
    ):
        for name, data in files.items():
            path = root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written[path.relative_to(root)] = data
    return written


if __name__ == "__main__":
    for path, data in write_all().items():
        print(f"{path}: {len(data)} bytes, starts {data[:4].hex(' ')}")
