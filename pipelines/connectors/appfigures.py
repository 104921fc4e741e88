"""Appfigures connector: daily sales (downloads, re-downloads, updates, uninstalls, revenue) per
product and country from the Appfigures API v2, with a personal access token.

* Products: the connection's apps are Appfigures product ids, or store identifiers (a package
  name, an Apple id) that `/v2/products/mine` maps to the product carrying them; `connect test`
  lists the account's products so the ids are easy to find. Which platform a product is on is
  its `store`, read by the `appfigures` adapter from the response itself.
* Requests: `GET /v2/reports/sales?group_by=dates,products,countries&start_date=&end_date=
  &granularity=daily&format=json&products=<id>` with `Authorization: Bearer <token>`, one per
  product and calendar month (a year of countries by day stays a few MB per answer). Each
  answer is saved unchanged as `appfigures_sales_<product>_<first>_<last>.json`, the file the
  adapter imports (the same bytes saved by hand import to the same tables).
* Incremental: from `since` (sync passes the day after the last day held, or --since) to
  `until`; without `since`, from the connection's `start` or a year before `until`. An answer
  with no days is not a file.
* Quota: 1,000 requests a day per account. Every answer states `X-Request-Limit` and
  `X-Request-Usage`; when they say the quota is spent, no further request is made, and Appfigures'
  own answer past it, HTTP 420, means the same: "quota used up until 00:00 UTC". 429 waits for
  Retry-After (connectors/http.py); 401 and 403 are the token's.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from pipelines import settings
from pipelines.connectors.base import (
    ConnectorError,
    Fetched,
    Kind,
    Option,
    SecretRef,
    register,
)
from pipelines.connectors.http import Api, Reply

DEFAULT_HISTORY_DAYS = 365
GROUP_BY = "dates,products,countries"
TOKEN_HELP = (
    "create a personal access token at appfigures.com/developers/keys ('Create a New Client' "
    "with the scopes products:read and private:read, then 'Create Personal Access Token')"
)


def _months(first: date, last: date) -> Iterator[tuple[date, date]]:
    """[first, last] cut at calendar-month ends."""
    start = first
    while start <= last:
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(last, following - timedelta(days=1))
        yield start, end
        start = end + timedelta(days=1)


def _until_midnight_utc() -> str:
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    minutes = int((midnight - now).total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min from now"


class Appfigures:
    """The `appfigures` connection kind (see the module docstring)."""

    kind: ClassVar[str] = "appfigures"

    def __init__(self, config: dict[str, Any], secret: SecretRef) -> None:
        self.secret = secret
        start = config.get("start")
        try:
            self.start = date.fromisoformat(str(start)) if start else None
        except ValueError as exc:
            raise ConnectorError(
                f"The connection's start '{str(start)[:20]}' is not a date (YYYY-MM-DD)."
            ) from exc
        self.api = Api("Appfigures", settings.get("INSTALLPULSE_APPFIGURES_API"))
        self._limit: int | None = None
        self._usage: int | None = None

    # -- calls -----------------------------------------------------------------------------
    def _get(self, path: str, params: dict[str, str] | None = None) -> Reply:
        if self._limit is not None and self._usage is not None and self._usage >= self._limit:
            raise self._quota_spent()
        headers = {"Authorization": f"Bearer {self.secret.resolve()}"}
        reply = self.api.request("GET", path, headers=headers, params=params)
        self._read_quota(reply)
        if reply.status == 200:
            return reply
        if reply.status == 420:
            raise self._quota_spent()
        if reply.status == 401:
            raise ConnectorError(
                f"Appfigures refused the personal access token in the {self.secret.describe()} "
                f"(401: revoked, expired or mistyped); {TOKEN_HELP} and put it there."
            )
        if reply.status == 403:
            raise ConnectorError(
                f"Appfigures' token in the {self.secret.describe()} may not read sales (403); "
                f"{TOKEN_HELP}."
            )
        raise ConnectorError(
            f"{reply.where} answered {reply.status} {reply.reason}; try again later."
        )

    def _read_quota(self, reply: Reply) -> None:
        headers = {k.lower(): v for k, v in reply.headers.items()}
        for name, attr in (("x-request-limit", "_limit"), ("x-request-usage", "_usage")):
            value = headers.get(name, "").strip()
            if value.isdigit():
                setattr(self, attr, int(value))

    def _quota_spent(self) -> ConnectorError:
        used = ""
        if self._usage is not None and self._limit is not None:
            used = f" ({self._usage:,} of {self._limit:,} requests today)"
        return ConnectorError(
            f"Appfigures' API quota is used up until 00:00 UTC{used}, "
            f"{_until_midnight_utc()}; files fetched before were imported - sync again after "
            "that."
        )

    def _products(self) -> dict[str, dict[str, Any]]:
        answer = self._get("/v2/products/mine").json()
        if not isinstance(answer, dict):
            raise ConnectorError(
                "Appfigures answered /v2/products/mine with something other than a product "
                "list; try again later."
            )
        return {str(k): v for k, v in answer.items() if isinstance(v, dict)}

    def _resolve(self, apps: Sequence[str]) -> tuple[list[tuple[str, str]], list[str]]:
        """(app as configured, product id) for each app, and the apps no product carries."""
        products = self._products()
        by_store_id: dict[str, str] = {}
        for product_id, info in products.items():
            for key in ("vendor_identifier", "ref_no", "package_name", "bundle_identifier"):
                value = info.get(key)
                if value not in (None, ""):
                    by_store_id.setdefault(str(value), product_id)
        found, missing = [], []
        for app in apps:
            product = app if app in products else by_store_id.get(app)
            if product is None:
                missing.append(app)
            else:
                found.append((app, product))
        return found, missing

    # -- the Connector seam ----------------------------------------------------------------
    def test(self) -> str:
        products = self._products()
        listed = "; ".join(
            f"{str(info.get('name') or '?')[:40]} (id {pid}, {info.get('store') or '?'}, "
            f"{info.get('vendor_identifier') or '-'})"
            for pid, info in sorted(products.items())[:20]
        )
        more = f" and {len(products) - 20} more" if len(products) > 20 else ""
        quota = ""
        if self._usage is not None and self._limit is not None:
            quota = f" API quota: {self._usage:,} of {self._limit:,} requests used today."
        return (
            f"Token accepted; {len(products)} product(s) in the account: {listed or 'none'}"
            f"{more}.{quota}"
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
        first = since or self.start or until - timedelta(days=DEFAULT_HISTORY_DAYS)
        found, missing = self._resolve(apps)
        for app, product in found:
            for start, end in _months(first, until):
                reply = self._get(
                    "/v2/reports/sales",
                    {
                        "group_by": GROUP_BY,
                        "start_date": start.isoformat(),
                        "end_date": end.isoformat(),
                        "granularity": "daily",
                        "format": "json",
                        "products": product,
                    },
                )
                answer = reply.json()
                if not isinstance(answer, dict):
                    raise ConnectorError(
                        f"{reply.where} answered with something other than a sales report "
                        "object; try again later."
                    )
                if not answer:
                    continue  # no days in this range: nothing to import
                name = f"appfigures_sales_{product}_{start.isoformat()}_{end.isoformat()}.json"
                path = workdir / name
                path.write_bytes(reply.body)
                days = [d for d in answer if _is_day(d)]
                yield Fetched(
                    path=path,
                    name=name,
                    app=app,
                    group=f"{product}:{start.isoformat()}",
                    last_day=date.fromisoformat(max(days)) if days else None,
                    fingerprint=None,
                )
        if missing:
            raise ConnectorError(
                f"Appfigures has no product {', '.join(missing)} in this account: give "
                "Appfigures product ids or the apps' store identifiers (`installpulse connect "
                "test NAME` lists the products)."
            )


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


register(
    Kind(
        "appfigures",
        "Appfigures (sales reports)",
        "pipelines.connectors.appfigures:Appfigures",
        "an Appfigures personal access token",
        ("env", "file"),
        "Appfigures product ids, or the apps' store identifiers (package name, Apple id)",
        (
            Option(
                "start",
                "first day of the first sync (YYYY-MM-DD; default a year before today)",
                kind="date",
            ),
        ),
    )
)
