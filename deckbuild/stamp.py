"""Stage 5, stamp: give each note and the note type the time it last changed, from the previous lock.

Anki updates a note on re-import only when the incoming modification time is newer
than its own, and then overwrites the learner's edits to it. So a note's time must
move forward exactly when its content changed, and stay put otherwise. The previous
lock (lockfile.py) says what the deck shipped last time; stamping compares each note
with it and returns the new lock and the notes with their times. The clock (or
SOURCE_DATE_EPOCH) is read only for what is new or changed, so an unchanged source
builds the same bytes. An entry deleted from the source keeps shipping from the lock,
tagged `<slug>::removed`, until the next major version (unless no release had it: a
note added and removed between two releases is simply dropped).
"""

from __future__ import annotations

import difflib
import html
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

from .errors import BuildError, Problem
from .formats import Version, removed_tag
from .lockcheck import MAX_TIME, time_problem
from .lockfile import Lock, NoteStamp, NoteTypeStamp
from .render import Note, NoteType, content_hash
from .schema import Entry, Manifest


class StampedNote(NamedTuple):
    """A note with its times (seconds): when it first appeared, and when its content last changed."""

    note: Note
    added: int
    modified: int


@dataclass(frozen=True)
class Stamped:
    """What stamping gives: the new lock, and every note it ships with its times, in study order."""

    lock: Lock
    notes: list[StampedNote]  # the entries' notes in source order, then those kept for removed entries

    @property
    def note_type_modified(self) -> int:
        return self.lock.note_type.modified


def stamp(previous: Lock, manifest: Manifest, note_type: NoteType, notes: list[Note],
          identities: list[str]) -> Stamped:
    """Stamp this build's notes: times kept where nothing changed, moved forward where something did."""
    clock = _Clock()
    major_bump = manifest.major > previous.major
    new_type = _stamp_note_type(previous.note_type, note_type, manifest, previous.released, clock)
    stamps: dict[str, NoteStamp] = {}
    for note, identity in zip(notes, identities, strict=True):
        stamps[note.guid] = _stamp_note(previous.notes.get(note.guid), note.guid, identity, note.fields, note.tags,
                                        note.hash, False, clock)
    tag = removed_tag(manifest.slug)
    for guid, old in previous.notes.items():
        if guid in stamps or not old.released or (major_bump and old.removed and not old.shipped):
            continue  # no learner has an unreleased note; a major version drops removals a release has shipped
        tags = old.tags if old.removed else (*old.tags, tag)
        stamps[guid] = _stamp_note(old, guid, old.identity, old.fields, tags, content_hash(old.fields, tags), True,
                                   clock)
    lock = Lock(manifest.major, new_type, stamps, previous.released, previous.origin)
    stamped = [StampedNote(note, stamps[note.guid].added, stamps[note.guid].modified) for note in notes]
    return Stamped(lock, stamped + _retired_notes(lock))


def mark_released(lock: Lock, version: str) -> Lock:
    """Record that `version` is released: every note it ships now has learners who keep it as it is."""
    notes = {guid: stamp if stamp.released and not stamp.shipped else stamp.but(released=stamp.released or version,
                                                                                 shipped=None)
             for guid, stamp in lock.notes.items()}
    return replace(lock, notes=notes, released=version)


def unreleased(lock: Lock) -> int:
    """How many notes are new or changed since the last release."""
    return sum(1 for stamp in lock.notes.values() if not stamp.released or stamp.shipped)


def renamed_entries(guids: list[str], entry_at: Callable[[int], Entry], previous: Lock, lock: Lock) -> list[Problem]:
    """Warn where an entry is new while a similar one left the source: likely a corrected spelling."""
    gone: dict[str, str] = {}  # identity by term (the note's first field) of the notes removed by this change
    for guid, stamp in lock.notes.items():
        if stamp.removed and not previous.notes.get(guid, stamp).removed:
            gone.setdefault(html.unescape(stamp.fields[0]), stamp.identity)
    warnings = []
    for index, guid in enumerate(guids):
        if guid in previous.notes or not gone:
            continue
        entry = entry_at(index)
        close = difflib.get_close_matches(entry.term, list(gone), n=1, cutoff=0.75)
        if close:
            old = gone[close[0]]
            warnings.append(Problem(*entry.where, (
                f"warning: entry '{entry.term}' is new, and '{old}' left the source in the same change; "
                f"if it is the same word corrected, add `id: \"{old}\"` to it to keep learners' review history")))
    return warnings


def _retired_notes(lock: Lock) -> list[StampedNote]:
    """The notes the lock still ships for entries removed from the source, oldest first."""
    retired = sorted((stamp.added, guid) for guid, stamp in lock.notes.items() if stamp.removed)
    return [StampedNote(Note(stamp.guid, stamp.fields, stamp.tags, stamp.hash), stamp.added, stamp.modified)
            for stamp in (lock.notes[guid] for _, guid in retired)]


def _stamp_note(old: NoteStamp | None, guid: str, identity: str, fields, tags, digest: str, removed: bool,
                clock: _Clock) -> NoteStamp:
    content = (tuple(fields), tuple(tags))
    if old is None:
        now = clock.after(None)
        return NoteStamp(guid, identity, digest, now, now, content=content)
    if (old.hash, old.identity, old.removed) == (digest, identity, removed):
        return old
    shipped = old.shipped_as  # what learners have
    if shipped and shipped[0] == digest:  # back as the last release had it: its time too, as if never changed
        return NoteStamp(guid, identity, digest, old.added, shipped[1], old.released, removed, None, content)
    modified = old.modified if old.hash == digest else clock.after(old.modified)
    return NoteStamp(guid, identity, digest, old.added, modified, old.released, removed, shipped, content)


def _stamp_note_type(old: NoteTypeStamp | None, note_type: NoteType, manifest: Manifest, released: str,
                     clock: _Clock) -> NoteTypeStamp:
    digest = note_type.look
    if old is None:
        return NoteTypeStamp(note_type.schema, digest, clock.after(None))
    if old.schema != note_type.schema:
        if released and manifest.major <= Version.parse(released).major:
            raise BuildError(_schema_change_message(old, note_type, manifest, released))
        return NoteTypeStamp(note_type.schema, digest, clock.after(old.modified))
    if old.hash != digest:
        return replace(old, hash=digest, modified=clock.after(old.modified))
    return old


class _Clock:
    """The build's one reading of time, taken only if something needs a new time."""

    def __init__(self) -> None:
        self._now: int | None = None

    def after(self, previous: int | None) -> int:
        """Return now, or one second after `previous` if that is later."""
        if self._now is None:
            self._now = _now()
        return self._now if previous is None else max(self._now, previous + 1)


def _now() -> int:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return int(time.time())
    if not (epoch.isascii() and epoch.isdigit()):  # '²' is a digit to isdigit(), not to int()
        raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, found '{epoch[:40]}'")
    if time_problem(int(epoch)):
        raise BuildError(f"SOURCE_DATE_EPOCH must be a time from 1 to {MAX_TIME} seconds, found '{epoch[:40]}'")
    return int(epoch)


def _schema_change_message(old: NoteTypeStamp, new: NoteType, manifest: Manifest, released: str) -> str:
    changes = [f"{kind.replace('_', ' ')} {old.schema[kind]} -> {new.schema[kind]}"
               for kind in ("fields", "card_types") if old.schema[kind] != new.schema[kind]]
    next_major = Version.parse(released).bumped("major")
    return (
        f"the note type's fields or card types changed ({'; '.join(changes)}), but the major version "
        f"did not: it is {manifest.version}, and the last release was {released}. Existing notes would "
        f"stop updating in learners' collections. Revert the change, or raise `version` in "
        f"source/deck.yaml to {next_major} and tell learners to import it with \"Merge note types\" "
        f"(see the README)"
    )
