"""Stage 4, render: the note type from `templates/`, and every entry as the fields of a note.

The note type's field names and card-type names, in order, are the deck's public
contract with every learner's collection (see the README, "Updating the deck").
"""

from __future__ import annotations

import hashlib
import html
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import french
from .errors import BuildError, Problem, SourceError, display_path
from .french_data import Forms, FrenchLexicon
from .load import media_file
from .schema import GENDERS, PARTS_OF_SPEECH, Entry, Manifest
from .speech import Speaker
from .typeset import full_width, tie_articles

FIELDS = (
    "Term",  # first: Anki sorts and checks duplicates by it
    "Definite",
    "Indefinite",
    "Gender",
    "GenderLabel",
    "PartOfSpeech",
    "Gloss",
    "Etymology",
    "Example",
    "ExampleBlank",
    "ExampleGloss",
    "Notes",
    "Image",
    "Audio",
    "ExampleAudio",
    "Source",
    # Since 2.0.0 (new fields go last, so that "Merge note types" keeps every old field in its place):
    "IPA",  # the term's pronunciation, without the slashes the templates put around it
    "Forms",  # its inflected forms, as a line of HTML
    "Say",  # what the voice says for the term: a noun with its article, a pattern without its markers
)
CARD_TYPES = ("Recognition", "Production", "Gender", "Context")
_SPECIAL_FIELDS = {"FrontSide", "Tags", "Type", "Deck", "Subdeck", "Card", "CardFlag", "CardID"}
_REFERENCE = re.compile(r"{{(.*?)}}", re.DOTALL)


@dataclass(frozen=True)
class NoteType:
    """The Anki note type: its fields, its card types (name, question, answer) and CSS."""

    model_id: int
    name: str
    fields: tuple[str, ...]
    templates: tuple[tuple[str, str, str], ...]
    css: str
    # Anki's ids of a hand-made note type's fields and card types, given to ours by `note_type_ids:` (see
    # importing/convert.py): "Merge note types" matches by id, so learners' notes and reviews come across.
    field_ids: tuple[tuple[str, int], ...] = ()
    card_type_ids: tuple[tuple[str, int], ...] = ()

    @property
    def look(self) -> str:
        """Hash of how the cards look, and of the ids they are matched by (look_hash)."""
        return look_hash(self.name, self.templates, self.css, (*self.field_ids, *self.card_type_ids))

    @property
    def schema(self) -> dict[str, list[str]]:
        """The public contract: field names and card-type names, in order."""
        return {"fields": list(self.fields), "card_types": [name for name, _, _ in self.templates]}


class Note(NamedTuple):
    """One rendered note: what Anki stores, plus the media files it refers to (a named tuple, like Entry)."""

    guid: str
    fields: tuple[str, ...]
    tags: tuple[str, ...]
    hash: str  # of the fields and tags: what a re-import would change (content_hash)
    media: tuple[tuple[str, str], ...] = ()  # (name in the package, path of the file on disk)
    deck: str = ""  # the subdeck of its cards, under the deck (a lesson); "" for the deck itself



def content_hash(fields, tags) -> str:
    """Hash of everything a re-import would change in a learner's note: its fields and tags."""
    text = "\x1e".join(["\x1f".join(fields), " ".join(tags)])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def look_hash(name: str, templates, css: str, ids=()) -> str:
    """Hash of how the cards look: the note type's name, its (name, front, back) templates, and CSS; and its ids."""
    return content_hash([name, *(part for template in templates for part in template), css,
                         *(f"{name}={anki_id}" for name, anki_id in sorted(ids))], ())


def note_type(manifest: Manifest, templates_dir: Path) -> NoteType:
    """Read the card templates and CSS, filling in the deck's labels; raise on a bad template."""
    partials = sorted(templates_dir.glob("_*.html"))
    sides = {name: _template_paths(templates_dir, name) for name in CARD_TYPES}
    texts = {path: _read(path) for path in [*partials, *(p for pair in sides.values() for p in pair)]}
    problems = [problem for path, text in texts.items() for problem in _unknown_fields(path, text)]
    if problems:
        raise SourceError(problems)
    values = {name: shown_as_typed(full_width(label)) for name, label in manifest.labels.items()}  # labels are text
    values["chinese_lang"] = chinese_lang(manifest)
    values.update({path.stem.lstrip("_"): _fill(path, texts[path], manifest.labels) for path in partials})
    templates = tuple((name, _fill(front, texts[front], values), _fill(back, texts[back], values))
                      for name, (front, back) in sides.items())
    css = _read(templates_dir / "style.css")
    return NoteType(manifest.model_id, manifest.note_type, FIELDS, templates, css)


def chinese_lang(manifest: Manifest) -> str:
    """The language tag of the cards' Chinese, which picks the glyph forms its readers know.

    Taiwan's for a deck in Traditional Chinese (zh-Hant-TW), the mainland's for one in Simplified
    (zh-Hans-CN); an edition named for another region (zh-HK, zh-SG) gets that region.
    """
    script, region = ("Hans", "CN") if manifest.chinese == "simplified" else ("Hant", "TW")
    code = manifest.edition.split("-")
    if len(code) == 2 and code[0] == "zh" and code[1].isupper():
        region = code[1]
    return f"zh-{script}-{region}"


def render(entry: Entry, guid: str, manifest: Manifest, source_dir: Path, speaker: Speaker | None,
           lexicon: FrenchLexicon) -> Note:
    """Turn one entry into the fields of its note, in the order of FIELDS.

    `speaker` makes audio files; `lexicon` gives the pronunciation and the forms the entry does not.
    """
    labels = manifest.labels
    plural = entry.number == "plural"
    match = french.find_in_example(entry.example, entry.form or entry.term) if entry.example else None
    example, example_blank = _example(entry.example, match)
    media = {kind: _media_name(kind, getattr(entry, kind), source_dir)
             for kind in ("image", "audio") if getattr(entry, kind)}
    say = entry.say or french.spoken(entry.term, entry.pos, entry.gender, plural, entry.aspirated_h)
    if speaker is not None:
        if not entry.audio:  # a recording made by a person beats a synthetic voice
            media["audio"] = speaker.say(say)
        if entry.example:
            media["example_audio"] = speaker.say(entry.example)
    values = {
        "Term": shown_as_typed(entry.term),
        "Definite": shown_as_typed(tie_articles(french.definite_article(entry.term, entry.gender, plural,
                                                                        entry.aspirated_h)))
        if entry.is_noun else "",
        "Indefinite": shown_as_typed(tie_articles(french.indefinite_article(entry.term, entry.gender, plural)))
        if entry.is_noun else "",
        "Gender": entry.gender,
        "GenderLabel": _gender_label(entry, labels),
        "PartOfSpeech": PARTS_OF_SPEECH[entry.pos],
        "Gloss": markup(full_width(entry.gloss)),
        "Etymology": markup(full_width(entry.etymology)),
        "Example": example,
        "ExampleBlank": example_blank,
        "ExampleGloss": markup(full_width(entry.example_gloss)),
        "Notes": markup(full_width(entry.notes)),
        "Image": f'<img src="{html.escape(media["image"][0])}" alt="">' if "image" in media else "",
        "Audio": f"[sound:{media['audio'][0]}]" if "audio" in media else "",
        "ExampleAudio": f"[sound:{media['example_audio'][0]}]" if "example_audio" in media else "",
        "Source": shown_as_typed(entry.source),
        "IPA": shown_as_typed(entry.ipa or lexicon.ipa(entry.term, entry.pos).ipa),
        "Forms": _forms(entry, lexicon.forms(entry.term, entry.pos, entry.gender, entry.number)),
        "Say": shown_as_typed(say),
    }
    fields = tuple(map(values.__getitem__, FIELDS))
    return Note(guid, fields, entry.tags, content_hash(fields, entry.tags),
                tuple((name, str(path)) for name, path in media.values()), entry.deck)


def _forms(entry: Entry, forms: Forms) -> str:
    """The line of a term's inflected forms, as dictionaries print them: f. privée · pl. privés · f. pl. privées."""
    if entry.plural == entry.term:  # the teacher says it does not change (à taux réduits)
        return _form_line([("inv.", "")])
    if entry.is_noun:
        plural = entry.plural or forms.plural
        if entry.number == "plural":
            return ""  # the gender label says pl.
        return _form_line([("inv.", "")] if forms.invariable and not entry.plural else [("pl.", plural)])
    if entry.pos == "adjective":
        masculine = forms.masculine_singular or entry.term
        feminine = entry.feminine or forms.feminine_singular
        plural = entry.plural or forms.masculine_plural
        feminine_plural = forms.feminine_plural if not entry.feminine else ""
        parts = [("devant voyelle", forms.before_vowel)]
        parts += [("f.", feminine if feminine != masculine else ""), ("pl.", plural)]
        parts += [("f. pl.", feminine_plural if feminine_plural != plural else "")]
        return _form_line(parts)
    if forms.past_participle:
        line = _form_line([("p.p.", forms.past_participle), ("aux.", forms.auxiliary)])
        present = _form_line([("prés.", ", ".join(french.conjugated(forms.present)))])
        return f"{line}<br>{present}" if present else line
    return ""


def _form_line(parts: list[tuple[str, str]]) -> str:
    return " · ".join(f'<span class="label">{label}</span> {shown_as_typed(form)}'.rstrip()
                      for label, form in parts if form or label == "inv.")


_BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")
_ITALIC = re.compile(r"\*(\S(?:.*?\S)?)\*")


def shown_as_typed(text: str) -> str:
    """Escape `text` so that Anki shows it as typed: HTML, and its own [sound:…] and [anki:…] tags, as text."""
    if not _TO_ESCAPE.search(text):
        return text  # most fields: a search is a third of the cost of escaping
    return html.escape(text).replace("[", "&#91;")  # Anki finds its tags in the HTML, before any entity is read


_TO_ESCAPE = re.compile(r"[&<>\"'\[]")  # what html.escape and the line above change


def markup(text: str) -> str:
    """Turn the source's small markup into HTML: **bold**, *italic*, line breaks; escape the rest."""
    if not text:
        return ""  # most optional fields
    escaped = shown_as_typed(text)
    if "*" in escaped:  # functions, not r"<b>\1</b>": Python 3.11 expands such a template in Python, 2 µs a call
        escaped = _BOLD.sub(lambda found: f"<b>{found[1]}</b>", escaped)
        escaped = _ITALIC.sub(lambda found: f"<i>{found[1]}</i>", escaped)
    return escaped.replace("\n", "<br>")


def _example(example: str, match: tuple[int, int] | None) -> tuple[str, str]:
    """The example with the term in it highlighted, and with it blanked out (none without the term)."""
    if not match:
        return markup(example), ""
    start, end = match
    before, after = markup(example[:start]), markup(example[end:])
    return (f'{before}<span class="highlight">{shown_as_typed(example[start:end])}</span>{after}',
            f'{before}<span class="blank">［…］</span>{after}')


def _gender_label(entry: Entry, labels) -> str:
    if not entry.is_noun:
        return ""
    word = labels[_GENDER_LABELS[entry.gender]]
    if entry.number == "plural":  # les fiançailles: 陰性複數 f. pl.
        return f"{word}{labels['plural']} {GENDERS[entry.gender]} pl."
    return f"{word} {GENDERS[entry.gender]}"


_GENDER_LABELS = {"m": "masculine", "f": "feminine", "mf": "both_genders"}


def _media_name(kind: str, value: str, source_dir: Path) -> tuple[str, Path]:
    """Name a media file by its content, so that a changed file reaches learners who have the old one."""
    path = media_file(source_dir, value)  # validated: it is there
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    stem = re.sub(r"[^\w-]+", "-", path.stem).strip("-_") or kind
    return f"{stem}-{digest}{path.suffix.lower()}", path


def _template_paths(templates_dir: Path, name: str) -> tuple[Path, Path]:
    return templates_dir / f"{name.lower()}.front.html", templates_dir / f"{name.lower()}.back.html"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BuildError(f"{display_path(path)}: cannot read the template: {error}") from error


def _fill(path: Path, text: str, values) -> str:
    """Substitute ${label} placeholders; Anki's own {{Field}} references pass through."""
    try:
        return string.Template(text).substitute(values)
    except (KeyError, ValueError) as error:
        raise BuildError(
            f"{display_path(path)}: unknown placeholder {error}; expected one of: {', '.join(values)}"
        ) from error


def _unknown_fields(path: Path, text: str) -> list[Problem]:
    problems = []
    for match in _REFERENCE.finditer(text):
        reference = match.group(1).strip().lstrip("#^/").strip()
        name = reference.split(":")[-1].strip()
        if name and name not in FIELDS and name not in _SPECIAL_FIELDS:
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - text.rfind("\n", 0, match.start())
            problems.append(Problem(display_path(path), line, column,
                                    f"the template refers to the field '{name}', which the note type lacks; "
                                    f"expected one of: {', '.join(FIELDS)}"))
    return problems
