"""Stage 6, package: write the .apkg with genanki, byte for byte the same for the same input.

genanki alone stamps every note and card with one build time, numbers them from it
and zips with the wall clock. Here each note carries the times the lock gives it,
ids follow from those times, and the zip has fixed dates and a fixed order. The file
is written beside its destination and renamed over it, so an interrupted build leaves
the previous package whole.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import genanki

from .atomic import replacing
from .lock import Lock
from .render import Note, NoteType
from .schema import Manifest

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say; no clock in the output


class _Ids:
    """Hand out unique millisecond ids, each no earlier than the time it is asked for."""

    def __init__(self) -> None:
        self.last = 0

    def next(self, at_least_ms: int) -> int:
        self.last = max(at_least_ms, self.last + 1)
        return self.last


class _AnkiNote(genanki.Note):
    """A genanki note whose id, modification time and card ids come from the lock."""

    def __init__(self, model: genanki.Model, note: Note, note_id: int, mod: int, card_ids: _Ids):
        super().__init__(model=model, fields=list(note.fields), tags=list(note.tags), guid=note.guid,
                         due=note.position)
        self.note_id, self.mod, self.card_ids = note_id, mod, card_ids

    def write_to_db(self, cursor, timestamp, deck_id, id_gen) -> None:
        self._check_number_model_fields_matches_num_fields()
        cursor.execute("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?);", (
            self.note_id, self.guid, self.model.model_id, self.mod, -1, self._format_tags(),
            self._format_fields(), self.sort_field, 0, 0, ""))
        added_ms = self.note_id
        for card in self.cards:
            card.write_to_db(cursor, self.mod, deck_id, self.note_id,
                             iter([self.card_ids.next(added_ms)]), self.due)


def package_name(manifest: Manifest) -> str:
    """Return the file name of the deck's package: <slug>-<version>.apkg."""
    return f"{manifest.slug}-{manifest.version}.apkg"


def write_package(path: Path, manifest: Manifest, note_type: NoteType, notes: list[Note], lock: Lock) -> None:
    """Write the deck to `path` atomically; the same arguments always give the same bytes."""
    model = genanki.Model(
        note_type.model_id, note_type.name,
        fields=[{"name": name} for name in note_type.fields],
        templates=[{"name": name, "qfmt": front, "afmt": back} for name, front, back in note_type.templates],
        css=note_type.css,
    )
    labels = manifest.labels
    description = f"{manifest.description}\n\n{labels['version']} {manifest.version}\n{labels['updates']}".strip()
    deck = genanki.Deck(manifest.deck_id, manifest.name, description)
    note_ids, card_ids = _Ids(), _Ids()
    for note in sorted(notes, key=lambda n: (lock.notes[n.guid].added, n.position)):
        stamp = lock.notes[note.guid]
        deck.add_note(_AnkiNote(model, note, note_ids.next(stamp.added * 1000), stamp.modified, card_ids))
    deck.notes.sort(key=lambda n: n.due)
    media = sorted({name: file for note in notes for name, file in note.media}.items())
    with tempfile.TemporaryDirectory(prefix="deckbuild-") as scratch:
        database = Path(scratch) / "collection.anki2"
        connection = sqlite3.connect(database)
        try:
            genanki.Package(deck).write_to_db(connection.cursor(), lock.note_type.modified, iter(()))
            connection.commit()
        finally:
            connection.close()
        with replacing(path) as partial, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            _add(archive, "collection.anki2", database.read_bytes())
            _add(archive, "media", json.dumps({str(i): name for i, (name, _) in enumerate(media)}).encode())
            for index, (_, file) in enumerate(media):
                _add(archive, str(index), file.read_bytes())


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    archive.writestr(info, data)
