"""Stage 1, load, for spreadsheets: a CSV or TSV file read into the nodes a YAML reading file gives.

A header row names the columns with entry keys (term,pos,gender,gloss,…); each row below it
is one entry. Every cell keeps its line and column, so validate.py locates a problem in a
spreadsheet as it does in YAML. Lines above the header that start with `#` hold the file's
settings, the way Anki's own text files carry theirs: `#source:Les Echos, 11 avril 2025`,
`#tags:hangzhou économie`. Files are read as Excel, LibreOffice and Google Sheets write them:
UTF-8 with or without a byte-order mark, or UTF-16 (Excel's "Unicode Text"); CRLF, LF or CR
line ends; cells in double quotes holding delimiters, doubled quotes and line breaks; a comma,
a semicolon (Excel's, where the decimal mark is a comma) or a tab between cells, told from the
header row (a .tsv file always has tabs).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import NamedTuple

from .errors import Problem, clip
from .load import Mapping, Node, Scalar, Sequence

# The entry keys whose value is a list: in a cell, its items are separated by spaces, as Anki
# writes tags. (tests/test_sheet.py checks this against the schema.)
LIST_COLUMNS = ("tags",)
_DELIMITERS = (",", ";", "\t")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_QUOTED = re.compile(r'"([^"]*(?:""[^"]*)*)"')  # unrolled: no backtracking on a quote never closed
_PLAIN = {delimiter: re.compile(f"[^{delimiter}\r\n]*") for delimiter in _DELIMITERS}
_SETTING = re.compile(r"#\s*([A-Za-z_][\w@-]*)\s*:\s*")  # @: a setting for one edition, #source@zh-CN:
_WORD = re.compile(r"\S+")
_TWICE = Scalar(0, 0, "", None, False)  # the key of a column the header names twice, reported once


class Column(Scalar):
    """A column's name in the header row: the key of that column's value in every row."""

    __slots__ = ()


class Cell(NamedTuple):
    """One cell as written: its text (quotes undone, line breaks as \\n), where it starts, whether quoted."""

    text: str
    line: int
    column: int
    quoted: bool

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def read_sheet(name: str, data: bytes, tab_separated: bool, problems: list[Problem]) -> Node | None:
    """Return the file `data` as the mapping a reading file is (settings and `entries:`), or None.

    `name` is the path as messages show it; `tab_separated` for a .tsv file. Problems are
    appended to `problems`; the caller checks the mapping against the schema as for YAML.
    """
    text = _decode(name, data, problems)
    if text is None:
        return None
    settings, at, line = _written_settings(text, name, problems)
    rows = [row for row in _rows(text, "\t" if tab_separated else _delimiter(text), name, problems, at, line)
            if not all(cell.blank for cell in row)]  # spreadsheets export empty rows as ",,,"
    while rows and rows[0][0].text.lstrip().startswith("#"):
        settings.append(_exported_setting(rows.pop(0), name, problems))
    if not rows:
        problems.append(Problem(name, 1, 1, (
            "expected a header row naming the columns with entry keys (term,pos,gender,gloss,…), "
            "found no row; add one, or delete the file")))
        return None
    header, *body = rows
    columns = _columns(header, name, problems)
    root = Mapping(header[0].line, 1)
    root.pairs = [pair for pair in settings if pair is not None]
    entries = Sequence(header[0].line, 1)
    root.pairs.append((Scalar(header[0].line, 1, "entries", None, False), entries))
    entries.items = [_entry(row, columns, name, problems) for row in body]
    return root


def _decode(name: str, data: bytes, problems: list[Problem]) -> str | None:
    """Return `data` as text; if it is neither UTF-8 nor UTF-16 with its mark, append the problem and return None."""
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    body, encoding = (data, "utf-16") if utf16 else (data.removeprefix(codecs.BOM_UTF8), "utf-8")
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as error:
        before = body[: error.start - error.start % 2 if utf16 else error.start].decode(encoding)
        before = before.removeprefix("\ufeff")
        line = 1 + len(_LINE_BREAK.findall(before))
        column = len(before) - max(before.rfind("\n"), before.rfind("\r"))
        if utf16:
            problems.append(Problem(name, line, column, (
                "the file is not valid UTF-16 (Excel's \"Unicode Text\"): a character is broken; save it as "
                "'CSV UTF-8 (Comma delimited)'")))
            return None
        hint = "save it as UTF-8"
        try:
            body.decode("cp950")
            hint = ("it looks like Big5, which Excel writes for 'CSV (Comma delimited)' on Windows set up for "
                    "Taiwan: save it as 'CSV UTF-8 (Comma delimited)' instead")
        except UnicodeDecodeError:
            pass
        problems.append(Problem(name, line, column, (
            f"the file is not valid UTF-8: found byte 0x{body[error.start]:02x}; {hint}")))
        return None


def _delimiter(text: str) -> str:
    """Return the delimiter of a .csv file: the one its header row (the first line not a setting) has most of."""
    header = next((line for line in _LINE_BREAK.split(text)
                   if line.strip() and not line.lstrip().lstrip('"').startswith("#")), "")
    return max(_DELIMITERS, key=header.count)


def _rows(text: str, delimiter: str, name: str, problems: list[Problem], at: int = 0,
          line: int = 1) -> Iterator[list[Cell]]:
    """Yield the rows of `text` from the offset `at` (on `line`), each a list of cells with their lines and columns."""
    plain = _PLAIN[delimiter]
    end, line_start = len(text), at
    row: list[Cell] = []
    while True:
        column = at - line_start + 1
        if text.startswith('"', at):
            quoted = _QUOTED.match(text, at)
            if quoted is None:
                problems.append(Problem(name, line, column, (
                    "this quote is never closed (the file ends first); close it, or write a quote "
                    "inside a quoted cell twice (\"\")")))
                return
            body = quoted.group(1)
            row.append(Cell(_LINE_BREAK.sub("\n", body.replace('""', '"')), line, column, True))
            breaks = [found.end() for found in _LINE_BREAK.finditer(body)]
            if breaks:
                line, line_start = line + len(breaks), at + 1 + breaks[-1]
            at = quoted.end()
            if at < end and text[at] not in (delimiter, "\r", "\n"):
                problems.append(Problem(name, line, at - line_start + 1, (
                    f"expected {_named(delimiter)} or the end of the line after the closing quote, found "
                    f"'{clip(text[at])}'; a quote inside a quoted cell is written twice (\"\")")))
                at = plain.match(text, at).end()
        else:
            cell = plain.match(text, at)
            row.append(Cell(cell.group(), line, column, False))
            at = cell.end()
        if at >= end:
            yield row
            return
        if text[at] == delimiter:
            at += 1
            continue
        at = _LINE_BREAK.match(text, at).end()
        line, line_start = line + 1, at
        yield row
        row = []
        if at >= end:
            return


def _named(delimiter: str) -> str:
    return {",": "a comma", ";": "a semicolon", "\t": "a tab"}[delimiter]


def _written_settings(text: str, name: str, problems: list[Problem]) -> tuple[list[tuple[Scalar, Node]], int, int]:
    """Read the `#key: value` lines typed at the top of `text`; return them, and the offset and line after them.

    A line typed by hand holds the whole value to its end, delimiters included (`#source: Le Monde,
    2025`); delimiters a spreadsheet adds at its end are dropped, and quotes around the value.
    """
    pairs, at, line = [], 0, 1
    while text.startswith("#", at):
        ends = _LINE_BREAK.search(text, at)
        end, after = (ends.start(), ends.end()) if ends else (len(text), len(text))
        pair = _setting(text[at:end].rstrip().rstrip(",;\t").rstrip(), line, 1, name, problems)
        if pair is not None:
            pairs.append(pair)
        at, line = after, line + 1
    return pairs, at, line


def _setting(text: str, line: int, column: int, name: str, problems: list[Problem]) -> tuple[Scalar, Node] | None:
    """Return the key and value of the setting `text` (`#key: value`, at `line` and `column`), or report it."""
    setting = _SETTING.match(text)
    if setting is None:
        problems.append(Problem(name, line, column, (
            f"expected a setting such as '#source: …' or '#tags: …' above the header row, found "
            f"'{clip(text.strip())}'; write it as #key: value")))
        return None
    key = Scalar(line, column + setting.start(1), setting.group(1), None, False)
    if key.value == "entries":
        problems.append(Problem(name, line, key.column, (
            "'entries' is not a setting: the entries are the rows below the header row; remove this line")))
        return None
    value = Cell(text[setting.end():], line, column + setting.end(), False)
    if len(value.text) > 1 and value.text[0] == value.text[-1] == '"':
        value = value._replace(text=value.text[1:-1].replace('""', '"'), column=value.column + 1)
    return key, _value(value, key.value in LIST_COLUMNS)


def _exported_setting(row: list[Cell], name: str, problems: list[Problem]) -> tuple[Scalar, Node] | None:
    """Return the setting of a row a spreadsheet exported (`"#source: Le Monde, 2025",,,`), or report it."""
    first, *rest = row
    if extra := next((cell for cell in rest if not cell.blank), None):
        problems.append(Problem(name, extra.line, extra.column, (
            "expected a setting in one cell, found more text in the next one: put the whole "
            "value in the first cell")))
        return None
    return _setting(first.text, first.line, first.column + int(first.quoted), name, problems)


def _columns(header: list[Cell], name: str, problems: list[Problem]) -> list[Scalar | None]:
    """Return the key of each column (None where the header cell is blank); report a key written twice."""
    columns: list[Scalar | None] = []  # a column named twice: _TWICE, its values not read
    seen: dict[str, Scalar] = {}
    for cell in header:
        key = None if cell.blank else Column(cell.line, cell.column, cell.text.strip(), None, False)
        if key is not None and key.value in seen:
            problems.append(Problem(name, cell.line, cell.column, (
                f"the column '{clip(key.value)}' is in the header row twice (first at column "
                f"{seen[key.value].column}); keep one")))
            key = _TWICE
        elif key is not None:
            seen[key.value] = key
        columns.append(key)
    return columns


def _entry(row: list[Cell], columns: list[Scalar | None], name: str, problems: list[Problem]) -> Mapping:
    """Return the entry of a row below the header: its cells under the keys of their columns."""
    entry = Mapping(row[0].line, 1)
    for index, cell in enumerate(row):
        key = columns[index] if index < len(columns) else None
        if key is _TWICE:
            continue
        if key is not None:
            entry.pairs.append((key, _value(cell, key.value in LIST_COLUMNS)))
        elif not cell.blank:
            where = "beyond the last column of the header row" if index >= len(columns) else "under a blank header"
            problems.append(Problem(name, cell.line, cell.column, (
                f"expected no value {where}, found '{clip(cell.text.strip())}'; name the column in the header "
                "row, or move the value into a named column")))
    return entry


def _value(cell: Cell, is_list: bool) -> Node:
    """Return the node of a cell's value: its text, or for a list column the list of its words."""
    if not is_list:
        return Scalar(cell.line, cell.column, cell.text, None, cell.blank)
    items = Sequence(cell.line, cell.column)
    start = cell.column + int(cell.quoted)
    items.items = [Scalar(cell.line, start + word.start() if "\n" not in cell.text[: word.start()] else cell.column,
                          word.group(), None, False) for word in _WORD.finditer(cell.text)]
    return items
