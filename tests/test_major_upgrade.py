"""2.0.0 over 1.0.0, as a learner who studied 1.0.0 imports it: every note, card and review kept, new fields filled.

tests/fixtures/releases/lexique-1.0.0.apkg is the 1.0.0 package as it was released (rebuilt
byte for byte from its tag); 2.0.0 is built from the committed sources and lock, --locked.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

RELEASE_1 = FIXTURES / "releases" / "lexique-1.0.0.apkg"


@pytest.fixture
def project(real_project):
    for lock in (ROOT / "source").glob("deck*.lock"):  # the deck's, and its zh-CN edition's
        shutil.copy(lock, real_project / "source")
    return real_project


@pytest.fixture
def release_2(cli, project) -> Path:
    result = cli("build", "--locked")
    assert result.exit_code == 0, result.output
    (package,) = Path("dist").glob("lexique-2.*.apkg")
    return package


@pytest.fixture
def studied(collection):
    """A learner who imported 1.0.0 and answered every card of three notes."""
    log = collection.import_package(RELEASE_1)
    assert len(log.new) == 22
    for term in ("coqueluche", "épargner", "privé"):
        for card in collection.cards_of(term).values():
            collection.review(card, ease=3)
    collection.reopen()
    return collection


def scheduling(collection) -> dict:
    return {card.id: (card.nid, card.ord, card.type, card.queue, card.due, card.ivl, card.reps)
            for card in collection.cards()}


def test_a_learner_of_1_0_0_keeps_every_review_and_gets_the_new_fields(studied, release_2):
    before, reviews = scheduling(studied), studied.revlog_count()
    assert reviews >= 9

    log = studied.import_package(release_2, merge_notetypes=True, update_notes=1, update_notetypes=1)

    assert not log.conflicting and not log.new and len(log.updated) == 22
    ours = [model["name"] for model in studied.col.models.all() if model["name"].startswith("Lexique")]
    assert ours == ["Lexique (français)"], "one note type, not a second 'Lexique (français)+'"
    after = scheduling(studied)
    assert {card: before[card] for card in before} == {card: after[card] for card in before}, "cards as studied"
    assert studied.revlog_count() == reviews
    coqueluche = studied.note("coqueluche")
    assert (coqueluche["IPA"], coqueluche["Say"]) == ("kɔkəlyʃ", "la coqueluche")
    assert "coqueluches" in coqueluche["Forms"]
    assert all(note["IPA"] for note in studied.notes().values()), "every entry has its pronunciation"


def test_check_upgrade_proves_it_and_refuses_the_default_options(cli, release_2):
    merged = cli("check-upgrade", str(RELEASE_1), str(release_2), "--merge-note-types")
    assert merged.exit_code == 0, merged.output
    assert merged.output.endswith("notes: 0 new, 22 updated, 0 unchanged, 0 conflicting\n"
                                  "note types: 1 updated, 0 duplicated\ncards: 0 would go blank\n")
    default = cli("check-upgrade", str(RELEASE_1), str(release_2), "--no-merge-note-types")
    assert default.exit_code == 1 and "22 conflicting" in default.output
