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

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .atomic import replacing
from .cache import FileCache
from .errors import BuildError, display_path
from .render import Note, NoteType, content_hash
from .schema import Manifest

LOCK_NAME = "deck.lock"
_FORMAT = 1
_NOTES_START = ' "notes": {\n'
_NOTES_END = "\n }\n}\n"


class NoteStamp:
    """What the deck last shipped as one note: its identity, hash, times (seconds) and content.

    A lock holds one per note, 50,000 in a big deck: the fields and tags of a stamp read
    from the lock stay as JSON text until something asks for them, and are written back
    as that same text, so that a rebuild pays only for the notes that changed.
    """

    __slots__ = ("_content", "_json", "added", "hash", "identity", "modified", "released", "removed")

    def __init__(self, identity: str, fields: tuple[str, ...] | None, tags: tuple[str, ...] | None, hash: str,
                 added: int, modified: int, released: str = "", removed: bool = False, json_text: str = ""):
        self.identity, self.hash, self.added, self.modified = identity, hash, added, modified
        self.released = released  # the first release that shipped it; empty until a release does
        self.removed = removed  # its entry left the source; it ships tagged until the next major version
        self._content = None if fields is None else (tuple(fields), tuple(tags))
        self._json = json_text  # this stamp as the lock wrote it, if read from one

    @classmethod
    def from_json(cls, text: str) -> NoteStamp:
        """Read one note's line of the lock, leaving its fields and tags unparsed."""
        match = _STAMP.match(text)
        if match is None:  # not in the order write_lock uses: read it all
            data = json.loads(text)
            return cls(data["identity"], data["fields"], data["tags"], data["hash"], data["added"],
                       data["modified"], data.get("released", ""), data.get("removed", False))
        identity, digest, added, modified, released, removed = match.groups()
        identity = json.loads(identity) if "\\" in identity else identity[1:-1]  # escapes are rare
        return cls(identity, None, None, digest, int(added), int(modified), released, removed == "true", text)

    @property
    def fields(self) -> tuple[str, ...]:
        return self._parsed()[0]

    @property
    def tags(self) -> tuple[str, ...]:
        return self._parsed()[1]

    def _parsed(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self._content is None:
            data = json.loads(self._json)
            self._content = (tuple(data["fields"]), tuple(data["tags"]))
        return self._content

    def to_json(self) -> str:
        if self._json:
            return self._json
        return json.dumps({"identity": self.identity, "hash": self.hash, "added": self.added,
                           "modified": self.modified, "released": self.released, "removed": self.removed,
                           "tags": list(self.tags), "fields": list(self.fields)}, ensure_ascii=False)

    def but(self, **changes) -> NoteStamp:
        """A copy with some attributes changed."""
        values = {name: getattr(self, name) for name in
                  ("identity", "fields", "tags", "hash", "added", "modified", "released", "removed")}
        return NoteStamp(**{**values, **changes})

    def _key(self) -> tuple:
        return self.identity, self.hash, self.added, self.modified, self.released, self.removed

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoteStamp) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"NoteStamp{self._key()}"


_STAMP = re.compile(r'\{"identity": ("(?:[^"\\]|\\.)*"), "hash": "([0-9a-f]+)", "added": (\d+), '
                    r'"modified": (\d+), "released": "([0-9.]*)", "removed": (true|false), ')


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


def read_lock(path: Path, cache_dir: Path | None = None) -> Lock:
    """Read the lock at `path`; an absent lock is an empty one (the first build).

    With `cache_dir`, a lock this build or the last one wrote is taken from the cache,
    already parsed: five times faster for a big deck.
    """
    if not path.exists():
        return Lock()
    data = path.read_bytes()
    cache = FileCache(cache_dir, b"lock", kind="locks")
    key = cache.key(str(path), data)
    if (rows := cache.get(key)) is not None:
        return _from_rows(rows)
    lock = parse_lock(data.decode("utf-8"), display_path(path))
    cache.put(key, _to_rows(lock))
    return lock


def parse_lock(text: str, name: str) -> Lock:
    """Parse the text of a lock; `name` says where it came from, in messages."""
    try:
        head, separator, body = text.partition(_NOTES_START)
        if separator and body.endswith(_NOTES_END):  # as write_lock wrote it: one note per line
            data = json.loads(head + "\"notes\": {}\n}")
            notes = {}
            for line in body[: -len(_NOTES_END)].split(",\n"):
                guid, _, stamp = line.strip().partition(": ")
                notes[guid[1:-1]] = NoteStamp.from_json(stamp)  # GUIDs have no quote nor backslash
        else:  # reformatted by hand or by a tool: parse it whole
            data = json.loads(text)
            notes = {guid: NoteStamp.from_json(json.dumps(stamp)) for guid, stamp in data["notes"].items()}
        if data.get("format") != _FORMAT:
            raise ValueError(f"expected format {_FORMAT}, found {data.get('format')!r}")
        note_type = NoteTypeStamp(**data["note_type"]) if data.get("note_type") else None
        return Lock(int(data["major"]), note_type, notes, data["released"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BuildError(
            f"{name}: the lock file is damaged ({error}); restore it with `git checkout -- {name}`"
        ) from error


def write_lock(path: Path, lock: Lock) -> bytes:
    """Write the lock with one note per line, sorted by GUID, so that its diffs are readable.

    Return the SHA-256 of what was written.
    """
    note_type = json.dumps(asdict(lock.note_type), ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256()
    with replacing(path) as partial, partial.open("wb") as file:
        def write(text: str) -> None:
            data = text.encode()
            digest.update(data)
            file.write(data)

        write(f'{{\n "format": {_FORMAT},\n "major": {lock.major},\n "released": {json.dumps(lock.released)},\n'
              f' "note_type": {note_type},\n{_NOTES_START}')
        separator = ""
        for guid, stamp in sorted(lock.notes.items()):
            write(f'{separator}  "{guid}": {stamp.to_json()}')
            separator = ",\n"
        write(_NOTES_END)
    return digest.digest()


def remember_lock(path: Path, lock: Lock, digest: bytes, cache_dir: Path) -> None:
    """Keep the lock just written, parsed, for the next build to read (see read_lock)."""
    cache = FileCache(cache_dir, b"lock", kind="locks")
    cache.put(cache.key_of_digest(str(path), digest), _to_rows(lock))
    cache.prune()


def _to_rows(lock: Lock) -> tuple:
    note_type = asdict(lock.note_type) if lock.note_type else None
    return lock.major, lock.released, note_type, [
        (guid, s.identity, s.hash, s.added, s.modified, s.released, s.removed, s.to_json())
        for guid, s in lock.notes.items()]


def _from_rows(rows: tuple) -> Lock:
    major, released, note_type, notes = rows
    return Lock(major, NoteTypeStamp(**note_type) if note_type else None,
                {guid: NoteStamp(identity, None, None, digest, added, modified, note_released, removed, text)
                 for guid, identity, digest, added, modified, note_released, removed, text in notes}, released)


def stamp(lock: Lock, manifest: Manifest, note_type: NoteType, notes: list[Note], identities: list[str]) -> Lock:
    """Return the lock for this build: times kept where nothing changed, moved forward where it did."""
    clock = _Clock()
    major_bump = manifest.major > lock.major
    new_type = _stamp_note_type(lock.note_type, note_type, manifest, clock)
    stamps: dict[str, NoteStamp] = {}
    for note, identity in zip(notes, identities, strict=True):
        stamps[note.guid] = _stamp_note(lock.notes.get(note.guid), identity, note.fields, note.tags,
                                        note.hash, False, clock)
    removed_tag = f"{manifest.slug}::removed"
    for guid, old in lock.notes.items():
        if guid in stamps or (major_bump and old.removed) or not old.released:
            continue  # a major version drops what was removed before it; no learner has an unreleased note
        tags = old.tags if old.removed else (*old.tags, removed_tag)
        stamps[guid] = _stamp_note(old, old.identity, old.fields, tags, content_hash(old.fields, tags), True, clock)
    return Lock(manifest.major, new_type, stamps, lock.released)


def mark_released(lock: Lock, version: str) -> Lock:
    """Record that `version` is released: every note it ships now has learners who keep it."""
    notes = {guid: stamp if stamp.released else stamp.but(released=version)
             for guid, stamp in lock.notes.items()}
    return replace(lock, notes=notes, released=version)


def retired_notes(lock: Lock) -> list[Note]:
    """Return the notes the lock still ships for entries removed from the source."""
    retired = sorted((stamp.added, guid) for guid, stamp in lock.notes.items() if stamp.removed)
    return [Note(guid, lock.notes[guid].fields, lock.notes[guid].tags, lock.notes[guid].hash) for _, guid in retired]


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


def _stamp_note(old: NoteStamp | None, identity: str, fields, tags, digest: str, removed: bool,
                clock: _Clock) -> NoteStamp:
    if old is None:
        now = clock.after(None)
        return NoteStamp(identity, fields, tags, digest, now, now)
    if (old.hash, old.identity, old.removed) == (digest, identity, removed):
        return old
    modified = old.modified if old.hash == digest else clock.after(old.modified)
    return NoteStamp(identity, fields, tags, digest, old.added, modified, old.released, removed)


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
