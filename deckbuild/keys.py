"""The types of the schema's keys: each checks its own values, as mkdocs' config options do.

A key (Key) has a name, a type, whether it must be written and one line of doc; schema.py
declares every key with these, and validate.py walks the files with them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from .errors import clip
from .load import Mapping, Node, Scalar, Sequence

TAG_PATTERN = r'[^\s"\x00-\x1f\x7f-\x9f]+'  # in the regular expressions of Python and of JSON Schema alike
EDITION_PATTERN = r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})+"  # a language tag with a region or script: zh-CN, zh-Hans
ANKI_ID_MAX = 2**63 - 1
_TAG = re.compile(TAG_PATTERN)
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but the line break; \x1f would split a note


class Invalid(ValueError):
    """A value a key type refuses: what was expected, what was found, and how to fix it."""

    def __init__(self, expected: str, found: str, hint: str = ""):
        super().__init__(f"expected {expected}, found {found}" + (f"; {hint}" if hint else ""))


class Checker(Protocol):
    """The checker of one file (validate.py), which key types report to and walk mappings with."""

    def report(self, node: Node, message: str) -> None: ...

    def mapping(self, node: Node, keys: Keys, what: str) -> tuple[dict[str, object], dict[str, Node]] | None: ...


EMPTY = object()  # what a blank scalar comes to: the mapping decides whether its key may be left blank


class KeyType:
    """How the value of a key is written; each subclass checks its own, and describes it as JSON Schema."""

    expected = "text"  # a good value, as messages name it
    default: object = ""  # the value when the key is not written

    def check(self, node: Node, what: str, checker: Checker) -> object:
        """Return the value at `node`; report to `checker` and return None when it is wrong."""
        raise NotImplementedError

    def json_schema(self, required: bool) -> dict:
        """Describe the good values as JSON Schema (draft-07), as an editor's YAML 1.2 reader sees them."""
        raise NotImplementedError


class ScalarType(KeyType):
    """A value written as one piece of text, NFC-normalised and stripped, then converted."""

    def check(self, node: Node, what: str, checker: Checker) -> object:
        """Return the value at `node`, or EMPTY; report to `checker` and return None when it is wrong."""
        if not isinstance(node, Scalar):
            checker.report(node, f"{what}: expected {self.expected}, found {describe(node)}")
            return None
        text = "" if node.is_null else unicodedata.normalize("NFC", node.value).strip()
        if not text:
            return EMPTY
        try:
            if control := _CONTROL.search(text):
                raise Invalid("text", f"the control character U+{ord(control.group()):04X} in it "
                                      "(an invisible character, often pasted by accident)", "remove it")
            return self.convert(text, node)
        except Invalid as problem:
            checker.report(node, f"{what}: {problem}")
            return None

    def convert(self, text: str, node: Scalar) -> object:
        """Return the value `text` stands for; raise Invalid when it breaks the rule."""
        return text

    # How YAML 1.2 types a good value: the build reads `2025` as text, an editor as a number.
    json_types: tuple[str, ...] = ("string", "number")

    def json_schema(self, required: bool) -> dict:
        return {"type": json_type(self.json_types, required)}


class Text(ScalarType):
    """Text of at most `max_length` characters, matching `pattern` when one is given."""

    def __init__(self, max_length: int = 200, pattern: str = "", expected: str = ""):
        self.max_length = max_length
        self.pattern = re.compile(pattern) if pattern else None
        self.expected = expected or (f"text matching {pattern}" if pattern else "text")

    def json_schema(self, required: bool) -> dict:
        if self.pattern is None:
            blank = {"pattern": r"\S"} if required else {}  # blank is as good as not written
            return super().json_schema(required) | {"maxLength": self.max_length} | blank
        return {"type": json_type(("string",), required), "maxLength": self.max_length,  # a pattern's is text
                "pattern": f"^(?:{self.pattern.pattern})$", "patternErrorMessage": f"expected {self.expected}"}

    def convert(self, text: str, node: Scalar) -> str:
        if len(text) > self.max_length:
            raise Invalid(f"at most {self.max_length} characters", str(len(text)),
                          "shorten it or move detail to notes")
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise Invalid(self.expected, f"'{clip(text)}'")
        return text


class LabelText(Text):
    """Text put on a card as it is, so without `{{` or `}}`, which Anki would read as a field."""

    def convert(self, text: str, node: Scalar) -> str:
        text = super().convert(text, node)
        if "{{" in text or "}}" in text:
            raise Invalid("plain text", "'{{' or '}}' in it", "remove the braces")
        return text

    def json_schema(self, required: bool) -> dict:
        return super().json_schema(required) | {
            "pattern": r"^(?![\s\S]*(?:\{\{|\}\}))", "patternErrorMessage": "expected plain text, without '{{' or '}}'"}


class DeckName(Text):
    """An Anki deck name, whose `::` makes subdecks: so no `::` level may be blank."""

    def __init__(self):
        super().__init__(expected="a deck name whose '::' levels each have a name")

    def convert(self, text: str, node: Scalar) -> str:
        text = super().convert(text, node)
        if any(not level.strip() for level in text.split("::")):
            raise Invalid(self.expected, f"'{clip(text)}'", "remove the empty level")
        return "::".join(level.strip() for level in text.split("::"))


class Count(ScalarType):
    """A whole number from `least` to `most`, not quoted."""

    default = None

    def __init__(self, least: int, most: int):
        self.least, self.most = least, most
        self.expected = f"a whole number from {least} to {most}"

    def json_schema(self, required: bool) -> dict:
        return {"type": json_type(("integer",), required), "minimum": self.least, "maximum": self.most}

    def convert(self, text: str, node: Scalar) -> int:
        if not node.is_integer or not text.isdigit() or not self.least <= int(text) <= self.most:
            raise Invalid(self.expected, f"'{clip(text)}'")
        return int(text)


class Steps(ScalarType):
    """Learning steps as Anki's deck options write them (`1m 10m 1h 1d`), as minutes."""

    expected = "steps such as '1m 10m 1d' (s, m, h or d after each number, up to 9999d)"
    default = None
    _STEP = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
    _MINUTES = MappingProxyType({"s": 1 / 60, "m": 1, "h": 60, "d": 1440})
    _LONGEST = 9999 * 1440

    def json_schema(self, required: bool) -> dict:
        step = self._STEP.pattern
        return {"type": json_type(("string",), required), "pattern": rf"^\s*{step}(?:\s+{step}){{0,19}}\s*$",
                "patternErrorMessage": f"expected {self.expected}"}

    def convert(self, text: str, node: Scalar) -> tuple[float, ...]:
        steps = [self._STEP.fullmatch(step) for step in text.split()]
        minutes = [float(step[1]) * self._MINUTES[step[2]] for step in steps if step]
        if len(minutes) != len(steps) or len(steps) > 20 or not all(0 < step <= self._LONGEST for step in minutes):
            raise Invalid(self.expected, f"'{clip(text)}'")  # Anki drops every step if one is out of its range
        return tuple(minutes)


class MediaPath(Text):
    """A path under source/media/ to a file ending in one of `suffixes` (validate.py looks for it)."""

    def __init__(self, suffixes: tuple[str, ...], max_length: int = 200):
        super().__init__(max_length)
        self.suffixes = suffixes

    def json_schema(self, required: bool) -> dict:
        # The suffix in either case, as check_kind compares it: .jpg is [jJ][pP][gG].
        suffixes = "|".join(re.escape(suffix[1:]) for suffix in self.suffixes)
        either_case = re.sub(r"[a-z]", lambda letter: f"[{letter.group()}{letter.group().upper()}]", suffixes)
        return {"type": json_type(("string",), required), "maxLength": self.max_length,
                "pattern": rf"\.(?:{either_case})$",
                "patternErrorMessage": f"expected a file ending in {', '.join(self.suffixes)}"}

    def check_kind(self, value: str, path: Path) -> None:
        """Raise Invalid unless `path`, the file `value` names, ends in one of the suffixes."""
        if path.suffix.lower() not in self.suffixes:
            raise Invalid(f"a file ending in {', '.join(self.suffixes)}", f"'{value}'")


class Choice(ScalarType):
    """One of a fixed list of words."""

    def __init__(self, choices: Iterable[str], meant: AbcMapping[str, str] | None = None):
        self.choices = tuple(choices)
        self.meant = meant or {}  # what people write for a choice (nom: noun), for "did you mean"
        # Given as a mapping, each choice's abbreviation on the cards (noun: n.), which editors show beside it.
        self.shown = tuple(choices.values()) if isinstance(choices, AbcMapping) else ()
        *first, last = self.choices
        self.expected = f"{', '.join(first)} or {last}" if first else last

    def json_schema(self, required: bool) -> dict:
        # Without null, even for a key that may be left empty: editors would offer "null" beside the choices.
        schema: dict = {"enum": list(self.choices)}
        if self.shown:
            schema["enumDescriptions"] = [f"on the cards: {shown}" for shown in self.shown]
        return schema

    def convert(self, text: str, node: Scalar) -> str:
        if text not in self.choices:
            close = self.meant.get(text.lower().rstrip(".")) or closest(text, self.choices)
            raise Invalid(self.expected, f"'{clip(text)}'", f"did you mean '{close}'?" if close else "")
        return text


class Flag(ScalarType):
    """`true` or `false`; not written, None: something else decides."""

    expected = "true or false"
    default = None
    json_types = ("boolean",)

    def convert(self, text: str, node: Scalar) -> bool:
        if text.lower() not in ("true", "false"):  # spreadsheets write TRUE and FALSE
            raise Invalid(self.expected, f"'{clip(text)}'")
        return text.lower() == "true"


class AnkiId(ScalarType):
    """An id Anki keeps a deck or note type by: a whole number from 1 to 2^63-1, not quoted."""

    expected = "a whole number"
    default = None

    def json_schema(self, required: bool) -> dict:
        return {"type": "integer", "minimum": 1, "maximum": ANKI_ID_MAX}

    def convert(self, text: str, node: Scalar) -> int:
        if not node.is_integer or not text.isdigit() or not 0 < int(text) <= ANKI_ID_MAX:
            raise Invalid("a whole number between 1 and 2^63-1", f"'{clip(text)}'")
        return int(text)


class SignedAnkiId(ScalarType):
    """An id Anki gives a field or card type: a whole number from -2^63 to 2^63-1, not 0, not quoted."""

    expected = "a whole number"
    default = None

    def json_schema(self, required: bool) -> dict:
        return {"type": "integer", "minimum": -ANKI_ID_MAX - 1, "maximum": ANKI_ID_MAX, "not": {"const": 0}}

    def convert(self, text: str, node: Scalar) -> int:
        digits = text[1:] if text[:1] in "+-" else text
        if not node.is_integer or not digits.isdigit() or not -ANKI_ID_MAX - 1 <= int(text) <= ANKI_ID_MAX \
                or int(text) == 0:
            raise Invalid("a whole number between -2^63 and 2^63-1, not 0", f"'{clip(text)}'")
        return int(text)


class ListType(KeyType):
    """A value written as a list, whose items `items` checks."""

    default = ()

    def check(self, node: Node, what: str, checker: Checker) -> object:
        """Return the checked items of the list at `node`; report to `checker` when it is not a list."""
        if not isinstance(node, Sequence):
            checker.report(node, f"{what}: expected {self.expected}, found {describe(node)}")
            return None
        return self.items(node.items, what, checker)

    def items(self, items: list[Node], what: str, checker: Checker) -> object:
        """Return the items, unchecked: validate.py walks them."""
        return items

    def json_schema(self, required: bool) -> dict:
        return {"type": "array"}


class Entries(ListType):
    """The entries of a file, one mapping each, which validate.py checks by ENTRY_KEYS."""

    expected = "a list, one '- ' line per entry"

    def json_schema(self, required: bool) -> dict:
        """A list of entries, which json_schema.py defines, from ENTRY_KEYS and validate.py's rules."""
        return {"type": "array", "items": {"$ref": "#/definitions/entry"}}


class Tags(ListType):
    """Anki tags, each without spaces or quotes."""

    expected = "a list such as [tag1, tag2]"
    # A tag, none of whose '::' levels is empty: what `items` checks, as one regular expression.
    # "a::" and "a::::b" have an empty level; "a:::b" splits as "a" and ":b".
    json_pattern = rf"^(?!::)(?!.*::::)(?!(?:.*[^:])?::$){TAG_PATTERN}$"

    def json_schema(self, required: bool) -> dict:
        return {"type": "array", "items": {
            "type": ["string", "number"], "pattern": self.json_pattern,
            "patternErrorMessage": "expected a tag without spaces or quotes, whose '::' levels each have a name"}}

    def items(self, items: list[Node], what: str, checker: Checker) -> tuple[str, ...]:
        """Return the good tags, NFC-normalised; report each bad one to `checker`."""
        tags = []
        for item in items:
            if not (isinstance(item, Scalar) and _TAG.fullmatch(item.value)):
                checker.report(item, f"{what}: expected a tag without spaces or quotes, found {describe(item)}")
            elif "" in item.value.split("::"):  # Anki would rename it on import, so notes would seem changed
                checker.report(item, f"{what}: expected a tag whose '::' levels each have a name, found "
                                     f"{describe(item)}; remove the empty level")
            else:
                tags.append(unicodedata.normalize("NFC", item.value))
        return tuple(tags)


class Section(KeyType):
    """A mapping of its own `keys`, such as `options:`; `defaults` for those not written.

    `keys` may be given as a function, when they are declared after the key that holds them.
    """

    expected = "a mapping of 'key: value' lines"

    def __init__(self, keys, defaults=None):
        self._keys, self.default = keys, defaults

    @property
    def keys(self) -> Keys:
        if callable(self._keys):
            self._keys = self._keys()
        return self._keys

    def check(self, node: Node, what: str, checker: Checker) -> dict[str, object] | None:
        """Return the values written at `node`, checked by `checker`; None when it is not a mapping."""
        checked = checker.mapping(node, self.keys, what)
        return None if checked is None else checked[0]

    def json_schema(self, required: bool) -> dict:
        return self.keys.json_schema()


class Labels(Section):
    """A mapping of card labels, each key of `keys`; `defaults` for those not written."""


class Variants(KeyType):
    """The editions of a deck: a mapping of language tags (`pattern`) to mappings of `keys`."""

    expected = "a mapping of editions, such as 'zh-CN:'"
    default = ()

    def __init__(self, pattern: str, keys: Keys):
        self.pattern, self.keys = re.compile(pattern), keys

    def json_schema(self, required: bool) -> dict:
        return {"type": "object", "patternProperties": {f"^(?:{self.pattern.pattern})$": self.keys.json_schema()},
                "additionalProperties": False}

    def check(self, node: Node, what: str, checker: Checker) -> list[tuple[str, Node, dict, dict]] | None:
        """Return each edition written at `node`: its code, where, and its checked values and their nodes."""
        if not isinstance(node, Mapping):
            checker.report(node, f"{what}: expected {self.expected}, found {describe(node)}")
            return None
        editions = []
        for key_node, value_node in node.pairs:
            code = key_node.value
            if not self.pattern.fullmatch(code):
                checker.report(key_node, f"{what}: expected an edition named by its language tag, such as zh-CN, "
                                         f"found '{clip(code)}'")
                continue
            checked = checker.mapping(value_node, self.keys, f"{what}, edition '{code}'")
            if checked is not None and all(key.name in checked[0] for key in self.keys.required):
                editions.append((code, key_node, *checked))
        return editions


_UNSET = object()


@dataclass(frozen=True, eq=False, slots=True)
class Key:
    """One key of a source mapping: its type, whether it must be written, and one line saying what it means."""

    name: str
    type: KeyType
    doc: str
    required: bool = False
    default: object = field(default=_UNSET)  # by default, the type's
    per_edition: bool = False  # Chinese text: converted for each edition, or written for one as `gloss@zh-CN`

    def __post_init__(self) -> None:
        if self.default is _UNSET:
            object.__setattr__(self, "default", self.type.default)

    def json_schema(self) -> dict:
        """Describe this key as JSON Schema: its doc line (in Markdown too, for editors' hovers), its good values."""
        return {"description": self.doc, "markdownDescription": self.doc, **self.type.json_schema(self.required)}


class Keys(tuple):
    """The keys of one kind of mapping, in the order the README lists them, also found by name."""

    def __new__(cls, keys: Iterable[Key]) -> Keys:
        self = super().__new__(cls, keys)
        # Looked up for every key of 50,000 entries: made once here, not per mapping.
        self.by_name = {key.name: key for key in self}
        self.required = tuple(key for key in self if key.required)
        return self

    def json_schema(self) -> dict:
        """Describe a mapping of these keys as JSON Schema: each key, those required, and no other."""
        schema: dict = {"type": "object", "properties": {key.name: key.json_schema() for key in self}}
        if per_edition := [key for key in self if key.per_edition]:  # gloss@zh-CN: a text for one edition
            schema["patternProperties"] = {f"^{re.escape(key.name)}@(?:{EDITION_PATTERN})$": key.json_schema()
                                           for key in per_edition}
        if self.required:
            schema["required"] = [key.name for key in self.required]
        return schema | {"additionalProperties": False}


def json_type(types: tuple[str, ...], required: bool) -> str | list[str]:
    """The JSON Schema `type` of a scalar written as one of `types`; a key not required may be left empty (null)."""
    types = types if required else (*types, "null")
    return types[0] if len(types) == 1 else list(types)


def describe(node: Node) -> str:
    """Say what was found at `node`, as a message's `found …` does."""
    if isinstance(node, Sequence):
        return "a list"
    if isinstance(node, Mapping):
        return "a mapping"
    return "an empty value" if node.is_null or not node.value.strip() else f"'{clip(node.value)}'"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """Return the choice `word` was most likely meant to be, if one is close enough."""
    lowered = {choice.lower(): choice for choice in choices}  # field names are capitalised (Term)
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None
