"""Stage 1, load: every problem in a source file is one located line, found promptly however large the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuild.load import load_file

LINE_BREAKS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r", "NEL": "\x85", "LS": "\u2028", "PS": "\u2029"}


def load(data: str | bytes) -> list[str]:
    """Load `data` as the file lesson.yaml; return its problems as printed."""
    problems = []
    load_file(Path("lesson.yaml"), data.encode() if isinstance(data, str) else data, problems)
    return [str(problem) for problem in problems]


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
