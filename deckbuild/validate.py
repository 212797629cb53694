"""Stage 2, validate: turn YAML nodes into a Manifest and Entries, or say what is wrong.

The keys of each mapping, and the type that checks each value, come from schema.py;
the rules that tie one field of an entry to another are ENTRY_RULES below. Every
problem in every file is collected, each with its file, line and column, what was
expected and what was found; the caller aborts once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from . import french
from .errors import Problem, clip
from .keys import EMPTY, Invalid, Key, Keys, MediaPath, closest, describe
from .load import MEDIA_DIR, Mapping, Node, Scalar, SourceFile, media_file
from .render import NoteType
from .schema import DEFAULT_LABELS, ENTRY_KEYS, FILE_KEYS, MANIFEST_KEYS, Entry, Location, Manifest, Variant
from .sheet import Column


class FileChecker:
    """Checks the nodes of one file against the schema, collecting problems."""

    def __init__(self, source: SourceFile, problems: list[Problem], editions: tuple[str, ...] = ()):
        self.source = source
        self.problems = problems
        self.editions = editions  # the codes of the deck's other editions, which `gloss@zh-CN:` may name
        self.unknown_keys: set[Node] = set()  # a spreadsheet's rows share their header's keys: told once

    def where(self, node: Node) -> Location:
        """Return where `node` was written."""
        return Location(self.source.name, node.line, node.column)

    def report(self, node: Node, message: str) -> None:
        """Add a problem at `node`."""
        self.problems.append(Problem(self.source.name, node.line, node.column, message))

    def mapping(self, node: Node, keys: Keys, what: str) -> tuple[dict[str, object], dict[str, Node]] | None:
        """Check a mapping's keys and values; return the good values by key name, and where each was written."""
        if not isinstance(node, Mapping):
            self.report(node, f"{what}: expected a mapping of 'key: value' lines, found {describe(node)}")
            return None
        by_name = keys.by_name
        values: dict[str, object] = {}
        nodes: dict[str, Node] = {}
        meant: set[str] = set()  # keys that a misspelt key stands for: reported once, as the misspelling
        for key_node, value_node in node.pairs:
            name = key_node.value
            key = by_name.get(name)
            if key is None:
                base, at, edition = name.partition("@")
                problem = self._edition_problem(base, edition, keys) if at else None
                if not at or problem:
                    close = closest(base, by_name)
                    meant.add(close or "")
                    hint = f"; did you mean '{close}'?" if close else f"; expected one of: {', '.join(by_name)}"
                    problem = problem or f"unknown field '{clip(name)}'{hint}"
                    if key_node not in self.unknown_keys:
                        self.unknown_keys.add(key_node)
                        where = "the header row" if isinstance(key_node, Column) else what  # of every row below
                        self.report(key_node, f"{where}: {problem}")
                    continue
                key = Key(name, by_name[base].type, by_name[base].doc)  # never required
            field = f"{what}, field '{name}'"
            value = key.type.check(value_node, field, self)
            if value is EMPTY:  # as if not written, unless it must be
                if key.required:
                    self.report(value_node, f"{field}: expected {key.type.expected}, found an empty value")
            elif value is not None:
                values[name], nodes[name] = value, value_node
        if missing := [key for key in keys.required if key.name not in values]:
            written = {key_node.value for key_node, _ in node.pairs}
            for key in missing:
                if key.name not in written and key.name not in meant:
                    self.report(node, f"{what}: missing field '{key.name}' ({_lower_first(key.doc)})")
        return values, nodes


    def _edition_problem(self, base: str, edition: str, keys: Keys) -> str | None:
        """Say what is wrong with a field `base@edition`, a text for one edition; None if it is good."""
        if base not in keys.by_name:
            close = closest(base, keys.by_name)
            hint = (f"did you mean '{close}@{clip(edition)}'?" if close
                    else f"expected one of: {', '.join(keys.by_name)}")
            return f"unknown field '{clip(base)}@{clip(edition)}'; {hint}"
        per_edition = [key.name for key in keys if key.per_edition]
        if not keys.by_name[base].per_edition:
            return (f"field '{clip(base)}@{clip(edition)}': only Chinese text has a text per edition, found "
                    f"'{base}'; expected one of: {', '.join(f'{name}@{clip(edition)}' for name in per_edition)}")
        if edition not in self.editions:
            if not self.editions:
                return (f"field '{clip(base)}@{clip(edition)}': the deck has no edition '{clip(edition)}'; declare "
                        f"it under `variants:` in deck.yaml, or remove the field")
            close = closest(edition, self.editions)
            hint = f"did you mean '{base}@{close}'?" if close else "expected one of: " + ", ".join(
                f"{base}@{code}" for code in self.editions)
            return (f"field '{clip(base)}@{clip(edition)}': the deck has no edition '{clip(edition)}' under "
                    f"`variants:` in deck.yaml; {hint}")
        return None


def validate_manifest(source: SourceFile, problems: list[Problem]) -> Manifest | None:
    """Check the parsed `deck.yaml`; return the Manifest, or None after appending its problems."""
    return _manifest(FileChecker(source, problems))


def validate_reading(source: SourceFile, source_dir: Path, problems: list[Problem],
                     editions: tuple[str, ...] = ()) -> list[Entry]:
    """Check one parsed reading file; return its good entries, appending the problems of the others.

    `editions` are the deck's other editions, for which a text may be written as `gloss@zh-CN:`.
    """
    return _reading(FileChecker(source, problems, editions), source_dir)


def note_type_ids(source: SourceFile) -> list[tuple[str, str, int, int, int]]:
    """Return the ids a good reading file gives our note type: (fields or card_types, name, id, line, column)."""
    root = source.root
    checked = FileChecker(source, []).mapping(root, FILE_KEYS, "file") if root is not None else None
    if checked is None or "note_type_ids" not in checked[0]:
        return []
    node = checked[1]["note_type_ids"]
    ids = checked[0]["note_type_ids"]
    return [(kind, name, anki_id, node.line, node.column)
            for kind in ("fields", "card_types") for name, anki_id in ids.get(kind, {}).items()]


def _manifest(file: FileChecker) -> Manifest | None:
    checked = file.mapping(file.source.root, MANIFEST_KEYS, "deck manifest")
    if checked is None or any(key.name not in checked[0] for key in MANIFEST_KEYS.required):
        return None
    plain, nodes = checked
    if "slug" not in plain:
        plain["slug"] = default_slug(plain["name"])
        if not plain["slug"]:
            file.report(nodes["name"], (
                "deck manifest, field 'name': cannot make a file name from it; add a 'slug' such as french-vocabulary"))
            return None
    plain.setdefault("note_type", f"{plain['name']} vocabulary")
    plain["labels"] = {**DEFAULT_LABELS, **plain.get("labels", {})}
    if "variants" in plain:
        plain["variants"] = _variants(file, plain, plain["variants"])
        if plain["variants"] is None:
            return None
    return Manifest(**plain)


def _variants(file: FileChecker, deck: dict[str, object], written: list) -> tuple[Variant, ...] | None:
    """The deck's other editions, each with a code, name, ids, slug and note type of its own; None if one has not.

    Anki keeps decks by name, whatever its case, and note types by id; file systems may take file
    names alike whatever their case: an edition sharing any would mix with the deck or another edition.
    A slug not written is the one the edition gets (editions.py), `<deck's slug>-<code>`.
    """
    taken = {(_UNIQUE[name], _alike(deck[name])): f"the deck's {name}" for name in _UNIQUE if name != "code"}
    variants, found = [], len(file.problems)
    for code, code_node, values, nodes in written:
        own = {"code": code, **values, "slug": values.get("slug") or f"{deck['slug']}-{code}"}
        for name in _UNIQUE:
            if name not in own:
                continue
            mine = f"the {name} of edition '{code}'"
            owner = taken.setdefault((_UNIQUE[name], _alike(own[name])), mine)
            if owner != mine:
                where = f"edition '{code}', field '{name}'" if name in nodes else f"edition '{code}'"
                hint = ("choose another whole number from 1 to 2^63-1, once" if name.endswith("_id") else
                        "write another (Anki, and some file systems, take names alike whatever their case)")
                file.report(nodes.get(name, code_node), (
                    f"deck manifest, field 'variants', {where}: expected {_UNIQUE[name]} of its own, found "
                    f"'{clip(str(own[name]))}', which is {owner}; {hint}"))
                if name == "code":
                    break  # its slug, made of the code, is the same: one problem
        variants.append(Variant(code, **values))
    return None if len(file.problems) > found else tuple(variants)


def _alike(value: object) -> object:
    """A name as Anki and case-blind file systems compare it."""
    return value.casefold() if isinstance(value, str) else value


# What each edition must have of its own, and what it is called in messages (the ids share one kind).
_UNIQUE = {"code": "an edition code", "name": "a name", "slug": "a slug", "note_type": "a note type name",
           "deck_id": "an id", "model_id": "an id"}


def _reading(file: FileChecker, source_dir: Path) -> list[Entry]:
    root = file.source.root
    if root is None:
        file.problems.append(Problem(file.source.name, 1, 1, (
            "the file is empty; expected a mapping with 'entries:', or delete the file")))
        return []
    checked = file.mapping(root, FILE_KEYS, "file")
    if checked is None or "entries" not in checked[0]:
        return []
    values = checked[0]
    overrides = _overrides(values)  # the file's texts as written for other editions (source@zh-CN)
    from_file = FromFile(values.get("source", ""), values.get("deck", ""), values.get("tags", ()), overrides)
    entries = []
    for index, node in enumerate(values["entries"], start=1):
        entry = _entry(file, node, index, from_file, source_dir)
        if entry is not None:
            entries.append(entry)
    return entries


class FromFile(NamedTuple):
    """What a reading file gives each of its entries."""

    source: str
    deck: str
    tags: tuple[str, ...]
    overrides: tuple[tuple[str, str, str], ...]  # (edition, key, text) for source@zh-CN, deck@zh-CN


def _entry(file: FileChecker, node: Node, index: int, from_file: FromFile, source_dir: Path) -> Entry | None:
    what = f"entry {index}"
    if isinstance(node, Mapping):
        term = next((v.value for k, v in node.pairs if k.value == "term" and isinstance(v, Scalar)), "")
        if term.strip():
            what = f"entry '{clip(unicodedata.normalize('NFC', term.strip()))}'"
    found = len(file.problems)
    checked = file.mapping(node, ENTRY_KEYS, what)
    if checked is None or len(file.problems) > found or (
            file.unknown_keys and file.unknown_keys.intersection(key for key, _ in node.pairs)):
        return None  # the rules below read good fields only
    fields, nodes = checked
    overrides = (*from_file.overrides, *_overrides(fields))
    draft = Draft(fields, nodes, node, source_dir)
    for rule in ENTRY_RULES:
        for name, at, message in rule(draft):
            file.report(at, f"{what}, field '{name}': {message}" if name else f"{what}: {message}")
    if len(file.problems) > found:
        return None
    fields["tags"] = tuple(dict.fromkeys((*from_file.tags, *fields.get("tags", ()))))
    return Entry(**fields, source=from_file.source, deck=from_file.deck, overrides=overrides,
                 where=file.where(node))


def _overrides(values: dict[str, object]) -> tuple[tuple[str, str, str], ...]:
    """Take the texts written for one edition (`gloss@zh-CN`) out of `values`: (edition, key, text) each."""
    return tuple((edition, key, values.pop(name)) for name in [name for name in values if "@" in name]
                 for key, _, edition in [name.partition("@")])


class Draft(NamedTuple):
    """An entry whose fields each passed their key's check, before the rules that tie them together."""

    fields: dict[str, object]  # the values, by key name
    nodes: dict[str, Node]  # where each was written
    node: Node  # the entry's mapping
    source_dir: Path


Broken = tuple[str | None, Node, str]  # the field, or None for the entry as a whole; where; what is wrong
_NOUN_ONLY = ("gender", "number", "aspirated_h")


def says(json_schema: dict):
    """Give an entry rule the JSON Schema that says what it checks, or as much as JSON Schema can (json_schema.py)."""
    def mark(rule):
        rule.json_schema = json_schema
        return rule
    return mark


@says({"if": {"properties": {"pos": {"const": "noun"}}, "required": ["pos"]}, "then": {"required": ["gender"]}})
def noun_needs_gender(draft: Draft) -> Iterator[Broken]:
    """Report a noun without a gender."""
    if draft.fields["pos"] == "noun" and "gender" not in draft.fields:
        yield None, draft.node, f"missing field 'gender' (a noun needs one): expected {_GENDER.expected}"


@says({"if": {"properties": {"pos": {"not": {"const": "noun"}}}, "required": ["pos"]},
       "then": {"properties": dict.fromkeys(_NOUN_ONLY, False)}})  # editors say "Property gender is not allowed."
def noun_only_fields(draft: Draft) -> Iterator[Broken]:
    """Report the fields only nouns take on an entry that is not a noun."""
    pos = draft.fields["pos"]
    if pos != "noun":
        for name in _NOUN_ONLY:
            if name in draft.fields:
                yield name, draft.nodes[name], (
                    f"only nouns take it, found pos '{pos}'; remove the field or set pos: noun")


@says({"if": {"required": ["aspirated_h"]}, "then": {"properties": {"term": {
    "pattern": "^[hH]", "patternErrorMessage": "aspirated_h is only for a term starting with h"}}}})
def aspirated_h_needs_h(draft: Draft) -> Iterator[Broken]:
    """Report `aspirated_h` on a term that does not start with h."""
    term = draft.fields["term"]
    if "aspirated_h" in draft.fields and not term.lower().startswith("h"):
        yield "aspirated_h", draft.nodes["aspirated_h"], f"only for a term starting with h, found '{term}'"


@says({"dependencies": {"form": ["example"]}})  # that the example contains the form, only the build checks
def form_in_example(draft: Draft) -> Iterator[Broken]:
    """Report a `form` that the example does not contain, or that has no example."""
    fields = draft.fields
    if "form" not in fields:
        return
    if "example" not in fields:
        yield "form", draft.nodes["form"], "needs an example to stand in; add 'example'"
    elif french.find_in_example(fields["example"], fields["form"]) is None:
        yield "form", draft.nodes["form"], (
            f"expected words of the example, found '{fields['form']}', which the example does not contain")


def media_exist(draft: Draft) -> Iterator[Broken]:
    """Report a media path that leaves source/media/, names a file of another kind, or no file."""
    for key in _MEDIA_KEYS:
        if key.name not in draft.fields:
            continue
        value, source_dir = draft.fields[key.name], draft.source_dir
        media_dir = (source_dir / MEDIA_DIR).resolve()
        path = (media_dir / value).resolve()
        try:
            if not path.is_relative_to(media_dir):
                raise Invalid(f"a path inside {source_dir.name}/{MEDIA_DIR}/", f"'{value}', which leaves it")
            if ".." in PurePosixPath(value).parts:  # old/../x.jpg: only there if old/ is
                raise Invalid(f"a path inside {source_dir.name}/{MEDIA_DIR}/ that does not go up", f"'{value}'",
                              "write the path without '..'")
            key.type.check_kind(value, path)
            if media_file(source_dir, value) is None:
                raise Invalid(f"a file at {source_dir.name}/{MEDIA_DIR}/{value}", "none",
                              "check the name, or add the file")
        except Invalid as problem:
            yield key.name, draft.nodes[key.name], str(problem)


# Checked in this order on each entry whose fields are each good; every one reports.
ENTRY_RULES = (noun_needs_gender, noun_only_fields, aspirated_h_needs_h, form_in_example, media_exist)

_GENDER = ENTRY_KEYS.by_name["gender"].type
_MEDIA_KEYS = tuple(key for key in ENTRY_KEYS if isinstance(key.type, MediaPath))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:].rstrip(".")


def default_slug(name: str) -> str:
    """Return the file-name stem a deck gets from its name when deck.yaml gives no `slug`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def with_ids(kind: NoteType, rows: list[tuple]) -> tuple[NoteType, list[Problem]]:
    """Give the note type the Anki ids that files brought in by `import` name; a problem where two files differ."""
    given: dict[tuple[str, str], tuple] = {}
    problems = []
    for row in rows:
        path, group, name, anki_id, line, column = row
        earlier = given.setdefault((group, name), row)
        if earlier[3] != anki_id:
            problems.append(Problem(path, line, column, (
                f"file, field 'note_type_ids': {name} takes the id {earlier[3]} in {earlier[0]} and {anki_id} here; "
                "our note type can replace one hand-made note type only: keep the ids of the one learners had")))
    if not given:
        return kind, problems
    ids = {group: tuple((name, row[3]) for (kind_of, name), row in sorted(given.items()) if kind_of == group)
           for group in ("fields", "card_types")}
    return replace(kind, field_ids=ids["fields"], card_type_ids=ids["card_types"]), problems
