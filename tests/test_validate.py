"""Each key type checks its own values, and each entry rule its fields: exact messages, no command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuild.errors import Problem
from deckbuild.formats import SEMVER_PATTERN
from deckbuild.keys import EMPTY, AnkiId, Choice, Entries, Flag, Invalid, Labels, LabelText, MediaPath, Tags, Text
from deckbuild.load import Mapping, Node, Scalar, SourceFile, load_file
from deckbuild.schema import DEFAULT_LABELS, ENTRY_KEYS, FILE_KEYS, LABEL_KEYS, MANIFEST_KEYS, Entry, Location
from deckbuild.validate import (
    Draft,
    FileChecker,
    aspirated_h_needs_h,
    form_in_example,
    media_exist,
    noun_needs_gender,
    noun_only_fields,
    validate_manifest,
    validate_reading,
)

WHAT = "entry 'x', field 'k'"


def parse(yaml_text: str) -> SourceFile:
    problems: list[Problem] = []
    source = load_file(Path("t.yaml"), yaml_text.encode(), problems)
    assert source is not None and not problems, problems
    return source


def value_node(yaml_value: str) -> Node:
    """The node of `yaml_value`, written as the value of a key."""
    return parse(f"k: {yaml_value}\n").root.pairs[0][1]


def check(key_type, yaml_value: str) -> tuple[object, list[str]]:
    """Check `yaml_value` with `key_type`; return the value and the messages reported."""
    problems: list[Problem] = []
    value = key_type.check(value_node(yaml_value), WHAT, FileChecker(parse("k: v\n"), problems))
    return value, [problem.message for problem in problems]


def test_invalid_says_what_was_expected_and_found_and_how_to_fix_it():
    assert str(Invalid("true or false", "'yes'")) == "expected true or false, found 'yes'"
    assert str(Invalid("plain text", "'{{'", "remove it")) == "expected plain text, found '{{'; remove it"


@pytest.mark.parametrize("key_type", [Text(), Choice(["m", "f"]), Flag(), AnkiId()])
def test_a_scalar_type_refuses_a_list_or_a_mapping_and_leaves_a_blank_to_the_mapping(key_type):
    assert check(key_type, "[a, b]") == (None, [f"{WHAT}: expected {key_type.expected}, found a list"])
    assert check(key_type, "{a: b}") == (None, [f"{WHAT}: expected {key_type.expected}, found a mapping"])
    for blank in ("", "~", "null", "'  '"):
        assert check(key_type, blank) == (EMPTY, [])


@pytest.mark.parametrize("key_type", [Text(), Choice(["m", "f"]), Flag(), AnkiId()])
def test_a_scalar_type_refuses_a_control_character(key_type):
    assert check(key_type, '"a\\x07b"') == (None, [
        f"{WHAT}: expected text, found the control character U+0007 in it "
        "(an invisible character, often pasted by accident); remove it"])


def test_text_is_nfc_normalised_and_stripped():
    assert check(Text(), '"  e\u0301le\u0300ve "') == ("\u00e9l\u00e8ve", [])
    assert check(Text(), "1.5") == ("1.5", [])


def test_text_refuses_more_than_its_length():
    assert check(Text(max_length=5), "abcde") == ("abcde", [])
    assert check(Text(max_length=5), "abcdef") == (None, [
        f"{WHAT}: expected at most 5 characters, found 6; shorten it or move detail to notes"])


def test_text_with_a_pattern_names_it_or_what_it_stands_for():
    slug = Text(pattern=r"[a-z0-9]+(-[a-z0-9]+)*")
    assert check(slug, "french-vocabulary") == ("french-vocabulary", [])
    assert check(slug, "French Vocabulary") == (None, [
        f"{WHAT}: expected text matching [a-z0-9]+(-[a-z0-9]+)*, found 'French Vocabulary'"])
    version = Text(pattern=SEMVER_PATTERN, expected="a version such as 1.0.0")
    assert check(version, "1.2.3") == ("1.2.3", [])
    assert check(version, '"1.0"') == (None, [f"{WHAT}: expected a version such as 1.0.0, found '1.0'"])
    assert check(version, "[1]") == (None, [f"{WHAT}: expected a version such as 1.0.0, found a list"])


def test_a_long_value_is_clipped_in_the_message():
    assert check(Text(pattern="x"), "a" * 50)[1] == [f"{WHAT}: expected text matching x, found '{'a' * 39}…'"]


def test_a_label_is_text_without_braces():
    assert check(LabelText(), "陽性") == ("陽性", [])
    assert check(LabelText(), "'{{Term}}'") == (None, [
        f"{WHAT}: expected plain text, found '{{{{' or '}}}}' in it; remove the braces"])


def test_a_choice_suggests_the_closest_word():
    gender = Choice(["m", "f", "mf"])
    assert gender.expected == "m, f or mf"
    assert check(gender, "mf") == ("mf", [])
    assert check(gender, "feminine") == (None, [f"{WHAT}: expected m, f or mf, found 'feminine'"])
    assert check(Choice(["plural"]), "plurial") == (None, [
        f"{WHAT}: expected plural, found 'plurial'; did you mean 'plural'?"])
    pos = ENTRY_KEYS.by_name["pos"].type
    assert check(pos, "nom") == (None, [f"{WHAT}: expected {pos.expected}, found 'nom'; did you mean 'noun'?"])
    assert check(pos, "Adj.")[1][0].endswith("did you mean 'adjective'?"), "as dictionaries and teachers write it"


def test_a_flag_is_true_or_false():
    assert check(Flag(), "true") == (True, [])
    assert check(Flag(), "false") == (False, [])
    assert check(Flag(), "yes") == (None, [f"{WHAT}: expected true or false, found 'yes'"])


@pytest.mark.parametrize("written", ["1", "9223372036854775807"])
def test_an_anki_id_is_a_whole_number_up_to_2_63_minus_1(written):
    assert check(AnkiId(), written) == (int(written), [])


@pytest.mark.parametrize("written, shown", [("0", "0"), ("-3", "-3"), ("9223372036854775808", "9223372036854775808"),
                                            ("'12'", "12"), ("twelve", "twelve"), ("1.5", "1.5")])
def test_an_anki_id_refuses_anything_else(written, shown):
    assert check(AnkiId(), written) == (None, [
        f"{WHAT}: expected a whole number between 1 and 2^63-1, found '{shown}'"])


def test_a_media_path_is_text_and_knows_its_kinds_of_file():
    image = MediaPath((".png", ".jpg"))
    assert check(image, "a/b.png") == ("a/b.png", [])
    image.check_kind("b.PNG", Path("/media/b.PNG"))
    with pytest.raises(Invalid) as refused:
        image.check_kind("b.txt", Path("/media/b.txt"))
    assert str(refused.value) == "expected a file ending in .png, .jpg, found 'b.txt'"


def test_tags_are_a_list_of_words_and_each_bad_one_is_reported_where_it_is():
    assert check(Tags(), "[a, b::c, e\u0301t\u00e9]") == (("a", "b::c", "\u00e9t\u00e9"), [])
    assert check(Tags(), "[ok, 'les echos', [x]]") == (("ok",), [
        f"{WHAT}: expected a tag without spaces or quotes, found 'les echos'",
        f"{WHAT}: expected a tag without spaces or quotes, found a list"])
    assert check(Tags(), "ok") == (None, [f"{WHAT}: expected a list such as [tag1, tag2], found 'ok'"])
    assert check(Tags(), "") == (None, [f"{WHAT}: expected a list such as [tag1, tag2], found an empty value"])


def test_entries_are_a_list_left_to_the_walk():
    items, messages = check(Entries(), "[{term: a}, b]")
    assert [type(item) for item in items] == [Mapping, Scalar] and messages == []
    assert check(Entries(), "{term: a}") == (None, [
        f"{WHAT}: expected a list, one '- ' line per entry, found a mapping"])


def test_labels_are_a_mapping_of_the_label_keys():
    labels = Labels(LABEL_KEYS, DEFAULT_LABELS)
    assert check(labels, "{masculine: 陽, plural: 複}") == ({"masculine": "陽", "plural": "複"}, [])
    assert check(labels, "{masculin: 陽}") == ({}, [f"{WHAT}: unknown field 'masculin'; did you mean 'masculine'?"])
    assert check(labels, "{version: [1]}") == ({}, [f"{WHAT}, field 'version': expected text, found a list"])
    assert check(labels, "陽") == (None, [f"{WHAT}: expected a mapping of 'key: value' lines, found '陽'"])
    assert [key.name for key in LABEL_KEYS] == list(DEFAULT_LABELS)


def test_keys_take_their_default_from_their_type_unless_given():
    by_name = ENTRY_KEYS.by_name
    assert [by_name[name].default for name in ("term", "aspirated_h", "tags")] == ["", None, ()]
    assert MANIFEST_KEYS.by_name["audio"].default is False
    assert [key.name for key in FILE_KEYS.required] == ["entries"]


def test_entry_is_made_from_the_entry_keys_in_a_fixed_order():
    assert Entry._fields == ("term", "pos", "gloss", "gender", "number", "etymology", "example", "example_gloss",
                             "form", "notes", "image", "audio", "aspirated_h", "tags", "ipa", "say", "feminine",
                             "plural", "id", "guid", "source", "deck", "overrides", "where")
    assert {key.name for key in ENTRY_KEYS} == set(Entry._fields) - {"source", "deck", "overrides", "where"}
    entry = Entry("coqueluche", "noun", "紅人")
    assert entry[3:] == ("", "", "", "", "", "", "", "", "", None, (), "", "", "", "", "", "", "", "", (),
                         Location("", 0, 0))
    assert (entry.identity, entry.is_noun) == ("coqueluche|noun", True)
    assert entry._replace(id="pinned").identity == "pinned"
    assert type(Entry._make(tuple(entry))) is Entry


def test_the_docs_keep_the_declared_order():
    assert [key.name for key in ENTRY_KEYS][:5] == ["term", "pos", "gender", "number", "gloss"]


def test_a_mapping_reports_missing_blank_and_unknown_fields():
    problems: list[Problem] = []
    checker = FileChecker(parse("k: v\n"), problems)
    node = value_node("{term: '', pos: noun, colour: red}")
    values, nodes = checker.mapping(node, ENTRY_KEYS, "entry 1")
    assert values == {"pos": "noun"} and set(nodes) == {"pos"}
    assert [problem.message for problem in problems] == [
        "entry 1, field 'term': expected text, found an empty value",
        "entry 1: unknown field 'colour'; expected one of: term, pos, gender, number, gloss, etymology, example, "
        "example_gloss, form, notes, image, audio, aspirated_h, tags, ipa, say, feminine, plural, id, guid",
        "entry 1: missing field 'gloss' (the meaning, in the learner's language)"]


def draft(source_dir: Path = Path("source"), **fields) -> Draft:
    nodes = {name: Scalar(index, 3, str(value), None, True) for index, (name, value) in enumerate(fields.items(), 2)}
    return Draft(fields, nodes, Mapping(1, 3), source_dir)


def test_a_noun_needs_a_gender():
    entry = draft(term="coqueluche", pos="noun", gloss="紅人")
    assert list(noun_needs_gender(entry)) == [
        (None, entry.node, "missing field 'gender' (a noun needs one): expected m, f or mf")]
    assert list(noun_needs_gender(draft(term="coqueluche", pos="noun", gender="f", gloss="紅人"))) == []
    assert list(noun_needs_gender(draft(term="virer", pos="verb", gloss="轉向"))) == []


def test_only_nouns_take_gender_number_and_aspirated_h():
    entry = draft(term="haïr", pos="transitive-verb", gender="m", number="plural", aspirated_h=True, gloss="恨")
    message = "only nouns take it, found pos 'transitive-verb'; remove the field or set pos: noun"
    assert list(noun_only_fields(entry)) == [(name, entry.nodes[name], message)
                                             for name in ("gender", "number", "aspirated_h")]
    assert list(noun_only_fields(draft(term="héros", pos="noun", gender="m", aspirated_h=True, gloss="英雄"))) == []


def test_aspirated_h_is_only_for_a_term_starting_with_h():
    entry = draft(term="gratin", pos="noun", gender="m", aspirated_h=True, gloss="卓越")
    assert list(aspirated_h_needs_h(entry)) == [
        ("aspirated_h", entry.nodes["aspirated_h"], "only for a term starting with h, found 'gratin'")]
    assert list(aspirated_h_needs_h(draft(term="Héros", pos="noun", aspirated_h=False, gloss="英雄"))) == []


def test_form_stands_in_the_example():
    alone = draft(term="épargner", pos="verb", form="épargnée", gloss="儲蓄")
    assert list(form_in_example(alone)) == [
        ("form", alone.nodes["form"], "needs an example to stand in; add 'example'")]
    missing = draft(term="épargner", pos="verb", form="épargnée", example="Il a tout perdu.", gloss="儲蓄")
    assert list(form_in_example(missing)) == [("form", missing.nodes["form"], (
        "expected words of the example, found 'épargnée', which the example does not contain"))]
    found = draft(term="épargner", pos="verb", form="épargnée", example="Elle est épargnée.", gloss="儲蓄")
    assert list(form_in_example(found)) == []


def test_media_files_are_inside_media_of_their_kind_and_exist(tmp_path):
    source_dir = tmp_path / "source"
    (source_dir / "media").mkdir(parents=True)
    (source_dir / "media" / "a.png").write_bytes(b"png")
    (source_dir / "media" / "b.mp3").write_bytes(b"mp3")
    assert list(media_exist(draft(source_dir, term="a", pos="verb", image="a.png", audio="b.mp3"))) == []
    entry = draft(source_dir, term="a", pos="verb", image="../../secret.png", audio="a.txt")
    assert list(media_exist(entry)) == [
        ("image", entry.nodes["image"], "expected a path inside source/media/, found '../../secret.png', "
                                        "which leaves it"),
        ("audio", entry.nodes["audio"], "expected a file ending in .mp3, .ogg, .oga, .opus, .wav, .m4a, .flac, "
                                        "found 'a.txt'")]
    entry = draft(source_dir, term="a", pos="verb", image="c.png")
    assert list(media_exist(entry)) == [("image", entry.nodes["image"], (
        "expected a file at source/media/c.png, found none; check the name, or add the file"))]


def test_a_reading_gives_its_good_entries_and_locates_the_problems_of_the_others():
    source = parse("source: Les Échos\ntags: [lesson]\nentries:\n"
                   "  - {term: coqueluche, pos: noun, gender: f, gloss: 紅人, tags: [fr, lesson]}\n"
                   "  - {term: virer, pos: verbe, gloss: 轉向}\n"
                   "  - {term: gratin, pos: noun, gloss: 卓越}\n")
    problems: list[Problem] = []
    entries = validate_reading(source, Path("source"), problems)
    assert entries == [Entry("coqueluche", "noun", "紅人", gender="f", tags=("lesson", "fr"), source="Les Échos",
                             where=Location("t.yaml", 4, 5))]
    assert problems == [
        Problem("t.yaml", 5, 24, "entry 'virer', field 'pos': expected noun, verb, transitive-verb, "
                                 "intransitive-verb, pronominal-verb, adjective, adverb, pronoun, preposition, "
                                 "conjunction, interjection, determiner or phrase, found 'verbe'; "
                                 "did you mean 'verb'?"),
        Problem("t.yaml", 6, 5, "entry 'gratin': missing field 'gender' (a noun needs one): expected m, f or mf")]


def test_a_manifest_gets_its_slug_note_type_and_labels():
    problems: list[Problem] = []
    manifest = validate_manifest(parse("name: Français B2\nversion: 1.0.0\ndeck_id: 1\nmodel_id: 2\n"
                                       "labels: {plural: pl.}\n"), problems)
    assert problems == []
    assert (manifest.slug, manifest.note_type) == ("francais-b2", "Français B2 vocabulary")
    assert manifest.labels == {**DEFAULT_LABELS, "plural": "pl."} and manifest.audio is False
