"""`import`, proven with the real Anki engine: a deck made by hand in Anki comes in, builds, and its learners keep
every review.

The teacher's deck is made in a real collection, as a teacher makes one: the stock Basic note type,
French notes with HTML, a picture, a sound and tags, some cards studied; then exported by the engine
itself as .apkg in both formats (legacy and current) and as "Notes in Plain Text".
"""

from __future__ import annotations

import shutil
from pathlib import Path

import genanki
import pytest
import yaml
from anki.collection import Collection, DeckIdLimit, ExportAnkiPackageOptions
from hypothesis import given, settings
from hypothesis import strategies as st

from deckbuild.importing.convert import from_html
from deckbuild.importing.write import scalar
from deckbuild.package import read_package
from tests.anki_engine import AnkiCollection
from tests.conftest import ROOT

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
                    "000154a24f5d0000000049454e44ae426082")
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00 a recording of livre"
NOTES = [  # Front, Back, tags: as a teacher types them in Anki's editor
    ('soleil<img src="soleil.png">', "太陽", ["nature"]),
    ("<b>livre</b>[sound:livre.mp3]", "書；<i>磅</i>", ["objets", "lecture"]),
    ("manger&nbsp;", "吃<br>食用", []),
    ('<div>la <span style="color:red">fenêtre</span></div>', "窗戶", ["maison"]),
]
ALWAYS = 1  # IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
AS_DOCUMENTED = {"merge_notetypes": True, "update_notes": ALWAYS, "update_notetypes": ALWAYS}


class HandMade:
    """The teacher's deck: its exports and the GUIDs of its notes, in the order they were added."""

    def __init__(self, root: Path):
        self.root = root
        self.legacy, self.current, self.text = root / "legacy.apkg", root / "current.apkg", root / "notes.txt"
        self.media = root / "teacher.media"
        self.guids: list[str] = []


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory) -> HandMade:
    deck = HandMade(tmp_path_factory.mktemp("teacher"))
    col = Collection(str(deck.root / "teacher.anki2"))
    try:
        (deck.root / "soleil.png").write_bytes(PNG)
        (deck.root / "livre.mp3").write_bytes(MP3)
        for name in ("soleil.png", "livre.mp3"):
            col.media.add_file(str(deck.root / name))
        basic, did = col.models.by_name("Basic"), col.decks.id("Mon vocabulaire")
        for front, back, tags in NOTES:
            note = col.new_note(basic)
            note["Front"], note["Back"], note.tags = front, back, tags
            col.add_note(note, did)
            deck.guids.append(note.guid)
        col.decks.select(did)
        for _ in range(2):  # the teacher studied two cards
            card = col.sched.getCard()
            card.start_timer()
            col.sched.answerCard(card, 4)
        for path, legacy in ((deck.legacy, True), (deck.current, False)):
            col.export_anki_package(out_path=str(path), limit=DeckIdLimit(did), options=ExportAnkiPackageOptions(
                with_scheduling=True, with_deck_configs=False, with_media=True, legacy=legacy))
        col.export_note_csv(out_path=str(deck.text), limit=DeckIdLimit(did), with_html=True, with_tags=True,
                            with_deck=True, with_notetype=True, with_guid=True)
    finally:
        col.close()
    return deck


@pytest.fixture
def new_project(project: Path) -> Path:
    """A teacher's new project: deck.yaml named like the hand-made deck, no entries yet."""
    (project / "source" / "hangzhou.yaml").unlink()
    manifest = project / "source" / "deck.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("name: 法語詞彙 Lexique", "name: Mon vocabulaire"),
                        encoding="utf-8")
    return project


EXPECTED_ENTRIES = [  # and in each guid:, the GUID of the hand-made note
    {"term": "soleil", "pos": "noun", "gender": "m", "gloss": "太陽", "image": "soleil.png", "tags": ["nature"]},
    {"term": "livre", "pos": "noun", "gloss": "書；*磅*", "audio": "livre.mp3", "tags": ["lecture", "objets"]},
    {"term": "manger", "gloss": "吃\n食用"},
    {"term": "fenêtre", "pos": "noun", "gender": "f", "gloss": "窗戶", "tags": ["maison"]},
]
KEY_LINES = ["  - term: soleil", "    pos: noun", "    gender: m", "    gloss: 太陽", "    image: soleil.png",
             "    tags: [nature]"]  # one key a line, in the order the README lists them


def to_fill(lines: int) -> list[str]:
    """The located lines `import` prints for livre's gender and manger's pos, the file's entries starting at `lines`."""
    return [
        f"source/vocabulaire.yaml:{lines + 7}:5: entry 'livre': missing field 'gender' (a noun needs one): expected m, "
        "f or mf; the dictionary has 'livre' as n.m. and n.f.: write gender: m, f, or mf if it takes both",
        f"source/vocabulaire.yaml:{lines + 13}:5: entry 'manger': missing field 'pos' (part of speech); the dictionary "
        "has 'manger' as n.m. and as v.: write its pos",
    ]


@pytest.mark.parametrize("kind", ["legacy", "current", "text"])
def test_every_export_of_the_hand_made_deck_comes_in_alike(cli, new_project, hand_made, kind):
    export = getattr(hand_made, kind)
    args = ["--media", str(hand_made.media)] if kind == "text" else []
    result = cli("import", str(export), "--to", "source/vocabulaire.yaml", *args)

    assert result.exit_code == 0, result.output
    text = (new_project / "source" / "vocabulaire.yaml").read_text(encoding="utf-8")
    head, _, entries = text.partition("entries:\n")
    expected = [{**entry, "guid": guid} for entry, guid in zip(EXPECTED_ENTRIES, hand_made.guids, strict=True)]
    assert yaml.safe_load(text)["entries"] == expected
    assert entries.splitlines()[:6] == KEY_LINES and entries.count("\n") == 24
    first = head.count("\n") + 2  # the line of the first entry
    assert result.stderr.splitlines()[-3:-1] == to_fill(first)
    assert result.stdout == "wrote source/vocabulaire.yaml: 4 entries, 2 media files\n"
    guessed = ["guessed: Front → term (--map to say otherwise)", "guessed: Back → gloss (--map to say otherwise)"]
    assert result.stderr.splitlines()[:2] == guessed
    assert (new_project / "source" / "media" / "soleil.png").read_bytes() == PNG
    assert (new_project / "source" / "media" / "livre.mp3").read_bytes() == MP3
    if kind == "text":
        assert "note_type_ids" not in head
        assert "warning: learners of the hand-made deck would lose their reviews" in result.stderr
    else:
        assert "note_type_ids:" in head and "Recognition: " in head
        assert "learners of the hand-made deck keep every review" in result.stderr


def fill_in_what_the_dictionary_could_not_tell(project: Path) -> None:
    path = project / "source" / "vocabulaire.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - term: livre\n    pos: noun\n", "  - term: livre\n    pos: noun\n    gender: m\n")
    text = text.replace("  - term: manger\n", "  - term: manger\n    pos: verb\n")
    path.write_text(text, encoding="utf-8")


def learner_of(hand_made: HandMade, root: Path) -> AnkiCollection:
    """A learner who imported the hand-made deck and studied three of its cards."""
    learner = AnkiCollection(root / "learner" / "collection.anki2")
    log = learner.import_package(hand_made.legacy)
    assert len(log.new) == 4
    learner.col.decks.select(learner.col.decks.id("Mon vocabulaire"))
    for _ in range(3):
        card = learner.col.sched.getCard()
        learner.review(card, ease=4)
    learner.reopen()
    return learner


def scheduling(learner: AnkiCollection) -> dict[int, tuple]:
    return {card_id: row for card_id, *row in learner.col.db.all(
        "select id, nid, type, queue, due, ivl, reps, factor from cards")}


@pytest.mark.parametrize("kind", ["legacy", "current"])
def test_a_learner_of_the_hand_made_deck_keeps_every_review(cli, new_project, hand_made, tmp_path, kind):
    assert cli("import", str(getattr(hand_made, kind)), "--to", "source/vocabulaire.yaml").exit_code == 0
    fill_in_what_the_dictionary_could_not_tell(new_project)
    built = cli("build")
    assert built.exit_code == 0, built.output
    package = new_project / "dist" / "lexique-1.0.0.apkg"
    learner = learner_of(hand_made, tmp_path)
    try:
        before, reviews = scheduling(learner), learner.revlog_count()
        studied = {card_id for card_id, row in before.items() if row[5] > 0}
        assert reviews == 3 and len(studied) == 3

        log = learner.import_package(package, **AS_DOCUMENTED)

        assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 4, 0)
        assert learner.col.db.scalar("select count() from notes") == 4, "no duplicates"
        after = scheduling(learner)
        assert {card: after[card] for card in before} == before, "every card as studied: due, interval, reviews"
        assert learner.revlog_count() == reviews
        notes = {note["Term"]: note for note in map(learner.col.get_note, learner.col.find_notes(""))}
        assert sorted(notes) == ["fenêtre", "livre", "manger", "soleil"]
        assert {note.guid for note in notes.values()} == set(hand_made.guids)
        assert (notes["fenêtre"]["Definite"], notes["soleil"]["Gender"]) == ("la\u00a0fenêtre", "m")
        assert notes["soleil"]["Image"].startswith('<img src="soleil-')
        assert notes["livre"]["Audio"].startswith("[sound:livre-")
        assert sorted(notes["livre"].tags) == ["lecture", "objets"]
        for card_id in studied:
            card = learner.col.get_card(card_id)
            assert card.template()["name"] == "Recognition" and card.note_type()["name"] == "Lexique (français)"
            assert card.ivl > 0 and card.question()
        assert [model["name"] for model in learner.col.models.all() if model["name"].startswith(("Lexique", "Basic+"))
                ] == ["Lexique (français)"], "one note type of ours, the hand-made one merged into it"
        assert not learner.col.get_empty_cards().notes
        types = sorted(card.template()["name"] for card in learner.cards())
        assert types.count("Recognition") == 4 and types.count("Production") == 4 and types.count("Gender") == 3
        again = learner.import_package(package)  # a later import with the default options: nothing conflicts
        assert not again.conflicting and not again.new
    finally:
        learner.close()

    checked = cli("check-upgrade", str(getattr(hand_made, kind)), "dist/lexique-1.0.0.apkg")
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.endswith("notes: 0 new, 4 updated, 0 unchanged, 0 conflicting\n"
                                   "note types: 0 updated, 0 duplicated\ncards: 0 would go blank\n"
                                   "studied cards: 4 of 4 carried over to the deck's note type, reviews kept\n")
    default = cli("check-upgrade", str(getattr(hand_made, kind)), "dist/lexique-1.0.0.apkg", "--no-merge-note-types")
    assert default.exit_code == 1 and "4 conflicting" in default.stdout and "0 of 4 carried over" in default.stdout


def test_from_a_text_export_check_upgrade_shows_the_reviews_that_would_be_lost(cli, new_project, hand_made):
    result = cli("import", str(hand_made.text), "--to", "source/vocabulaire.yaml", "--media", str(hand_made.media))
    assert "Export the deck as an Anki package instead" in result.stderr
    fill_in_what_the_dictionary_could_not_tell(new_project)
    assert cli("build").exit_code == 0
    checked = cli("check-upgrade", str(hand_made.legacy), "dist/lexique-1.0.0.apkg")
    assert checked.exit_code == 1
    assert "cards: 4 would go blank\nstudied cards: 0 of 4 carried over" in checked.stdout


def test_a_spreadsheet_export_comes_in(cli, new_project):
    sheet = new_project / "words.csv"
    sheet.write_bytes("\ufeffMot,中文,Exemple,Tags\r\n"
                      "soleil,太陽,\"Le soleil brille, enfin.\",nature\r\n"
                      "\"la voiture\",\"汽車\r\n轎車\",,\r\n"
                      "partir,離開,,\r\n".encode())
    result = cli("import", str(sheet), "--to", "source/mots.yaml")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:3] == ["guessed: Mot → term (--map to say otherwise)",
                                              "guessed: 中文 → gloss (--map to say otherwise)",
                                              "guessed: Exemple → example (--map to say otherwise)"]
    assert (new_project / "source" / "mots.yaml").read_text(encoding="utf-8").endswith(
        "entries:\n"
        "  - term: soleil\n    pos: noun\n    gender: m\n    gloss: 太陽\n    example: Le soleil brille, enfin.\n"
        "    tags: [nature]\n"
        "  - term: voiture\n    pos: noun\n    gender: f\n    gloss: |-\n      汽車\n      轎車\n"
        "  - term: partir\n    pos: verb\n    gloss: 離開\n")
    built = cli("build")
    assert built.exit_code == 0, built.output
    first_line = (new_project / "source" / "mots.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# yaml-language-server: $schema="), "editors check it as they do the others"
    schema = (new_project / "source" / first_line.partition("$schema=")[2]).resolve()
    assert schema == ROOT / "deckbuild" / "schemas" / "reading.schema.json"


def test_map_says_which_field_is_which_key(cli, new_project):
    sheet = new_project / "words.tsv"
    sheet.write_text("A\tB\tC\nsoleil\t太陽\tune étoile\n", encoding="utf-8")
    result = cli("import", str(sheet), "--to", "source/mots.yaml", "--map", "a=term", "--map", "B=gloss",
                 "--map", "C=-")
    assert result.exit_code == 0, result.output
    assert "guessed" not in result.stderr and "étoile" not in (new_project / "source" / "mots.yaml").read_text()
    left = cli("import", str(sheet), "--to", "source/autres.yaml", "--map", "A=term", "--map", "B=gloss")
    assert "warning: field 'C' has text but no entry key takes it: left out (--map 'C=notes' keeps it)" in left.stderr
    bad = cli("import", str(sheet), "--to", "source/x.yaml", "--map", "A=trem")
    assert bad.exit_code == 1
    assert bad.stderr == "error: --map A=trem: 'trem' is not an entry key; did you mean 'term'?\n"
    missing = cli("import", str(sheet), "--to", "source/x.yaml", "--map", "Z=term")
    assert missing.stderr == "error: --map Z=term: the export has no field 'Z'; its fields are: A, B, C\n"
    assert not (new_project / "source" / "x.yaml").exists()


def test_import_never_replaces_a_file_unasked(cli, new_project, hand_made):
    target = new_project / "source" / "vocabulaire.yaml"
    target.write_text("entries: []\n", encoding="utf-8")
    result = cli("import", str(hand_made.legacy), "--to", "source/vocabulaire.yaml")
    assert result.exit_code == 1
    assert result.stderr == ("error: source/vocabulaire.yaml already exists; choose another name, or add --force to "
                             "replace it\n")
    assert target.read_text(encoding="utf-8") == "entries: []\n"
    assert cli("import", str(hand_made.legacy), "--to", "source/vocabulaire.yaml", "--force").exit_code == 0
    assert "guid:" in target.read_text(encoding="utf-8")
    assert not list((new_project / "source").glob(".*.partial"))


def test_import_says_when_the_deck_names_differ(cli, project, hand_made):
    result = cli("import", str(hand_made.current), "--to", "source/vocabulaire.yaml")
    assert ("the hand-made deck is named 'Mon vocabulaire' and deck.yaml names this one '法語詞彙 Lexique'"
            in result.stderr)


def test_two_entries_cannot_have_one_guid(cli, new_project):
    (new_project / "source" / "mots.yaml").write_text(
        "entries:\n"
        "  - {term: soleil, pos: noun, gender: m, gloss: 太陽, guid: abc}\n"
        "  - {term: lune, pos: noun, gender: f, gloss: 月亮, guid: abc}\n", encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "source/mots.yaml:3:5: entry 'lune', field 'guid': expected a GUID of its own, found 'abc', the GUID of the "
        "entry at source/mots.yaml:2:5; two entries cannot be one Anki note: remove one")


def test_an_unreadable_file_is_one_line(cli, new_project):
    broken = new_project / "broken.apkg"
    broken.write_bytes(b"not a zip")
    result = cli("import", str(broken), "--to", "source/x.yaml")
    assert result.exit_code == 1 and result.stderr.startswith("error: broken.apkg: not an Anki package")
    shutil.copy(broken, new_project / "x.doc")
    other = cli("import", "x.doc", "--to", "source/x.yaml")
    assert other.exit_code == 1 and "expected an Anki package (.apkg)" in other.stderr


def stock_package(package: Path, note_type: str, notes: list[dict[str, str]]) -> Path:
    """A teacher's deck 'Mon vocabulaire' of notes of one of Anki's stock note types, exported to `package`."""
    (package.parent / "teacher").mkdir()
    teacher = Collection(str(package.parent / "teacher" / "collection.anki2"))
    try:
        kind, did = teacher.models.by_name(note_type), teacher.decks.id("Mon vocabulaire")
        for fields in notes:
            note = teacher.new_note(kind)
            for name, value in fields.items():
                note[name] = value
            teacher.add_note(note, did)
        teacher.export_anki_package(out_path=str(package), limit=DeckIdLimit(did), options=ExportAnkiPackageOptions(
            with_scheduling=False, with_deck_configs=False, with_media=False, legacy=False))
    finally:
        teacher.close()
    return package


def test_a_reversed_hand_made_deck_keeps_the_reviews_of_both_directions(cli, new_project, tmp_path):
    package = stock_package(tmp_path / "reversed.apkg", "Basic (and reversed card)",
                            [{"Front": "soleil", "Back": "太陽"}, {"Front": "fenêtre", "Back": "窗戶"}])
    imported = cli("import", str(package), "--to", "source/vocabulaire.yaml")
    assert imported.exit_code == 0 and "keep every review" in imported.stderr, imported.output
    assert cli("build").exit_code == 0
    learner = AnkiCollection(tmp_path / "learner" / "collection.anki2")
    try:
        learner.import_package(package)
        asked = {}
        for card in learner.cards():
            learner.review(card, ease=4)
            asked[card.id] = card.template()["name"]
        learner.reopen()
        intervals = {card.id: card.ivl for card in learner.cards()}

        log = learner.import_package(new_project / "dist" / "lexique-1.0.0.apkg", **AS_DOCUMENTED)

        assert (len(log.updated), len(log.conflicting), len(log.new)) == (2, 0, 0)
        became = {card_id: learner.col.get_card(card_id).template()["name"] for card_id in asked}
        assert sorted((asked[card], became[card]) for card in asked) == [("Card 1", "Recognition")] * 2 + [
            ("Card 2", "Production")] * 2
        assert all(learner.col.get_card(card_id).ivl == ivl > 0 for card_id, ivl in intervals.items())
        assert not learner.col.get_empty_cards().notes
    finally:
        learner.close()


def test_two_files_cannot_give_our_note_type_different_ids(cli, new_project):
    for name, term_id in (("a", 11), ("b", -12)):
        (new_project / "source" / f"{name}.yaml").write_text(
            f"note_type_ids:\n  replaces: Basic\n  fields: {{Term: {term_id}}}\n"
            f"entries:\n  - {{term: soleil{name}, pos: noun, gender: m, gloss: 太陽}}\n", encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "source/b.yaml:2:3: file, field 'note_type_ids': Term takes the id 11 in source/a.yaml and -12 here; our note "
        "type can replace one hand-made note type only: keep the ids of the one learners had")
    (new_project / "source" / "b.yaml").unlink()
    bad = new_project / "source" / "a.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("Term: 11", "Trem: 0"), encoding="utf-8")
    assert cli("validate").stderr.splitlines()[0] == (
        "source/a.yaml:3:12: file, field 'note_type_ids', field 'fields': unknown field 'Trem'; did you mean 'Term'?")


def test_a_spreadsheet_may_say_the_word_class_as_dictionaries_do(cli, new_project):
    sheet = new_project / "words.csv"
    sheet.write_text("term;gloss;pos\nlivre;書;n.m.\nheureux;快樂的;adj.\nvite;快;adv\n", encoding="utf-8")
    result = cli("import", str(sheet), "--to", "source/mots.yaml")
    assert result.exit_code == 0 and "to fill in" not in result.stderr, result.output
    assert (new_project / "source" / "mots.yaml").read_text(encoding="utf-8").endswith(
        "entries:\n  - term: livre\n    pos: noun\n    gender: m\n    gloss: 書\n"
        "  - term: heureux\n    pos: adjective\n    gloss: 快樂的\n  - term: vite\n    pos: adverb\n    gloss: 快\n")
    outside = cli("import", str(sheet), "--to", "elsewhere/mots.yaml")
    assert outside.exit_code == 1 and outside.stderr == (
        "error: --to elsewhere/mots.yaml: expected a file under source/, where the build reads it\n")


def test_a_cloze_deck_is_said_plainly_to_lose_its_reviews(cli, new_project, tmp_path):
    package = stock_package(tmp_path / "cloze.apkg", "Cloze", [{"Text": "le {{c1::soleil}}", "Back Extra": "太陽"}])
    result = cli("import", str(package), "--to", "source/vocabulaire.yaml", "--map", "Text=term",
                 "--map", "Back Extra=gloss")
    assert result.exit_code == 0, result.output
    assert ("warning: learners of the hand-made deck would lose reviews: 'Cloze' is a cloze note type, which Anki "
            "never merges with a standard one") in result.stderr
    path = new_project / "source" / "vocabulaire.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "term: le {{c1::soleil}}", "term: soleil\n    pos: noun\n    gender: m"), encoding="utf-8")
    built = cli("build")
    assert built.exit_code == 0, built.output
    checked = cli("check-upgrade", str(package), "dist/lexique-1.0.0.apkg")
    assert checked.exit_code == 1 and "Anki cannot import it" in checked.stderr


@settings(max_examples=300, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n :#*'\"-[]{}|>"),
                    min_size=1).map(lambda t: "\n".join(line.strip() for line in t.strip().split("\n"))).filter(bool))
def test_every_value_is_written_as_yaml_reads_it_back(text):
    document = yaml.safe_load(f"entries:\n  - gloss: {scalar(text, '    ')}\n    term: x\n")
    assert document["entries"][0]["gloss"] == text


@pytest.mark.parametrize(("html", "marks", "expected"), [
    ("<b>livre</b>", True, "**livre**"),
    ("<b>livre</b>", False, "livre"),
    ("un <i>faux</i> ami&nbsp;!", True, "un *faux* ami !"),
    ("<div>ligne 1</div><div>ligne 2</div>", True, "ligne 1\nligne 2"),
    ("a<br>b<br/><br>c", True, "a\nb\n\nc"),
    ('<span style="color:red">rouge</span> &amp; <a href="x">lien</a>', True, "rouge & lien"),
    ("<ul><li>un</li><li>deux</li></ul>", True, "un\ndeux"),
    ("<b> </b>vide", True, "vide"),
    ("<b>un <br>deux </b>trois", True, "**un**\n**deux** trois"),
    ("<b><i>x</i></b> <i>y", True, "*x* y"),
    ("l&#39;été   \n  chaud", True, "l'été chaud"),
])
def test_html_becomes_the_markup_the_source_takes(html, marks, expected):
    assert from_html(html, marks)[0] == expected


def test_pictures_are_found_in_html():
    assert from_html('<img src="a b.jpg"> texte <img src="c&amp;d.png">', True) == ("texte", ["a b.jpg", "c&d.png"])


def test_correcting_an_imported_term_keeps_its_note(cli, new_project, hand_made):
    assert cli("import", str(hand_made.legacy), "--to", "source/vocabulaire.yaml").exit_code == 0
    fill_in_what_the_dictionary_could_not_tell(new_project)
    assert cli("build").exit_code == 0
    path = new_project / "source" / "vocabulaire.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("term: soleil", "term: Soleil"), encoding="utf-8")
    rebuilt = cli("build")
    assert rebuilt.exit_code == 0 and "warning" not in rebuilt.stderr, rebuilt.output
    notes = read_package(new_project / "dist" / "lexique-1.0.0.apkg").notes
    assert {guid: fields[0] for guid, fields, _ in notes}[hand_made.guids[0]] == "Soleil"
    assert len(notes) == 4


def test_two_fields_may_go_to_the_notes(cli, new_project):
    sheet = new_project / "words.csv"
    sheet.write_text("term,gloss,usage,registre\nbouquin,書,familier,oral\n", encoding="utf-8")
    result = cli("import", str(sheet), "--to", "source/mots.yaml", "--map", "usage=notes", "--map", "registre=notes")
    assert result.exit_code == 0, result.output
    assert "    notes: |-\n      familier\n      oral\n" in (new_project / "source" / "mots.yaml").read_text()


def test_a_text_export_without_guids_or_note_types_is_read_by_place(cli, new_project, hand_made, tmp_path):
    teacher = Collection(str(hand_made.root / "teacher.anki2"))
    try:
        bare = tmp_path / "bare.txt"
        teacher.export_note_csv(out_path=str(bare), limit=DeckIdLimit(teacher.decks.id("Mon vocabulaire")),
                                with_html=True, with_tags=False, with_deck=False, with_notetype=False,
                                with_guid=False)
    finally:
        teacher.close()
    result = cli("import", str(bare), "--to", "source/vocabulaire.yaml", "--media", str(hand_made.media))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:3] == [
        "guessed: field 1 → term (--map to say otherwise)", "guessed: field 2 → gloss (--map to say otherwise)",
        "the notes have no Anki GUIDs (export them again with \"Include unique identifier\"): anyone who studied "
        "them in Anki gets them as new notes"]
    entries = yaml.safe_load((new_project / "source" / "vocabulaire.yaml").read_text(encoding="utf-8"))["entries"]
    assert entries == [{key: value for key, value in entry.items() if key != "tags"} for entry in EXPECTED_ENTRIES]


def test_a_note_type_without_ids_keeps_its_reviews_by_changing_the_note_type_by_hand(cli, new_project, tmp_path):
    """Note types made before Anki 23.10, or by a tool such as genanki, have no field ids to merge by."""
    vocab = genanki.Model(1607392319, "Vocab", fields=[{"name": "Mot"}, {"name": "中文"}],
                          templates=[{"name": "Carte", "qfmt": "{{Mot}}", "afmt": "{{FrontSide}}<hr>{{中文}}"}])
    deck = genanki.Deck(2059400110, "Mon vocabulaire")
    for guid, (word, meaning) in zip(("vocab-1", "vocab-2"), (("soleil", "太陽"), ("fenêtre", "窗戶")), strict=True):
        deck.add_note(genanki.Note(model=vocab, fields=[word, meaning], guid=guid))
    old = tmp_path / "vocab.apkg"
    genanki.Package(deck).write_to_file(old, timestamp=1767000000)

    imported = cli("import", str(old), "--to", "source/vocabulaire.yaml")
    assert ("warning: learners of the hand-made deck would lose reviews: the note type 'Vocab' has no ids"
            in imported.stderr)
    assert ("then in the Browse window select the notes of 'Vocab', choose Notes > Change Note Type…, pick "
            "'Lexique (français)' and put Mot into Term, 中文 into Gloss, Carte into Recognition; then import the "
            "package again with \"Update notes: Always\"") in imported.stderr
    assert cli("build").exit_code == 0
    package = new_project / "dist" / "lexique-1.0.0.apkg"
    assert cli("check-upgrade", str(old), str(package)).exit_code == 1, "merging would blank their cards"

    learner = AnkiCollection(tmp_path / "learner" / "collection.anki2")
    try:
        learner.import_package(old)
        for card in learner.cards():
            learner.review(card, ease=4)
        learner.reopen()
        before, reviews = scheduling(learner), learner.revlog_count()
        assert learner.import_package(package).conflicting  # the default options: nothing changes yet
        models = learner.col.models
        vocab_id, ours = models.by_name("Vocab")["id"], models.by_name("Lexique (français)")
        change = models.change_notetype_info(old_notetype_id=vocab_id, new_notetype_id=ours["id"]).input
        fields = [-1] * len(ours["flds"])
        fields[0], fields[[f["name"] for f in ours["flds"]].index("Gloss")] = 0, 1  # Mot into Term, 中文 into Gloss
        change.ClearField("new_fields")
        change.new_fields.extend(fields)
        change.ClearField("new_templates")
        change.new_templates.extend([0] + [-1] * (len(ours["tmpls"]) - 1))  # Carte into Recognition
        change.note_ids.extend(models.nids(vocab_id))
        models.change_notetype_of_notes(change)
        log = learner.import_package(package, update_notes=ALWAYS)

        assert (len(log.updated), len(log.new), len(log.conflicting)) == (2, 0, 0)
        after = scheduling(learner)
        assert {card: after[card] for card in before} == before and learner.revlog_count() == reviews
        assert {learner.col.get_card(card).template()["name"] for card in before} == {"Recognition"}
        assert learner.col.db.scalar("select count() from notes") == 2 and not learner.col.get_empty_cards().notes
        assert sorted(learner.col.get_note(nid)["Term"] for nid in learner.col.find_notes("")) == ["fenêtre", "soleil"]
    finally:
        learner.close()


def test_a_package_of_this_deck_comes_back_as_its_entries(cli, project):
    assert cli("build").exit_code == 0
    (project / "source" / "hangzhou.yaml").rename(project / "hangzhou.yaml.bak")
    result = cli("import", "dist/lexique-1.0.0.apkg", "--to", "source/hangzhou.yaml", "--map", "Definite=-",
                 "--map", "Indefinite=-", "--map", "GenderLabel=-", "--map", "PartOfSpeech=-", "--map", "IPA=-",
                 "--map", "Forms=-", "--map", "Say=-", "--map", "ExampleBlank=-", "--map", "Source=-",
                 "--map", "Gender=-")
    assert result.exit_code == 0, result.output
    assert "the notes are of this deck's own note type 'Lexique (français)'" in result.stderr
    entries = yaml.safe_load((project / "source" / "hangzhou.yaml").read_text(encoding="utf-8"))["entries"]
    assert len(entries) == 22
    assert entries[0]["term"] == "coqueluche" and entries[0]["gloss"] == "受愛戴的人，紅人，寵兒"
    assert entries[0]["example"] == "La nouvelle coqueluche nationale"  # the highlight is the build's


def test_a_spreadsheet_source_with_its_settings_comes_in_as_yaml(cli, project):
    sheet = project / "source" / "words.csv"
    sheet.write_text("#source: Le Monde, 3 mai 2025\n#tags: lesson-2 banque\n#deck: 第二課 銀行\n"
                     "term,pos,gender,gloss\nbanque,noun,f,銀行\n", encoding="utf-8")
    assert cli("build").exit_code == 0, "a spreadsheet the build reads"

    result = cli("import", str(sheet), "--to", "source/words.yaml")

    assert result.exit_code == 0, result.output
    assert ("source/words.csv is itself a reading file of the deck: delete it, or move it out of the source "
            "directory, or its entries are in the deck twice") in result.stderr
    written = (project / "source" / "words.yaml").read_text(encoding="utf-8")
    assert "source: Le Monde, 3 mai 2025\ntags: [lesson-2, banque]\ndeck: 第二課 銀行\n" in written
    sheet.unlink()
    assert cli("build").exit_code == 0
