"""The one schema of the source: every key a person may write, its type and its meaning.

`deck.yaml` is described by MANIFEST_KEYS, every other source file by FILE_KEYS, each item
of its `entries:` list by ENTRY_KEYS (which `Entry` is made from), `labels:` by LABEL_KEYS.
Each key's type (keys.py) checks its own values, as mkdocs' config options do; validate.py
walks the files and ties fields together. The tests check the README's source-format table against these.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from .formats import SEMVER_PATTERN, Version, identity
from .keys import (  # noqa: F401  (ANKI_ID_MAX, EDITION_PATTERN, TAG_PATTERN: declared with the key types)
    ANKI_ID_MAX,
    EDITION_PATTERN,
    TAG_PATTERN,
    AnkiId,
    Choice,
    Count,
    DeckName,
    Entries,
    Flag,
    Key,
    Keys,
    Labels,
    LabelText,
    MediaPath,
    Section,
    SignedAnkiId,
    Steps,
    Tags,
    Text,
    Variants,
)

# Abbreviations printed on the cards, as French dictionaries (and the seed) write them.
PARTS_OF_SPEECH = MappingProxyType({
    "noun": "n.", "verb": "v.", "transitive-verb": "v.t.", "intransitive-verb": "v.i.", "pronominal-verb": "v.pr.",
    "adjective": "adj.", "adverb": "adv.", "pronoun": "pron.", "preposition": "prép.", "conjunction": "conj.",
    "interjection": "interj.", "determiner": "dét.", "phrase": "loc.",
})
GENDERS = MappingProxyType({"m": "m.", "f": "f.", "mf": "m. et f."})
# What teachers write for a part of speech or a gender, in French, English or Chinese, and the choice it
# means: the build's "did you mean" says it, and `import` reads spreadsheets' and old decks' columns so.
POS_WORDS = MappingProxyType({
    "n": "noun", "nom": "noun", "noun": "noun", "v": "verb", "verbe": "verb", "verb": "verb", "vt": "transitive-verb",
    "v.t": "transitive-verb", "vi": "intransitive-verb", "v.i": "intransitive-verb", "v.pr": "pronominal-verb",
    "adj": "adjective", "adjectif": "adjective", "adv": "adverb", "adverbe": "adverb", "prep": "preposition",
    "prép": "preposition", "conj": "conjunction", "interj": "interjection", "pron": "pronoun", "pronom": "pronoun",
    "dét": "determiner", "loc": "phrase", "locution": "phrase", "expr": "phrase", "expression": "phrase",
    "名詞": "noun", "動詞": "verb", "形容詞": "adjective", "副詞": "adverb"})
GENDER_WORDS = MappingProxyType({
    "m": "m", "f": "f", "mf": "mf", "m.f": "mf", "m et f": "mf", "masculin": "m", "féminin": "f", "masculine": "m",
    "feminine": "f", "陽性": "m", "陰性": "f"})
NUMBERS = ("plural",)
CHINESE_SCRIPTS = ("traditional", "simplified")  # the scripts a deck's Chinese is written in (chinese.py)

# Words shown on the cards, in the learner's language; `labels:` in deck.yaml overrides them.
DEFAULT_LABELS = MappingProxyType({
    "masculine": "陽性",
    "feminine": "陰性",
    "both_genders": "陰陽同形",
    "plural": "複數",
    "meaning": "詞義",
    "etymology": "詞源",
    "example": "例句",
    "notes": "附註",
    "source": "出處",
    "gender_question": "陽性還是陰性？",
    "production_question": "法語怎麼說？",
    "context_question": "填入空格",
    "version": "版本",
    "updates": "新版本發布在本牌組的發布頁面；下載後直接匯入，已有的卡片與複習紀錄都會保留。",
    "credits": "發音：Lexique 3.82（B. New、C. Pallier 等，lexique.org），CC BY-SA 4.0；詞形變化：DELA（LADL／"
               "Université Gustave Eiffel），LGPLLR；語音：eSpeak NG。",
})


class Location(NamedTuple):
    """Where something was written: a file, a line and a column, counted from 1."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"



LABEL_KEYS = Keys(Key(name, LabelText(), f"label for {name}") for name in DEFAULT_LABELS)

# The study options a deck may ship as its preset: how a teacher means it to be studied.
OPTION_KEYS = Keys((
    Key("new_per_day", Count(0, 9999), "New cards a day (Anki's default: 20)."),
    Key("reviews_per_day", Count(0, 9999), "Reviews a day at most (Anki's default: 200)."),
    Key("learning_steps", Steps(), "Steps of a new card, as Anki writes them: `1m 10m 1d` (Anki's default: `1m 10m`)."),
    Key("bury_siblings", Flag(), "`true`: a note's other cards wait for the next day, so a word is tested once a day."),
))


# The keys of one edition under `variants:` in deck.yaml: what may differ from the deck as written.
VARIANT_KEYS = Keys((
    Key("name", DeckName(), "Anki deck name of this edition; not the deck's.", required=True),
    Key("deck_id", AnkiId(), "Fixed Anki deck id of this edition, chosen once; not the deck's.",
        required=True),
    Key("model_id", AnkiId(), "Fixed Anki note-type id of this edition, chosen once; not the deck's.",
        required=True),
    Key("chinese", Choice(CHINESE_SCRIPTS),
        "`simplified`: Chinese text converted from Traditional (Taiwan) to Simplified with mainland phrases; "
        "`traditional` (default): as written.",
        default="traditional"),
    Key("slug", Text(max_length=80, pattern=r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*"),
        "File-name stem of its package (default: the deck's slug, then the edition, as `lexique-zh-CN`)."),
    Key("note_type", Text(), "Name of its note type (default: the deck's, converted, then the edition)."),
    Key("description", Text(max_length=4000), "Shown in Anki under its name (default: the deck's, converted)."),
    Key("labels", Labels(LABEL_KEYS, {}), "Its card labels, as written (default: the deck's, converted)."),
))

MANIFEST_KEYS = Keys((
    Key("name", DeckName(), "Anki deck name; `::` makes subdecks. Renaming it makes a new deck on import.",
        required=True),
    Key("version", Text(max_length=40, pattern=SEMVER_PATTERN, expected="a version such as 1.0.0"),
        "Semantic version of the deck (MAJOR.MINOR.PATCH), kept here only.", required=True),
    Key("description", Text(max_length=4000), "Shown in Anki under the deck name."),
    Key("deck_id", AnkiId(), "Fixed Anki deck id, chosen once.", required=True),
    Key("model_id", AnkiId(), "Fixed Anki note-type id, chosen once.", required=True),
    Key("slug", Text(max_length=80, pattern=r"[a-z0-9]+(-[a-z0-9]+)*"),
        "File-name stem of the package (default: from `name`)."),
    Key("note_type", Text(), "Name of the note type in Anki (default: `<name> vocabulary`)."),
    Key("labels", Labels(LABEL_KEYS, DEFAULT_LABELS),
        "Card labels in the learner's language, overriding the defaults."),
    Key("audio", Flag(), "`true`: record terms and examples with espeak-ng at build time, not Anki's voices.",
        default=False),
    Key("updates_url", Text(max_length=500, pattern="https?://[^\\s<>\"']+",
                            expected="a web address such as https://example.org/deck/releases"),
        "Where new versions are published; shown as a link in the deck's description."),
    Key("chinese", Choice(CHINESE_SCRIPTS),
        "The script of the deck's Chinese, `traditional` or `simplified`; the build warns of the other's characters.",
        default="traditional"),
    Key("options", Section(OPTION_KEYS),
        "Study options shipped as the deck's preset (new cards a day, …); see Study options below."),
    Key("variants", Variants(EDITION_PATTERN, VARIANT_KEYS),
        "Other editions built from the same sources, by language tag (`zh-CN:`); see Editions."),
))


def _ids_of(names_in_render: str) -> Callable[[], Keys]:
    """The keys of a mapping of our field or card-type names to Anki ids (render.py names them)."""
    def keys() -> Keys:
        from . import render

        return Keys(Key(name, SignedAnkiId(), f"the id of {name}") for name in getattr(render, names_in_render))
    return keys


NOTE_TYPE_ID_KEYS = Keys((
    Key("replaces", Text(), "The name of the hand-made note type learners had.", required=True),
    Key("fields", Section(_ids_of("FIELDS")), "Our fields, each with the id of the hand-made field it replaces."),
    Key("card_types", Section(_ids_of("CARD_TYPES")),
        "Our card types, each with the id of the hand-made card type whose reviews it keeps."),
))


FILE_KEYS = Keys((
    Key("entries", Entries(), "The vocabulary entries of this reading or lesson.", required=True),
    Key("source", Text(max_length=1000), "Citation of the text the words come from; shown on every card.",
        per_edition=True),
    Key("tags", Tags(), "Anki tags given to every entry of the file."),
    Key("deck", DeckName(), "A lesson: the file's cards go into the subdeck `<deck name>::<deck>`.",
        per_edition=True),
    Key("note_type_ids", Section(NOTE_TYPE_ID_KEYS),
        "Written by `import`: Anki's ids of the hand-made note type the entries had, so learners keep their reviews."),
))

ENTRY_KEYS = Keys((
    Key("term", Text(max_length=120), "The French word or expression, without article.", required=True),
    Key("pos", Choice(PARTS_OF_SPEECH, POS_WORDS), "Part of speech.", required=True),
    Key("gender", Choice(GENDERS, GENDER_WORDS), "Gender of a noun: `m`, `f`, or `mf` for both; nouns only, required."),
    Key("number", Choice(NUMBERS), "`plural` for a noun used only in the plural (fiançailles)."),
    Key("gloss", Text(max_length=500), "The meaning, in the learner's language.", required=True,
        per_edition=True),
    Key("etymology", Text(max_length=2000), "Where the word comes from.", per_edition=True),
    Key("example", Text(max_length=1000), "A French sentence or phrase using the term."),
    Key("example_gloss", Text(max_length=1000), "Translation of the example.", per_edition=True),
    Key("form", Text(max_length=120), "The term's form as it stands in the example, if inflected (épargnée)."),
    Key("notes", Text(max_length=2000), "Anything else: usage, collocations, register.",
        per_edition=True),
    Key("image", MediaPath((".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg")),
        "A picture, as a path under `source/media/`."),
    Key("audio", MediaPath((".mp3", ".ogg", ".oga", ".opus", ".wav", ".m4a", ".flac")),
        "A recording of the term, as a path under `source/media/`; replaces speech synthesis."),
    Key("aspirated_h", Flag(), "`true` or `false`: overrides the shipped list of words with aspirated h."),
    Key("tags", Tags(), "Anki tags for this entry, added to the file's tags."),
    Key("ipa", Text(max_length=200, pattern=r"[^/\[\]]+", expected="IPA without slashes or brackets, such as "
                                                                  "kɔkəlyʃ"),
        "The pronunciation in IPA, without slashes, where the dictionary's is missing or wrong."),
    Key("say", Text(max_length=200),
        "What the voice says for the term (default: a noun with its article, a pattern without `+ infinitif`)."),
    Key("feminine", Text(max_length=120), "The feminine of an adjective, where the dictionary's is missing or wrong."),
    Key("plural", Text(max_length=120),
        "The plural of a noun or adjective, where the dictionary's is missing or wrong."),
    Key("id", Text(max_length=160),
        "Pins the note's identity (by default: term and pos); keeps history when either is corrected."),
    Key("guid", Text(max_length=100, pattern=r'[^\s"\\]+', expected="an Anki GUID, without spaces or quotes"),
        "Written by `import`: the Anki GUID of the note the entry came from, which the note keeps."),
))


@dataclass(frozen=True)
class Variant:
    """Another edition of the deck, declared under `variants:` in deck.yaml (editions.py builds it)."""

    code: str  # its language tag, as `variants:` names it: zh-CN
    name: str
    deck_id: int
    model_id: int
    chinese: str = "traditional"
    slug: str = ""
    note_type: str = ""
    description: str | None = None  # None: the deck's, converted
    labels: dict[str, str] = field(default_factory=dict)  # only those written


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
    updates_url: str = ""
    chinese: str = "traditional"
    labels: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    options: dict[str, object] | None = None  # written: the deck ships a preset
    variants: tuple[Variant, ...] = ()  # the other editions; none in an edition's own manifest
    edition: str = ""  # the edition this manifest describes: "" for the deck as written, else its code

    @property
    def editions(self) -> tuple[str, ...]:
        """The codes of the editions declared under `variants:`."""
        return tuple(variant.code for variant in self.variants)

    @property
    def major(self) -> int:
        return Version.parse(self.version).major


# Fields with defaults come last in a named tuple: the required keys (term, pos, gloss), the others as
# declared, then what the file gives (its source and lesson), the entry's texts for other editions
# ((edition, key, text), from `gloss@zh-CN:`) and where the entry was written. The cache stores entries
# as plain tuples in this order.
_OPTIONAL_ENTRY_KEYS = [key for key in ENTRY_KEYS if not key.required]
_EntryFields = namedtuple(
    "Entry",
    [key.name for key in ENTRY_KEYS.required] + [key.name for key in _OPTIONAL_ENTRY_KEYS]
    + ["source", "deck", "overrides", "where"],
    defaults=[key.default for key in _OPTIONAL_ENTRY_KEYS] + ["", "", (), Location("", 0, 0)],
)


class Entry(_EntryFields):
    """One vocabulary entry, validated and NFC-normalised; becomes one Anki note.

    A named tuple rather than a frozen dataclass, as immutable, because a big deck has
    50,000 of them to restore from the cache on each rebuild: 10x faster to construct.
    """

    __slots__ = ()

    @property
    def identity(self) -> str:
        """What makes this entry the same note across builds: its id, else its term and pos."""
        return identity(self.term, self.pos, self.id)

    @property
    def is_noun(self) -> bool:
        return self.pos == "noun"
