"""The exceptions the pipeline raises, and the located problem they carry."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import click


class Problem(NamedTuple):
    """One thing wrong in one place of a source file; problems sort by file, line and column (0: not told)."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        place = "".join(f"{number}:" for number in (self.line, self.column) if number)
        return f"{self.path}:{place} {self.message}"


class DeckError(click.ClickException):
    """Root of every error the pipeline reports to a person; exits with status 1."""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True, file=file)


class SourceError(DeckError):
    """Raised when source files have problems; carries every problem found, sorted."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        count = len(self.problems)
        super().__init__("\n".join([*map(str, self.problems), self.summary(count)]))

    def summary(self, count: int) -> str:
        return f"{count} problem{'s' if count != 1 else ''} in the source; nothing was written."


class LockError(SourceError):
    """Raised when the lock file, which the build writes, holds what no build wrote."""

    def summary(self, count: int) -> str:
        path = self.problems[0].path if self.problems else "the lock"
        return (f"{count} problem{'s' if count != 1 else ''} in {path}, which the build writes and nobody should "
                f"edit: restore the committed one (`git checkout HEAD -- {path}`), or delete it and build again "
                "(every note then counts as new); nothing was written.")


class BuildError(DeckError):
    """Raised when a build cannot proceed for a reason outside the source entries."""

    def format_message(self) -> str:
        return f"error: {self.message}"


def display_path(path: Path) -> str:
    """Return `path` relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def clip(text: str, limit: int = 40) -> str:
    """Return `text` as one short line to quote in a message, cut to `limit` characters with '…'."""
    # A message is one line, and no character of it acts on the terminal.
    text = _CONTROL.sub("\ufffd", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
