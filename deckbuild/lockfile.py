"""The lock file, `source/deck.lock`: what the deck last shipped, and the one module that knows its layout.

The lock is JSON written one note per line, sorted by GUID, so that its diffs are
readable. A big deck has 50,000 lines, so a rebuild never parses more than it must:
a line written by this module is recognised by a pattern (the fast path) that reads
its times and leaves its fields and tags as text, copied as they are when the lock
is written again; and a lock already read or written is kept parsed in the cache.
STAMP_KEYS, in the order they are written, drives the writing, the pattern and the
cache rows alike. What the times mean, and when they move, is stamp.py's business.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from json.encoder import encode_basestring as _json_string  # as json.dumps(ensure_ascii=False) writes a string
from operator import attrgetter
from pathlib import Path

from .atomic import replacing
from .cache import FileCache
from .errors import BuildError, LockError, Problem, clip, display_path
from .formats import Version, lock_name
from .lockcheck import check_header, conflict_sides, line_of, note_problems, parse_json, time_problem

LOCK_NAME = lock_name()
_FORMAT = 1
_NOTES_START = ' "notes": {\n'
_NOTES_END = "\n }\n}\n"

# A note's keys, in the order its line has them; its tags and fields follow.
STAMP_KEYS = ("identity", "hash", "added", "modified", "released", "removed", "shipped")
_CACHE_ROW = ("guid", *STAMP_KEYS)  # a note as the cache keeps it, without its fields and tags: NoteStamp's arguments


class LockText:
    """A lock as it was read, file or text, read again only for what is asked of it."""

    def __init__(self, path: Path | None = None, text: str | None = None, digest: bytes = b""):
        self.path, self.text, self.digest = path, text, digest  # digest: of the file's bytes when read
        self._by_guid: dict[str, str] | None = None

    def lines(self) -> Iterator[tuple[str, str]]:
        """Every note's GUID and JSON line, in the order written (sorted by GUID), one at a time."""
        for _, guid, line in self.numbered_lines():
            yield guid, line

    def numbered_lines(self) -> Iterator[tuple[int, str, str]]:
        """Every note's line number, GUID and JSON line, in the order written, one at a time.

        Read from the file as it goes; once all is read, raise if the file is not the one read
        before (a writer copying these lines then discards what it wrote).
        """
        digest = hashlib.sha256()
        with (open(self.path, "rb") if self.text is None else io.BytesIO(self.text.encode())) as file:
            notes = False
            for number, raw in enumerate(file, start=1):
                digest.update(raw)
                line = raw.decode("utf-8")
                if not notes:
                    notes = line == _NOTES_START
                elif line.startswith('  "'):
                    guid, _, stamp = line.strip().removesuffix(",").partition(": ")
                    yield number, guid[1:-1], stamp  # GUIDs have no quote nor backslash
        if self.text is None and digest.digest() != self.digest:
            raise BuildError(f"{display_path(self.path)} changed while the build was running; build again")

    def line(self, guid: str) -> tuple[int, str]:
        """The line number and JSON line of the note `guid`."""
        if self._by_guid is None:
            self._by_guid = {guid: (number, line) for number, guid, line in self.numbered_lines()}
        return self._by_guid[guid]

    @property
    def name(self) -> str:
        return display_path(self.path) if self.path else LOCK_NAME


class NoteStamp:
    """What the deck last shipped as one note: its identity, hash, times (seconds) and content.

    A lock holds one per note, 50,000 in a big deck. The fields and tags of a stamp read
    from a lock stay in that lock's text (its `origin`) until something asks for them,
    and its line is copied as it was when the lock is written again: a rebuild pays only
    for the notes that changed.
    """

    __slots__ = ("_content", "guid", "origin", *STAMP_KEYS)

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
    def from_line(cls, guid: str, text: str, origin: LockText | None, field_count: int | None) -> NoteStamp:
        """Read one note's line of a lock, leaving its fields and tags in `origin`; raise ValueError if bad."""
        match = _STAMP_LINE.match(text) if origin is not None else None
        if match is None:  # not in the form write_lock writes: read it all, to write it anew
            return cls.from_dict(guid, _record(text), field_count)
        values = {key: _DECODE[key](value) for key, value in zip(STAMP_KEYS, match.groups(), strict=True)}
        for key in ("added", "modified"):
            if problem := time_problem(values[key]):
                raise ValueError(f"'{key}': {problem}")
        return cls(guid, **values, origin=origin)

    @classmethod
    def from_dict(cls, guid: str, data: object, field_count: int | None) -> NoteStamp:
        """Make a stamp of a note's parsed record; raise ValueError saying what is wrong with it."""
        if problems := note_problems(data, field_count):
            raise ValueError("; ".join(problems))
        shipped = data["shipped"]
        return cls(guid, data["identity"], data["hash"], data["added"], data["modified"], data["released"],
                   data["removed"], tuple(shipped) if shipped else None, (tuple(data["fields"]), tuple(data["tags"])))

    @property
    def fields(self) -> tuple[str, ...]:
        return self._parsed()[0]

    @property
    def tags(self) -> tuple[str, ...]:
        return self._parsed()[1]

    def _parsed(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self._content is None:
            number, line = self.origin.line(self.guid)
            try:
                data = json.loads(line)
                if problems := note_problems(data, None):
                    raise ValueError("; ".join(problems))
            except ValueError as error:
                raise LockError([Problem(self.origin.name, number, 0, f"note {self.guid}: {error}")]) from error
            self._content = (tuple(data["fields"]), tuple(data["tags"]))
        return self._content

    def to_line(self) -> str:
        """The note's JSON record, as json.dumps(ensure_ascii=False) writes it: written out, in half the time."""
        values = "".join(f'"{key}": {_ENCODE[key](getattr(self, key))}, ' for key in STAMP_KEYS)
        return (f'{{{values}"tags": [{", ".join(map(_json_string, self.tags))}], '
                f'"fields": [{", ".join(map(_json_string, self.fields))}]}}')

    @property
    def shipped_as(self) -> tuple[str, int] | None:
        """What learners of the last release have of this note (its hash and time), if a release shipped it."""
        return self.shipped or ((self.hash, self.modified) if self.released else None)

    def but(self, **changes) -> NoteStamp:
        """A copy with some attributes changed (no longer as its origin has it)."""
        values = {key: getattr(self, key) for key in _CACHE_ROW}
        return NoteStamp(**{**values, "content": self._parsed(), **changes})

    def _key(self) -> tuple:
        return tuple(getattr(self, key) for key in STAMP_KEYS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoteStamp) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"NoteStamp{self._key()}"


# The pattern of each key's value in a line write_lock wrote (one group each), and how to read it.
_VALUE_PATTERNS = {
    "identity": r'("(?:[^"\\]|\\.)*")',
    "hash": r'"([0-9a-f]+)"',
    "added": r"(\d+)",
    "modified": r"(\d+)",
    "released": r'"([0-9.]*)"',
    "removed": r"(true|false)",
    "shipped": r'(null|\["[0-9a-f]+", \d+\])',
}
_DECODE = {
    "identity": lambda text: json.loads(text) if "\\" in text else text[1:-1],  # escapes are rare
    "hash": str,
    "added": int,
    "modified": int,
    "released": str,
    "removed": lambda text: text == "true",
    "shipped": lambda text: None if text == "null" else tuple(json.loads(text)),
}
_ENCODE = {
    "identity": _json_string,
    "hash": _json_string,
    "added": str,
    "modified": str,
    "released": _json_string,
    "removed": lambda value: "true" if value else "false",
    "shipped": lambda value: f"[{_json_string(value[0])}, {value[1]}]" if value else "null",
}
_STAMP_LINE = re.compile("\\{" + "".join(f'"{key}": {_VALUE_PATTERNS[key]}, ' for key in STAMP_KEYS))


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
    released: str = ""  # the last version released from this lock (see stamp.mark_released)
    origin: LockText | None = field(default=None, compare=False)  # the text its unchanged stamps come from
    resolution: Problem | None = field(default=None, compare=False)  # what was resolved, if read with conflicts

    def describe_changes_from(self, old: Lock) -> str:
        """Say in one line how this lock differs from `old`."""
        added = sum(guid not in old.notes for guid in self.notes)
        changed = sum(guid in old.notes and old.notes[guid] != stamp for guid, stamp in self.notes.items())
        dropped = sum(guid not in self.notes for guid in old.notes)
        parts = [f"{n} note{'s' if n != 1 else ''} {what}"
                 for n, what in ((added, "new"), (changed, "changed"), (dropped, "dropped")) if n]
        if old.note_type != self.note_type:
            parts.append("the note type changed")
        return ", ".join(parts) or "no change"


def read_lock(path: Path, cache_dir: Path | None = None) -> Lock:
    """Read the lock at `path`; an absent lock is an empty one (the first build).

    With `cache_dir`, a lock that this build or the last one wrote is read from the cache,
    already parsed: five times faster for a big deck.
    """
    if not path.exists():
        return Lock()
    data = path.read_bytes()
    digest = hashlib.sha256(data).digest()
    cache = _cache(cache_dir, path)
    origin = LockText(path, digest=digest)
    if (rows := cache.get(cache.key_of_digest(str(path), digest))) is not None:
        major, released, note_type, notes = rows
        return Lock(major, NoteTypeStamp(**note_type) if note_type else None,
                    {row[0]: NoteStamp(*row, origin=origin) for row in notes},  # _CACHE_ROW: its first parameters
                    released, origin)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise LockError([Problem(display_path(path), line, 0, (
            f"expected UTF-8 text, as the build writes it, found the byte 0x{data[error.start]:02x}"))]) from error
    lock = parse_lock(text, display_path(path), origin)
    if lock.origin is not None:  # in write_lock's form, so that its lines can be found again
        remember_lock(path, lock, digest, cache_dir)
    return lock


def parse_lock(text: str, name: str, origin: LockText | None = None) -> Lock:
    """Parse the text of a lock; `name` says where it came from, in messages; `origin` keeps the text.

    Every value is checked: raise LockError with a located line per problem. A lock that git
    left with conflict markers is resolved (see _resolve_conflict).
    """
    if (sides := conflict_sides(text)) is not None:
        return _resolve_conflict(sides, name)
    origin = origin or LockText(text=text)
    head, separator, body = text.partition(_NOTES_START)
    if separator and body.endswith(_NOTES_END):  # as write_lock wrote it: one note per line
        data = parse_json(head + '"notes": {}\n}', name)
        fields = check_header(data, name, text)
        problems, notes, previous = [], {}, ""
        for number, guid, line in LockText(text=text).numbered_lines():
            try:
                NoteStamp.from_dict(guid, _record(line), fields)  # every value checked, once: the cache keeps it
                notes[guid] = NoteStamp.from_line(guid, line, origin, fields)
            except ValueError as error:
                problems.append(Problem(name, number, 0, f"note {guid}: {error}"))
            if guid <= previous:  # out of order (a merge resolved by hand): its lines cannot be copied in step
                origin = None
            previous = guid
        if origin is None:
            notes = {guid: stamp.but() for guid, stamp in notes.items()}  # written anew, in order
    else:  # reformatted by hand or by a tool: parse it whole, and write it anew
        data = parse_json(text, name)
        fields = check_header(data, name, text)
        origin, problems, notes = None, [], {}
        records = data.get("notes")
        if not isinstance(records, dict):
            raise LockError([Problem(name, line_of(text, '"notes"'), 0, (
                f"'notes': expected a mapping of GUIDs to notes, found {clip(json.dumps(records))}"))])
        for guid, record in records.items():
            try:
                notes[guid] = NoteStamp.from_dict(guid, record, fields)
            except ValueError as error:
                problems.append(Problem(name, line_of(text, json.dumps(guid)), 0, f"note {guid}: {error}"))
    if problems:
        raise LockError(problems)
    note_type = NoteTypeStamp(**data["note_type"]) if data["note_type"] else None
    return Lock(data["major"], note_type, notes, data["released"], origin)


def _record(line: str) -> object:
    try:
        return json.loads(line.removesuffix(","))
    except ValueError as error:
        raise ValueError(f"expected a note's JSON record, found {clip(line)} ({error})") from error


def _resolve_conflict(sides: tuple[str, str, int], name: str) -> Lock:
    """Merge both sides of a conflicted lock, as Cargo and npm do theirs.

    A note on one side only, or the same on both, is kept as it is, except a removed note
    that the side of a later major version dropped (stamp.py): it stays dropped, or learners
    who deleted it would get it back. A note changed on both sides keeps its first time and
    release marks, and takes a time later than both sides' with an unknown hash, so that
    stamping gives it the merged source's content and a newer time: learners who imported
    either side's build get the merge.
    """
    ours_text, theirs_text, line = sides
    ours, theirs = (parse_lock(side, f"{name} (the {which} side of the conflict)")
                    for side, which in ((ours_text, "first"), (theirs_text, "second")))
    notes = {**theirs.notes, **ours.notes}
    older, newer = sorted((ours, theirs), key=lambda side: side.major)
    if older.major < newer.major:
        for guid, stamp in older.notes.items():
            if stamp.removed and stamp.released and guid not in newer.notes:
                del notes[guid]
    differ = [guid for guid in ours.notes.keys() & theirs.notes.keys() if ours.notes[guid] != theirs.notes[guid]]
    # The release marks of the side that knows the later release: what learners of it have.
    known, other = sorted((ours, theirs), key=lambda side: _release_order(side.released), reverse=True)
    for guid in differ:
        a, b = known.notes[guid], other.notes[guid]
        later = a if a.modified >= b.modified else b
        notes[guid] = later.but(hash="0", added=min(a.added, b.added), released=a.released or b.released,
                                shipped=a.shipped_as if a.released else b.shipped_as)
    note_type = ours.note_type
    if ours.note_type != theirs.note_type:
        later = max(ours.note_type, theirs.note_type, key=lambda stamp: stamp.modified if stamp else 0)
        note_type = replace(later, hash="0")  # looks changed: it gets a time later than both sides'
    resolution = Problem(name, line, 0, (
        f"warning: resolved git's merge conflict: {len(notes)} notes from both sides, {len(differ)} different on "
        "each (they ship the merged sources with a newer time); the build writes the resolved lock: commit it"))
    released = known.released
    return Lock(max(ours.major, theirs.major), note_type, notes, released, None, resolution)


def _release_order(version: str) -> Version:
    return Version.parse(version) if version else Version(-1, 0, 0)


def write_lock(path: Path, lock: Lock) -> bytes:
    """Write the lock to `path`, atomically; return the SHA-256 of what was written."""
    with replacing(path) as partial:
        return write_lock_file(partial, lock)


def write_lock_file(path: Path, lock: Lock) -> bytes:
    """Write the lock with one note per line, sorted by GUID; return the SHA-256 of what was written.

    A note unchanged since its lock was read is copied as it was.
    """
    note_type = json.dumps(asdict(lock.note_type), ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256()
    old_lines = lock.origin.lines() if lock.origin else iter(())
    old = next(old_lines, None)
    with path.open("wb") as file:
        def write(lines: list[str]) -> None:
            data = "".join(lines).encode()
            digest.update(data)
            file.write(data)
            lines.clear()

        lines = [f'{{\n "format": {_FORMAT},\n "major": {lock.major},\n "released": {json.dumps(lock.released)},\n'
                 f' "note_type": {note_type},\n{_NOTES_START}']
        separator = ""
        for guid, stamp in sorted(lock.notes.items()):
            if stamp.origin is not None and stamp.origin is lock.origin:
                while old is not None and old[0] < guid:
                    old = next(old_lines, None)
                if old is None or old[0] != guid:
                    raise BuildError(f"the lock that was read lacks the note {guid}; build again")
                line = old[1]
            else:
                line = stamp.to_line()
            lines.append(f'{separator}  "{guid}": {line}')
            separator = ",\n"
            if len(lines) == 1000:  # written a thousand lines at a time: faster than one by one, and never all at once
                write(lines)
        lines.append(_NOTES_END)
        write(lines)
        for _ in old_lines:  # read to the end, where the lock read is checked to be the one copied from
            pass
    return digest.digest()


def remember_lock(path: Path, lock: Lock, digest: bytes, cache_dir: Path | None) -> None:
    """Keep the lock just read or written, parsed, for the next build to read (see read_lock)."""
    cache = _cache(cache_dir, path)
    note_type = asdict(lock.note_type) if lock.note_type else None
    rows = list(map(attrgetter(*_CACHE_ROW), lock.notes.values()))
    cache.put(cache.key_of_digest(str(path), digest), (lock.major, lock.released, note_type, rows))
    cache.prune()


def _cache(cache_dir: Path | None, path: Path) -> FileCache:
    # One folder per lock (each edition has one): remembering one forgets the others' old versions only.
    return FileCache(cache_dir, b"lock", kind="locks" if path.name == LOCK_NAME else f"locks-{path.name}")
