"""Laws that hold for any input (hypothesis): it builds and imports, or fails located; GUIDs; same bytes."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import genanki
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import build as build_script
from deckbuild.identify import note_guid
from deckbuild.schema import ENTRY_KEYS, GENDERS, PARTS_OF_SPEECH, Entry
from tests.anki_engine import AnkiCollection
from tests.conftest import FIXTURES, ROOT

LOCATED = re.compile(r"source/[^:]+\.ya?ml:\d+:\d+: \S.*|templates/[^:]+:\d+:\d+: \S.*")
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
french = st.sampled_from(["coqueluche", "élève", "hôpital", "héros", "se mettre en quatre", "l'œuvre", "prêt",
                          "Ça", "naïve", "{{Term}}", "<b>x</b>", "a*b*", "  ", ""])
words = st.text(st.characters(categories=("L", "N", "P", "Zs"), exclude_characters="\u2028\u2029"),
                min_size=1, max_size=20).filter(str.strip)


@st.composite
def good_entry(draw) -> dict:
    """An entry the schema accepts, with text of any kind in it."""
    pos = draw(st.sampled_from(list(PARTS_OF_SPEECH)))
    item = {"term": draw(st.one_of(french.filter(str.strip), words)), "pos": pos}
    if pos == "noun":
        item["gender"] = draw(st.sampled_from(list(GENDERS)))
    item["gloss"] = draw(st.one_of(words, st.just("受愛戴的人,紅人,寵兒")))
    for key in ("etymology", "example", "example_gloss", "notes"):
        if draw(st.booleans()):
            item[key] = draw(words)
    return item


any_entry = st.fixed_dictionaries(
    {"term": st.one_of(french, text), "pos": st.sampled_from([*PARTS_OF_SPEECH, "nom", ""])},
    optional={
        "gender": st.sampled_from([*GENDERS, "x"]),
        "gloss": st.one_of(text, st.just("受愛戴的人")),
        "example": st.one_of(text, st.just("La nouvelle coqueluche nationale")),
        "form": st.one_of(french, text),
        "notes": text,
        "tags": st.one_of(st.lists(st.sampled_from(["a", "b::c", "bad tag"]), max_size=3), text),
        "id": text,
        "number": st.just("plural"),
        "aspirated_h": st.booleans(),
        "colour": text,
    },
)
entries = st.one_of(st.lists(good_entry(), max_size=6, unique_by=lambda e: (e["term"], e["pos"])),
                    st.lists(st.one_of(good_entry(), any_entry), max_size=6))
reading = st.fixed_dictionaries({"entries": entries}, optional={"tags": st.lists(
    st.sampled_from(["x", "y"]), max_size=2), "source": text})


def write_project(root: Path, readings: list[dict], garble: int | None) -> None:
    shutil.copytree(FIXTURES / "base", root / "source")
    shutil.copytree(ROOT / "templates", root / "templates")
    for index, document in enumerate(readings):
        dumped = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
        if garble is not None and dumped:  # a typing slip: a character lost or doubled
            at = garble % len(dumped)
            dumped = dumped[:at] + dumped[at + 1:] if index % 2 else dumped[:at] + dumped[at] * 2 + dumped[at:]
        (root / "source" / f"lesson-{index}.yaml").write_text(dumped, encoding="utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(readings=st.lists(reading, min_size=1, max_size=3),
       garble=st.one_of(st.none(), st.none(), st.integers(0, 10_000)))
def test_any_source_builds_and_imports_or_fails_with_located_errors(readings, garble):
    here = Path.cwd()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        write_project(root, readings, garble)
        os.chdir(root)
        try:
            check_build(root, readings)
        finally:
            os.chdir(here)


def check_build(root: Path, readings: list[dict]) -> None:
    first = CliRunner().invoke(build_script.cli, ["build"])
    assert first.exception is None or isinstance(first.exception, SystemExit), first.exception
    event(f"exit status {first.exit_code}")
    if first.exit_code == 1:
        *problems, summary = first.stderr.splitlines()
        assert summary.endswith("nothing was written.") and problems
        for line in problems:
            assert LOCATED.fullmatch(line), line
        assert not (root / "dist").exists()
        return
    assert first.exit_code == 0, first.output
    package = root / "dist" / "test-deck-1.0.0.apkg"
    built = package.read_bytes()
    shutil.rmtree(root / "dist")
    shutil.rmtree(root / ".cache")
    assert CliRunner().invoke(build_script.cli, ["build"]).exit_code == 0
    assert package.read_bytes() == built, "the same sources and lock, the same bytes"
    collection = AnkiCollection(root / "learner" / "collection.anki2")
    try:
        log = collection.import_package(package)
        assert len(log.new) == sum(len(document["entries"]) for document in readings)
        assert not log.conflicting
        for card in collection.cards():
            assert card.question() and card.answer()
    finally:
        collection.close()


non_identity = st.sampled_from([key.name for key in ENTRY_KEYS if key.name not in ("term", "pos", "id", "guid")])


@given(term=text, pos=st.sampled_from(list(PARTS_OF_SPEECH)), key=non_identity, before=text, after=text,
       pinned=st.one_of(st.just(""), text))
def test_the_guid_never_changes_when_a_non_identity_field_changes(term, pos, key, before, after, pinned):
    value = {"aspirated_h": (None, True), "tags": ((), ("x",))}.get(key, (before, after))
    entry = Entry(term=term, pos=pos, gloss="g", id=pinned)
    one, other = entry._replace(**{key: value[0]}), entry._replace(**{key: value[1]})
    assert note_guid(1, one) == note_guid(1, other)


@given(term=text, other_term=text, pos=st.sampled_from(list(PARTS_OF_SPEECH)), pinned=text.filter(bool))
def test_the_guid_follows_the_identity(term, other_term, pos, pinned):
    assert (note_guid(1, Entry(term, pos, "g")) == note_guid(1, Entry(other_term, pos, "g"))) == (term == other_term)
    assert note_guid(1, Entry(term, pos, "g", id=pinned)) == note_guid(1, Entry(other_term, "verb", "h", id=pinned))


@given(term=text, other_term=text, pos=st.sampled_from(list(PARTS_OF_SPEECH)), pinned=text, guid=text.filter(bool))
def test_an_imported_note_keeps_its_guid_whatever_else_changes(term, other_term, pos, pinned, guid):
    assert note_guid(1, Entry(term, pos, "g", guid=guid)) == guid
    assert note_guid(1, Entry(other_term, "verb", "h", id=pinned, guid=guid)) == guid
@given(term=text, pos=st.sampled_from(list(PARTS_OF_SPEECH)), pinned=st.one_of(st.just(""), text),
       deck_id=st.integers(1, 2**63 - 1))
def test_the_guid_is_genankis_guid_for_the_identity(term, pos, pinned, deck_id):
    entry = Entry(term, pos, "g", id=pinned)
    assert note_guid(deck_id, entry) == genanki.guid_for(deck_id, entry.identity)
