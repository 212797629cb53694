"""Warnings a teacher wants: what builds, but is likely a mistake a learner would pay for.

Two entries whose Production cards ask the same question; Chinese in the other script than
the deck's (`chinese:` in deck.yaml); an example that does not contain its term (no Context
card); a noun the dictionary has only in the plural, written without `number: plural`; a
released note that loses a card. Each is
one located line, `path:line:column: warning: …`, which `--strict` turns into a problem.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from . import chinese
from .errors import Problem, clip
from .french_data import FrenchLexicon
from .identify import repeats
from .load import Mapping, Scalar, load_file
from .lockfile import Lock
from .package import CardRule
from .render import FIELDS, Note, NoteType
from .schema import PARTS_OF_SPEECH, Entry

# Fields in Chinese: a gloss is wrong with one character of the other script in it (a slip of
# the input method, a pasted phrase); prose may quote the other script ("簡體字作「发」"), so it is
# wrong only when it is all in the other script.
GLOSS_FIELDS = ("gloss", "example_gloss")
PROSE_FIELDS = ("notes", "etymology")
_CHINESE_FIELDS = operator.attrgetter(*GLOSS_FIELDS, *PROSE_FIELDS)
_BETWEEN_SENSES = re.compile(r"[\W_]+")  # spaces, punctuation and markup, half- or full-width alike


def question(pos: str, gloss: str) -> str:
    """What a Production card asks, as a learner reads it: the part of speech and the senses of the gloss.

    受愛戴的人，紅人 and 紅人, 受愛戴的人 ask the same; 工作 as a noun and as a verb do not (n., v.).
    As one string, kept in the cache for every entry; '' for a gloss of punctuation alone.
    """
    senses = sorted(set(filter(None, _BETWEEN_SENSES.split(unicodedata.normalize("NFKC", gloss).casefold()))))
    return "\x1f".join((PARTS_OF_SPEECH[pos], *senses)) if senses else ""


def same_questions(questions: list[str], entry_at: Callable[[int], Entry]) -> list[Problem]:
    """Warn at each entry whose Production card asks what an earlier entry's asks: learners cannot tell which."""
    warnings = []
    for index, earlier in repeats(questions):
        if questions[index]:
            entry, other = entry_at(index), entry_at(earlier)
            warnings.append(Problem(*entry.where, (
                f"warning: entry '{entry.term}': its Production card asks what that of '{other.term}' at "
                f"{other.where} asks ({PARTS_OF_SPEECH[other.pos]} {clip(other.gloss)}), so learners cannot tell "
                "which word is meant; make one gloss say more")))
    return warnings


def wrong_script(entry: Entry, script: str, editions: dict[str, str] | None = None) -> list[Problem]:
    """Warn where an entry's Chinese is written in the other script than the deck's.

    A text written for an edition (`gloss@zh-CN:`) is checked against that edition's script
    (`editions`: by code), as it is shown as written.
    """
    warnings = []
    for edition, name, text in entry.overrides:
        own = (editions or {}).get(edition)
        if own and (message := _script_problem(text, own, name not in GLOSS_FIELDS, f"edition {edition}")):
            warnings.append(Problem(*entry.where, f"warning: entry '{entry.term}', field '{name}@{edition}': "
                                                  f"{message}"))
    texts = _CHINESE_FIELDS(entry)
    if not chinese.has_foreign("\n".join(texts), script):  # one look for most entries: 50,000 in a build
        return warnings
    for name, text in zip((*GLOSS_FIELDS, *PROSE_FIELDS), texts, strict=True):
        if message := _script_problem(text, script, prose=name in PROSE_FIELDS):
            warnings.append(Problem(*entry.where, f"warning: entry '{entry.term}', field '{name}': {message}"))
    return warnings


def manifest_wrong_script(path: Path, data: bytes, script: str) -> list[Problem]:
    """Warn where the labels or the description that deck.yaml writes are in the other script than the deck's."""
    source = load_file(path, data, [])
    if source is None or not isinstance(source.root, Mapping):
        return []
    warnings = []
    for key, value in source.root.pairs:
        if key.value == "description":
            written, prose = [("field 'description'", value)], True
        elif key.value == "labels" and isinstance(value, Mapping):
            written, prose = [(f"label '{label.value}'", text) for label, text in value.pairs], False
        else:
            continue
        for what, node in written:
            if isinstance(node, Scalar) and (message := _script_problem(node.value, script, prose)):
                warnings.append(Problem(source.name, node.line, node.column,
                                        f"warning: deck manifest, {what}: {message}"))
    return warnings


def _script_problem(text: str, script: str, prose: bool, whose: str = "deck.yaml") -> str:
    """Say what is wrong with the script of `text` in a deck written in `script` (`whose` says); '' when nothing is."""
    foreign = chinese.foreign_characters(text, script)
    if not foreign or (prose and not chinese.wholly_foreign(text, script)):
        return ""
    name, other = chinese.script_name(script), chinese.script_name(chinese.other(script))
    listed = ", ".join(foreign[:5]) + ("…" if len(foreign) > 5 else "")
    return (f"{listed}: {other}, in a deck in {name} Chinese ({whose}'s `chinese:`); "
            f"write '{clip(chinese.in_script(text, script))}'")


def no_context_card(entry: Entry, note: Note) -> list[Problem]:
    """Warn where an entry has an example that does not contain its term: it gets no Context card."""
    if not entry.example or note.fields[_EXAMPLE_BLANK]:
        return []
    return [Problem(*entry.where, (
        f"warning: entry '{entry.term}': its example does not contain '{entry.term}', so it gets no Context "
        "card; add `form:` with the word as the example writes it (épargnée for épargner)"))]


def plural_only_noun(entry: Entry, note: Note, lexicon: FrenchLexicon) -> list[Problem]:
    """Warn where a noun the dictionary has only in the plural is written without `number: plural`."""
    if (not entry.is_noun or entry.number or entry.plural or note.fields[_FORMS]
            or not entry.term.endswith(("s", "x"))):  # plurals end so: the others are not looked up again
        return []
    if not lexicon.forms(entry.term, entry.pos, entry.gender).plural_only:
        return []
    return [Problem(*entry.where, (
        f"warning: entry '{entry.term}': the dictionary has '{entry.term}' only in the plural; add "
        "`number: plural` so that its cards give it its plural article (les fiançailles, des fiançailles)"))]



def blanked_cards(previous: Lock, kind: NoteType, notes: list[Note], entry_at: Callable[[int], Entry]) -> list[Problem]:
    """Warn where a released note loses a card: learners keep the card they studied, with a blank front."""
    if previous.note_type is None or previous.note_type.schema != kind.schema:
        return []  # a new note type: its cards are counted anew (a major version)
    rule, warnings = CardRule(kind), []
    for index, note in enumerate(notes):
        old = previous.notes.get(note.guid)
        if old is None or not old.released or old.hash == note.hash:
            continue
        lost = set(rule.cards(old.fields)) - set(rule.cards(note.fields))
        if lost:
            entry, names = entry_at(index), ", ".join(kind.templates[ord_][0] for ord_ in sorted(lost))
            warnings.append(Problem(*entry.where, (
                f"warning: entry '{entry.term}' no longer makes its {names} card, which learners of "
                f"{old.released} have: theirs would go blank (a Context card needs an example that contains the "
                "term or its `form`); put back what it needs, or tell learners to run Tools > Empty Cards")))
    return warnings

_EXAMPLE_BLANK = FIELDS.index("ExampleBlank")
_FORMS = FIELDS.index("Forms")
