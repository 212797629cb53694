"""Stage 5, stamp: give each note and the note type the time it last changed, from the lock.

Anki updates a note on re-import only when the incoming modification time is newer
than its own, and then overwrites the learner's edits to it. So a note's time must
move forward exactly when its content changed, and stay put otherwise. The lock,
`source/deck.lock`, is committed beside the sources and records per note a hash of
its content and its times; the build reads the clock (or SOURCE_DATE_EPOCH) only
for what is new or changed, so an unchanged source builds the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import replacing
from .errors import BuildError, display_path
from .render import Note, NoteType
from .schema import Manifest

LOCK_NAME = "deck.lock"
_FORMAT = 1


@dataclass(frozen=True)
class NoteStamp:
    """What the lock knows of one note: whose it is, its content hash and its times (seconds)."""

    identity: str
    hash: str
    added: int
    modified: int


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

    note_type: NoteTypeStamp | None = None
    notes: dict[str, NoteStamp] = field(default_factory=dict)  # by GUID


def read_lock(path: Path) -> Lock:
    """Read the lock at `path`; an absent lock is an empty one (the first build)."""
    if not path.exists():
        return Lock()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != _FORMAT:
            raise ValueError(f"expected format {_FORMAT}, found {data.get('format')!r}")
        note_type = NoteTypeStamp(**data["note_type"]) if data.get("note_type") else None
        notes = {guid: NoteStamp(**stamp) for guid, stamp in data["notes"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BuildError(
            f"{display_path(path)}: the lock file is damaged ({error}); "
            f"restore it with `git checkout -- {display_path(path)}`"
        ) from error
    return Lock(note_type, notes)


def write_lock(path: Path, lock: Lock) -> None:
    """Write the lock with one note per line, sorted, so that its diffs are readable."""
    note_type = json.dumps(lock.note_type.__dict__, ensure_ascii=False, sort_keys=True)
    lines = [
        f"  {json.dumps(guid)}: {json.dumps(stamp.__dict__, ensure_ascii=False)}"
        for guid, stamp in sorted(lock.notes.items())
    ]
    text = (
        f'{{\n "format": {_FORMAT},\n "note_type": {note_type},\n "notes": {{\n'
        + ",\n".join(lines)
        + "\n }\n}\n"
    )
    with replacing(path) as partial:
        partial.write_text(text, encoding="utf-8")


def stamp(lock: Lock, manifest: Manifest, note_type: NoteType, notes: list[Note], identities: list[str]) -> Lock:
    """Return the lock for this build: times kept where nothing changed, moved forward where it did."""
    clock = _Clock()
    type_hash = _hash(json.dumps([note_type.name, note_type.templates, note_type.css], ensure_ascii=False))
    old_type = lock.note_type
    if old_type is not None and old_type.schema != note_type.schema and manifest.major <= old_type.major:
        raise BuildError(_schema_change_message(old_type, note_type, manifest))
    if old_type is not None and old_type.schema == note_type.schema and old_type.hash == type_hash:
        new_type = old_type
    else:
        major = manifest.major if old_type is None or old_type.schema != note_type.schema else old_type.major
        new_type = NoteTypeStamp(note_type.schema, major, type_hash, clock.after(old_type and old_type.modified))
    stamps = {}
    for note, identity in zip(notes, identities, strict=False):
        old = lock.notes.get(note.guid)
        content = note.content_hash
        if old is not None and old.hash == content:
            stamps[note.guid] = old
        elif old is not None:
            stamps[note.guid] = NoteStamp(identity, content, old.added, clock.after(old.modified))
        else:
            now = clock.after(None)
            stamps[note.guid] = NoteStamp(identity, content, now, now)
    return Lock(new_type, stamps)


def describe_changes(old: Lock, new: Lock) -> str:
    """Say in one line how `new` differs from `old`."""
    added = sum(guid not in old.notes for guid in new.notes)
    changed = sum(guid in old.notes and old.notes[guid] != stamp for guid, stamp in new.notes.items())
    removed = sum(guid not in new.notes for guid in old.notes)
    parts = [f"{n} note{'s' if n != 1 else ''} {what}"
             for n, what in ((added, "new"), (changed, "changed"), (removed, "removed")) if n]
    if old.note_type != new.note_type:
        parts.append("the note type changed")
    return ", ".join(parts) or "no change"


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


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _schema_change_message(old: NoteTypeStamp, new: NoteType, manifest: Manifest) -> str:
    def changes(kind: str) -> str:
        before, after = old.schema[kind], new.schema[kind]
        return f"{kind.replace('_', ' ')} {before} -> {after}" if before != after else ""

    what = "; ".join(filter(None, (changes("fields"), changes("card_types"))))
    return (
        f"the note type's schema changed ({what}) but the major version did not: "
        f"it is {manifest.version}, and the lock was made at major version {old.major}. "
        f"Existing notes would stop updating in learners' collections. Revert the change, or raise "
        f"`version` in source/deck.yaml to {old.major + 1}.0.0 and tell learners to import with "
        f"\"Merge note types\" (see the README)."
    )
