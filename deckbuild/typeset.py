"""Typesetting for readers in Taiwan: Chinese punctuation full-width, French words that do not break apart.

Taiwan's textbooks set Chinese with full-width punctuation (，；：？！（）), while people
typing on a Latin keyboard, and the seed itself, write half-width marks. A mark that
touches a Chinese character is written full-width here; one between French words stays
as it is. An article is tied to its noun with a no-break space, so a line never ends
on « la ».
"""

from __future__ import annotations

import re
from functools import cache

NO_BREAK_SPACE = "\u00a0"

_HAN = "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CHINESE = f"[{_HAN}\u3000-\u303f\uff00-\uffef\u2026\u22ef「」『』]"  # Han, and marks already full-width
_FULL_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_HALF_WIDTH = re.compile("[,;:?!()]")
# Brackets go by pairs: full-width around Chinese, as they are around French: (v.i.) stays.
_BRACKETS = re.compile(r" *\( *([^()]*?) *\) *")


@cache
def _chinese() -> tuple[re.Pattern, re.Pattern]:
    """Chinese text, and a half-width mark (with its spaces) beside it: compiled when first needed (10 ms)."""
    return (re.compile(f"[{_HAN}]"),
            re.compile(rf"(?<={_CHINESE}) *([,;:?!]) *|(?<![{_HAN}]) *([,;:?!]) *(?={_CHINESE})"))


def full_width(text: str) -> str:
    """Write , ; : ? ! and ( ) full-width, without spaces around them, where they belong to Chinese text."""
    if not _HALF_WIDTH.search(text):
        return text  # no mark to change: most fields
    han, mark_beside_chinese = _chinese()
    if not han.search(text):
        return text  # French
    if "(" in text:  # French in brackets keeps its brackets and spaces
        text = _BRACKETS.sub(lambda match: f"（{match.group(1)}）" if han.search(match.group(1)) else match.group(0),
                             text)
    return mark_beside_chinese.sub(lambda match: _FULL_WIDTH[match.group(1) or match.group(2)], text)


def tie_articles(text: str) -> str:
    """Tie the article of a term written with one (french.py) to it: a line never ends on « la »."""
    return _ARTICLE.sub(lambda found: found[1] + NO_BREAK_SPACE, text)  # faster than a template in Python 3.11


_ARTICLE = re.compile(r"(?:^|(?<= / ))(le/la|les|le|la|des|une|un) ")  # as french.py writes them
