"""French pronunciations (IPA) and inflected forms of the cards' terms, from installed dictionaries.

FrenchLexicon looks terms up in the index (deckbuild.french_index): Lexique 3.82 for the IPA,
with espeak-ng (deckbuild.espeak) for the words Lexique lacks, and DELAF for the inflected forms.
`python -m deckbuild.french_data` builds the index if it is missing and says where it is.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal, NamedTuple

from . import espeak
from .french import aspirated_h_words, without_pattern_markers
from .french_index import FrenchDataError, decode_forms, ensure_index, index_key, index_path

__all__ = ["Forms", "FrenchDataError", "FrenchLexicon", "Pronunciation", "ensure_index", "index_key", "index_path"]

_PERSONS = ("P1s", "P2s", "P3s", "P1p", "P2p", "P3p")


class Pronunciation(NamedTuple):
    """A term's IPA, without slashes, and where it came from (espeak: at least one word is espeak-ng's)."""

    ipa: str
    source: Literal["lexique", "espeak", "override"]


class Forms(NamedTuple):
    """A term's inflected forms, from DELAF; all empty for a phrase or a word DELAF lacks (false, then).

    A named tuple, like Entry: one is made for each of a big deck's 50,000 entries.
    """

    plural: str = ""  # nouns; the singular itself when invariable
    invariable: bool = False
    plural_only: bool = False  # fiançailles
    masculine_singular: str = ""  # adjectives
    feminine_singular: str = ""
    masculine_plural: str = ""
    feminine_plural: str = ""
    before_vowel: str = ""  # the masculine singular before a vowel: bel, nouvel, vieil, fol, mol
    infinitive: str = ""  # verbs: the verb whose forms these are (faire, for se faire virer)
    past_participle: str = ""
    auxiliary: str = ""  # avoir, être, or être/avoir (intransitive/transitive, which the entry does not say)
    present: tuple[str, ...] = ()  # je … ils; empty unless DELAF gives one form for each person

    def __bool__(self) -> bool:
        return any(self)


_DELAF_POS = {"noun": "N", "adjective": "A", "verb": "V", "transitive-verb": "V", "intransitive-verb": "V",
              "pronominal-verb": "V"}
_BEFORE_VOWEL = {"beau": "bel", "nouveau": "nouvel", "vieux": "vieil", "fou": "fol", "mou": "mol"}
_ETRE = frozenset({"aller", "venir", "devenir", "revenir", "redevenir", "parvenir", "survenir", "intervenir",
                   "advenir", "provenir", "arriver", "partir", "repartir", "naître", "renaître", "mourir", "rester",
                   "tomber", "retomber", "décéder", "éclore"})
_ETRE_UNLESS_TRANSITIVE = frozenset({"entrer", "rentrer", "monter", "remonter", "descendre", "redescendre", "sortir",
                                     "ressortir", "passer", "repasser", "retourner"})  # monter les valises: avoir
_REFLEXIVE = re.compile(r"(?:se |s')")

# Words after which liaison is obligatory, with the consonant heard.
_LIAISON = {**dict.fromkeys(("les", "des", "ces", "mes", "tes", "ses", "nos", "vos", "leurs", "aux", "quels", "quelles",
                             "quelques", "plusieurs", "certains", "certaines", "deux", "trois", "nous", "vous", "ils",
                             "elles", "dans", "chez", "sans", "sous", "très"), "z"),
            **dict.fromkeys(("un", "aucun", "mon", "ton", "son", "on", "en"), "n"),
            **dict.fromkeys(("tout", "quand", "petit", "grand"), "t")}
_NO_LIAISON_BEFORE = frozenset({"oui", "onze", "onzième", "onzièmes", "ouistiti", "ouistitis", "yaourt", "yaourts"})
_VOWELS = frozenset("aàâäeéèêëiîïoôöuùûüyœæ")
_VOWELS_AND_H = _VOWELS | {"h"}
_ELIDED = {"l": "l", "d": "d", "j": "ʒ", "m": "m", "t": "t", "s": "s", "c": "s", "n": "n", "qu": "k",
           "jusqu": "ʒysk", "lorsqu": "lɔʁsk", "puisqu": "pɥisk", "quoiqu": "kwak"}
_ELISION = re.compile(rf"({'|'.join(sorted(_ELIDED, key=len, reverse=True))})'(.+)")
_PUNCTUATION = ",.;:!?«»\"()[]{}…—–"
_LIGATURE = re.compile("[œæŒÆ]")
_SPELLING = str.maketrans({"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "’": "'", "ʼ": "'", "\u00a0": " ",
                           "\u202f": " "})  # the dictionaries' spelling: no ligatures, ASCII apostrophes
_NOT_SPELLED = re.compile(f"[{''.join(map(chr, _SPELLING))}]")


def _spelled(text: str) -> str:
    """Return `text` as the dictionaries spell it (_SPELLING); searched first, as translate() is ten times slower."""
    return text.translate(_SPELLING) if _NOT_SPELLED.search(text) else text


def _typed(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).replace("’", "'").replace("ʼ", "'").split())


def _religate(term: str, form: str) -> str:
    """Put back the ligatures of `term` into `form`, as far as the two begin alike: œil, oeils gives œils."""
    if not _LIGATURE.search(term):
        return form
    common = len(os.path.commonprefix([term.translate(_SPELLING).lower(), form.lower()]))  # noqa: RUF071
    letters, at = [], 0
    for letter in term:
        spelled = letter.translate(_SPELLING)
        if at + len(spelled) > common:
            break
        letters.append(letter if len(spelled) == 2 else form[at])
        at += len(spelled)
    return "".join(letters) + form[at:]


@cache
def _overrides() -> dict[tuple[str, str], str]:
    """Return {(term, pos): IPA} from data/pronunciation_overrides.tsv; pos '' for any part of speech."""
    text = files(__package__).joinpath("data/pronunciation_overrides.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {(_typed(term).lower(), pos.strip()): ipa.strip() for term, pos, ipa in rows}


class FrenchLexicon:
    """Pronunciations and inflected forms of French terms, looked up in the index."""

    def __init__(self, path: Path | None = None):
        """Use the index at `path`, by default the installed packages' (built first if it is missing)."""
        self.path = path or ensure_index()
        self._pid = self._db = None
        self._pronounced: dict[str, str | None] = {}  # what prefetch() looked up, by the dictionaries' spelling
        self._inflected: dict[tuple[str, str], str] = {}  # the `infl` rows of the lemmas prefetch() looked up
        self._lemmas_looked_up: set[str] = set()

    def __getstate__(self) -> dict:
        return {"path": self.path}  # a connection cannot be pickled: the copy opens its own

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"])

    def _one(self, sql: str, *parameters: str) -> str | None:
        if self._pid != os.getpid():  # a SQLite connection must not cross a fork
            uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
            self._db, self._pid = sqlite3.connect(uri, uri=True, check_same_thread=False), os.getpid()
        row = self._db.execute(sql, parameters).fetchone()
        return row[0] if row else None

    def prefetch(self, terms) -> None:
        """Look up many terms at once (a file's): their pronunciations and inflections, a query for all of each.

        A term whose lookups are not all here (a phrase's words, a pronominal verb) is looked up as it goes.
        """
        spelled = {_spelled(_typed(term)) for term in terms}
        self._one("SELECT 1")  # connected, in this process
        forms = list({form.lower() for form in spelled} - self._pronounced.keys())
        for chunk in _chunks(forms):
            found = dict(self._db.execute(f"SELECT form, ipa FROM pron WHERE form IN ({_marks(chunk)})", chunk))
            self._pronounced.update((form, found.get(form)) for form in chunk)
        lemmas = list(spelled.union(form.lower() for form in spelled) - self._lemmas_looked_up)  # see _inflections
        for chunk in _chunks(lemmas):
            rows = self._db.execute(f"SELECT lemma, pos, forms FROM infl WHERE lemma IN ({_marks(chunk)})", chunk)
            self._inflected.update(((lemma, pos), forms) for lemma, pos, forms in rows)
            self._lemmas_looked_up.update(chunk)

    def _lexique(self, word: str) -> str | None:
        form = _spelled(word).lower()
        if form in self._pronounced:
            return self._pronounced[form]
        return self._one("SELECT ipa FROM pron WHERE form = ?", form)

    def ipa(self, text: str, pos: str = "") -> Pronunciation:
        """Return the IPA of `text`: an override, else Lexique for the whole, else word by word with liaisons."""
        typed = _typed(text)
        overrides = _overrides()
        if (found := overrides.get((typed.lower(), pos), overrides.get((typed.lower(), "")))) is not None:
            return Pronunciation(found, "override")
        if " " not in typed and (whole := self._lexique(typed)) is not None:
            return Pronunciation(whole, "lexique")  # one word, most terms: no markers, alternatives nor liaisons
        spoken = without_pattern_markers(typed)
        parts = [self._phrase(part) for part in re.split(r"\s*/\s*", spoken) if part.strip()]
        source = "lexique" if all(found for _, found in parts) else "espeak"
        return Pronunciation(" / ".join(ipa for ipa, _ in parts), source)

    def _phrase(self, text: str) -> tuple[str, bool]:
        if (whole := self._lexique(text)) is not None:  # one word, or one of Lexique's locutions (a priori)
            return whole, True
        words: list[str] = []
        from_lexique = True
        previous = ""
        for token in filter(None, (token.strip(_PUNCTUATION) for token in text.split())):
            elided, word = "", token
            while self._lexique(word) is None and (match := _ELISION.fullmatch(word.lower())):
                elided, word = elided + _ELIDED[match[1]], word[len(match[1]) + 1:]  # l'anonymat, qu'il
            ipa, found = self._word(word)
            from_lexique &= found
            if previous in _LIAISON and not elided and self._liaison_before(word.lower()):
                words[-1] += f"{_LIAISON[previous]}‿{ipa}"
            else:
                words.append(elided + ipa)
            previous = "" if elided else word.lower()
        return " ".join(words), from_lexique

    def _word(self, word: str) -> tuple[str, bool]:
        if (ipa := self._lexique(word)) is not None:
            return ipa, True
        if "-" in word:  # a-t-il, dit-elle: the euphonic t is not the letter /te/
            parts = ["t" if part == "t" else self._lexique(part) for part in word.split("-")]
            if None not in parts:
                return "".join(parts), True
        return espeak.ipa(word), False

    def _liaison_before(self, word: str) -> bool:
        if word in _NO_LIAISON_BEFORE or word[:1] not in _VOWELS_AND_H:
            return False
        if word[0] == "h":
            return not any(w in aspirated_h_words() or self._one("SELECT 1 FROM aspirated_h WHERE form = ?", w)
                           for w in {word, word.split("-")[0]})
        return word[0] != "y" or word[1:2] not in _VOWELS or word.startswith("yeu")  # les yeux, le yaourt

    def _inflections(self, lemma: str, pos: str) -> dict[str, list[str]] | None:
        for key in dict.fromkeys((lemma, lemma.lower())):
            if key in self._lemmas_looked_up:
                text = self._inflected.get((key, pos))
            else:
                text = self._one("SELECT forms FROM infl WHERE lemma = ? AND pos = ?", key, pos)
            if text is not None:
                return decode_forms(text)
        return None

    def word_classes(self, term: str) -> dict[str, set[str]]:
        """Return what DELAF says `term` can be, as a lemma: {"noun": its genders, "adjective": …, "verb": …}.

        Only nouns, adjectives and verbs: the index keeps no other part of speech.
        """
        typed = _typed(term).translate(_SPELLING)
        classes: dict[str, set[str]] = {}
        for pos, kind in (("noun", "N"), ("adjective", "A"), ("verb", "V")):
            table = self._inflections(typed, kind)
            if table is not None:
                classes[pos] = {gender for gender in "mf" if f"{gender}s" in table} if kind == "N" else set()
        return classes

    def forms(self, term: str, pos: str, gender: str = "", number: str = "") -> Forms:
        """Return the inflected forms of `term` that DELAF has; an empty Forms if none, never a guess."""
        kind = _DELAF_POS.get(pos)
        typed = _typed(term)
        if kind == "V":
            return self._verb(typed.lower(), pos)
        table = self._inflections(_spelled(typed), kind) if kind else None
        if table is None:
            return Forms()

        def first(*codes: str) -> str:
            return next((_religate(typed, table[code][0]) for code in codes if table.get(code)), "")

        if kind == "A":
            return Forms(masculine_singular=first("ms"), feminine_singular=first("fs"),
                         masculine_plural=first("mp"), feminine_plural=first("fp"),
                         before_vowel=_BEFORE_VOWEL.get(typed.lower(), ""))
        if number == "plural" or not (table.keys() & {"ms", "fs"}):
            return Forms(plural_only=True)
        plural = first({"m": "mp", "f": "fp"}.get(gender, "mp"), "mp", "fp")  # DELAF may know another gender
        return Forms(plural=plural, invariable=plural.lower() == typed.lower()) if plural else Forms()

    def _verb(self, typed: str, pos: str) -> Forms:
        pronominal = pos == "pronominal-verb" or bool(_REFLEXIVE.match(typed))
        verb = _REFLEXIVE.sub("", typed, count=1)
        if (table := self._inflections(_spelled(verb), "V")) is None and " " in verb:
            verb = verb.split()[0]  # se faire virer: the forms of faire
            table = self._inflections(_spelled(verb), "V")
        if table is None:
            return Forms()
        if pronominal or verb in _ETRE:
            auxiliary = "être"
        elif verb in _ETRE_UNLESS_TRANSITIVE:
            auxiliary = {"transitive-verb": "avoir", "intransitive-verb": "être"}.get(pos, "être/avoir")
        else:
            auxiliary = "avoir"
        present = tuple(_religate(verb, table[p][0]) for p in _PERSONS if len(table.get(p, ())) == 1)
        return Forms(infinitive=verb, past_participle=_religate(verb, table.get("Kms", [""])[0]),
                     auxiliary=auxiliary, present=present if len(present) == 6 else ())


def _chunks(values: list[str]) -> Iterator[list[str]]:
    """`values` in lists short enough for one query: SQLite takes 999 parameters at most."""
    for start in range(0, len(values), 900):
        yield values[start:start + 900]


def _marks(values: list[str]) -> str:
    return ",".join("?" * len(values))


def main() -> None:
    """Build the index of the installed packages if it is missing, and say where it is."""
    started = time.perf_counter()
    had = index_path().is_file()
    path = ensure_index()
    how = "already built" if had else f"built in {time.perf_counter() - started:.1f} s"
    print(f"French data index: {path} ({how}, {path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
