"""What every page shares: the database path, cached reads keyed by the data version, the
sidebar, and showing installpulse errors as sentences.

Caching is only here, at the UI edge (STYLE.md lesson 9): results are keyed by their inputs
and by `data_version`, which changes on every import, undo, alias and event edit, so a rerun
never re-reads a table that did not change and never shows stale data after an import.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from analytics import formatting
from charts import export
from pipelines import csvout, events, ops, reads, recovery, settings, snapshots, store
from pipelines.errors import DatabaseBusy, InstallpulseError
from semantic import answer, views
from semantic import impact as semantic_impact
from semantic.impact import ImpactAnswer, ImpactRequest
from semantic.request import SeriesRequest


def db_path() -> Path:
    return settings.db_path()


class _Run(threading.local):
    """What one rerun of this thread remembered: the data version it read and the write
    generation it read it at (`begin_run`/`end_run` around the script's body)."""

    active = False
    version: str | None = None
    generation = -1


_run = _Run()


def begin_run() -> None:
    """(main(), first) From here to `end_run`, `data_version` queries the store once.

    Each cached read of a rerun asks for the version (5 times on Explore), and on a shared
    server those queries were a tenth of a rerun's CPU. One rerun then also reads one state
    of the data throughout, even if another process imports in the middle of it. A write by
    this process (an import, undo or event edit from a page) moves
    ``store.write_lock.generation``, so the rest of that rerun reads the version anew."""
    _run.active, _run.version = True, None


def end_run() -> None:
    """(main(), last) Forget the version: widget callbacks, which Streamlit runs before the
    next rerun's body in this same thread, read it anew."""
    _run.active, _run.version = False, None


def data_version() -> str:
    """Cheap (one small query): read every rerun so caches see imports from any process;
    once per rerun inside `begin_run`/`end_run`.

    The app reads from read snapshots (pipelines/snapshots.py): turning them on here (a folder
    next to the database; nothing where that folder is read-only) makes every writer of the
    file publish one, and every page read use the newest, never waiting for an import. All
    sessions share one read-only connection per snapshot (a cursor each), held by the
    process's Store rather than by st.cache_resource, so the CLI's reads share it too."""
    remembered = _run.version
    if remembered is not None and _run.generation == store.write_lock.generation:
        return remembered
    db = db_path()
    snapshots.enable(db)
    generation = store.write_lock.generation
    version = reads.data_version(db)
    if _run.active:
        _run.version, _run.generation = version, generation
    return version


@st.cache_data(max_entries=64, show_spinner=False)
def _holdings(db: str, version: str) -> pl.DataFrame:
    return reads.holdings(db)


@st.cache_data(max_entries=64, show_spinner=False)
def _totals(db: str, version: str) -> dict:
    return reads.totals(db)


@st.cache_data(max_entries=64, show_spinner=False)
def _options(db: str, version: str) -> dict:
    return reads.filter_options(db)


# The two caches of Explore's answer keep the objects themselves (st.cache_resource), not
# pickles of them (st.cache_data): st.cache_data pickled every new answer and unpickled a copy
# on every hit, polars frames through their own serialisation, about 6% of the CPU of 25
# sessions changing filters (a py-spy profile of the server, benchmarks/bench_load.py). What
# they hold is never changed after it is made: frozen dataclasses of polars frames, whose
# methods all return new frames; tests/app/test_shared_answers.py checks a page run leaves a
# cached answer as it found it.
@st.cache_resource(max_entries=64, show_spinner=False)
def _reading(db: str, version: str, key: tuple, _request: SeriesRequest) -> answer.Reading:
    # keyed by answer.read_key(_request): the request but its baseline method (which only
    # moves the first day read, part of the key); 64 entries: 25 sessions flipping baselines
    # come back to a reading after 25-50 other sessions' reruns
    return answer.read(db, _request)


@st.cache_resource(max_entries=32, show_spinner=False)
def _answer_shown(
    db: str, version: str, request: SeriesRequest
) -> tuple[answer.Answer, pl.DataFrame]:
    reading = _reading(db, version, answer.read_key(request), request)
    found = answer.from_reading(reading, request)
    return found, formatting.display_frame(views.table_numbers(found.results))


@st.cache_data(max_entries=32, show_spinner=False)
def _study(
    db: str, version: str, request: SeriesRequest, day: date, pre: int, post: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    return answer.study(db, request, day, pre=pre, post=post)


@st.cache_data(max_entries=32, show_spinner=False)
def _impact(db: str, version: str, request: ImpactRequest) -> ImpactAnswer:
    return semantic_impact.impact(db, request)


@st.cache_data(max_entries=16, show_spinner=False)
def _recent(db: str, version: str, start: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    # ids and values, plus the names once per series (not on each of 2M rows at L)
    values, names = reads.recent_values(db, start, date.max, lookback_days=0)
    # Nothing else is read for a while: close the lingering connection (if idle), which frees
    # DuckDB's cache of the table it scanned (about 140 MB at 40,000 series) before scoring.
    store.release_idle(db)
    return values, names


@st.cache_data(max_entries=16, show_spinner=False)
def _movers(
    db: str, version: str, read_from: date, fetch_start: date, start: date, end: date, method: str
) -> pl.DataFrame:
    values, names = _recent(db, version, read_from)
    values = values.filter(pl.col("date") >= fetch_start)
    return views.overview_movers(values, start, end, method=method, names=names)


@st.cache_data(max_entries=16, show_spinner=False)
def _episodes(db: str, version: str, read_from: date, since: date, limit: int) -> pl.DataFrame:
    values, names = _recent(db, version, read_from)
    return views.overview_episodes(values, since, limit=limit, names=names)


@st.cache_data(max_entries=16, show_spinner=False)
def _events(db: str, version: str) -> pl.DataFrame:
    return events.list_events(db)


@st.cache_data(max_entries=16, show_spinner=False)
def _imports(db: str, version: str) -> pl.DataFrame:
    return ops.imports(db, limit=500)


@st.cache_data(max_entries=16, show_spinner=False)
def _apps(db: str, version: str) -> pl.DataFrame:
    return ops.apps(db)


@st.cache_data(max_entries=16, show_spinner=False)
def _coverage(db: str, version: str, start: date, end: date, apps: tuple[str, ...]) -> pl.DataFrame:
    # DuckDB aggregates to one row per app, metric, country and month (queries/coverage.sql).
    return reads.coverage(db, start, end, list(apps))


def clear_caches() -> None:
    """Forget every cached result of every page (both kinds of cache above); tests and the
    benchmarks' cold-cache runs call it between runs."""
    st.cache_data.clear()
    st.cache_resource.clear()


def ask_with_table(request: SeriesRequest) -> tuple[answer.Answer, pl.DataFrame]:
    """The answer to a request (semantic.answer.answer, the same call as the CLI's) and its
    numbers as the table shows them (``formatting.display_frame`` of
    ``views.table_numbers``), cached together per request and data version: a change of view
    (absolute, % vs baseline, index) or of the right-hand axis asks the same request, and
    formatting its ~2,000 rows was a fifth of an Explore rerun's CPU. What the request reads
    and its spike peaks (``answer.read``) are cached apart, per ``answer.read_key``: a change
    of baseline reads nothing again and computes only the numbers (``answer.from_reading``;
    ``answer.answer`` is the same two calls)."""
    return _answer_shown(str(db_path()), data_version(), request)


def study(
    request: SeriesRequest, day: date, pre: int, post: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(days, summary) of an event study (semantic.answer.study), cached."""
    return _study(str(db_path()), data_version(), request, day, pre, post)


def impact(request: ImpactRequest) -> ImpactAnswer:
    """The excess over what the days before predicted (semantic.impact.impact, the same call
    as `installpulse impact`), cached per request and data version."""
    return _impact(str(db_path()), data_version(), request)


def movers(read_from: date, fetch_start: date, start: date, end: date, method: str) -> pl.DataFrame:
    """The Overview's top movers: `recent(read_from)` from `fetch_start` on, cached."""
    return _movers(str(db_path()), data_version(), read_from, fetch_start, start, end, method)


def episodes(read_from: date, since: date, limit: int) -> pl.DataFrame:
    """The Overview's latest spike episodes from `recent(read_from)`, cached: scoring every
    series' last 90 days is the page's slowest step and no Overview widget changes it."""
    return _episodes(str(db_path()), data_version(), read_from, since, limit)


def all_events() -> pl.DataFrame:
    return _events(str(db_path()), data_version())


def imports() -> pl.DataFrame:
    return _imports(str(db_path()), data_version())


def apps_table() -> pl.DataFrame:
    return _apps(str(db_path()), data_version())


def coverage(start: date, end: date, apps: Sequence[str]) -> pl.DataFrame:
    """Days with a value per app, metric, country and month of these apps
    (`queries/coverage.sql`)."""
    return _coverage(str(db_path()), data_version(), start, end, tuple(apps))


def holdings() -> pl.DataFrame:
    return _holdings(str(db_path()), data_version())


def totals() -> dict:
    return _totals(str(db_path()), data_version())


def options() -> dict:
    return _options(str(db_path()), data_version())


def is_demo(sources: list[str] | None = None) -> bool:
    """True when the demo's synthetic data is on screen (it must say so wherever it shows)."""
    values = sources if sources is not None else options().get("sources", [])
    return "demo" in values


def demo_notice() -> None:
    st.info(
        "Illustrative demo data: synthetic series calibrated to figures reported from "
        "Sensor Tower and Appfigures in March-April 2026. Not real store data.",
        icon="ℹ️",
    )


def show_error(exc: Exception) -> None:
    """installpulse errors are sentences; show them as text (never as HTML/markdown)."""
    text = md_escape(str(exc))
    if isinstance(exc, DatabaseBusy):
        st.warning(text)
    else:
        st.error(text)


def sidebar() -> None:
    with st.sidebar:
        try:
            info = totals()
        except InstallpulseError as exc:
            show_error(exc)
            return
        lost = recovery.marker(db_path())
        if lost:
            st.warning(
                f"Recovery needed: the database's write-ahead log was corrupt and was set aside "
                f"on {lost['at']}; imports after the last checkpoint may be missing. Run "
                "`installpulse recover --replay` to re-import them from the archive."
            )
        st.caption(f"Database: `{db_path().name}`")
        if info["observations"]:
            st.caption(
                f"{info['apps']} apps · {info['series']:,} series · "
                f"{info['observations']:,} daily values · {info['first_date']} to "
                f"{info['last_date']}"
            )
        else:
            st.caption("The database is empty: import files on the Data page.")
        if is_demo():
            st.caption("Contains the illustrative demo data (synthetic).")


_MD_SPECIAL = frozenset("\\`*_{}[]<>()#+-.!|~$:^&=\"'%@;,/?")


def md_escape(text: object) -> str:
    """User text for st.markdown/st.write: every ASCII punctuation mark backslash-escaped
    (CommonMark shows an escaped mark literally), so links, HTML, emphasis, LaTeX ($),
    emoji shortcodes and Streamlit colour directives (:red[...]) all stay plain text."""
    out = []
    for ch in "" if text is None else str(text):
        if ch in _MD_SPECIAL:
            out.append("\\" + ch)
        elif ch in "\r\n\t":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def query_dict() -> dict[str, list[str]]:
    """The page's query string as lists (repeated keys), e.g. {"apps": ["ChatGPT", "Claude"]}."""
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def _image(publication: Any, fmt: str, options: dict[str, Any]) -> bytes:
    """The image of `publication`: a figure, or a function that makes one (on the click)."""
    figure = publication() if callable(publication) else publication
    return export.export_image(figure, fmt=fmt, **options)


def chart_downloads(
    csv_label: str,
    frame: pl.DataFrame,
    publication: Any,
    stem: str,
    key: str,
    *,
    say_why: bool = True,
    **image_options: Any,
) -> None:
    """The three buttons under a chart: the CSV of the numbers behind it (formula-safe, through
    pipelines.csvout; made on click) and the publication image as PNG and SVG (`publication`:
    the figure, or a function that makes it; made on click by kaleido with the system Chromium;
    where there is no browser, a sentence says why instead). One place for every page, so their
    downloads behave and are named alike (keys ``<key>_csv/png/svg``).
    """
    c1, c2, c3 = st.columns(3)
    # The CSV too is made on the click (a callable): formatting every value of the frame was a
    # tenth of an Explore rerun's CPU, paid whether or not anyone downloads.
    c1.download_button(
        csv_label,
        functools.partial(csvout.to_csv_bytes, frame),
        file_name=stem + ".csv",
        mime="text/csv",
        on_click="ignore",
        key=f"{key}_csv",
    )
    ok, why = export.browser_available()
    if not ok:
        if say_why:
            st.info(why)
        return
    for column, fmt, mime in ((c2, "png", "image/png"), (c3, "svg", "image/svg+xml")):
        column.download_button(
            f"Download {fmt.upper()}",
            functools.partial(_image, publication, fmt, image_options),
            file_name=f"{stem}.{fmt}",
            mime=mime,
            on_click="ignore",
            key=f"{key}_{fmt}",
        )
