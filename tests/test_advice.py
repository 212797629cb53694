"""Warnings a teacher wants: two cards that ask the same, Chinese in the other script; fatal with --strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from deckbuild import chinese
from deckbuild.advice import question
from deckbuild.schema import DEFAULT_LABELS
from tests.conftest import ROOT
from tests.helpers import PACKAGE, edit

SEEDS = ROOT.parent / "shared" / "seeds"  # the article the first deck's words come from, in Traditional

SAME_GLOSS = """
  - term: vedette
    pos: noun
    gender: f
    gloss: 紅人 ， 受愛戴的人、寵兒
  - term: travailler
    pos: intransitive-verb
    gloss: 工作
  - term: travail
    pos: noun
    gender: m
    gloss: 工作
"""


def append(path: str, text: str) -> None:
    file = Path(path)
    file.write_text(file.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_what_a_production_card_asks():
    assert question("noun", "受愛戴的人,紅人,寵兒") == question("noun", " 寵兒，紅人 ；*受愛戴的人* ")
    assert question("noun", "工作") != question("intransitive-verb", "工作"), "the card shows n. or v.i."
    assert question("noun", "紅人") != question("noun", "紅人，寵兒")
    assert question("noun", "To Save") == question("noun", "to save")
    assert question("noun", "……") == ""


def test_two_entries_whose_production_cards_ask_the_same_are_warned_about(cli, project, collection):
    append("source/hangzhou.yaml", SAME_GLOSS)

    result = cli("build")

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "source/hangzhou.yaml:154:5: warning: entry 'vedette': its Production card asks what that of 'coqueluche' at "
        "source/hangzhou.yaml:8:5 asks (n. 受愛戴的人,紅人,寵兒), so learners cannot tell which word is meant; "
        "make one gloss say more\n")
    collection.import_package(PACKAGE)
    asked = {term: collection.cards_of(term)["Production"].question() for term in ("vedette", "coqueluche")}
    assert _gloss_shown(asked["vedette"]) == "紅人 ， 受愛戴的人、寵兒"  # the same senses, other order and marks
    assert _gloss_shown(asked["coqueluche"]) == "受愛戴的人，紅人，寵兒"

    strict = cli("build", "--strict", "--out", "strict")
    assert strict.exit_code == 1
    assert strict.stderr.splitlines()[0].startswith("source/hangzhou.yaml:154:5: warning: entry 'vedette'")


def _gloss_shown(html: str) -> str:
    return html.split('<div class="question-gloss">', 1)[1].split("</div>", 1)[0]


def test_simplified_characters_in_a_traditional_deck_are_warned_about(cli, project):
    edit("source/hangzhou.yaml", "gloss: 卓越、領導人物", "gloss: 卓越、领导人物")  # gratin
    edit("source/hangzhou.yaml", "example_gloss: 國內新寵兒", "example_gloss: 国内新宠儿")  # coqueluche
    edit("source/hangzhou.yaml", "notes: 在醫學上,指百日咳。", "notes: 在医学上,指百日咳。")
    append("source/hangzhou.yaml", """
  - term: rouge
    pos: adjective
    gloss: 紅色的
    notes: 簡體字作「红」，如「红色」。
""")
    append("source/deck.yaml", "labels:\n  masculine: 阳性\n")

    result = cli("validate")

    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [  # in the order of the files, as warnings are told
        "source/deck.yaml:12:14: warning: deck manifest, label 'masculine': 阳: Simplified, in a deck in Traditional "
        "Chinese (deck.yaml's `chinese:`); write '陽性'",
        "source/hangzhou.yaml:8:5: warning: entry 'coqueluche', field 'example_gloss': 国, 内, 宠: Simplified, in a "
        "deck in Traditional Chinese (deck.yaml's `chinese:`); write '國內新寵兒'",
        "source/hangzhou.yaml:8:5: warning: entry 'coqueluche', field 'notes': 医, 学: Simplified, in a deck in "
        "Traditional Chinese (deck.yaml's `chinese:`); write '在醫學上,指百日咳。'",
        "source/hangzhou.yaml:16:5: warning: entry 'gratin', field 'gloss': 领, 导: Simplified, in a deck in "
        "Traditional Chinese (deck.yaml's `chinese:`); write '卓越、領導人物'",
    ], "notes that quote a Simplified character in Traditional prose are fine"
    assert cli("validate", "--strict").exit_code == 1


def test_a_simplified_deck_is_warned_of_its_traditional_glosses(cli, project):
    append("source/deck.yaml", "chinese: simplified\n")
    edit("source/hangzhou.yaml", "gloss: 卓越、領導人物", "gloss: 卓越、领导人物")

    warnings = cli("validate").stderr.splitlines()

    assert "source/hangzhou.yaml:8:5: warning: entry 'coqueluche', field 'gloss': 愛, 紅, 寵, 兒: Traditional, " \
           "in a deck in Simplified Chinese (deck.yaml's `chinese:`); write '受爱戴的人,红人,宠儿'" in warnings
    assert not any("'gratin', field 'gloss'" in line for line in warnings)
    assert any(line.startswith("source/deck.yaml:6:14: warning: deck manifest, field 'description': 語, 閱, 讀, 詞, "
                               "彙…: Traditional, in a deck in Simplified Chinese (deck.yaml's `chinese:`); write "
                               "'法语阅读词汇卡") for line in warnings), warnings


def test_a_wrong_script_setting_is_one_located_problem(cli, project):
    append("source/deck.yaml", "chinese: traditionnel\n")
    result = cli("validate")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "source/deck.yaml:11:10: deck manifest, field 'chinese': expected traditional or simplified, found "
        "'traditionnel'; did you mean 'traditional'?")


@pytest.mark.parametrize(("character", "script"), [
    ("发", "simplified"), ("们", "simplified"), ("红", "simplified"),  # Big5 lacks them
    ("發", "traditional"), ("們", "traditional"), ("裡", "traditional"),  # GB2312 lacks them
])
def test_a_character_of_one_script_only_is_told(character, script):
    assert chinese.foreign_characters(f"甲{character}乙", chinese.other(script)) == character


@pytest.mark.parametrize("character", ["后", "干", "里", "台", "云", "着", "才", "後", "乾", "於"])
def test_a_character_both_scripts_write_is_never_blamed(character):
    """后 is also queen in Traditional (皇后), 台 is Taiwan's 台; 後, 乾 and 於 are written in Simplified too."""
    for script in (chinese.TRADITIONAL, chinese.SIMPLIFIED):
        assert chinese.foreign_characters(f"皇{character}", script) == ""


def written_in_traditional(path) -> str:
    """The text of a source file but what it writes for other editions: `variants:`, `gloss@zh-CN:` lines."""
    text = path.read_text(encoding="utf-8").split("\nvariants:")[0]
    return "\n".join(line for line in text.splitlines() if "@" not in line.partition(":")[0])


def test_no_false_alarm_on_the_real_deck_the_labels_or_the_article():
    texts = [written_in_traditional(path) for path in (ROOT / "source").glob("*.yaml")]
    texts += [*DEFAULT_LABELS.values(), *(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))]
    assert len(texts) > len(DEFAULT_LABELS) + 1
    for text in texts:
        assert chinese.foreign_characters(text, chinese.TRADITIONAL) == ""
    assert chinese.wholly_foreign(texts[0], chinese.SIMPLIFIED), "and the reverse is told"


def test_french_alone_is_not_looked_at():
    assert chinese.foreign_characters("La nouvelle coqueluche nationale", chinese.TRADITIONAL) == ""
