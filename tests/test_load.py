"""Stage 1, load: every problem in a source file is one located line, found promptly however large the file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from deckbuild.load import load_file

LINE_BREAKS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r", "NEL": "\x85", "LS": "\u2028", "PS": "\u2029"}


def load(data: str | bytes) -> list[str]:
    """Load `data` as the file lesson.yaml; return its problems as printed."""
    problems = []
    load_file(Path("lesson.yaml"), data.encode() if isinstance(data, str) else data, problems)
    return [str(problem) for problem in problems]


def timed_load(data: str | bytes) -> tuple[list[str], float]:
    start = time.perf_counter()
    problems = load(data)
    return problems, time.perf_counter() - start


def quoted_entries(count: int) -> str:
    return "".join(f'  - term: "mot {i}"\n    pos: noun\n    gloss: \'le sens {i}\'\n' for i in range(count))


def test_an_error_below_thousands_of_quoted_values_is_reported_promptly():
    # Finding the quote behind an error once scanned the whole file from every quoted line above it.
    text = "entries:\n" + quoted_entries(8000) + "  - term: fin\n   pos: noun\n"

    problems, seconds = timed_load(text)

    assert problems == ["lesson.yaml:24003:4: invalid YAML: did not find expected '-' indicator (while parsing a "
                        "block collection that starts on line 2); check the indentation: the keys of an entry "
                        "line up under its first key"]
    assert seconds < 2, f"{seconds:.1f} s: reporting must not grow with the square of the file"


@pytest.mark.parametrize("newline", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_a_quote_left_open_far_above_the_error_is_pointed_at(newline):
    body = [f"    swallowed line {i}" for i in range(3000)]
    lines = ["entries:", '  - term: "ouvert', *body, '  - term: "fermé"', "    pos: noun"]

    problems = load(newline.join(lines) + newline)

    assert len(problems) == 1
    assert problems[0].startswith("lesson.yaml:3003:12: invalid YAML: "), problems
    assert problems[0].endswith("the quote opened on line 2 is not closed on its line: close it"), problems


def test_quotes_that_close_nothing_do_not_hide_the_quote_left_open():
    text = 'entries:\n  - term: "ouvert\n    notes: \'cité\' et \\"échappé\\"\n  - term: "x"\n'

    assert load(text) == ["lesson.yaml:4:12: invalid YAML: did not find expected key (while parsing a block mapping "
                          "that starts on line 2); the quote opened on line 2 is not closed on its line: close it"]


@pytest.mark.parametrize("newline", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_a_value_over_several_lines_above_the_error_is_not_blamed(newline):
    lines = ["entries:", '  - term: "deux', '    lignes"', "    pos: noun", "   gloss: mal aligné"]

    problems = load(newline.join(lines) + newline)

    assert len(problems) == 1 and problems[0].startswith("lesson.yaml:5:4: invalid YAML: "), problems
    assert "quote" not in problems[0]


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x9b", "\ufffe"])
@pytest.mark.parametrize("newline", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_a_raw_control_character_is_located_and_named(character, newline):
    lines = ["entries:", "  - term: coqueluche", "    pos: noun", f"    gloss: toux{character}", "    gender: f"]

    problems = load(newline.join(lines) + newline)

    assert problems == [f"lesson.yaml:4:16: expected text, found the character U+{ord(character):04X}, which "
                        "YAML does not allow (an invisible character, often pasted by accident); remove it"]


def test_every_raw_control_character_is_one_located_line():
    text = "entries:\n  - term: a\x01b\x02\n    pos: noun\x1b\n"

    assert load(text) == [
        f"lesson.yaml:{line}:{column}: expected text, found the character U+{code:04X}, which YAML does not allow "
        "(an invisible character, often pasted by accident); remove it"
        for line, column, code in [(2, 12, 0x01), (2, 14, 0x02), (3, 14, 0x1B)]
    ]


def test_a_file_full_of_control_characters_names_a_few_and_counts_the_rest():
    problems = load("entries: " + "\x00" * 100_000 + "\n")

    assert len(problems) == 10
    assert problems[0].startswith("lesson.yaml:1:10: expected text, found the character U+0000")
    assert problems[-1].startswith("lesson.yaml:1:19: ")
    assert problems[-1].endswith("; remove it (and 99990 more in this file)")


def test_tabs_and_line_breaks_where_yaml_allows_them_are_not_control_characters():
    text = 'entries:\r\n  - term: "a\tb"\r  - term: "c\x85d\u2028e"\n  - term: f\u2029'

    assert load(text) == []


@pytest.mark.parametrize("newline", LINE_BREAKS.values(), ids=LINE_BREAKS.keys())
def test_invalid_utf8_is_on_the_line_yaml_counts(newline):
    lines = ["entries:", "  - term: a", "    gloss: b"]
    text = newline.join(lines) + newline

    bad_bytes = load(f"{text}    pos: caf".encode() + b"\xe9\n")
    bad_tab = load(f"{text}\tpos: noun\n")

    assert bad_bytes == ["lesson.yaml:4:13: the file is not valid UTF-8: found byte 0xe9; "
                         "save it with the UTF-8 encoding"]
    assert bad_tab[0].startswith("lesson.yaml:4:1: invalid YAML: found a tab character"), "YAML counts the same"


def test_invalid_utf8_after_a_byte_order_mark_is_located_and_named():
    data = b"\xef\xbb\xbfentries:\r\n  - term: caf\xe9\r\n"

    assert load(data) == ["lesson.yaml:2:14: the file is not valid UTF-8: found byte 0xe9; "
                          "save it with the UTF-8 encoding"]


def test_a_list_nested_100_000_deep_is_refused_promptly_where_it_passes_the_limit():
    depth = 100_000
    problems, seconds = timed_load("entries: " + "[" * depth + "]" * depth + "\n")

    assert problems == ["lesson.yaml:1:73: expected lists and mappings nested at most 64 deep, found one "
                        "nested deeper; a source file needs a few levels: remove the extra nesting"]
    assert seconds < 2, f"{seconds:.1f} s: the parser must stop at the limit"


def test_mappings_nested_past_the_limit_are_located():
    text = "".join(" " * level + f"k{level}:\n" for level in range(70)) + " " * 70 + "end\n"

    assert load(text) == ["lesson.yaml:65:65: expected lists and mappings nested at most 64 deep, found one "
                          "nested deeper; a source file needs a few levels: remove the extra nesting"]


def test_nesting_up_to_the_limit_loads():
    assert load("entries: " + "[" * 63 + "]" * 63 + "\n") == []


def test_a_huge_key_is_refused_and_quoted_short():
    problems, seconds = timed_load("entries:\n  - ? " + "k" * 1_000_000 + "\n    : x\n")

    assert problems == ["lesson.yaml:2:7: expected a key of at most 1024 characters, found one of 1000000 "
                        f"('{'k' * 39}…'); a key is a field name such as 'term'"]
    assert seconds < 2


@pytest.mark.parametrize(("source", "quoted"), [
    ("a: !{long} x\n", "'!" + "k" * 38 + "…'"),
    ("a: !<{long}> x\n", "'" + "k" * 39 + "…'"),
    ("a: &{long} x\nb: *{long}\n", "'*" + "k" * 39 + "…'"),
    ('"{long}": 1\n"{long}": 2\n', "'" + "k" * 39 + "…'"),
    ('"a\\n\\x1b{long}": 1\n"a\\n\\x1b{long}": 2\n', "'a \ufffd" + "k" * 36 + "…'"),
], ids=["tag", "verbatim tag", "alias", "duplicate key", "key with a line break and a control character"])
def test_names_quoted_in_messages_are_clipped_to_one_short_line(source, quoted):
    problems = load(source.format(long="k" * 1000))

    assert len(problems) == 1
    assert quoted in problems[0], problems
    assert "\n" not in problems[0] and len(problems[0]) < 200, problems
