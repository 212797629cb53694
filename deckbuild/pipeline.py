"""The build, stage by stage: load, validate, identify, render, stamp, package."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError, Problem
from .identify import identify, renamed_entries
from .load import load
from .lock import LOCK_NAME, Lock, describe_changes, read_lock, retired_notes, stamp, write_lock
from .package import package_name, write_package
from .render import Note, NoteType, note_type, render
from .schema import Deck
from .speech import Speaker
from .validate import validate


@dataclass(frozen=True)
class Build:
    """What a build produces, in memory: the deck, its note type and notes, and the locks."""

    deck: Deck
    note_type: NoteType
    notes: list[Note]  # every note the package holds: the entries', then those kept for removed entries
    lock: Lock
    previous_lock: Lock
    warnings: list[Problem]


def prepare(source_dir: Path, templates_dir: Path, audio: bool | None = None,
            speech_cache: Path = Path("dist", ".speech")) -> Build:
    """Run every stage short of writing: the whole deck, checked and stamped.

    With `audio` (by default the manifest's), espeak-ng records every term and example,
    cached in `speech_cache`; without, Anki reads them with its own text-to-speech.
    """
    manifest_file, reading_files = load(source_dir)
    deck = validate(manifest_file, reading_files, source_dir)
    identified = identify(deck)
    kind = note_type(deck.manifest, templates_dir)
    speaker = Speaker(speech_cache) if (deck.manifest.audio if audio is None else audio) else None
    notes = [render(item, deck.manifest, source_dir, speaker) for item in identified]
    previous = read_lock(source_dir / LOCK_NAME)
    lock = stamp(previous, deck.manifest, kind, notes, [item.entry.identity for item in identified])
    notes += retired_notes(lock, first_position=len(notes) + 1)
    return Build(deck, kind, notes, lock, previous, renamed_entries(identified, previous, lock))


def build(source_dir: Path, templates_dir: Path, out_dir: Path, locked: bool = False,
          audio: bool | None = None) -> Build:
    """Build the deck's .apkg into `out_dir` and update the lock."""
    result = prepare(source_dir, templates_dir, audio, out_dir / ".speech")
    lock_path = source_dir / LOCK_NAME
    if locked and result.lock != result.previous_lock:
        raise BuildError(
            f"{lock_path} is out of date ({describe_changes(result.previous_lock, result.lock)}); "
            "run `make build` and commit the lock with the change"
        )
    write_package(out_dir / package_name(result.deck.manifest), result.deck.manifest, result.note_type,
                  result.notes, result.lock)
    if result.lock != result.previous_lock:
        write_lock(lock_path, result.lock)
    return result
