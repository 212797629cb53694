"""Chinese in the wrong script: Simplified characters in a Traditional deck, and the reverse, where that is certain.

Most characters are the same in both scripts, and some are written in both with different
uses (后 queen, 後 after; 干, 乾, 幹; 台 in 台灣): converting a text with OpenCC and seeing
it change says little. A character is taken as belonging to one script only when OpenCC
turns it into another character of the other script *and* the other script's national
character set lacks it: 发 is Simplified only (Big5, Taiwan's set, lacks it), 后 is not (Big5
has it); 們 is Traditional only (GB2312, mainland China's set, lacks it), 後 and 乾 are not.
So the check never cries wolf on good text, and misses a few rare slips.

The tables are made once per process, from OpenCC's character dictionary (30-60 ms with
OpenCC's import), and only when some text has Chinese in it; a converter for the advice in
the warning is made only when there is a warning to give.
"""

from __future__ import annotations

from functools import cache

TRADITIONAL, SIMPLIFIED = "traditional", "simplified"  # the values of `chinese:` in deck.yaml
_CHARSET = {TRADITIONAL: "big5", SIMPLIFIED: "gb2312"}  # each script's national character set
_ADVICE = {TRADITIONAL: "s2tw", SIMPLIFIED: "tw2s"}  # OpenCC's conversion into the deck's script, Taiwan's forms
_NAME = {TRADITIONAL: "Traditional", SIMPLIFIED: "Simplified"}
_FIRST_IDEOGRAPH = "\u3400"  # CJK Extension A, then the Unified Ideographs from U+4E00: what the tables cover


def other(script: str) -> str:
    """The other script."""
    return SIMPLIFIED if script == TRADITIONAL else TRADITIONAL


def has_foreign(text: str, script: str) -> bool:
    """Whether `text` has a character that only the other script writes; the tables are made at the first Chinese."""
    # In C: the greatest character (CJK ideographs start at U+3400; a regular expression of them takes
    # milliseconds to compile), then a set (a character class of 3,000 characters is 50 times slower).
    return bool(text) and max(text) >= _FIRST_IDEOGRAPH and not _only_in(other(script)).isdisjoint(text)


def foreign_characters(text: str, script: str) -> str:
    """The characters of `text` that only the other script writes, each once, in order; '' for most texts."""
    if not has_foreign(text, script):
        return ""
    only = _only_in(other(script))
    return "".join(dict.fromkeys(character for character in text if character in only))


def wholly_foreign(text: str, script: str) -> bool:
    """Whether `text` is written in the other script: some of its characters are the other's only, none `script`'s."""
    return bool(foreign_characters(text, script)) and not foreign_characters(text, other(script))


def in_script(text: str, script: str) -> str:
    """`text` converted into `script` by OpenCC, phrase by phrase, as Taiwan writes it (for the advice)."""
    return _converter(_ADVICE[script]).convert(text)


def script_name(script: str) -> str:
    return _NAME[script]


@cache
def _converter(config: str):
    import opencc  # here, not above: a build with nothing to check, or no Chinese, never loads it (30 ms)

    return opencc.OpenCC(config)


@cache
def _only_in(script: str) -> frozenset[str]:
    """The characters only `script` writes: OpenCC maps them to or from the other, whose character set lacks them."""
    return frozenset(character for character in _forms()[script] if not _encodes(character, _CHARSET[other(script)]))


@cache
def _forms() -> dict[str, set[str]]:
    """The ideographs OpenCC's t2s changes (Traditional forms), and what it changes them into (Simplified)."""
    ideographs = [chr(code) for code in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000))]
    # Character by character (one per line, so that no phrase forms): t2s loads its tables in milliseconds.
    simplified = _converter("t2s").convert("\n".join(ideographs)).split("\n")
    changed = [(character, plain) for character, plain in zip(ideographs, simplified, strict=True)
               if plain != character]
    traditional = {character for character, _ in changed}
    return {TRADITIONAL: traditional, SIMPLIFIED: {plain for _, plain in changed} - traditional}


def _encodes(character: str, charset: str) -> bool:
    try:
        character.encode(charset)
    except UnicodeEncodeError:
        return False
    return True
