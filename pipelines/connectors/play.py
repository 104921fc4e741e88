"""Google Play connector: the monthly installs reports Play writes to the developer's bucket.

Play Console keeps `stats/installs/installs_<package>_<YYYYMM>_<dimension>.csv` (UTF-16 with a
BOM, one file per month and dimension, rewritten daily while the month runs) in a Cloud Storage
bucket shown in Play Console as its "Cloud Storage URI" (`gs://pubsite_prod_<id>`, on some
accounts `gs://pubsite_prod_rev_<id>`). A service account invited in Play Console with "View
app information and download bulk reports" may read it.

1. Sign in: an RS256 JWT-bearer assertion made from the service account's JSON key (`iss` its
   email, `scope` devstorage.read_only, `aud` the token address, `exp` an hour after `iat`) is
   exchanged at the token address for an access token (kept for its life, renewed once when
   Cloud Storage says it is no longer valid).
2. List `stats/installs/installs_<package>_` in the bucket (all pages) and keep the `_overview`
   and `_country` files of exactly that package (`com.example.chat_pro` also starts with
   `com.example.chat_`) for the months asked.
3. Skip a file whose md5Hash is among the fingerprints already imported; download the others
   with `alt=media`, check the bytes against md5Hash and size, and hand them on under Play's own
   file name, so the import history reads as if the file had been imported by hand and the
   `google-play-installs` adapter reads them as it reads a downloaded file. A rewritten month
   has a new md5, is downloaded again, and its restated days replace the stored ones (import
   contract, point 5).

Incremental: from the month holding `since` minus RESTATED_DAYS (Play restates recent days,
also after a month has ended), through the month holding `until`; without `since`, every month
in the bucket. The two files of a month are one group.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import jwt

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

SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
TOKEN_LIFE_S = 3600  # the longest assertion Google accepts
RENEW_BEFORE_S = 120  # an access token this close to its end is renewed before a call
RESTATED_DAYS = 7
DIMENSIONS = ("overview", "country")  # the files installpulse imports, in this order
PREFIX = "stats/installs/installs_"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")
INVITE = (
    "in Play Console > Users and permissions, invite {email} with 'View app information and "
    "download bulk reports' (Google can take up to a day to apply it)"
)


@dataclass(frozen=True)
class _Object:
    """One installs report in the bucket, from its listing."""

    name: str
    month: str  # YYYYMM
    dimension: str
    md5: str | None  # base64, as Cloud Storage states it
    size: int
    generation: str

    @property
    def file_name(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def fingerprint(self) -> str:
        return f"md5:{self.md5}" if self.md5 else f"generation:{self.generation}"


def bucket_name(text: str) -> str:
    """The bucket of a Cloud Storage URI as Play Console shows it (`gs://pubsite_prod_123/`),
    or a bare bucket name. Raises ConnectorError for anything else."""
    raw = text.strip()
    name = raw.removeprefix("gs://").strip("/").split("/", 1)[0]
    if not _BUCKET.fullmatch(name):
        raise ConnectorError(
            f"'{raw[:80]}' is not a Cloud Storage bucket: copy the Cloud Storage URI from Play "
            "Console > Download reports > Statistics ('Copy Cloud Storage URI', "
            "gs://pubsite_prod_<id>) into --bucket."
        )
    return name


def last_day(path: Path) -> date | None:
    """The latest Date in a Play installs file (UTF-16 with BOM, or UTF-8), or None."""
    data = path.read_bytes()
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        lines = data.decode(encoding).splitlines()[1:]
    except UnicodeError:
        return None
    days = []
    for line in lines:
        try:
            days.append(date.fromisoformat(line.split(",", 1)[0].strip().strip('"')))
        except ValueError:
            continue
    return max(days, default=None)


def _month(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}"


class GooglePlay:
    """The `play` connection kind (see the module docstring)."""

    kind: ClassVar[str] = "play"

    def __init__(self, config: dict[str, Any], secret: SecretRef) -> None:
        self.bucket = bucket_name(str(config.get("bucket") or ""))
        self.secret = secret
        self.storage = Api("Cloud Storage", settings.get("INSTALLPULSE_GCS_API"))
        self._token: tuple[str, float] | None = None  # (access token, monotonic expiry)
        self._email = "the service account"

    # -- signing in ------------------------------------------------------------------------
    def _key(self) -> dict[str, str]:
        """The service account key, checked field by field (never shown: only named)."""
        where = self.secret.describe()
        text = self.secret.resolve()
        try:
            key = json.loads(text)
        except ValueError:
            key = None
        if not isinstance(key, dict):
            raise ConnectorError(
                f"The {where} is not a service account JSON key. Create one in Google Cloud "
                "console > IAM & Admin > Service accounts > the account > Keys > Add key > "
                "Create new key > JSON, and point the connection at that file."
            )
        if key.get("type") != "service_account":
            raise ConnectorError(
                f"The {where} is a JSON file but not a service account key (its type is "
                f"{str(key.get('type'))[:40]!r}); create a JSON key of the service account "
                "invited in Play Console."
            )
        missing = [f for f in ("client_email", "private_key") if not key.get(f)]
        if missing:
            raise ConnectorError(
                f"The service account key in the {where} has no {' or '.join(missing)}; "
                "download a new JSON key for the account."
            )
        return key

    def _token_url(self, key: dict[str, str]) -> str:
        """INSTALLPULSE_PLAY_TOKEN_URL when set, else the key file's token_uri, else
        Google's: the assertion's audience is this same address."""
        explicit = os.environ.get("INSTALLPULSE_PLAY_TOKEN_URL", "").strip()
        return explicit or str(key.get("token_uri") or "") or GOOGLE_TOKEN_URL

    def _sign_in(self) -> str:
        key = self._key()
        self._email = str(key["client_email"])
        token_url = self._token_url(key)
        now = int(time.time())
        claims = {
            "iss": self._email,
            "scope": SCOPE,
            "aud": token_url,
            "iat": now,
            "exp": now + TOKEN_LIFE_S,
        }
        headers = {"kid": key["private_key_id"]} if key.get("private_key_id") else None
        try:
            assertion = jwt.encode(claims, key["private_key"], algorithm="RS256", headers=headers)
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            raise ConnectorError(
                f"The private_key in the {self.secret.describe()} is not an RSA private key "
                f"installpulse can sign with ({type(exc).__name__}); download a new JSON key "
                "for the service account."
            ) from exc
        auth = Api("Google sign-in", token_url)
        reply = auth.request(
            "POST", token_url, data={"grant_type": GRANT_TYPE, "assertion": assertion}
        )
        if reply.status != 200:
            raise self._sign_in_refused(reply)
        answer = reply.json()
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise ConnectorError(
                f"{reply.where} answered 200 without an access token; try again later."
            )
        life = answer.get("expires_in", 3600)
        life = float(life) if isinstance(life, (int, float)) else 3600.0
        self._token = (token, time.monotonic() + life)
        return token

    def _sign_in_refused(self, reply: Reply) -> ConnectorError:
        try:
            answer = reply.json()
        except ConnectorError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        error = str(answer.get("error") or "")[:60]
        said = str(answer.get("error_description") or reply.reason)[:200]
        if reply.status in (400, 401) and error in ("invalid_grant", "invalid_client", ""):
            return ConnectorError(
                f"Google refused the service account key of {self._email} ({reply.status} "
                f"{error or reply.reason}: {said}). The key may have been deleted or disabled, "
                "or this machine's clock may be off: check the clock, or create a new JSON key "
                "(Google Cloud console > IAM & Admin > Service accounts > Keys) and point the "
                "connection at it."
            )
        if error == "invalid_scope":
            return ConnectorError(
                f"Google refused the read-only Cloud Storage scope for {self._email} "
                f"({said}); check that the account is a service account of a project with "
                "the Cloud Storage API enabled."
            )
        return ConnectorError(
            f"{reply.where} answered {reply.status} {error or reply.reason} ({said}); try "
            "again later."
        )

    def _authorization(self) -> dict[str, str]:
        if self._token is None or self._token[1] - time.monotonic() < RENEW_BEFORE_S:
            self._sign_in()
        assert self._token is not None
        return {"Authorization": f"Bearer {self._token[0]}"}

    # -- Cloud Storage ---------------------------------------------------------------------
    def _refused(self, reply: Reply, what: str) -> ConnectorError:
        bucket = f"gs://{self.bucket}"
        if reply.status == 401:
            return ConnectorError(
                f"Cloud Storage did not accept the access token of {self._email} for {what} "
                "(401) even after signing in again; check this machine's clock and the key "
                "(Google Cloud console > IAM & Admin > Service accounts), then sync again."
            )
        if reply.status == 403:
            return ConnectorError(
                f"{self._email} may not read {bucket} (403): {INVITE.format(email=self._email)}."
            )
        if reply.status == 404:
            return ConnectorError(
                f"{bucket} does not exist (404) or {what} is gone: copy the Cloud Storage URI "
                "from Play Console > Download reports > Statistics into the connection, or sync "
                "again if a file was being rewritten."
            )
        return ConnectorError(
            f"{reply.where} answered {reply.status} {reply.reason} for {what}; try again later."
        )

    def _call(self, url: str, params: dict[str, str], what: str) -> Reply:
        """A listing call; a 401 signs in again once (the token may have ended early)."""
        reply = self.storage.request("GET", url, headers=self._authorization(), params=params)
        if reply.status == 401:
            self._token = None
            reply = self.storage.request("GET", url, headers=self._authorization(), params=params)
        if reply.status != 200:
            raise self._refused(reply, what)
        return reply

    def _list(self, prefix: str, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        url = f"/storage/v1/b/{quote(self.bucket, safe='')}/o"
        params = {"prefix": prefix}
        if page_size:
            params["maxResults"] = str(page_size)
        while True:
            answer = self._call(url, params, f"the listing of {prefix}*").json()
            if not isinstance(answer, dict):
                raise ConnectorError(
                    f"Cloud Storage answered the listing of gs://{self.bucket}/{prefix}* with "
                    "something other than an object list; try again later."
                )
            yield from answer.get("items") or []
            token = answer.get("nextPageToken")
            if not token or page_size:
                return
            params = {"prefix": prefix, "pageToken": str(token)}

    def _reports(self, package: str) -> list[_Object]:
        pattern = re.compile(
            re.escape(PREFIX + package) + r"_(?P<month>\d{6})_(?P<dimension>[a-z_]+)\.csv"
        )
        found = []
        for item in self._list(PREFIX + package + "_"):
            match = pattern.fullmatch(str(item.get("name", "")))
            if match is None or match["dimension"] not in DIMENSIONS:
                continue
            found.append(
                _Object(
                    name=match.string,
                    month=match["month"],
                    dimension=match["dimension"],
                    md5=item.get("md5Hash") or None,
                    size=int(item.get("size") or -1),
                    generation=str(item.get("generation") or ""),
                )
            )
        return sorted(found, key=lambda o: (o.month, DIMENSIONS.index(o.dimension)))

    def _download(self, obj: _Object, workdir: Path) -> Path:
        url = f"/storage/v1/b/{quote(self.bucket, safe='')}/o/{quote(obj.name, safe='')}?alt=media"
        target = workdir / obj.file_name
        reply = self.storage.download(url, target, headers=self._authorization())
        if reply.status == 401:
            self._token = None
            reply = self.storage.download(url, target, headers=self._authorization())
        if reply.status != 200:
            raise self._refused(reply, obj.file_name)
        data = target.read_bytes()
        digest = base64.b64encode(hashlib.md5(data).digest()).decode()  # (the checksum GCS states)
        wrong_md5 = obj.md5 is not None and digest != obj.md5
        wrong_size = obj.size >= 0 and obj.size != len(data)
        if wrong_md5 or wrong_size:
            target.unlink()
            raise ConnectorError(
                f"gs://{self.bucket}/{obj.name}: the downloaded bytes do not match the md5 and "
                "size Cloud Storage lists for the file (rewritten during the download, or "
                "damaged on the way); it was not imported. Sync again."
            )
        return target

    # -- the Connector seam ----------------------------------------------------------------
    def test(self) -> str:
        self._sign_in()
        items = list(self._list("stats/installs/", page_size=1))
        found = "installs reports are there" if items else "it holds no installs reports yet"
        return f"Signed in as {self._email}; gs://{self.bucket} is readable and {found}."

    def fetch(
        self,
        apps: Sequence[str],
        since: date | None,
        until: date,
        workdir: Path,
        *,
        known: Container[str] = frozenset(),
    ) -> Iterator[Fetched]:
        first = None if since is None else _month(since - timedelta(days=RESTATED_DAYS))
        last = _month(until)
        missing = []
        for package in apps:
            reports = self._reports(package)
            if not reports:
                missing.append(package)
                continue
            for obj in reports:
                if (first is not None and obj.month < first) or obj.month > last:
                    continue
                if obj.fingerprint in known:
                    continue
                path = self._download(obj, workdir)
                yield Fetched(
                    path=path,
                    name=obj.file_name,
                    app=package,
                    group=f"{package}:{obj.month}",
                    last_day=last_day(path),
                    fingerprint=obj.fingerprint,
                )
        if missing:
            raise ConnectorError(
                f"gs://{self.bucket} has no installs reports for {', '.join(missing)}: check "
                "the package name (as in Play Console); Play writes the first report a day or "
                "two after an app's first installs, and only for apps of this developer account."
            )


register(
    Kind(
        "play",
        "Google Play (installs reports from the Cloud Storage bucket)",
        "pipelines.connectors.play:GooglePlay",
        "the service account's JSON key file (or its text in a variable)",
        ("file", "env"),
        "package names of the apps (com.example.app)",
        (
            Option(
                "bucket",
                "the reports bucket: Play Console > Download reports > Statistics > 'Copy "
                "Cloud Storage URI' (gs://pubsite_prod_<id>)",
                required=True,
            ),
        ),
    )
)
