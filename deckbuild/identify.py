"""Stage 3, identify: give every entry the GUID that makes it the same Anki note forever.

Anki matches an imported note to the one in a collection by GUID alone. genanki's
default GUID hashes every field, so an edited gloss would arrive as a new note and
the learner's history would stay behind on the old one. Here the GUID hashes only
the entry's identity: its `id` if it has one, else its term and part of speech. An entry
brought in from an Anki deck by `import` keeps the GUID its note had (`guid:`), so that the
learners of that deck find their notes in the first package built from it.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable

from .errors import Problem
from .schema import Entry

_BASE91 = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_`{|}~"  # genanki's digits, in its order


def note_guid(deck_id: int, entry: Entry) -> str:
    """Return the GUID of the note of `entry` in the deck `deck_id`: the one it came with (`guid:`), if any.

    It is genanki.guid_for(deck_id, identity), written out here: every learner's notes depend on
    it never changing, whatever a later genanki does (a test holds the two together), and a build
    with nothing to do need not import genanki (35 ms) to know it.
    """
    if entry.guid:
        return entry.guid
    number = int.from_bytes(hashlib.sha256(f"{deck_id}__{entry.identity}".encode()).digest()[:8], "big")
    digits = []
    while number:
        number, digit = divmod(number, len(_BASE91))
        digits.append(_BASE91[digit])
    return "".join(reversed(digits))


def duplicate_guids(guids: list[str], entry_at: Callable[[int], Entry]) -> list[Problem]:
    """Return a problem for each entry whose `guid:` an earlier entry's note already has."""
    first: dict[str, int] = {}
    problems = []
    for index, guid in enumerate(guids):
        earlier = first.setdefault(guid, index)
        if earlier != index and entry_at(index).guid:
            entry = entry_at(index)
            problems.append(Problem(*entry.where, (
                f"entry '{entry.term}', field 'guid': expected a GUID of its own, found '{guid}', the GUID of the "
                f"entry at {entry_at(earlier).where}; two entries cannot be one Anki note: remove one")))
    return problems


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
