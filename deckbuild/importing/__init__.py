"""`import`: bring a deck made by hand in Anki, or a spreadsheet, into a reading file that builds.

read.py reads the file (an .apkg of either format, Anki's "Notes in Plain Text", a CSV or
TSV); convert.py turns each note into an entry (keys by field name, HTML into the source's
markup, media, pos and gender) and lines the hand-made note type up with ours; write.py
writes the YAML and copies the media. Every note keeps its GUID (`guid:`), and the ids of its
note type go in the file (`note_type_ids:`), so that learners who studied the hand-made deck
import the first package built from it with "Merge note types" and keep every review.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_text
from ..errors import BuildError, Problem, display_path
from ..french_data import FrenchDataError, FrenchLexicon
from ..json_schema import SCHEMA_DIR
from ..load import MANIFEST_NAME, MEDIA_DIR, load_file
from ..schema import ENTRY_KEYS, Manifest
from ..validate import validate_manifest, validate_reading
from .convert import CarryOver, carry_over, draft_entry, field_map, named_stock_fields
from .read import Export, read_export
from .write import copy_media, reading_file

__all__ = ["Imported", "import_file"]


@dataclass
class Imported:
    """What an import wrote, and what the teacher and the learners must know about it."""

    path: Path
    entries: int
    media: int
    guessed: list[str]  # "Front → term": fields matched by name, not by --map
    left_out: list[str]  # fields with text that no key takes
    to_fill: list[Problem]  # located: what the build will refuse until the teacher writes it
    learners: list[str] = field(default_factory=list)  # what learners of the hand-made deck keep or lose
    reviews_kept: bool = True
    warnings: list[str] = field(default_factory=list)  # anything else to tell


def import_file(export_path: Path, to: Path, maps: list[str], source_dir: Path, force: bool = False,
                media_from: Path | None = None) -> Imported:
    """Convert the export at `export_path` into the reading file `to`, copying its media into source/media/."""
    _check_target(to, source_dir, force)
    export = read_export(export_path)
    if export.format == "text":
        named_stock_fields(export)
    if not export.notes:
        raise BuildError(f"{display_path(export_path)}: no notes in it")
    fields = field_map(export, maps)
    try:
        lexicon = FrenchLexicon()
    except FrenchDataError as error:
        raise BuildError(str(error)) from error
    drafts = [draft_entry(note, fields, export.html, lexicon) for note in export.notes]
    copied = _bring_media(drafts, export, source_dir / MEDIA_DIR, media_from or export_path.parent)
    manifest = _manifest(source_dir)
    carry, learners = _learners(export, fields, manifest)
    kind_names = sorted({note.kind for note in export.notes if note.kind})
    header = [f"Imported from {export_path.name} by `python build.py import`"
              + (f" (note type {', '.join(kind_names)})" if kind_names else "") + "."]
    if any(note.guid for note in export.notes):
        header.append("Each `guid:` is the Anki note the entry came from: keep it, so learners keep their reviews.")
    schema = Path(os.path.relpath(SCHEMA_DIR / "reading.schema.json", to.resolve().parent)).as_posix()
    text, starts = reading_file(drafts, header, export.settings, carry, schema)
    _check_target(to, source_dir, force)  # made meanwhile?
    write_text(to, text)
    lost = bool(carry is None and any(note.guid for note in export.notes)) or bool(carry and carry.lost)
    warnings = _deck_names(export, manifest)
    if export_path.resolve().is_relative_to(source_dir.resolve()) and export.format == "table":
        warnings.append(f"{display_path(export_path)} is itself a reading file of the deck: delete it, or move it "
                        "out of the source directory, or its entries are in the deck twice")
    return Imported(to, len(drafts), copied, fields.guessed, fields.left_out, _to_fill(to, text, source_dir, drafts,
                    starts), learners, not lost, warnings)


def _check_target(to: Path, source_dir: Path, force: bool) -> None:
    """Refuse to write anything but a new reading file under the source directory, unless `force` replaces one."""
    if to.suffix != ".yaml":
        raise BuildError(f"--to {to}: expected a reading file ending in .yaml, such as source/vocabulaire.yaml")
    if to.name == MANIFEST_NAME:
        raise BuildError(f"--to {to}: that is the deck manifest; name another file")
    if not to.resolve().is_relative_to(source_dir.resolve()):
        raise BuildError(f"--to {to}: expected a file under {source_dir}/, where the build reads it")
    if to.exists() and not force:
        raise BuildError(f"{display_path(to)} already exists; choose another name, or add --force to replace it")


def _to_fill(path: Path, text: str, source_dir: Path, drafts: list, starts: list[int]) -> list[Problem]:
    """What the build would say of the written file, with what the import found out: the teacher's list."""
    problems: list[Problem] = []
    source = load_file(path, text.encode("utf-8"), problems)
    if source is not None:
        validate_reading(source, source_dir, problems)
    name = display_path(path)
    for draft, start in zip(drafts, starts, strict=True):
        for key, message in draft.todo:
            at = next((i for i, problem in enumerate(problems)
                       if key and problem.line == start and f"'{key}'" in problem.message), None)
            if at is not None:  # the build's own message, then why the import left it
                problems[at] = problems[at]._replace(message=f"{problems[at].message}; {message}")
            else:
                problems.append(Problem(name, start, 5, f"entry '{draft.values.get('term', '')}'"
                                        + (f", field '{key}'" if key else "") + f": {message}"))
    return sorted(set(problems))


def _bring_media(drafts, export: Export, media_dir: Path, media_from: Path) -> int:
    """Copy each entry's picture and recording into source/media/ and name it in the entry; return how many."""
    copied = set()
    for draft in drafts:
        for key, name in draft.media.items():
            suffixes = ENTRY_KEYS.by_name[key].type.suffixes
            if not name.lower().endswith(suffixes):
                draft.todo.append((key, f"'{name}' is not a file the deck takes ({', '.join(suffixes)}): "
                                        "convert it and add it by hand"))
                continue
            loader = export.media.get(name)
            if loader is None and (media_from / name).is_file():
                loader = (media_from / name).read_bytes
            if loader is None:
                where = "the package" if export.format == "apkg" else f"{display_path(media_from)} (give --media DIR)"
                draft.todo.append((key, f"the file '{name}' is not in {where}; add it under "
                                        f"{display_path(media_dir)}/ and write its name here"))
                continue
            media_dir.mkdir(parents=True, exist_ok=True)
            draft.values[key] = copy_media(name, loader(), media_dir)
            copied.add(draft.values[key])
    return len(copied)


def _learners(export: Export, fields, manifest: Manifest | None) -> tuple[CarryOver | None, list[str]]:
    """Line the hand-made note type up with ours; say plainly what learners of the hand-made deck keep or lose."""
    said = []
    ours = manifest.note_type if manifest else "the deck's note type"
    if not any(note.guid for note in export.notes):
        hint = " (export them again with \"Include unique identifier\")" if export.format == "text" else ""
        return None, [f"the notes have no Anki GUIDs{hint}: anyone who studied them in Anki gets them as new notes"]
    if export.format != "apkg":
        return None, [
            "learners of the hand-made deck would lose their reviews: a text export keeps the notes' GUIDs but not "
            "their note type's ids, and Anki would put their studied cards on a card type of their own, blank "
            "(or, with its default options, leave their notes as they were and never update them). Export the deck "
            "as an Anki package instead (File > Export…, \"Anki Deck Package\", with scheduling) and import that"]
    counts = Counter(note.kind for note in export.notes)
    main, _ = counts.most_common(1)[0]
    if manifest and export.kinds[main].id == manifest.model_id:
        return None, [f"the notes are of this deck's own note type '{main}': its learners update them as usual"]
    carry = carry_over(export.kinds[main], fields)
    for other, count in sorted(counts.items()):
        if other != main:
            carry.lost.append(f"the {count} notes of the note type '{other}' (our note type can replace one "
                              f"hand-made note type, here '{main}'): import them into another project")
    if not carry.has_ids:
        matched = ", ".join(f"{theirs} into {our}" for theirs, our in carry.matched.items())
        said.append(f"to keep their reviews, learners of the hand-made deck import the package (default options), "
                    f"then in the Browse window select the notes of '{carry.note_type}', choose Notes > Change Note "
                    f"Type…, pick '{ours}' and put {matched}; then import the package again with \"Update notes: "
                    "Always\"")
    if carry.lost:
        said.insert(0, "learners of the hand-made deck would lose reviews: " + "; ".join(carry.lost))
    else:
        said.insert(0, f"learners of the hand-made deck keep every review: the note type '{carry.note_type}' "
                       "becomes ours when they import the first package built from this file with \"Merge note "
                       "types\", \"Update notes: Always\" and \"Update note types: Always\" (README, \"Coming from a "
                       "spreadsheet or an existing deck\"); `check-upgrade` shows it")
    return carry, said


def _manifest(source_dir: Path) -> Manifest | None:
    path = source_dir / MANIFEST_NAME
    if not path.is_file():
        return None
    problems: list[Problem] = []
    source = load_file(path, path.read_bytes(), problems)
    return validate_manifest(source, problems) if source is not None and source.root is not None else None


def _deck_names(export: Export, manifest: Manifest | None) -> list[str]:
    """Say where the deck's name differs from the hand-made deck's: Anki never moves a studied card to another deck."""
    if not export.decks or manifest is None or manifest.name in export.decks:
        return []
    return [f"the hand-made deck is named '{', '.join(export.decks)}' and deck.yaml names this one "
            f"'{manifest.name}': learners' studied cards stay where they are and new cards go to '{manifest.name}'; "
            "to keep them together, give deck.yaml the hand-made deck's name before the first release"]
