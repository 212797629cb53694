"""The build, stage by stage: load, validate, identify, render, stamp, package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cache import BuildState, FileCache
from .errors import BuildError, Problem, SourceError
from .identify import duplicate_identities, note_guid, renamed_entries
from .load import check_source_dir, load_file
from .lock import LOCK_NAME, Lock, describe_changes, read_lock, retired_notes, stamp, write_lock
from .package import package_name, write_package
from .render import Note, NoteType, note_type, render
from .schema import Deck, Entry, Location, Manifest
from .speech import Speaker
from .validate import validate_manifest, validate_reading


@dataclass(frozen=True)
class Build:
    """What a build produces, in memory: the deck, its note type and notes, and the locks."""

    deck: Deck
    note_type: NoteType
    notes: list[Note]  # in the order new cards come: the entries', then those kept for removed entries
    lock: Lock
    previous_lock: Lock
    warnings: list[Problem]


def prepare(source_dir: Path, templates_dir: Path, audio: bool | None = None,
            cache_dir: Path | None = None) -> Build:
    """Run every stage short of writing: the whole deck, checked and stamped.

    With `audio` (by default the manifest's), espeak-ng records every term and example;
    otherwise Anki reads them with its own text-to-speech. `cache_dir`, if given, keeps
    what was already checked and rendered, file by file, and the recordings.
    """
    manifest_path, reading_paths = check_source_dir(source_dir)
    manifest_bytes = manifest_path.read_bytes()
    manifest = _manifest(manifest_path, manifest_bytes)
    kind = note_type(manifest, templates_dir)
    use_audio = manifest.audio if audio is None else audio
    speaker = Speaker((cache_dir or CACHE_DIR) / "speech") if use_audio else None
    files = FileCache(cache_dir, manifest_bytes + f"{source_dir}\0{use_audio}".encode())
    problems: list[Problem] = []
    entries: list[Entry] = []
    notes: list[Note] = []
    for path in reading_paths:
        file_entries, file_notes = _reading(path, manifest, source_dir, speaker, files, problems)
        entries += file_entries
        notes += file_notes
    problems += duplicate_identities(entries)
    if problems:
        raise SourceError(problems)
    files.prune()
    previous = read_lock(source_dir / LOCK_NAME)
    lock = stamp(previous, manifest, kind, notes, [entry.identity for entry in entries])
    warnings = renamed_entries(entries, [note.guid for note in notes], previous, lock)
    notes += retired_notes(lock)
    return Build(Deck(manifest, tuple(entries)), kind, notes, lock, previous, warnings)


CACHE_DIR = Path(".cache")


def build(source_dir: Path, templates_dir: Path, out_dir: Path, locked: bool = False,
          audio: bool | None = None, force: bool = False) -> tuple[Path, Build | None]:
    """Build the deck's .apkg into `out_dir` and update the lock.

    Return the package, and the build; no build if the package was up to date (unless `force`).
    """
    state = BuildState(CACHE_DIR, source_dir, templates_dir, out_dir, f"locked={locked} audio={audio}")
    if not force and (package := state.current()) is not None:
        return package, None
    result = prepare(source_dir, templates_dir, audio, CACHE_DIR)
    lock_path = source_dir / LOCK_NAME
    if locked and result.lock != result.previous_lock:
        raise BuildError(
            f"{lock_path} is out of date ({describe_changes(result.previous_lock, result.lock)}); "
            "run `make build` and commit the lock with the change"
        )
    package = out_dir / package_name(result.deck.manifest)
    write_package(package, result.deck.manifest, result.note_type, result.notes, result.lock)
    if result.lock != result.previous_lock:
        write_lock(lock_path, result.lock)
    state.record(package)
    return package, result


def _manifest(path: Path, data: bytes) -> Manifest:
    problems: list[Problem] = []
    source = load_file(path, data, problems)
    if source is not None and source.root is None:
        problems.append(Problem(source.name, 1, 1, "the deck manifest is empty; expected name, version, "
                                                   "deck_id and model_id"))
    manifest = validate_manifest(source, problems) if source is not None and source.root is not None else None
    if problems or manifest is None:
        raise SourceError(problems)
    return manifest


def _reading(path: Path, manifest: Manifest, source_dir: Path, speaker: Speaker | None, files: FileCache,
             problems: list[Problem]) -> tuple[list[Entry], list[Note]]:
    """Check and render one source file, or take it from the cache if it is unchanged."""
    data = path.read_bytes()
    key = files.key(str(path), data)
    cached = files.get(key)
    if cached is not None:
        entry_rows, note_rows = cached
        return ([Entry._make((*row[:-1], Location._make(row[-1]))) for row in entry_rows],
                [Note._make(row) for row in note_rows])
    found = len(problems)
    source = load_file(path, data, problems)
    entries = validate_reading(source, source_dir, problems) if source is not None else []
    if len(problems) > found:
        return [], []
    notes = [render(entry, note_guid(manifest.deck_id, entry), manifest, source_dir, speaker) for entry in entries]
    if not any(entry.image or entry.audio for entry in entries):  # media files can change behind its back
        files.put(key, ([(*entry[:-1], tuple(entry.where)) for entry in entries], [tuple(note) for note in notes]))
    return entries, notes
