"""Lessons as subdecks, and study options shipped as the deck's preset, as the real Anki engine imports them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import PACKAGE, edit, sha256

DECK = "法語詞彙 Lexique"  # the fixture deck's name

BANK = """\
deck: 第二課 銀行
source: Le Monde, 3 mai 2025
entries:
  - term: banque
    pos: noun
    gender: f
    gloss: 銀行
  - term: guichet
    pos: noun
    gender: m
    gloss: 窗口
"""

CITY = """\
deck: 第三課 城市
entries:
  - term: rue
    pos: noun
    gender: f
    gloss: 街道
"""


def deck_of(collection, term: str) -> set[str]:
    """The names of the decks that hold the cards of the notes of `term` (one per edition)."""
    return {collection.col.decks.name(collection.col.get_card(card_id).did)
            for card_id in collection.col.find_cards(f'"Term:{term}"')}


def build(cli) -> None:
    result = cli("build")
    assert result.exit_code == 0, result.output


def test_a_lesson_s_cards_land_in_its_subdeck_and_the_others_in_the_deck(cli, project, collection):
    Path("source/bank.yaml").write_text(BANK, encoding="utf-8")
    build(cli)

    collection.import_package(PACKAGE)

    assert deck_of(collection, "banque") == deck_of(collection, "guichet") == {f"{DECK}::第二課 銀行"}
    assert deck_of(collection, "coqueluche") == {DECK}


def test_cards_a_learner_has_stay_where_they_are_when_their_reading_becomes_a_lesson(cli, project, collection):
    Path("source/bank.yaml").write_text(BANK.replace("deck: 第二課 銀行\n", ""), encoding="utf-8")
    build(cli)
    collection.import_package(PACKAGE)
    collection.review(collection.cards_of("banque")["Recognition"])
    edit("source/bank.yaml", "entries:\n", "deck: 第二課 銀行\nentries:\n")
    edit("source/bank.yaml", "    gloss: 窗口\n", "    gloss: 窗口\n  - term: caisse\n    pos: noun\n    gender: f\n"
                                                "    gloss: 收銀台\n")
    build(cli)

    collection.import_package(PACKAGE)

    assert deck_of(collection, "banque") == {DECK}, "Anki does not move cards a learner has on import"
    assert deck_of(collection, "caisse") == {f"{DECK}::第二課 銀行"}, "new notes land in the lesson"
    assert collection.revlog_count() == 1


def new_cards_in_study_order(collection) -> list[str]:
    """The terms of the new cards, in the order studying the whole deck would show them (first of each note)."""
    collection.col.decks.select(collection.col.decks.id_for_name(DECK))
    queued = collection.col.sched.get_queued_cards(fetch_limit=200).cards
    terms = [collection.col.get_note(queued_card.card.note_id)["Term"] for queued_card in queued]
    return list(dict.fromkeys(terms))


OPTIONS = """\
options:
  new_per_day: 200
"""


def test_with_the_preset_new_cards_come_in_source_order_across_lessons(cli, project, collection):
    # Files in lesson order; Anki's deck list sorts 第三課 (三, U+4E09) before 第二課 (二, U+4E8C).
    Path("source/x1-bank.yaml").write_text(BANK, encoding="utf-8")
    Path("source/x2-city.yaml").write_text(CITY, encoding="utf-8")
    Path("source/deck.yaml").write_text(Path("source/deck.yaml").read_text(encoding="utf-8") + OPTIONS,
                                        encoding="utf-8")
    build(cli)

    collection.import_package(PACKAGE, with_deck_configs=True)

    order = new_cards_in_study_order(collection)
    assert order[0] == "coqueluche"
    assert order[-3:] == ["banque", "guichet", "rue"]


def test_without_the_preset_anki_takes_lessons_in_the_order_of_their_names(cli, project, collection):
    # What the README tells learners who do not import the preset, and teachers who name lessons.
    Path("source/x1-bank.yaml").write_text(BANK, encoding="utf-8")
    Path("source/x2-city.yaml").write_text(CITY, encoding="utf-8")
    build(cli)

    collection.import_package(PACKAGE)
    default = collection.col.decks.get_config(1)
    default["new"]["perDay"] = 200
    collection.col.decks.save(default)

    order = new_cards_in_study_order(collection)
    assert order[0] == "coqueluche"
    assert order[-3:] == ["rue", "banque", "guichet"]


STUDY_OPTIONS = """\
options:
  new_per_day: 15
  reviews_per_day: 150
  learning_steps: 1m 10m 1d
  bury_siblings: true
"""


@pytest.fixture
def with_options(project):
    Path("source/deck.yaml").write_text(Path("source/deck.yaml").read_text(encoding="utf-8") + STUDY_OPTIONS,
                                        encoding="utf-8")
    Path("source/bank.yaml").write_text(BANK, encoding="utf-8")


def test_the_preset_arrives_when_the_learner_imports_deck_presets(cli, with_options, collection):
    build(cli)

    collection.import_package(PACKAGE, with_deck_configs=True)

    for name in (DECK, f"{DECK}::第二課 銀行"):
        preset = collection.col.decks.config_dict_for_deck_id(collection.col.decks.id_for_name(name))
        assert preset["name"] == DECK
        assert (preset["new"]["perDay"], preset["rev"]["perDay"]) == (15, 150)
        assert preset["new"]["delays"] == [1, 10, 1440]
        assert preset["new"]["bury"] and preset["rev"]["bury"] and preset["buryInterdayLearning"]
    assert sum(card.did == collection.col.decks.id_for_name(DECK) for card in collection.cards()) > 15
    collection.col.decks.select(collection.col.decks.id_for_name(DECK))
    assert collection.col.sched.counts()[0] == 15, "15 new cards today"


def test_without_importing_presets_the_deck_uses_the_learner_s_default(cli, with_options, collection):
    build(cli)

    collection.import_package(PACKAGE)

    preset = collection.col.decks.config_dict_for_deck_id(collection.col.decks.id_for_name(DECK))
    assert (preset["id"], preset["new"]["perDay"]) == (1, 20)


def test_a_learner_s_changes_to_the_preset_survive_the_next_version(cli, with_options, collection):
    build(cli)
    collection.import_package(PACKAGE, with_deck_configs=True)
    preset = collection.col.decks.config_dict_for_deck_id(collection.col.decks.id_for_name(DECK))
    preset["new"]["perDay"] = 5
    collection.col.decks.save(preset)
    edit("source/deck.yaml", "new_per_day: 15", "new_per_day: 25")
    edit("source/bank.yaml", "gloss: 銀行", "gloss: 銀行；河岸")
    build(cli)

    collection.import_package(PACKAGE, with_deck_configs=True)

    preset = collection.col.decks.config_dict_for_deck_id(collection.col.decks.id_for_name(DECK))
    assert preset["new"]["perDay"] == 5
    assert collection.note("banque")["Gloss"] == "銀行；河岸"


def test_lessons_and_presets_are_byte_stable(cli, with_options, tmp_path):
    build(cli)
    first = sha256(PACKAGE)
    PACKAGE.unlink()

    build(cli)

    assert sha256(PACKAGE) == first


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    ("bank.yaml", "deck: 第二課 銀行", "deck: 第二課::::銀行",
     "source/bank.yaml:1:7: file, field 'deck': expected a deck name whose '::' levels each have a name, found "
     "'第二課::::銀行'; remove the empty level"),
    ("deck.yaml", "new_per_day: 15", "new_per_day: -1",
     "source/deck.yaml:12:16: deck manifest, field 'options', field 'new_per_day': expected a whole number from 0 "
     "to 9999, found '-1'"),
    ("deck.yaml", "learning_steps: 1m 10m 1d", "learning_steps: 1 minute",
     "source/deck.yaml:14:19: deck manifest, field 'options', field 'learning_steps': expected steps such as "
     "'1m 10m 1d' (s, m, h or d after each number, up to 9999d), found '1 minute'"),
    ("deck.yaml", "learning_steps: 1m 10m 1d", "learning_steps: 1m 99999999d",
     "source/deck.yaml:14:19: deck manifest, field 'options', field 'learning_steps': expected steps such as "
     "'1m 10m 1d' (s, m, h or d after each number, up to 9999d), found '1m 99999999d'"),
    ("deck.yaml", "bury_siblings: true", "bury_sibling: true",
     "source/deck.yaml:15:3: deck manifest, field 'options': unknown field 'bury_sibling'; did you mean "
     "'bury_siblings'?"),
])
def test_a_wrong_lesson_or_option_is_one_located_line(cli, with_options, file, old, new, expected):
    edit(f"source/{file}", old, new)

    result = cli("build")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == expected


def test_an_edition_s_lessons_and_preset_are_its_own_converted(cli, project, collection):
    from tests.test_editions import ZH_CN, ZH_PACKAGE

    with open("source/deck.yaml", "a", encoding="utf-8") as file:
        file.write(STUDY_OPTIONS + ZH_CN)
    Path("source/bank.yaml").write_text(BANK.replace("entries:\n", "deck@zh-CN: 第二课 银行（大陆）\nentries:\n"),
                                        encoding="utf-8")
    Path("source/city.yaml").write_text(CITY, encoding="utf-8")
    build(cli)

    collection.import_package(PACKAGE, with_deck_configs=True)
    collection.import_package(ZH_PACKAGE, with_deck_configs=True)

    assert deck_of(collection, "banque") == {f"{DECK}::第二課 銀行", "法语词汇 Lexique::第二课 银行（大陆）"}
    assert deck_of(collection, "rue") == {f"{DECK}::第三課 城市", "法语词汇 Lexique::第三课 城市"}
    presets = {collection.col.decks.config_dict_for_deck_id(collection.col.decks.id_for_name(name))["name"]
               for name in (DECK, "法语词汇 Lexique")}
    assert presets == {DECK, "法语词汇 Lexique"}


def test_every_level_of_a_nested_lesson_has_the_preset(cli, project, collection):
    with open("source/deck.yaml", "a", encoding="utf-8") as file:
        file.write(STUDY_OPTIONS)
    Path("source/bank.yaml").write_text(BANK.replace("deck: 第二課 銀行", "deck: 第二課::銀行"), encoding="utf-8")
    build(cli)

    collection.import_package(PACKAGE, with_deck_configs=True)

    assert deck_of(collection, "banque") == {f"{DECK}::第二課::銀行"}
    for name in (DECK, f"{DECK}::第二課", f"{DECK}::第二課::銀行"):
        preset = collection.col.decks.config_dict_for_deck_id(collection.col.decks.id_for_name(name))
        assert (preset["name"], preset["new"]["perDay"]) == (DECK, 15), name


def test_lessons_that_differ_only_in_case_are_one_located_problem(cli, project):
    Path("source/a.yaml").write_text(CITY.replace("deck: 第三課 城市", "deck: Leçon 1::Ville"), encoding="utf-8")
    Path("source/b.yaml").write_text(BANK.replace("deck: 第二課 銀行", "deck: leçon 1"), encoding="utf-8")

    result = cli("build")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "source/b.yaml:4:5: entry 'banque': its file's lesson 'leçon 1' differs only in case from 'Leçon 1', the "
        "lesson of the entry at source/a.yaml:3:5; Anki takes them as one deck name: write them alike")
    assert "guichet" not in result.stderr, "told once"
