"""The cards as learners in Taiwan read them: both genders written out, plural-only nouns, typesetting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deckbuild.typeset import full_width, tie_articles

ENTRIES = """entries:
  - term: élève
    pos: noun
    gender: mf
    gloss: 學生
  - term: collègue
    pos: noun
    gender: mf
    gloss: 同事
  - term: fiançailles
    pos: noun
    gender: f
    number: plural
    gloss: 訂婚
  - term: beau
    pos: adjective
    gloss: 美麗的,漂亮的(口語)
  - term: cheval
    pos: noun
    gender: m
    gloss: 馬
  - term: prix
    pos: noun
    gender: m
    gloss: 價格
  - term: venir
    pos: intransitive-verb
    gloss: 來
  - term: grec
    pos: adjective
    gloss: 希臘的
    feminine: grecque
  - term: pieuvre
    pos: noun
    gender: f
    gloss: 章魚
    example: Le poulpe nage.
"""


@pytest.fixture
def built(cli, project, collection):
    Path("source/more.yaml").write_text(ENTRIES, encoding="utf-8")
    result = cli("build")
    assert result.exit_code == 0, result.output
    (package,) = Path("dist").glob("*.apkg")
    collection.import_package(package)
    return collection, result


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>|\[anki:play:[^\]]+\]", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


def test_both_genders_are_written_out_and_the_gender_card_answers_both(built):
    collection, _ = built
    eleve, collegue = collection.note("élève"), collection.note("collègue")
    assert (eleve["Definite"], eleve["Indefinite"]) == ("l’élève", "un\u00a0élève / une\u00a0élève")
    assert (collegue["Definite"], collegue["Say"]) == ("le/la\u00a0collègue", "le collègue, la collègue")
    answer = visible(collection.cards_of("élève")["Gender"].answer())
    assert "un\u00a0élève / une\u00a0élève" in answer and "陰陽同形 m. et f." in answer
    assert "·" not in eleve["Indefinite"], "no inclusive writing (un·e)"


def test_a_plural_only_noun_shows_its_gender_on_its_gender_card(built):
    collection, _ = built
    answer = visible(collection.cards_of("fiançailles")["Gender"].answer())
    assert "des\u00a0fiançailles" in answer and "陰性複數 f. pl." in answer


def test_forms_from_the_dictionary_and_from_the_entry(built):
    collection, _ = built
    forms = {term: visible(collection.note(term)["Forms"]) for term in ("beau", "cheval", "prix", "venir", "grec")}
    assert " ".join(forms["beau"].split()) == "devant voyelle bel · f. belle · pl. beaux · f. pl. belles"
    assert " ".join(forms["cheval"].split()) == "pl. chevaux"
    assert " ".join(forms["prix"].split()) == "inv."
    assert "p.p. venu · aux. être" in " ".join(forms["venir"].split())
    assert "je viens" in forms["venir"] and "ils viennent" in forms["venir"]
    assert "f. grecque" in " ".join(forms["grec"].split()), "the entry's feminine:"
    assert collection.note("beau")["Gloss"] == "美麗的，漂亮的（口語）"


def test_an_example_without_its_term_is_warned_about(built):
    collection, result = built
    assert ("warning: entry 'pieuvre': its example does not contain 'pieuvre', so it gets no Context card"
            in result.stderr)
    assert "Context" not in collection.cards_of("pieuvre")


@pytest.mark.parametrize(("typed", "shown"), [
    ("受愛戴的人,紅人,寵兒", "受愛戴的人，紅人，寵兒"),
    ("寵兒 (口語)", "寵兒（口語）"),
    ("源自動詞 *virer* (v.i.) 轉向。", "源自動詞 *virer* (v.i.) 轉向。"),  # French in brackets stays
    ("陽性還是陰性?", "陽性還是陰性？"),
    ("numéro un: 首席", "numéro un：首席"),
    ("Le gratin, de la tech", "Le gratin, de la tech"),
    ("12:30 下午", "12:30 下午"),
])
def test_punctuation_beside_chinese_is_full_width(typed, shown):
    assert full_width(typed) == shown


def test_an_article_is_tied_to_its_noun():
    assert tie_articles("la coqueluche") == "la\u00a0coqueluche"
    assert tie_articles("un élève / une élève") == "un\u00a0élève / une\u00a0élève"
    assert tie_articles("le numéro un") == "le\u00a0numéro un"
    assert tie_articles("l’anonymat") == "l’anonymat"


def test_a_noun_the_dictionary_has_only_in_the_plural_is_warned_about_without_number_plural(cli, project):
    Path("source/more.yaml").write_text("entries:\n" + "".join(
        f"  - term: {term}\n    pos: noun\n    gender: {gender}\n    gloss: 詞\n"
        for term, gender in (("funérailles", "f"), ("prix", "m"), ("lunettes", "f"), ("gens", "m"))),
        encoding="utf-8")

    result = cli("build")

    assert result.exit_code == 0
    warned = [line for line in result.stderr.splitlines() if "only in the plural" in line]
    assert [line.split(": ")[0] for line in warned] == ["source/more.yaml:2:5", "source/more.yaml:10:5"]
    assert warned[0] == ("source/more.yaml:2:5: warning: entry 'funérailles': the dictionary has 'funérailles' only in "
                         "the plural; add `number: plural` so that its cards give it its plural article (les "
                         "fiançailles, des fiançailles)")
    assert cli("build", "--strict").exit_code == 1
