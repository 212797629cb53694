"""Releases: what changed between two versions of the deck, which version that needs, and the checks.

A side of a comparison is a Snapshot: what learners get from one version. It is read
from a built .apkg, from a source directory's lock, or from the lock at a git ref.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import BuildError, DeckError
from .load import MANIFEST_NAME
from .lock import LOCK_NAME, Lock, mark_released, parse_lock, read_lock, unreleased, write_lock
from .package import package_name
from .pipeline import build, prepare
from .render import look_hash
from .schema import SEMVER_PATTERN
from .upgrade import check_upgrade
from .validate import default_slug

CHANGELOG_TITLE = "# Changelog\n\n"

BUMPS = ("patch", "minor", "major")
_VERSION = re.compile(SEMVER_PATTERN)
_PACKAGE_NAME = re.compile(rf"(.+)-({SEMVER_PATTERN})\.apkg")  # <slug>-<version>.apkg, as package_name makes
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


def snapshot_of_lock(lock: Lock, version: str, slug: str) -> Snapshot:
    """The snapshot a lock describes."""
    names = lock.note_type.schema["fields"] if lock.note_type else []
    notes = {guid: SnapshotNote(dict(zip(names, stamp.fields, strict=False)), stamp.removed)
             for guid, stamp in lock.notes.items()}
    return Snapshot(version, slug, lock.note_type.schema if lock.note_type else {},
                    lock.note_type.hash if lock.note_type else "", notes)


def load_snapshot(spec: str, source_dir: Path) -> Snapshot:
    """Read a snapshot from an .apkg file, a source directory, or a git ref (its `source_dir`)."""
    path = Path(spec)
    if spec.endswith(".apkg"):
        return _snapshot_of_package(path)
    if path.is_dir():
        if not (path / MANIFEST_NAME).is_file():
            raise BuildError(f"{spec}: a source directory has a {MANIFEST_NAME}; this one has none")
        lock, manifest_text, where = read_lock(path / LOCK_NAME), (path / MANIFEST_NAME).read_text("utf-8"), spec
    else:
        try:
            lock_text = _git("show", f"{spec}:./{(source_dir / LOCK_NAME).as_posix()}")
            manifest_text = _git("show", f"{spec}:./{(source_dir / MANIFEST_NAME).as_posix()}")
        except BuildError as error:
            raise BuildError(f"{spec}: expected an .apkg file, a source directory or a git ref such as v1.0.0 "
                             f"that has {source_dir / LOCK_NAME} ({error})") from error
        lock, where = parse_lock(lock_text, f"{spec}:{source_dir / LOCK_NAME}"), f"{spec}:{source_dir}"
    try:
        manifest = yaml.safe_load(manifest_text)
        return snapshot_of_lock(lock, str(manifest["version"]), manifest.get("slug") or default_slug(manifest["name"]))
    except (yaml.YAMLError, TypeError, KeyError) as error:
        raise BuildError(f"{where}/{MANIFEST_NAME}: cannot read the version and name ({error}); "
                         "check it with `build.py validate`") from error


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
            diffs = [(name, _plain(before[guid].fields.get(name, "")), _plain(value))
                     for name, value in note.fields.items()
                     if name not in _UNSHOWN_FIELDS and before[guid].fields.get(name, "") != value]
            changed.append((note, diffs))
    return Changes(added, removed, changed,
                   schema_changed=bool(old) and old.schema != new.schema,
                   look_changed=bool(old) and old.look != new.look)


def changelog(old: Snapshot | None, new: Snapshot) -> str:
    """Write the Markdown section of the release notes for going from `old` to `new`."""
    changes = compare(old, new)
    removed_tag = f"{new.slug}::removed"
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
                  f"`{removed_tag}`. To delete them, search `tag:{removed_tag}` in the Browser, select all "
                  "and choose Notes > Delete; or Cards > Toggle Suspend to keep them out of your reviews.", ""]
    if changes.schema_changed or changes.look_changed:
        lines += ["### Cards", ""]
        if changes.schema_changed:
            lines.append("- The note type's fields or card types changed: import this version with "
                         "**Merge note types** checked in the import dialog, or your notes stop updating.")
        if changes.look_changed:
            lines.append("- The card templates or style changed; they update on import.")
        lines.append("")
    return "\n".join(lines)


def check_version(old_version: str, new_version: str, changes: Changes) -> None:
    """Refuse a version that is not above `old_version` by at least the bump the changes need."""
    old, new = _parse(old_version), _parse(new_version)
    if new <= old:
        raise BuildError(f"version {new_version} must be greater than the last release, {old_version}")
    have = "major" if new[0] > old[0] else "minor" if new[1] > old[1] else "patch"
    need = changes.bump
    if need and BUMPS.index(have) < BUMPS.index(need):
        raise BuildError(
            f"the changes since {old_version} {changes.reason()}: that needs a {need} version, "
            f"at least {next_version(old_version, need)}; found {new_version}")


def next_version(version: str, bump: str) -> str:
    major, minor, patch = _parse(version)
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0",
            "patch": f"{major}.{minor}.{patch + 1}"}[bump]


def package_version(path: Path) -> tuple[int, int, int] | None:
    """The version a package's file name says, if it is named as package_name names them."""
    match = _PACKAGE_NAME.fullmatch(path.name)
    return _parse(match.group(2)) if match else None


def previous_release_tag(version: str) -> str | None:
    """The tag of the highest released version below `version`, if any."""
    tags = [tag for tag in _git("tag", "--list", "v*").split() if _VERSION.fullmatch(tag[1:])]
    older = [tag for tag in tags if _parse(tag[1:]) < _parse(version)]
    return max(older, key=lambda tag: _parse(tag[1:]), default=None)


def build_at(tag: str, out_dir: Path) -> Path:
    """Rebuild the release `tag` from its own sources and code, locked; return its package."""
    with tempfile.TemporaryDirectory(prefix="release-") as scratch:
        archive = subprocess.run(["git", "archive", tag], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
        completed = subprocess.run(
            [sys.executable, "build.py", "build", "--locked", "--out", str(out_dir.resolve())],
            cwd=scratch, capture_output=True, text=True)
        if completed.returncode != 0:
            raise BuildError(f"cannot rebuild {tag}: {completed.stderr.strip()}")
    (package,) = out_dir.glob(f"*-{tag.removeprefix('v')}.apkg")
    return package


def bump(source_dir: Path, templates_dir: Path, out_dir: Path, version: str, changelog_path: Path) -> str:
    """Make `version` the deck's release: manifest, lock and changelog, checked; return the changelog section.

    Everything is checked before anything is written: a refused version changes nothing.
    """
    _parse(version)
    manifest_path = source_dir / MANIFEST_NAME
    original = manifest_path.read_text(encoding="utf-8")
    updated, count = re.subn(r"(?m)^version:.*$", f"version: {version}", original)
    if count != 1:
        raise BuildError(f"{manifest_path}: expected one 'version:' line to update, found {count}")
    previous_version = read_lock(source_dir / LOCK_NAME).released
    previous = _last_release(previous_version, source_dir) if previous_version else None
    manifest_path.write_text(updated, encoding="utf-8")
    try:
        prepared = prepare(source_dir, templates_dir)
        current = snapshot_of_lock(prepared.lock, version, prepared.manifest.slug)
        if previous is not None:
            check_version(previous.version, version, compare(previous, current))
    except DeckError:
        manifest_path.write_text(original, encoding="utf-8")
        raise
    build(source_dir, templates_dir, out_dir, force=True)
    write_lock(source_dir / LOCK_NAME, mark_released(read_lock(source_dir / LOCK_NAME), version))
    section = changelog(previous, current)
    history = changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else CHANGELOG_TITLE
    changelog_path.write_text(CHANGELOG_TITLE + section + "\n" + history.removeprefix(CHANGELOG_TITLE),
                              encoding="utf-8")
    return section


def _last_release(version: str, source_dir: Path) -> Snapshot:
    try:
        return load_snapshot(f"v{version}", source_dir)
    except BuildError as error:
        raise BuildError(
            f"the last release, {version}, has no tag v{version} here to compare with: tag the commit that "
            f"released it (`git tag v{version} COMMIT`), or fetch the tags (`git fetch --tags`)"
        ) from error


def release_check(source_dir: Path, templates_dir: Path, out_dir: Path, tag: str | None,
                  previous_package: Path | None) -> str:
    """Check that this commit can be released, and lay out dist/release/; return what was checked."""
    _, result = build(source_dir, templates_dir, out_dir, locked=True, force=True)
    manifest = result.manifest
    report = [f"built {out_dir / package_name(manifest)} from the lock"]
    if tag is not None and tag != f"v{manifest.version}":
        raise BuildError(f"the tag {tag} does not match the version in {source_dir / MANIFEST_NAME}, "
                         f"{manifest.version}; tag v{manifest.version}, or run `make release VERSION=...`")
    if result.lock.released != manifest.version:
        raise BuildError(f"{source_dir / LOCK_NAME} is not marked as released at {manifest.version}; "
                         f"run `make release VERSION={manifest.version}` and commit what it changes")
    if pending := unreleased(result.lock):
        raise BuildError(f"{pending} note{'s are' if pending != 1 else ' is'} new or changed since {manifest.version} "
                         "was released; run `make release VERSION=...` with the next version")
    current = snapshot_of_lock(result.lock, manifest.version, manifest.slug)
    previous_tag = previous_release_tag(manifest.version)
    previous = load_snapshot(previous_tag, source_dir) if previous_tag else None
    package = out_dir / package_name(manifest)
    with tempfile.TemporaryDirectory(prefix="release-check-") as scratch:
        if previous is not None:
            changes = compare(previous, current)
            check_version(previous.version, manifest.version, changes)
            report.append(f"version {manifest.version} fits the changes since {previous.version}")
            old = previous_package or build_at(previous_tag, Path(scratch))
            upgrade = check_upgrade(old, package, merge_note_types=changes.schema_changed)
            report.append(f"upgrade from {old.name}:\n{upgrade.summary()}")
            if not upgrade.safe:
                raise BuildError("importing this release over the last one would lose updates:\n"
                                 + upgrade.summary())
        release_dir = out_dir / "release"
        shutil.rmtree(release_dir, ignore_errors=True)
        release_dir.mkdir(parents=True)
        shutil.copy2(package, release_dir / package.name)
        digest = hashlib.sha256(package.read_bytes()).hexdigest()
        (release_dir / f"{package.name}.sha256").write_text(f"{digest}  {package.name}\n", encoding="utf-8")
        (release_dir / "notes.md").write_text(
            changelog(previous, current), encoding="utf-8")
    report.append(f"wrote {release_dir}/: {package.name}, its sha256 and notes.md")
    return "\n".join(report)


def _snapshot_of_package(path: Path) -> Snapshot:
    if not path.is_file():
        raise BuildError(f"{path}: no such package")
    match = _PACKAGE_NAME.fullmatch(path.name)
    with tempfile.TemporaryDirectory(prefix="snapshot-") as scratch:
        try:
            with zipfile.ZipFile(path) as archive:
                database = Path(archive.extract("collection.anki2", scratch))
        except (zipfile.BadZipFile, KeyError) as error:
            raise BuildError(f"{path}: not an Anki package ({error})") from error
        connection = sqlite3.connect(database)
        try:
            models = json.loads(connection.execute("select models from col").fetchone()[0])
            rows = connection.execute("select guid, mid, flds, tags from notes").fetchall()
        finally:
            connection.close()
    (model_id, model), = ((int(k), v) for k, v in models.items())
    names = [f["name"] for f in model["flds"]]
    schema = {"fields": names, "card_types": [t["name"] for t in model["tmpls"]]}
    look = look_hash(model["name"], [(t["name"], t["qfmt"], t["afmt"]) for t in model["tmpls"]], model["css"])
    notes = {guid: SnapshotNote(dict(zip(names, flds.split("\x1f"), strict=False)),
                                any(tag.endswith("::removed") for tag in tags.split()))
             for guid, mid, flds, tags in rows if mid == model_id}
    slug, version = (match.group(1), match.group(2)) if match else (path.stem, "?")
    return Snapshot(version, slug, schema, look, notes)


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout
    except (subprocess.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        raise BuildError(f"git {' '.join(args)} failed: {detail.strip()}") from error


def _parse(version: str) -> tuple[int, int, int]:
    match = _VERSION.fullmatch(version)
    if not match:
        raise BuildError(f"expected a version such as 1.2.0, found '{version}'")
    return tuple(int(part) for part in match.groups())


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<br>", " / ", re.sub(r"<(?!br>)[^>]+>", "", text))).strip()
