"""The real Anki engine (PyPI `anki`), for the commands that ask Anki what it does with our files."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import BuildError


@contextlib.contextmanager
def scratch_collection(command: str) -> Iterator[object]:
    """Yield an empty Anki collection in a temporary directory, removed afterwards."""
    try:
        from anki.collection import Collection
    except ImportError as error:
        raise BuildError(
            f"{command} needs the Anki engine, the PyPI package `anki`; "
            "install it with `make test` (or `.venv/bin/pip install -r requirements-dev.txt`)"
        ) from error
    with tempfile.TemporaryDirectory(prefix=f"{command}-") as scratch:
        col = Collection(str(Path(scratch) / "collection.anki2"))
        try:
            yield col
        finally:
            col.close()


def import_package(col, path: Path, merge_note_types: bool = False):
    """Import `path` as File > Import does; return Anki's import log.

    With default options; or, with `merge_note_types`, as a new major version must be imported:
    "Merge note types" and "Update notes" and "Update note types" set to "Always" (merging stamps
    the learner's notes with the import's time, so "if newer" would leave their new fields empty).
    """
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
    from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS as ALWAYS

    if not path.is_file():
        raise BuildError(f"{path}: no such package")
    options = (ImportAnkiPackageOptions(merge_notetypes=True, update_notes=ALWAYS, update_notetypes=ALWAYS)
               if merge_note_types else ImportAnkiPackageOptions())
    request = ImportAnkiPackageRequest(package_path=str(path.resolve()), options=options)
    try:
        log = col.import_anki_package(request).log
    except Exception as error:  # the engine's own errors: a damaged or foreign file
        raise BuildError(f"{path}: Anki cannot import it: {error}") from error
    return log


def note_type_times(col) -> dict[int, int]:
    """Every note type's modification time, by id, read from the database (the Python side caches)."""
    return dict(col.db.all("select id, mtime_secs from notetypes"))


def empty_cards(col) -> set[int]:
    """The ids of the cards whose front is now blank: what Tools > Empty Cards would delete."""
    return {card_id for note in col.get_empty_cards().notes for card_id in note.card_ids}
