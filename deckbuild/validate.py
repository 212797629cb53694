"""Stage 2, validate: turn YAML nodes into a Manifest and Entries, or say what is wrong.

Every rule comes from schema.py. Every problem in every file is collected, each with
its file, line and column, what was expected and what was found; the caller aborts once.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from pathlib import Path

from . import french
from .errors import Problem
from .load import MEDIA_DIR, Mapping, Node, Scalar, Sequence, SourceFile
from .schema import (
    ANKI_ID_MAX,
    DEFAULT_LABELS,
    ENTRY_KEYS,
    FILE_KEYS,
    MANIFEST_KEYS,
    TAG_PATTERN,
    Entry,
    Key,
    Location,
    Manifest,
)

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but the line break; \x1f would split a note
_MEDIA_SUFFIXES = {
    "image": (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg"),
    "audio": (".mp3", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".flac"),
}


class _File:
    """Checks the nodes of one file against the schema, collecting problems."""

    def __init__(self, source: SourceFile, problems: list[Problem]):
        self.source = source
        self.problems = problems

    def where(self, node: Node) -> Location:
        return Location(self.source.name, node.line, node.column)

    def report(self, node: Node, message: str) -> None:
        at = self.where(node)
        self.problems.append(Problem(at.path, at.line, at.column, message))

    def mapping(self, node: Node, keys: tuple[Key, ...], what: str) -> dict[str, tuple[object, Node]] | None:
        """Check a mapping's keys and values; return the good values by key name."""
        if not isinstance(node, Mapping):
            self.report(node, f"{what}: expected a mapping of 'key: value' lines, found {_found(node)}")
            return None
        by_name = {key.name: key for key in keys}
        values: dict[str, tuple[object, Node]] = {}
        meant: set[str] = set()  # keys that a misspelt key stands for: reported once, as the misspelling
        for key_node, value_node in node.pairs:
            name = key_node.value
            key = by_name.get(name)
            if key is None:
                close = _closest(name, by_name)
                meant.add(close or "")
                hint = f"; did you mean '{close}'?" if close else f"; expected one of: {', '.join(by_name)}"
                self.report(key_node, f"{what}: unknown field '{name}'{hint}")
                continue
            value = self.value(key, value_node, f"{what}, field '{name}'")
            if value is not None:
                values[name] = (value, value_node)
        written = {key_node.value for key_node, _ in node.pairs}
        for key in keys:
            if key.required and key.name not in written and key.name not in meant:
                self.report(node, f"{what}: missing field '{key.name}' ({_lower_first(key.doc)})")
        return values

    def value(self, key: Key, node: Node, what: str) -> object | None:
        """Convert one value by the kind of its key; report and return None when it is wrong."""
        if key.kind in ("tags", "entries"):
            return self.sequence(key, node, what)
        if key.kind == "labels":
            return self.labels(node, what)
        if not isinstance(node, Scalar):
            self.report(node, f"{what}: expected {_expected(key)}, found {_found(node)}")
            return None
        text = "" if node.is_null else unicodedata.normalize("NFC", node.value).strip()
        if control := _CONTROL.search(text):
            self.report(node, f"{what}: expected text, found the control character U+{ord(control.group()):04X} "
                              "in it (an invisible character, often pasted by accident); remove it")
            return None
        if not text:
            if key.required:
                self.report(node, f"{what}: expected {_expected(key)}, found an empty value")
            return None
        if key.kind == "integer":
            return self.integer(text, node, what)
        if key.kind == "flag":
            if text not in ("true", "false"):
                self.report(node, f"{what}: expected true or false, found '{_clip(text)}'")
                return None
            return text == "true"
        if key.kind == "choice" and text not in key.choices:
            close = _closest(text, key.choices)
            self.report(node, f"{what}: expected {_expected(key)}, found '{_clip(text)}'"
                              + (f"; did you mean '{close}'?" if close else ""))
            return None
        if len(text) > key.max_length:
            self.report(node, f"{what}: expected at most {key.max_length} characters, found {len(text)}; "
                              "shorten it or move detail to notes")
            return None
        if key.pattern and not re.fullmatch(key.pattern, text):
            self.report(node, f"{what}: expected {_expected(key)}, found '{_clip(text)}'")
            return None
        return text

    def integer(self, text: str, node: Scalar, what: str) -> int | None:
        if not node.is_integer or not text.isdigit() or not 0 < int(text) <= ANKI_ID_MAX:
            self.report(node, f"{what}: expected a whole number between 1 and 2^63-1, found '{_clip(text)}'")
            return None
        return int(text)

    def sequence(self, key: Key, node: Node, what: str) -> list | None:
        if not isinstance(node, Sequence):
            example = "a list, one '- ' line per entry" if key.kind == "entries" else "a list such as [tag1, tag2]"
            self.report(node, f"{what}: expected {example}, found {_found(node)}")
            return None
        if key.kind == "entries":
            return node.items
        tags = []
        for item in node.items:
            if not isinstance(item, Scalar) or not re.fullmatch(TAG_PATTERN, item.value):
                self.report(item, f"{what}: expected a tag without spaces or quotes, found {_found(item)}")
            else:
                tags.append(unicodedata.normalize("NFC", item.value))
        return tags

    def labels(self, node: Node, what: str) -> dict[str, str] | None:
        keys = tuple(Key(name, "text", f"label for {name}", max_length=200) for name in DEFAULT_LABELS)
        values = self.mapping(node, keys, what) or {}
        for name, (value, value_node) in values.items():
            if "{{" in value or "}}" in value:  # Anki would read it as a field of the card
                self.report(value_node, f"{what}, field '{name}': expected plain text, found '{{{{' or '}}}}' "
                                        "in it; remove the braces")
        return {name: value for name, (value, _) in values.items()}


def validate_manifest(source: SourceFile, problems: list[Problem]) -> Manifest | None:
    """Check the parsed `deck.yaml`; return the Manifest, or None after appending its problems."""
    return _manifest(_File(source, problems))


def validate_reading(source: SourceFile, source_dir: Path, problems: list[Problem]) -> list[Entry]:
    """Check one parsed reading file; return its good entries, appending the problems of the others."""
    return _reading(_File(source, problems), source_dir)


def _manifest(file: _File) -> Manifest | None:
    values = file.mapping(file.source.root, MANIFEST_KEYS, "deck manifest")
    if values is None or any(k.required and k.name not in values for k in MANIFEST_KEYS):
        return None
    plain = {name: value for name, (value, _) in values.items()}
    if "slug" not in plain:
        plain["slug"] = default_slug(plain["name"])
        if not plain["slug"]:
            file.report(values["name"][1], (
                "deck manifest, field 'name': cannot make a file name from it; add a 'slug' such as french-vocabulary"))
            return None
    plain.setdefault("note_type", f"{plain['name']} vocabulary")
    plain["labels"] = {**DEFAULT_LABELS, **plain.get("labels", {})}
    return Manifest(**plain)


def _reading(file: _File, source_dir: Path) -> list[Entry]:
    root = file.source.root
    if root is None:
        file.problems.append(Problem(file.source.name, 1, 1, (
            "the file is empty; expected a mapping with 'entries:', or delete the file")))
        return []
    values = file.mapping(root, FILE_KEYS, "file")
    if not values or "entries" not in values:
        return []
    defaults = {
        "source": values.get("source", ("", None))[0],
        "tags": tuple(values.get("tags", ((), None))[0]),
    }
    entries = []
    for index, node in enumerate(values["entries"][0], start=1):
        entry = _entry(file, node, index, defaults, source_dir)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(file: _File, node: Node, index: int, defaults: dict, source_dir: Path) -> Entry | None:
    what = f"entry {index}"
    if isinstance(node, Mapping):
        term = next((v.value for k, v in node.pairs if k.value == "term" and isinstance(v, Scalar)), "")
        if term.strip():
            what = f"entry '{_clip(unicodedata.normalize('NFC', term.strip()))}'"
    found = len(file.problems)
    values = file.mapping(node, ENTRY_KEYS, what)
    if values is None or len(file.problems) > found:
        return None
    fields = {name: value for name, (value, _) in values.items()}
    nodes = {name: value_node for name, (_, value_node) in values.items()}
    _check_entry_rules(file, what, fields, nodes, node, source_dir)
    if len(file.problems) > found:
        return None
    fields["tags"] = tuple(dict.fromkeys((*defaults["tags"], *fields.get("tags", ()))))
    return Entry(**fields, source=defaults["source"], where=file.where(node))


def _check_entry_rules(file: _File, what: str, fields: dict, nodes: dict, node: Node, source_dir: Path) -> None:
    """The rules that tie one field to another, and media files to the disk."""
    pos = fields["pos"]
    if pos == "noun" and "gender" not in fields:
        file.report(node, f"{what}: missing field 'gender' (a noun needs one): expected m, f or mf")
    for name in ("gender", "number", "aspirated_h"):
        if name in fields and pos != "noun":
            file.report(nodes[name], f"{what}, field '{name}': only nouns take it, found pos '{pos}'; "
                                     "remove the field or set pos: noun")
    if "aspirated_h" in fields and not fields["term"].lower().startswith("h"):
        file.report(nodes["aspirated_h"], f"{what}, field 'aspirated_h': only for a term starting with h, "
                                          f"found '{fields['term']}'")
    if "form" in fields:
        if "example" not in fields:
            file.report(nodes["form"], f"{what}, field 'form': needs an example to stand in; add 'example'")
        elif french.find_in_example(fields["example"], fields["form"]) is None:
            file.report(nodes["form"], f"{what}, field 'form': expected words of the example, "
                                       f"found '{fields['form']}', which the example does not contain")
    for name in ("image", "audio"):
        if name in fields:
            _check_media(file, what, name, fields[name], nodes[name], source_dir)


def _check_media(file: _File, what: str, name: str, value: str, node: Node, source_dir: Path) -> None:
    media_dir = (source_dir / MEDIA_DIR).resolve()
    path = (media_dir / value).resolve()
    label = f"{what}, field '{name}'"
    if not path.is_relative_to(media_dir):
        file.report(node, f"{label}: expected a path inside {source_dir.name}/{MEDIA_DIR}/, "
                          f"found '{value}', which leaves it")
    elif path.suffix.lower() not in _MEDIA_SUFFIXES[name]:
        file.report(node, f"{label}: expected a file ending in {', '.join(_MEDIA_SUFFIXES[name])}, "
                          f"found '{value}'")
    elif not path.is_file():
        file.report(node, f"{label}: expected a file at {source_dir.name}/{MEDIA_DIR}/{value}, found none; "
                          "check the name, or add the file")


def _expected(key: Key) -> str:
    if key.kind == "choice":
        return ", ".join(key.choices[:-1]) + f" or {key.choices[-1]}" if len(key.choices) > 1 else key.choices[0]
    if key.kind == "integer":
        return "a whole number"
    if key.kind == "flag":
        return "true or false"
    if key.name == "version":
        return "a version such as 1.0.0"
    if key.pattern:
        return f"text matching {key.pattern}"
    return "text"


def _found(node: Node) -> str:
    if isinstance(node, Sequence):
        return "a list"
    if isinstance(node, Mapping):
        return "a mapping"
    return "an empty value" if node.is_null or not node.value.strip() else f"'{_clip(node.value)}'"


def _closest(word: str, choices) -> str | None:
    """The choice `word` was most likely meant to be, if one is close enough."""
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:].rstrip(".")


def default_slug(name: str) -> str:
    """The file-name stem a deck gets from its name when deck.yaml gives no `slug`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
