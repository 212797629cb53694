"""See an upgrade before shipping it: import OLD, then NEW, into a scratch collection with the real Anki engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .engine import empty_cards, import_package, note_type_times, scratch_collection
from .errors import BuildError
from .formats import parse_package_name
from .package import read_package


@dataclass(frozen=True)
class Upgrade:
    """What a learner who has OLD gets by importing NEW."""

    new: int
    updated: int
    unchanged: int
    conflicting: int
    note_types_updated: int
    note_types_duplicated: int
    blank_cards: int = 0  # cards learners have whose front the new version leaves empty
    warnings: list[str] = field(default_factory=list)  # what to tell about the comparison itself

    @property
    def safe(self) -> bool:
        """Whether learners keep getting updates: no note conflicts and the note type is not split in two."""
        return not self.conflicting and not self.note_types_duplicated and not self.blank_cards

    def require_safe(self, who: str = "learners", with_summary: bool = False) -> None:
        """Raise BuildError, saying what `who` would lose, unless the upgrade is safe."""
        if not self.safe:
            raise BuildError(f"{who} would lose updates or studied cards: notes that conflict stop updating, a "
                             "duplicated note type splits their collection, and a card whose front goes blank "
                             "shows \"The front of this card is blank\"; see the README, \"Updating the deck\""
                             + (f"\n{self.summary()}" if with_summary else ""))

    def summary(self) -> str:
        return (
            f"notes: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.conflicting} conflicting\n"
            f"note types: {self.note_types_updated} updated, {self.note_types_duplicated} duplicated\n"
            f"cards: {self.blank_cards} would go blank"
        )


def check_upgrade(old: Path, new: Path, merge_note_types: bool | None = None) -> Upgrade:
    """Import `old` then `new` as File > Import does, and count what happened to notes and note types.

    `merge_note_types`: import `new` as a new major version must be imported (see engine.py); by
    default, when the note type's fields or card types differ between the two, as learners are told to.
    """
    warnings = []
    old_name, new_name = parse_package_name(old.name), parse_package_name(new.name)
    if old_name and new_name and new_name[1] < old_name[1]:
        warnings.append(f"{new.name} is older than {old.name}: this checks a downgrade")
    with scratch_collection("check-upgrade") as col:
        import_package(col, old)
        if merge_note_types is None:
            merge_note_types = _schema(old) != _schema(new)
            if merge_note_types:
                warnings.append(f"the note type's fields or card types differ: {new.name} is imported as learners "
                                "are told to import a new major version (Merge note types; Update notes and note "
                                "types: Always); --no-merge-note-types shows what the default options would do")
        before, blank_before = note_type_times(col), empty_cards(col)
        log = import_package(col, new, merge_note_types)
        after = note_type_times(col)
        blank = len(empty_cards(col) - blank_before)
    return Upgrade(
        new=len(log.new),
        updated=len(log.updated),
        unchanged=len(log.duplicate),
        conflicting=len(log.conflicting),
        note_types_updated=sum(after.get(ntid, mtime) != mtime for ntid, mtime in before.items()),
        note_types_duplicated=len(set(after) - set(before)),
        blank_cards=blank,
        warnings=warnings,
    )


def _schema(package: Path) -> tuple:
    contents = read_package(package)
    return tuple(contents.fields), tuple(name for name, _, _ in contents.templates)
