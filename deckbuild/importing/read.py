"""Read what teachers already have: an Anki package, Anki's "Notes in Plain Text", or a spreadsheet export.

An .apkg is read with sqlite3 directly, in both of Anki's formats (rslib/src/import_export/package/
in ankitects/anki): the legacy one (collection.anki21, or collection.anki2 from Anki 2.0; note types
as JSON in the `col` row; media named by a JSON map) and the current one (collection.anki21b and
every media file zstd-compressed; note types in their own tables with protobuf configs; media named
by a protobuf list). Each reader gives an Export: the notes in the order they were added, with
their GUIDs, fields by name, tags, and the media they may refer to.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BuildError, Problem, display_path
from ..load import Sequence
from ..sheet import read_sheet


@dataclass(frozen=True)
class NoteKind:
    """A note type of the export: its name, fields and card types, with the ids Anki matches them by (None: none)."""

    id: int
    name: str
    fields: tuple[tuple[str, int | None], ...]  # (name, id)
    templates: tuple[tuple[str, int | None, str], ...]  # (name, id, question format)
    cloze: bool = False  # Anki never merges a cloze note type with a standard one


@dataclass(frozen=True)
class ExportedNote:
    """One note as the export holds it: fields by name, in the note type's order."""

    guid: str  # "" for a spreadsheet row
    kind: str  # its note type's name; "" when the export does not say
    fields: dict[str, str]
    tags: tuple[str, ...]


@dataclass
class Export:
    """What a file brought in holds."""

    path: Path
    format: str  # "apkg", "text" (Notes in Plain Text) or "table" (CSV/TSV)
    notes: list[ExportedNote]
    kinds: dict[str, NoteKind] = field(default_factory=dict)  # by name; only a package has them
    html: bool = True  # whether field values are HTML
    decks: tuple[str, ...] = ()
    media: dict[str, Callable[[], bytes]] = field(default_factory=dict)  # the package's files, by name
    settings: dict[str, str | tuple[str, ...]] = field(default_factory=dict)  # a spreadsheet's, by key (#source:)

    @property
    def field_names(self) -> list[str]:
        """Every field name of the notes, in the order first met."""
        return list(dict.fromkeys(name for note in self.notes for name in note.fields))


def read_export(path: Path) -> Export:
    """Read the file `path` by its kind: .apkg, .txt (Notes in Plain Text), .csv or .tsv."""
    if not path.is_file():
        raise BuildError(f"{display_path(path)}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".apkg", ".colpkg"):
        return read_package(path)
    if suffix in (".csv", ".tsv", ".txt"):
        if suffix == ".txt" or path.read_bytes().removeprefix(codecs.BOM_UTF8).startswith((b"#separator:", b"#html:")):
            return read_notes_text(path, _text(path))
        return read_table(path)
    raise BuildError(f"{display_path(path)}: expected an Anki package (.apkg), Anki's \"Notes in Plain Text\" "
                     "(.txt) or a spreadsheet saved as .csv or .tsv")


# --- Anki packages -------------------------------------------------------------------------------


def read_package(path: Path) -> Export:
    """Read an .apkg of either format: notes in the order they were added, note types, decks and media."""
    name = display_path(path)
    if not path.is_file():
        raise BuildError(f"{name}: no such package")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BuildError(f"{name}: not an Anki package ({error})") from error
    members = set(archive.namelist())
    current = "collection.anki21b" in members
    collection = next((c for c in ("collection.anki21b", "collection.anki21", "collection.anki2") if c in members),
                      None)
    if collection is None:
        raise BuildError(f"{name}: not an Anki package (it has no collection)")
    with tempfile.TemporaryDirectory(prefix="deckbuild-import-") as scratch:
        database = Path(scratch) / "collection.sqlite"
        database.write_bytes(_unzstd(archive.read(collection)) if current else archive.read(collection))
        connection = sqlite3.connect(database)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            kinds = _kinds_v18(connection) if "notetypes" in tables else _kinds_legacy(connection)
            decks = _decks_v18(connection) if "decks" in tables else _decks_legacy(connection)
            rows = connection.execute(
                "SELECT guid, mid, tags, flds FROM notes ORDER BY id").fetchall()
            used_decks = [decks.get(did, "") for (did,) in connection.execute(
                "SELECT DISTINCT did FROM cards ORDER BY did")]
        except sqlite3.DatabaseError as error:
            raise BuildError(f"{name}: not an Anki package ({error})") from error
        finally:
            connection.close()
    by_id = {kind.id: kind for kind in kinds}
    notes = []
    for guid, mid, tags, flds in rows:
        kind = by_id.get(mid)
        values = flds.split("\x1f")
        names = [field_name for field_name, _ in kind.fields] if kind else [str(i + 1) for i in range(len(values))]
        notes.append(ExportedNote(guid, kind.name if kind else "", dict(zip(names, values, strict=False)),
                                  tuple(tags.split())))
    used = {note.kind for note in notes}
    return Export(path, "apkg", notes, {kind.name: kind for kind in kinds if kind.name in used}, True,
                  tuple(sorted(set(filter(None, used_decks)))), _package_media(archive, current, members))


def _kinds_legacy(connection: sqlite3.Connection) -> list[NoteKind]:
    models = json.loads(connection.execute("SELECT models FROM col").fetchone()[0])
    return [NoteKind(int(model["id"]), model["name"],
                     tuple((f["name"], f.get("id")) for f in sorted(model["flds"], key=lambda f: f["ord"])),
                     tuple((t["name"], t.get("id"), t.get("qfmt", ""))
                           for t in sorted(model["tmpls"], key=lambda t: t["ord"])), model.get("type") == 1)
            for model in models.values()]


def _kinds_v18(connection: sqlite3.Connection) -> list[NoteKind]:
    kinds = []
    for ntid, name, kind_config in connection.execute("SELECT id, name, config FROM notetypes ORDER BY id").fetchall():
        fields = tuple((field_name, _message(config).get(9)) for field_name, config in connection.execute(
            "SELECT name, config FROM fields WHERE ntid = ? ORDER BY ord", (ntid,)))
        templates = []
        for template_name, config in connection.execute(
                "SELECT name, config FROM templates WHERE ntid = ? ORDER BY ord", (ntid,)):
            values = _message(config)
            question = values.get(1, b"")
            templates.append((template_name, values.get(8), question.decode() if isinstance(question, bytes)
                              else ""))
        kinds.append(NoteKind(ntid, name, tuple((n, _signed(i)) for n, i in fields),
                              tuple((n, _signed(i), q) for n, i, q in templates), _message(kind_config).get(1) == 1))
    return kinds


def _decks_legacy(connection: sqlite3.Connection) -> dict[int, str]:
    return {int(did): deck["name"] for did, deck in json.loads(connection.execute(
        "SELECT decks FROM col").fetchone()[0]).items()}


def _decks_v18(connection: sqlite3.Connection) -> dict[int, str]:
    return {did: name.replace("\x1f", "::") for did, name in connection.execute("SELECT id, name FROM decks")}


def _package_media(archive: zipfile.ZipFile, current: bool, members: set[str]) -> dict[str, Callable[[], bytes]]:
    """The package's media files by name, each read when asked for."""
    if "media" not in members:
        return {}
    raw = archive.read("media")
    if current:
        entries = _message(_unzstd(raw), repeated={1}).get(1, [])
        names = {}
        for index, entry in enumerate(entries):
            values = _message(entry)
            names[str(values.get(255, index))] = values.get(1, b"").decode()
    else:
        names = json.loads(raw.decode() or "{}")

    def loader(member: str) -> Callable[[], bytes]:
        return lambda: _unzstd(archive.read(member)) if current else archive.read(member)

    return {name: loader(member) for member, name in names.items() if member in members}


def _unzstd(data: bytes) -> bytes:
    import zstandard  # only the current package format needs it

    return zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data)).read()


def _message(data: bytes, repeated: frozenset[int] | set[int] = frozenset()) -> dict[int, object]:
    """Decode the protobuf message `data` into {field number: value}; `repeated` fields as lists.

    Enough for what a package holds (varints and length-delimited values); values are ints or bytes.
    """
    values: dict[int, object] = {}
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            length, at = _varint(data, at)
            value, at = data[at:at + length], at + length
        elif wire == 1:
            value, at = int.from_bytes(data[at:at + 8], "little"), at + 8
        elif wire == 5:
            value, at = int.from_bytes(data[at:at + 4], "little"), at + 4
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        if number in repeated:
            values.setdefault(number, []).append(value)
        else:
            values[number] = value
    return values


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if byte < 0x80:
            return value, at
        shift += 7


def _signed(value: int | None) -> int | None:
    """An int64 as protobuf writes it, two's complement in a varint."""
    return value - (1 << 64) if value is not None and value >= 1 << 63 else value


# --- Text files ----------------------------------------------------------------------------------


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as error:
        raise BuildError(f"{display_path(path)}: the file is not UTF-8 (byte 0x{data[error.start]:02x} at offset "
                         f"{error.start}); save it as \"CSV UTF-8\" (Excel) or with the UTF-8 encoding") from error


_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
_HEADER_COLUMNS = ("guid", "notetype", "deck", "tags")


def read_notes_text(path: Path, text: str) -> Export:
    """Read Anki's "Notes in Plain Text" export: its `#key:value` header lines, then one note a line.

    Its fields have no names: they are named by their place, "1", "2", …, except in a note type
    whose fields the export's `#columns:` line names.
    """
    header: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        key, _, value = lines[start][1:].rstrip("\r\n").partition(":")
        header[key.strip()] = value.strip()
        start += 1
    separator = _SEPARATORS.get(header.get("separator", "tab").lower(), header.get("separator", "\t")[:1] or "\t")
    columns = {name: int(header[f"{name} column"]) - 1 for name in _HEADER_COLUMNS
               if header.get(f"{name} column", "").isdigit()}
    named = header["columns"].split(separator) if "columns" in header else None
    notes, decks = [], set()
    reader = csv.reader(io.StringIO("".join(lines[start:]), newline=""), delimiter=separator)
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        special = {name: row[index] if index < len(row) else "" for name, index in columns.items()}
        values = [cell for index, cell in enumerate(row) if index not in columns.values()]
        names = ([name for index, name in enumerate(named) if index not in columns.values()] if named
                 else [str(i + 1) for i in range(len(values))])
        notes.append(ExportedNote(special.get("guid", ""), special.get("notetype", header.get("notetype", "")),
                                  dict(zip(names, values, strict=False)), tuple(special.get("tags", "").split())))
        decks.add(special.get("deck", ""))
    is_html = header.get("html", "false").lower() == "true"
    return Export(path, "text", notes, {}, is_html, tuple(sorted(filter(None, decks))))


def read_table(path: Path) -> Export:
    """Read a spreadsheet export as the build reads one (sheet.py): its settings, a header row, one note a row.

    The columns may have any names (Mot, 中文): convert.py maps them to entry keys. The file's
    settings (`#source:`, `#tags:`, …) go to the reading file as they are.
    """
    problems: list[Problem] = []
    root = read_sheet(display_path(path), path.read_bytes(), path.suffix.lower() == ".tsv", problems)
    if problems or root is None:
        raise BuildError("\n".join(str(problem) for problem in problems))
    pairs = dict((key.value, node) for key, node in root.pairs)
    rows = pairs.pop("entries").items
    notes = []
    for row in rows:
        values = {key.value: _plain(node) for key, node in row.pairs}
        lowered = {name.lower(): name for name in values}
        tags = values.pop(lowered["tags"], "") if "tags" in lowered else ""
        notes.append(ExportedNote("", "", {name: value for name, value in values.items() if isinstance(value, str)},
                                  tuple(tags.split()) if isinstance(tags, str) else tags))
    return Export(path, "table", notes, {}, html=False, settings={key: _plain(node) for key, node in pairs.items()})


def _plain(node) -> str | tuple[str, ...]:
    """The text of a cell, or the words of a list column (tags)."""
    return tuple(item.value for item in node.items) if isinstance(node, Sequence) else node.value
