"""Stage 3, identify: give every entry the GUID that makes it the same Anki note forever.

Anki matches an imported note to the one in a collection by GUID alone. genanki's
default GUID hashes every field, so an edited gloss would arrive as a new note and
the learner's history would stay behind on the old one. Here the GUID hashes only
the entry's identity: its `id` if it has one, else its term and part of speech.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TYPE_CHECKING

import genanki

from .errors import Problem
from .schema import Entry

if TYPE_CHECKING:
    from .lock import Lock


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


def renamed_entries(guids: list[str], entry_at: Callable[[int], Entry], previous: Lock, lock: Lock) -> list[Problem]:
    """Warn where an entry is new while a similar one left the source: likely a corrected spelling."""
    gone = [stamp.identity for guid, stamp in lock.notes.items()
            if stamp.removed and not previous.notes.get(guid, stamp).removed]
    warnings = []
    for index, guid in enumerate(guids):
        if guid in previous.notes or not gone:
            continue
        entry = entry_at(index)
        term = entry.identity.split("|")[0]
        close = difflib.get_close_matches(term, [identity.split("|")[0] for identity in gone], n=1, cutoff=0.75)
        if close:
            old = next(identity for identity in gone if identity.split("|")[0] == close[0])
            warnings.append(Problem(*entry.where, (
                f"warning: entry '{entry.term}' is new, and '{old}' left the source in the same change; "
                f"if it is the same word corrected, add `id: \"{old}\"` to it to keep learners' review history")))
    return warnings
