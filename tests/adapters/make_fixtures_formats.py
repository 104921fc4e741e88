"""Write the fixtures of issue 12's formats (tests/fixtures/<folder>/...) byte-exactly.

Each file is written as the store or service writes it (made-up numbers): Play files UTF-16LE
with a BOM and CRLF, Apple Analytics Reports segments gzip TSV with LF, warehouse tables as a
connector exports them. Run from the repository root:

    .venv/bin/python tests/adapters/make_fixtures_formats.py

`test_formats_fixtures_are_reproducible` fails if this script and the checked-in bytes drift.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tempfile
from pathlib import Path

from make_fixtures import SALES_HEADER, _sales_row

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Header of Play's installs reports before December 2016 (Current Device/User Installs are
# levels; Active Device Installs appeared in September 2016, the Current columns went on
# 2016-12-01; install/update/uninstall events came in November 2017).
PLAY_2016_METRICS = (
    "Current Device Installs,Daily Device Installs,Daily Device Uninstalls,"
    "Daily Device Upgrades,Current User Installs,Total User Installs,Daily User Installs,"
    "Daily User Uninstalls"
)
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
    # May 2016: the old columns only. November 2016: Active Device Installs next to them.
    may_country = crlf(
        [
            f"Date,Package Name,Country,{PLAY_2016_METRICS}",
            "2016-05-01,com.example.old,US,52310,210,95,400,48800,90120,190,88",
            "2016-05-01,com.example.old,DE,8020,31,12,60,7600,13050,29,11",
            "2016-05-02,com.example.old,US,52420,205,90,380,48900,90320,200,85",
            "2016-05-02,com.example.old,DE,8031,,14,58,7611,13080,30,",
        ]
    )
    nov_overview = crlf(
        [
            f"Date,Package Name,{PLAY_2016_METRICS},Active Device Installs",
            "2016-11-01,com.example.old,61200,260,120,510,57300,98700,240,110,40210",
            "2016-11-02,com.example.old,61310,255,118,495,57390,98940,236,109,40300",
        ]
    )
    # July 2018: Total User Installs stops on the 17th (0 from then on).
    jul_2018 = crlf(
        [
            f"Date,Package Name,{PLAY_METRICS}",
            "2018-07-15,com.example.chat,900,300,2000,170100,850,280,120300,990,2100,320",
            "2018-07-16,com.example.chat,910,310,2010,170950,860,290,120350,1000,2110,330",
            "2018-07-17,com.example.chat,920,305,1990,0,870,285,120400,1010,2090,325",
            "2018-07-18,com.example.chat,930,299,1980,0,880,279,120420,1020,2080,319",
        ]
    )
    # August 2019, per country: three columns are 0 on every row (Play stopped filling them).
    aug_2019 = crlf(
        [
            f"Date,Package name,Country,{PLAY_METRICS}",
            "2019-08-01,com.example.chat,US,402,0,0,0,371,115,45120,450,811,131",
            "2019-08-01,com.example.chat,IN,55,0,0,0,50,9,6100,61,30,12",
            "2019-08-02,com.example.chat,US,420,0,0,0,380,101,45000,470,799,116",
            "2019-08-02,com.example.chat,IN,,,,,,,,,,",
        ]
    )
    return {
        "2016/installs_com.example.old_201605_country.csv": utf16(may_country),
        "2016/installs_com.example.old_201611_overview.csv": utf16(nov_overview),
        "deprecated/installs_com.example.chat_201807_overview.csv": utf16(jul_2018),
        "deprecated/installs_com.example.chat_201908_country.csv": utf16(aug_2019),
    }


def apple_sales() -> dict[str, bytes]:
    """A weekly summary (S_W_: Begin Date Monday, End Date Sunday on every row) and a daily one
    where two apps (two Apple Identifiers, two SKUs) share the title "Chat"."""
    weekly = [SALES_HEADER]
    for ptype, units, country in (("1", "5120", "US"), ("7", "800", "US"), ("1", "410", "DE")):
        row = _sales_row(ptype, units, country, "iPhone")
        weekly.append(row.replace("03/01/2026\t03/01/2026", "02/23/2026\t03/01/2026"))
    same_title = [
        SALES_HEADER,
        _sales_row("1", "70", "US", "iPhone", sku="chat.one", title="Chat", app_id="1000000301"),
        _sales_row("1", "9", "US", "iPhone", sku="chat.two", title="Chat", app_id="1000000302"),
        _sales_row("1", "4", "DE", "iPhone", sku="chat.two", title="Chat", app_id="1000000302"),
    ]
    return {
        "S_W_80012345_20260301.txt.gz": gz(lf(weekly)),
        "S_D_80012399_20260301.txt.gz": gz(lf(same_title)),
    }


# "App Downloads Standard", header verbatim as FORMATS.md quotes it from a downloaded segment.
DOWNLOADS_STANDARD_HEADER = (
    "Date\tApp Name\tApp Apple Identifier\tDownload Type\tApp Version\tDevice\t"
    "Platform Version\tSource Type\tPage Type\tPre-Order\tTerritory\tCounts"
)
# "App Downloads Detailed" in the order of ingestr's fixture: Processing Date, Source Info,
# Campaign, Page Title, and `""` for empty fields.
DOWNLOADS_DETAILED_HEADER = (
    "Date\tApp Apple Identifier\tCounts\tProcessing Date\tApp Name\tDownload Type\t"
    "App Version\tDevice\tPlatform Version\tSource Type\tSource Info\tCampaign\tPage Type\t"
    "Page Title\tPre-Order\tTerritory"
)


def _download(day: str, kind: str, device: str, source: str, territory: str, n: int) -> str:
    """One Standard row of Example Chat (1000000001)."""
    system = "iPadOS 26.3" if device == "iPad" else "iOS 26.3"
    page = "Product page" if kind in ("First-time download", "Redownload") else "No page"
    fields = [day, "Example Chat", "1000000001", kind, "1.4.0", device, system, source, page,
              "", territory, str(n)]  # fmt: skip
    return "\t".join(fields)


def apple_downloads() -> dict[str, bytes]:
    day = "2026-03-01"
    standard = [
        DOWNLOADS_STANDARD_HEADER,
        _download(day, "First-time download", "iPhone", "App Store search", "US", 812),
        _download(day, "First-time download", "iPad", "App Store browse", "US", 40),
        _download(day, "Redownload", "iPhone", "App Store search", "US", 120),
        _download(day, "Manual update", "iPhone", "Unavailable", "US", 95),
        _download(day, "Auto-update", "iPhone", "Unavailable", "US", 3000),
        _download(day, "Restore", "iPhone", "Unavailable", "US", 7),
        _download(day, "First-time download", "iPhone", "App Store search", "DE", 61),
    ]
    detailed = [
        DOWNLOADS_DETAILED_HEADER,
        "2026-03-01\t1000000002\t590\t2026-03-02\tExample Notes\tAuto-update\t2.0\tiPhone\t"
        'iOS 26.3\tApp Store search\t""\t""\tNo page\tNo page\t""\tFR',
        "2026-03-01\t1000000002\t16\t2026-03-02\tExample Notes\tAuto-update\t2.0\tiPhone\t"
        'iOS 26.3\tApp referrer\tcom.example.social\t""\tStore sheet\t'
        'Default custom product page\t""\tSG',
        "2026-03-01\t1000000002\t30\t2026-03-02\tExample Notes\tFirst-time download\t2.0\t"
        "iPhone\tiOS 26.3\tWeb referrer\texample.org\tspring\tProduct page\t"
        'Notes, but "fast"\t""\tFR',
        "2026-03-01\t1000000002\t5\t2026-03-02\tExample Notes\tRedownload\t2.0\tiPhone\t"
        'iOS 26.3\tApp Store search\t""\t""\tProduct page\t""\t""\tFR',
    ]
    seg = "2026-03-02"

    def segment_1(us: int) -> list[str]:
        return [
            DOWNLOADS_STANDARD_HEADER,
            _download(seg, "First-time download", "iPhone", "App Store search", "US", us),
            _download(seg, "Redownload", "iPhone", "App Store search", "US", 80),
            _download(seg, "First-time download", "iPhone", "App Store search", "DE", 45),
        ]

    segment_2 = [
        DOWNLOADS_STANDARD_HEADER,
        _download(seg, "First-time download", "iPhone", "App referrer", "US", 60),
        _download(seg, "Manual update", "iPhone", "Unavailable", "US", 40),
        _download(seg, "First-time download", "iPhone", "App Store search", "GB", 33),
    ]
    return {
        # (the Standard segment ends with an empty line, as the downloaded one does)
        "App Downloads Standard_2026-03-01.txt.gz": gz(lf(standard) + "\n"),
        "App Downloads Detailed_2026-03-01.txt.gz": gz(lf(detailed)),
        "segments/segment-1.txt.gz": gz(lf(segment_1(500))),
        "segments/segment-2.txt.gz": gz(lf(segment_2)),
        "segments/restated/segment-1.txt.gz": gz(lf(segment_1(510))),
    }


def sensortower() -> dict[str, bytes]:
    """A /v1/unified/sales_report_estimates response (revenue in cents, as the per-OS
    endpoints give it): per-platform fields next to the unified sum."""
    app = "5ba4585f539ce75b97db6bcb"

    def record(day: str, country: str, a: tuple, i: tuple, p: tuple) -> dict:
        units = [x[0] for x in (a, i, p)]
        revenue = [x[1] for x in (a, i, p)]
        out = {"app_id": app, "country": country, "date": day}
        for name, (u, r) in zip(("android", "iphone", "ipad"), (a, i, p), strict=True):
            out[f"{name}_units"] = u
            out[f"{name}_revenue"] = r
        if None not in units:
            out["unified_units"] = sum(units)
        if None not in revenue:
            out["unified_revenue"] = sum(revenue)
        return out

    data = [
        record("2026-02-28T00:00:00Z", "US", (98000, 5100000), (152300, 9120000), (8100, 410000)),
        record("2026-03-01T00:00:00Z", "US", (99100, 5230001), (171900, 1234567), (8800, 1)),
        record("2026-02-28T00:00:00Z", "DE", (12000, 300000), (20100, 700000), (None, None)),
    ]
    return {"unified_sales_report_estimates.json": (json.dumps(data, indent=2) + "\n").encode()}


def appfigures() -> dict[str, bytes]:
    """group_by=dates,products,countries for an account in euros: products of both stores in
    one answer (their store on the product object), the currency stated at the top."""
    apple = {"id": 40123456, "name": "Example Chat", "store": "apple"}
    play = {"id": 40999999, "name": "Example Chat Android", "store": "google_play"}

    def leaf(product: dict, downloads: int, revenue: str, uninstalls: int | None) -> dict:
        out = {"downloads": downloads, "re_downloads": 12, "updates": 300}
        if uninstalls is not None:
            out["uninstalls"] = uninstalls
        return {**out, "net_downloads": downloads, "revenue": revenue, "product": product}

    answer = {
        "currency": "EUR",
        "2026-02-28": {
            "40123456": {
                "DE": leaf(apple, 201, "12.30", None),
                "FR": leaf(apple, 90, "4.99", None),
            },
            "40999999": {"DE": leaf(play, 150, "7.50", 44)},
        },
        "2026-03-01": {
            "40123456": {"DE": leaf(apple, 220, "0.00", None)},
            "40999999": {"DE": leaf(play, 161, "1.25", 40)},
        },
    }
    return {
        "sales_dates_products_countries_EUR.json": (json.dumps(answer, indent=2) + "\n").encode()
    }


# Fivetran's connector tables, columns in the order of its dbt packages' seeds
# (fivetran/dbt_google_play_source stats_installs_overview.csv; fivetran/dbt_apple_store_source
# app_store_installation_and_deletion_detailed_daily.csv, app_store_download_standard_daily.csv):
# bookkeeping columns (_file, _line, _modified, _fivetran_synced, _fivetran_id), snake_case
# names, app_id for the Apple id, whole numbers of some columns written as floats (16449.0).
PLAY_TABLE_METRICS = (
    "current_device_installs,daily_device_installs,daily_device_uninstalls,"
    "daily_device_upgrades,current_user_installs,total_user_installs,daily_user_installs,"
    "daily_user_uninstalls,_fivetran_synced,active_device_installs,install_events,"
    "update_events,uninstall_events"
)
SYNCED = "2026-03-04 22:05:21.332000+00:00"


def warehouse_csv() -> dict[str, str]:
    overview = [
        f"_file,_line,_modified,date,package_name,{PLAY_TABLE_METRICS}",
        # 2016: the old levels, no events yet.
        "installs_com.example.chat_201605_overview.csv,0,2016-06-03 11:55:41.478000+00:00,"
        f"2016-05-01,com.example.chat,15613.0,174,98,407,14167.0,27810,149,90,{SYNCED},,,,",
        # 2019: Play no longer fills device uninstalls/upgrades and total user installs.
        "installs_com.example.chat_201908_overview.csv,0,2019-09-02 10:09:25.259000+00:00,"
        f"2019-08-01,com.example.chat,,38,0,0,,0,23,33,{SYNCED},16449.0,45.0,0.0,34.0",
        "installs_com.example.chat_201908_overview.csv,1,2019-09-02 10:09:25.259000+00:00,"
        f"2019-08-02,com.example.chat,,25,0,0,,0,15,29,{SYNCED},16469.0,34.0,1.0,32.0",
        # a second app in the same table
        "installs_com.example.notes_201908_overview.csv,0,2019-09-02 10:09:25.259000+00:00,"
        f"2019-08-01,com.example.notes,,7,0,0,,0,6,2,{SYNCED},900.0,8.0,3.0,2.0",
    ]
    country = [
        f"_file,_line,_modified,date,country,package_name,{PLAY_TABLE_METRICS}",
        "installs_com.example.chat_201908_country.csv,0,2019-09-02 10:09:25.259000+00:00,"
        f"2019-08-01,US,com.example.chat,,20,0,0,,0,12,15,{SYNCED},8000.0,22.0,0.0,16.0",
        "installs_com.example.chat_201908_country.csv,1,2019-09-02 10:09:25.259000+00:00,"
        f"2019-08-01,IN,com.example.chat,,18,0,0,,0,11,18,{SYNCED},8449.0,23.0,0.0,18.0",
        "installs_com.example.chat_201908_country.csv,2,2019-09-02 10:09:25.259000+00:00,"
        f"2019-08-01,,com.example.chat,,0,0,0,,0,0,0,{SYNCED},0.0,0.0,0.0,0.0",
    ]
    installs = [
        "_fivetran_id,app_id,date,event,download_type,app_version,device,platform_version,"
        "source_type,page_type,app_download_date,territory,counts,unique_devices,_fivetran_synced",
        "rLTCNO6J9D59i7ffRhp+E5EyleQ=,1000000001,2026-03-01,Install,First-time download,1.4.0,"
        "iPhone,iOS 26.3,App Store search,Product page,2026-03-01,US,1588,1540,"
        "2026-03-04 17:09:33.790 +00:00",
        "4NMQBTa2qQSIR9OAJEoekOzqANM=,1000000001,2026-03-01,Install,Redownload,1.4.0,iPad,"
        "iPadOS 26.3,App Store browse,No page,,US,12,5,2026-03-04 17:09:34.269 +00:00",
        "TGwYHBcBQrDPz5kyrHqwRquf2Pc=,1000000001,2026-03-01,Delete,,1.4.0,iPhone,iOS 26.3,"
        "Unavailable,No page,,US,410,400,2026-03-04 17:09:34.301 +00:00",
        "QnICsNy0tjs++YD8Jd/gKnkVqr8=,1000000001,2026-03-02,Install,Manual update,1.4.0,iPhone,"
        "iOS 26.3,Unavailable,No page,,DE,6,6,2026-03-05 05:10:17.222 +00:00",
    ]
    downloads = [
        "_fivetran_id,app_id,date,download_type,app_version,device,platform_version,"
        "source_type,page_type,pre_order,territory,counts,_fivetran_synced",
        "BkesX890oPBVMhTXQ/hiDdx6qtI=,1000000001,2026-03-01,Auto-update,1.4.0,iPhone,iOS 26.3,"
        "Web referrer,Product page,,SI,5,2026-03-03 17:08:18.158 +00:00",
        "0thg2HpfH+pyt51xfqsX2gjBqng=,1000000001,2026-03-01,First-time download,1.4.0,iPhone,"
        "iOS 26.3,App Store search,Product page,,US,852,2026-03-03 17:08:23.298 +00:00",
        "lueVOUt20qfGZTy7okfwofpHWEw=,1000000001,2026-03-01,Redownload,1.4.0,iPad,iPadOS 26.3,"
        "App referrer,Store sheet,,US,120,2026-03-03 17:08:21.313 +00:00",
    ]
    return {
        "stats_installs_overview.csv": lf(overview),
        "stats_installs_country.csv": lf(country),
        "app_store_installation_and_deletion_detailed_daily.csv": lf(installs),
        "app_store_download_standard_daily.csv": lf(downloads),
    }


def warehouse_parquet(folder: Path) -> list[Path]:
    """Parquet copies written by DuckDB (its own column types: DATE, BIGINT, DOUBLE, VARCHAR):
    the Play country table, and the generic long and wide layouts. Compared by content in
    the test (the writer's version is in the bytes)."""
    import duckdb

    csv = warehouse_csv()
    out = []
    con = duckdb.connect()
    scratch = Path(tempfile.mkdtemp(prefix="installpulse-fixtures-"))
    try:
        source = scratch / "stats_installs_country.csv"
        source.write_text(csv["stats_installs_country.csv"], encoding="utf-8")
        queries = {
            "stats_installs_country.parquet": (
                "select * replace (cast(date as date) as date) from "
                "read_csv($src, header=true, auto_detect=true)"
            ),
            "generic_long.parquet": (
                "select * from (values (date '2026-03-01', 'com.example.chat', 'android', 'US', "
                "'installs', 371::bigint), (date '2026-03-01', 'com.example.chat', 'android', "
                "'US', 'uninstalls', 115::bigint), (date '2026-03-02', 'com.example.chat', "
                "'android', 'US', 'installs', null::bigint)) t(date, app, platform, country, "
                "metric, value)"
            ),
            "generic_wide.parquet": (
                "select * from (values (date '2026-03-01', '1000000001', 'ios', 'DE', 61::bigint, "
                "19::bigint, timestamptz '2026-03-04 17:09:33+00'), (date '2026-03-02', "
                "'1000000001', 'ios', 'DE', 58::bigint, null::bigint, "
                "timestamptz '2026-03-05 17:09:33+00')) t(date, app, platform, country, installs, "
                "uninstalls, _fivetran_synced)"
            ),
        }
        for name, query in queries.items():
            target = folder / name
            params = {"src": str(source)} if "$src" in query else {}
            con.execute(f"copy ({query}) to '{target}' (format parquet)", params)
            out.append(target)
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return out


def write_all(root: Path = FIXTURES) -> dict[Path, bytes]:
    """Write every fixture of this script under root; returns what was written."""
    written: dict[Path, bytes] = {}
    for folder, files in (
        ("google_play", google_play()),
        ("apple_sales", apple_sales()),
        ("apple_downloads", apple_downloads()),
        ("sensortower", sensortower()),
        ("appfigures", appfigures()),
        ("warehouse", {k: v.encode() for k, v in warehouse_csv().items()}),
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
    for path in warehouse_parquet(FIXTURES / "warehouse"):
        print(f"{path.relative_to(FIXTURES)}: {path.stat().st_size} bytes (Parquet)")
