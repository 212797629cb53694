"""Stage 6, package: write the .apkg with genanki, byte for byte the same for the same input.

genanki writes the collection's schema, note type and deck. Notes and cards are
written here, in two batched inserts (faster than genanki's row by row): genanki would
stamp every note and card with one build time, number them from it and zip with the
wall clock. Here each note carries the times the lock gives it, ids follow from those
times, and the zip has fixed dates and a fixed order. The file is written beside its
destination and renamed over it, so an interrupted build leaves the previous package whole.
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
    deck.add_model(model)
    media = sorted({name: file for note in notes for name, file in note.media}.items())
    with tempfile.TemporaryDirectory(prefix="deckbuild-") as scratch:
        database = Path(scratch) / "collection.anki2"
        connection = sqlite3.connect(database)
        try:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode = OFF")  # a scratch file: nothing to roll back to
            genanki.Package(deck).write_to_db(cursor, lock.note_type.modified, iter(()))
            indexes = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                     "ORDER BY name").fetchall()
            for name, _ in indexes:  # indexes built once at the end are faster than kept up row by row
                cursor.execute(f"DROP INDEX {name}")
            note_rows, card_rows = _rows(model, manifest.deck_id, notes, lock)
            cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)", note_rows)
            cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", card_rows)
            for _, sql in indexes:
                cursor.execute(sql)
            connection.commit()
        finally:
            connection.close()
        with replacing(path) as partial, zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            _add(archive, "collection.anki2", database.read_bytes())
            _add(archive, "media", json.dumps({str(i): name for i, (name, _) in enumerate(media)}).encode())
            for index, (_, file) in enumerate(media):
                _add(archive, str(index), Path(file).read_bytes())


def _rows(model: genanki.Model, deck_id: int, notes: list[Note], lock: Lock) -> tuple[list, list]:
    """The notes and cards tables: ids from the times the lock gives, new cards in the order of `notes`.

    Ids are handed out in the order the notes were added, so that each id says when its
    note first appeared (Anki's "Added" date); `due` is the note's place in `notes`.
    """
    stamps = [lock.notes[note.guid] for note in notes]
    required = [(ord_, all if how == "all" else any, needed) for ord_, how, needed in model._req]
    note_ids, card_ids = _Ids(), _Ids()
    note_rows, card_rows = [], []
    for index in sorted(range(len(notes)), key=lambda i: stamps[i].added):  # stable: source order within
        note, stamp = notes[index], stamps[index]
        fields = note.fields
        note_id = note_ids.next(stamp.added * 1000)
        note_rows.append((note_id, note.guid, model.model_id, stamp.modified, -1, f" {' '.join(note.tags)} ",
                          "\x1f".join(fields), fields[0], 0, 0, ""))
        for ord_, test, needed in required:  # genanki's rule (its `_req`) for which cards a note has
            if test(map(fields.__getitem__, needed)):
                card_rows.append((card_ids.next(note_id), note_id, deck_id, ord_, stamp.modified, -1,
                                  0, 0, index + 1, 0, 0, 0, 0, 0, 0, 0, 0, ""))
    note_rows.sort()
    return note_rows, card_rows


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    archive.writestr(info, data, compresslevel=1)  # 3x faster than the default, for a file 7% larger
