"""Releases: what changed between two versions of the deck, which version that needs, and the checks.

A side of a comparison is a Snapshot: what learners get from one version. It is read
from a built .apkg, from a source directory's lock, or from the lock at a git ref.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from .atomic import replacing
from .errors import BuildError, SourceError, display_path
from .formats import BUMPS, Version, is_removed_tag, package_name, parse_package_name, removed_tag
from .load import MANIFEST_NAME, Mapping, load_file
from .lockfile import Lock, parse_lock, read_lock
from .package import read_package
from .pipeline import Build, build, build_state, one_build_at_a_time, prepare, read_manifest, write
from .project import Project
from .render import look_hash
from .stamp import mark_released, unreleased
from .upgrade import check_upgrade

CHANGELOG_TITLE = "# Changelog\n\n"

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


def load_snapshot(spec: str, project: Project) -> Snapshot:
    """Read a snapshot from an .apkg file, a source directory, or a git ref (the project's sources at it)."""
    path = Path(spec)
    if spec.endswith(".apkg"):
        return _snapshot_of_package(path)
    if path.is_dir():
        if not (path / MANIFEST_NAME).is_file():
            raise BuildError(f"{spec}: a source directory has a {MANIFEST_NAME}; this one has none")
        return snapshot_of_build(prepare(replace(project, source_dir=path), use_cache=False))
    manifest_path = project.manifest_path.as_posix()
    try:
        lock_text = _git("show", f"{spec}:./{project.lock_path.as_posix()}")
        manifest_data = _git("show", f"{spec}:./{manifest_path}").encode()
    except BuildError as error:
        raise BuildError(f"{spec}: expected an .apkg file, a source directory or a git ref such as v1.0.0 "
                         f"that has {project.lock_path} ({error})") from error
    lock = parse_lock(lock_text, f"{spec}:{project.lock_path}")
    manifest = read_manifest(Path(f"{spec}:{manifest_path}"), manifest_data)
    return snapshot_of_lock(lock, manifest.version, manifest.slug)


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


def check_version(old_version: str, new_version: str, changes: Changes) -> None:
    """Refuse a version that is not above `old_version` by at least the bump the changes need."""
    old, new = Version.parse(old_version), Version.parse(new_version)
    if new <= old:
        raise BuildError(f"version {new_version} must be greater than the last release, {old_version}")
    need = changes.bump
    if need and BUMPS.index(new.bump_from(old)) < BUMPS.index(need):
        raise BuildError(
            f"the changes since {old_version} {changes.reason()}: that needs a {need} version, "
            f"at least {old.bumped(need)}; found {new_version}")


def previous_release_tag(version: str) -> str | None:
    """The tag of the highest released version below `version`, if any."""
    released = [Version.parse(tag[1:]) for tag in _git("tag", "--list", "v*").split() if Version.is_valid(tag[1:])]
    older = [tagged for tagged in released if tagged < Version.parse(version)]
    return f"v{max(older)}" if older else None


def build_at(tag: str, out_dir: Path) -> Path:
    """Rebuild the release `tag` from its own sources and code, locked; return its package."""
    if _tagged_commit(tag) is None:
        raise BuildError(f"the release {tag} has no tag here to rebuild it from: tag the commit that released it "
                         f"(`git tag {tag} COMMIT`), fetch the tags (`git fetch --tags`), or put its package in "
                         "dist/previous/")
    with tempfile.TemporaryDirectory(prefix="release-") as scratch:
        archive = _git_bytes("archive", tag)
        subprocess.run(["tar", "-x", "-C", scratch], input=archive, check=True)
        completed = subprocess.run(
            [sys.executable, "build.py", "build", "--locked", "--out", str(out_dir.resolve())],
            cwd=scratch, capture_output=True, text=True)
        if completed.returncode != 0:
            raise BuildError(f"cannot rebuild {tag}: {completed.stderr.strip()}")
    (package,) = out_dir.glob(f"*-{tag.removeprefix('v')}.apkg")
    return package


def bump(project: Project, version: str, changelog_path: Path) -> str:
    """Make `version` the deck's release: manifest, lock and changelog, checked; return the changelog section.

    Everything is checked in memory before anything is written: a refused version changes nothing.
    """
    with one_build_at_a_time(project):
        return _bump(project, version, changelog_path)


def _bump(project: Project, version: str, changelog_path: Path) -> str:
    Version.parse(version)
    manifest_text = _manifest_with_version(project.manifest_path, version)
    previous_version = read_lock(project.lock_path).released
    previous = _last_release(previous_version, project) if previous_version else None
    prepared = prepare(project, use_cache=False, version=version)
    current = snapshot_of_build(prepared)
    if previous is not None:
        check_version(previous.version, version, compare(previous, current))
    section = changelog(previous, current)
    history = _history(changelog_path, version)
    released = replace(prepared, lock=mark_released(prepared.lock, version))
    # The lock, marked released, is written last: until then, bump can simply be run again.
    with replacing(project.manifest_path) as partial:
        partial.write_bytes(manifest_text)
    with replacing(changelog_path) as partial:
        partial.write_text(CHANGELOG_TITLE + section + "\n" + history, encoding="utf-8")
    write(project, released, build_state(project))
    return section


def _history(path: Path, version: str) -> str:
    """The changelog's sections after its title, without one for `version` left by a bump run before."""
    try:
        text = path.read_text(encoding="utf-8-sig") if path.exists() else ""
    except (UnicodeDecodeError, OSError) as error:
        raise BuildError(f"{display_path(path)}: cannot read the changelog ({error}); save it as UTF-8") from error
    text = text.removeprefix(CHANGELOG_TITLE)
    if text.startswith(f"## {version}\n"):
        text = text[text.find("\n## ", 1) + 1:] if "\n## " in text else ""
    return text


def _manifest_with_version(path: Path, version: str) -> bytes:
    """The bytes of the manifest at `path` with its `version:` value replaced, the rest as written."""
    data = path.read_bytes()
    problems = []
    source = load_file(path, data, problems)
    if source is None or not isinstance(source.root, Mapping):
        raise SourceError(problems or [])
    node = next((value for key, value in source.root.pairs if key.value == "version"), None)
    current = read_manifest(path, data).version
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    lines = re.split(r"(?<=\n)|(?<=\r)(?!\n)", data[len(bom):].decode("utf-8"))  # YAML's line breaks
    line, start = lines[node.line - 1], node.column - 1
    quote = line[start] if line[start] in "\"'" else ""
    written = f"{quote}{current}{quote}"
    if line[start:start + len(written)] != written:  # a folded or escaped value: not one to rewrite by hand
        raise BuildError(f"{display_path(path)}:{node.line}:{node.column}: expected the version written as "
                         f"{current}, found {line[start:].strip()!r}; write it plainly, as version: {current}")
    lines[node.line - 1] = f"{line[:start]}{quote}{version}{quote}{line[start + len(written):]}"
    return bom + "".join(lines).encode("utf-8")


def _last_release(version: str, project: Project) -> Snapshot:
    try:
        return load_snapshot(f"v{version}", project)
    except BuildError as error:
        raise BuildError(
            f"the last release, {version}, has no tag v{version} here to compare with: tag the commit that "
            f"released it (`git tag v{version} COMMIT`), or fetch the tags (`git fetch --tags`)"
        ) from error


def release_check(project: Project, tag: str | None, previous_package: Path | None) -> str:
    """Check that this commit can be released, and lay out dist/release/; return what was checked."""
    package, result = build(project, locked=True, force=True)
    manifest = result.manifest
    report = [f"built {package} from the lock"]
    if tag is not None and tag != f"v{manifest.version}":
        raise BuildError(f"the tag {tag} does not match the version in {project.manifest_path}, "
                         f"{manifest.version}; tag v{manifest.version}, or run `make release VERSION=...`")
    if result.lock.released != manifest.version:
        raise BuildError(f"{project.lock_path} is not marked as released at {manifest.version}; "
                         f"run `make release VERSION={manifest.version}` and commit what it changes")
    if pending := unreleased(result.lock):
        raise BuildError(f"{pending} note{'s are' if pending != 1 else ' is'} new or changed since {manifest.version} "
                         "was released; run `make release VERSION=...` with the next version")
    _check_committed(project, tag)
    current = snapshot_of_build(result)
    previous_tag = previous_release_tag(manifest.version)
    previous = load_snapshot(previous_tag, project) if previous_tag else None
    with tempfile.TemporaryDirectory(prefix="release-check-") as scratch:
        if previous is not None:
            changes = compare(previous, current)
            check_version(previous.version, manifest.version, changes)
            report.append(f"version {manifest.version} fits the changes since {previous.version}")
            old = previous_package or build_at(previous_tag, Path(scratch))
            upgrade = check_upgrade(old, package)
            report.append(f"upgrade from {old.name}:\n{upgrade.summary()}")
            upgrade.require_safe("learners importing this release over the last one", with_summary=True)
        release_dir = project.out_dir / "release"
        shutil.rmtree(release_dir, ignore_errors=True)
        release_dir.mkdir(parents=True)
        shutil.copy2(package, release_dir / package.name)
        digest = hashlib.sha256(package.read_bytes()).hexdigest()
        (release_dir / f"{package.name}.sha256").write_text(f"{digest}  {package.name}\n", encoding="utf-8")
        (release_dir / "notes.md").write_text(
            changelog(previous, current), encoding="utf-8")
    report.append(f"wrote {release_dir}/: {package.name}, its sha256 and notes.md")
    return "\n".join(report)


def _check_committed(project: Project, tag: str | None) -> None:
    """Refuse to release what is not committed, or a tag that names another commit than this one."""
    top = Path(_git("rev-parse", "--show-toplevel").strip())
    outputs = [f":(exclude,top){path.resolve().relative_to(top).as_posix()}"
               for path in (project.out_dir, project.cache_dir) if path.resolve().is_relative_to(top)]
    changed = _git("status", "--porcelain", "--untracked-files=all", "--", ":(top)", *outputs).splitlines()
    if changed:
        raise BuildError(f"{len(changed)} file{'s' if len(changed) != 1 else ''} not committed "
                         f"({', '.join(line[3:] for line in changed[:3])}{', …' if len(changed) > 3 else ''}): "
                         "a release is built from a commit; commit them or put them aside (`git stash -u`)")
    if tag is not None and _tagged_commit(tag) != _git("rev-parse", "HEAD"):
        raise BuildError(f"the tag {tag} does not point at the commit being checked (HEAD); "
                         f"check out {tag}, or move the tag: `git tag -f {tag}` (before it is pushed)")


def _tagged_commit(tag: str) -> str | None:
    try:
        return _git("rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}")
    except BuildError:
        return None  # no such tag here


def upgrade_from_last_release(project: Project) -> tuple[Path, Path]:
    """The last release's package and the current build's, to compare: (old, new).

    The last release is the one the lock was last marked released at, or, when the sources
    are that release itself, the one before it. Its package is taken from dist/previous/
    if there, else rebuilt from its tag, byte for byte as it was shipped.
    """
    new, result = build(project, force=True)
    manifest, released = result.manifest, result.lock.released
    if not released:
        raise BuildError("no release yet to compare with: the lock was never marked released (`make release`)")
    if released == manifest.version and not unreleased(result.lock):
        released = (previous_release_tag(released) or "").removeprefix("v")
        if not released:
            raise BuildError(f"{manifest.version} is the first release: there is nothing earlier to compare with")
    previous = project.out_dir / "previous" / package_name(manifest.slug, released)
    scratch = project.cache_dir / "releases"
    old = previous if previous.is_file() else build_at(f"v{released}", scratch)
    return old, new


def _snapshot_of_package(path: Path) -> Snapshot:
    contents = read_package(path)
    schema = {"fields": contents.fields, "card_types": [name for name, _, _ in contents.templates]}
    look = look_hash(contents.note_type_name, contents.templates, contents.css)
    notes = {guid: SnapshotNote(dict(zip(contents.fields, fields, strict=False)), any(map(is_removed_tag, tags)))
             for guid, fields, tags in contents.notes}
    slug, version = parse_package_name(path.name) or (path.stem, "?")
    return Snapshot(str(version), slug, schema, look, notes)


def _git_bytes(*args: str) -> bytes:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=True).stdout
    except (subprocess.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", b"") or str(error).encode()
        raise BuildError(f"git {' '.join(args)} failed: {detail.decode(errors='replace').strip()}") from error


def _git(*args: str) -> str:
    return _git_bytes(*args).decode()


def _plain(text: str) -> str:
    """A field as a line of text; a picture or recording by its file name."""
    text = re.sub(r'<img src="([^"]*)"[^>]*>|\[sound:([^\]]*)\]', lambda m: m.group(1) or m.group(2), text)
    text = html.unescape(re.sub(r"<br>", " / ", re.sub(r"<(?!br>)[^>]+>", "", text)))
    return text.replace("\u00a0", " ").strip()
