"""Check every value of a lock as it is read: the lock is input too, and a hand-edited one must not reach Anki.

The build writes the lock, but people edit it, merge it and reformat it. A value of the
wrong kind (`"modified": "soon"`, a fraction of a second, a time past year 9999) would
build a package that Anki refuses, or fail deep inside the build: each is refused here,
with the line it stands on.
"""

from __future__ import annotations

import json

from .errors import LockError, Problem, clip
from .formats import Version

MAX_TIME = 253402300799  # 9999-12-31T23:59:59Z: a note's id is its time in ms, and must fit Anki's int64


def conflict_sides(text: str) -> tuple[str, str, int] | None:
    """The two sides of a lock that git left with conflict markers, and the line of the first marker."""
    if "\n<<<<<<< " not in f"\n{text}":
        return None
    sides: tuple[list[str], list[str]] = ([], [])
    into, first = (0, 1), 0  # the sides a line belongs to: both, outside a conflict
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.startswith("<<<<<<< "):
            into, first = (0,), first or number
        elif line.startswith("|||||||"):
            into = ()  # diff3's common ancestor: neither side
        elif line.rstrip("\r\n") == "=======":
            into = (1,)
        elif line.startswith(">>>>>>> "):
            into = (0, 1)
        else:
            for side in into:
                sides[side].append(line)
    return "".join(sides[0]), "".join(sides[1]), first


def time_problem(value: object) -> str | None:
    """What is wrong with a time in the lock (whole seconds since 1970), if anything."""
    if type(value) is not int or not 0 < value <= MAX_TIME:
        return f"expected a whole number of seconds from 1 to {MAX_TIME}, found {_shown(value)}"
    return None


def note_problems(data: object, field_count: int | None) -> list[str]:
    """What is wrong with one note of a lock, as parsed JSON; `field_count`, if known, from the note type."""
    if not isinstance(data, dict):
        return [f"expected a note's record {{\"identity\": …}}, found {_shown(data)}"]
    problems = []
    for key, check in _NOTE_CHECKS.items():
        if key not in data:
            problems.append(f"missing '{key}'")
        elif (problem := check(data[key])) is not None:
            problems.append(f"'{key}': {problem}")
    fields = data.get("fields")
    if field_count is not None and isinstance(fields, list) and len(fields) != field_count:
        problems.append(f"'fields': expected {field_count} fields, as the note type has, found {len(fields)}")
    return problems


def header_problems(data: dict) -> list[tuple[str, str]]:
    """What is wrong with the lock's header keys, as (key, problem)."""
    problems = []
    for key, check in _HEADER_CHECKS.items():
        if key not in data:
            problems.append((key, f"missing '{key}'"))
        elif (problem := check(data[key])) is not None:
            problems.append((key, f"'{key}': {problem}"))
    return problems


def parse_json(text: str, name: str) -> object:
    try:
        return json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", 1)
        raise LockError([Problem(name, line, 0, f"expected JSON as the build writes it, found invalid JSON "
                                                f"({getattr(error, 'msg', error)})")]) from error


def check_header(data: object, name: str, text: str) -> int | None:
    """Check the lock's header keys, raising LockError; return how many fields its note type has."""
    if not isinstance(data, dict):
        raise LockError([Problem(name, 1, 0, f"expected a JSON object, found {clip(json.dumps(data))}")])
    problems = [Problem(name, line_of(text, f'"{key}"'), 0, problem) for key, problem in header_problems(data)]
    if problems:
        raise LockError(problems)
    return len(data["note_type"]["schema"]["fields"]) if data["note_type"] else None


def line_of(text: str, needle: str) -> int:
    """The line where `needle` first stands in `text` (1 if nowhere)."""
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


def _text(value: object) -> str | None:
    return None if isinstance(value, str) and value else f"expected text, found {_shown(value)}"


def _hash(value: object) -> str | None:
    if isinstance(value, str) and value and all(c in "0123456789abcdef" for c in value):
        return None
    return f"expected a hexadecimal hash, found {_shown(value)}"


def _release(value: object) -> str | None:
    if value == "" or (isinstance(value, str) and Version.is_valid(value)):
        return None
    return f"expected \"\" or a version such as \"1.0.0\", found {_shown(value)}"


def _flag(value: object) -> str | None:
    return None if isinstance(value, bool) else f"expected true or false, found {_shown(value)}"


def _shipped(value: object) -> str | None:
    if value is None or (isinstance(value, list) and len(value) == 2 and _hash(value[0]) is None
                         and time_problem(value[1]) is None):
        return None
    return f"expected null or [hash, time], found {_shown(value)}"


def _texts(value: object) -> str | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return None
    return f"expected a list of texts, found {_shown(value)}"


def _major(value: object) -> str | None:
    return None if type(value) is int and 0 <= value < 1 << 31 else f"expected a whole number, found {_shown(value)}"


def _note_type(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"schema", "hash", "modified"}:
        return f"expected {{\"hash\", \"modified\", \"schema\"}}, found {_shown(value)}"
    schema = value["schema"]
    if not isinstance(schema, dict) or set(schema) != {"fields", "card_types"} or any(
            _texts(names) or not names for names in schema.values()):
        return f"'schema': expected lists of field and card-type names, found {_shown(schema)}"
    return _hash(value["hash"]) or time_problem(value["modified"])


def _format(value: object) -> str | None:
    return None if value == 1 and type(value) is int else f"expected 1, found {_shown(value)}"


def _shown(value: object) -> str:
    return clip(json.dumps(value, ensure_ascii=False))


_NOTE_CHECKS = {"identity": _text, "hash": _hash, "added": time_problem, "modified": time_problem,
                "released": _release, "removed": _flag, "shipped": _shipped, "tags": _texts, "fields": _texts}
_HEADER_CHECKS = {"format": _format, "major": _major, "released": _release, "note_type": _note_type}
