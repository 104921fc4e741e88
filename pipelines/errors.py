"""Errors are part of the interface: each names the file, line, column and value, and what to do.

The CLI prints them and exits non-zero; pages show them as they are. Nothing here formats HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def clip(value: object, limit: int = 60) -> str:
    """Show a value safely in a message: control characters made visible, long text truncated."""
    text = "" if value is None else str(value)
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One located problem in an input: where it is, what was found and the rule it breaks."""

    message: str
    line: int | None = None
    column: str | None = None
    value: object | None = None
    hint: str | None = None

    def describe(self, file_name: str | None = None) -> str:
        where = []
        if file_name:
            where.append(file_name)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column '{clip(self.column, 40)}'")
        head = ", ".join(where)
        text = f"{head}: " if head else ""
        if self.value is not None:
            text += f"value '{clip(self.value)}': "
        text += self.message
        if self.hint:
            text += f" {self.hint}"
        return text


class InstallpulseError(Exception):
    """Base class of the errors installpulse shows to people (never a traceback)."""


@dataclass
class ImportFailed(InstallpulseError):
    """An import was refused; the database holds nothing of it (only a failed history row)."""

    file_name: str
    problems: list[Problem]
    total: int | None = None
    shown: int = 10
    import_id: int | None = field(default=None)

    def __post_init__(self) -> None:
        super().__init__(self.render())

    @property
    def count(self) -> int:
        return self.total if self.total is not None else len(self.problems)

    def render(self) -> str:
        count = self.count
        noun = "problem" if count == 1 else "problems"
        lines = [f"{self.file_name}: not imported, {count} {noun} found; nothing was written."]
        for problem in self.problems[: self.shown]:
            lines.append("  - " + problem.describe(self.file_name))
        if count > min(len(self.problems), self.shown):
            lines.append(f"  ... and {count - min(len(self.problems), self.shown)} more.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class DatabaseBusy(InstallpulseError):
    """Another process holds the DuckDB file; the user gets a sentence, not a lock traceback."""


class ReadOnlyDatabase(InstallpulseError):
    """The database cannot be written here (a read-only mount, a folder or file this user may
    not write): reads go on through a read-only open, and a write is refused before it starts."""


class UsageError(InstallpulseError):
    """A request that cannot be carried out as asked (unknown app, bad option value, ...)."""
