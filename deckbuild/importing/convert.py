"""Turn exported notes into entries: which field is which key, HTML into the source's markup, media, pos and gender.

Fields are matched to entry keys by name (term, mot, français, front → term; gloss, 中文,
意思, back → gloss; …) unless `--map FIELD=KEY` says otherwise. Text fields take the source's
small markup (README, "Writing entries"): <b> and <i> become **bold** and *italic*, <br> and
blocks line breaks; every other tag goes, its text stays. A picture (<img src>) and a
recording ([sound:…]) become the entry's `image:` and `audio:`. A part of speech or a gender
that the note does not give is taken from an article written before the term (la fenêtre) or
from the French lexicon where it has only one (soleil: a noun, masculine).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import MappingProxyType

from ..errors import BuildError, clip
from ..french_data import FrenchLexicon
from ..keys import closest
from ..render import CARD_TYPES, FIELDS
from ..schema import ENTRY_KEYS, GENDER_WORDS, GENDERS, PARTS_OF_SPEECH, POS_WORDS
from .read import Export, ExportedNote, NoteKind

# Field names (lowercased, without accents) that say which key a field holds, beside the keys' own names.
KEY_NAMES = {
    "term": ("term", "mot", "francais", "french", "front", "word", "recto", "vocabulaire", "vocabulary", "法文",
             "法語", "單字", "單詞", "字詞", "expression", "terme"),
    "gloss": ("gloss", "中文", "意思", "back", "meaning", "verso", "translation", "traduction", "definition", "翻譯",
              "解釋", "中文意思", "詞義", "sens", "chinois"),
    "example": ("example", "exemple", "例句", "phrase", "sentence"),
    "example_gloss": ("example_gloss", "例句翻譯", "例句中文", "traduction de l'exemple", "example translation"),
    "pos": ("pos", "詞性", "nature", "part of speech", "categorie", "classe"),
    "gender": ("gender", "genre", "性別", "陰陽性"),
    "notes": ("notes", "note", "remarque", "remarques", "備註", "附註", "comment", "comments", "extra", "back extra"),
    "etymology": ("etymology", "etymologie", "詞源"),
    "image": ("image", "picture", "圖片", "photo", "illustration"),
    "audio": ("audio", "sound", "son", "發音", "音檔", "prononciation"),
}
MARKUP_KEYS = frozenset({"gloss", "etymology", "example", "example_gloss", "notes"})  # render.markup() reads them
# Our field each key fills, for handing a hand-made note type's field ids to ours.
KEY_FIELDS = {"term": "Term", "gloss": "Gloss", "example": "Example", "example_gloss": "ExampleGloss",
              "notes": "Notes", "etymology": "Etymology", "image": "Image", "audio": "Audio"}
_STOCK_FIELDS = {"Basic": ("Front", "Back"), "Basic (and reversed card)": ("Front", "Back"),
                 "Basic (optional reversed card)": ("Front", "Back", "Add Reverse"),
                 "Basic (type in the answer)": ("Front", "Back"), "Cloze": ("Text", "Back Extra")}
_ARTICLES = {"le": "m", "la": "f", "un": "m", "une": "f", "l'": "", "l’": ""}
_LEADING_ARTICLE = re.compile(r"(?i)(le|la|un|une) (?=\w)|(l['’])(?=\w)")
_SOUND = re.compile(r"\[sound:([^\]]+)\]")
_NOUN_LABEL = re.compile(r"n(?:om)?\.?\s*([mf])\.?")


def folded(name: str) -> str:
    """A field name as names are compared: lower case, without accents or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", name.strip().lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass
class FieldMap:
    """Which field of the export fills which entry key, and what was guessed rather than told."""

    keys: dict[str, str]  # field name -> entry key
    guessed: list[str] = field(default_factory=list)  # "Front → term" lines, to show
    left_out: list[str] = field(default_factory=list)  # fields with text that no key takes


def field_map(export: Export, told: list[str]) -> FieldMap:
    """Match the export's fields to entry keys: `told` (FIELD=KEY) first, then by name, then by place."""
    names = export.field_names
    keys = _told(told, names)
    guessed = []
    taken = set(keys.values())
    for name in names:
        key = _key_named(folded(name)) if name not in keys else None
        if key and key not in taken:
            keys[name] = key
            taken.add(key)
            guessed.append(f"{name} → {key}")
    positional = [name for name in names if name not in keys and name.isdigit()]
    for key in ("term", "gloss"):  # nameless fields (Notes in Plain Text): the first two are the word and its meaning
        if key not in taken and positional:
            name = positional.pop(0)
            keys[name] = key
            taken.add(key)
            guessed.append(f"field {name} → {key}")
    for key in ("term", "gloss"):
        if key not in taken:
            raise BuildError(f"no field of {export.path.name} gives the {key}; its fields are: {', '.join(names)}; "
                             f"say which with --map FIELD={key}")
    left_out = [name for name in names if keys.get(name, "-") == "-"
                and any(_plain(note.fields.get(name, ""), export.html).strip() for note in export.notes)]
    return FieldMap({name: key for name, key in keys.items() if key != "-"}, guessed, left_out)


def _told(told: list[str], names: list[str]) -> dict[str, str]:
    """Read the --map FIELD=KEY options: field name -> entry key, or - for a field left out."""
    by_folded = {folded(name): name for name in names}
    keys: dict[str, str] = {}
    for item in told:
        name, equals, key = (part.strip() for part in item.partition("="))
        if not equals or not name or not key:
            raise BuildError(f"--map {item}: expected FIELD=KEY, such as Front=term")
        if key not in ENTRY_KEYS.by_name and key != "-":
            close = closest(key, ENTRY_KEYS.by_name)
            raise BuildError(f"--map {item}: '{key}' is not an entry key"
                             + (f"; did you mean '{close}'?" if close else f"; expected one of: "
                                f"{', '.join(ENTRY_KEYS.by_name)}, or - to leave the field out"))
        found = name if name in names else by_folded.get(folded(name))
        if found is None:
            raise BuildError(f"--map {item}: the export has no field '{name}'; its fields are: {', '.join(names)}")
        keys[found] = key
    return keys


def _key_named(name: str) -> str | None:
    if name in ENTRY_KEYS.by_name:
        return name
    return next((key for key, words in KEY_NAMES.items() if name in words), None)


def named_stock_fields(export: Export) -> None:
    """Name the nameless fields of a text export after Anki's stock note types (Basic: Front, Back)."""
    for index, note in enumerate(export.notes):
        stock = _STOCK_FIELDS.get(note.kind)
        if stock and list(note.fields) == [str(i + 1) for i in range(len(note.fields))] and len(note.fields) <= len(
                stock):
            export.notes[index] = ExportedNote(note.guid, note.kind, dict(zip(stock, note.fields.values(),
                                                                              strict=False)), note.tags)


# --- HTML -----------------------------------------------------------------------------------------


_BLOCK = "\x00"  # where a block starts or ends: one line break, however many meet


class _Markup(HTMLParser):
    """HTML as the source's markup: bold, italic, line breaks; other tags dropped, their text kept."""

    _MARKS = MappingProxyType({"b": "**", "strong": "**", "i": "*", "em": "*"})
    _BLOCKS = frozenset({"div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote"})

    def __init__(self, marks: bool):
        super().__init__(convert_charrefs=True)
        self.marks, self.parts, self.images = marks, [], []
        self.open: list[tuple[str, int]] = []  # the marks opened and not yet closed: (mark, where in parts)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in self._BLOCKS:
            self.parts.append(_BLOCK)
        elif tag == "img":
            source = dict(attrs).get("src")
            if source:
                self.images.append(html.unescape(source))
        elif self.marks and tag in self._MARKS:
            self.open.append((self._MARKS[tag], len(self.parts)))
            self.parts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCKS:
            self.parts.append(_BLOCK)
        elif self.marks and tag in self._MARKS:
            mark = self._MARKS[tag]
            at = next((i for i in range(len(self.open) - 1, -1, -1) if self.open[i][0] == mark), None)
            if at is None:
                return  # closes nothing
            start = self.open[at][1]
            del self.open[at:]  # and whatever was opened inside it and left open
            inner = "".join(self.parts[start:])
            # **word**: the marks touch the word, and stay on their line (the source's markup is by line)
            self.parts[start:] = [re.sub(r"([^\n\x00]*)", lambda line: _marked(line[1], mark), inner)]

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))  # as a browser shows it


def _marked(line: str, mark: str) -> str:
    core = line.strip(" ")
    if not core or core[0] == "*" or core[-1] == "*":  # ***: the source cannot say bold and italic at once
        return line
    return f"{line[:len(line) - len(line.lstrip(' '))]}{mark}{core}{mark}{line[len(line.rstrip(' ')):]}"


def from_html(text: str, marks: bool) -> tuple[str, list[str]]:
    """Return the text of `text` in the source's markup (with `marks`: bold and italic) and its pictures."""
    parser = _Markup(marks)
    parser.feed(text)
    parser.close()
    value = "".join(parser.parts).replace("\u00a0", " ")
    value = re.sub(r"\n?[ \t]*\x00[\x00 \t\n]*", "\n", value)
    lines = [" ".join(line.split()) for line in value.split("\n")]
    return _tidy(lines), parser.images


def _plain(text: str, is_html: bool) -> str:
    return from_html(_SOUND.sub("", text), False)[0] if is_html else text


def _tidy(lines: list[str]) -> str:
    """Join lines, without the empty ones at either end nor more than one in a row."""
    text = "\n".join(lines).strip("\n")
    return unicodedata.normalize("NFC", re.sub(r"\n{3,}", "\n\n", text)).strip()


# --- Entries ----------------------------------------------------------------------------------------


@dataclass
class Draft:
    """An entry as it will be written: its keys in ENTRY_KEYS order, and notes for the teacher."""

    values: dict[str, object]
    media: dict[str, str]  # key (image, audio) -> name in the export
    todo: list[tuple[str, str]] = field(default_factory=list)  # (key, what to tell the teacher)


def draft_entry(note: ExportedNote, fields: FieldMap, is_html: bool, lexicon: FrenchLexicon | None) -> Draft:
    """Make the entry of one note: its keys from its fields, its media, its pos and gender where they can be told."""
    draft = Draft({}, {})
    extra_media: list[str] = []
    for name, key in fields.keys.items():
        _take(draft, key, note.fields.get(name, ""), is_html, extra_media)
    if extra_media:
        draft.todo.append(("", f"more pictures or recordings than an entry takes (one of each): "
                               f"{', '.join(extra_media)} left out"))
    tags = [*draft.values.pop("tags", []), *note.tags]
    if tags:
        draft.values["tags"] = list(dict.fromkeys(tags))
    if note.guid:
        draft.values["guid"] = note.guid
    _fill_word_class(draft, lexicon)
    return draft


def _take(draft: Draft, key: str, raw: str, is_html: bool, extra_media: list[str]) -> None:
    """Put the field `raw` into the entry's `key`, and its pictures and recordings into its media."""
    values, media = draft.values, draft.media
    sounds = _SOUND.findall(raw) if is_html else []
    text, images = (from_html(_SOUND.sub("", raw), key in MARKUP_KEYS) if is_html
                    else (_tidy(raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")), []))
    for kind, found in (("image", images), ("audio", sounds)):
        for name in found:
            if kind not in media:
                media[kind] = name
            elif media[kind] != name:
                extra_media.append(name)
    if key in ("image", "audio"):  # a column of file names
        if text and key not in media:
            media[key] = text
        return
    if key == "tags":
        values.setdefault("tags", []).extend(text.replace(",", " ").split())
        return
    if not text:
        return
    text = text if key in MARKUP_KEYS else " ".join(text.split())  # one line
    if key in values and key in MARKUP_KEYS:  # two fields mapped to notes, say: both kept
        values[key] = f"{values[key]}\n{text}"
    elif key in values:
        draft.todo.append((key, f"two fields give it; kept '{clip(str(values[key]))}', left out '{clip(text)}'"))
    else:
        values[key] = text


def _fill_word_class(draft: Draft, lexicon: FrenchLexicon | None) -> None:
    """Take pos and gender from the term's article (la fenêtre), its label (n.f.), or the lexicon; else say so."""
    values = draft.values
    term = str(values.get("term", ""))
    if "pos" in values:
        said = folded(str(values["pos"]))
        if noun := _NOUN_LABEL.fullmatch(said):  # n.m., nf, n. f.
            values["pos"] = "noun"
            values.setdefault("gender", noun[1])
        else:
            values["pos"] = POS_WORDS.get(said.rstrip("."), values["pos"])
    if "gender" in values:
        values["gender"] = GENDER_WORDS.get(folded(str(values["gender"])).rstrip(".").replace(". ", "."),
                                             values["gender"])
    article = _LEADING_ARTICLE.match(term)
    if article and " " not in term[article.end():].strip():
        said = (article.group(1) or article.group(2)).lower()
        term = term[article.end():].strip()
        values["term"] = term
        values.setdefault("pos", "noun")
        if _ARTICLES[said] and values["pos"] == "noun":
            values.setdefault("gender", _ARTICLES[said])
    known = lexicon.word_classes(term) if lexicon and term and " " not in term else {}
    if "pos" not in values:
        if len(known) == 1:
            values["pos"] = next(iter(known))
        else:
            if known:
                what = f"the dictionary has '{term}' as {' and as '.join(_shown_class(p, g) for p, g in known.items())}"
            elif " " in term:
                what = f"'{clip(term)}' is an expression (phrase, or a verb such as se taire)"
            else:
                what = f"the dictionary does not know '{clip(term)}' as a noun, adjective or verb"
            draft.todo.append(("pos", f"{what}: write its pos"))
    if values.get("pos") == "noun" and "gender" not in values:
        genders = known.get("noun", set())
        if len(genders) == 1:
            values["gender"] = next(iter(genders))
        else:
            what = (f"the dictionary has '{term}' as n.m. and n.f." if genders
                    else f"the dictionary has no gender for '{clip(term)}'")
            draft.todo.append(("gender", f"{what}: write gender: m, f, or mf if it takes both"))
    for key, choices in (("pos", PARTS_OF_SPEECH), ("gender", GENDERS)):
        if key in values and values[key] not in choices:
            draft.todo.append((key, f"'{clip(str(values[key]))}' from the export is not one of "
                                    f"{', '.join(choices)}: correct it"))


def _shown_class(pos: str, genders: set[str]) -> str:
    label = PARTS_OF_SPEECH[pos]
    return label + "/".join(GENDERS[g] for g in sorted(genders)) if genders else label


# --- Learners' note types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CarryOver:
    """How a hand-made note type lines up with ours, and Anki's ids that make "Merge note types" follow it."""

    note_type: str
    fields: dict[str, int]  # our field -> the id of the hand-made field it takes the place of
    card_types: dict[str, int]  # our card type -> the id of the hand-made card type whose reviews it keeps
    lost: list[str]  # what cannot be carried over, said plainly
    matched: dict[str, str] = field(default_factory=dict)  # their field or card type -> ours, as named
    has_ids: bool = True


def carry_over(kind: NoteKind, fields: FieldMap) -> CarryOver:
    """Line the hand-made note type `kind` up with ours, as Anki's "Merge note types" matches them: by id.

    Anki merges two note types field by field and card type by card type, matching ids
    (rslib/src/notetype/merge.rs; ids exist since Anki 23.10). Each hand-made field gets one of
    our fields (the one its key fills, else one left over): a field left unmatched would be added
    to our note type in learners' collections, and every later update would need "Merge note types"
    again. Each card type goes to ours that asks the same: the term's to Recognition, the meaning's
    to Production.
    """
    if kind.cloze:
        return CarryOver(kind.name, {}, {}, [
            f"'{kind.name}' is a cloze note type, which Anki never merges with a standard one (importing with "
            "\"Merge note types\" fails; without it, their notes conflict and never update)"])
    lost: list[str] = []
    field_places = _field_places(kind, fields, lost)
    card_places = _card_places(kind, fields, lost)
    matched = {**{theirs: ours for ours, theirs in field_places.items()},
               **{theirs: ours for ours, theirs in card_places.items()}}
    field_ids, card_ids = dict(kind.fields), {name: template_id for name, template_id, _ in kind.templates}
    if None in field_ids.values() or None in card_ids.values():
        return CarryOver(kind.name, {}, {}, [*lost,
            f"the note type '{kind.name}' has no ids for Anki to match its fields and card types by (it was made "
            "before Anki 23.10, or by a tool), so \"Merge note types\" would leave their studied cards blank; "
            "they keep their reviews by changing the note type by hand (README, \"Coming from a spreadsheet or an "
            "existing deck\")"], matched, has_ids=False)
    return CarryOver(kind.name, {ours: field_ids[theirs] for ours, theirs in field_places.items()},
                     {ours: card_ids[theirs] for ours, theirs in card_places.items()}, lost, matched)


def _field_places(kind: NoteKind, fields: FieldMap, lost: list[str]) -> dict[str, str]:
    """Our field -> the hand-made field it takes the place of: the one its key fills, else one left over."""
    places = {KEY_FIELDS[key]: name for name, key in fields.keys.items()
              if key in KEY_FIELDS and name in dict(kind.fields)}
    spare = [name for name in FIELDS if name not in places and name not in ("Term", "Gloss")]
    for name, _ in kind.fields:
        if name not in places.values():
            if spare:
                places[spare.pop(0)] = name
            else:
                lost.append(f"its field '{name}' has no place among ours")
    return {name: places[name] for name in FIELDS if name in places}


def _card_places(kind: NoteKind, fields: FieldMap, lost: list[str]) -> dict[str, str]:
    """Our card type -> the hand-made card type whose reviews it keeps: the one that asks the same."""
    term_field = next((name for name, key in fields.keys.items() if key == "term"), None)
    gloss_field = next((name for name, key in fields.keys.items() if key == "gloss"), None)
    places: dict[str, str] = {}
    for name, _, question in kind.templates:
        asked = [reference.split(":")[-1].strip() for reference in re.findall(r"{{([^#^/}][^}]*)}}", question)]
        wanted = ("Recognition" if term_field in asked[:1] else "Production" if gloss_field in asked[:1]
                  else "Recognition" if term_field in asked else "Production" if gloss_field in asked else None)
        if wanted is None or wanted in places:
            wanted = next((card for card in ("Recognition", "Production") if card not in places), None)
        if wanted is None:
            wanted = next((card for card in CARD_TYPES if card not in places), None)
            lost.append(f"the reviews of its card type '{name}', which asks neither the term nor the meaning, go to "
                        f"the {wanted} card, blank where an entry makes none" if wanted else
                        f"the reviews of its card type '{name}' have no card type of ours to go to")
        if wanted is not None:
            places[wanted] = name
    return {name: places[name] for name in CARD_TYPES if name in places}
