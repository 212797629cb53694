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
import io
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .atomic import replacing
from .cache import FileCache
from .errors import BuildError, display_path
from .render import Note, NoteType, content_hash, look_hash
from .schema import Manifest

LOCK_NAME = "deck.lock"
_FORMAT = 1
_NOTES_START = ' "notes": {\n'
_NOTES_END = "\n }\n}\n"


class LockText:
    """A lock as it was read, file or text, read again only for what is asked of it."""

    def __init__(self, path: Path | None = None, text: str | None = None, digest: bytes = b""):
        self.path, self.text, self.digest = path, text, digest  # digest: of the file's bytes when read
        self._by_guid: dict[str, str] | None = None

    def lines(self) -> Iterator[tuple[str, str]]:
        """Every note's GUID and JSON line, in the order written (sorted by GUID), one at a time.

        Read from the file as it goes; once all is read, raise if the file is not the one read
        before (a writer copying these lines then discards what it wrote).
        """
        digest = hashlib.sha256()
        with (open(self.path, "rb") if self.text is None else io.BytesIO(self.text.encode())) as file:
            notes = False
            for raw in file:
                digest.update(raw)
                line = raw.decode("utf-8")
                if not notes:
                    notes = line == _NOTES_START
                elif line.startswith('  "'):
                    guid, _, stamp = line.strip().removesuffix(",").partition(": ")
                    yield guid[1:-1], stamp  # GUIDs have no quote nor backslash
        if self.text is None and digest.digest() != self.digest:
            raise BuildError(f"{display_path(self.path)} changed while the build was running; build again")

    def line(self, guid: str) -> str:
        if self._by_guid is None:
            self._by_guid = dict(self.lines())
        return self._by_guid[guid]


class NoteStamp:
    """What the deck last shipped as one note: its identity, hash, times (seconds) and content.

    A lock holds one per note, 50,000 in a big deck. The fields and tags of a stamp read
    from a lock stay in that lock's text (its `origin`) until something asks for them,
    and its line is copied as it was when the lock is written again: a rebuild pays only
    for the notes that changed.
    """

    __slots__ = ("_content", "added", "guid", "hash", "identity", "modified", "origin", "released", "removed",
                 "shipped")

    def __init__(self, guid: str, identity: str, hash: str, added: int, modified: int, released: str = "",
                 removed: bool = False, shipped: tuple[str, int] | None = None,
                 content: tuple[tuple[str, ...], tuple[str, ...]] | None = None, origin: LockText | None = None):
        self.guid, self.identity, self.hash, self.added, self.modified = guid, identity, hash, added, modified
        self.released = released  # the first release that shipped it; empty until a release does
        self.removed = removed  # its entry left the source; it ships tagged until the next major version
        self.shipped = shipped  # (hash, modified) as the last release shipped it, if it changed since
        self._content = content  # (fields, tags); None until asked, if `origin` has them
        self.origin = origin  # the lock text it was read from, unchanged since

    @classmethod
    def from_json(cls, guid: str, text: str, origin: LockText | None) -> NoteStamp:
        """Read one note's line of a lock, leaving its fields and tags in `origin`."""
        match = _STAMP.match(text) if origin is not None else None
        if match is None:  # not in the form write_lock writes: read it all, to write it anew
            return cls.from_dict(guid, json.loads(text))
        identity, digest, added, modified, released, removed, shipped_hash, shipped_modified = match.groups()
        identity = json.loads(identity) if "\\" in identity else identity[1:-1]  # escapes are rare
        shipped = (shipped_hash, int(shipped_modified)) if shipped_hash else None
        return cls(guid, identity, digest, int(added), int(modified), released, removed == "true", shipped,
                   origin=origin)

    @classmethod
    def from_dict(cls, guid: str, data: dict) -> NoteStamp:
        shipped = data.get("shipped")
        return cls(guid, data["identity"], data["hash"], data["added"], data["modified"], data.get("released", ""),
                   data.get("removed", False), tuple(shipped) if shipped else None,
                   (tuple(data["fields"]), tuple(data["tags"])))

    @property
    def fields(self) -> tuple[str, ...]:
        return self._parsed()[0]

    @property
    def tags(self) -> tuple[str, ...]:
        return self._parsed()[1]

    def _parsed(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self._content is None:
            data = json.loads(self.origin.line(self.guid))
            self._content = (tuple(data["fields"]), tuple(data["tags"]))
        return self._content

    def to_json(self) -> str:
        return json.dumps({"identity": self.identity, "hash": self.hash, "added": self.added,
                           "modified": self.modified, "released": self.released, "removed": self.removed,
                           "shipped": list(self.shipped) if self.shipped else None,
                           "tags": list(self.tags), "fields": list(self.fields)}, ensure_ascii=False)

    def but(self, **changes) -> NoteStamp:
        """A copy with some attributes changed (no longer as its origin has it)."""
        values = {name: getattr(self, name) for name in
                  ("guid", "identity", "hash", "added", "modified", "released", "removed", "shipped")}
        return NoteStamp(**{**values, "content": self._parsed(), **changes})

    def _key(self) -> tuple:
        return self.identity, self.hash, self.added, self.modified, self.released, self.removed, self.shipped

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoteStamp) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"NoteStamp{self._key()}"


_STAMP = re.compile(r'\{"identity": ("(?:[^"\\]|\\.)*"), "hash": "([0-9a-f]+)", "added": (\d+), '
                    r'"modified": (\d+), "released": "([0-9.]*)", "removed": (true|false), '
                    r'"shipped": (?:null|\["([0-9a-f]+)", (\d+)\]), ')


@dataclass(frozen=True)
class NoteTypeStamp:
    """What the lock knows of the note type: its schema (the deck's public contract), its hash and time."""

    schema: dict
    hash: str
    modified: int


@dataclass(frozen=True)
class Lock:
    """The recorded state of the deck that the last build shipped."""

    major: int = 0
    note_type: NoteTypeStamp | None = None
    notes: dict[str, NoteStamp] = field(default_factory=dict)  # by GUID
    released: str = ""  # the last version released from this lock (see mark_released)
    origin: LockText | None = field(default=None, compare=False)  # the text its unchanged stamps come from


def read_lock(path: Path, cache_dir: Path | None = None) -> Lock:
    """Read the lock at `path`; an absent lock is an empty one (the first build).

    With `cache_dir`, a lock that this build or the last one wrote is read from the cache,
    already parsed: five times faster for a big deck.
    """
    if not path.exists():
        return Lock()
    data = path.read_bytes()
    digest = hashlib.sha256(data).digest()
    cache = FileCache(cache_dir, b"lock", kind="locks")
    key = cache.key_of_digest(str(path), digest)
    origin = LockText(path, digest=digest)
    if (rows := cache.get(key)) is not None:
        major, released, note_type, notes = rows
        return Lock(major, NoteTypeStamp(**note_type) if note_type else None,
                    {row[0]: NoteStamp(*row, origin=origin) for row in notes}, released, origin)
    lock = parse_lock(data.decode("utf-8"), display_path(path), origin)
    if lock.origin is not None:  # in write_lock's form, so that its lines can be found again
        remember_lock(path, lock, digest, cache_dir)
    return lock


def parse_lock(text: str, name: str, origin: LockText | None = None) -> Lock:
    """Parse the text of a lock; `name` says where it came from, in messages; `origin` keeps the text."""
    origin = origin or LockText(text=text)
    try:
        head, separator, body = text.partition(_NOTES_START)
        if separator and body.endswith(_NOTES_END):  # as write_lock wrote it: one note per line
            data = json.loads(head + '"notes": {}\n}')
            notes = {guid: NoteStamp.from_json(guid, stamp, origin) for guid, stamp in LockText(text=text).lines()}
        else:  # reformatted by hand or by a tool: parse it whole, and write it anew
            data = json.loads(text)
            origin = None
            notes = {guid: NoteStamp.from_dict(guid, stamp) for guid, stamp in data["notes"].items()}
        if data.get("format") != _FORMAT:
            raise ValueError(f"expected format {_FORMAT}, found {data.get('format')!r}")
        note_type = NoteTypeStamp(**data["note_type"]) if data.get("note_type") else None
        return Lock(int(data["major"]), note_type, notes, data["released"], origin)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BuildError(
            f"{name}: the lock file is damaged ({error}); restore it with `git checkout -- {name}`"
        ) from error


def write_lock(path: Path, lock: Lock) -> bytes:
    """Write the lock to `path`, atomically; return the SHA-256 of what was written."""
    with replacing(path) as partial:
        return write_lock_file(partial, lock)


def write_lock_file(path: Path, lock: Lock) -> bytes:
    """Write the lock with one note per line, sorted by GUID, so that its diffs are readable.

    A note unchanged since its lock was read is copied as it was. Return the SHA-256 of
    what was written.
    """
    note_type = json.dumps(asdict(lock.note_type), ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256()
    old_lines = lock.origin.lines() if lock.origin else iter(())
    old = next(old_lines, None)
    with path.open("wb") as file:
        def write(text: str) -> None:
            data = text.encode()
            digest.update(data)
            file.write(data)

        write(f'{{\n "format": {_FORMAT},\n "major": {lock.major},\n "released": {json.dumps(lock.released)},\n'
              f' "note_type": {note_type},\n{_NOTES_START}')
        separator = ""
        for guid, stamp in sorted(lock.notes.items()):
            if stamp.origin is not None and stamp.origin is lock.origin:
                while old is not None and old[0] < guid:
                    old = next(old_lines, None)
                if old is None or old[0] != guid:
                    raise BuildError(f"the lock that was read lacks the note {guid}; build again")
                line = old[1]
            else:
                line = stamp.to_json()
            write(f'{separator}  "{guid}": {line}')
            separator = ",\n"
        write(_NOTES_END)
        for _ in old_lines:  # read to the end, where the lock read is checked to be the one copied from
            pass
    return digest.digest()


def remember_lock(path: Path, lock: Lock, digest: bytes, cache_dir: Path | None) -> None:
    """Keep the lock just read or written, parsed, for the next build to read (see read_lock)."""
    cache = FileCache(cache_dir, b"lock", kind="locks")
    note_type = asdict(lock.note_type) if lock.note_type else None
    rows = [(s.guid, s.identity, s.hash, s.added, s.modified, s.released, s.removed, s.shipped)
            for s in lock.notes.values()]
    cache.put(cache.key_of_digest(str(path), digest), (lock.major, lock.released, note_type, rows))
    cache.prune()


def stamp(lock: Lock, manifest: Manifest, note_type: NoteType, notes: list[Note], identities: list[str]) -> Lock:
    """Return the lock for this build: times kept where nothing changed, moved forward where it did."""
    clock = _Clock()
    major_bump = manifest.major > lock.major
    new_type = _stamp_note_type(lock.note_type, note_type, manifest, lock.released, clock)
    stamps: dict[str, NoteStamp] = {}
    for note, identity in zip(notes, identities, strict=True):
        stamps[note.guid] = _stamp_note(lock.notes.get(note.guid), note.guid, identity, note.fields, note.tags,
                                        note.hash, False, clock)
    removed_tag = f"{manifest.slug}::removed"
    for guid, old in lock.notes.items():
        if guid in stamps or (major_bump and old.removed) or not old.released:
            continue  # a major version drops what was removed before it; no learner has an unreleased note
        tags = old.tags if old.removed else (*old.tags, removed_tag)
        stamps[guid] = _stamp_note(old, guid, old.identity, old.fields, tags, content_hash(old.fields, tags), True,
                                   clock)
    return Lock(manifest.major, new_type, stamps, lock.released, lock.origin)


def mark_released(lock: Lock, version: str) -> Lock:
    """Record that `version` is released: every note it ships now has learners who keep it as it is."""
    notes = {guid: stamp if stamp.released and not stamp.shipped else stamp.but(released=stamp.released or version,
                                                                                 shipped=None)
             for guid, stamp in lock.notes.items()}
    return replace(lock, notes=notes, released=version)


def unreleased(lock: Lock) -> int:
    """How many notes are new or changed since the last release."""
    return sum(1 for stamp in lock.notes.values() if not stamp.released or stamp.shipped)


def retired_notes(lock: Lock) -> list[Note]:
    """Return the notes the lock still ships for entries removed from the source."""
    retired = sorted((stamp.added, guid) for guid, stamp in lock.notes.items() if stamp.removed)
    return [Note(guid, lock.notes[guid].fields, lock.notes[guid].tags, lock.notes[guid].hash)
            for _, guid in retired]


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


def _stamp_note(old: NoteStamp | None, guid: str, identity: str, fields, tags, digest: str, removed: bool,
                clock: _Clock) -> NoteStamp:
    content = (tuple(fields), tuple(tags))
    if old is None:
        now = clock.after(None)
        return NoteStamp(guid, identity, digest, now, now, content=content)
    if (old.hash, old.identity, old.removed) == (digest, identity, removed):
        return old
    shipped = old.shipped or ((old.hash, old.modified) if old.released else None)  # what learners have
    if shipped and shipped[0] == digest:  # back as the last release had it: its time too, as if never changed
        return NoteStamp(guid, identity, digest, old.added, shipped[1], old.released, removed, None, content)
    modified = old.modified if old.hash == digest else clock.after(old.modified)
    return NoteStamp(guid, identity, digest, old.added, modified, old.released, removed, shipped, content)


def _stamp_note_type(old: NoteTypeStamp | None, note_type: NoteType, manifest: Manifest, released: str,
                     clock: _Clock) -> NoteTypeStamp:
    digest = look_hash(note_type.name, note_type.templates, note_type.css)
    if old is None:
        return NoteTypeStamp(note_type.schema, digest, clock.after(None))
    if old.schema != note_type.schema:
        if released and manifest.major <= int(released.split(".")[0]):
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
    if not epoch.isdigit():
        raise BuildError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, found '{epoch}'")
    return int(epoch)


def _schema_change_message(old: NoteTypeStamp, new: NoteType, manifest: Manifest, released: str) -> str:
    changes = [f"{kind.replace('_', ' ')} {old.schema[kind]} -> {new.schema[kind]}"
               for kind in ("fields", "card_types") if old.schema[kind] != new.schema[kind]]
    major = int(released.split(".")[0])
    return (
        f"the note type's fields or card types changed ({'; '.join(changes)}), but the major version "
        f"did not: it is {manifest.version}, and the last release was {released}. Existing notes would "
        f"stop updating in learners' collections. Revert the change, or raise `version` in "
        f"source/deck.yaml to {major + 1}.0.0 and tell learners to import it with \"Merge note types\" "
        f"(see the README)"
    )
