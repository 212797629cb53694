"""Spreadsheets as sources: CSV and TSV files exported by Excel, LibreOffice and Google Sheets build like YAML."""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deckbuild.keys import ListType
from deckbuild.load import load_file
from deckbuild.schema import ENTRY_KEYS
from deckbuild.sheet import LIST_COLUMNS, _rows
from deckbuild.validate import validate_reading
from tests.helpers import PACKAGE, sha256

HEADER = ["term", "pos", "gender", "gloss", "example", "example_gloss", "aspirated_h", "tags"]
ROWS = [
    ["fenêtre", "noun", "f", "窗戶", "Elle ouvre la fenêtre, puis sourit.", "她打開窗戶，然後微笑。", "", "maison"],
    ["hibou", "noun", "m", "貓頭鷹", 'Un "hibou" chante.\nLa nuit tombe.', "", "TRUE", "animal nuit"],
    ["", "", "", "", "", "", "", ""],  # spreadsheets export the empty rows below a table
]


def spreadsheet(delimiter: str = ",", line_end: str = "\r\n", settings: tuple[str, ...] = ()) -> str:
    """Write ROWS as a spreadsheet exports them: settings in first cells above the header, cells quoted as needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=line_end)
    for setting in settings:
        writer.writerow([setting] + [""] * (len(HEADER) - 1))
    writer.writerows([HEADER, *ROWS])
    return out.getvalue()


def text_of(field: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", field))


EXPORTS = {
    # Excel's "CSV UTF-8 (Comma delimited)": a byte-order mark, CRLF.
    "excel.csv": codecs.BOM_UTF8 + spreadsheet(settings=("#source: Le Monde, 3 mai 2025", "#tags: lesson-2")).encode(),
    # Excel where the decimal mark is a comma (France, Taiwan's French teachers' laptops): semicolons.
    "excel-fr.csv": spreadsheet(";", settings=("#tags: lesson-2",)).encode(),
    # LibreOffice's and Google Sheets' defaults: LF, no mark; the settings typed by hand in an editor.
    "libreoffice.csv": ("#source: Le Monde, 3 mai 2025\n#tags: lesson-2\n" + spreadsheet(line_end="\n")).encode(),
    # Tab-separated, and Excel's "Unicode Text" (UTF-16 with its mark, tabs).
    "sheet.tsv": spreadsheet("\t").encode(),
    "unicode.tsv": spreadsheet("\t", settings=("#tags: lesson-2",)).encode("utf-16"),
}


@pytest.mark.parametrize("name", EXPORTS)
def test_a_spreadsheet_export_builds_and_its_entries_arrive_in_anki(name, cli, project, collection):
    Path("source", name).write_bytes(EXPORTS[name])

    result = cli("build")

    assert result.exit_code == 0, result.output
    assert "does not read" not in result.stderr
    collection.import_package(PACKAGE)
    fenetre, hibou = collection.note("fenêtre"), collection.note("hibou")
    assert fenetre["Gloss"] == "窗戶"
    assert "Elle ouvre la fenêtre, puis sourit." in text_of(fenetre["Example"])
    example = text_of(hibou["Example"])
    assert 'Un "hibou" chante.' in example and "La nuit tombe." in example, "quotes and line breaks in a cell"
    assert hibou["Definite"] == "le\u00a0hibou", "aspirated_h TRUE, as spreadsheets write it: no elision"
    assert set(hibou.tags) >= {"animal", "nuit"}
    written = EXPORTS[name].decode("utf-16" if name == "unicode.tsv" else "utf-8-sig")
    if "#tags" in written:
        assert "lesson-2" in fenetre.tags and "les-echos" not in fenetre.tags, "the file's own tags"
    if "#source" in written:
        assert "Le Monde, 3 mai 2025" in fenetre["Source"]
    assert "coqueluche" in collection.notes(), "the YAML files of the deck build beside it"


def test_new_cards_come_in_row_order_after_the_files_before_it_by_name(cli, project, collection):
    Path("source/zz-words.csv").write_text("term,pos,gloss\nb-mot,adverb,乙\na-mot,adverb,甲\n", encoding="utf-8")

    assert cli("build").exit_code == 0
    collection.import_package(PACKAGE)
    due = {term: min(card.due for card in collection.cards_of(term).values())
           for term in ("coqueluche", "b-mot", "a-mot")}
    assert due["coqueluche"] < due["b-mot"] < due["a-mot"]


def problems_of(name: str, data: str | bytes) -> list[str]:
    """Load the file `data` as source/`name` and validate it as a build does; return the problems as printed."""
    problems = []
    source = load_file(Path("source", name), data.encode() if isinstance(data, str) else data, problems)
    if source is not None:
        validate_reading(source, Path("source"), problems)
    return [str(problem) for problem in problems]


HEAD = "term,pos,gender,gloss\r\n"
# (file name, content, the one located line expected): each a mistake a teacher's spreadsheet can hold.
MISTAKES = [
    ("words.csv", HEAD + "fenêtre,noun,f,窗戶\r\nbanque,noun,x,銀行\r\n",
     "source/words.csv:3:13: entry 'banque', field 'gender': expected m, f or mf, found 'x'"),
    ("words.csv", HEAD + "banque,noun,f,\r\n",
     "source/words.csv:2:15: entry 'banque', field 'gloss': expected text, found an empty value"),
    ("words.csv", HEAD + "banque,noun,f\r\n",
     "source/words.csv:2:1: entry 'banque': missing field 'gloss' (the meaning, in the learner's language)"),
    ("words.csv", "term,pos,gendre,gloss\nbanque,noun,f,銀行\nchat,noun,m,貓\n",
     "source/words.csv:1:10: the header row: unknown field 'gendre'; did you mean 'gender'?"),
    ("words.csv", HEAD + "banque,noun,f,銀行,en trop\n",
     "source/words.csv:2:18: expected no value beyond the last column of the header row, found 'en trop'; "
     "name the column in the header row, or move the value into a named column"),
    ("words.csv", "term,pos,,gloss\nbanque,adverb,x,銀行\n",
     "source/words.csv:2:15: expected no value under a blank header, found 'x'; name the column in the header "
     "row, or move the value into a named column"),
    ("words.csv", "term,pos,gloss,term\nbanque,adverb,銀行,x\n",
     "source/words.csv:1:16: the column 'term' is in the header row twice (first at column 1); keep one"),
    ("words.csv", HEAD + 'banque,noun,f,"銀行\nla nuit\n',
     'source/words.csv:2:15: this quote is never closed (the file ends first); close it, or write a quote '
     'inside a quoted cell twice ("")'),
    ("words.csv", HEAD + 'banque,noun,f,"銀行"x\n',
     'source/words.csv:2:19: expected a comma or the end of the line after the closing quote, found \'x\'; '
     'a quote inside a quoted cell is written twice ("")'),
    ("words.csv", "#source Le Monde\n" + HEAD,
     "source/words.csv:1:1: expected a setting such as '#source: …' or '#tags: …' above the header row, found "
     "'#source Le Monde'; write it as #key: value"),
    ("words.csv", "#sources: Le Monde\n" + HEAD + "banque,noun,f,銀行\n",
     "source/words.csv:1:2: file: unknown field 'sources'; did you mean 'source'?"),
    ("words.csv", '"#tags: a","b",,\n' + HEAD,
     "source/words.csv:1:12: expected a setting in one cell, found more text in the next one: put the whole value "
     "in the first cell"),
    ("words.csv", "#tags: a b\"c\n" + HEAD,
     "source/words.csv:1:10: file, field 'tags': expected a tag without spaces or quotes, found 'b\"c'"),
    ("words.csv", "#entries: x\n" + HEAD,
     "source/words.csv:1:2: 'entries' is not a setting: the entries are the rows below the header row; "
     "remove this line"),
    ("words.csv", "", "source/words.csv:1:1: expected a header row naming the columns with entry keys "
                      "(term,pos,gender,gloss,…), found no row; add one, or delete the file"),
    ("words.tsv", "term\tpos\tgender\tgloss\nbanque\tnoun\tf\t銀行\tx\n",
     "source/words.tsv:2:18: expected no value beyond the last column of the header row, found 'x'; "
     "name the column in the header row, or move the value into a named column"),
    ("words.csv", HEAD + 'hibou,noun,m,貓頭鷹\n"élève",noun,mf,"學生,\n""好""學生"\nchat,noun,chat,貓\n',
     "source/words.csv:5:11: entry 'chat', field 'gender': expected m, f or mf, found 'chat'"),
]


@pytest.mark.parametrize(("name", "content", "expected"), MISTAKES, ids=[m[2].split(": ", 1)[1][:50] for m in MISTAKES])
def test_each_mistake_in_a_spreadsheet_is_one_located_line(name, content, expected):
    assert problems_of(name, content) == [expected]


def test_a_file_saved_in_big5_is_told_how_excel_saves_utf8():
    data = (HEAD + "banque,noun,f,銀行\n").encode("cp950")

    assert problems_of("words.csv", data) == [
        "source/words.csv:2:15: the file is not valid UTF-8: found byte 0xbb; it looks like Big5, which Excel "
        "writes for 'CSV (Comma delimited)' on Windows set up for Taiwan: save it as 'CSV UTF-8 (Comma delimited)' "
        "instead"]


def test_a_mistake_in_a_spreadsheet_fails_the_build_and_keeps_the_last_package(cli, project):
    assert cli("build").exit_code == 0
    before = sha256(PACKAGE)
    Path("source/words.csv").write_text(HEAD + "banque,noun,x,銀行\n", encoding="utf-8")

    result = cli("build")

    assert result.exit_code == 1
    assert result.stderr.startswith("source/words.csv:2:13: entry 'banque', field 'gender'")
    assert "Traceback" not in result.output
    assert sha256(PACKAGE) == before


def test_a_workbook_not_exported_is_warned_about_with_how_to_export_it(cli, project):
    Path("source/words.xlsx").write_bytes(b"PK\x03\x04")

    result = cli("build")

    assert result.exit_code == 0
    assert ("source/words.xlsx: warning: the build does not read .xlsx files: this one is left out of the deck; "
            "export it from the spreadsheet as CSV (UTF-8) into source/") in result.stderr


def test_the_list_columns_are_the_schema_s_list_keys():
    assert set(LIST_COLUMNS) == {key.name for key in ENTRY_KEYS if isinstance(key.type, ListType)}


# A cell's line breaks are \n, as spreadsheets write them: Python's writer leaves a lone \r unquoted.
cell_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00\r\u2028\u2029\x85"), max_size=12)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(cell_text, min_size=1, max_size=5), min_size=1, max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]), line_end=st.sampled_from(["\r\n", "\n"]))
def test_any_table_a_csv_writer_writes_reads_back_cell_by_cell_each_where_it_starts(rows, delimiter, line_end):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=line_end, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    text = out.getvalue()
    problems = []

    read = list(_rows(text, delimiter, "t.csv", problems))

    assert problems == []
    assert [[cell.text for cell in row] for row in read] == rows
    lines = re.split(r"\r\n|\r|\n", text)
    for row, written in zip(read, rows, strict=True):
        for cell, value in zip(row, written, strict=True):
            at = lines[cell.line - 1][cell.column - 1:]
            assert at.startswith('"' if cell.quoted else value)


def test_a_broken_character_in_a_utf16_file_is_located():
    data = "term\tpos\tgloss\nbanque\tnoun\t".encode("utf-16") + b"\x00\xd8" + "\n".encode("utf-16-le")

    assert problems_of("words.tsv", data) == [
        "source/words.tsv:2:13: the file is not valid UTF-16 (Excel's \"Unicode Text\"): a character is broken; "
        "save it as 'CSV UTF-8 (Comma delimited)'"]
