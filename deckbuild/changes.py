"""What changed between two versions of the deck, as learners get them, and the release notes that say it.

A side of a comparison is a Snapshot: what learners get from one version, read from a
built .apkg, from a lock, or from a build in memory (release.py finds the sides).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .formats import is_removed_tag, parse_package_name, removed_tag
from .lockfile import Lock
from .package import read_package
from .render import look_hash

if TYPE_CHECKING:
    from .pipeline import Build

_UNSHOWN_FIELDS = {"ExampleBlank"}  # follows from Example


@dataclass(frozen=True)
class SnapshotNote:
    """One note as learners get it: its fields by name, and whether its entry was removed."""

    fields: dict[str, str]
    removed: bool = False

    @property
    def title(self) -> str:
        kind = " ".join(filter(None, (_plain(self.fields.get("PartOfSpeech", "")),
                                      _plain(self.fields.get("GenderLabel", "")))))
        return f"**{_plain(self.fields['Term'])}**" + (f" ({kind})" if kind else "")


@dataclass(frozen=True)
class Snapshot:
    """One version of the deck: its note type's schema and look, and its notes by GUID."""

    version: str
    slug: str  # the deck's file-name stem, which also names the tag of removed notes
    schema: dict
    look: str  # hash of the templates and CSS
    notes: dict[str, SnapshotNote] = field(default_factory=dict)


@dataclass(frozen=True)
class Changes:
    """What learners get by going from one snapshot to another."""

    added: list[SnapshotNote]
    removed: list[SnapshotNote]
    changed: list[tuple[SnapshotNote, list[tuple[str, str, str]]]]  # note, [(field, before, after)]
    schema_changed: bool
    look_changed: bool

    @property
    def bump(self) -> str | None:
        """The smallest version bump these changes need: major, minor, patch, or None."""
        if self.schema_changed:
            return "major"
        if self.added or self.removed:
            return "minor"
        if self.changed or self.look_changed:
            return "patch"
        return None

    def reason(self) -> str:
        if self.schema_changed:
            return "change the note type's fields or card types"
        if self.added or self.removed:
            return "add or remove entries"
        return "correct entries or the card templates"


def snapshot_of_lock(lock: Lock, version: str, slug: str, order: list[str] | None = None) -> Snapshot:
    """The snapshot a lock describes, its notes in `order` (GUIDs; by default, in the order they appeared)."""
    names = lock.note_type.schema["fields"] if lock.note_type else []
    order = order or sorted(lock.notes, key=lambda guid: (lock.notes[guid].added, guid))
    notes = {guid: SnapshotNote(dict(zip(names, lock.notes[guid].fields, strict=False)), lock.notes[guid].removed)
             for guid in order}
    return Snapshot(version, slug, lock.note_type.schema if lock.note_type else {},
                    lock.note_type.hash if lock.note_type else "", notes)


def snapshot_of_build(result: Build) -> Snapshot:
    """The snapshot of what a build ships, its notes in study order (the sources')."""
    order = [stamped.note.guid for stamped in result.notes]
    return snapshot_of_lock(result.lock, result.manifest.version, result.manifest.slug, order)


def compare(old: Snapshot | None, new: Snapshot) -> Changes:
    """Say what changed from `old` to `new`; with no `old`, everything is added."""
    before = old.notes if old else {}
    live = {guid: note for guid, note in new.notes.items() if not note.removed}
    added = [note for guid, note in live.items() if guid not in before or before[guid].removed]
    removed = [note for guid, note in before.items()
               if not note.removed and (guid not in new.notes or new.notes[guid].removed)]
    changed = []
    for guid, note in live.items():
        if guid in before and not before[guid].removed and before[guid].fields != note.fields:
            diffs = [(name, old, new) for name, value in note.fields.items() if name not in _UNSHOWN_FIELDS
                     for old, new in [(_plain(before[guid].fields.get(name, "")), _plain(value))]
                     if old != new]  # what a reader can see: not a space made unbreakable
            changed.append((note, diffs))
    return Changes(added, removed, changed,
                   schema_changed=bool(old) and old.schema != new.schema,
                   look_changed=bool(old) and old.look != new.look)


def changelog(old: Snapshot | None, new: Snapshot) -> str:
    """Write the Markdown section of the release notes for going from `old` to `new`."""
    changes = compare(old, new)
    tag = removed_tag(new.slug)
    unreleased = old is not None and old.version == new.version
    lines = [f"## Unreleased changes since {old.version}" if unreleased else f"## {new.version}", ""]
    if old is None:
        lines += [f"First release: {len(changes.added)} entries.", ""]
        return "\n".join(lines)
    counts = [f"{len(items)} {what}" for items, what in
              ((changes.added, "added"), (changes.changed, "changed"), (changes.removed, "removed")) if items]
    lines += [f"Since {old.version}: {', '.join(counts) or 'no entry changed'}.", ""]
    if changes.added:
        lines += ["### Added", "", *(f"- {note.title}: {_plain(note.fields.get('Gloss', ''))}"
                                     for note in changes.added), ""]
    if changes.changed:
        lines += ["### Changed", ""]
        for note, diffs in changes.changed:
            lines.append(f"- {note.title}")
            lines += [f"  - {name}: {before or '(empty)'} → {after or '(empty)'}" for name, before, after in diffs]
        lines.append("")
    if changes.removed:
        lines += ["### Removed", "", *(f"- {note.title}: {_plain(note.fields.get('Gloss', ''))}"
                                       for note in changes.removed), "",
                  "Anki never deletes notes on import: these stay in your collection, tagged "
                  f"`{tag}`. To delete them, search `tag:{tag}` in the Browser, select all "
                  "and choose Notes > Delete; or Cards > Toggle Suspend to keep them out of your reviews.", ""]
    if changes.schema_changed or changes.look_changed:
        lines += ["### Cards", ""]
        if changes.schema_changed:
            lines.append("- The note type's fields or card types changed: in the import dialog, check **Merge note "
                         "types** and set **Update notes** and **Update note types** to **Always**; your notes, "
                         "cards and reviews stay, and the new fields fill in. With the default options your "
                         "notes stop updating.")
        if changes.look_changed:
            lines.append("- The card templates or style changed; they update on import.")
        lines.append("")
    return "\n".join(lines)


def snapshot_of_package(path: Path) -> Snapshot:
    contents = read_package(path)
    schema = {"fields": contents.fields, "card_types": [name for name, _, _ in contents.templates]}
    look = look_hash(contents.note_type_name, contents.templates, contents.css, contents.ids)
    notes = {guid: SnapshotNote(dict(zip(contents.fields, fields, strict=False)), any(map(is_removed_tag, tags)))
             for guid, fields, tags in contents.notes}
    slug, version = parse_package_name(path.name) or (path.stem, "?")
    return Snapshot(str(version), slug, schema, look, notes)


def _plain(text: str) -> str:
    """A field as a line of text; a picture or recording by its file name."""
    text = re.sub(r'<img src="([^"]*)"[^>]*>|\[sound:([^\]]*)\]', lambda m: m.group(1) or m.group(2), text)
    text = html.unescape(re.sub(r"<br>", " / ", re.sub(r"<(?!br>)[^>]+>", "", text)))
    return text.replace("\u00a0", " ").strip()
