"""Turn the bytes someone handed us into UTF-8 text an adapter can parse - or a clear refusal.

Encoding is decided from the bytes (BOM, NUL pattern, UTF-8 validity), never guessed per row;
gzip is decompressed streaming under a size cap; binary files (xlsx, PNG, PDF, executables)
renamed `.csv` are refused by their signature, and so is compression decided by content, never
by the file name. The text a reader parses always lives in a folder of ours under a name of
ours (`SourceFile.path`): DuckDB's readers expand glob characters (`rep[1].csv` would read
`rep1.csv`) and choose a decompression from the extension, so they never see the name the
user gave. The raw bytes are what gets hashed and archived.
"""

from __future__ import annotations

import codecs
import glob
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

from pipelines import faults, settings
from pipelines.adapters.base import IngestOptions, SourceFile
from pipelines.errors import ImportFailed, Problem

HEAD_BYTES = 256 * 1024
CHUNK = 4 * 1024 * 1024
PY_VALIDATE_LIMIT = 64 * 1024 * 1024

_SIGNATURES: list[tuple[bytes, str]] = [
    (b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx workbook)"),
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "a Linux executable"),
    (b"MZ", "a Windows executable"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document (.xls)"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard (zstd) archive"),
]
# What to do about each kind refused by its signature (the default: export as CSV).
_SIGNATURE_HINTS = {
    "a Zstandard (zstd) archive": "zstd-compressed files are not read: decompress it first "
    "(zstd -d FILE) and import the CSV, or compress it with gzip instead.",
}
_EXPORT_AS_CSV = "Export the report as CSV (Excel: File > Save As > CSV UTF-8)."
# The encodings the README names for --encoding (any Python text codec works).
KNOWN_ENCODINGS = "utf-8, utf-16, cp1252, latin-1"
# The text a reader parses, inside a folder of ours (generated names only, see module doc).
WORK_NAME = "input.csv"
PARQUET_MAGIC = b"PAR1"


def display_name(name: str) -> str:
    """A file name safe to show: no directories, no control characters, bounded length.

    It is only ever shown, never used as a path (uploads are written under our own names).
    """
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch if ch.isprintable() else "?" for ch in base).strip() or "upload"
    return base[:120]


def sha256_of(path: Path) -> str:
    # hashlib.file_digest reads into one reused buffer (no bytes object per chunk): a 2.2 GB
    # file hashed in 1.8 s instead of 2.8 s with read() in 4 MB chunks.
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _max_bytes() -> int:
    return settings.get_int("INSTALLPULSE_MAX_FILE_MB") * 1024 * 1024


def _fail(
    name: str,
    message: str,
    hint: str | None = None,
    line: int | None = None,
    value: object | None = None,
) -> ImportFailed:
    return ImportFailed(name, [Problem(message, line=line, value=value, hint=hint)])


def _gunzip(name: str, src: Path, dst: Path) -> None:
    limit = _max_bytes()
    written = 0
    try:
        with gzip.open(src, "rb") as fin, dst.open("wb") as fout:
            while chunk := fin.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise _fail(
                        name,
                        f"decompresses to more than {limit // (1024 * 1024)} MB "
                        "(INSTALLPULSE_MAX_FILE_MB); refused as too large or a decompression bomb.",
                        "Split the file, or raise INSTALLPULSE_MAX_FILE_MB if it is genuine.",
                    )
                fout.write(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise _fail(
            name,
            f"is not a valid gzip file ({exc}).",
            "Download it again; the archive looks truncated or corrupt.",
        ) from exc
    with dst.open("rb") as fh:
        if fh.read(2) == b"\x1f\x8b":
            raise _fail(
                name,
                "is a gzip file inside a gzip file; nested archives are refused.",
                "Decompress it once yourself and import the inner file.",
            )


def _looks_utf16(head: bytes) -> str | None:
    sample = head[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nuls > 0.3 * half and even_nuls < 0.05 * half:
        return "utf-16-le"
    if even_nuls > 0.3 * half and odd_nuls < 0.05 * half:
        return "utf-16-be"
    return None


class _DecodeError(Exception):
    """A decoding failure located on a physical line of the decoded text."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def _breaks(text: str, previous_cr: bool) -> int:
    """Line breaks in a decoded chunk (CRLF, LF, CR), not counting an LF that completes a CR
    ending the previous chunk."""
    count = text.count("\n") + text.count("\r") - text.count("\r\n")
    if previous_cr and text.startswith("\n"):
        count -= 1
    return count


def _transcode(src: Path, dst: Path, encoding: str, skip: int = 0) -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 1
    previous_cr = False
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        fin.seek(skip)
        while True:
            chunk = fin.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                good = exc.object[: exc.start].decode(encoding, errors="replace")
                raise _DecodeError(exc.reason, lines + _breaks(good, previous_cr)) from exc
            fout.write(text)
            if text:
                lines += _breaks(text, previous_cr)
                previous_cr = text.endswith("\r")
            if not chunk:
                break


def line_of(data: bytes, offset: int) -> int:
    """The 1-based physical line holding byte `offset`: CRLF, LF and CR each end a line."""
    before = data[:offset]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


def _locate_bad_utf8(path: Path, exc: UnicodeDecodeError, offset_base: int) -> tuple[int, int]:
    """(line, byte offset) of the first invalid byte."""
    offset = offset_base + exc.start
    with path.open("rb") as fh:
        data = fh.read(offset)
    return line_of(data, offset), offset


def _check_utf8(name: str, path: Path) -> str:
    """Validate UTF-8 in Python (small files); return 'utf-8' or 'cp1252' (whole-file fallback)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A file with no valid multi-byte UTF-8 sequence at all, whose high bytes are all
        # printable Windows-1252, is a Windows-1252 export (Excel on Windows): decode it so
        # and record it. A UTF-8 file with bad bytes in the middle is an error.
        has_utf8_multibyte = re.search(rb"[\xc2-\xf4][\x80-\xbf]+", data[: exc.start]) is not None
        if not has_utf8_multibyte:
            try:
                data.decode("cp1252")
                return "cp1252"
            except UnicodeDecodeError:
                pass
        line, offset = _locate_bad_utf8(path, exc, 0)
        bad = data[exc.start : exc.start + 4]
        raise ImportFailed(
            name,
            [
                Problem(
                    f"invalid UTF-8 bytes {bad!r} at byte offset {offset}.",
                    line=line,
                    hint="Save the file as UTF-8 (or UTF-16 with BOM), or say its encoding "
                    "with --encoding.",
                )
            ],
        ) from exc


def _check_encoding(name: str, encoding: str) -> None:
    """Refuse an --encoding that Python does not know, or that is not a text encoding
    (rot13, base64, hex, zlib are codecs too, but they do not turn bytes into text)."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, ValueError, TypeError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        what = "" if info is None else f" ({info.name} is a codec, but not a text encoding)"
        raise _fail(
            name,
            f"unknown encoding '{encoding}'{what}.",
            f"Use one of {KNOWN_ENCODINGS} (any Python text encoding name works), or leave "
            "--encoding out: UTF-8, UTF-16 and Windows-1252 are recognised from the bytes.",
        )


def _parquet_as_csv(name: str, raw: Path, work: Path) -> Path:
    """A Parquet file (a warehouse table exported as Parquet) as the CSV text every reader
    parses: DuckDB's read_parquet reads exactly the file (linked under our own name, path
    bound and glob-escaped) and writes its rows with a header, one per line, so line N of an
    error is row N - 1 of the table. Values keep their text (a DATE as YYYY-MM-DD, a DOUBLE
    such as 16449.0), and the import rules check them as for any CSV."""
    import duckdb  # (only for Parquet: the CLI's other paths do not need it here)

    source = _working_link(raw, work, "input.parquet")
    target = work / "decoded.csv"
    con = duckdb.connect()
    try:
        con.execute(
            "copy (select * from read_parquet($source)) to $target "
            "(format csv, header true, delimiter ',', quote '\"')",
            {"source": reader_path(source), "target": str(target)},
        )
    except duckdb.Error as exc:
        raise _fail(
            name,
            f"cannot be read as Parquet ({str(exc).splitlines()[0]}).",
            "Export the table again (Parquet or CSV).",
        ) from exc
    finally:
        con.close()
    return target


def _working_link(raw: Path, work: Path, work_name: str = WORK_NAME) -> Path:
    """The user's file under our own name in our own folder, without copying its bytes.

    A hard link where the file system allows one (it keeps the bytes that were hashed even if
    the original is renamed meanwhile), else a symbolic link, else (no links at all) a copy.
    """
    target = work / work_name
    for link in (os.link, os.symlink):
        try:
            link(raw.resolve(), target)
            return target
        except OSError:
            target.unlink(missing_ok=True)
    shutil.copyfile(raw, target)
    return target


def reader_path(path: Path) -> str:
    """`path` as DuckDB's file readers must be given it so they read exactly that file.

    DuckDB expands `*`, `?` and `[...]` in any path it reads (there is no option to turn that
    off in duckdb 2.0) and `~` at its start; bracketing each glob character (`[[]`, `[*]`,
    `[?]`) makes the pattern match only the name itself. Our working names carry none of
    them, but the temp folder (TMPDIR) might.
    """
    return glob.escape(os.path.abspath(path))


def prepare(raw: Path, name: str, workdir: Path, options: IngestOptions) -> SourceFile:
    """Check size and signature, decompress, decode to UTF-8; everything before parsing."""
    name = display_name(name)
    size = raw.stat().st_size
    if size == 0:
        raise _fail(name, "is an empty file (0 bytes).", "Export the report again.")
    if size > _max_bytes():
        limit_mb = settings.get("INSTALLPULSE_MAX_FILE_MB")
        raise _fail(
            name,
            f"is {size / 1024 / 1024:.0f} MB, over the {limit_mb} MB "
            "limit (INSTALLPULSE_MAX_FILE_MB); refused before parsing.",
            "Split it by month or raise the limit.",
        )
    digest = sha256_of(raw)
    with raw.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    # A folder of our own per prepared file (several may share `workdir`: the App Store
    # segments read back from the archive), with a generated, glob-free name.
    work = Path(tempfile.mkdtemp(prefix="src-", dir=workdir))
    compression = None
    current = raw
    notices: list[str] = []
    if head[:2] == b"\x1f\x8b":
        compression = "gzip"
        current = work / "decompressed"
        _gunzip(name, raw, current)
        with current.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        if not head:
            raise _fail(name, "decompresses to an empty file.", "Export the report again.")
    if head.startswith(PARQUET_MAGIC):
        text_path = _parquet_as_csv(name, current, work)
        with text_path.open("rb") as fh:
            head_text = fh.read(HEAD_BYTES).decode("utf-8", errors="replace")
        if not head_text.strip():
            raise _fail(name, "is a Parquet file without columns.", "Export the table again.")
        return SourceFile(
            name=name,
            raw_path=raw,
            path=text_path,
            encoding="parquet",
            compression=compression,
            head=head_text,
            size=text_path.stat().st_size,
            sha256=digest,
            notices=["read as Parquet: a line number names row (line - 1) of the table."],
        )
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            raise _fail(
                name,
                f"is {kind}, not a CSV/TSV/JSON export.",
                _SIGNATURE_HINTS.get(kind, _EXPORT_AS_CSV),
            )
    encoding = (options.encoding or "").lower() or None
    skip = 0
    if encoding is None:
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif head.startswith(codecs.BOM_UTF16_LE):
            encoding, skip = "utf-16-le", 2
        elif head.startswith(codecs.BOM_UTF16_BE):
            encoding, skip = "utf-16-be", 2
        elif (guess := _looks_utf16(head)) is not None:
            encoding = guess
            notices.append(f"no byte-order mark, but the NUL pattern says {guess.upper()}.")
        elif b"\x00" in head:
            offset = head.index(b"\x00")
            raise _fail(
                name,
                f"NUL byte at byte offset {offset}: the file is binary or in an unknown "
                "encoding (control characters are refused, never stripped).",
                "Export it again as CSV UTF-8.",
                line=line_of(head, offset),
            )
        elif current.stat().st_size <= PY_VALIDATE_LIMIT:
            encoding = _check_utf8(name, current)
            if encoding == "cp1252":
                notices.append("not UTF-8; decoded as Windows-1252 (recorded in the history).")
        else:
            encoding = "utf-8"  # DuckDB validates big files and reports the line.
    else:
        _check_encoding(name, encoding)
    text_path = current
    if encoding not in ("utf-8", "utf-8-sig"):
        text_path = work / "decoded.txt"
        try:
            _transcode(current, text_path, encoding, skip)
        except _DecodeError as exc:
            raise _fail(
                name,
                f"cannot be decoded as {encoding} ({exc.reason}).",
                "Check the file's encoding (a UTF-16 file cut short ends in half a character).",
                line=exc.line,
            ) from exc
    # (a UTF-8 file, with or without a BOM - DuckDB skips a UTF-8 BOM itself - is read where
    # it is, through a link of ours)
    if text_path == raw:
        text_path = _working_link(raw, work)
    with text_path.open("rb") as fh:
        head_text = fh.read(HEAD_BYTES).decode("utf-8", errors="replace")
    if head_text.startswith("\ufeff"):
        head_text = head_text[1:]
    if not head_text.strip():
        raise _fail(name, "has no text in it (only blank lines).", "Export the report again.")
    return SourceFile(
        name=name,
        raw_path=raw,
        path=text_path,
        encoding=encoding,
        compression=compression,
        head=head_text,
        size=text_path.stat().st_size,
        sha256=digest,
        notices=notices,
    )


def archive_path(src: SourceFile, folder: Path) -> Path:
    """Where `archive` keeps these bytes: named by their SHA-256."""
    return folder / src.sha256[:2] / src.sha256


def archive(src: SourceFile, folder: Path, options: dict[str, object] | None = None) -> Path:
    """Keep the raw bytes, content-addressed, so any import can be replayed.

    A sidecar `<sha>.json` records the file name and the options it was imported with: if the
    database loses recent writes (a corrupt WAL), `installpulse recover --replay` re-imports
    the archived files the database no longer knows, as they were imported.
    """
    target = archive_path(src, folder)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        shutil.copyfile(src.raw_path, tmp)
        faults.point("archive:copied")
        tmp.replace(target)
    sidecar = target.with_name(target.name + ".json")
    meta = {"file_name": src.name, "options": options or {},
            "archived_at": datetime.now(UTC).isoformat(timespec="seconds")}  # fmt: skip
    tmp_meta = sidecar.with_suffix(".part")
    tmp_meta.write_text(json.dumps(meta, sort_keys=True), encoding="utf-8")
    tmp_meta.replace(sidecar)
    return target
