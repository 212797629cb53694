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
    """Return the term with its indefinite article, which shows the gender: un anonymat, une élève."""
    if plural:
        return f"des {term}"
    article = {"m": "un", "f": "une", "mf": "un·e"}[gender]
    return f"{article} {term}"


def find_in_example(example: str, words: str) -> tuple[int, int] | None:
    """Return where `words` stand in `example` (start, end), ignoring case; None if absent.

    The match starts at a word boundary and runs to the end of the word, so that
    `talent` finds `talents` and `prêt` finds `prêts`; apostrophes ' and ’ are the same.
    """
    parts = [re.escape(part) for part in words.split()]
    if not parts:
        return None
    pattern = re.sub("['’]", "['’]", r"\s+".join(parts))
    match = re.search(rf"(?<!\w){pattern}\w*", example, flags=re.IGNORECASE)
    return match.span() if match else None
