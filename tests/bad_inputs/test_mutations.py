"""Property: mutate a valid generic export and the import contract still holds.

Hypothesis builds a valid long or wide export (names with quotes, commas, newlines, emoji and
Arabic; comma, semicolon or TAB; LF, CRLF or CR; UTF-8, UTF-8 with BOM, UTF-16 or
Windows-1252), then applies one mutation: none, drop or duplicate a column, change the
delimiter of one line, inject a quote or a line break, or truncate the bytes. Outcomes:

* meaning-preserving changes must import exactly the original values;
* changes that break the header must fail;
* lossy changes (truncation, injected characters) may go either way, but a success may differ
  from the original meaning only in the rows the damaged line held, and a failure must be
  located (file and a physical line that exists) with nothing written but one history row.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import contract
from pipelines.errors import ImportFailed
from tests.bad_inputs.bad_input_helpers import (
    assert_only_a_failed_row_added,
    snapshot,
    stored,
)

NAMES = ["Foo", "Bar Baz", 'O\'Reilly "Pro"', "Café", "a,b;c", "Two\nLines", "📈 Stats", "تطبيق"]
METRICS = ["installs", "uninstalls"]


@dataclass
class Export:
    layout: str
    header: list[str]
    rows: list[list[str]]
    expected: set[tuple]
    delimiter: str
    eol: str
    encoding: str
    quote_all: bool

    def text(self, header: list[str] | None = None, rows: list[list[str]] | None = None) -> str:
        """RFC 4180 text (csv.writer would leave a LF unquoted in a CR-only file)."""

        def field(value: str) -> str:
            if self.quote_all or any(c in value for c in (self.delimiter, '"', "\r", "\n")):
                return '"' + value.replace('"', '""') + '"'
            return value

        records = [
            self.header if header is None else header,
            *(self.rows if rows is None else rows),
        ]
        return "".join(self.delimiter.join(map(field, r)) + self.eol for r in records)

    def encode(self, text: str) -> bytes:
        if self.encoding == "utf-16":
            return codecs.BOM_UTF16_LE + text.encode("utf-16-le")
        return text.encode(self.encoding)


@st.composite
def exports(draw: st.DrawFn) -> Export:
    layout = draw(st.sampled_from(["long", "wide"]))
    apps = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    days = draw(st.integers(1, 3))
    # An extra column is ignored in the long layout; in the wide one every non-key column is
    # a metric, so an unknown one is refused (README, "Limits and bad inputs").
    notes = layout == "long" and draw(st.booleans())
    header = ["date", "app", "metric", "value"] if layout == "long" else ["date", "app", *METRICS]
    if notes:
        header.append("notes")
    rows: list[list[str]] = []
    expected: set[tuple] = set()
    for app in apps:
        for day in range(days):
            date = f"2024-02-{day + 1:02d}"
            values = {m: draw(st.integers(0, 10**7)) for m in METRICS}
            for metric, value in values.items():
                expected.add((app, "unknown", "WW", date, metric, float(value), "generic"))
            extra = ["n"] if notes else []
            if layout == "long":
                rows += [[date, app, m, str(v), *extra] for m, v in values.items()]
            else:
                rows.append([date, app, *(str(values[m]) for m in METRICS), *extra])
    text_needs = "".join(apps)
    encodings = ["utf-8", "utf-8-sig", "utf-16"]
    try:
        text_needs.encode("cp1252")
        encodings.append("cp1252")
    except UnicodeEncodeError:
        pass
    return Export(
        layout=layout,
        header=header,
        rows=rows,
        expected=expected,
        delimiter=draw(st.sampled_from([",", ";", "\t"])),
        eol=draw(st.sampled_from(["\n", "\r\n", "\r"])),
        encoding=draw(st.sampled_from(encodings)),
        quote_all=draw(st.booleans()),
    )


def _line_of(prefix: str) -> int:
    """The 1-based physical line a text position falls on, given the text before it."""
    return prefix.count("\n") + prefix.count("\r") - prefix.count("\r\n") + 1


def _record_line(export: Export, offset: int) -> int:
    """The physical line on which the record holding character `offset` of the unmutated
    text starts: errors are located at the start of the record they are in (a quoted newline
    makes one record span two lines), and nothing before the damaged record is damaged."""
    text = export.text()
    start = 0
    line_of_record = 1
    for record in [export.header, *export.rows]:
        length = len(export.text(record, []))  # the record and its line end
        if offset < start + length:
            return line_of_record
        line_of_record = _line_of(text[: start + length])
        start += length
    return line_of_record


def _decoded(data: bytes, encoding: str) -> str:
    """The text of (possibly cut) bytes, without the byte-order mark."""
    text = data.decode("utf-16-le" if encoding == "utf-16" else encoding, errors="replace")
    return text.removeprefix("\ufeff")


def _physical_lines(data: bytes, encoding: str) -> int:
    return _line_of(_decoded(data, encoding))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(export=exports(), data=st.data())
def test_mutated_exports_keep_the_contract(
    export: Export, data: st.DataObject, store_template: Path
) -> None:
    mutation = data.draw(
        st.sampled_from(["none", "drop", "dup", "delim_line", "quote", "newline", "truncate"]),
        label="mutation",
    )
    expected = set(export.expected)
    kind = "exact"
    damage = 1  # the first physical line the mutation touches (the header for column changes)
    if mutation == "none":
        raw = export.encode(export.text())
    elif mutation in ("drop", "dup"):
        col = data.draw(st.integers(0, len(export.header) - 1), label="column")
        if mutation == "drop":
            header = export.header[:col] + export.header[col + 1 :]
            rows = [r[:col] + r[col + 1 :] for r in export.rows]
            name = export.header[col]
            if name == "notes":
                kind = "exact"
            elif name in METRICS:
                kind = "exact"
                expected = {r for r in expected if r[4] != name}
            else:
                kind = "fail"
        else:
            header = [*export.header, export.header[col]]
            rows = [[*r, r[col]] for r in export.rows]
            kind = "fail"
        raw = export.encode(export.text(header, rows))
    else:
        kind = "lossy"
        text = export.text()
        if mutation == "delim_line":
            lines = text.split(export.eol)
            index = data.draw(st.integers(1, max(1, len(lines) - 2)), label="line")
            other = data.draw(st.sampled_from([d for d in ",;\t|" if d != export.delimiter]))
            lines[index] = lines[index].replace(export.delimiter, other)
            damage = _record_line(export, len(export.eol.join(lines[:index]) + export.eol))
            text = export.eol.join(lines)
            raw = export.encode(text)
        elif mutation in ("quote", "newline"):
            at = data.draw(st.integers(0, len(text)), label="at")
            damage = _record_line(export, at)
            text = text[:at] + ('"' if mutation == "quote" else export.eol) + text[at:]
            raw = export.encode(text)
        else:
            full = export.encode(text)
            raw = full[: data.draw(st.integers(1, len(full) - 1), label="cut")]
            kept = _decoded(raw, export.encoding)
            damage = _record_line(export, max(0, len(kept) - 1))

    with tempfile.TemporaryDirectory(prefix="installpulse-prop-") as tmp:
        folder = Path(tmp)
        db = folder / "store" / "prop.duckdb"
        db.parent.mkdir()
        shutil.copyfile(store_template, db)
        path = folder / "export.csv"
        path.write_bytes(raw)
        before = snapshot(db)
        try:
            contract.ingest_file(path, db)
        except ImportFailed as error:
            assert kind != "exact", error.render()
            first = error.problems[0]
            text = error.render()
            assert error.file_name == "export.csv"
            assert first.line is not None, text
            last = _physical_lines(raw, export.encoding)
            lines = [p.line for p in error.problems if p.line is not None]
            # Every named line exists, and the refusal points at the damage: everything before
            # it is a valid export, so some named line is at or after the first damaged line
            # (a broken header is line 1).
            assert all(1 <= n <= last for n in lines), text
            if kind == "fail":
                assert first.line == 1, text
            else:
                assert max(lines) >= damage, (damage, text)
            assert f"export.csv, line {first.line}" in text
            assert_only_a_failed_row_added(before, snapshot(db))
            return
        assert kind != "fail", f"{mutation} should have been refused"
        got = stored(db)
        if kind == "exact":
            assert got == expected
        else:
            # Only the rows of the damaged line(s) may differ from the original meaning.
            allowance = 2 * (1 if export.layout == "long" else len(METRICS))
            assert len(got - expected) <= allowance, (mutation, got - expected)
            assert len(expected - got) <= allowance or mutation == "truncate"
