"""What the Data and Events pages do with uploaded bytes, without Streamlit (tests call it).

An upload is written to a temporary file under OUR name (`upload.bin`): the name the browser
sent is only ever shown (cleaned by `sources.display_name`) and recorded in the history,
never used as a path (RELIABILITY.md 1.4). The type filter of `st.file_uploader` is
best-effort; the bytes are checked here by `sources.prepare` and the adapters.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import adapters, contract, events, sources
from pipelines.adapters.base import IngestOptions
from pipelines.auth import Actor
from pipelines.contract import ImportResult
from pipelines.errors import ImportFailed, InstallpulseError

PREVIEW_LINES = 8
UPLOAD_NAME = "upload.bin"


@dataclass
class UploadPreview:
    """What a file looks like before it is imported: format, encoding and first lines,
    or the located reason it cannot be imported."""

    name: str
    size: int
    format: str | None = None
    format_label: str | None = None
    encoding: str | None = None
    compression: str | None = None
    lines: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _write(data: bytes, folder: Path) -> Path:
    path = folder / UPLOAD_NAME
    path.write_bytes(data)
    return path


def inspect(name: str, data: bytes, options: IngestOptions | None = None) -> UploadPreview:
    """Detect the format and show the first lines; nothing is written to the database."""
    options = options or IngestOptions()
    shown = sources.display_name(name)
    preview = UploadPreview(shown, len(data))
    with tempfile.TemporaryDirectory(prefix="installpulse-upload-") as tmp:
        folder = Path(tmp)
        try:
            src = sources.prepare(_write(data, folder), shown, folder, options)
            adapter = adapters.by_name(options.format) if options.format else adapters.detect(src)
        except ImportFailed as exc:
            preview.error = exc.render()
            return preview
        preview.format, preview.format_label = adapter.name, adapter.label
        preview.encoding, preview.compression = src.encoding, src.compression
        preview.lines = src.head.splitlines()[:PREVIEW_LINES]
        preview.notices = list(src.notices)
    return preview


def ingest(
    name: str,
    data: bytes,
    db: Path | str | None,
    options: IngestOptions | None = None,
    actor: Actor | None = None,
) -> ImportResult:
    """Import uploaded bytes under the import contract (raises ImportFailed, located) as
    `actor` (the session's; refused with NotAllowed unless they may import)."""
    with tempfile.TemporaryDirectory(prefix="installpulse-upload-") as tmp:
        path = _write(data, Path(tmp))
        return contract.ingest_file(path, db, options or IngestOptions(), name=name, actor=actor)


def ingest_events(
    name: str, data: bytes, db: Path | str | None, actor: Actor | None = None
) -> tuple[str, int, int]:
    """Import an annotation CSV, or an Appfigures events JSON export when the bytes are JSON
    (status, import id, events added), as `actor`."""
    shown = sources.display_name(name)
    with tempfile.TemporaryDirectory(prefix="installpulse-upload-") as tmp:
        path = _write(data, Path(tmp))
        if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"[", b"{"):
            from pipelines import event_formats  # the Appfigures reader (optional module)

            return event_formats.import_appfigures(path, db, name=shown, actor=actor)
        return events.import_csv(path, db, name=shown, actor=actor)


def error_text(exc: Exception) -> str:
    """The located message of an installpulse error (plain text, shown with st.code)."""
    if isinstance(exc, ImportFailed):
        return exc.render()
    if isinstance(exc, InstallpulseError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
