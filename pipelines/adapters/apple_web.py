"""App Store Connect App Analytics web "Export CSV": a key,value preamble, a blank line, then a
wide table (first column = day, one column per territory) with `-` for missing values.

    Name,Example Chat
    Startdatum,27.02.26
    Enddatum,05.03.26

    Datum,United States,Germany,Japan
    27.02.26,410,52,33

The file does not name its metric (the German sample has only Name and dates), so it comes from
a preamble key such as `Metric` when present and recognisable, else from --metric; otherwise the
import stops and asks for --metric. Dates follow the UI locale: the day/month order is taken
from --date-order (dmy, mdy, ymd) or inferred only when the file itself settles it (a first
field above 12 somewhere means dmy, a second field above 12 means mdy, four digits first means
ymd) - and then for the whole file; an ambiguous file is refused. Rows must be one day apart at
most: exports grouped by week or month are refused (their values are not daily).
Territory headers are English or German country names (or ISO codes); anything else is listed
in an error. These exports are small (days x territories), so they are parsed in Python.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from itertools import pairwise

import duckdb
import polars as pl

from pipelines.adapters import csvtext
from pipelines.adapters.base import IngestOptions, SourceFile, Staged, stage_frame
from pipelines.errors import ImportFailed, Problem, clip

NAME_KEYS = {"name"}
START_KEYS = {"startdatum", "start date", "start", "from", "von"}
END_KEYS = {"enddatum", "end date", "end", "to", "bis"}
DATE_KEYS = {"datum", "date", "day", "tag", "zeitraum", "period"}
METRIC_KEYS = {"metric", "metrik", "kennzahl", "messwert", "measure"}
PREAMBLE_KEYS = NAME_KEYS | START_KEYS | END_KEYS | DATE_KEYS | METRIC_KEYS

# App Analytics metric labels (English and German UI) -> installpulse metric.
METRIC_LABELS: dict[str, str] = {
    "installations": "installs",
    "installationen": "installs",
    "deletions": "uninstalls",
    "löschungen": "uninstalls",
    "app units": "downloads",
    "app-einheiten": "downloads",
    "first-time downloads": "first_time_downloads",
    "erstmalige downloads": "first_time_downloads",
    "redownloads": "redownloads",
    "erneute downloads": "redownloads",
    "sessions": "sessions",
    "sitzungen": "sessions",
}

WORLDWIDE = {
    "total",
    "gesamt",
    "worldwide",
    "weltweit",
    "all territories",
    "alle länder",
    "all countries",
    "alle regionen",
}

# Common App Store territories, English and German names -> ISO 3166-1 alpha-2.
# fmt: off
COUNTRY_NAMES: dict[str, str] = {
    "united states": "US", "usa": "US", "vereinigte staaten": "US",
    "vereinigte staaten von amerika": "US",
    "united kingdom": "GB", "vereinigtes königreich": "GB", "großbritannien": "GB",
    "grossbritannien": "GB",
    "germany": "DE", "deutschland": "DE",
    "austria": "AT", "österreich": "AT",
    "switzerland": "CH", "schweiz": "CH",
    "france": "FR", "frankreich": "FR",
    "italy": "IT", "italien": "IT",
    "spain": "ES", "spanien": "ES",
    "portugal": "PT",
    "netherlands": "NL", "niederlande": "NL",
    "belgium": "BE", "belgien": "BE",
    "luxembourg": "LU", "luxemburg": "LU",
    "ireland": "IE", "irland": "IE",
    "denmark": "DK", "dänemark": "DK",
    "sweden": "SE", "schweden": "SE",
    "norway": "NO", "norwegen": "NO",
    "finland": "FI", "finnland": "FI",
    "iceland": "IS", "island": "IS",
    "poland": "PL", "polen": "PL",
    "czechia": "CZ", "czech republic": "CZ", "tschechien": "CZ", "tschechische republik": "CZ",
    "slovakia": "SK", "slowakei": "SK",
    "hungary": "HU", "ungarn": "HU",
    "romania": "RO", "rumänien": "RO",
    "bulgaria": "BG", "bulgarien": "BG",
    "greece": "GR", "griechenland": "GR",
    "croatia": "HR", "kroatien": "HR",
    "slovenia": "SI", "slowenien": "SI",
    "serbia": "RS", "serbien": "RS",
    "ukraine": "UA",
    "russia": "RU", "russland": "RU",
    "turkey": "TR", "türkiye": "TR", "türkei": "TR",
    "israel": "IL",
    "united arab emirates": "AE", "vereinigte arabische emirate": "AE",
    "saudi arabia": "SA", "saudi-arabien": "SA",
    "egypt": "EG", "ägypten": "EG",
    "south africa": "ZA", "südafrika": "ZA",
    "nigeria": "NG",
    "kenya": "KE", "kenia": "KE",
    "india": "IN", "indien": "IN",
    "pakistan": "PK",
    "china": "CN", "china mainland": "CN", "festlandchina": "CN",
    "hong kong": "HK", "hongkong": "HK",
    "taiwan": "TW",
    "japan": "JP",
    "south korea": "KR", "korea, republic of": "KR", "republic of korea": "KR", "korea": "KR",
    "südkorea": "KR", "republik korea": "KR",
    "singapore": "SG", "singapur": "SG",
    "malaysia": "MY",
    "thailand": "TH",
    "vietnam": "VN",
    "indonesia": "ID", "indonesien": "ID",
    "philippines": "PH", "philippinen": "PH",
    "australia": "AU", "australien": "AU",
    "new zealand": "NZ", "neuseeland": "NZ",
    "canada": "CA", "kanada": "CA",
    "mexico": "MX", "mexiko": "MX",
    "brazil": "BR", "brasilien": "BR",
    "argentina": "AR", "argentinien": "AR",
    "chile": "CL",
    "colombia": "CO", "kolumbien": "CO",
    "peru": "PE",
}
# fmt: on

_SPLIT = re.compile(r"[./\-\s]+")


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\ufeff", "").strip().lower()).rstrip(":")


def _rows(src: SourceFile) -> list[tuple[int, list[str]]]:
    """(1-based physical line, cells) for every record of the file."""
    out = []
    csvtext.long_fields()
    with src.path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        line = 1
        try:
            for row in reader:
                out.append((line, row))
                line = reader.line_num + 1
        except csv.Error as exc:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        f"this line cannot be read as CSV ({exc}).",
                        line=line,
                        hint="Export the CSV again from App Analytics.",
                    )
                ],
            ) from exc
    return out


def _split_preamble(
    rows: list[tuple[int, list[str]]],
) -> tuple[dict[str, tuple[int, str]], int]:
    """Preamble {key: (line, value)} and the index of the header row (first row after the
    first blank row)."""
    preamble: dict[str, tuple[int, str]] = {}
    for index, (line, cells) in enumerate(rows):
        if not cells or not cells[0].strip():
            for nxt in range(index + 1, len(rows)):
                if rows[nxt][1] and any(c.strip() for c in rows[nxt][1]):
                    return preamble, nxt
            return preamble, len(rows)
        preamble[_key(cells[0])] = (line, cells[1].strip() if len(cells) > 1 else "")
    return preamble, len(rows)


def _country(name: str) -> str | None:
    key = _key(name)
    if key in WORLDWIDE:
        return "WW"
    if re.fullmatch(r"[a-z]{2}", key):
        return key.upper()
    return COUNTRY_NAMES.get(key)


def _date_parts(text: str) -> tuple[int, int, int, int] | None:
    """The three numbers of a locale date label and the width of the first one."""
    parts = [p for p in _SPLIT.split(text.strip()) if p]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2]), len(parts[0])


def _infer_order(labels: list[str]) -> str | None:
    """The day/month order the labels themselves prove, or None when they do not."""
    parsed = [p for p in (_date_parts(t) for t in labels) if p is not None]
    if parsed and all(p[3] == 4 for p in parsed):
        return "ymd"
    first_big = any(p[0] > 12 for p in parsed)
    second_big = any(p[1] > 12 for p in parsed)
    if first_big and not second_big:
        return "dmy"
    if second_big and not first_big:
        return "mdy"
    return None


def _to_date(text: str, order: str) -> date | None:
    parts = _date_parts(text)
    if parts is None:
        return None
    a, b, c, _ = parts
    year, month, day = {"dmy": (c, b, a), "mdy": (c, a, b), "ymd": (a, b, c)}[order]
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


class AppleAnalyticsWeb:
    name = "apple-analytics-web"
    label = "App Store Connect App Analytics web 'Export CSV' (preamble + one column per territory)"
    how_to_get = (
        "App Store Connect > Analytics > Metrics: choose the metric (e.g. Deletions or "
        "Installations), View by Territory, group by day, then ... > Export CSV. Pass --metric "
        "(the file does not name it) and --date-order if the dates are ambiguous."
    )

    def sniff(self, src: SourceFile) -> bool:
        lines = src.head.splitlines()
        if not lines:
            return False
        first = csvtext.split_line(src, lines[0], line=1)
        if len(first) < 2 or _key(first[0]) not in PREAMBLE_KEYS:
            return False
        # A preamble (key,value rows) then a blank line, within the first few lines.
        for number, text in enumerate(lines[1:8], start=2):
            if not text.strip(" ,\t"):
                return True
            cells = csvtext.split_line(src, text, line=number)
            if not cells or _key(cells[0]) not in PREAMBLE_KEYS:
                return False
        return False

    def stage(
        self, con: duckdb.DuckDBPyConnection, src: SourceFile, options: IngestOptions
    ) -> Staged:
        rows = _rows(src)
        preamble, header_index = _split_preamble(rows)
        if header_index >= len(rows):
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        "no table after the preamble and its blank line.",
                        line=len(rows) or 1,
                        hint="Export the CSV again from App Analytics.",
                    )
                ],
            )
        header_line, header = rows[header_index]
        data = [
            (ln, cells) for ln, cells in rows[header_index + 1 :] if any(c.strip() for c in cells)
        ]
        problems: list[Problem] = []

        metric = self._metric(preamble, options, src, problems)
        app = options.app or preamble.get("name", (0, ""))[1]
        if not app:
            problems.append(
                Problem(
                    "the preamble has no 'Name' row naming the app.",
                    line=1,
                    hint="Pass --app NAME.",
                )
            )
        countries: list[str] = []
        unknown = []
        for name in header[1:]:
            code = _country(name)
            if code is None:
                unknown.append(name)
            countries.append(code or "")
        if unknown:
            problems.append(
                Problem(
                    f"column(s) {', '.join(repr(clip(u)) for u in unknown)} are not territories "
                    "installpulse knows.",
                    line=header_line,
                    hint="Export with View by Territory, or rename the columns to ISO codes "
                    "(US, DE, ...).",
                )
            )
        order = self._order(options, [cells[0] for _, cells in data], src, problems, header_line)
        if problems:
            raise ImportFailed(src.name, problems)
        assert order is not None and metric is not None

        out: dict[str, list] = {k: [] for k in ("line", "date", "country", "value", "value_column")}
        dates: list[tuple[date, int]] = []
        labels = {
            "date": header[0] or "(first column)",
            "app": "Name",
            "platform": "(ios)",
            "country": "(territory columns)",
            "source": "(app_store_connect)",
        }
        for line, cells in data:
            if len(cells) != len(header):
                problems.append(
                    Problem(
                        f"{len(cells)} fields, the header has {len(header)}.",
                        line=line,
                        value=",".join(cells)[:80],
                    )
                )
                continue
            day = _to_date(cells[0], order)
            if day is None:
                problems.append(
                    Problem(
                        f"not a date in the {order} order of this file.",
                        line=line,
                        column=header[0] or "date",
                        value=cells[0],
                    )
                )
                continue
            dates.append((day, line))
            for i, value in enumerate(cells[1:], start=1):
                out["line"].append(line)
                out["date"].append(day.isoformat())
                out["country"].append(countries[i - 1])
                out["value"].append(value)
                out["value_column"].append(f"c{i}")
                labels[f"c{i}"] = header[i]
        if problems:
            raise ImportFailed(src.name, problems)
        self._check_daily(preamble, dates, src)
        n = len(out["line"])
        frame = pl.DataFrame(
            {
                **out,
                "app": [app] * n,
                "app_name": [None] * n,
                "platform": ["ios"] * n,
                "metric": [metric] * n,
                "source": ["app_store_connect"] * n,
            },
            schema_overrides={"app_name": pl.String},
        )
        stage_frame(con, frame)
        notices = [f"metric '{metric}', dates read as {order}."]
        return Staged(rows=n, labels=labels, notices=notices)

    @staticmethod
    def _metric(
        preamble: dict[str, tuple[int, str]],
        options: IngestOptions,
        src: SourceFile,
        problems: list[Problem],
    ) -> str | None:
        if options.metric:
            return options.metric
        for key in METRIC_KEYS:
            if key in preamble:
                line, label = preamble[key]
                metric = METRIC_LABELS.get(_key(label))
                if metric:
                    return metric
                problems.append(
                    Problem(
                        "this App Analytics metric has no installpulse equivalent.",
                        line=line,
                        value=label,
                        hint="Pass --metric NAME (see `installpulse metrics`).",
                    )
                )
                return None
        problems.append(
            Problem(
                "the App Analytics export does not say which metric it holds.",
                line=1,
                hint="Pass --metric, e.g. --metric uninstalls for Deletions or --metric installs "
                "for Installations.",
            )
        )
        return None

    @staticmethod
    def _order(
        options: IngestOptions,
        labels: list[str],
        src: SourceFile,
        problems: list[Problem],
        header_line: int,
    ) -> str | None:
        if options.date_order:
            order = options.date_order.lower()
            if order not in ("dmy", "mdy", "ymd"):
                problems.append(
                    Problem(f"--date-order '{options.date_order}' is not dmy, mdy or ymd.")
                )
                return None
            return order
        order = _infer_order(labels)
        if order is None:
            sample = labels[0] if labels else ""
            problems.append(
                Problem(
                    "the day/month order of these dates cannot be settled from the file "
                    "(no consistent day above 12); installpulse never guesses it.",
                    line=header_line + 1,
                    value=sample,
                    hint="Pass --date-order dmy (e.g. German 01.03.26 = 1 March) or mdy.",
                )
            )
        return order

    @staticmethod
    def _check_daily(
        preamble: dict[str, tuple[int, str]], dates: list[tuple[date, int]], src: SourceFile
    ) -> None:
        ordered = sorted(dates)
        gaps = [(b[0] - a[0]).days for a, b in pairwise(ordered)]
        if gaps and min(gaps) > 1:
            raise ImportFailed(
                src.name,
                [
                    Problem(
                        f"the rows are {min(gaps)} or more days apart: this export is grouped "
                        "by week or month, so its values are not daily.",
                        line=ordered[1][1],
                        hint="Export again grouped by day.",
                    )
                ],
            )
