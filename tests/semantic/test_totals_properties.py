"""Property tests of the totals rules (issue 10): for random sets of imports, every total the
semantic core gives equals the rules computed independently, and every surface agrees.

Each example builds a fresh DuckDB file through the real import contract: generic long CSVs
(worldwide rows beside country rows, blanks, an app on two platforms from two first-party
sources, estimates overlapping first-party sources, a second store listing, a restating
second import) and ``ops.alias`` mapping several identifiers to one app. :func:`reference`
then applies the four rules of ``queries/schema/v004.sql`` with dicts and loops to the rows
written (after restatement) and the examples compare it with ``semantic.totals.load``, and,
for one app and metric, with the CLI's JSON, the Explore numbers, their CSV export, the
chart's hover text and the ``daily_totals`` view.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from analytics.formatting import fmt_date, fmt_value
from charts.explore import explore_figure
from pipelines import cli, contract, ops, store
from pipelines.adapters.base import IngestOptions
from pipelines.csvout import to_csv_bytes
from pipelines.errors import UsageError
from semantic import answer, totals, views
from semantic.request import ESTIMATES, SeriesRequest

DAY0 = date(2026, 3, 2)
DAYS = [DAY0 + timedelta(days=i) for i in range(6)]
COUNTRIES = ("WW", "US", "DE", "GB")
NATIONS = ("US", "DE", "GB")
PLATFORMS = ("android", "ios")
FIRST_PARTY_OF = {"android": "google_play", "ios": "app_store_connect"}
#: Sources besides the platform's own store: two estimates and one "other" source (ranked
#: between the preferred sources and the estimates).
EXTRA_SOURCES = ("sensortower", "appfigures", "manual")
ALL_SOURCES = ("app_store_connect", "google_play", *EXTRA_SOURCES)
STEMS = ("alpha", "beta", "gamma")
LEVEL = "active_devices"
KIND = {"uninstalls": "event", LEVEL: "level"}

#: No shrinking: a failure is reported at once with its world and request (see the notes);
#: shrinking these examples (each builds a database) takes many minutes. To get a minimal
#: example locally, add Phase.shrink to `phases`.
SETTINGS = settings(
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# ----------------------------------------------------------------------------- the imports
@dataclass(frozen=True, order=True)
class Cell:
    """One stored series: the app's display name, the store identifier and the series key."""

    app: str
    identifier: str
    platform: str
    country: str
    source: str


@dataclass(frozen=True)
class World:
    metric: str
    days: tuple[date, ...]
    apps: tuple[str, ...]  # display names
    aliases: tuple[tuple[str, str], ...]  # (identifier, name)
    first: tuple[tuple[Cell, date, int | None], ...]  # rows of the first import
    second: tuple[tuple[Cell, date, int | None], ...]  # rows of the restating import

    def stored(self) -> dict[tuple[Cell, date], int | None]:
        """What the store holds after both imports: the later import's rows replace."""
        out = {(cell, day): value for cell, day, value in self.first}
        out.update({(cell, day): value for cell, day, value in self.second})
        return out


ABSENT = object()
VALUES = st.one_of(st.integers(0, 60), st.just(None))  # None = blank cell (not reported)
DAY_VALUES = st.one_of(VALUES, st.just(ABSENT))  # ABSENT = no row that day


@st.composite
def worlds(draw: st.DrawFn) -> World:
    metric = draw(st.sampled_from(("uninstalls", "uninstalls", LEVEL)))
    days = tuple(DAYS[: draw(st.integers(1, 6))])
    cells: list[Cell] = []
    names: list[str] = []
    aliases: list[tuple[str, str]] = []
    for a in range(draw(st.integers(1, 3))):
        stem = STEMS[a]
        # The first app is always on both platforms, each from its own first-party source,
        # its identifiers aliased to one name.
        platforms = (
            PLATFORMS if a == 0 else draw(st.sampled_from([("android",), ("ios",), PLATFORMS]))
        )
        ids = {
            p: [
                (f"com.{stem}" if p == "android" else str(1000 * (a + 1)))
                + ("" if i == 0 else ".lite" if p == "android" else "1")
                for i in range(draw(st.integers(1, 2)))
            ]
            for p in platforms
        }
        every_id = [i for p in platforms for i in ids[p]]
        aliased = a == 0 or len(every_id) > 1 or draw(st.booleans())
        name = stem.capitalize() if aliased else every_id[0]
        names.append(name)
        if aliased:
            aliases += [(i, name) for i in every_id]
        for p in platforms:
            own = [FIRST_PARTY_OF[p]] if a == 0 or draw(st.booleans()) else []
            extra = draw(st.lists(st.sampled_from(EXTRA_SOURCES), unique=True, max_size=2))
            if a == 0 and p == "android" and "sensortower" not in extra:
                extra.append("sensortower")  # an estimate overlapping the store's own numbers
            sources = own + extra or [FIRST_PARTY_OF[p]]
            for s in sources:
                for c in draw(
                    st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=4, unique=True)
                ):
                    # One identifier per platform, country and source (else alias refuses).
                    cells.append(Cell(name, draw(st.sampled_from(ids[p])), p, c, s))
    first = []
    for cell in cells:
        for day in days:
            value = draw(DAY_VALUES)
            if value is not ABSENT:
                first.append((cell, day, value))
    for name in names:  # every app has a row, so it exists in the store
        if not any(cell.app == name for cell, _, _ in first):
            cell = next(c for c in cells if c.app == name)
            first.append((cell, days[0], draw(st.integers(0, 60))))
    restated = draw(
        st.lists(
            st.tuples(st.sampled_from(cells), st.sampled_from(days), VALUES),
            max_size=6,
            unique_by=lambda t: (t[0], t[1]),
        )
    )
    return World(metric, days, tuple(names), tuple(aliases), tuple(first), tuple(restated))


def _write_csv(path: Path, metric: str, rows: Iterable[tuple[Cell, date, int | None]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["date", "app", "platform", "country", "metric", "value", "source"])
        for cell, day, value in rows:
            blank = "" if value is None else value
            out.writerow(
                [day, cell.identifier, cell.platform, cell.country, metric, blank, cell.source]
            )


def build(world: World, folder: Path) -> Path:
    """A fresh store holding `world`: first import, aliases, then the restating import."""
    store.release_all()
    db = folder / "store.duckdb"
    first = folder / "first.csv"
    _write_csv(first, world.metric, world.first)
    contract.ingest_file(first, db, IngestOptions(format="generic-long"))
    for identifier, name in world.aliases:
        ops.alias(identifier, name, db)
    if world.second:
        second = folder / "second.csv"
        _write_csv(second, world.metric, world.second)
        contract.ingest_file(second, db, IngestOptions(format="generic-long"))
    return db


#: Memory-backed temp folders where there are some: an import's commit syncs the file, which
#: on a shared disk is most of an example's time.
SHM = Path("/dev/shm")
TMP_DIR = str(SHM) if SHM.is_dir() and os.access(SHM, os.W_OK) else None


@contextlib.contextmanager
def built(world: World):
    with tempfile.TemporaryDirectory(prefix="ip-props-", dir=TMP_DIR) as tmp:
        try:
            yield build(world, Path(tmp))
        finally:
            store.release_all()


def coverage_events(world: World, stored: dict[tuple[Cell, date], int | None]) -> None:
    """Name what an example holds (``--hypothesis-show-statistics`` counts them)."""
    cells = {cell for cell, _ in stored}
    if any(
        a.identifier != b.identifier
        and (a.app, a.platform, a.source) == (b.app, b.platform, b.source)
        for a in cells
        for b in cells
    ):
        event("two store listings on one platform and source")
    days = defaultdict(set)
    for (cell, day), value in stored.items():
        if value is not None:
            days[(cell.app, cell.platform, cell.country, day)].add(cell.source)
    if any(
        set(FIRST_PARTY_OF.values()) & found and {"sensortower"} & found for found in days.values()
    ):
        event("an estimate beside a first-party value")
    ww = {
        (c.identifier, c.platform, c.source, d)
        for (c, d), v in stored.items()
        if c.country == "WW" and v is not None
    }
    if any(
        c.country != "WW" and (c.identifier, c.platform, c.source, d) not in ww for c, d in stored
    ):
        event("countries on a day without a worldwide value")
    first = {(cell, day): value for cell, day, value in world.first}
    if any(first.get((cell, day), ABSENT) != value for cell, day, value in world.second):
        event("a restatement changed a value")


# ----------------------------------------------------------------------------- the reference
@dataclass
class Series:
    """One reference series: day -> (value, parts), the winning sources, platforms with a
    value on some day."""

    days: dict[date, tuple[float | None, int]]
    sources: set[str]
    platforms: set[str]


def _sum_if_complete(values: list[float | None], expected: int) -> float | None:
    """The sum when every expected part has a value (and there is one); else None."""
    present = [v for v in values if v is not None]
    if not present or len(present) != expected:
        return None
    return float(sum(present))


def _rank(source: str, prefer: tuple[str, ...]) -> int:
    if source in prefer:
        return prefer.index(source) + 1
    if source in ESTIMATES:
        return 2000 + ESTIMATES.index(source) + 1
    return 1000


def reference(
    stored: dict[tuple[Cell, date], int | None],
    request: SeriesRequest,
    start: date | None = None,
) -> tuple[dict[tuple[str, str, str], Series], bool]:
    """The rules, from the stored rows: ({(app, country key, platform key): Series},
    whether a level metric would be summed). Keys are '*' where a dimension is totalled.
    The window is `start` (default the request's start) .. the request's end; the parts a
    complete total needs are those that ever reported a value (any day, not only the window)."""
    start = start or request.start
    by_country, by_platform = request.by_country, request.by_platform
    chosen = [
        (cell, day, value)
        for (cell, day), value in stored.items()
        if cell.app in request.apps
        and (not request.countries or cell.country in request.countries)
        and (not request.platforms or cell.platform in request.platforms)
        and (not request.sources or cell.source in request.sources)
    ]
    rows = [(cell, day, value) for cell, day, value in chosen if start <= day <= request.end]
    ever = [cell for cell, _, value in chosen if value is not None]
    all_countries = not request.countries and not by_country

    def ck(cell: Cell) -> str:
        return cell.country if by_country else "*"

    # 1. countries, per app, source, platform, listing and country key
    groups: dict[tuple, dict[date, list[tuple[Cell, int | None]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    expected: dict[tuple, set[str]] = defaultdict(set)
    for cell, day, value in rows:
        key = (cell.app, cell.source, cell.platform, cell.identifier, ck(cell))
        groups[key][day].append((cell, value))
    for cell in ever:
        if not (all_countries and cell.country == "WW"):
            key = (cell.app, cell.source, cell.platform, cell.identifier, ck(cell))
            expected[key].add(cell.country)
    step1: dict[tuple, dict[date, tuple[float | None, int]]] = defaultdict(dict)
    for key, per_day in groups.items():
        for day, found in per_day.items():
            ww = [v for c, v in found if all_countries and c.country == "WW" and v is not None]
            if ww:
                step1[key][day] = (float(ww[0]), 1)
                continue
            values = [v for c, v in found if not (all_countries and c.country == "WW")]
            parts = sum(v is not None for v in values)
            step1[key][day] = (_sum_if_complete(values, len(expected[key])), parts)

    # 2. store listings of one app, per source and platform
    listings: dict[tuple, dict[date, list[tuple[float | None, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    expected_listings: dict[tuple, set[str]] = defaultdict(set)
    for (app, source, platform, _identifier, c), per_day in step1.items():
        for day, (value, parts) in per_day.items():
            listings[(app, source, platform, c)][day].append((value, parts))
    for cell in ever:
        expected_listings[(cell.app, cell.source, cell.platform, ck(cell))].add(cell.identifier)
    # 3. one source per platform, country scope and day
    candidates: dict[tuple, list[tuple[str, float | None, int]]] = defaultdict(list)
    for (app, source, platform, c), per_day in listings.items():
        for day, found in per_day.items():
            value = _sum_if_complete(
                [v for v, _ in found], len(expected_listings[(app, source, platform, c)])
            )
            parts = sum(p for _, p in found)
            candidates[(app, platform, c, day)].append((source, value, parts))
    winners: dict[tuple, tuple[str, float | None, int]] = {}
    for key, found in candidates.items():
        winners[key] = min(found, key=lambda s: (s[1] is None, _rank(s[0], request.prefer), s[0]))

    # 4. platforms
    out: dict[tuple[str, str, str], Series] = {}
    per_series: dict[tuple, dict[date, list[tuple[str, str, float | None, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (app, platform, c, day), (source, value, parts) in winners.items():
        pk = platform if by_platform else "*"
        per_series[(app, c, pk)][day].append((platform, source, value, parts))
    expected_platforms: dict[tuple, set[str]] = defaultdict(set)
    for cell in ever:
        pk = cell.platform if by_platform else "*"
        expected_platforms[(cell.app, ck(cell), pk)].add(cell.platform)
    for key, per_day in per_series.items():
        platforms = expected_platforms[key]
        series = Series({}, set(), platforms)
        for day, found in per_day.items():
            value = _sum_if_complete([v for _, _, v, _ in found], len(platforms))
            series.days[day] = (value, sum(p for _, _, _, p in found))
            series.sources.update(s for _, s, _, _ in found)
        out[key] = series
    summed_level = KIND[request.metrics[0]] == "level" and any(
        parts > 1 for s in out.values() for _, parts in s.days.values()
    )
    return out, summed_level


# ----------------------------------------------------------------------------- requests
@st.composite
def requests(draw: st.DrawFn, world: World) -> SeriesRequest:
    apps = draw(st.sampled_from([[n] for n in world.apps] + [list(world.apps)]))
    countries = draw(
        st.one_of(
            st.just([]),
            st.sampled_from(COUNTRIES).map(lambda c: [c]),
            st.lists(st.sampled_from(NATIONS), min_size=2, max_size=3, unique=True),
        )
    )
    platforms = draw(st.sampled_from([[], ["ios"], ["android"]]))
    sources = draw(
        st.one_of(
            st.just([]), st.lists(st.sampled_from(ALL_SOURCES), min_size=1, max_size=2, unique=True)
        )
    )
    prefer = draw(
        st.one_of(
            st.none(), st.lists(st.sampled_from(ALL_SOURCES), min_size=1, max_size=5, unique=True)
        )
    )
    first = draw(st.integers(0, len(world.days) - 1))
    last = draw(st.integers(first, len(world.days) - 1))
    split = st.sampled_from([None, None, None, True, False])
    return SeriesRequest.build(
        apps,
        [world.metric],
        world.days[first],
        world.days[last],
        countries=countries,
        platforms=platforms,
        sources=sources,
        prefer=prefer,
        split_countries=draw(split),
        split_platforms=draw(split),
    )


def _describe(request: SeriesRequest) -> str:
    return (
        f"apps={request.apps} metric={request.metrics} {request.start}..{request.end} "
        f"countries={request.countries} platforms={request.platforms} "
        f"sources={request.sources} prefer={request.prefer} "
        f"by_country={request.by_country} by_platform={request.by_platform}"
    )


def core_series(frame, request: SeriesRequest) -> dict[tuple[str, str, str], dict]:
    """The labelled frame of ``totals.load`` as {(app, country key, platform key): rows}."""
    out: dict[tuple[str, str, str], dict] = defaultdict(
        lambda: {"days": {}, "source": set(), "platform": set(), "country": set()}
    )
    for row in frame.iter_rows(named=True):
        key = (
            row["app"],
            row["country"] if request.by_country else "*",
            row["platform"] if request.by_platform else "*",
        )
        assert row["date"] not in out[key]["days"], f"two rows for {key} on {row['date']}"
        out[key]["days"][row["date"]] = (row["value"], row["parts"])
        out[key]["source"].add(row["source"])
        out[key]["platform"].add(row["platform"])
        out[key]["country"].add(row["country"])
    return out


def check_request(db: Path, stored: dict, request: SeriesRequest) -> None:
    note(_describe(request))
    want, summed_level = reference(stored, request)
    if summed_level:
        event("level summed: refused")
        with pytest.raises(UsageError, match="is a level"):
            totals.load(db, request)
        return
    frame, kinds, _ = totals.load(db, request)
    assert kinds == {request.metrics[0]: KIND[request.metrics[0]]}
    got = core_series(frame, request)
    assert set(got) == set(want), (sorted(got), sorted(want))
    for key, series in want.items():
        found = got[key]
        # values per day (None where a part is missing); parts where a sum was formed
        assert {d: v for d, (v, _) in found["days"].items()} == {
            d: v for d, (v, _) in series.days.items()
        }, key
        assert {d: p for d, (v, p) in found["days"].items() if v is not None} == {
            d: p for d, (v, p) in series.days.items() if v is not None
        }, key
        # one label per series: the sources used, the platforms and country it covers
        assert found["source"] == {"+".join(sorted(series.sources))}, key
        if request.by_platform:
            assert found["platform"] == {key[2]}
        elif series.platforms:
            assert found["platform"] == {"+".join(sorted(series.platforms))}, key
        if request.by_country:
            assert found["country"] == {key[1]}
        assert len(found["country"]) == 1
        if any(v is None for v, _ in series.days.values()):
            event("a day is NULL (part missing)")
        if len(series.sources) > 1:
            event("several sources won")
        if not request.by_country and not request.countries:
            event("all countries")


# ----------------------------------------------------------------------------- properties
def test_worldwide_with_countries_is_refused(tmp_path: Path) -> None:
    cell = Cell("com.alpha", "com.alpha", "android", "US", "google_play")
    world = World(
        "uninstalls",
        (DAY0,),
        ("com.alpha",),
        (),
        ((cell, DAY0, 3), (replace(cell, country="WW"), DAY0, 5)),
        (),
    )
    db = build(world, tmp_path)
    request = SeriesRequest.build(["com.alpha"], ["uninstalls"], DAY0, DAY0, countries=["WW", "US"])
    with pytest.raises(UsageError, match="WW \\(worldwide\\) already contains US"):
        totals.load(db, request)
    # WW alone, and split per country, are fine
    alone = SeriesRequest.build(["com.alpha"], ["uninstalls"], DAY0, DAY0, countries=["WW"])
    assert totals.load(db, alone)[0].get_column("value").to_list() == [5.0]
    split = SeriesRequest.build(
        ["com.alpha"], ["uninstalls"], DAY0, DAY0, countries=["WW", "US"], split_countries=True
    )
    frame = totals.load(db, split)[0]
    assert dict(zip(frame["country"], frame["value"], strict=True)) == {"US": 3.0, "WW": 5.0}


# ----------------------------------------------------------------------------- surfaces
def _cli_json(db: Path, args: list[str]) -> tuple[int, list[dict]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["series", *args, "--format", "json", "--db", str(db)])
    return code, json.loads(out.getvalue()) if code == 0 else []


def _non_null(pairs: Iterable[tuple[date, float | None]]) -> dict[date, float]:
    return {d: float(v) for d, v in pairs if v is not None}


def check_surfaces(db: Path, world: World, data: st.DataObject) -> None:
    """One app and metric: reference, CLI JSON, Explore numbers, CSV export, chart hover and
    ``daily_totals`` give the same value per day. The range ends on the last day imported, so
    every surface reads the same window (the answer's look-back covers the earlier days)."""
    stored = world.stored()
    app = data.draw(st.sampled_from(world.apps))
    country = data.draw(st.sampled_from([None, None, None, *COUNTRIES]))
    platform = data.draw(st.sampled_from([None, None, *PLATFORMS]))
    prefer = data.draw(
        st.one_of(
            st.none(), st.lists(st.sampled_from(ALL_SOURCES), min_size=1, max_size=3, unique=True)
        )
    )
    start = data.draw(st.sampled_from(world.days))
    end = world.days[-1]
    metric = world.metric
    request = SeriesRequest.build(
        [app], [metric], start, end, countries=country, platforms=platform, prefer=prefer
    )
    note(_describe(request))
    want, summed_level = reference(stored, request, start=world.days[0])
    assert len(want) <= 1
    series = next(iter(want.values()), Series({}, set(), set()))
    expected = _non_null((d, v) for d, (v, _) in series.days.items() if d >= start)

    args = ["--app", app, "--metric", metric, "--start", str(start), "--end", str(end)]
    args += ["--country", country] if country else []
    args += ["--platform", platform] if platform else []
    args += ["--prefer", ",".join(prefer)] if prefer else []
    state = views.ExploreState(
        apps=[app],
        metrics=[metric],
        countries=[country] if country else [],
        platforms=[platform] if platform else [],
        start=start,
        end=end,
        prefer=list(prefer or []),
    )
    assert state.request() == request
    code, rows = _cli_json(db, args)
    if summed_level:
        event("level summed: refused")
        assert code == 1
        with pytest.raises(UsageError, match="is a level"):
            answer.answer(db, state.request())
        return
    if not expected:
        event("nothing to show")
        assert code == 1  # "No observations of ..."
    else:
        assert code == 0
    result = answer.answer(db, state.request())
    numbers = views.table_numbers(result.results)
    explore = [(d, v) for d, v in numbers.select("date", "value").iter_rows()]
    if rows:
        cli_pairs = [(date.fromisoformat(r["date"]), r["value"]) for r in rows]
        assert cli_pairs == explore
    assert _non_null(explore) == expected

    parsed = list(csv.DictReader(io.StringIO(to_csv_bytes(numbers).decode("utf-8"))))
    from_csv = [
        (date.fromisoformat(r["date"]), float(r["value"]) if r["value"] else None) for r in parsed
    ]
    assert from_csv == explore

    if result.results.height:
        figure = explore_figure(result.results)
        traces = [t for t in figure.data if t.meta and t.meta.get("role") == "value"]
        assert len(traces) == 1
        hover = {row[4]: row[1] for row in traces[0].customdata}
        assert hover == {fmt_date(d): fmt_value(v) for d, v in explore}

    if prefer is None:  # the view has the default precedence
        with store.connect(db) as con:
            found = con.execute(
                "select date, value, parts from daily_totals where app = ? and metric = ? "
                "and country = ? and platform = ? and date >= ?",
                [app, metric, country or "all", platform or "all", start],
            ).fetchall()
        assert _non_null((d, v) for d, v, _ in found) == expected
        assert {d: p for d, v, p in found if v is not None} == {
            d: p for d, (v, p) in series.days.items() if v is not None and d >= start
        }


@settings(SETTINGS, max_examples=30)
@given(world=worlds(), data=st.data())
def test_totals_follow_the_rules_and_surfaces_agree(world: World, data: st.DataObject) -> None:
    stored = world.stored()
    note(f"stored: {sorted(stored.items())}")
    coverage_events(world, stored)
    with built(world) as db:
        for request in data.draw(st.lists(requests(world), min_size=4, max_size=6)):
            check_request(db, stored, request)
        check_surfaces(db, world, data)
