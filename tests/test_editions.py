"""Editions: a Simplified-Chinese edition built from the same sources, proven with the real Anki engine.

The fixture deck declares a zh-CN edition (`variants:` in deck.yaml), writes its own text for it
where the conversion is not what a teacher wants (`gloss@zh-CN:`, `source@zh-CN:`), and gains two
entries whose glosses need phrase-level conversion (軟體 → 软件, 網路 → 网络).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deckbuild.conversion import to_simplified
from tests.conftest import EPOCH
from tests.helpers import edit, sha256
from tests.test_release import git, release, repo  # noqa: F401  (repo: a fixture used here)

MAIN_MODEL, ZH_MODEL = 1428760395, 3401188437261195844
ZH_CN = ("variants:\n  zh-CN: {name: 法语词汇 Lexique, deck_id: 6215580312794483017, "
         f"model_id: {ZH_MODEL}, chinese: simplified, labels: {{context_question: 填空}}}}\n")
MAIN_PACKAGE, ZH_PACKAGE = Path("dist/lexique-1.0.0.apkg"), Path("dist/lexique-zh-CN-1.0.0.apkg")
LOCKS = (Path("source/deck.lock"), Path("source/deck.zh-CN.lock"))
NEW_ENTRIES = """
  - term: logiciel
    pos: noun
    gender: m
    gloss: 軟體
    example: Ce logiciel est libre.
    example_gloss: 這個軟體是自由的。

  - term: réseau
    pos: noun
    gender: m
    gloss: 網路
    notes: 也指*人脈*。
"""


def declare_zh_cn() -> None:
    """Declare the zh-CN edition, add the two entries, and write zh-CN's own texts where it wants them."""
    with open("source/deck.yaml", "a", encoding="utf-8") as file:
        file.write(ZH_CN)
    with open("source/hangzhou.yaml", "a", encoding="utf-8") as file:
        file.write(NEW_ENTRIES)
    edit("source/hangzhou.yaml", "    gloss: 受愛戴的人,紅人,寵兒\n",
         "    gloss: 受愛戴的人,紅人,寵兒\n    gloss@zh-CN: 受欢迎的人,红人\n")
    edit("source/hangzhou.yaml", "tags: [les-echos, hangzhou]\n",
         "source@zh-CN: 《回声报》周末版，2025年4月11日\ntags: [les-echos, hangzhou]\n")


@pytest.fixture
def editions(project):
    declare_zh_cn()
    return project


def notes_of(col, model_id: int) -> dict[str, object]:
    """The notes of one note type, by their first field."""
    return {note["Term"]: note for note in (col.get_note(nid) for nid in col.find_notes(f"mid:{model_id}"))}


def test_both_editions_import_side_by_side_and_share_nothing(cli, editions, collection):
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {MAIN_PACKAGE}\nwrote {ZH_PACKAGE}\n"
    assert all(lock.is_file() for lock in LOCKS)
    for package in (MAIN_PACKAGE, ZH_PACKAGE):
        log = collection.import_package(editions / package)
        assert len(log.new) == 24 and not log.conflicting and not log.duplicate
    col = collection.col
    assert (col.models.get(MAIN_MODEL)["name"], col.models.get(ZH_MODEL)["name"]) == (
        "Lexique (français)", "Lexique (français) zh-CN")
    guids = {mid: set(col.db.list("select guid from notes where mid = ?", mid)) for mid in (MAIN_MODEL, ZH_MODEL)}
    assert len(guids[MAIN_MODEL]) == len(guids[ZH_MODEL]) == 24 and not guids[MAIN_MODEL] & guids[ZH_MODEL]
    zh_deck = col.decks.by_name("法语词汇 Lexique")
    assert len(col.find_cards('deck:"法语词汇 Lexique"')) == len(col.find_cards('deck:"法語詞彙 Lexique"'))
    assert all(card.did == zh_deck["id"] for card in map(col.get_card, col.find_cards(f"mid:{ZH_MODEL}")))
    assert "法语阅读词汇卡" in zh_deck["desc"] and "版本 1.0.0" in zh_deck["desc"]

    main, zh = notes_of(col, MAIN_MODEL), notes_of(col, ZH_MODEL)
    assert zh["bancaire"]["Gloss"] == "银行的" and main["bancaire"]["Gloss"] == "銀行的"
    assert zh["logiciel"]["Gloss"] == "软件", "phrase by phrase: 軟體 is 软件, not 软体"
    assert zh["logiciel"]["ExampleGloss"] == "这个软件是自由的。"
    assert zh["réseau"]["Gloss"] == "网络" and zh["réseau"]["Notes"] == "也指<i>人脉</i>。"
    assert zh["coqueluche"]["GenderLabel"] == "阴性 f." and main["coqueluche"]["GenderLabel"] == "陰性 f."
    # Its own texts, where written; the deck's are untouched by them.
    assert zh["coqueluche"]["Gloss"] == "受欢迎的人，红人" and main["coqueluche"]["Gloss"] == "受愛戴的人，紅人，寵兒"
    assert zh["gratin"]["Source"] == "《回声报》周末版，2025年4月11日"
    assert main["gratin"]["Source"].startswith("Raphaël Balenieri, « HangZhou")
    for term, note in main.items():  # French is never converted
        for field in ("Term", "Definite", "Example", "ExampleBlank", "IPA", "Forms", "Say", "PartOfSpeech"):
            assert zh[term][field] == note[field], (term, field)

    cards = {card.template()["name"]: card for card in zh["coqueluche"].cards()}
    assert "阳性还是阴性？" in cards["Gender"].question()
    assert "填空" in cards["Context"].question(), "the edition's own label"
    assert "陽性" not in cards["Gender"].answer() and "阴性" in cards["Gender"].answer()


def test_a_rebuilt_edition_updates_in_place_and_keeps_its_reviews(cli, editions, collection, monkeypatch):
    assert cli("build").exit_code == 0
    collection.import_package(editions / ZH_PACKAGE)
    card = next(iter(notes_of(collection.col, ZH_MODEL)["bancaire"].cards()))
    collection.review(card)

    edit("source/hangzhou.yaml", "gloss: 銀行的", "gloss: 銀行的,與銀行有關的")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 3600))
    assert cli("build").exit_code == 0
    log = collection.import_package(editions / ZH_PACKAGE)
    assert (len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting)) == (0, 1, 23, 0)
    bancaire = notes_of(collection.col, ZH_MODEL)["bancaire"]
    assert bancaire["Gloss"] == "银行的，与银行有关的"
    assert collection.revlog_count() == 1
    assert collection.col.get_card(card.id).reps == 1


def test_a_text_of_its_own_changes_only_its_edition(cli, editions, monkeypatch):
    assert cli("build").exit_code == 0
    before = {path: sha256(path) for path in (MAIN_PACKAGE, *LOCKS)}
    edit("source/hangzhou.yaml", "gloss@zh-CN: 受欢迎的人,红人", "gloss@zh-CN: 受欢迎的人")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 3600))
    assert cli("build").exit_code == 0
    assert sha256(MAIN_PACKAGE) == before[MAIN_PACKAGE] and sha256(LOCKS[0]) == before[LOCKS[0]]
    assert sha256(LOCKS[1]) != before[LOCKS[1]]


def test_check_upgrade_compares_packages_of_one_edition(cli, editions, monkeypatch):
    assert cli("build").exit_code == 0
    shutil.copy(ZH_PACKAGE, "old.apkg")
    edit("source/hangzhou.yaml", "gloss: 銀行的", "gloss: 銀行的,與銀行有關的")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 3600))
    assert cli("build").exit_code == 0
    result = cli("check-upgrade", "old.apkg", str(ZH_PACKAGE))
    assert result.exit_code == 0, result.output
    assert "notes: 0 new, 1 updated, 23 unchanged, 0 conflicting\nnote types: 0 updated" in result.output


def test_a_failed_build_leaves_every_package_and_lock_as_it_was(cli, editions):
    assert cli("build").exit_code == 0
    before = {path: sha256(path) for path in (MAIN_PACKAGE, ZH_PACKAGE, *LOCKS)}
    edit("source/hangzhou.yaml", "gloss@zh-CN: 受欢迎的人,红人", "gloss@zh-TW: 受歡迎的人")
    result = cli("build")
    assert result.exit_code == 1
    assert result.stderr == (
        "source/hangzhou.yaml:13:5: entry 'coqueluche': field 'gloss@zh-TW': the deck has no edition 'zh-TW' "
        "under `variants:` in deck.yaml; did you mean 'gloss@zh-CN'?\n"
        "1 problem in the source; nothing was written.\n")
    assert {path: sha256(path) for path in before} == before

    edit("source/hangzhou.yaml", "gloss@zh-TW: 受歡迎的人", "gloss@zh-CN: 受欢迎的人")  # good again, but
    ZH_PACKAGE.unlink()
    ZH_PACKAGE.mkdir()  # the edition's package cannot be written
    result = cli("build")
    assert result.exit_code == 1 and "cannot make dist/lexique-zh-CN-1.0.0.apkg" in result.stderr
    assert {path: sha256(path) for path in (MAIN_PACKAGE, *LOCKS)} == {
        path: digest for path, digest in before.items() if path != ZH_PACKAGE}
    assert not list(Path(".").rglob("*.partial"))


def test_a_build_says_up_to_date_for_every_edition_and_locked_checks_every_lock(cli, editions):
    assert cli("build").exit_code == 0
    assert cli("build").output == f"up to date: {MAIN_PACKAGE}\nup to date: {ZH_PACKAGE}\n"
    LOCKS[1].unlink()
    result = cli("build", "--locked")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: source/deck.zh-CN.lock is out of date (24 notes new")
    assert cli("validate").output == "ok: 24 entries in 法語詞彙 Lexique 1.0.0\nok: edition zh-CN, 法语词汇 Lexique\n"


def test_mistakes_in_editions_are_located(cli, project):
    with open("source/deck.yaml", "a", encoding="utf-8") as file:
        file.write("variants:\n"
                   "  zh-CN: {name: 法語詞彙 Lexique, deck_id: 1873546209, model_id: 7, chinese: simplfied}\n"
                   "  zh-HK: {name: 法語詞彙 香港, deck_id: 8, model_id: 7}\n"
                   "  zhCN: {name: x, deck_id: 9, model_id: 10}\n"
                   "  zh-SG: {name: y, deck_id: 11}\n")
    result = cli("validate")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert ("source/deck.yaml:12:17: deck manifest, field 'variants', edition 'zh-CN', field 'name': expected a "
            "name of its own, found '法語詞彙 Lexique', which is the deck's name; write another (Anki, and some file "
            "systems, take names alike whatever their case)") in lines
    assert ("source/deck.yaml:12:40: deck manifest, field 'variants', edition 'zh-CN', field 'deck_id': expected an "
            "id of its own, found '1873546209', which is the deck's deck_id; choose another whole number from 1 to "
            "2^63-1, once") in lines
    assert ("source/deck.yaml:13:48: deck manifest, field 'variants', edition 'zh-HK', field 'model_id': expected "
            "an id of its own, found '7', which is the model_id of edition 'zh-CN'; choose another whole number "
            "from 1 to 2^63-1, once") in lines
    assert ("source/deck.yaml:14:3: deck manifest, field 'variants': expected an edition named by its language tag, "
            "such as zh-CN, found 'zhCN'") in lines
    assert ("source/deck.yaml:15:10: deck manifest, field 'variants', edition 'zh-SG': missing field 'model_id' "
            "(fixed Anki note-type id of this edition, chosen once; not the deck's)") in lines
    assert lines[-1] == "6 problems in the source; nothing was written."


def test_a_text_for_an_edition_must_name_a_declared_edition_and_chinese_text(cli, project):
    edit("source/hangzhou.yaml", "    gloss: 受愛戴的人,紅人,寵兒\n",
         "    gloss: 受愛戴的人,紅人,寵兒\n    gloss@zh-CN: 受欢迎的人\n    term@zh-CN: coqueluche\n")
    result = cli("validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "source/hangzhou.yaml:12:5: entry 'coqueluche': field 'gloss@zh-CN': the deck has no edition 'zh-CN'; "
        "declare it under `variants:` in deck.yaml, or remove the field\n"
        "source/hangzhou.yaml:13:5: entry 'coqueluche': field 'term@zh-CN': only Chinese text has a text per "
        "edition, found 'term'; expected one of: gloss@zh-CN, etymology@zh-CN, example_gloss@zh-CN, notes@zh-CN\n"
        "2 problems in the source; nothing was written.\n")


def test_a_release_carries_every_edition_and_an_edition_added_later_starts_its_own_history(
        cli, repo, monkeypatch):  # noqa: F811
    assert release(cli, "1.0.0").exit_code == 0
    declare_zh_cn()  # the edition arrives after the deck's first release
    git("add", "-A")
    git("commit", "-q", "-m", "zh-CN edition")
    bumped = release(cli, "1.1.0")
    assert bumped.exit_code == 0, bumped.output
    assert "CHANGELOG.zh-CN.md:\n## 1.1.0\n\nFirst release: 24 entries." in bumped.output
    check = cli("release-check", "--tag", "v1.1.0")
    assert check.exit_code == 0, check.output
    assert sorted(path.name for path in (repo / "dist" / "release").iterdir()) == [
        "lexique-1.1.0.apkg", "lexique-1.1.0.apkg.sha256", "lexique-zh-CN-1.1.0.apkg",
        "lexique-zh-CN-1.1.0.apkg.sha256", "notes.md"]
    notes = (repo / "dist/release/notes.md").read_text(encoding="utf-8")
    assert notes.startswith("## 1.1.0\n\nSince 1.0.0: 2 added.\n"), "its own texts leave the deck alone"
    assert "## 法语词汇 Lexique (zh-CN): lexique-zh-CN-1.1.0.apkg\n\nFirst release: 24 entries.\n" in notes
    assert Path("CHANGELOG.zh-CN.md").read_text(encoding="utf-8").startswith("# Changelog\n\n## 1.1.0\n")

    edit("source/hangzhou.yaml", "gloss: 銀行的", "gloss: 銀行的,與銀行有關的")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 3600))
    shutil.rmtree("dist")  # check-upgrade rebuilds 1.1.0 from its tag
    upgrade = cli("check-upgrade", "--edition", "zh-CN")
    assert upgrade.exit_code == 0, upgrade.output
    assert upgrade.output.startswith("importing dist/lexique-zh-CN-1.1.0.apkg over "
                                     ".cache/releases/lexique-zh-CN-1.1.0.apkg:\nnotes: 0 new, 1 updated, 23 unchanged")
    assert release(cli, "1.1.1").exit_code == 0
    check = cli("release-check", "--tag", "v1.1.1")
    assert check.exit_code == 0, check.output
    assert check.output.count("notes: 0 new, 1 updated, 23 unchanged, 0 conflicting") == 2, check.output
    assert "- Gloss: 银行的 → 银行的，与银行有关的" in (repo / "dist/release/notes.md").read_text(encoding="utf-8")
    between = cli("changelog", "--edition", "zh-CN", "v1.1.0", "v1.1.1")
    assert between.exit_code == 0 and "- Gloss: 银行的 → 银行的，与银行有关的" in between.output
    assert cli("check-upgrade", "--edition", "zh-TW").stderr == (
        "error: the deck has no edition 'zh-TW' under `variants:` in deck.yaml; declared: zh-CN\n")


def test_a_spreadsheet_writes_texts_for_an_edition_as_columns_and_settings(cli, editions, collection):
    Path("source/words.csv").write_text(
        "#source: Le Monde, 3 mai 2025\n#source@zh-CN: 《世界报》\n"
        "term,pos,gender,gloss,gloss@zh-CN\n"
        "fenêtre,noun,f,窗戶,窗子\n"
        "banque,noun,f,銀行,\n", encoding="utf-8")
    assert cli("build").exit_code == 0
    collection.import_package(editions / ZH_PACKAGE)
    zh = notes_of(collection.col, ZH_MODEL)
    assert (zh["fenêtre"]["Gloss"], zh["fenêtre"]["Source"]) == ("窗子", "《世界报》")
    assert zh["banque"]["Gloss"] == "银行", "an empty cell is a text not written: the gloss, converted"


def test_preview_shows_one_edition(cli, editions):
    result = cli("preview", "--edition", "zh-CN")
    assert result.exit_code == 0, result.output
    index = Path("dist/preview/index.html").read_text(encoding="utf-8")
    assert "法语词汇 Lexique" in index and "24 notes" in index
    gender = Path("dist/preview/cards/001-gender-question-light.html").read_text(encoding="utf-8")
    assert "阳性还是阴性？" in gender


def test_build_edition_writes_that_edition_alone(cli, editions):
    result = cli("build", "--edition", "zh-CN")
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {ZH_PACKAGE}\n"
    assert not MAIN_PACKAGE.exists() and not LOCKS[0].exists() and LOCKS[1].is_file()
    assert cli("build", "--edition", "zh-CN").output == f"up to date: {ZH_PACKAGE}\n"
    assert cli("build", "--edition", "").output == f"wrote {MAIN_PACKAGE}\n"
    result = cli("build", "--edition", "zh-TW")
    assert result.exit_code == 1
    assert result.stderr == "error: the deck has no edition 'zh-TW' under `variants:` in deck.yaml; declared: zh-CN\n"


_NOT_CHINESE = st.text(st.characters(max_codepoint=0x2E7F, exclude_categories=("Cs",)), max_size=40)  # French too


@given(before=_NOT_CHINESE, after=_NOT_CHINESE)
def test_the_conversion_never_touches_what_is_not_chinese(before, after):
    assert to_simplified(before) == before
    assert to_simplified(f"{before}網路{after}") == f"{before}网络{after}"


def test_each_edition_marks_its_chinese_for_its_readers_glyphs(cli, editions, collection):
    assert cli("build").exit_code == 0

    collection.import_package(MAIN_PACKAGE)
    collection.import_package(ZH_PACKAGE)

    by_model = {card.note().mid: card.question() for card in collection.cards() if card.template()["ord"] == 1}
    assert 'lang="zh-Hant-TW"' in by_model[MAIN_MODEL]
    assert 'lang="zh-Hans-CN"' in by_model[ZH_MODEL], "mainland glyph forms for Simplified text"


@pytest.mark.parametrize(("variants", "expected"), [
    ("  zh-CN: {name: 法語詞彙 LEXIQUE, deck_id: 21, model_id: 22}\n",
     "source/deck.yaml:12:17: deck manifest, field 'variants', edition 'zh-CN', field 'name': expected a name of its "
     "own, found '法語詞彙 LEXIQUE', which is the deck's name; write another (Anki, and some file systems, take names "
     "alike whatever their case)"),
    ("  zh-CN: {name: a, deck_id: 21, model_id: 22}\n"
     "  zh-SG: {name: b, deck_id: 23, model_id: 24, slug: lexique-zh-CN}\n",
     "source/deck.yaml:13:53: deck manifest, field 'variants', edition 'zh-SG', field 'slug': expected a slug of its "
     "own, found 'lexique-zh-CN', which is the slug of edition 'zh-CN'; write another (Anki, and some file systems, "
     "take names alike whatever their case)"),
    ("  zh-CN: {name: a, deck_id: 21, model_id: 22}\n  zh-cn: {name: b, deck_id: 23, model_id: 24}\n",
     "source/deck.yaml:13:3: deck manifest, field 'variants', edition 'zh-cn': expected an edition code of its own, "
     "found 'zh-cn', which is the code of edition 'zh-CN'; write another (Anki, and some file systems, take names "
     "alike whatever their case)"),
    ("  zh-CN: {name: '法语词汇 Lexique:: ', deck_id: 21, model_id: 22}\n",
     "source/deck.yaml:12:17: deck manifest, field 'variants', edition 'zh-CN', field 'name': expected a deck name "
     "whose '::' levels each have a name, found '法语词汇 Lexique::'; remove the empty level"),
])
def test_editions_that_anki_or_a_file_system_would_mix_up_are_refused(cli, project, variants, expected):
    with open("source/deck.yaml", "a", encoding="utf-8") as file:
        file.write("variants:\n" + variants)

    result = cli("build")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == expected
    assert not list(Path("dist").glob("*.apkg")) and not list(Path("source").glob("deck*.lock"))


def test_a_text_written_for_an_edition_is_checked_against_its_script(cli, editions):
    edit("source/hangzhou.yaml", "    gloss@zh-CN: 受欢迎的人,红人\n", "    gloss@zh-CN: 受歡迎的人,红人\n")

    result = cli("validate")

    assert result.exit_code == 0
    assert ("source/hangzhou.yaml:9:5: warning: entry 'coqueluche', field 'gloss@zh-CN': 歡: Traditional, in a deck "
            "in Simplified Chinese (edition zh-CN's `chinese:`); write '受欢迎的人,红人'") in result.stderr.splitlines()
