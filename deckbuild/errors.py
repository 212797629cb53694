"""The exceptions the pipeline raises, and the located problem they carry."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import click


class Problem(NamedTuple):
    """One thing wrong in one place of a source file; problems sort by file, line and column."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


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
        summary = f"{count} problem{'s' if count != 1 else ''} in the source; nothing was written."
        super().__init__("\n".join([*map(str, self.problems), summary]))


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
