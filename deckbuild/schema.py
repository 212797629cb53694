"""The one schema of the source: every key a person may write, its rule and its meaning.

`deck.yaml` is described by MANIFEST_KEYS, every other source file by FILE_KEYS, and
each item of its `entries:` list by ENTRY_KEYS. Validation (validate.py) applies these
rules; the README's source-format table is checked against them by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

# Abbreviations printed on the cards, as French dictionaries (and the seed) write them.
PARTS_OF_SPEECH = MappingProxyType(
    {
        "noun": "n.",
        "verb": "v.",
        "transitive-verb": "v.t.",
        "intransitive-verb": "v.i.",
        "pronominal-verb": "v.pr.",
        "adjective": "adj.",
        "adverb": "adv.",
        "pronoun": "pron.",
        "preposition": "prép.",
        "conjunction": "conj.",
        "interjection": "interj.",
        "determiner": "dét.",
        "phrase": "loc.",
    }
)
GENDERS = MappingProxyType({"m": "m.", "f": "f.", "mf": "m. et f."})
NUMBERS = ("plural",)

# Words shown on the cards, in the learner's language; `labels:` in deck.yaml overrides them.
DEFAULT_LABELS = MappingProxyType(
    {
        "masculine": "陽性",
        "feminine": "陰性",
        "both_genders": "陰陽同形",
        "plural": "複數",
        "meaning": "詞義",
        "etymology": "詞源",
        "example": "例句",
        "notes": "附註",
        "source": "出處",
        "gender_question": "陽性還是陰性?",
        "production_question": "法語怎麼說?",
        "context_question": "填入空格",
        "version": "版本",
        "updates": "新版本發布在本牌組的發布頁面;下載後直接匯入,已有的卡片與複習紀錄都會保留。",
    }
)

SEMVER_PATTERN = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
ANKI_ID_MAX = 2**63 - 1


@dataclass(frozen=True)
class Key:
    """One key of a source mapping: how it is checked, and one line saying what it means."""

    name: str
    kind: str  # text, choice, flag, integer, tags, labels, entries
    doc: str
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int = 200
    pattern: str = ""


MANIFEST_KEYS = (
    Key("name", "text", "Anki deck name; `::` makes subdecks. Renaming it makes a new deck on import.",
        required=True, max_length=200),
    Key("version", "text", "Semantic version of the deck (MAJOR.MINOR.PATCH), kept here only.",
        required=True, pattern=SEMVER_PATTERN, max_length=40),
    Key("description", "text", "Shown in Anki under the deck name.", max_length=4000),
    Key("deck_id", "integer", "Fixed Anki deck id, chosen once.", required=True),
    Key("model_id", "integer", "Fixed Anki note-type id, chosen once.", required=True),
    Key("slug", "text", "File-name stem of the package (default: from `name`).",
        pattern=r"[a-z0-9]+(-[a-z0-9]+)*", max_length=80),
    Key("note_type", "text", "Name of the note type in Anki (default: `<name> vocabulary`).",
        max_length=200),
    Key("labels", "labels", "Card labels in the learner's language, overriding the defaults."),
    Key("audio", "flag", "`true`: record terms and examples with espeak-ng at build time, not Anki's voices."),
)

FILE_KEYS = (
    Key("entries", "entries", "The vocabulary entries of this reading or lesson.", required=True),
    Key("source", "text", "Citation of the text the words come from; shown on every card.",
        max_length=1000),
    Key("tags", "tags", "Anki tags given to every entry of the file."),
)

ENTRY_KEYS = (
    Key("term", "text", "The French word or expression, without article.", required=True,
        max_length=120),
    Key("pos", "choice", "Part of speech.", required=True, choices=tuple(PARTS_OF_SPEECH)),
    Key("gender", "choice", "Gender of a noun: `m`, `f`, or `mf` for both; nouns only, required.",
        choices=tuple(GENDERS)),
    Key("number", "choice", "`plural` for a noun used only in the plural (fiançailles).",
        choices=NUMBERS),
    Key("gloss", "text", "The meaning, in the learner's language.", required=True, max_length=500),
    Key("etymology", "text", "Where the word comes from.", max_length=2000),
    Key("example", "text", "A French sentence or phrase using the term.", max_length=1000),
    Key("example_gloss", "text", "Translation of the example.", max_length=1000),
    Key("form", "text", "The term's form as it stands in the example, if inflected (épargnée).",
        max_length=120),
    Key("notes", "text", "Anything else: usage, collocations, register.", max_length=2000),
    Key("image", "text", "A picture, as a path under `source/media/`.", max_length=200),
    Key("audio", "text", "A recording of the term, as a path under `source/media/`; replaces speech synthesis.",
        max_length=200),
    Key("aspirated_h", "flag", "`true` or `false`: overrides the shipped list of words with aspirated h.",
        ),
    Key("tags", "tags", "Anki tags for this entry, added to the file's tags."),
    Key("id", "text", "Pins the note's identity (by default: term and pos); keeps history when either is corrected.",
        max_length=160),
)

TAG_PATTERN = r"[^\s\"\x00-\x1f\x7f-\x9f]+"


class Location(NamedTuple):
    """Where something was written: a file, a line and a column, counted from 1."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Manifest:
    """The deck as a whole, from `source/deck.yaml`."""

    name: str
    version: str
    deck_id: int
    model_id: int
    description: str = ""
    slug: str = ""
    note_type: str = ""
    audio: bool = False
    labels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LABELS))

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])


class Entry(NamedTuple):
    """One vocabulary entry, validated and NFC-normalised; becomes one Anki note.

    A named tuple rather than a frozen dataclass, as immutable, because a big deck has
    50,000 of them to restore from the cache on each rebuild: 10x faster to construct.
    """

    term: str
    pos: str
    gloss: str
    gender: str = ""
    number: str = ""
    etymology: str = ""
    example: str = ""
    example_gloss: str = ""
    form: str = ""
    notes: str = ""
    image: str = ""
    audio: str = ""
    aspirated_h: bool | None = None
    tags: tuple[str, ...] = ()
    id: str = ""
    source: str = ""
    where: Location = Location("", 0, 0)

    @property
    def identity(self) -> str:
        """What makes this entry the same note across builds: its id, else `term|pos`."""
        return self.id or f"{self.term}|{self.pos}"

    @property
    def is_noun(self) -> bool:
        return self.pos == "noun"
