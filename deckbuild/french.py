"""French grammar the cards need: articles with elision, and finding a term in its example."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

_VOWELS = set("aàâäeéèêëiîïoôöuùûüœæ")
ELIDED = "l’"  # typographic apostrophe, as French typesetting (and the seed) writes it


@cache
def aspirated_h_words() -> frozenset[str]:
    """Return the shipped list of words that start with an aspirated h."""
    text = files(__package__).joinpath("data/aspirated_h.txt").read_text(encoding="utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


def takes_elision(term: str, aspirated_h: bool | None = None) -> bool:
    """Tell whether le/la become l’ before `term`: a vowel, or a mute h."""
    word = term.split()[0].lower() if term.split() else ""
    first = word[:1]
    if first in _VOWELS:
        return True
    if first == "y":  # le yaourt, le yoga; but l’ypérite
        return word[1:2] not in _VOWELS
    if first == "h":
        aspirated = aspirated_h if aspirated_h is not None else word in aspirated_h_words()
        return not aspirated
    return False


def definite_article(term: str, gender: str, plural: bool = False, aspirated_h: bool | None = None) -> str:
    """Return the term with its definite article: le gratin, la fraude, l’anonymat, les fiançailles."""
    if plural:
        return f"les {term}"
    if takes_elision(term, aspirated_h):
        return f"{ELIDED}{term}"
    article = {"m": "le", "f": "la", "mf": "le/la"}[gender]
    return f"{article} {term}"


def indefinite_article(term: str, gender: str, plural: bool = False) -> str:
    """Return the term with its indefinite article, which shows the gender: un anonymat, un élève / une élève.

    A noun of both genders is written out twice, as textbooks in Taiwan do, not as « un·e élève ».
    """
    if plural:
        return f"des {term}"
    if gender == "mf":
        return f"un {term} / une {term}"
    article = {"m": "un", "f": "une"}[gender]
    return f"{article} {term}"


def conjugated(present: tuple[str, ...]) -> list[str]:
    """Put the subject pronouns before the six present-tense forms: j’épargne, tu épargnes … ils épargnent."""
    return [f"j’{form}" if pronoun == "je" and takes_elision(form) else f"{pronoun} {form}"
            for pronoun, form in zip(("je", "tu", "il", "nous", "vous", "ils"), present, strict=True)]


def spoken(term: str, pos: str, gender: str, plural: bool = False, aspirated_h: bool | None = None) -> str:
    """Return what a voice should say for a term: a noun with its article, a pattern without its markers.

    « la coqueluche », « l’anonymat », « le collègue, la collègue »; « faire + infinitif » says « faire ».
    """
    if pos != "noun":
        return without_pattern_markers(term)
    if gender == "mf" and not plural and not takes_elision(term, aspirated_h):
        return f"le {term}, la {term}"
    return definite_article(term, gender, plural, aspirated_h)


def without_pattern_markers(text: str) -> str:
    """Return `text` as it is said: pattern markers are written, not said (faire + infinitif, penser à qqch).

    A text that is nothing but markers stays as it is.
    """
    return " ".join(_PATTERN_MARKER.sub(" ", text).split()) or text


_PATTERN_MARKER = re.compile(r"\+\s*[^\s+/]*|\b(?:qqch|qqn|qch|qn)\b\.?|\bquelque chose\b", re.IGNORECASE)


def find_in_example(example: str, words: str) -> tuple[int, int] | None:
    """Return where `words` stand in `example` (start, end), ignoring case; None if absent.

    The match starts at a word boundary and runs to the end of the word, so that
    `talent` finds `talents` and `prêt` finds `prêts`; apostrophes ' and ’ are the same.
    """
    words = " ".join(words.split())
    if not words:
        return None
    haystack, needle = example.replace("'", "’").lower(), words.replace("'", "’").lower()
    if len(haystack) != len(example) or len(needle) != len(words) or _ODD_SPACE.search(example):
        return _find_by_pattern(example, words)  # lower() changed a length, or spaces differ: rare
    start = haystack.find(needle)
    while start != -1:
        if start == 0 or not _is_word(haystack[start - 1]):
            end = start + len(needle)
            while end < len(haystack) and _is_word(haystack[end]):
                end += 1
            return start, end
        start = haystack.find(needle, start + 1)
    return None


_ODD_SPACE = re.compile(r"\s(?<! )|  ")


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"


def _find_by_pattern(example: str, words: str) -> tuple[int, int] | None:
    pattern = re.sub("['’]", "['’]", r"\s+".join(re.escape(part) for part in words.split()))
    match = re.search(rf"(?<!\w){pattern}\w*", example, flags=re.IGNORECASE)
    return match.span() if match else None
