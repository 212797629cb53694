"""Stage 1, load: read every source file and parse it into a tree of nodes.

Nodes, not Python objects: they keep the line and column of every key and value, so
later stages can say exactly where a problem is. The tree is built from libyaml's
events, which is twice as fast as PyYAML's own composer and lets the checks happen
on the way: only plain YAML gets through, with no aliases (a "billion laughs" file
cannot expand), no `!!python/...` or other tags, no key written twice in one mapping,
nothing nested deeper than any source needs. Lines are counted as YAML counts them,
so every problem, found by the parser or here, points at the same place.
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from yaml import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .errors import Problem, SourceError, clip, display_path

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser, where installed

MANIFEST_NAME = "deck.yaml"
MEDIA_DIR = "media"
SHEET_SUFFIXES = (".csv", ".tsv")  # spreadsheets, read by sheet.py into the same nodes
READ_SUFFIXES = (".yaml", ".yml", *SHEET_SUFFIXES)  # .yml is refused, with a message
_WORKBOOKS = (".xlsx", ".xls", ".ods", ".numbers")  # spreadsheets saved as such, not exported
MAX_DEPTH = 64  # lists and mappings inside each other; a source file needs 4
MAX_KEY_LENGTH = 1024  # as YAML limits a key written without '?'; a field name is far shorter
_STANDARD_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STANDARD_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")}
_NULLS = {"", "~", "null", "Null", "NULL"}
_INTEGER = re.compile(r"[-+]?[0-9][0-9_]*")
# What YAML 1.1 allows in a file, as libyaml's reader checks it: tab, line breaks and printable characters.
_NOT_ALLOWED = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NODE_EVENTS = frozenset({ScalarEvent, MappingStartEvent, SequenceStartEvent, AliasEvent})  # the events of values
_LINE_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")  # YAML 1.1's, as libyaml counts them; "\r\n" is one
_LISTED = 10  # characters YAML does not allow, located one by one; the rest of them are counted
_TOO_DEEP = (f"expected lists and mappings nested at most {MAX_DEPTH} deep, found one nested deeper; "
             "a source file needs a few levels: remove the extra nesting")
_HINTS = {
    "tab character": "indent with spaces; YAML does not allow tabs",
    "'\\t'": "indent with spaces; YAML does not allow tabs",
    "mapping values are not allowed": "line this key up with the keys above it; a value that contains ': ' "
                                      "goes in quotes",
    "could not find expected ':'": "every key needs a ':' after it; check the indentation of this line",
    "expected <block end>": "check that this line is indented like the lines of the same level",
    "expected '-' indicator": "check the indentation: the keys of an entry line up under its first key",
    "did not find expected key": "check the indentation: the keys of an entry line up under its first key",
}


class Node:
    """A value in a source file, with its line and column (from 1)."""

    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int):
        self.line, self.column = line, column


class Scalar(Node):
    """A piece of text, as written; `plain` when unquoted and untagged, so YAML would guess its type."""

    __slots__ = ("plain", "tag", "value")

    def __init__(self, line: int, column: int, value: str, tag: str | None, plain: bool):
        # Set here rather than by Node.__init__: a big deck has a million of these, and the call costs a fifth.
        self.line, self.column, self.value, self.tag, self.plain = line, column, value, tag, plain

    @property
    def is_null(self) -> bool:
        return self.tag == _STANDARD_TAG + "null" or (self.plain and self.value in _NULLS)

    @property
    def is_integer(self) -> bool:
        return self.tag == _STANDARD_TAG + "int" or (self.plain and _INTEGER.fullmatch(self.value) is not None)


class Sequence(Node):
    """A list."""

    __slots__ = ("items",)

    def __init__(self, line: int, column: int):
        super().__init__(line, column)
        self.items: list[Node] = []


class Mapping(Node):
    """A mapping of plain-text keys to values, in the order written."""

    __slots__ = ("pairs",)

    def __init__(self, line: int, column: int):
        super().__init__(line, column)
        self.pairs: list[tuple[Scalar, Node]] = []


@dataclass(frozen=True)
class SourceFile:
    """One parsed source file: where it is, and its top node (None when it is empty)."""

    path: Path
    name: str  # the path as shown in messages
    root: Node | None


def source_paths(source_dir: Path) -> tuple[Path, list[Path]]:
    """Return the manifest path and the sorted paths of the reading files under `source_dir`.

    Reading files are the YAML and spreadsheet files outside media/, hidden ones aside.
    """
    manifest = source_dir / MANIFEST_NAME
    readings = [path for path in _files(source_dir) if path != manifest and _is_reading(path, source_dir)]
    return manifest, readings


def _files(source_dir: Path) -> list[Path]:
    """Return the files under `source_dir`, in the order of their paths."""
    return sorted((path for path in source_dir.rglob("*") if path.is_file()),
                  key=lambda path: path.relative_to(source_dir).as_posix())


def _is_reading(path: Path, source_dir: Path) -> bool:
    relative = path.relative_to(source_dir).parts
    return (path.suffix.lower() in READ_SUFFIXES and relative[0] != MEDIA_DIR
            and not any(part.startswith(".") for part in relative))


def unread_files(source_dir: Path, locks: list[str] = ()) -> list[Problem]:
    """Warn of each file under `source_dir` that the build does not read: nothing is ignored silently.

    Read are deck.yaml, the reading files (.yaml, .csv, .tsv; .yml is refused), the lock and
    the other editions' `locks`, and what is under media/; hidden files (.DS_Store, editors'
    backups) are no one's content.
    """
    read = {MANIFEST_NAME, "deck.lock", *locks}
    warnings = []
    for path in _files(source_dir):
        relative = path.relative_to(source_dir)
        if (_is_reading(path, source_dir) or relative.as_posix() in read
                or relative.parts[0] == MEDIA_DIR or any(part.startswith(".") for part in relative.parts)):
            continue
        hint = ("export it from the spreadsheet as CSV (UTF-8) into source/" if path.suffix.lower() in _WORKBOOKS
                else "entries go in .yaml, .csv or .tsv files, pictures and recordings under media/")
        warnings.append(Problem(display_path(path), 0, 0, (
            f"warning: the build does not read {path.suffix or 'such'} files: this one is left out of the deck; "
            f"{hint}")))
    return warnings


def media_file(source_dir: Path, value: str) -> Path | None:
    """The file under source_dir/media/ that `value` names, if there is one.

    Names are compared in NFC, as the sources are read: a file saved by macOS, whose name is
    in NFD, is found under the name a person typed.
    """
    path = source_dir / MEDIA_DIR
    for part in PurePosixPath(value).parts:
        if (path / part).exists():
            path = path / part
            continue
        wanted = unicodedata.normalize("NFC", part)
        try:
            path = next(child for child in path.iterdir() if unicodedata.normalize("NFC", child.name) == wanted)
        except (OSError, StopIteration):
            return None
    return path if path.is_file() else None


def check_source_dir(source_dir: Path) -> tuple[Path, list[Path]]:
    """Return the manifest and the reading files of `source_dir`, or raise SourceError if it has none."""
    if not source_dir.is_dir():
        raise SourceError([Problem(display_path(source_dir), 1, 1, "the source directory does not exist")])
    manifest, readings = source_paths(source_dir)
    if not manifest.is_file():
        raise SourceError([Problem(display_path(manifest), 1, 1, (
            "the deck manifest is missing; create it with name, version, deck_id and model_id"))])
    return manifest, readings


def load_file(path: Path, data: bytes, problems: list[Problem]) -> SourceFile | None:
    """Parse the bytes `data` of the file `path`; on failure append its problems and return None."""
    name = display_path(path)
    if path.suffix.lower() in SHEET_SUFFIXES:
        from .sheet import read_sheet  # here: sheet.py builds this module's nodes

        root = read_sheet(name, data, path.suffix.lower() == ".tsv", problems)
        return None if root is None else SourceFile(path, name, root)
    if path.suffix.lower() == ".yml":
        problems.append(Problem(name, 1, 1, "source files must end in '.yaml', found '.yml'; rename the file"))
        return None
    text = _decode(name, data, problems)
    if text is None:
        return None
    found = len(problems)
    try:
        parser = Loader(text)
        try:  # the parser's events as it makes them: yaml.parse's generator would take as long again
            root = _compose(iter(parser.get_event, None), name, problems)
        finally:
            parser.dispose()
    except yaml.MarkedYAMLError as error:
        problems.append(_yaml_problem(name, error, text))
        return None
    except yaml.YAMLError as error:  # unmarked, only reader errors: a character YAML does not allow, by offset
        problems.extend(_not_allowed(name, text) or [Problem(name, 1, 1, f"invalid YAML: {clip(str(error), 200)}")])
        return None
    return SourceFile(path, name, root) if len(problems) == found else None


def _decode(name: str, data: bytes, problems: list[Problem]) -> str | None:
    """Return `data` as text; if it is not UTF-8, append the problem and return None."""
    # A byte-order mark, as some editors write, is fine; it is not part of the first line.
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        before = body[: error.start].decode("utf-8")
        line, column = next(_positions(before, [len(before)]))
        problems.append(Problem(name, line, column, (
            f"the file is not valid UTF-8: found byte 0x{body[error.start]:02x}; save it with the UTF-8 encoding")))
        return None


def _not_allowed(name: str, text: str) -> list[Problem]:
    """Return a problem for each of the first characters of `text` that YAML does not allow."""
    offsets = [match.start() for match in itertools.islice(_NOT_ALLOWED.finditer(text), _LISTED)]
    problems = [Problem(name, line, column, (
        f"expected text, found the character U+{ord(text[offset]):04X}, which YAML does not allow "
        "(an invisible character, often pasted by accident); remove it"))
        for offset, (line, column) in zip(offsets, _positions(text, offsets), strict=True)]
    more = _NOT_ALLOWED.subn("", text)[1] - len(offsets)  # counted in C: a file may hold millions
    if more:
        problems[-1] = problems[-1]._replace(message=f"{problems[-1].message} (and {more} more in this file)")
    return problems


def _positions(text: str, offsets: list[int]) -> Iterator[tuple[int, int]]:
    """Yield the line and column (from 1) of each of the increasing `offsets` of `text`, as YAML counts them."""
    line, line_start, done = 1, 0, 0
    for offset in offsets:  # str.count and str.rfind, not a loop over lines: a file may be 50 MB
        line += sum(text.count(end, done, offset) for end in _LINE_BREAKS) - text.count("\r\n", done, offset)
        line_start = max(line_start, *(text.rfind(end, done, offset) + 1 for end in _LINE_BREAKS))
        done = offset
        yield line, offset - line_start + 1


def _compose(events, name: str, problems: list[Problem]) -> Node | None:
    """Build the node tree from parser events, without recursion, checking as it goes."""
    root: Node | None = None
    stack: list[tuple[Node, dict[str, Scalar] | None]] = []  # open lists and mappings, with their keys
    key: Scalar | None = None  # a mapping key waiting for its value
    aliases: list[tuple[int, int, str]] = []

    def report(line: int, column: int, message: str) -> None:
        problems.append(Problem(name, line, column, message))

    for event in events:
        kind = type(event)
        if kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
            continue
        if kind is DocumentStartEvent and root is not None:
            report(event.start_mark.line + 1, event.start_mark.column + 1,
                   "a second YAML document ('---') in one file; keep one document per file")
            return None
        if kind not in _NODE_EVENTS:
            continue
        mark = event.start_mark
        line, column = mark.line + 1, mark.column + 1
        if len(stack) >= MAX_DEPTH and (kind is MappingStartEvent or kind is SequenceStartEvent):
            report(line, column, _TOO_DEEP)
            return None  # at once: libyaml takes time growing with the square of the depth to go deeper
        tag = None if kind is AliasEvent or event.tag == "!" else event.tag
        if tag is not None and tag not in _ALLOWED_TAGS:
            report(line, column, f"the tag '{clip(tag.replace(_STANDARD_TAG, '!!'))}' is not allowed; "
                                 "source files hold plain text, lists and mappings: remove the tag")
        if kind is AliasEvent:  # never expanded: stands as an empty value, reported below
            aliases.append((line, column, event.anchor))
            node: Node = Scalar(line, column, "", None, True)
        elif kind is ScalarEvent:
            node = Scalar(line, column, event.value, tag, tag is None and event.implicit[0])
        elif kind is MappingStartEvent:
            node = Mapping(line, column)
        else:
            node = Sequence(line, column)
        if not stack:
            root = node
        else:
            parent, keys = stack[-1]
            if keys is None:
                parent.items.append(node)
            elif key is not None:
                parent.pairs.append((key, node))
                key = None
            elif not isinstance(node, Scalar):
                report(line, column, "a key must be plain text, found a list or mapping")
                key = Scalar(line, column, "", None, True)
            elif len(node.value) > MAX_KEY_LENGTH or node.value in keys:
                report(line, column, _key_problem(node, keys))
                key = node  # its value is read, then ignored by the checks that follow
            else:
                keys[node.value] = key = node
        if kind is MappingStartEvent:
            stack.append((node, {}))
        elif kind is SequenceStartEvent:
            stack.append((node, None))
    if aliases:
        line, column, anchor = aliases[0]
        more = f" (and {len(aliases) - 1} more in this file)" if len(aliases) > 1 else ""
        report(line, column, f"YAML aliases are not supported, found '*{clip(anchor)}'{more}; write the values out")
    return root


def _key_problem(key: Scalar, keys: dict[str, Scalar]) -> str:
    """Say what is wrong with a mapping key that is too long or written twice."""
    if len(key.value) > MAX_KEY_LENGTH:
        return (f"expected a key of at most {MAX_KEY_LENGTH} characters, found one of {len(key.value)} "
                f"('{clip(key.value)}'); a key is a field name such as 'term'")
    return (f"the key '{clip(key.value)}' is written twice in this mapping "
            f"(first on line {keys[key.value].line}); keep one")


def _yaml_problem(name: str, error: yaml.MarkedYAMLError, text: str) -> Problem:
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    # A quote never closed runs to the end of the file: point at where it opened.
    at_end = "end of stream" in problem and error.context_mark is not None
    mark = error.context_mark if at_end else (error.problem_mark or error.context_mark)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    if at_end and "quoted scalar" in context:
        return Problem(name, line, column, "invalid YAML: this quote is never closed (the file ends first); close it")
    if context and error.context_mark and error.context_mark.line != mark.line:
        context += f" that starts on line {error.context_mark.line + 1}"
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    # The mark's index counts characters, as str does: its line starts `column` characters before it.
    opened = None if at_end or mark is None else _unclosed_quote(text, mark.index - mark.column)
    hint = (f"the quote opened on line {opened} is not closed on its line: close it" if opened
            else next((h for k, h in _HINTS.items() if k in f"{problem} {context}"), None))
    return Problem(name, line, column, message + (f"; {hint}" if hint else ""))


def _unclosed_quote(text: str, error_start: int) -> int | None:
    """Return the line where a value opens a quote still open at the line starting at `error_start`, if any.

    YAML lets a quoted value run over several lines, so a forgotten closing quote swallows
    the lines after it and the parser fails far below: this finds where it was opened.
    """
    # Nothing between such a quote and the error could close it, so it is the last quote
    # before the error: found from the end in C, where walking up the lines took minutes.
    last = (_last_closing(text, quote, error_start) for quote in "\"'")
    opened = [at for at in last if at >= 0 and _opens_value(text, at)]
    return next(_positions(text, [max(opened)]))[0] if opened else None


def _last_closing(text: str, quote: str, end: int) -> int:
    """Return the offset of the last quote before `end` that would close a value opened with it, or -1."""
    at = text.rfind(quote, 0, end)
    while quote == '"' and at > 0 and text[at - 1] == "\\":  # an escaped '"' closes nothing
        at = text.rfind(quote, 0, at)
    return at


def _opens_value(text: str, at: int) -> bool:
    """Tell whether the quote at offset `at` opens the value of its line."""
    value = _QUOTED_VALUE.match(text, max(text.rfind(end, 0, at) for end in _LINE_BREAKS) + 1)
    return value is not None and value.start(1) == at


_QUOTED_VALUE = re.compile(r"""[ \t]*(?:-\s+)?(?:[^\s:#'"][^:#]*:\s+)?(["'])""")
