"""Stage 3, identify: give every entry the GUID that makes it the same Anki note forever.

Anki matches an imported note to the one in a collection by GUID alone. genanki's
default GUID hashes every field, so an edited gloss would arrive as a new note and
the learner's history would stay behind on the old one. Here the GUID hashes only
the entry's identity: its `id` if it has one, else its term and part of speech.
"""

from __future__ import annotations

from collections.abc import Callable

import genanki

from .errors import Problem
from .schema import Entry


def note_guid(deck_id: int, entry: Entry) -> str:
    """Return the GUID of the note of `entry` in the deck `deck_id`."""
    return genanki.guid_for(deck_id, entry.identity)


def duplicate_identities(identities: list[str], entry_at: Callable[[int], Entry]) -> list[Problem]:
    """Return a problem for each entry whose identity an earlier entry already has."""
    first: dict[str, int] = {}
    problems = []
    for index, identity in enumerate(identities):
        earlier = first.setdefault(identity, index)
        if earlier != index:
            entry = entry_at(index)
            what = f"id '{entry.id}'" if entry.id else f"term '{entry.term}' with pos '{entry.pos}'"
            problems.append(Problem(*entry.where, (
                f"entry '{entry.term}': the {what} is already the identity of the entry at "
                f"{entry_at(earlier).where}; merge the two, or give one an 'id' if they are different words")))
    return problems
