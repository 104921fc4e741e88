"""Event annotations: the timeline charts are read against.

Events are point (start = end) or range; scoped to all apps (no rows in event_apps) or some;
tagged; optionally marked as having an approximate date. CSV import is all-or-nothing with
located errors, idempotent by content hash and undoable like any import; export writes the
same CSV with formula-injection escaping of text cells.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines import auth, csvout, settings, sources, sql, store
from pipelines.adapters import csvtext
from pipelines.errors import ImportFailed, Problem, UsageError
from pipelines.ops import normalise_name, transaction

CSV_COLUMNS = ("start_date", "end_date", "title", "description", "tags", "apps")
MAX_TITLE = 200
MAX_DESCRIPTION = 5000


@dataclass
class Event:
    """One annotation as typed or imported."""

    start_date: date
    title: str
    end_date: date | None = None
    description: str = ""
    tags: list[str] = field(default_factory=list)
    apps: list[str] = field(default_factory=list)
    is_approximate: bool = False


def _clean_text(text: str, limit: int, what: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise UsageError(f"The {what} contains control characters; remove them.")
    if len(text) > limit:
        raise UsageError(f"The {what} is {len(text):,} characters; the limit is {limit:,}.")
    return text


def _check(event: Event) -> Event:
    title = _clean_text(event.title, MAX_TITLE, "title")
    if not title:
        raise UsageError("An event needs a title.")
    description = _clean_text(event.description, MAX_DESCRIPTION, "description")
    end = event.end_date or event.start_date
    if end < event.start_date:
        raise UsageError("An event's end date cannot be before its start date.")
    tags = sorted({_clean_text(t, 40, "tag").lower() for t in event.tags if t and t.strip()})
    apps = sorted({normalise_name(a) for a in event.apps if a and a.strip()})
    return Event(event.start_date, title, end, description, tags, apps, event.is_approximate)


def _set_apps(con, event_id: int, apps: list[str]) -> None:
    sql.run_text(con, "delete from event_apps where event_id = $id", id=event_id)
    for name in apps:
        sql.run_text(
            con,
            "insert into apps (app_id, name) select coalesce(max(app_id), 0) + 1, $name from apps "
            "having not exists (select 1 from apps where name = $name)",
            name=name,
        )
        sql.run_text(
            con,
            "insert into event_apps select $id, app_id from apps where name = $name",
            id=event_id,
            name=name,
        )


def _insert(con, event: Event, import_id: int | None, who: str) -> int:
    row = sql.run(
        con,
        "events_insert",
        start_date=event.start_date,
        end_date=event.end_date,
        title=event.title,
        description=event.description,
        tags=event.tags,
        is_approximate=event.is_approximate,
        import_id=import_id,
        actor=who,
    )
    event_id = int(row[0][0])
    _set_apps(con, event_id, event.apps)
    return event_id


def add(event: Event, db: Path | str | None = None, actor: auth.Actor | None = None) -> int:
    """Store a new event; `actor` (default: the local admin) must be allowed to annotate and
    is recorded as its author."""
    who = auth.require(actor, "annotate").id
    event = _check(event)
    with transaction(db) as con:
        return _insert(con, event, None, who)


def update(
    event_id: int, event: Event, db: Path | str | None = None, actor: auth.Actor | None = None
) -> None:
    """Rewrite an event; `actor` is recorded as its last editor."""
    who = auth.require(actor, "annotate").id
    event = _check(event)
    with transaction(db) as con:
        done = sql.run(
            con,
            "events_update",
            event_id=event_id,
            start_date=event.start_date,
            end_date=event.end_date,
            title=event.title,
            description=event.description,
            tags=event.tags,
            is_approximate=event.is_approximate,
            actor=who,
        )
        if not done:
            raise UsageError(f"There is no event #{event_id}.")
        _set_apps(con, event_id, event.apps)


def delete(event_id: int, db: Path | str | None = None, actor: auth.Actor | None = None) -> None:
    """Delete an event, if `actor` may annotate (a deleted event keeps no row to record who)."""
    auth.require(actor, "annotate")
    with transaction(db) as con:
        sql.run_text(con, "delete from event_apps where event_id = $id", id=event_id)
        done = sql.run_text(con, "select 1 from events where event_id = $id", id=event_id)
        sql.run_text(con, "delete from events where event_id = $id", id=event_id)
        if not done:
            raise UsageError(f"There is no event #{event_id}.")


def list_events(
    db: Path | str | None = None,
    start: date | None = None,
    end: date | None = None,
    app: str | None = None,
    tag: str | None = None,
    text: str | None = None,
) -> pl.DataFrame:
    """Events overlapping [start, end], for one app (or all-app events), a tag, a search text."""
    with store.connect(db) as con:
        return sql.frame(
            con,
            "events_list",
            start=start or date(1900, 1, 1),
            end=end or date(2999, 12, 31),
            app=app,
            tag=tag.lower() if tag else None,
            text=f"%{text.lower()}%" if text else None,
        )


def _parse_date(text: str, line: int, column: str, problems: list[Problem]) -> date | None:
    text = (text or "").strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        problems.append(
            Problem(
                "not an ISO date (YYYY-MM-DD).",
                line=line,
                column=column,
                value=text,
                hint="Write dates as 2026-02-28.",
            )
        )
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem("not a real date.", line=line, column=column, value=text))
        return None


def parse_csv(text: str, name: str) -> list[Event]:
    """Events from the annotation CSV; every problem located, nothing partial."""
    csvtext.long_fields()  # a 140 KB description is refused at its line, not by csv.Error
    reader = csv.reader(io.StringIO(text))
    try:
        return _parse_rows(reader, name)
    except csv.Error as exc:
        raise ImportFailed(
            name,
            [
                Problem(
                    f"not readable as CSV ({exc}).",
                    line=reader.line_num or 1,
                    hint="Save the file as plain CSV (comma-separated, UTF-8).",
                )
            ],
        ) from None


def _parse_rows(reader: Any, name: str) -> list[Event]:
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(name, [Problem("empty file.")]) from None
    keys = [h.replace("\ufeff", "").strip().lower().replace(" ", "_") for h in header]
    missing = [c for c in ("start_date", "title") if c not in keys]
    if missing:
        raise ImportFailed(
            name,
            [
                Problem(
                    f"missing column(s) {', '.join(missing)}; the annotation CSV has "
                    f"{', '.join(CSV_COLUMNS)}.",
                    line=1,
                )
            ],
        )
    events: list[Event] = []
    problems: list[Problem] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(keys):
            problems.append(
                Problem(
                    f"{len(row)} fields, the header has {len(keys)}.",
                    line=line,
                    hint="Quote text that contains commas.",
                )
            )
            continue
        cells = dict(zip(keys, row, strict=True))
        start = _parse_date(cells.get("start_date", ""), line, "start_date", problems)
        end_text = cells.get("end_date", "").strip()
        end = _parse_date(end_text, line, "end_date", problems) if end_text else start
        tags = [t for t in re.split(r"[;|]", cells.get("tags", "")) if t.strip()]
        approx = "approximate" in {t.strip().lower() for t in tags}
        event = Event(
            start or date.min,
            cells.get("title", ""),
            end,
            cells.get("description", ""),
            tags,
            [a for a in re.split(r"[;|]", cells.get("apps", "")) if a.strip()],
            approx,
        )
        if start is None or (end_text and end is None):
            continue
        try:
            events.append(_check(event))
        except UsageError as exc:
            problems.append(Problem(str(exc), line=line, value=cells.get("title", "")[:60]))
    if problems:
        raise ImportFailed(name, problems, shown=settings.get_int("INSTALLPULSE_MAX_ERRORS_SHOWN"))
    if not events:
        raise ImportFailed(name, [Problem("no events in the file (only a header).", line=1)])
    return events


def import_events(
    events: list[Event],
    name: str,
    payload: bytes,
    fmt: str,
    db: Path | str | None = None,
    actor: auth.Actor | None = None,
) -> tuple[str, int, int]:
    """Store parsed events as one import: (status, import id, count). `actor` must be allowed
    to import; it is recorded as who imported and as the events' author."""
    who = auth.require(actor, "import").id
    with transaction(db) as con:
        return store_import(con, events, name, payload, fmt, who)


def store_import(
    con: duckdb.DuckDBPyConnection,
    events: list[Event],
    name: str,
    payload: bytes,
    fmt: str,
    who: str,
) -> tuple[str, int, int]:
    """`import_events` inside the caller's transaction (the demo loads its events with its
    rows, in one transaction); `who` is the actor id, already allowed by the caller."""
    digest = hashlib.sha256(payload).hexdigest()
    previous = sql.run(con, "history_by_hash", sha256=digest)
    if previous:
        return "already imported", int(previous[0][0]), 0
    import_id = int(
        sql.run(
            con,
            "history_insert",
            file_name=name,
            sha256=digest,
            format=fmt,
            status="running",
            options=json.dumps({}),
            encoding="utf-8",
            actor=who,
        )[0][0]
    )
    for event in events:
        _insert(con, event, import_id, who)
    dates = [e.start_date for e in events]
    sql.run(
        con,
        "history_ok",
        import_id=import_id,
        rows=len(events),
        replaced=0,
        series=0,
        first_date=min(dates),
        last_date=max(dates),
        format=fmt,
    )
    return "imported", import_id, len(events)


def import_csv(
    path: Path | str,
    db: Path | str | None = None,
    name: str | None = None,
    actor: auth.Actor | None = None,
) -> tuple[str, int, int]:
    path = Path(path)
    display = sources.display_name(name or path.name)
    payload = path.read_bytes()
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            display, [Problem("is not UTF-8 text.", hint="Save the CSV as UTF-8.")]
        ) from exc
    return import_events(parse_csv(text, display), display, payload, "events-csv", db, actor)


def export_csv(db: Path | str | None = None, line_end: str = csvout.LF) -> bytes:
    """Every event as the annotation CSV that `import_csv` reads back, through the one CSV
    writer (formula-escaped text cells); the end date is empty for a one-day event."""
    frame = list_events(db).select(
        pl.col("start_date"),
        pl.when(pl.col("end_date") != pl.col("start_date")).then(pl.col("end_date")),
        pl.col("title", "description"),
        pl.col("tags").fill_null([]),
        pl.col("apps").fill_null([]),
    )
    return csvout.to_csv_bytes(frame.select(CSV_COLUMNS), line_end)
