"""Stage 1, load: read every source file and parse it into a YAML node tree.

Nodes, not Python objects: they keep the line and column of every key and value, so
later stages can say exactly where a problem is. Only plain YAML gets through:
no aliases (a "billion laughs" file cannot expand), no `!!python/...` or other tags,
no key written twice in one mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem, SourceError, display_path

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser is ~4x faster

MANIFEST_NAME = "deck.yaml"
MEDIA_DIR = "media"
_ALLOWED_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}
_HINTS = {
    "tab character": "indent with spaces; YAML does not allow tabs",
    "'\\t'": "indent with spaces; YAML does not allow tabs",
    "quoted scalar": "close the quotes",
    "mapping values are not allowed": "put a value that contains ': ' in quotes",
    "could not find expected ':'": "every key needs a ':' after it; check the indentation of this line",
    "found undefined alias": "aliases (*name) are not supported; write the value out",
    "expected <block end>": "check that this line is indented like the lines of the same level",
}


@dataclass(frozen=True)
class SourceFile:
    """One parsed source file: where it is, and its top node (None when it is empty)."""

    path: Path
    name: str  # the path as shown in messages
    root: Node | None


def source_paths(source_dir: Path) -> tuple[Path, list[Path]]:
    """Return the manifest path and the sorted paths of the reading files under `source_dir`."""
    manifest = source_dir / MANIFEST_NAME
    readings = sorted(
        (p for p in source_dir.rglob("*.y*ml") if p != manifest and p.is_file()),
        key=lambda p: p.relative_to(source_dir).as_posix(),
    )
    return manifest, readings


def load_file(path: Path, problems: list[Problem]) -> SourceFile | None:
    """Parse one file; on failure append its problems and return None."""
    name = display_path(path)
    if path.suffix == ".yml":
        problems.append(Problem(name, 1, 1, "source files must end in '.yaml', found '.yml'; rename the file"))
        return None
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, as some editors write, is fine
    except UnicodeDecodeError as error:
        line, column = _position_of_byte(data, error.start)
        problems.append(Problem(name, line, column, (
            f"the file is not valid UTF-8: found byte 0x{data[error.start]:02x}; "
            "save it with the UTF-8 encoding")))
        return None
    try:
        root = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as error:
        problems.append(_yaml_problem(name, error))
        return None
    except yaml.YAMLError as error:  # unmarked: only reader errors (control characters)
        problems.append(Problem(name, 1, 1, f"invalid YAML: {error}"))
        return None
    found = len(problems)
    if root is not None:
        _check_plain_yaml(name, root, text, problems)
    return SourceFile(path, name, root) if len(problems) == found else None


def load(source_dir: Path) -> tuple[SourceFile | None, list[SourceFile]]:
    """Parse the manifest and every reading file under `source_dir`, or raise SourceError."""
    problems: list[Problem] = []
    if not source_dir.is_dir():
        raise SourceError([Problem(display_path(source_dir), 1, 1, "the source directory does not exist")])
    manifest_path, reading_paths = source_paths(source_dir)
    if not manifest_path.is_file():
        problems.append(Problem(display_path(manifest_path), 1, 1, (
            "the deck manifest is missing; create it with name, version, deck_id and model_id")))
        manifest = None
    else:
        manifest = load_file(manifest_path, problems)
    readings = [f for f in (load_file(p, problems) for p in reading_paths) if f is not None]
    if problems:
        raise SourceError(problems)
    return manifest, readings


def _check_plain_yaml(name: str, root: Node, text: str, problems: list[Problem]) -> None:
    """Reject aliases, tags and repeated keys; walk without recursion so depth cannot crash."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            problems.append(_alias_problem(name, text))
            return
        seen.add(id(node))
        if node.tag not in _ALLOWED_TAGS:
            line, column = _mark(node)
            problems.append(Problem(name, line, column, (
                f"the tag '{_short_tag(node.tag)}' is not allowed; "
                "source files hold plain text, lists and mappings: remove the tag")))
            continue
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            _check_keys(name, node, problems)
            for key, value in node.value:
                stack.extend((key, value))


def _check_keys(name: str, node: MappingNode, problems: list[Problem]) -> None:
    first_seen: dict[str, ScalarNode] = {}
    for key, _ in node.value:
        if not isinstance(key, ScalarNode):
            line, column = _mark(key)
            problems.append(Problem(name, line, column, "a key must be plain text, found a list or mapping"))
            continue
        if key.value in first_seen:
            line, column = _mark(key)
            earlier, _ = _mark(first_seen[key.value])
            problems.append(Problem(name, line, column, (
                f"the key '{key.value}' is written twice in this mapping (first on line {earlier}); "
                "keep one")))
        else:
            first_seen[key.value] = key


def _alias_problem(name: str, text: str) -> Problem:
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.AliasEvent):
            line, column = event.start_mark.line + 1, event.start_mark.column + 1
            return Problem(name, line, column, (
                f"YAML aliases are not supported, found '*{event.anchor}'; write the value out"))
    return Problem(name, 1, 1, "YAML aliases are not supported; write the value out")


def _yaml_problem(name: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    if context and error.context_mark and error.context_mark.line != mark.line:
        context += f" that starts on line {error.context_mark.line + 1}"
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    hint = next((h for k, h in _HINTS.items() if k in f"{problem} {context}"), None)
    return Problem(name, line, column, message + (f"; {hint}" if hint else ""))


def _position_of_byte(data: bytes, offset: int) -> tuple[int, int]:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1
