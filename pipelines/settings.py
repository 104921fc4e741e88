"""Every installpulse setting, declared once with its default and a help line.

Settings are read from the environment (so the CLI, the app and CI agree) and listed in the
README; `tests/test_settings.py` fails when a setting is missing from the README.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import UsageError

PACKAGE_DIR = Path(__file__).resolve().parent


def _checkout() -> Path | None:
    """The repository root when these modules run from a clone (make run, an editable install),
    None when they are an installed wheel (pip install ., pipx)."""
    root = PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "queries").is_dir() else None


REPO_ROOT = _checkout()

# Folders of files installpulse reads at run time: where a wheel carries them inside this
# package (setup.py maps them there) and where the repository keeps them.
_RESOURCES = {"queries": ("queries", "queries"), "demo": ("demo_data", "data/demo")}


def resource_dir(name: str) -> Path:
    """The folder of the named resource (`queries`: the SQL files; `demo`: the demo CSVs)."""
    packaged, in_repo = _RESOURCES[name]
    if (PACKAGE_DIR / packaged).is_dir():
        return PACKAGE_DIR / packaged
    if REPO_ROOT is None:
        raise FileNotFoundError(
            f"installpulse is installed without its {packaged}/ folder ({PACKAGE_DIR}): "
            "reinstall it from a wheel or a clone of the repository."
        )
    return REPO_ROOT / in_repo


def _user_data_dir() -> Path:
    """The per-user folder for application data (an installed installpulse keeps its
    database there rather than in site-packages or wherever it was started)."""
    home = Path.home()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "installpulse"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "installpulse"
    return Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "installpulse"


def _default_db() -> Path:
    if REPO_ROOT is not None:
        return REPO_ROOT / "data" / "installpulse.duckdb"
    return _user_data_dir() / "installpulse.duckdb"


@dataclass(frozen=True)
class Setting:
    """One environment setting: its name, default (as text) and what it is for."""

    env: str
    default: str
    help: str

    def raw(self) -> str:
        value = os.environ.get(self.env)
        return self.default if value is None or value == "" else value


SETTINGS: dict[str, Setting] = {
    s.env: s
    for s in [
        Setting(
            "INSTALLPULSE_DB",
            str(_default_db()),
            "Path of the DuckDB database file (the CLI's --db overrides it). Installed with "
            "pip or pipx rather than run from a clone, the default is installpulse.duckdb in "
            "the user's data folder (~/.local/share/installpulse on Linux, ~/Library/Application "
            "Support/installpulse on macOS, %LOCALAPPDATA%\\installpulse on Windows).",
        ),
        Setting(
            "INSTALLPULSE_STORE",
            "file",
            "Where the data lives: `file` (the DuckDB file of INSTALLPULSE_DB or --db) or a "
            "DuckLake whose catalog is a PostgreSQL database, `ducklake:postgres:dbname=NAME "
            "host=HOST port=PORT user=USER` (README 'Scaling out'). --db accepts either form "
            "too and overrides it.",
        ),
        Setting(
            "INSTALLPULSE_LAKE_DATA",
            "",
            "The lake's Parquet folder (shared by every machine) as this machine mounts it: "
            "needed when a lake is created; when set for an existing lake it is where this "
            "machine reads and writes its files (else where its catalog says). A lake's archive "
            "of imported files is INSTALLPULSE_ARCHIVE, else 'archive' in this folder.",
        ),
        Setting(
            "INSTALLPULSE_ARCHIVE",
            "",
            "Folder for the content-addressed copies of imported files "
            "(default: 'archive' next to the database file).",
        ),
        Setting(
            "INSTALLPULSE_LINGER",
            "2",
            "Seconds a process keeps the database open after its last query, so a page rerun's "
            "queries share one warm connection (0 = close after every operation).",
        ),
        Setting(
            "INSTALLPULSE_LOCK_WAIT",
            "15",
            "Seconds to wait for another process (installpulse, the app, a DuckDB shell) to "
            "release the database before giving up with a 'database in use' message.",
        ),
        Setting(
            "INSTALLPULSE_MAX_FILE_MB",
            "4096",
            "Largest file (MB, after decompression) an import accepts; bigger files are "
            "refused before parsing.",
        ),
        Setting(
            "INSTALLPULSE_MAX_ERRORS_SHOWN",
            "10",
            "How many located problems an import error lists (the total is always given).",
        ),
        Setting(
            "INSTALLPULSE_FUTURE_DAYS",
            "1",
            "Dates later than today plus this many days are refused as future dates.",
        ),
        Setting(
            "INSTALLPULSE_MIN_DATE",
            "2008-01-01",
            "Dates before this are refused (Excel/epoch artefacts such as 1899-12-30, 1970-01-01).",
        ),
        Setting(
            "INSTALLPULSE_MEMORY_LIMIT",
            "700MB",
            "DuckDB memory_limit for installpulse connections: big imports spill to disk "
            "beyond it (a 42M-row import peaks at about 0.9 GB RSS with 700MB, 1.6 GB with 2GB).",
        ),
        Setting(
            "INSTALLPULSE_THREADS",
            "",
            "DuckDB threads (default: DuckDB's choice, the number of cores).",
        ),
        Setting(
            "INSTALLPULSE_APP_THREADS",
            "1",
            "DuckDB threads in the app's process when INSTALLPULSE_THREADS is not set: "
            "sessions read in parallel, each read on one thread (with 25 sessions on 2 cores, "
            "20% more reruns a second than two threads per read). Empty: DuckDB's choice.",
        ),
        Setting(
            "INSTALLPULSE_BATCH_NICE",
            "10",
            "CPU priority given up (`nice`) by the commands that write data in bulk (ingest, "
            "sync, precompute, maintain, lake copy, demo, recover), so an app on the same "
            "machine answers its pages first while they run; they still take every idle "
            "moment. 0: none.",
        ),
        Setting(
            "INSTALLPULSE_EXPORT_TIMEOUT",
            "30",
            "Seconds a server-side chart image export (kaleido + Chromium) may take before "
            "the page says it failed.",
        ),
        Setting(
            "INSTALLPULSE_MAX_TEXT",
            "200",
            "Longest app name, platform, metric or source value accepted (characters).",
        ),
        Setting(
            "INSTALLPULSE_FETCH_ALLOW_HOSTS",
            "",
            "Comma-separated host names or IPs that URL imports may reach even though they "
            "resolve to private, loopback or link-local addresses (default: none; public "
            "addresses are always allowed).",
        ),
        Setting(
            "INSTALLPULSE_FETCH_CONNECT_TIMEOUT",
            "5",
            "Seconds a URL import waits to connect to the server.",
        ),
        Setting(
            "INSTALLPULSE_FETCH_READ_TIMEOUT",
            "20",
            "Seconds a URL import waits for the next bytes (headers or body) from the server.",
        ),
        Setting(
            "INSTALLPULSE_FETCH_DEADLINE",
            "120",
            "Wall-clock seconds a URL import may take in all (redirects, retries and the "
            "download); the body is also capped at INSTALLPULSE_MAX_FILE_MB after decoding.",
        ),
        Setting(
            "INSTALLPULSE_FETCH_RETRIES",
            "2",
            "Extra attempts after a connection failure or a 429/502/503/504 answer.",
        ),
        Setting(
            "INSTALLPULSE_FETCH_MAX_RETRY_AFTER",
            "30",
            "Longest Retry-After (seconds) a URL import honours; a server asking for longer "
            "gets a clear 'try later' error instead of a wait.",
        ),
        Setting(
            "INSTALLPULSE_FAULT",
            "",
            "Test-only fault injection (tests/faults/): the name of a point in pipelines/"
            "faults.py where the process kills itself (suffix @stop: suspends itself). "
            "Leave unset.",
        ),
        Setting(
            "INSTALLPULSE_ASC_API",
            "https://api.appstoreconnect.apple.com",
            "Base address of the App Store Connect API (connectors; a local stand-in in tests).",
        ),
        Setting(
            "INSTALLPULSE_PLAY_TOKEN_URL",
            "https://oauth2.googleapis.com/token",
            "Google's OAuth token address for the Play connector's service-account grant "
            "(default: the key file's token_uri, else this).",
        ),
        Setting(
            "INSTALLPULSE_GCS_API",
            "https://storage.googleapis.com",
            "Base address of the Cloud Storage JSON API the Play connector lists and downloads "
            "report files from.",
        ),
        Setting(
            "INSTALLPULSE_SENSORTOWER_API",
            "https://api.sensortower.com",
            "Base address of the Sensor Tower API (connectors).",
        ),
        Setting(
            "INSTALLPULSE_APPFIGURES_API",
            "https://api.appfigures.com",
            "Base address of the Appfigures API (connectors).",
        ),
        Setting(
            "INSTALLPULSE_FETCH_MAX_REDIRECTS",
            "5",
            "Redirects a URL import follows (each hop's address is checked again).",
        ),
        Setting(
            "INSTALLPULSE_APP_URL",
            "http://127.0.0.1:8501",
            "Address of the dashboard as the readers of alert messages reach it: each message "
            "links to <this>/explore?... (the Explore view of the spike).",
        ),
        Setting(
            "INSTALLPULSE_ALERT_CONNECT_TIMEOUT",
            "3",
            "Seconds an alert delivery waits to connect to the webhook's server.",
        ),
        Setting(
            "INSTALLPULSE_ALERT_READ_TIMEOUT",
            "5",
            "Seconds an alert delivery waits for the webhook's answer; a slower receiver's "
            "message stays pending and is sent again later.",
        ),
        Setting(
            "INSTALLPULSE_ALERT_DEADLINE",
            "10",
            "Wall-clock seconds one delivery round (all the messages an import or "
            "`alerts retry` sends, retries included) may take; what is not delivered by then "
            "stays pending. An import never waits longer than this for its alerts.",
        ),
        Setting(
            "INSTALLPULSE_ALERT_RETRIES",
            "2",
            "Extra attempts within a delivery round after a connection failure or a 429/5xx "
            "answer (Retry-After honoured up to INSTALLPULSE_ALERT_MAX_RETRY_AFTER).",
        ),
        Setting(
            "INSTALLPULSE_ALERT_MAX_RETRY_AFTER",
            "5",
            "Longest Retry-After (seconds) a delivery round waits for; a receiver asking for "
            "longer gets the message at the first round after that time.",
        ),
        Setting(
            "INSTALLPULSE_ALERT_MAX_ATTEMPTS",
            "20",
            "Attempts after which a message that was never accepted is marked failed.",
        ),
        Setting(
            "INSTALLPULSE_ALERT_MAX_AGE_DAYS",
            "7",
            "Only episodes ending within this many days of the series' newest day are sent "
            "(a backfill of history does not send one message per old spike).",
        ),
    ]
}


def get(env: str) -> str:
    """The raw text of a setting (environment, else default)."""
    return SETTINGS[env].raw()


def get_int(env: str) -> int:
    return int(get(env))


def get_float(env: str) -> float:
    return float(get(env))


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database path: an explicit --db, else INSTALLPULSE_DB, else data/installpulse.duckdb.

    A path with ``?`` is refused: DuckDB (2.0) reads what follows a ``?`` as URL options and
    puts the write-ahead log at ``<before ?>.wal?<after>``, so the first commit fails with "no
    such file" (every other character, globs and quotes included, is taken literally)."""
    if explicit:
        path = Path(explicit)
    elif get("INSTALLPULSE_STORE").startswith("ducklake:"):
        path = Path(get("INSTALLPULSE_STORE"))  # a lake's address (README "Scaling out")
    else:
        path = Path(get("INSTALLPULSE_DB"))
    if "?" in str(path):
        raise UsageError(
            f"The database path {str(path)!r} contains '?', which DuckDB cannot open (it reads "
            "what follows as options). Choose a file and folder without '?'."
        )
    return path


def archive_dir(db: Path) -> Path:
    """Where raw imported files are kept, content-addressed, so imports can be replayed."""
    configured = get("INSTALLPULSE_ARCHIVE")
    if configured:
        return Path(configured)
    if str(db).startswith("ducklake:"):  # a lake: its shared data folder
        data = get("INSTALLPULSE_LAKE_DATA")
        if not data:
            raise UsageError(
                f"The lake {db} keeps imported files in INSTALLPULSE_ARCHIVE or in "
                "INSTALLPULSE_LAKE_DATA/archive: set one of them (a folder every importer shares)."
            )
        return Path(data) / "archive"
    return db.parent / "archive"


def markdown_table() -> str:
    """The README's settings table (`python -m pipelines.settings` prints it)."""
    rows = ["| variable | default | what it does |", "|---|---|---|"]
    for s in SETTINGS.values():
        default = "data/installpulse.duckdb" if s.env == "INSTALLPULSE_DB" else s.default
        rows.append(f"| `{s.env}` | `{default}` | {s.help} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
