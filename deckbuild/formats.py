"""The small formats the deck's files share, each spelt in this one place.

An entry's identity (what its GUID hashes), a version, the tag of notes whose entry was
removed, and a package's file name: each is written by one function here and read back
by its inverse, never by splitting strings elsewhere.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import BuildError

SEMVER_PATTERN = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
BUMPS = ("patch", "minor", "major")


def identity(term: str, pos: str, id: str = "") -> str:
    """Return what makes an entry the same note across builds: its `id`, else its term and pos.

    The string is hashed into the note's GUID and recorded in the lock; it is never split
    again (an `id` may hold any character): whoever needs the term reads it from the entry.
    """
    return id or f"{term}|{pos}"


class Version(NamedTuple):
    """A semantic version, MAJOR.MINOR.PATCH; versions compare as numbers."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """Read `text`, or raise BuildError saying what a version looks like."""
        match = _VERSION.fullmatch(text)
        if not match:
            raise BuildError(f"expected a version such as 1.2.0, found '{text}'")
        return cls(*map(int, match.groups()))

    @classmethod
    def is_valid(cls, text: str) -> bool:
        return _VERSION.fullmatch(text) is not None

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def bumped(self, bump: str) -> Version:
        """The next version for a `bump`: patch, minor or major."""
        if bump == "major":
            return Version(self.major + 1, 0, 0)
        if bump == "minor":
            return Version(self.major, self.minor + 1, 0)
        return Version(self.major, self.minor, self.patch + 1)

    def bump_from(self, older: Version) -> str:
        """Which part went up from `older` to this version: major, minor or patch."""
        return "major" if self.major > older.major else "minor" if self.minor > older.minor else "patch"


def removed_tag(slug: str) -> str:
    """The tag of notes whose entry left the source: `<slug>::removed`."""
    return f"{slug}::{_REMOVED}"


def is_removed_tag(tag: str) -> bool:
    """Whether `tag` is some deck's removed tag (a package read back does not say its slug)."""
    return tag.endswith(f"::{_REMOVED}")


def lock_name(edition: str = "") -> str:
    """The file name of an edition's lock: `deck.lock` for the deck as written, `deck.<code>.lock` for another."""
    return f"deck.{edition}.lock" if edition else "deck.lock"


def package_name(slug: str, version: str) -> str:
    """The file name of a deck's package: `<slug>-<version>.apkg`."""
    return f"{slug}-{version}.apkg"


def parse_package_name(name: str) -> tuple[str, Version] | None:
    """The slug and version in a file name that package_name made; None for any other name."""
    match = _PACKAGE_NAME.fullmatch(name)
    return (match.group(1), Version.parse(match.group(2))) if match else None


_REMOVED = "removed"
_VERSION = re.compile(SEMVER_PATTERN)
_PACKAGE_NAME = re.compile(rf"(.+)-({SEMVER_PATTERN})\.apkg")
