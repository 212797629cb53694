"""Rebuilds reach the learner safely, proven with the real Anki engine (see ../shared/ANKI-IMPORT.md).

Every test builds the fixture deck (tests/fixtures/deck/) in a copy, imports it as a
learner would, changes something, rebuilds and re-imports with Anki's default options.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deckbuild.lockfile import read_lock
from tests.conftest import EPOCH, ROOT
from tests.helpers import PACKAGE, edit, pretend_last_release_had_other_card_types, sha256


@pytest.fixture
def learner(cli, collection):
    """A learner who imported the first release and reviewed a few cards."""
    assert cli("bump", "1.0.0").exit_code == 0
    log = collection.import_package(PACKAGE)
    assert len(log.new) == 22
    for term in ("coqueluche", "gratin", "anonymat"):
        for card in collection.cards_of(term).values():
            collection.review(card, ease=3)
    collection.reopen()
    assert collection.revlog_count() == 12
    return collection


def scheduling(collection) -> dict:
    return {card.id: (card.nid, card.did, card.type, card.queue, card.due, card.ivl, card.reps)
            for card in collection.cards()}


def test_an_edited_entry_updates_its_note_in_place_and_keeps_its_history(cli, learner):
    before = scheduling(learner)
    note_id = learner.note("coqueluche").id
    edit("source/hangzhou.yaml", "gloss: 受愛戴的人,紅人,寵兒", "gloss: 受愛戴的人,紅人,寵兒(口語)")
    # The same SOURCE_DATE_EPOCH as the first build: the note's time must still move forward.
    assert cli("build").exit_code == 0

    log = learner.import_package(PACKAGE)

    assert [note.fields[0] for note in log.updated] == ["coqueluche"]
    assert (len(log.new), len(log.duplicate), len(log.conflicting)) == (0, 21, 0)
    assert learner.note("coqueluche")["Gloss"] == "受愛戴的人，紅人，寵兒（口語）"  # typeset full-width
    assert learner.note("coqueluche").id == note_id
    assert scheduling(learner) == before, "cards, decks and scheduling are kept; nothing is added"
    assert learner.revlog_count() == 12


@pytest.mark.parametrize(("old", "new", "term", "field", "arrived"), [
    ("etymology: 源自動詞 *ralentir*。", "etymology: 源自動詞 *ralentir*(使變慢)。",
     "ralentissement", "Etymology", "源自動詞 <i>ralentir</i>（使變慢）。"),
    ("example: Le gratin de la tech chinoise", "example: Le gratin de la tech française",
     "gratin", "Example", 'Le <span class="highlight">gratin</span> de la tech française'),
    ("notes: 在醫學上,指百日咳。", "notes: 醫學上指百日咳。", "coqueluche", "Notes", "醫學上指百日咳。"),
])
def test_every_kind_of_edit_arrives(cli, learner, old, new, term, field, arrived):
    edit("source/hangzhou.yaml", old, new)
    assert cli("build").exit_code == 0
    log = learner.import_package(PACKAGE)
    assert [note.fields[0] for note in log.updated] == [term]
    assert not log.new and not log.conflicting
    assert learner.note(term)[field] == arrived


def test_a_learners_edit_to_an_unchanged_note_survives_a_rebuild(cli, learner):
    gratin = learner.note("gratin")
    gratin["Notes"] = "my own mnemonic"
    gratin.tags.append("mine")
    learner.col.update_note(gratin)
    lock_before = read_lock(Path("source/deck.lock"))
    edit("source/hangzhou.yaml", "gloss: 詐欺,舞弊", "gloss: 詐欺;舞弊")
    assert cli("build").exit_code == 0

    log = learner.import_package(PACKAGE)

    assert [note.fields[0] for note in log.updated] == ["fraude"]
    assert learner.note("gratin")["Notes"] == "my own mnemonic"
    assert "mine" in learner.note("gratin").tags
    lock_after = read_lock(Path("source/deck.lock"))
    unchanged = [guid for guid, stamp in lock_after.notes.items() if stamp.identity != "fraude|noun"]
    assert all(lock_after.notes[guid] == lock_before.notes[guid] for guid in unchanged)


def test_a_new_entry_is_a_new_note_at_the_end_of_the_new_cards(cli, learner, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 86400))
    with open("source/hangzhou.yaml", "a", encoding="utf-8") as file:
        file.write("\n  - term: garder\n    pos: transitive-verb\n    gloss: 保持\n")
    assert cli("build").exit_code == 0

    log = learner.import_package(PACKAGE)

    assert [note.fields[0] for note in log.new] == ["garder"]
    assert len(log.duplicate) == 22 and not log.updated
    garder = learner.note("garder")
    assert garder.id // 1000 == EPOCH + 86400, "Anki's Added date is when the entry first appeared"
    assert learner.note("coqueluche").id // 1000 == EPOCH
    new_cards = sorted((c for c in learner.cards() if c.type == 0), key=lambda c: c.due)
    assert new_cards[-1].note()["Term"] == "garder"


def test_template_and_css_changes_arrive_and_unchanged_ones_keep_their_time(cli, learner):
    lock_path = Path("source/deck.lock")
    type_time = read_lock(lock_path).note_type.modified
    assert cli("build").exit_code == 0
    assert read_lock(lock_path).note_type.modified == type_time, "nothing changed, nothing moves"

    edit("templates/recognition.front.html", '<div class="term" lang="fr">{{Term}}</div>',
         '<div class="term" lang="fr">{{Term}}</div>\n  <p class="hint">?</p>')
    edit("templates/style.css", "--masculine: #1b5fa8;", "--masculine: #1a4f98;")
    assert cli("build").exit_code == 0
    assert read_lock(lock_path).note_type.modified > type_time

    log = learner.import_package(PACKAGE)

    assert not log.conflicting and not log.new
    note_type = learner.col.models.by_name("Lexique (français)")
    assert '<p class="hint">?</p>' in note_type["tmpls"][0]["qfmt"]
    assert "#1a4f98" in note_type["css"]
    assert '<p class="hint">?</p>' in learner.cards_of("coqueluche")["Recognition"].question()
    names = [entry.name for entry in learner.col.models.all_names_and_ids()]
    assert [name for name in names if name.startswith("Lexique")] == ["Lexique (français)"], "no second one"


def test_the_same_sources_build_the_same_bytes(cli, project, tmp_path):
    assert cli("build").exit_code == 0
    first = sha256(project / PACKAGE)
    assert cli("build").exit_code == 0
    assert sha256(project / PACKAGE) == first

    # A second checkout, built the same way, gives the same file too: zip dates included.
    other = tmp_path / "other"
    shutil.copytree(ROOT / "templates", other / "templates")
    shutil.copytree(project / "source", other / "source")
    (other / "source" / "deck.lock").unlink()
    import os

    os.chdir(other)
    assert cli("build").exit_code == 0
    assert sha256(other / PACKAGE) == first


def test_a_schema_change_is_refused_without_a_major_version(cli, project):
    assert cli("bump", "1.0.0").exit_code == 0
    pretend_last_release_had_other_card_types(project / "source" / "deck.lock")
    before = sha256(project / PACKAGE)

    result = cli("build")

    assert result.exit_code == 1
    assert result.stderr == (
        "error: the note type's fields or card types changed (card types ['Recognition', 'Production', "
        "'Gender'] -> ['Recognition', 'Production', 'Gender', 'Context']), but the major version did not: "
        "it is 1.0.0, and the last release was 1.0.0. Existing notes would stop updating in learners' "
        "collections. Revert the change, or raise `version` in source/deck.yaml to 2.0.0 and tell learners "
        "to import it with \"Merge note types\" (see the README)\n")
    assert sha256(project / PACKAGE) == before

    edit("source/deck.yaml", "version: 1.0.0", "version: 2.0.0")
    assert cli("build").exit_code == 0
    edit("source/deck.yaml", "version: 2.0.0", "version: 2.1.0")
    assert cli("build").exit_code == 0, "2.x is not released yet: its note type may still change"


def test_a_new_card_type_reaches_learners_who_merge_note_types(cli, learner, project, monkeypatch):
    """What the README tells learners to do for a new major version, done with the real engine."""
    import deckbuild.render

    # Version 1 had three card types: build it again as it was, and import it first.
    monkeypatch.setattr(deckbuild.render, "CARD_TYPES", ("Recognition", "Production", "Gender"))
    (project / "source" / "deck.lock").unlink()
    assert cli("build").exit_code == 0
    shutil.copy(PACKAGE, "v1.apkg")
    monkeypatch.undo()
    monkeypatch.chdir(project)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 3600))
    edit("source/deck.yaml", "version: 1.0.0", "version: 2.0.0")
    assert cli("build").exit_code == 0

    result = cli("check-upgrade", "--no-merge-note-types", "v1.apkg", "dist/lexique-2.0.0.apkg")
    assert result.exit_code == 1 and "22 conflicting" in result.output
    assert "note types: 0 updated, 1 duplicated" in result.output

    for flags in (["--merge-note-types"], []):  # by default, as learners are told to: the note type changed
        merged = cli("check-upgrade", *flags, "v1.apkg", "dist/lexique-2.0.0.apkg")
        assert merged.exit_code == 0, merged.output
        assert "0 conflicting" in merged.output and "0 duplicated" in merged.output
    assert merged.stderr.startswith("warning: the note type's fields or card types differ")


def test_check_upgrade_reports_what_a_learner_gets(cli, project):
    assert cli("build").exit_code == 0
    shutil.copy(PACKAGE, "old.apkg")
    edit("source/hangzhou.yaml", "gloss: 洗錢", "gloss: 洗錢(金融)")
    with open("source/hangzhou.yaml", "a", encoding="utf-8") as file:
        file.write("\n  - term: garder\n    pos: transitive-verb\n    gloss: 保持\n")
    assert cli("build").exit_code == 0

    result = cli("check-upgrade", "old.apkg", str(PACKAGE))

    assert result.exit_code == 0
    assert result.output == (
        "importing dist/lexique-1.0.0.apkg over old.apkg:\n"
        "notes: 1 new, 1 updated, 21 unchanged, 0 conflicting\n"
        "note types: 0 updated, 0 duplicated\n"
        "cards: 0 would go blank\n")


def test_check_upgrade_says_when_a_package_is_missing(cli):
    result = cli("check-upgrade", "nope.apkg", "nope2.apkg")
    assert result.exit_code == 1
    assert result.stderr == "error: nope.apkg: no such package\n"


def test_check_upgrade_without_the_anki_engine_says_how_to_get_it(cli, monkeypatch):
    import sys

    for name in [n for n in sys.modules if n == "anki" or n.startswith("anki.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "anki", None)  # what Python does when the package is absent
    result = cli("check-upgrade", "a.apkg", "b.apkg")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: check-upgrade needs the Anki engine, the PyPI package `anki`")


def test_a_corrected_term_warns_and_an_id_keeps_the_note(cli, learner):
    edit("source/hangzhou.yaml", "term: blanchiment", "term: blanchîment")  # a typo, to be fixed later
    result = cli("build")
    assert result.exit_code == 0
    assert result.stderr == (
        "source/hangzhou.yaml:77:5: warning: entry 'blanchîment': its example does not contain 'blanchîment', so "
        "it gets no Context card; add `form:` with the word as the example writes it (épargnée for épargner)\n"
        "source/hangzhou.yaml:77:5: warning: entry 'blanchîment' is new, and 'blanchiment|noun' left the "
        "source in the same change; if it is the same word corrected, add `id: \"blanchiment|noun\"` to it "
        "to keep learners' review history\n")

    edit("source/hangzhou.yaml", "term: blanchîment", 'term: blanchîment\n    id: "blanchiment|noun"')
    result = cli("build")
    assert result.exit_code == 0
    assert result.stderr == (  # the example still says "blanchiment": a studied Context card would go blank
        "source/hangzhou.yaml:77:5: warning: entry 'blanchîment': its example does not contain 'blanchîment', so "
        "it gets no Context card; add `form:` with the word as the example writes it (épargnée for épargner)\n"
        "source/hangzhou.yaml:77:5: warning: entry 'blanchîment' no longer makes its Context card, which learners "
        "of 1.0.0 have: theirs would go blank (a Context card needs an example that contains the term or its "
        "`form`); put back what it needs, or tell learners to run Tools > Empty Cards\n")
    log = learner.import_package(PACKAGE)
    assert [note.fields[0] for note in log.updated] == ["blanchîment"]
    assert not log.new and "blanchiment" not in learner.notes()


def test_a_removed_entry_ships_tagged_and_learners_keep_it(cli, learner, project):
    text = Path("source/hangzhou.yaml").read_text(encoding="utf-8")
    start = text.index("  - term: gratin")
    Path("source/hangzhou.yaml").write_text(text[:start] + text[text.index("  - term: numéro un"):],
                                            encoding="utf-8")
    assert cli("build").exit_code == 0

    log = learner.import_package(PACKAGE)

    assert [note.fields[0] for note in log.updated] == ["gratin"]
    gratin = learner.note("gratin")
    assert "lexique::removed" in gratin.tags and gratin["Gloss"] == "卓越、領導人物"
    assert learner.col.find_notes("tag:lexique::removed") == [gratin.id]
    assert len(learner.notes()) == 22

    assert cli("build", "--locked").exit_code == 0, "stable: a removed note is stamped once"


def test_an_entry_added_and_removed_between_two_releases_is_simply_dropped(cli, project):
    assert cli("bump", "1.0.0").exit_code == 0
    with open("source/hangzhou.yaml", "a", encoding="utf-8") as file:
        file.write("\n  - term: garder\n    pos: transitive-verb\n    gloss: 保持\n")
    assert cli("build").exit_code == 0
    edit("source/hangzhou.yaml", "\n  - term: garder\n    pos: transitive-verb\n    gloss: 保持\n", "")
    assert cli("build").exit_code == 0
    identities = {stamp.identity for stamp in read_lock(project / "source" / "deck.lock").notes.values()}
    assert "garder|transitive-verb" not in identities and len(identities) == 22


@pytest.mark.parametrize("built_after_the_edit", [True, False])
def test_a_changed_note_replaces_the_learners_edits_made_before_the_build(cli, learner, monkeypatch,
                                                                          built_after_the_edit):
    """As the README says: Anki replaces the whole note, if the build is newer than the learner's edit."""
    import time

    note = learner.note("coqueluche")
    note["Notes"] = "my own mnemonic"
    note.tags.append("mine")
    learner.col.update_note(note)
    edited_at = learner.note("coqueluche").mod
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(time.time()) + 60 if built_after_the_edit else EPOCH))
    edit("source/hangzhou.yaml", "gloss: 受愛戴的人,紅人,寵兒", "gloss: 受愛戴的人,紅人,寵兒(口語)")
    assert cli("build").exit_code == 0
    log = learner.import_package(PACKAGE)
    note = learner.note("coqueluche")
    if built_after_the_edit:
        assert [n.fields[0] for n in log.updated] == ["coqueluche"]
        assert note["Notes"] == "在醫學上，指百日咳。" and "mine" not in note.tags
    else:  # edited after the build: the learner's version stays
        assert not log.updated and note.mod == edited_at
        assert note["Notes"] == "my own mnemonic" and note["Gloss"] == "受愛戴的人，紅人，寵兒"


def test_renaming_the_deck_makes_a_new_empty_deck_beside_the_old_one(cli, learner):
    """As the README warns: decks are matched by name."""
    edit("source/deck.yaml", "name: 法語詞彙 Lexique", "name: 法語詞彙")
    edit("source/hangzhou.yaml", "gloss: 詐欺,舞弊", "gloss: 詐欺;舞弊")
    assert cli("build").exit_code == 0
    learner.import_package(PACKAGE)
    decks = {deck.name: deck.id for deck in learner.col.decks.all_names_and_ids()}
    assert {"法語詞彙 Lexique", "法語詞彙"} <= set(decks)
    assert {card.did for card in learner.cards()} == {decks["法語詞彙 Lexique"]}, "the cards stay where they were"


def test_an_edit_undone_before_the_next_release_leaves_the_note_as_released(cli, learner, monkeypatch):
    """A note changed and changed back is, for learners, unchanged: its release's time comes back."""
    lock_path = Path("source/deck.lock")
    released = read_lock(lock_path).notes
    edit("source/hangzhou.yaml", "gloss: 匿名", "gloss: 匿名(不具名)")
    edit("source/hangzhou.yaml", "term: virage", "term: virrage")
    assert cli("build").exit_code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 60))
    edit("source/hangzhou.yaml", "gloss: 匿名(不具名)", "gloss: 匿名")
    edit("source/hangzhou.yaml", "term: virrage", "term: virage")
    assert cli("build").exit_code == 0

    assert read_lock(lock_path).notes == released
    log = learner.import_package(PACKAGE)
    assert not log.updated and not log.new and len(log.duplicate) == 22


def test_strict_turns_the_rename_warning_into_a_failure(cli, learner):
    edit("source/hangzhou.yaml", "term: blanchiment", "term: blanchîment")
    before = sha256(PACKAGE)
    result = cli("build", "--strict")
    assert result.exit_code == 1
    assert "keep learners' review history\n" in result.stderr
    assert result.stderr.endswith("\n2 problems in the source; nothing was written.\n")
    assert sha256(PACKAGE) == before
    assert cli("validate", "--strict").exit_code == 1
