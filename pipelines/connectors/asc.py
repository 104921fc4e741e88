"""App Store Connect Analytics Reports API connector.

Token (Apple, "Generating Tokens for API Requests"): ES256 signed with the team's .p8 key;
header `kid` (Key ID) and `typ` JWT; claims `iss` (Issuer ID), `iat`, `exp` (TOKEN_LIFE s
after `iat`; Apple refuses more than 20 minutes) and `aud` `appstoreconnect-v1`. One token
serves every call for TOKEN_REUSE s, then a new one is made.

Flow per app (Apple ID):
1. `GET /v1/apps/{id}/analyticsReportRequests`: the app's ONGOING request (every day from now
   on) and any ONE_TIME_SNAPSHOT (history). Without an active ONGOING request one is created
   (`POST /v1/analyticsReportRequests`); Apple produces its first reports a day or two later,
   so the sync says so and moves on - it never waits. A `since` earlier than the first day the
   ONGOING request covers asks for history: an existing snapshot is used, else one is created.
2. `GET /v1/analyticsReportRequests/{id}/reports?filter[name]=...` for the configured reports:
   "App Store Installation and Deletion" and "App Downloads", Standard or Detailed.
3. `GET /v1/analyticsReports/{id}/instances?filter[granularity]=DAILY`, days `since`..`until`
   (the instance's `processingDate` is the day it covers here).
4. `GET /v1/analyticsReportInstances/{id}/segments`: each segment's `url` is a pre-signed link
   fetched WITHOUT the Authorization header; its bytes must have the md5 `checksum` Apple
   states. A 403 from a link (expired: links live minutes) gets the segment list again, once.
   The segments of an instance are joined into one gzip file (gzip members; the Installation
   and Deletion adapter skips the repeated header), so an instance is one import.
Every list is JSON:API paged (`links.next`, `limit` 200). The instances of one day (both
reports) are one group: the app's last day held moves when the day is whole. The fingerprint
of an instance is its id and its segments' checksums, so an instance already imported is not
downloaded again.

Rate limit ("Identifying Rate Limits"): `X-Rate-Limit: user-hour-lim:3500;user-hour-rem:N`
is read on every answer; with nothing left the sync stops and says when to come back. A 429
is retried as Retry-After says (connectors/http.py), then ends the sync with a sentence.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pipelines import settings
from pipelines.connectors import base
from pipelines.connectors.base import ConnectorError, Fetched, SecretRef

AUDIENCE = "appstoreconnect-v1"
TOKEN_LIFE = 20 * 60  # Apple's maximum
TOKEN_REUSE = 19 * 60
PAGE = 200
REPORTS = {
    "installs": "App Store Installation and Deletion",
    "downloads": "App Downloads",
}
FIRST_REPORTS = "Apple produces the first reports a day or two after the request"
_RATE = re.compile(r"user-hour-rem:(\d+)")


@dataclass(frozen=True)
class _Instance:
    id: str
    report: str  # key of REPORTS
    day: date


class AppStoreConnect:
    """One App Store Connect API key (config: issuer_id, key_id, reports, detail)."""

    kind: ClassVar[str] = "asc"

    def __init__(self, config: dict[str, Any], secret: SecretRef) -> None:
        from pipelines.connectors.http import Api

        self.config = config
        self.secret = secret
        self.issuer = str(config.get("issuer_id", ""))
        self.key_id = str(config.get("key_id", ""))
        self.reports = list(config.get("reports") or ["installs", "downloads"])
        self.detail = "Detailed" if config.get("detail") == "detailed" else "Standard"
        self.say: Callable[[str], None] | None = None
        self.api = Api("App Store Connect", settings.get("INSTALLPULSE_ASC_API"), self._note)
        self._token: tuple[str, float] | None = None

    def _note(self, line: str) -> None:
        if self.say is not None:
            self.say(line)

    # -- the token
    def token(self) -> str:
        """A signed token, reused while younger than TOKEN_REUSE seconds."""
        now = time.time()
        if self._token is not None and now - self._token[1] < TOKEN_REUSE:
            return self._token[0]
        import jwt

        key = self.secret.resolve()
        issued = int(now)
        try:
            token = jwt.encode(
                {"iss": self.issuer, "iat": issued, "exp": issued + TOKEN_LIFE, "aud": AUDIENCE},
                key,
                algorithm="ES256",
                headers={"kid": self.key_id, "typ": "JWT"},
            )
        except (ValueError, TypeError, jwt.exceptions.PyJWTError) as exc:
            raise ConnectorError(
                f"The {self.secret.describe()} does not hold an App Store Connect API private "
                "key (a .p8 file with an EC P-256 key, as downloaded from Users and Access > "
                "Integrations); download the key again or fix the path."
            ) from exc
        base.remember(token)
        self._token = (token, now)
        return token

    # -- calls
    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.api.url(path)
        if urlsplit(url)[:2] != urlsplit(self.api.base)[:2]:
            raise ConnectorError(
                "App Store Connect sent a paging link to another address; nothing was sent "
                "there. Check INSTALLPULSE_ASC_API."
            )
        headers = {"Authorization": f"Bearer {self.token()}"}
        if kwargs.get("json_body") is not None:
            headers["Content-Type"] = "application/json"
        reply = self.api.request(method, url, headers=headers, **kwargs)
        self._check_rate(reply.headers)
        if reply.status in (200, 201):
            return reply.json()
        raise self._error(reply.status, reply.reason, _codes(reply), path)

    def _check_rate(self, headers: Any) -> None:
        found = _RATE.search(headers.get("X-Rate-Limit", "") or "")
        if found and int(found.group(1)) <= 0:
            raise ConnectorError(
                "App Store Connect's hourly request limit for this key is used up "
                "(X-Rate-Limit user-hour-rem:0); what was fetched so far is imported - sync "
                "again in an hour."
            )

    def _error(self, status: int, reason: str, codes: list[str], path: str) -> ConnectorError:
        code = f" {', '.join(codes)}" if codes else ""
        if status == 401:
            return ConnectorError(
                f"App Store Connect refused the API key (401{code}): check the Issuer ID "
                f"({self.issuer}), the Key ID ({self.key_id}) and that the "
                f"{self.secret.describe()} holds that key's .p8 file and the key is not "
                "revoked (Users and Access > Integrations)."
            )
        if status == 403:
            return ConnectorError(
                f"App Store Connect answered 403{code} for {path}: this API key's role may "
                "not read analytics reports; use a key with the Admin, Finance or Sales and "
                "Reports role."
            )
        if status == 404:
            return ConnectorError(
                f"App Store Connect answered 404{code} for {path}: no such app or report for "
                "this key; check the connection's app Apple IDs."
            )
        if status == 429:
            return ConnectorError(
                "App Store Connect's rate limit was reached (429 RATE_LIMIT_EXCEEDED); what "
                "was fetched so far is imported - sync again in an hour."
            )
        return ConnectorError(
            f"App Store Connect answered {status} {reason}{code} for {path}; try the sync "
            "again later."
        )

    def _pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict]:
        """Every resource of a JSON:API list, following links.next."""
        url: str | None = path
        first = True
        while url:
            body = self._call(
                "GET", url, params={**(params or {}), "limit": PAGE} if first else None
            )
            first = False
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise ConnectorError(
                    f"App Store Connect answered {path} without a data list; try again later."
                )
            yield from (d for d in data if isinstance(d, dict))
            links = body.get("links") or {}
            url = links.get("next") if isinstance(links, dict) else None

    # -- the connector
    def test(self) -> str:
        apps = {
            a.get("id"): (a.get("attributes") or {}).get("name") for a in self._pages("/v1/apps")
        }
        wanted = [str(a) for a in self.config.get("apps") or []]
        missing = [a for a in wanted if a not in apps]
        text = f"Signed in to App Store Connect with key {self.key_id}; {len(apps)} app(s) visible"
        if missing:
            return text + f"; NOT visible to this key: {', '.join(missing)} (check the Apple IDs)."
        named = ", ".join(f"{apps[a]} ({a})" for a in wanted)
        return text + (f", including {named}." if named else ".")

    def _requests(self, app: str) -> list[dict]:
        return list(self._pages(f"/v1/apps/{app}/analyticsReportRequests"))

    def _create(self, app: str, access: str) -> dict:
        body = {
            "data": {
                "type": "analyticsReportRequests",
                "attributes": {"accessType": access},
                "relationships": {"app": {"data": {"type": "apps", "id": app}}},
            }
        }
        return self._call("POST", "/v1/analyticsReportRequests", json_body=body)["data"]

    def _instances(self, request_id: str, since: date | None, until: date) -> list[_Instance]:
        found: list[_Instance] = []
        for key in self.reports:
            name = f"{REPORTS[key]} {self.detail}"
            for report in self._pages(
                f"/v1/analyticsReportRequests/{request_id}/reports",
                {"filter[name]": name, "filter[category]": "APP_USAGE"},
            ):
                if (report.get("attributes") or {}).get("name", name) != name:
                    continue
                for inst in self._pages(
                    f"/v1/analyticsReports/{report['id']}/instances",
                    {"filter[granularity]": "DAILY"},
                ):
                    attributes = inst.get("attributes") or {}
                    if attributes.get("granularity", "DAILY") != "DAILY":
                        continue
                    try:
                        day = date.fromisoformat(str(attributes.get("processingDate"))[:10])
                    except ValueError:
                        continue
                    if (since is None or day >= since) and day <= until:
                        found.append(_Instance(str(inst["id"]), key, day))
        return found

    def _segments(self, instance: _Instance) -> list[dict]:
        segments = list(self._pages(f"/v1/analyticsReportInstances/{instance.id}/segments"))
        return sorted(segments, key=lambda s: str(s.get("id")))

    def fetch(
        self,
        apps: Sequence[str],
        since: date | None,
        until: date,
        workdir: Path,
        *,
        known: Container[str] = frozenset(),
    ) -> Iterator[Fetched]:
        for app in apps:
            yield from self._fetch_app(str(app), since, until, workdir, known)

    def _fetch_app(
        self, app: str, since: date | None, until: date, workdir: Path, known: Container[str]
    ) -> Iterator[Fetched]:
        requests_ = self._requests(app)
        ongoing = [
            r
            for r in requests_
            if (r.get("attributes") or {}).get("accessType") == "ONGOING"
            and not (r.get("attributes") or {}).get("stoppedDueToInactivity")
        ]
        snapshots = [
            r
            for r in requests_
            if (r.get("attributes") or {}).get("accessType") == "ONE_TIME_SNAPSHOT"
        ]
        instances: dict[str, _Instance] = {}
        if not ongoing:
            self._create(app, "ONGOING")
            self._note(
                f"  {app}: asked App Store Connect for ONGOING analytics reports; "
                f"{FIRST_REPORTS}: sync again then."
            )
        else:
            for inst in self._instances(str(ongoing[0]["id"]), since, until):
                instances[inst.id] = inst
        covered = min((i.day for i in instances.values()), default=None)
        wants_history = since is not None and (covered is None or since < covered)
        if wants_history and ongoing and not snapshots:
            self._create(app, "ONE_TIME_SNAPSHOT")
            self._note(
                f"  {app}: asked App Store Connect for a ONE_TIME_SNAPSHOT of the history "
                f"before {covered or until}; {FIRST_REPORTS}: sync again with --since {since} "
                "then."
            )
        for snapshot in snapshots:
            for inst in self._instances(str(snapshot["id"]), since, until):
                instances.setdefault(inst.id, inst)
        if ongoing and not instances:
            self._note(
                f"  {app}: no daily reports from {since or 'the start'} to {until} yet "
                f"({FIRST_REPORTS} and each day's report a day later)."
            )
        order = sorted(instances.values(), key=lambda i: (i.day, list(REPORTS).index(i.report)))
        # One instance per report and day (a snapshot and ONGOING may both hold a day).
        seen: set[tuple[date, str]] = set()
        for inst in order:
            if (inst.day, inst.report) in seen:
                continue
            seen.add((inst.day, inst.report))
            fetched = self._download(app, inst, workdir, known)
            if fetched is not None:
                yield fetched

    def _download(
        self, app: str, inst: _Instance, workdir: Path, known: Container[str]
    ) -> Fetched | None:
        group = f"{app}:{inst.day}"
        slug = REPORTS[inst.report].lower().replace(" ", "-")
        name = f"{slug}-{self.detail.lower()}_{app}_{inst.day}.txt.gz"
        segments = self._segments(inst)
        if not segments:
            return None
        checksums = [str((s.get("attributes") or {}).get("checksum", "")) for s in segments]
        fingerprint = f"asc:{inst.id}:" + ",".join(checksums)
        if fingerprint in known:
            return Fetched(workdir / name, name, app, group, inst.day, fingerprint)
        target = workdir / name
        with target.open("wb") as out:
            for index, segment in enumerate(segments):
                part = workdir / f"segment-{index}.gz"
                self._segment(inst, segment, part, refreshed=False)
                out.write(part.read_bytes())
                part.unlink()
        return Fetched(target, name, app, group, inst.day, fingerprint)

    def _segment(self, inst: _Instance, segment: dict, part: Path, refreshed: bool) -> None:
        attributes = segment.get("attributes") or {}
        url = attributes.get("url")
        expected = str(attributes.get("checksum", "")).lower()
        if not url:
            raise ConnectorError(
                f"App Store Connect listed a segment of the {inst.day} report without a "
                "download link; sync again later."
            )
        reply = self.api.download(url, part)  # pre-signed: no Authorization header
        if reply.status in (401, 403) and not refreshed:
            fresh = {str(s.get("id")): s for s in self._segments(inst)}
            again = fresh.get(str(segment.get("id")))
            if again is not None:
                self._segment(inst, again, part, refreshed=True)
                return
        if reply.status != 200:
            raise ConnectorError(
                f"The download link of a segment of the {REPORTS[inst.report]} report for "
                f"{inst.day} answered {reply.status} {reply.reason}"
                + (" (expired: links live a few minutes)" if reply.status == 403 else "")
                + "; nothing of that day was imported - run the sync again for fresh links."
            )
        digest = hashlib.md5(part.read_bytes(), usedforsecurity=False).hexdigest()
        if expected and digest != expected:
            part.unlink(missing_ok=True)
            raise ConnectorError(
                f"A segment of the {REPORTS[inst.report]} report for {inst.day} arrived with "
                f"md5 {digest}, not the checksum Apple states ({expected}): the download was "
                "damaged or cut off; nothing of that day was imported - run the sync again."
            )


def _codes(reply: Any) -> list[str]:
    try:
        body = reply.json()
    except ConnectorError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return []
    return [str(e.get("code")) for e in errors if isinstance(e, dict) and e.get("code")][:3]
