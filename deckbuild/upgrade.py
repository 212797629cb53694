"""See an upgrade before shipping it: import OLD, then NEW, into a scratch collection with the real Anki engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .engine import empty_cards, import_package, note_type_times, scratch_collection
from .errors import BuildError
from .formats import parse_package_name
from .importing.read import read_package as read_export_package


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
    # From a deck of another note type (one made by hand, brought in by `import`): of the cards a learner
    # of OLD has, how many are still there after NEW, on a note of NEW's note type, with their history.
    studied: int | None = None
    kept: int | None = None

    @property
    def safe(self) -> bool:
        """Whether learners keep getting updates and reviews: no conflicts, one note type, no blank or lost cards."""
        return (not self.conflicting and not self.note_types_duplicated and not self.blank_cards
                and self.kept == self.studied)

    def require_safe(self, who: str = "learners", with_summary: bool = False) -> None:
        """Raise BuildError, saying what `who` would lose, unless the upgrade is safe."""
        if not self.safe:
            raise BuildError(f"{who} would lose updates or studied cards: notes that conflict stop updating, a "
                             "duplicated note type splits their collection, a card whose front goes blank "
                             "shows \"The front of this card is blank\", and a studied card not carried over to the "
                             "deck's note type keeps its reviews apart; see the README, \"Updating the deck\""
                             + (f"\n{self.summary()}" if with_summary else ""))

    def summary(self) -> str:
        return (
            f"notes: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.conflicting} conflicting\n"
            f"note types: {self.note_types_updated} updated, {self.note_types_duplicated} duplicated\n"
            f"cards: {self.blank_cards} would go blank"
            + (f"\nstudied cards: {self.kept} of {self.studied} carried over to the deck's note type, reviews kept"
               if self.studied is not None else "")
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
        old_types, new_types = _schemas(old), _schemas(new)
        converted = not old_types.keys() & new_types.keys()  # notes of another note type: OLD was made by hand
        studied = set(col.db.list("select id from cards"))  # as if the learner had studied every card
        if merge_note_types is None:
            merge_note_types = sorted(old_types.values()) != sorted(new_types.values())
            if merge_note_types and converted:
                warnings.append(f"{old.name} has notes of another note type (a deck made by hand): {new.name} is "
                                "imported as its learners are told to (Merge note types; Update notes and note "
                                "types: Always); --no-merge-note-types shows what the default options would do")
            elif merge_note_types:
                warnings.append(f"the note type's fields or card types differ: {new.name} is imported as learners "
                                "are told to import a new major version (Merge note types; Update notes and note "
                                "types: Always); --no-merge-note-types shows what the default options would do")
        before, blank_before = note_type_times(col), empty_cards(col)
        log = import_package(col, new, merge_note_types)
        after = note_type_times(col)
        blank_now = empty_cards(col)
        blank = len(blank_now - blank_before)
        ours = set(col.db.list(f"select c.id from cards c join notes n on c.nid = n.id where n.mid in "
                               f"({','.join(map(str, new_types)) or '0'})"))
        kept = (ours & studied) - blank_now
    return Upgrade(
        new=len(log.new),
        updated=len(log.updated),
        unchanged=len(log.duplicate),
        conflicting=len(log.conflicting),
        note_types_updated=sum(after.get(ntid, mtime) != mtime for ntid, mtime in before.items()),
        note_types_duplicated=len(set(after) - set(before) - set(new_types)),
        blank_cards=blank,
        warnings=warnings,
        studied=len(studied) if converted else None,
        kept=len(kept) if converted else None,
    )


def _schemas(package: Path) -> dict[int, tuple]:
    """The note types of a package's notes, by id: their fields and card types, with the ids Anki matches them by."""
    return {kind.id: (kind.fields, tuple(template[:2] for template in kind.templates))
            for kind in read_export_package(package).kinds.values()}
