"""The seam every connector implements, the registry of kinds, and secret references.

A *connection* (stored by `installpulse connect add`) is a kind, a name, a config without
secrets, a reference to where the secret lives and the store identifiers of its apps.
`connector_for(kind, config, secret)` turns it into a `Connector`; `pipelines.sync` asks it for
files and imports each one through the import contract exactly as `installpulse ingest` would,
so a synced file and the same file imported by hand give the same tables.

Shape (as the issue-12 brief gave it, refined in three places, each said here):
* `Connector.fetch` takes a keyword `known`: the fingerprints of files this connection already
  imported, so a connector whose provider states a checksum before the download (Cloud Storage
  md5Hash, App Store segment checksums) can skip the download. Sync checks fingerprints again
  anyway, so a connector may ignore `known`.
* Files of one `group` are imported one after another in one sync step, and the connection's
  state (fingerprints, last day) records the group only once all of it is in; a sync killed
  inside a group imports the group again next time (files already in are "already imported").
  The App Store connector joins the segments of one report instance into one file itself
  (gzip members; the Installation and Deletion adapter skips the repeated header), so an
  instance is one import: one transaction.
* `Kind` describes a kind's `connect add` options once, for the CLI and the app's form. Its
  name must also be in KIND_NAMES: the CLI's parser knows the names without importing the
  kinds' modules (`connect add KIND` builds that kind's options when it runs).
* A connector may have an attribute `say` (a callable taking one line, None by default): sync
  sets it, and the connector tells its notes through it ("no estimates for X yet", "waiting
  2 s as the rate limit asks", "Apple produces the first reports a day or two after ...").
* The `config` a connector gets also carries `apps` (the connection's list), for `test`.

Secrets: the database holds a `SecretRef` (a key file path or an environment variable name),
never the secret. A connector resolves it when it needs it and must never put the secret, or a
token made from it, into a message, a log line, a file name or a stored value.
"""

from __future__ import annotations

import importlib
import os
import stat
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pipelines.errors import InstallpulseError


class ConnectorError(InstallpulseError):
    """A provider call failed: one sentence saying what happened and what to do (never a
    secret, a token or a URL carrying one)."""


@dataclass(frozen=True)
class Fetched:
    """One file a connector fetched; imported through the import contract like a file given
    to `ingest`."""

    path: Path  # the bytes on disk, in the sync's work folder
    name: str  # the provider's file name (what the import history shows)
    app: str  # the store identifier it concerns
    group: str  # files of one group are imported together (see the module docstring)
    last_day: date | None  # last day it covers (incremental state)
    fingerprint: str | None  # provider checksum/etag/md5: unchanged files are skipped


class Connector(Protocol):
    """What `pipelines.sync` and `installpulse connect test` call."""

    kind: ClassVar[str]  # "asc" | "play" | "sensortower" | "appfigures"

    def test(self) -> str:
        """One sentence on success ("Signed in as ...; 3 apps visible"); ConnectorError else."""
        ...

    def fetch(
        self,
        apps: Sequence[str],
        since: date | None,
        until: date,
        workdir: Path,
        *,
        known: Container[str] = frozenset(),
    ) -> Iterator[Fetched]:
        """Files covering `since`..`until` (inclusive; `since` None: from the start the
        connection's config names, else everything the provider has) for `apps`, in the order
        to import them. Raises ConnectorError. `known`: fingerprints already imported."""
        ...


# -- secret references -------------------------------------------------------------------


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: a key file (`file:/abs/path`) or an environment variable
    (`env:NAME`). Only this reference is stored; `resolve` reads the secret when needed."""

    source: str  # "file" | "env"
    where: str  # absolute path, or the variable's name

    @classmethod
    def file(cls, path: str | os.PathLike[str]) -> SecretRef:
        return cls("file", str(Path(path).expanduser().absolute()))

    @classmethod
    def env(cls, name: str) -> SecretRef:
        if not name or not name.replace("_", "a").isalnum() or name[0].isdigit():
            raise ConnectorError(
                f"'{name}' is not an environment variable name (letters, digits and _, not "
                "starting with a digit). Give the variable's NAME, never the secret itself."
            )
        return cls("env", name)

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        """From the stored form (`file:...` / `env:...`)."""
        source, _, where = text.partition(":")
        if source == "file" and where:
            return cls("file", where)
        if source == "env" and where:
            return cls.env(where)
        raise ConnectorError(f"not a secret reference: {text[:20]!r}... (file:PATH or env:NAME)")

    def stored(self) -> str:
        return f"{self.source}:{self.where}"

    def describe(self) -> str:
        if self.source == "file":
            return f"key file {self.where}"
        return f"environment variable {self.where}"

    def warnings(self) -> list[str]:
        """A key file others may read gets a warning (the secret is only as safe as its
        file); nothing for a variable."""
        if self.source != "file":
            return []
        try:
            mode = Path(self.where).stat().st_mode
        except OSError:
            return []
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            return [
                f"The key file {self.where} can be read by other users (mode "
                f"{stat.filemode(mode)}); restrict it with `chmod 600 {self.where}`."
            ]
        return []

    def resolve(self) -> str:
        """The secret's text. Raises ConnectorError naming the reference (never the value)."""
        if self.source == "env":
            value = os.environ.get(self.where, "")
            if not value.strip():
                raise ConnectorError(
                    f"The environment variable {self.where} is not set (or empty) in this "
                    "process; set it where installpulse runs (the shell, the cron line, the "
                    "service that starts the app)."
                )
            remember(value.strip())
            return value.strip()
        path = Path(self.where)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConnectorError(
                f"The key file {path} does not exist; put the key there or change the "
                "connection (remove it and add it again with the right path)."
            ) from exc
        except (OSError, UnicodeError) as exc:
            raise ConnectorError(
                f"The key file {path} cannot be read ({type(exc).__name__}); check its "
                "permissions for the user installpulse runs as."
            ) from exc
        if not text.strip():
            raise ConnectorError(f"The key file {path} is empty; download the key again.")
        remember(text.strip())
        return text.strip()


# Secrets (and tokens made from them) this process has read: `redact` blanks them out of any
# text shown or stored, a second guard behind connectors never putting them in messages.
_SEEN: set[str] = set()


def remember(secret: str) -> None:
    """Note a secret or a token made from it, so `redact` blanks it (and each long line of
    a PEM key) wherever it would appear."""
    pieces = {secret.strip(), *(line.strip() for line in secret.splitlines())}
    _SEEN.update(p for p in pieces if len(p) >= 12 and not p.startswith("-----"))


def redact(text: str) -> str:
    """`text` with every remembered secret replaced by [secret]."""
    for secret in sorted(_SEEN, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "[secret]")
    return text


# -- the registry of kinds -----------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One `connect add` option of a kind, stored in the connection's config under `key`.

    Never a secret: secrets are given as a SecretRef (--key-file / --secret-env)."""

    key: str  # config key; the CLI flag is --key-with-dashes
    help: str
    required: bool = False
    default: str | None = None
    choices: tuple[str, ...] = ()
    kind: str = "text"  # "text" | "date" | "list" (comma-separated)


@dataclass(frozen=True)
class Kind:
    """A connection kind: how to make its connector, what its secret is, its options."""

    kind: str
    label: str
    target: str  # "module:Class"; the class takes (config: dict, secret: SecretRef)
    secret: str  # what the secret is, for help texts ("the .p8 private key file")
    secret_sources: tuple[str, ...]  # "file", "env" or both
    apps_help: str
    options: tuple[Option, ...] = field(default_factory=tuple)

    def make(self, config: dict[str, Any], secret: SecretRef) -> Connector:
        module, _, name = self.target.partition(":")
        cls = getattr(importlib.import_module(module), name)
        return cls(config, secret)


KINDS: dict[str, Kind] = {
    "asc": Kind(
        "asc",
        "App Store Connect (Analytics Reports API)",
        "pipelines.connectors.asc:AppStoreConnect",
        "the App Store Connect API private key (.p8 file; or its text in a variable)",
        ("file", "env"),
        "Apple IDs of the apps (App Store Connect > App Information > Apple ID)",
        (
            Option("issuer_id", "Issuer ID (Users and Access > Integrations)", required=True),
            Option("key_id", "Key ID of the API key", required=True),
            Option(
                "reports",
                "which reports: installs (Installation and Deletion), downloads (App "
                "Downloads), or both",
                default="installs,downloads",
                kind="list",
            ),
            Option(
                "detail",
                "Standard or Detailed reports",
                default="standard",
                choices=("standard", "detailed"),
            ),
        ),
    ),
    "sensortower": Kind(
        "sensortower",
        "Sensor Tower (sales report estimates)",
        "pipelines.connectors.sensortower:SensorTower",
        "the Sensor Tower API token",
        ("env", "file"),
        "Sensor Tower app ids (iOS numeric ids, Android package names, or unified ids)",
        (
            Option("os", "which endpoint", default="ios", choices=("ios", "android", "unified")),
            Option(
                "countries",
                "country codes, comma-separated (WW for worldwide)",
                default="US",
                kind="list",
            ),
            Option(
                "start",
                "first day of the first sync (YYYY-MM-DD; default 30 days ago)",
                kind="date",
            ),
        ),
    ),
}


# Every kind's name, known without importing its module (the CLI's `connect add KIND`).
KIND_NAMES = ("asc", "play", "sensortower", "appfigures")


def register(kind: Kind) -> None:
    """Add a kind (the Play and Appfigures connectors register theirs here)."""
    KINDS[kind.kind] = kind


def connector_for(kind: str, config: dict[str, Any], secret: SecretRef) -> Connector:
    """The connector of a stored connection."""
    _load_all()
    spec = KINDS.get(kind)
    if spec is None:
        raise ConnectorError(
            f"'{kind}' is not a connection kind this installpulse knows "
            f"({', '.join(sorted(KINDS))})."
        )
    return spec.make(config, secret)


def _load_all() -> None:
    """Kinds defined in other modules register when imported; import them all (cheap)."""
    for module in ("pipelines.connectors.play", "pipelines.connectors.appfigures"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def kinds() -> dict[str, Kind]:
    _load_all()
    return KINDS
