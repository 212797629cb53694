"""Stage 6, package: write the .apkg with genanki, byte for byte the same for the same input; and read one back.

genanki writes the collection's schema, note type and deck. Notes and cards are
written here, in two batched inserts (faster than genanki's row by row): genanki would
stamp every note and card with one build time, number them from it and zip with the
wall clock. Here each note carries the times stamping gave it, ids follow from those
times, and the zip has fixed dates and a fixed order.
"""

from __future__ import annotations

import html
import json
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BuildError
from .render import NoteType
from .schema import Manifest
from .typeset import full_width

if TYPE_CHECKING:
    import genanki  # imported where a package is made or read: 35 ms that a build with nothing to do need not pay

    from .stamp import StampedNote  # what stamping hands on; this stage needs nothing else of it

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say; no clock in the output


def write_package(path: Path, manifest: Manifest, note_type: NoteType, note_type_modified: int,
                  notes: list[StampedNote], rows_written: Callable[[], object] = lambda: None) -> None:
    """Write the deck to `path`; the same arguments always give the same bytes.

    `notes` come in the order their new cards are to be studied. The caller writes `path`
    beside the package's place and renames it there (see pipeline.write). `rows_written` is
    called once the notes and cards are in: what follows (SQLite's indexes, zlib) lets go of
    the GIL, so that another thread can work meanwhile.
    """
    import genanki

    model = _model(note_type)
    labels = manifest.labels
    lines = [full_width(line) for line in (manifest.description, f"{labels['version']} {manifest.version}",
                                           labels["updates"], labels["credits"])]  # the data's licences ask for it
    description = "<br>".join(html.escape(line) for line in lines if line)  # Anki shows it as HTML
    if manifest.updates_url:
        address = html.escape(manifest.updates_url)
        description += f"<br><a href=\"{address}\">{address}</a>"
    deck = genanki.Deck(manifest.deck_id, manifest.name, description)
    deck.add_model(model)
    media = sorted({name: file for stamped in notes for name, file in stamped.note.media}.items())
    with tempfile.TemporaryDirectory(prefix="deckbuild-") as scratch:
        database = Path(scratch) / "collection.anki2"
        connection = sqlite3.connect(database)
        try:
            cursor = connection.cursor()
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -65536"):
                cursor.execute(f"PRAGMA {pragma}")  # a scratch file: nothing to roll back to, no need to sync
            genanki.Package(deck).write_to_db(cursor, note_type_modified, iter(()))
            indexes = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                     "ORDER BY name").fetchall()
            for name, _ in indexes:  # indexes built once at the end are faster than kept up row by row
                cursor.execute(f"DROP INDEX {name}")
            _insert_notes_and_cards(cursor, model, manifest.deck_id, notes)
            rows_written()
            for _, sql in indexes:
                cursor.execute(sql)
            connection.commit()
        finally:
            connection.close()
        with zipfile.ZipFile(path, "w") as archive:
            _add(archive, "collection.anki2", database)
            with archive.open(_entry("media"), "w") as member:
                member.write(json.dumps({str(i): name for i, (name, _) in enumerate(media)}).encode())
            for index, (_, file) in enumerate(media):
                _add(archive, str(index), Path(file))


def _insert_notes_and_cards(cursor, model: genanki.Model, deck_id: int, notes: list[StampedNote]) -> None:
    """Fill the notes and cards tables: ids from the notes' times, new cards in the order of `notes`.

    Ids are handed out in the order the notes were added, so that each id says when its
    note first appeared (Anki's "Added" date); a card's `due` is its note's place in `notes`.
    Rows are generated as SQLite takes them, never all held at once; the values that every row
    has are in the statement, not bound row by row.
    """
    order = sorted(range(len(notes)), key=lambda i: notes[i].added)  # stable: source order within a time
    note_ids = _increasing(notes[i].added * 1000 for i in order)
    cursor.executemany(f"INSERT INTO notes VALUES(?,?,{int(model.model_id)},?,-1,?,?,?,0,0,'')", (
        (note_id, stamped.note.guid, stamped.modified, f" {' '.join(stamped.note.tags)} ",
         "\x1f".join(stamped.note.fields), stamped.note.fields[0])
        for note_id, stamped in zip(note_ids, (notes[i] for i in order), strict=True)))
    rule = CardRule(model)
    cards = [(note_id, i, ord_) for note_id, i in zip(note_ids, order, strict=True)
             for ord_ in rule.cards(notes[i].note.fields)]
    card_ids = _increasing(note_id for note_id, _, _ in cards)
    cursor.executemany(f"INSERT INTO cards VALUES(?,?,{int(deck_id)},?,?,-1,0,0,?,0,0,0,0,0,0,0,0,'')", (
        (card_id, note_id, ord_, notes[i].modified, i + 1)
        for card_id, (note_id, i, ord_) in zip(card_ids, cards, strict=True)))


class CardRule:
    """Which cards a note gets: genanki's rule (its `_req`), the one the package is written with."""

    def __init__(self, model: genanki.Model | NoteType):
        model = _model(model) if isinstance(model, NoteType) else model
        self.required = [(ord_, all if how == "all" else any, needed) for ord_, how, needed in model._req]

    def cards(self, fields) -> list[int]:
        """The ords of the card types a note with these fields gets."""
        return [ord_ for ord_, test, needed in self.required if test(map(fields.__getitem__, needed))]


def _model(note_type: NoteType) -> genanki.Model:
    import genanki

    return genanki.Model(
        note_type.model_id, note_type.name,
        fields=[{"name": name} for name in note_type.fields],
        templates=[{"name": name, "qfmt": front, "afmt": back} for name, front, back in note_type.templates],
        css=note_type.css,
    )


def _increasing(times_ms) -> list[int]:
    """Unique ids in order: each the later of its time (ms) and the previous id + 1."""
    ids, last = [], 0
    for time_ms in times_ms:
        last = max(time_ms, last + 1)
        ids.append(last)
    return ids


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip member with a fixed date and mode: no clock in the output."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    # Level 1: 3x faster than the default, for a file 7% larger. ZipFile.open() takes the
    # level from the ZipInfo: `compress_level` since Python 3.13, `_compresslevel` before.
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", 1)
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def _add(archive: zipfile.ZipFile, name: str, file: Path) -> None:
    with file.open("rb") as source, archive.open(_entry(name), "w") as member:
        shutil.copyfileobj(source, member, 1 << 20)  # streamed: a big collection is never all in memory


@dataclass(frozen=True)
class PackageContents:
    """What a package holds, read back: its one note type and its notes as Anki stores them."""

    note_type_name: str
    fields: list[str]
    templates: list[tuple[str, str, str]]  # (name, front, back)
    css: str
    notes: list[tuple[str, list[str], list[str]]]  # (guid, fields, tags)


def read_package(path: Path) -> PackageContents:
    """Read back a package that write_package wrote: its note type and notes."""
    if not path.is_file():
        raise BuildError(f"{path}: no such package")
    with tempfile.TemporaryDirectory(prefix="deckbuild-read-") as scratch:
        try:
            with zipfile.ZipFile(path) as archive:
                database = Path(archive.extract("collection.anki2", scratch))
        except (zipfile.BadZipFile, KeyError) as error:
            raise BuildError(f"{path}: not an Anki package ({error})") from error
        connection = sqlite3.connect(database)
        try:
            models = json.loads(connection.execute("select models from col").fetchone()[0])
            rows = connection.execute("select guid, mid, flds, tags from notes").fetchall()
        except sqlite3.DatabaseError as error:
            raise BuildError(f"{path}: not an Anki package ({error})") from error
        finally:
            connection.close()
    if len(models) != 1:
        raise BuildError(f"{path}: expected the one note type of a deck built here, found {len(models)}")
    (model_id, model), = ((int(key), value) for key, value in models.items())
    return PackageContents(
        model["name"], [field["name"] for field in model["flds"]],
        [(template["name"], template["qfmt"], template["afmt"]) for template in model["tmpls"]], model["css"],
        [(guid, flds.split("\x1f"), tags.split()) for guid, mid, flds, tags in rows if mid == model_id])
