"""The schema of the source as JSON Schema, for editors: generated from schema.py, never written by hand.

Each key type describes its own good values (keys.py), each entry rule of validate.py what
of it JSON Schema can say; here they are put together into one schema for deck.yaml and
one for the reading files, in draft-07, the newest that VS Code's YAML extension
(redhat's yaml-language-server) supports. `python build.py schema` writes them to
deckbuild/schemas/, where the sources' first lines name them; a test fails when the files
there are not what this module makes.
"""

from __future__ import annotations

import json
from pathlib import Path

from .schema import ENTRY_KEYS, FILE_KEYS, MANIFEST_KEYS
from .validate import ENTRY_RULES

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
DRAFT = "http://json-schema.org/draft-07/schema#"
MODELINE = "# yaml-language-server: $schema="  # the first line of a source file, naming its schema


def manifest_schema() -> dict:
    """The JSON Schema of `deck.yaml`, from MANIFEST_KEYS."""
    return _document("deck.yaml", "The deck manifest of a deckbuild deck: source/deck.yaml.",
                     MANIFEST_KEYS.json_schema())


def reading_schema() -> dict:
    """The JSON Schema of a reading file, from FILE_KEYS, ENTRY_KEYS and what JSON Schema can say of ENTRY_RULES."""
    entry = ENTRY_KEYS.json_schema()
    rules = [rule.json_schema for rule in ENTRY_RULES if hasattr(rule, "json_schema")]
    if rules:
        entry["allOf"] = rules
    schema = _document("reading file", "A reading or lesson of a deckbuild deck: source/**/*.yaml, but deck.yaml.",
                       FILE_KEYS.json_schema())
    return schema | {"definitions": {"entry": {"description": "One vocabulary entry; it becomes one Anki note.",
                                               **entry}}}


# File name in SCHEMA_DIR → what it holds. deck.yaml's name ends the list: a reading file is any other.
SCHEMAS = {"reading.schema.json": reading_schema, "deck.schema.json": manifest_schema}


def schema_texts() -> dict[str, str]:
    """Each schema file's name and the text it should hold: stable JSON, keys in the README's order."""
    return {name: json.dumps(make(), ensure_ascii=False, indent=2) + "\n" for name, make in SCHEMAS.items()}


def stale_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """The schema files in `directory` that are missing or differ from what the schema in code makes."""
    return [directory / name for name, text in schema_texts().items()
            if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text]


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write the schema files that are stale into `directory`; return them."""
    stale = stale_schemas(directory)
    directory.mkdir(parents=True, exist_ok=True)
    texts = schema_texts()
    for path in stale:
        path.write_text(texts[path.name], encoding="utf-8")
    return stale


def schema_for(path: Path) -> str:
    """The name of the schema file that describes the source file at `path`."""
    return "deck.schema.json" if path.name == "deck.yaml" else "reading.schema.json"


def _document(title: str, description: str, schema: dict) -> dict:
    return {"$schema": DRAFT, "title": title, "description": description, **schema}
