"""Shared JSON plumbing for adapters: parse keeping the line where every object starts, so
errors can point at the record in a pretty-printed file, and the daily-granularity check.

JSON exports (estimates APIs) are modest in size; they are parsed in Python with the standard
decoder (numbers with a fraction become Decimal, so money stays exact) and staged as a frame.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from pipelines.adapters.base import SourceFile
from pipelines.errors import ImportFailed, Problem

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder(parse_float=Decimal)


class LinedDict(dict):
    """A JSON object that remembers the 1-based line of its opening brace and its position
    among the objects of the file (1-based, in reading order)."""

    line: int = 0
    index: int = 0


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.objects = 0
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, pos: int) -> int:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def value(self, pos: int, depth: int) -> tuple[Any, int]:
        if depth > 64:
            raise ValueError("nested more than 64 levels deep")
        pos = self.skip(pos)
        char = self.text[pos : pos + 1]
        if char == "{":
            return self.obj(pos, depth)
        if char == "[":
            items: list[Any] = []
            pos = self.skip(pos + 1)
            if self.text[pos : pos + 1] == "]":
                return items, pos + 1
            while True:
                item, pos = self.value(pos, depth + 1)
                items.append(item)
                pos = self.skip(pos)
                char = self.text[pos : pos + 1]
                if char == "]":
                    return items, pos + 1
                if char != ",":
                    raise json.JSONDecodeError("expected ',' or ']'", self.text, pos)
                pos += 1
        return _DECODER.raw_decode(self.text, pos)

    def obj(self, start: int, depth: int) -> tuple[LinedDict, int]:
        out = LinedDict()
        self.objects += 1
        out.line = self.line_of(start)
        out.index = self.objects
        pos = self.skip(start + 1)
        if self.text[pos : pos + 1] == "}":
            return out, pos + 1
        while True:
            pos = self.skip(pos)
            if self.text[pos : pos + 1] != '"':
                raise json.JSONDecodeError("expected a quoted key", self.text, pos)
            key, pos = _DECODER.raw_decode(self.text, pos)
            pos = self.skip(pos)
            if self.text[pos : pos + 1] != ":":
                raise json.JSONDecodeError("expected ':'", self.text, pos)
            out[key], pos = self.value(pos + 1, depth + 1)
            pos = self.skip(pos)
            char = self.text[pos : pos + 1]
            if char == "}":
                return out, pos + 1
            if char != ",":
                raise json.JSONDecodeError("expected ',' or '}'", self.text, pos)
            pos += 1


def load(src: SourceFile) -> tuple[Any, bool]:
    """The parsed document and whether objects can be told apart by line (False for a file
    on one line: then errors give the record number instead)."""
    text = src.path.read_text(encoding="utf-8-sig")
    parser = _Parser(text)
    try:
        value, end = parser.value(0, 0)
        if parser.skip(end) != len(text):
            raise json.JSONDecodeError("extra data after the JSON value", text, parser.skip(end))
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            src.name,
            [
                Problem(
                    f"not valid JSON ({exc.msg}).",
                    line=exc.lineno,
                    value=text[exc.pos : exc.pos + 40],
                    hint="Save the API response as it came; the file looks cut off or edited.",
                )
            ],
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise ImportFailed(src.name, [Problem(f"not valid JSON ({exc}).")]) from exc
    return value, text.count("\n") > 1


def record_position(obj: LinedDict, by_line: bool) -> int:
    """What staging.line holds for a record: its line, or its record number."""
    return obj.line if by_line else obj.index


def looks_like_json(src: SourceFile, opener: str) -> bool:
    return src.head.lstrip().startswith(opener)


def check_daily(src: SourceFile, dates: list[tuple[str, int]], what: str) -> None:
    """Refuse weekly/monthly series: distinct dates that are never one day apart."""
    parsed = sorted({d for d in (_iso(text) for text, _ in dates) if d is not None})
    if len(parsed) < 2:
        return
    gap = min((b - a).days for a, b in pairwise(parsed))
    if gap > 1:
        line = next(pos for text, pos in dates if _iso(text) == parsed[1])
        raise ImportFailed(
            src.name,
            [
                Problem(
                    f"the dates are {gap} or more days apart: this {what} has weekly, monthly "
                    "or yearly granularity, so its values are not daily.",
                    line=line,
                    value=parsed[1].isoformat(),
                    hint="Request it again with daily granularity.",
                )
            ],
        )


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if isinstance(text, str) else None
    except ValueError:
        return None


def day_text(value: Any) -> Any:
    """'2026-02-28T00:00:00Z' -> '2026-02-28'; anything else unchanged (the contract checks)."""
    if isinstance(value, str) and re.fullmatch(
        r"\d{4}-\d{2}-\d{2}[T ][0-9:.]+(Z|[+-][0-9:]+)?", value.strip()
    ):
        return value.strip()[:10]
    return value


def as_text(value: Any) -> str | None:
    """A JSON scalar as the text the contract parses (None stays NULL; Decimal stays exact)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return json.dumps(value)[:60]
    return str(value)
