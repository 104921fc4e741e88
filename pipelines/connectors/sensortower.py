"""Sensor Tower connector: `GET /v1/{ios|android|unified}/sales_report_estimates`.

Parameters (Sensor Tower's API docs are behind a customer login; these are the ones its public
OpenAPI examples and the sensortowerR package use): `app_ids` (comma-separated, batched here
BATCH at a time), `countries`, `date_granularity=daily`, `start_date`, `end_date`,
`auth_token`. The answer is a JSON array of flat records, no paging; windows of WINDOW_DAYS
keep each answer small.

Each answer is split by app (`aid`, or `app_id` for unified) into one JSON array per app and
window, the records as they came (same keys, same order, numbers written exactly as received),
so every file is what the `sensortower` adapter imports and the app's last day held is its
own. An app with no records in a window yields no file (an empty 200 means no estimates yet).
The token is a query parameter: messages show the path only (connectors/http.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from pipelines import settings
from pipelines.connectors.base import ConnectorError, Fetched, SecretRef

BATCH = 25
WINDOW_DAYS = 7
FIRST_SYNC_DAYS = 30
APP_KEYS = ("aid", "app_id")
DAY_KEYS = ("d", "date")


def dump_exact(value: Any) -> str:
    """JSON text with Decimal numbers written as received (json.dumps would need floats)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)}: {dump_exact(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump_exact(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _windows(start: date, end: date) -> Iterator[tuple[date, date]]:
    while start <= end:
        stop = min(end, start + timedelta(days=WINDOW_DAYS - 1))
        yield start, stop
        start = stop + timedelta(days=1)


def _key(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in record:
            return record[key]
    return None


class SensorTower:
    """One Sensor Tower connection (config: os, countries, start; the token by reference)."""

    kind: ClassVar[str] = "sensortower"

    def __init__(self, config: dict[str, Any], secret: SecretRef) -> None:
        from pipelines.connectors.http import Api

        self.config = config
        self.secret = secret
        self.os = config.get("os", "ios")
        self.countries = config.get("countries") or ["US"]
        self.say: Callable[[str], None] | None = None
        self.api = Api(
            "Sensor Tower",
            settings.get("INSTALLPULSE_SENSORTOWER_API"),
            on_wait=lambda line: self.say(line) if self.say else None,
        )

    def _get(self, apps: Sequence[str], start: date, end: date) -> list[dict[str, Any]]:
        token = self.secret.resolve()
        reply = self.api.request(
            "GET",
            f"/v1/{self.os}/sales_report_estimates",
            params={
                "app_ids": ",".join(apps),
                "countries": ",".join(self.countries),
                "date_granularity": "daily",
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "auth_token": token,
            },
        )
        if reply.status == 401:
            raise ConnectorError(
                f"Sensor Tower refused the token (401 Unauthorized); check the token in the "
                f"{self.secret.describe()} (Sensor Tower > Account Settings > API Token) and "
                "run the sync again."
            )
        if reply.status == 403:
            raise ConnectorError(
                f"Sensor Tower answered 403 Forbidden for {self.os} estimates: the token's "
                "plan does not include this endpoint or these apps; ask the account owner."
            )
        if reply.status == 404:
            raise ConnectorError(
                f"Sensor Tower answered 404 for /v1/{self.os}/sales_report_estimates; check "
                "the connection's --os and INSTALLPULSE_SENSORTOWER_API."
            )
        if reply.status in (400, 422):
            detail = ""
            try:
                body = reply.json()
                if isinstance(body, dict):
                    detail = str(body.get("errors") or body.get("error") or "")[:200]
            except ConnectorError:
                pass
            raise ConnectorError(
                f"Sensor Tower refused the request ({reply.status}{': ' + detail if detail else ''}"
                f"); check the app ids {', '.join(apps)} and countries "
                f"{', '.join(self.countries)} of the connection."
            )
        if reply.status != 200:
            raise ConnectorError(
                f"Sensor Tower answered {reply.status} {reply.reason}; try the sync again later."
            )
        if not reply.body.strip():
            return []
        try:
            data = json.loads(reply.body.decode("utf-8"), parse_float=Decimal)
        except (UnicodeError, ValueError) as exc:
            raise ConnectorError(
                "Sensor Tower answered 200 with a body that is not JSON; try again later."
            ) from exc
        if not isinstance(data, list):
            raise ConnectorError(
                "Sensor Tower answered 200 with JSON that is not a list of estimate records; "
                "check INSTALLPULSE_SENSORTOWER_API."
            )
        return data

    def test(self) -> str:
        apps = list(self.config.get("apps") or [])[:1]
        from pipelines.sync import last_full_day

        day = last_full_day() - timedelta(days=2)
        records = self._get(apps, day, day)
        return (
            f"Sensor Tower accepted the token; {len(records)} {self.os} estimate record(s) for "
            f"{apps[0] if apps else 'no app'} on {day}."
        )

    def fetch(
        self,
        apps: Sequence[str],
        since: date | None,
        until: date,
        workdir: Path,
        *,
        known: Container[str] = frozenset(),
    ) -> Iterator[Fetched]:
        if since is None:
            configured = self.config.get("start")
            since = (
                date.fromisoformat(configured)
                if configured
                else until - timedelta(days=FIRST_SYNC_DAYS - 1)
            )
        for start, end in _windows(since, until):
            for first in range(0, len(apps), BATCH):
                batch = list(apps[first : first + BATCH])
                records = self._get(batch, start, end)
                by_app: dict[str, list[dict[str, Any]]] = {}
                for record in records:
                    if not isinstance(record, dict):
                        raise ConnectorError(
                            "Sensor Tower answered with a list holding something other than "
                            "estimate records; try again later."
                        )
                    by_app.setdefault(str(_key(record, APP_KEYS)), []).append(record)
                for app in batch:
                    rows = by_app.pop(app, [])
                    if not rows:
                        if self.say:
                            self.say(f"  {app}: no {self.os} estimates for {start} to {end}.")
                        continue
                    yield self._save(app, rows, start, end, workdir)
                if by_app:  # ids the answer spells differently (unified ids, ...): keep them
                    for app, rows in by_app.items():
                        yield self._save(app, rows, start, end, workdir)

    def _save(
        self, app: str, rows: list[dict[str, Any]], start: date, end: date, workdir: Path
    ) -> Fetched:
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in app)[:80]
        name = f"sensortower_{self.os}_{safe}_{start}_{end}.json"
        path = workdir / name
        # One record a line, so a problem the adapter finds names its line.
        path.write_text("[\n" + ",\n".join(dump_exact(r) for r in rows) + "\n]\n", encoding="utf-8")
        days = [str(_key(r, DAY_KEYS))[:10] for r in rows]
        last: date | None = None
        for text in days:
            try:
                day = date.fromisoformat(text)
            except ValueError:
                continue
            last = day if last is None or day > last else last
        return Fetched(path, name, app, f"{app}:{start}", last, None)
