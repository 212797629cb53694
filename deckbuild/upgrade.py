"""See an upgrade before shipping it: import OLD, then NEW, into a scratch collection with the real Anki engine."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError


@dataclass(frozen=True)
class Upgrade:
    """What a learner who has OLD gets by importing NEW."""

    new: int
    updated: int
    unchanged: int
    conflicting: int
    note_types_updated: int
    note_types_duplicated: int

    @property
    def safe(self) -> bool:
        return not self.conflicting and not self.note_types_duplicated

    def summary(self) -> str:
        return (
            f"notes: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.conflicting} conflicting\n"
            f"note types: {self.note_types_updated} updated, {self.note_types_duplicated} duplicated"
        )


def check_upgrade(old: Path, new: Path, merge_note_types: bool = False) -> Upgrade:
    """Import `old` then `new` as File > Import does, and count what happened to notes and note types."""
    try:
        from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
    except ImportError as error:
        raise BuildError(
            "check-upgrade needs the Anki engine, the PyPI package `anki`; "
            "install it with `make test` (or `.venv/bin/pip install -r requirements-dev.txt`)"
        ) from error
    for path in (old, new):
        if not path.is_file():
            raise BuildError(f"{path}: no such package")
    with tempfile.TemporaryDirectory(prefix="check-upgrade-") as scratch:
        col = Collection(str(Path(scratch) / "collection.anki2"))
        try:
            def import_package(path: Path, merge: bool):
                request = ImportAnkiPackageRequest(
                    package_path=str(path.resolve()), options=ImportAnkiPackageOptions(merge_notetypes=merge))
                try:
                    return col.import_anki_package(request).log
                except Exception as error:  # the engine's own errors: a damaged or foreign file
                    raise BuildError(f"{path}: Anki cannot import it: {error}") from error

            import_package(old, False)
            before = _note_type_times(col)
            log = import_package(new, merge_note_types)
            col.close()
            col = Collection(str(Path(scratch) / "collection.anki2"))  # note types are cached in Python
            after = _note_type_times(col)
        finally:
            col.close()
    return Upgrade(
        new=len(log.new),
        updated=len(log.updated),
        unchanged=len(log.duplicate),
        conflicting=len(log.conflicting),
        note_types_updated=sum(after.get(ntid, mtime) != mtime for ntid, mtime in before.items()),
        note_types_duplicated=len(set(after) - set(before)),
    )


def _note_type_times(col) -> dict[int, int]:
    """Every note type's modification time, by id."""
    return {entry.id: col.models.get(entry.id)["mod"] for entry in col.models.all_names_and_ids()}
