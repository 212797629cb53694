"""Releases: which version the changes need, the release itself (bump), and the checks before publishing.

What changed is changes.py's; here, where each side comes from: a built .apkg, a source
directory, or the sources at a git ref.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from .atomic import replacing, write_text
from .changes import Changes, Snapshot, changelog, compare, snapshot_of_build, snapshot_of_lock, snapshot_of_package
from .editions import edition_manifest
from .errors import BuildError, SourceError, display_path
from .formats import BUMPS, Version, package_name
from .load import MANIFEST_NAME, Mapping, load_file
from .lockfile import parse_lock
from .pipeline import build, build_state, one_build_at_a_time, prepare, read_manifest, write
from .project import Project
from .schema import Manifest
from .stamp import mark_released, unreleased
from .upgrade import check_upgrade

CHANGELOG_TITLE = "# Changelog\n\n"



def load_snapshot(spec: str, project: Project, edition: str = "") -> Snapshot:
    """Read a snapshot from an .apkg file, a source directory, or a git ref (the project's sources at it).

    From sources, of the edition `edition` ("" for the deck as written).
    """
    path = Path(spec)
    if spec.endswith(".apkg"):
        return snapshot_of_package(path)
    if path.is_dir():
        if not (path / MANIFEST_NAME).is_file():
            raise BuildError(f"{spec}: a source directory has a {MANIFEST_NAME}; this one has none")
        return snapshot_of_build(prepare(replace(project, source_dir=path), use_cache=False).edition(edition))
    manifest_path = project.manifest_path.as_posix()
    lock_path = project.lock_path_of(edition)
    try:
        lock_text = _git("show", f"{spec}:./{lock_path.as_posix()}")
        manifest_data = _git("show", f"{spec}:./{manifest_path}").encode()
    except BuildError as error:
        raise BuildError(f"{spec}: expected an .apkg file, a source directory or a git ref such as v1.0.0 "
                         f"that has {lock_path} ({error})") from error
    lock = parse_lock(lock_text, f"{spec}:{lock_path}")
    manifest = read_manifest(Path(f"{spec}:{manifest_path}"), manifest_data)
    variant = next((variant for variant in manifest.variants if variant.code == edition), None)
    if variant is not None:
        manifest = edition_manifest(manifest, variant)
    return snapshot_of_lock(lock, manifest.version, manifest.slug)


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


def build_at(tag: str, out_dir: Path) -> list[Path]:
    """Rebuild the release `tag` from its own sources and code, locked; return its packages, one per edition."""
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
    return sorted(out_dir.glob(f"*-{tag.removeprefix('v')}.apkg"))


def bump(project: Project, version: str, changelog_path: Path) -> list[tuple[Path, str]]:
    """Make `version` the deck's release: manifest, locks and changelogs, checked; return each changelog's section.

    Every edition has its own lock and changelog, and shares the version.
    Everything is checked in memory before anything is written: a refused version changes nothing.
    """
    with one_build_at_a_time(project):
        return _bump(project, version, changelog_path)


def _bump(project: Project, version: str, changelog_path: Path) -> list[tuple[Path, str]]:
    Version.parse(version)
    manifest_text = _manifest_with_version(project.manifest_path, version)
    prepared = prepare(project, use_cache=False, version=version)
    sections, changelogs, released = [], [], []
    for edition in prepared.all_editions:  # one version for all: it must fit the changes of each
        code, previous_version = edition.manifest.edition, edition.previous_lock.released
        previous = _last_release(previous_version, project, code) if previous_version else None
        current = snapshot_of_build(edition)
        if previous is not None:
            check_version(previous.version, version, compare(previous, current))
        section = changelog(previous, current)
        path = edition_changelog(changelog_path, code)
        sections.append((path, section))
        changelogs.append((path, CHANGELOG_TITLE + section + "\n" + _history(path, version)))
        released.append(replace(edition, lock=mark_released(edition.lock, version), editions=()))
    # The locks, marked released, are written last: until then, bump can simply be run again.
    with replacing(project.manifest_path) as partial:
        partial.write_bytes(manifest_text)
    for path, text in changelogs:
        write_text(path, text)
    write(project, replace(released[0], editions=tuple(released[1:])), build_state(project))
    return sections


def edition_changelog(path: Path, edition: str) -> Path:
    """The changelog of an edition: CHANGELOG.md for the deck as written, CHANGELOG.zh-CN.md beside it for zh-CN."""
    return path.with_name(f"{path.stem}.{edition}{path.suffix}") if edition else path


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


def _last_release(version: str, project: Project, edition: str = "") -> Snapshot:
    try:
        return load_snapshot(f"v{version}", project, edition)
    except BuildError as error:
        raise BuildError(
            f"the last release, {version}, has no tag v{version} here to compare with: tag the commit that "
            f"released it (`git tag v{version} COMMIT`), or fetch the tags (`git fetch --tags`)"
        ) from error


def release_check(project: Project, tag: str | None, previous_packages: list[Path] = ()) -> str:
    """Check that this commit can be released, and lay out dist/release/; return what was checked.

    Every edition is checked and laid out: its package, its sha256, its part of the release notes.
    `previous_packages` are the last release's packages, found by name (rebuilt from its tag if absent).
    """
    packages, result = build(project, locked=True, force=True)
    manifest = result.manifest
    report = [f"built {package} from the lock" for package in packages]
    if tag is not None and tag != f"v{manifest.version}":
        raise BuildError(f"the tag {tag} does not match the version in {project.manifest_path}, "
                         f"{manifest.version}; tag v{manifest.version}, or run `make release VERSION=...`")
    for edition in result.all_editions:
        lock_path = project.lock_path_of(edition.manifest.edition)
        if edition.lock.released != manifest.version:
            raise BuildError(f"{lock_path} is not marked as released at {manifest.version}; "
                             f"run `make release VERSION={manifest.version}` and commit what it changes")
        if pending := unreleased(edition.lock):
            of = f" of edition {edition.manifest.edition}" if edition.manifest.edition else ""
            raise BuildError(f"{pending} note{'s' if pending != 1 else ''}{of} {'are' if pending != 1 else 'is'} new "
                             f"or changed since {manifest.version} was released; run `make release VERSION=...` with "
                             "the next version")
    _check_committed(project, tag)
    previous_tag = previous_release_tag(manifest.version)
    old_packages = {package.name: package for package in previous_packages}
    release_dir = project.out_dir / "release"
    # Laid out beside it, then renamed: an edition that fails its check leaves no half release behind.
    staging = Path(tempfile.mkdtemp(prefix=".release-", dir=project.out_dir))
    staging.chmod(0o755)  # readable like the rest of dist/
    try:
        _lay_out(project, result, packages, staging, previous_tag, old_packages, report)
        shutil.rmtree(release_dir, ignore_errors=True)
        staging.rename(release_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    report.append(f"wrote {release_dir}/: {', '.join(package.name for package in packages)}, "
                  f"{'their' if len(packages) > 1 else 'its'} sha256 and notes.md")
    return "\n".join(report)


def _lay_out(project: Project, result, packages: list[Path], release_dir: Path, previous_tag: str | None,
             old_packages: dict[str, Path], report: list[str]) -> None:
    """Check each edition's upgrade from the last release and lay out its package, sha256 and notes in `release_dir`."""
    manifest = result.manifest
    notes = []
    with tempfile.TemporaryDirectory(prefix="release-check-") as scratch:
        for edition, package in zip(result.all_editions, packages, strict=True):
            code = edition.manifest.edition
            current = snapshot_of_build(edition)
            had = previous_tag is not None and _has_file(previous_tag, project.lock_path_of(code))
            previous = load_snapshot(previous_tag, project, code) if had else None  # else its first release
            if previous is not None:
                changes = compare(previous, current)
                check_version(previous.version, manifest.version, changes)
                report.append(f"version {manifest.version} fits the changes since {previous.version}"
                              + (f" in edition {code}" if code else ""))
                name = package_name(edition.manifest.slug, previous.version)
                if name not in old_packages:
                    old_packages.update((old.name, old) for old in build_at(previous_tag, Path(scratch)))
                old = old_packages.get(name)
                if old is None:
                    raise BuildError(f"the release {previous_tag} has no package {name} to compare with")
                upgrade = check_upgrade(old, package)
                report.append(f"upgrade from {old.name}:\n{upgrade.summary()}")
                upgrade.require_safe("learners importing this release over the last one", with_summary=True)
            shutil.copy2(package, release_dir / package.name)
            digest = hashlib.sha256(package.read_bytes()).hexdigest()
            (release_dir / f"{package.name}.sha256").write_text(f"{digest}  {package.name}\n", encoding="utf-8")
            notes.append(_edition_notes(edition.manifest, package, changelog(previous, current)))
    (release_dir / "notes.md").write_text("\n".join(notes), encoding="utf-8")


def _edition_notes(manifest: Manifest, package: Path, section: str) -> str:
    """The release notes of one edition: for another edition, its changelog section under its own heading."""
    if not manifest.edition:
        return section
    body = section.split("\n", 1)[1] if "\n" in section else ""
    return f"## {manifest.name} ({manifest.edition}): {package.name}\n{body}"


def _has_file(ref: str, path: Path) -> bool:
    """Whether the commit `ref` has the file `path` (relative to the working directory)."""
    try:
        _git("cat-file", "-e", f"{ref}:./{path.as_posix()}")
    except BuildError:
        return False
    return True


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


def upgrade_from_last_release(project: Project, edition: str = "") -> tuple[Path, Path]:
    """The last release's package and the current build's, of the edition `edition`, to compare: (old, new).

    The last release is the one the lock was last marked released at, or, when the sources
    are that release itself, the one before it. Its package is taken from dist/previous/
    if there, else rebuilt from its tag, byte for byte as it was shipped.
    """
    packages, built = build(project, force=True)
    result = built.edition(edition)
    new = packages[built.all_editions.index(result)]
    manifest, released = result.manifest, result.lock.released
    if not released:
        raise BuildError(f"no release yet to compare with: {project.lock_path_of(edition)} was never marked released "
                         "(`make release`)")
    if released == manifest.version and not unreleased(result.lock):
        released = (previous_release_tag(released) or "").removeprefix("v")
        if not released or not _has_file(f"v{released}", project.lock_path_of(edition)):
            raise BuildError(f"{manifest.version} is the first release{f' of edition {edition}' if edition else ''}: "
                             "there is nothing earlier to compare with")
    name = package_name(manifest.slug, released)
    previous = project.out_dir / "previous" / name
    if previous.is_file():
        return previous, new
    scratch = project.cache_dir / "releases"
    old = next((package for package in build_at(f"v{released}", scratch) if package.name == name), None)
    if old is None:
        raise BuildError(f"the release v{released} has no package {name} to compare with")
    return old, new


def _git_bytes(*args: str) -> bytes:
    try:
        return subprocess.run(["git", *args], capture_output=True, check=True).stdout
    except (subprocess.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", b"") or str(error).encode()
        raise BuildError(f"git {' '.join(args)} failed: {detail.decode(errors='replace').strip()}") from error


def _git(*args: str) -> str:
    return _git_bytes(*args).decode()
