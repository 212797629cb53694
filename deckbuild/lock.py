"""Stage 5, stamp: give each note and the note type the time it last changed, from the lock.

Anki updates a note on re-import only when the incoming modification time is newer
than its own, and then overwrites the learner's edits to it. So a note's time must
move forward exactly when its content changed, and stay put otherwise. The lock,
`source/deck.lock`, is committed beside the sources and records what the deck ships:
per note its fields, tags, a hash of them and its times. The build reads the clock
(or SOURCE_DATE_EPOCH) only for what is new or changed, so an unchanged source
builds the same bytes; and an entry deleted from the source keeps shipping from the
lock, tagged `<slug>::removed`, until the next major version (unless no release had
it: a note added and removed between two releases is simply dropped).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .atomic import replacing
from .errors import BuildError, display_path
from .render import Note, NoteType, content_hash
from .schema import Manifest

LOCK_NAME = "deck.lock"
_FORMAT = 1


@dataclass(frozen=True)
class NoteStamp:
    """What the deck last shipped as one note: its identity, content, hash and times (seconds)."""

    identity: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    hash: str
    added: int
    modified: int
    released: str = ""  # the first release that shipped it; empty until a release does
    removed: bool = False  # its entry left the source; it ships tagged until the next major version


@dataclass(frozen=True)
class NoteTypeStamp:
    """What the lock knows of the note type: its schema, the major version that set it, its hash and time."""

    schema: dict
    major: int
    hash: str
    modified: int


@dataclass(frozen=True)
class Lock:
    """The recorded state of the deck that the last build shipped."""

    major: int = 0
    note_type: NoteTypeStamp | None = None
    notes: dict[str, NoteStamp] = field(default_factory=dict)  # by GUID
    released: str = ""  # the last version released from this lock (see mark_released)


def read_lock(path: Path) -> Lock:
    """Read the lock at `path`; an absent lock is an empty one (the first build)."""
    return parse_lock(path.read_text(encoding="utf-8"), display_path(path)) if path.exists() else Lock()


def parse_lock(text: str, name: str) -> Lock:
    """Parse the text of a lock; `name` says where it came from, in messages."""
    try:
        data = json.loads(text)
        if data.get("format") != _FORMAT:
            raise ValueError(f"expected format {_FORMAT}, found {data.get('format')!r}")
        note_type = NoteTypeStamp(**data["note_type"]) if data.get("note_type") else None
        notes = {
            guid: NoteStamp(**{**stamp, "fields": tuple(stamp["fields"]), "tags": tuple(stamp["tags"])})
            for guid, stamp in data["notes"].items()
        }
        return Lock(int(data["major"]), note_type, notes, data["released"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BuildError(
            f"{name}: the lock file is damaged ({error}); restore it with `git checkout -- {name}`"
        ) from error


def write_lock(path: Path, lock: Lock) -> None:
    """Write the lock with one note per line, sorted by GUID, so that its diffs are readable."""
    note_type = json.dumps(asdict(lock.note_type), ensure_ascii=False, sort_keys=True)
    lines = [
        f"  {json.dumps(guid)}: {json.dumps(stamp.__dict__, ensure_ascii=False)}"
        for guid, stamp in sorted(lock.notes.items())
    ]
    text = (
        f'{{\n "format": {_FORMAT},\n "major": {lock.major},\n "released": {json.dumps(lock.released)},\n'
        f' "note_type": {note_type},\n "notes": {{\n'
        + ",\n".join(lines)
        + "\n }\n}\n"
    )
    with replacing(path) as partial:
        partial.write_text(text, encoding="utf-8")


def stamp(lock: Lock, manifest: Manifest, note_type: NoteType, notes: list[Note], identities: list[str]) -> Lock:
    """Return the lock for this build: times kept where nothing changed, moved forward where it did."""
    clock = _Clock()
    major_bump = manifest.major > lock.major
    new_type = _stamp_note_type(lock.note_type, note_type, manifest, clock)
    stamps: dict[str, NoteStamp] = {}
    for note, identity in zip(notes, identities, strict=True):
        stamps[note.guid] = _stamp_note(lock.notes.get(note.guid), identity, note.fields, note.tags, clock)
    removed_tag = f"{manifest.slug}::removed"
    for guid, old in lock.notes.items():
        if guid in stamps or (major_bump and old.removed) or not old.released:
            continue  # a major version drops what was removed before it; no learner has an unreleased note
        tags = old.tags if old.removed else (*old.tags, removed_tag)
        stamps[guid] = replace(_stamp_note(old, old.identity, old.fields, tags, clock), removed=True)
    return Lock(manifest.major, new_type, stamps, lock.released)


def mark_released(lock: Lock, version: str) -> Lock:
    """Record that `version` is released: every note it ships now has learners who keep it."""
    notes = {guid: stamp if stamp.released else replace(stamp, released=version)
             for guid, stamp in lock.notes.items()}
    return replace(lock, notes=notes, released=version)


def retired_notes(lock: Lock, first_position: int) -> list[Note]:
    """Return the notes the lock still ships for entries removed from the source."""
    retired = sorted((stamp.added, guid) for guid, stamp in lock.notes.items() if stamp.removed)
    return [Note(guid, lock.notes[guid].fields, lock.notes[guid].tags, position=position)
            for position, (_, guid) in enumerate(retired, start=first_position)]


def describe_changes(old: Lock, new: Lock) -> str:
    """Say in one line how `new` differs from `old`."""
    added = sum(guid not in old.notes for guid in new.notes)
    changed = sum(guid in old.notes and old.notes[guid] != stamp for guid, stamp in new.notes.items())
    dropped = sum(guid not in new.notes for guid in old.notes)
    parts = [f"{n} note{'s' if n != 1 else ''} {what}"
             for n, what in ((added, "new"), (changed, "changed"), (dropped, "dropped")) if n]
    if old.note_type != new.note_type:
        parts.append("the note type changed")
    return ", ".join(parts) or "no change"


def _stamp_note(old: NoteStamp | None, identity: str, fields, tags, clock: _Clock) -> NoteStamp:
    digest = content_hash(fields, tags)
    if old is None:
        now = clock.after(None)
        return NoteStamp(identity, tuple(fields), tuple(tags), digest, now, now)
    if old.hash == digest and old.identity == identity and not old.removed:
        return old
    modified = old.modified if old.hash == digest else clock.after(old.modified)
    return NoteStamp(identity, tuple(fields), tuple(tags), digest, old.added, modified, old.released)


def _stamp_note_type(old: NoteTypeStamp | None, note_type: NoteType, manifest: Manifest,
                     clock: _Clock) -> NoteTypeStamp:
    digest = content_hash([note_type.name, *(part for template in note_type.templates for part in template),
                           note_type.css], ())
    if old is None:
        return NoteTypeStamp(note_type.schema, manifest.major, digest, clock.after(None))
    if old.schema != note_type.schema:
        if manifest.major <= old.major:
            raise BuildError(_schema_change_message(old, note_type, manifest))
        return NoteTypeStamp(note_type.schema, manifest.major, digest, clock.after(old.modified))
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
    if not epoch.isdigit():
        raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, found '{epoch}'")
    return int(epoch)


def _schema_change_message(old: NoteTypeStamp, new: NoteType, manifest: Manifest) -> str:
    changes = [f"{kind.replace('_', ' ')} {old.schema[kind]} -> {new.schema[kind]}"
               for kind in ("fields", "card_types") if old.schema[kind] != new.schema[kind]]
    return (
        f"the note type's fields or card types changed ({'; '.join(changes)}), but the major version "
        f"did not: it is {manifest.version}, and the lock was made at major version {old.major}. "
        f"Existing notes would stop updating in learners' collections. Revert the change, or raise "
        f"`version` in source/deck.yaml to {old.major + 1}.0.0 and tell learners to import it with "
        f"\"Merge note types\" (see the README)"
    )
