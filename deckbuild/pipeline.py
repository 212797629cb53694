"""The build, stage by stage: load, validate, identify, render, stamp, package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError
from .identify import identify
from .load import load
from .lock import LOCK_NAME, Lock, describe_changes, read_lock, stamp, write_lock
from .package import package_name, write_package
from .render import Note, NoteType, note_type, render
from .schema import Deck
from .validate import validate


@dataclass(frozen=True)
class Build:
    """What a build produced, or would produce."""

    deck: Deck
    note_type: NoteType
    notes: list[Note]
    lock: Lock
    previous_lock: Lock


def prepare(source_dir: Path, templates_dir: Path) -> Build:
    """Run every stage short of writing: the whole deck, checked and stamped, in memory."""
    manifest_file, reading_files = load(source_dir)
    deck = validate(manifest_file, reading_files, source_dir)
    identified = identify(deck)
    kind = note_type(deck.manifest, templates_dir)
    notes = [render(item, deck.manifest, source_dir) for item in identified]
    previous = read_lock(source_dir / LOCK_NAME)
    lock = stamp(previous, deck.manifest, kind, notes, [item.entry.identity for item in identified])
    return Build(deck, kind, notes, lock, previous)


def build(source_dir: Path, templates_dir: Path, out_dir: Path, locked: bool = False) -> Path:
    """Build the deck's .apkg into `out_dir` and update the lock; return the package's path."""
    result = prepare(source_dir, templates_dir)
    lock_path = source_dir / LOCK_NAME
    if locked and result.lock != result.previous_lock:
        raise BuildError(
            f"{lock_path} is out of date ({describe_changes(result.previous_lock, result.lock)}); "
            "run `make build` and commit the lock with the change"
        )
    path = out_dir / package_name(result.deck.manifest)
    write_package(path, result.deck.manifest, result.note_type, result.notes, result.lock)
    if result.lock != result.previous_lock:
        write_lock(lock_path, result.lock)
    return path
