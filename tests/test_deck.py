"""End to end: build the real source/, import it into a real Anki collection, read the cards back.

The one module that builds the real deck rather than the fixture deck, and asserts its content.
"""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest

from tests.conftest import ROOT


@pytest.fixture
def project(real_project):
    """The real source/, here: `cli` and every fixture that builds the project build the real deck."""
    return real_project


@pytest.fixture
def imported(cli, project, collection):
    result = cli("build")
    assert result.exit_code == 0, result.output
    (package,) = (project / "dist").glob("lexique-[0-9]*.apkg")  # the deck as written, not its zh-CN edition
    log = collection.import_package(package)
    assert len(log.new) == 22 and not log.conflicting
    return collection


def test_every_seed_entry_becomes_one_note_with_its_cards(imported):
    assert len(imported.notes()) == 22
    assert imported.card_types() == {"Recognition": 22, "Production": 22, "Gender": 12, "Context": 19}


def test_gender_cards_exist_for_nouns_only(imported):
    for term, note in imported.notes().items():
        has_gender_card = "Gender" in imported.cards_of(term)
        assert has_gender_card == bool(note["Gender"]), term


def test_context_cards_exist_where_the_example_contains_the_term(imported):
    without_example = {"virer", "se faire virer", "se mettre en quatre pour"}
    for term in imported.notes():
        assert ("Context" in imported.cards_of(term)) == (term not in without_example), term


def test_seed_entries_arrive_with_their_fields(imported):
    coqueluche = imported.note("coqueluche")
    assert coqueluche["Definite"] == "la\u00a0coqueluche", "the article never wraps away from its noun"
    assert coqueluche["Indefinite"] == "une\u00a0coqueluche"
    assert coqueluche["GenderLabel"] == "陰性 f."
    assert coqueluche["Gloss"] == "受愛戴的人，紅人，寵兒", "full-width beside Chinese"
    assert (coqueluche["IPA"], coqueluche["Say"]) == ("kɔkəlyʃ", "la coqueluche")
    assert coqueluche["Example"] == 'La nouvelle <span class="highlight">coqueluche</span> nationale'
    assert coqueluche["Source"].startswith("Raphaël Balenieri, « HangZhou")
    assert sorted(coqueluche.tags) == ["hangzhou", "les-echos"]

    anonymat = imported.note("anonymat")
    assert (anonymat["Definite"], anonymat["Indefinite"]) == ("l’anonymat", "un\u00a0anonymat")
    assert anonymat["Notes"] == "慣用搭配的動詞 <i>garder</i> (v.t.) 保持。"

    epargner = imported.note("épargner")
    assert epargner["PartOfSpeech"] == "v.t."
    assert epargner["Gender"] == "" and epargner["Definite"] == ""
    assert '<span class="highlight">épargnée</span>' in epargner["Example"]
    assert '<span class="blank">' in epargner["ExampleBlank"] and "épargnée" not in epargner["ExampleBlank"]
    assert epargner["Etymology"].startswith("在 10 世紀時")

    assert imported.note("riche en")["ExampleGloss"] == "富有維他命的"
    assert imported.note("numéro un")["PartOfSpeech"] == "adj."


def _without_style(html: str) -> str:
    return re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)


def _visible_text(html: str) -> str:
    return re.sub(r"<[^>]+>|\[anki:play:[^\]]+\]", "", _without_style(html)).strip()


def test_every_card_renders_both_sides_with_no_unresolved_reference(imported):
    for card in imported.cards():
        question, answer = card.question(), card.answer()
        for side in (question, answer):
            assert "{{" not in side and "}}" not in side and "${" not in side
            assert _visible_text(side), (card.note()["Term"], card.template()["name"])


def test_cards_render_as_the_learner_sees_them(imported):
    cards = imported.cards_of("coqueluche")
    assert _visible_text(cards["Gender"].question()).split() == ["陽性還是陰性？", "coqueluche"]
    assert "g-f" not in _without_style(cards["Gender"].question()), "the question must not give the gender away"
    assert 'class="face gender-drill g-f"' in cards["Gender"].answer()
    assert "une\u00a0coqueluche" in _visible_text(cards["Gender"].answer())
    assert "受愛戴的人，紅人，寵兒" in _visible_text(cards["Production"].question())
    assert "la\u00a0coqueluche" in _visible_text(cards["Production"].answer())
    # Anki turns the text-to-speech tags into play buttons: the term, then the example.
    assert "[anki:play:a:0]" in cards["Recognition"].answer()
    assert "[anki:play:a:1]" in cards["Recognition"].answer()
    context = _visible_text(cards["Context"].question())
    assert "La nouvelle ［…］ nationale" in context and "coqueluche" not in context


def test_new_cards_come_in_source_order(imported):
    order = [card.note()["Term"] for card in sorted(imported.cards(), key=lambda c: (c.due, c.ord))]
    terms = list(dict.fromkeys(order))
    assert terms[:4] == ["coqueluche", "gratin", "numéro un", "anonymat"]
    assert terms[-1] == "privé"


def test_the_deck_carries_its_name_and_version(imported):
    deck = imported.col.decks.by_name("法語詞彙 Lexique")
    assert deck is not None
    assert "版本 2.0.0" in deck["desc"]


def test_the_zh_cn_edition_imports_beside_the_deck_in_simplified_characters(cli, project, collection):
    assert cli("build").exit_code == 0
    for package in sorted((project / "dist").glob("*.apkg")):
        log = collection.import_package(package)
        assert len(log.new) == 22 and not log.conflicting
    col = collection.col
    zh_cn = {note["Term"]: note for note in map(col.get_note, col.find_notes('"deck:法语词汇 Lexique"'))}
    assert len(zh_cn) == 22 and len(col.find_notes('"deck:法語詞彙 Lexique"')) == 22
    assert {note.mid for note in zh_cn.values()} == {8524135328603108857}
    assert zh_cn["bancaire"]["Gloss"] == "银行的" and zh_cn["coqueluche"]["GenderLabel"] == "阴性 f."
    assert zh_cn["fraude"]["Gloss"] == "欺诈，舞弊", "its own text, where the conversion gives 诈欺"
    assert zh_cn["épargner"]["ExampleGloss"] == "杭州同样未能幸免于经济放缓所带来的冲击"


def test_the_committed_lock_matches_the_sources(cli):
    """CI builds with --locked: the committed locks, every edition's, must be what the sources give."""
    for lock in (ROOT / "source").glob("deck*.lock"):
        shutil.copy(lock, "source")
    result = cli("build", "--locked")
    assert result.exit_code == 0, result.output


def test_the_committed_lock_rebuilds_the_same_bytes_without_a_clock(cli, project, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    for lock in (ROOT / "source").glob("deck*.lock"):
        shutil.copy(lock, project / "source")
    assert cli("build", "--locked").exit_code == 0
    packages = sorted((project / "dist").glob("*.apkg"))
    assert [package.name for package in packages] == ["lexique-2.0.0.apkg", "lexique-zh-CN-2.0.0.apkg"]
    first = [hashlib.sha256(package.read_bytes()).digest() for package in packages]
    shutil.rmtree(project / ".cache")  # no up-to-date check: both are written again
    assert cli("build", "--locked").exit_code == 0
    assert [hashlib.sha256(package.read_bytes()).digest() for package in packages] == first


NOUNS_AND_ADJECTIVES = ("n.", "adj.")


def test_every_noun_and_adjective_shows_its_forms_and_a_dictionary_pronunciation(imported):
    notes = imported.notes()
    for term, note in notes.items():
        assert note["IPA"], term
        if note["PartOfSpeech"] in NOUNS_AND_ADJECTIVES:
            assert note["Forms"], term
            assert f"/{note['IPA']}/" in _visible_text(imported.cards_of(term)["Recognition"].answer()), term
    # Lexique's, where espeak-ng alone is wrong (/blɑ̃ʃim/, /defisi/, /epaʁnje/)
    assert [notes[term]["IPA"] for term in ("blanchiment", "déficit", "épargner")] == [
        "blɑ̃ʃimɑ̃", "defisit", "epaʁɲe"]
    assert notes["privé"]["Forms"].count("priv") == 3 and "privées" in notes["privé"]["Forms"]
    assert "ralentissements" in notes["ralentissement"]["Forms"]
    assert "épargné" in notes["épargner"]["Forms"] and "avoir" in notes["épargner"]["Forms"]


def test_nouns_are_spoken_with_their_article(imported):
    from anki.sound import TTSTag

    for term, said in (("coqueluche", "la coqueluche"), ("anonymat", "l’anonymat"), ("gratin", "le gratin")):
        tags = imported.cards_of(term)["Recognition"].answer_av_tags()
        assert isinstance(tags[0], TTSTag) and tags[0].field_text == said, term
    assert imported.note("faire + infinitif")["Say"] == "faire", "a pattern's markers are not read aloud"


def test_no_answer_repeats_the_term_with_its_article_or_the_example(imported):
    for term, note in imported.notes().items():
        with_article = re.sub(r"<[^>]+>", "", note["Definite"])
        example = re.sub(r"<[^>]+>", "", note["Example"])
        for name, card in imported.cards_of(term).items():
            shown = _visible_text(card.answer())
            if example:
                assert shown.count(example) <= 1, (term, name)
            if with_article:  # the example may use it too (Garder l’anonymat): count it outside the example
                assert shown.replace(example, "").count(with_article) <= 1, (term, name)


def test_no_half_width_punctuation_touches_chinese(imported):
    han = r"[\u3400-\u9fff]"
    for term, note in imported.notes().items():
        for field in ("Gloss", "ExampleGloss", "Etymology", "Notes", "GenderLabel"):
            assert not re.search(rf"{han}[,;:?!()]|[,;:?!()]{han}", note[field]), (term, field, note[field])
