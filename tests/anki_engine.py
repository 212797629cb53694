"""The real Anki engine (PyPI `anki`, Anki desktop's Rust backend), as a learner uses it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest


class AnkiCollection:
    """A learner's collection on disk, reopened as Anki would between sessions."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.col = Collection(str(path))

    def close(self) -> None:
        self.col.close()

    def reopen(self) -> None:
        """Reopen, as ANKI-IMPORT.md says to before reading note types back."""
        self.col.close()
        self.col = Collection(str(self.path))

    def import_package(self, apkg: Path, **options):
        """Import as File > Import does, with default options unless told; return the import log."""
        request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions(**options))
        log = self.col.import_anki_package(request).log
        self.reopen()
        return log

    def notes(self) -> dict[str, object]:
        """Every note by its first field."""
        return {note["Term"]: note for note in (self.col.get_note(nid) for nid in self.col.find_notes(""))}

    def note(self, term: str):
        return self.notes()[term]

    def cards(self) -> list:
        return [self.col.get_card(cid) for cid in self.col.find_cards("")]

    def card_types(self) -> Counter:
        return Counter(card.template()["name"] for card in self.cards())

    def cards_of(self, term: str) -> dict[str, object]:
        """The cards of the note whose first field is `term`, by card type name."""
        note = self.note(term)
        return {card.template()["name"]: card for card in note.cards()}

    def review(self, card, ease: int = 3) -> None:
        """Answer a card as a learner would."""
        card.start_timer()
        self.col.sched.answerCard(card, ease)

    def revlog_count(self) -> int:
        return self.col.db.scalar("select count() from revlog")
