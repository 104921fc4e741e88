"""Event annotations from other tools' exports, stored through `pipelines.events.import_events`.

Appfigures events (`GET /v2/events`, fields `caption`, `date`, `details`, `products`): a JSON
array of event objects, or an object keyed by event id. `caption` -> title, `details` ->
description, `date` (yyyy-mm-dd, a time part is dropped) -> a point event; `products` (ids, or
objects with `id`/`name`) -> the event's apps: a product id installpulse already knows as an
identifier becomes that app's name, else the product's name if the export carries it, else the
id itself (alias it later with `installpulse apps alias`). No products = an all-app event.
Every event is tagged `appfigures`. All-or-nothing, every problem located by line.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pipelines import sources, sql, store
from pipelines.adapters import jsontext
from pipelines.adapters.base import IngestOptions
from pipelines.auth import Actor
from pipelines.errors import ImportFailed, Problem, UsageError

# The annotation CSV's own checks, so both import paths accept exactly the same events.
from pipelines.events import Event, _check, _parse_date, import_events

FORMAT = "appfigures-events"


def _known_names(db: Path | str | None, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    with store.connect(db) as con:
        rows = sql.run_text(
            con,
            "select i.identifier, a.name from identifiers i join apps a using (app_id) "
            "where i.identifier in (select unnest($ids))",
            ids=sorted(ids),
        )
    return {identifier: name for identifier, name in rows}


def _products(value: Any) -> list[tuple[str, str | None]]:
    """(id, name hint) for each product reference."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            ident = item.get("id") or item.get("product_id")
            out.append((str(ident) if ident is not None else "", item.get("name")))
        else:
            out.append((str(item), None))
    return out


def parse_appfigures(path: Path, name: str, db: Path | str | None = None) -> list[Event]:
    """Events from an Appfigures events JSON file (decoded by sources.prepare)."""
    with tempfile.TemporaryDirectory(prefix="installpulse-") as tmp:
        src = sources.prepare(path, name, Path(tmp), IngestOptions())
        data, by_line = jsontext.load(src)
    if isinstance(data, dict) and not {"caption", "date"} & set(data):
        records = list(data.values())
    elif isinstance(data, dict):
        records = [data]
    else:
        records = data if isinstance(data, list) else []
    problems: list[Problem] = []
    parsed: list[tuple[int, dict, list[tuple[str, str | None]]]] = []
    for position, record in enumerate(records, start=1):
        if not isinstance(record, jsontext.LinedDict):
            problems.append(Problem(f"event {position} is not a JSON object."))
            continue
        parsed.append(
            (jsontext.record_position(record, by_line), record, _products(record.get("products")))
        )
    known = _known_names(db, {pid for _, _, prods in parsed for pid, _ in prods if pid})
    events: list[Event] = []
    for at, record, prods in parsed:
        date_text = jsontext.day_text(record.get("date"))
        start = _parse_date(date_text if isinstance(date_text, str) else "", at, "date", problems)
        apps = [known.get(pid) or hint or pid for pid, hint in prods if pid or hint]
        if start is None:
            continue
        try:
            events.append(
                _check(
                    Event(
                        start_date=start,
                        title=str(record.get("caption") or ""),
                        description=str(record.get("details") or ""),
                        tags=["appfigures"],
                        apps=[str(a) for a in apps],
                    )
                )
            )
        except UsageError as exc:
            problems.append(Problem(str(exc), line=at, value=str(record.get("caption") or "")[:60]))
    if problems:
        if not by_line:
            problems = [
                Problem(
                    p.message + " (the JSON is on one line: 'line' is the event number)",
                    p.line,
                    p.column,
                    p.value,
                    p.hint,
                )
                for p in problems
            ]
        raise ImportFailed(name, problems)
    if not events:
        raise ImportFailed(name, [Problem("no events in the file.", line=1)])
    return events


def import_appfigures(
    path: Path | str,
    db: Path | str | None = None,
    name: str | None = None,
    actor: Actor | None = None,
) -> tuple[str, int, int]:
    """Parse and store as one undoable import: (status, import id, count); `actor` as in
    events.import_events."""
    path = Path(path)
    display = sources.display_name(name or path.name)
    parsed = parse_appfigures(path, display, db)
    return import_events(parsed, display, path.read_bytes(), FORMAT, db, actor)
