"""Stage 6, package: write the .apkg with genanki, byte for byte the same for the same input; and read one back.

genanki writes the collection's schema, note type and deck. Notes and cards are
written here, in two batched inserts (faster than genanki's row by row): genanki would
stamp every note and card with one build time, number them from it and zip with the
wall clock. Here each note carries the times stamping gave it, ids follow from those
times, and the zip has fixed dates and a fixed order.
"""

from __future__ import annotations

import copy
import hashlib
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
NEW_CARDS_BY_POSITION = 1  # Anki's NEW_CARD_GATHER_PRIORITY_LOWEST_POSITION


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
    lessons = sorted({level for stamped in notes for level in lesson_levels(stamped.note.deck)})
    decks = [deck, *(genanki.Deck(lesson_deck_id(manifest.deck_id, lesson), f"{manifest.name}::{lesson}")
                     for lesson in lessons)]
    deck_ids = dict(zip(["", *lessons], (each.deck_id for each in decks), strict=True))
    media = sorted({name: file for stamped in notes for name, file in stamped.note.media}.items())
    with tempfile.TemporaryDirectory(prefix="deckbuild-") as scratch:
        database = Path(scratch) / "collection.anki2"
        connection = sqlite3.connect(database)
        try:
            cursor = connection.cursor()
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -65536"):
                cursor.execute(f"PRAGMA {pragma}")  # a scratch file: nothing to roll back to, no need to sync
            genanki.Package(decks).write_to_db(cursor, note_type_modified, iter(()))
            if manifest.options is not None:
                _ship_preset(cursor, manifest, list(deck_ids.values()), note_type_modified)
            indexes = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                     "ORDER BY name").fetchall()
            for name, _ in indexes:  # indexes built once at the end are faster than kept up row by row
                cursor.execute(f"DROP INDEX {name}")
            _insert_notes_and_cards(cursor, model, deck_ids, notes)
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


def lesson_levels(lesson: str) -> list[str]:
    """The subdecks a lesson's name makes: itself and every level above it (第二課, 第二課::銀行)."""
    levels = lesson.split("::") if lesson else []
    return ["::".join(levels[:depth]) for depth in range(1, len(levels) + 1)]


def lesson_deck_id(deck_id: int, lesson: str) -> int:
    """The id of the subdeck of `lesson`: stable, unique in the package (Anki matches decks by name)."""
    return int.from_bytes(hashlib.sha256(f"{deck_id}\0{lesson}".encode()).digest()[:7], "big") + 1


def _ship_preset(cursor, manifest: Manifest, deck_ids: list[int], modified: int) -> None:
    """Add the deck's study options as a preset named after it, and give it to the deck and its lessons.

    genanki writes only Anki's Default preset; this one starts from it. Its id is the
    deck's: Anki adds a preset on import only if no preset has its id, so a learner who
    changed it keeps their changes. Every level of a nested lesson is in the package, so that
    each has the preset (Anki would make the missing ones with its Default). New cards are
    gathered by position, so they come in source order across lessons, not lesson by lesson
    in the order of their names.
    """
    presets = json.loads(cursor.execute("SELECT dconf FROM col").fetchone()[0])
    preset = copy.deepcopy(presets["1"])
    preset.update(id=manifest.deck_id, name=manifest.name, mod=modified, usn=-1,
                  newGatherPriority=NEW_CARDS_BY_POSITION)
    options = manifest.options
    if "new_per_day" in options:
        preset["new"]["perDay"] = options["new_per_day"]
    if "reviews_per_day" in options:
        preset["rev"]["perDay"] = options["reviews_per_day"]
    if "learning_steps" in options:
        preset["new"]["delays"] = list(options["learning_steps"])
    if "bury_siblings" in options:
        preset["new"]["bury"] = preset["rev"]["bury"] = preset["buryInterdayLearning"] = options["bury_siblings"]
    presets[str(manifest.deck_id)] = preset
    decks = json.loads(cursor.execute("SELECT decks FROM col").fetchone()[0])
    for deck_id in deck_ids:
        decks[str(deck_id)]["conf"] = manifest.deck_id
    cursor.execute("UPDATE col SET dconf = ?, decks = ?", (json.dumps(presets, sort_keys=True),
                                                          json.dumps(decks, sort_keys=True)))


def _insert_notes_and_cards(cursor, model: genanki.Model, deck_ids: dict[str, int], notes: list[StampedNote]) -> None:
    """Fill the notes and cards tables: ids from the notes' times, new cards in the order of `notes`.

    Ids are handed out in the order the notes were added, so that each id says when its
    note first appeared (Anki's "Added" date); a card's `due` is its note's place in `notes`,
    its deck the note's lesson (`deck_ids`, by lesson; "" for the deck itself).
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
    cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,-1,0,0,?,0,0,0,0,0,0,0,0,'')", (
        (card_id, note_id, deck_ids[notes[i].note.deck], ord_, notes[i].modified, i + 1)
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

    field_ids, card_type_ids = dict(note_type.field_ids), dict(note_type.card_type_ids)
    return genanki.Model(
        note_type.model_id, note_type.name,
        fields=[{"name": name, **({"id": field_ids[name]} if name in field_ids else {})}
                for name in note_type.fields],
        templates=[{"name": name, "qfmt": front, "afmt": back,
                    **({"id": card_type_ids[name]} if name in card_type_ids else {})}
                   for name, front, back in note_type.templates],
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
    ids: tuple[tuple[str, int], ...] = ()  # the Anki ids of its fields, then of its card types, where it gives them


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
        [(guid, flds.split("\x1f"), tags.split()) for guid, mid, flds, tags in rows if mid == model_id],
        tuple((part["name"], part["id"]) for group in ("flds", "tmpls") for part in model[group] if part.get("id")))
