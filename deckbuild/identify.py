"""Stage 3, identify: give every entry the GUID that makes it the same Anki note forever.

Anki matches an imported note to the one in a collection by GUID alone. genanki's
default GUID hashes every field, so an edited gloss would arrive as a new note and
the learner's history would stay behind on the old one. Here the GUID hashes only
the entry's identity: its `id` if it has one, else its term and part of speech.
"""

from __future__ import annotations

from dataclasses import dataclass

import genanki

from .errors import Problem, SourceError
from .schema import Deck, Entry


@dataclass(frozen=True)
class Identified:
    """An entry with its note GUID and its position in source order (from 1)."""

    entry: Entry
    guid: str
    position: int


def note_guid(deck_id: int, entry: Entry) -> str:
    """Return the GUID of the note of `entry` in the deck `deck_id`."""
    return genanki.guid_for(deck_id, entry.identity)


def identify(deck: Deck) -> list[Identified]:
    """Return every entry with its GUID, or raise SourceError if two entries share an identity."""
    first: dict[str, Entry] = {}
    problems = []
    for entry in deck.entries:
        earlier = first.setdefault(entry.identity, entry)
        if earlier is not entry:
            what = f"id '{entry.id}'" if entry.id else f"term '{entry.term}' with pos '{entry.pos}'"
            problems.append(Problem(entry.where.path, entry.where.line, entry.where.column, (
                f"entry '{entry.term}': the {what} is already the identity of the entry at {earlier.where}; "
                "merge the two, or give one an 'id' if they are different words")))
    if problems:
        raise SourceError(problems)
    return [Identified(entry, note_guid(deck.manifest.deck_id, entry), position)
            for position, entry in enumerate(deck.entries, start=1)]
