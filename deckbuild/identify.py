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
from collections.abc import Callable, Hashable, Iterable, Iterator

from .errors import Problem
from .package import lesson_levels
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


def repeats(keys: Iterable[Hashable]) -> Iterator[tuple[int, int]]:
    """Yield (index, index of its first) for each of `keys` that an earlier one already is."""
    first: dict[Hashable, int] = {}
    for index, key in enumerate(keys):
        if (earlier := first.setdefault(key, index)) != index:
            yield index, earlier


def duplicate_guids(guids: list[str], entry_at: Callable[[int], Entry]) -> list[Problem]:
    """Return a problem for each entry whose `guid:` an earlier entry's note already has."""
    problems = []
    for index, earlier in repeats(guids):
        if entry_at(index).guid:
            entry, guid = entry_at(index), guids[index]
            problems.append(Problem(*entry.where, (
                f"entry '{entry.term}', field 'guid': expected a GUID of its own, found '{guid}', the GUID of the "
                f"entry at {entry_at(earlier).where}; two entries cannot be one Anki note: remove one")))
    return problems


def duplicate_identities(identities: list[str], entry_at: Callable[[int], Entry]) -> list[Problem]:
    """Return a problem for each entry whose identity an earlier entry already has."""
    problems = []
    for index, earlier in repeats(identities):
        entry = entry_at(index)
        what = f"id '{entry.id}'" if entry.id else f"term '{entry.term}' with pos '{entry.pos}'"
        problems.append(Problem(*entry.where, (
            f"entry '{entry.term}': the {what} is already the identity of the entry at "
            f"{entry_at(earlier).where}; merge the two, or give one an 'id' if they are different words")))
    return problems


def lessons_alike_but_for_case(lessons: list[str], entry_at: Callable[[int], Entry]) -> list[Problem]:
    """A problem where a lesson's name (or a level of it) differs from another's in case alone.

    Anki takes deck names alike whatever their case: it would put the second beside the first
    as another deck, renamed with a '_'.
    """
    first: dict[str, tuple[str, int]] = {}
    problems, told = [], set()
    for index, lesson in enumerate(lessons):
        for level in lesson_levels(lesson):
            name, earlier = first.setdefault(level.casefold(), (level, index))
            if name != level and level not in told:
                told.add(level)
                problems.append(Problem(*entry_at(index).where, (
                    f"entry '{entry_at(index).term}': its file's lesson '{level}' differs only in case from "
                    f"'{name}', the lesson of the entry at {entry_at(earlier).where}; Anki takes them as one "
                    "deck name: write them alike")))
    return problems
