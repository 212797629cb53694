"""Stamping, the pure stage: notes and locks made by hand, times under test control, no files.

Anki updates a learner's note only when the imported one is newer, and then replaces
it whole: a note's time moves exactly when its content changes (see deckbuild/stamp.py).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from deckbuild.errors import BuildError
from deckbuild.lockfile import Lock, NoteStamp, NoteTypeStamp
from deckbuild.render import Note, NoteType, content_hash, look_hash
from deckbuild.schema import Entry, Location, Manifest
from deckbuild.stamp import Stamped, mark_released, renamed_entries, stamp, unreleased
from tests.conftest import EPOCH

MANIFEST = Manifest(name="Test", version="1.0.0", deck_id=1, model_id=2, slug="test", note_type="Test vocabulary")
NOTE_TYPE = NoteType(2, "Test vocabulary", ("Term", "Gloss"), (("Card", "{{Term}}", "{{FrontSide}} {{Gloss}}"),),
                     ".card {}")
REMOVED = "test::removed"


def note(term: str, gloss: str = "gloss", tags: tuple[str, ...] = ("lesson",), identity: str = "") -> tuple[Note, str]:
    """A rendered note and its identity; its GUID follows from the identity, as identify.py's does."""
    identity = identity or f"{term}|noun"
    fields = (term, gloss)
    return Note(f"guid:{identity}", fields, tags, content_hash(fields, tags)), identity


def stamp_at(monkeypatch, when: int | str, previous: Lock, notes: list[tuple[Note, str]], version: str = "1.0.0",
             note_type: NoteType = NOTE_TYPE) -> Stamped:
    """Stamp `notes` over the `previous` lock with the clock (SOURCE_DATE_EPOCH) at `when`."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(when))
    return stamp(previous, replace(MANIFEST, version=version), note_type, [n for n, _ in notes],
                 [identity for _, identity in notes])


def times(stamped: Stamped) -> dict[str, tuple[int, int]]:
    """(added, modified) of every note shipped, by its first field."""
    return {item.note.fields[0]: (item.added, item.modified) for item in stamped.notes}


COQUELUCHE, GRATIN = note("coqueluche"), note("gratin")


@pytest.fixture
def released(monkeypatch) -> Lock:
    """The lock of release 1.0.0: coqueluche and gratin, first built at EPOCH."""
    return mark_released(stamp_at(monkeypatch, EPOCH, Lock(), [COQUELUCHE, GRATIN]).lock, "1.0.0")


def test_a_new_note_is_added_and_modified_now(monkeypatch):
    stamped = stamp_at(monkeypatch, EPOCH, Lock(), [COQUELUCHE, GRATIN])

    assert times(stamped) == {"coqueluche": (EPOCH, EPOCH), "gratin": (EPOCH, EPOCH)}
    assert [item.note for item in stamped.notes] == [COQUELUCHE[0], GRATIN[0]], "in source order"
    stamp_of = stamped.lock.notes[COQUELUCHE[0].guid]
    assert (stamp_of.identity, stamp_of.hash, stamp_of.released, stamp_of.removed, stamp_of.shipped) == (
        "coqueluche|noun", COQUELUCHE[0].hash, "", False, None)
    assert (stamp_of.fields, stamp_of.tags) == (("coqueluche", "gloss"), ("lesson",))
    assert stamped.lock.note_type == NoteTypeStamp(NOTE_TYPE.schema, look_hash(
        NOTE_TYPE.name, NOTE_TYPE.templates, NOTE_TYPE.css), EPOCH)
    assert stamped.note_type_modified == EPOCH


def test_an_unchanged_note_keeps_its_times_exactly(monkeypatch, released):
    stamped = stamp_at(monkeypatch, EPOCH + 86400, released, [COQUELUCHE, GRATIN])

    assert times(stamped) == {"coqueluche": (EPOCH, EPOCH), "gratin": (EPOCH, EPOCH)}
    assert stamped.lock == released
    assert all(stamped.lock.notes[guid] is stamp_of for guid, stamp_of in released.notes.items()), "kept as read"


def test_the_clock_is_not_read_when_nothing_changed(monkeypatch, released):
    stamped = stamp_at(monkeypatch, "yesterday", released, [COQUELUCHE, GRATIN])  # an error, were it read
    assert stamped.lock == released

    with pytest.raises(BuildError, match="SOURCE_DATE_EPOCH must be a whole number of seconds, found 'yesterday'"):
        stamp_at(monkeypatch, "yesterday", released, [COQUELUCHE, GRATIN, note("garder")])


@pytest.mark.parametrize(("now", "modified"), [
    (EPOCH + 60, EPOCH + 60),  # later than the note: now
    (EPOCH, EPOCH + 1),  # the same second (SOURCE_DATE_EPOCH unchanged): still later than before
    (EPOCH - 3600, EPOCH + 1),  # a clock set back: never earlier than the note
])
def test_a_changed_note_moves_forward_and_keeps_when_it_was_added(monkeypatch, released, now, modified):
    changed = note("coqueluche", gloss="new gloss")

    stamped = stamp_at(monkeypatch, now, released, [changed, GRATIN])

    assert times(stamped) == {"coqueluche": (EPOCH, modified), "gratin": (EPOCH, EPOCH)}
    stamp_of = stamped.lock.notes[changed[0].guid]
    assert stamp_of.hash == changed[0].hash and stamp_of.fields == ("coqueluche", "new gloss")
    assert stamp_of.released == "1.0.0" and stamp_of.shipped == (COQUELUCHE[0].hash, EPOCH), "what learners have"
    assert unreleased(stamped.lock) == 1


def test_a_lock_made_by_hand_is_stamped_from_its_own_times(monkeypatch):
    """Times come from the lock, whatever they are: here a note added long ago and modified 'in the future'."""
    old_fields, old_tags = ("coqueluche", "old gloss"), ("lesson",)
    guid = COQUELUCHE[0].guid
    previous = Lock(1, NoteTypeStamp(NOTE_TYPE.schema, look_hash(NOTE_TYPE.name, NOTE_TYPE.templates, NOTE_TYPE.css),
                                     EPOCH - 7200),
                    {guid: NoteStamp(guid, "coqueluche|noun", content_hash(old_fields, old_tags), EPOCH - 3600,
                                     EPOCH + 500, "1.0.0", content=(old_fields, old_tags))}, "1.0.0")

    stamped = stamp_at(monkeypatch, EPOCH, previous, [COQUELUCHE, GRATIN])

    assert times(stamped) == {"coqueluche": (EPOCH - 3600, EPOCH + 501), "gratin": (EPOCH, EPOCH)}
    assert stamped.lock.note_type is previous.note_type and stamped.lock.released == "1.0.0"
    assert stamped.lock.notes[guid].shipped == (content_hash(old_fields, old_tags), EPOCH + 500)


def test_a_changed_tag_is_a_change(monkeypatch, released):
    stamped = stamp_at(monkeypatch, EPOCH + 60, released, [note("coqueluche", tags=("lesson", "new")), GRATIN])
    assert times(stamped)["coqueluche"] == (EPOCH, EPOCH + 60)


def test_a_change_undone_before_the_next_release_returns_to_the_released_time(monkeypatch, released):
    once = stamp_at(monkeypatch, EPOCH + 60, released, [note("coqueluche", gloss="one"), GRATIN])
    twice = stamp_at(monkeypatch, EPOCH + 120, once.lock, [note("coqueluche", gloss="two"), GRATIN])
    assert times(twice)["coqueluche"] == (EPOCH, EPOCH + 120)
    assert twice.lock.notes[COQUELUCHE[0].guid].shipped == (COQUELUCHE[0].hash, EPOCH), "still the release's"

    undone = stamp_at(monkeypatch, EPOCH + 180, twice.lock, [COQUELUCHE, GRATIN])

    assert times(undone)["coqueluche"] == (EPOCH, EPOCH), "as if never changed"
    assert undone.lock.notes == released.notes and unreleased(undone.lock) == 0


def test_a_change_undone_with_no_release_between_moves_forward(monkeypatch):
    """No learner has the first version of an unreleased note: going back to it is one more change."""
    first = stamp_at(monkeypatch, EPOCH, Lock(), [COQUELUCHE])
    changed = stamp_at(monkeypatch, EPOCH + 60, first.lock, [note("coqueluche", gloss="one")])
    undone = stamp_at(monkeypatch, EPOCH + 120, changed.lock, [COQUELUCHE])
    assert times(undone)["coqueluche"] == (EPOCH, EPOCH + 120)
    assert undone.lock.notes[COQUELUCHE[0].guid].shipped is None


def test_a_released_note_whose_entry_is_gone_ships_tagged_until_the_next_major_version(monkeypatch, released):
    gone = stamp_at(monkeypatch, EPOCH + 60, released, [COQUELUCHE])

    assert [item.note.fields for item in gone.notes] == [("coqueluche", "gloss"), ("gratin", "gloss")], \
        "the entries' notes, then the removed one"
    kept = gone.notes[1]
    assert kept.note.tags == ("lesson", REMOVED) and kept.note.guid == GRATIN[0].guid
    assert kept.note.hash == content_hash(("gratin", "gloss"), ("lesson", REMOVED))
    assert (kept.added, kept.modified) == (EPOCH, EPOCH + 60), "its tag changed: learners must get it"
    stamp_of = gone.lock.notes[GRATIN[0].guid]
    assert stamp_of.removed and stamp_of.identity == "gratin|noun" and stamp_of.released == "1.0.0"

    again = stamp_at(monkeypatch, EPOCH + 120, gone.lock, [COQUELUCHE], version="1.1.0")
    assert again.lock.notes == gone.lock.notes and times(again) == times(gone), "stamped once, then kept"

    major = stamp_at(monkeypatch, EPOCH + 180, mark_released(again.lock, "1.1.0"), [COQUELUCHE], version="2.0.0")
    assert GRATIN[0].guid not in major.lock.notes
    assert [item.note.fields[0] for item in major.notes] == ["coqueluche"]
    assert major.lock.major == 2


def test_removed_notes_ship_oldest_first_after_the_entries(monkeypatch, released):
    with_garder = stamp_at(monkeypatch, EPOCH + 60, released, [COQUELUCHE, GRATIN, note("garder")])
    later = mark_released(with_garder.lock, "1.1.0")
    gone = stamp_at(monkeypatch, EPOCH + 120, later, [note("anonymat"), note("virage")])
    # garder, added last, ships last, though its GUID sorts before gratin's
    assert [item.note.fields[0] for item in gone.notes] == ["anonymat", "virage", "coqueluche", "gratin", "garder"]


def test_an_unreleased_note_that_is_gone_is_dropped(monkeypatch, released):
    added = stamp_at(monkeypatch, EPOCH + 60, released, [COQUELUCHE, GRATIN, note("garder")])
    assert unreleased(added.lock) == 1

    gone = stamp_at(monkeypatch, EPOCH + 120, added.lock, [COQUELUCHE, GRATIN])

    assert gone.lock.notes == released.notes
    assert [item.note.fields[0] for item in gone.notes] == ["coqueluche", "gratin"]
    never_released = stamp_at(monkeypatch, EPOCH, Lock(), [COQUELUCHE, GRATIN])
    assert list(stamp_at(monkeypatch, EPOCH + 60, never_released.lock, [GRATIN]).lock.notes) == [GRATIN[0].guid]


def with_another_field(note_type: NoteType) -> NoteType:
    return replace(note_type, fields=(*note_type.fields, "Notes"))


def test_a_schema_change_without_a_major_version_after_a_release_is_refused(monkeypatch, released):
    with pytest.raises(BuildError) as error:
        stamp_at(monkeypatch, EPOCH + 60, released, [COQUELUCHE, GRATIN], version="1.1.0",
                 note_type=with_another_field(NOTE_TYPE))
    assert str(error.value.message).startswith(
        "the note type's fields or card types changed (fields ['Term', 'Gloss'] -> ['Term', 'Gloss', 'Notes']), "
        "but the major version did not: it is 1.1.0, and the last release was 1.0.0.")
    assert "raise `version` in source/deck.yaml to 2.0.0" in error.value.message

    major = stamp_at(monkeypatch, EPOCH + 60, released, [COQUELUCHE, GRATIN], version="2.0.0",
                     note_type=with_another_field(NOTE_TYPE))
    assert major.lock.note_type.schema["fields"] == ["Term", "Gloss", "Notes"]
    assert major.note_type_modified == EPOCH + 60
    again = stamp_at(monkeypatch, EPOCH + 120, major.lock, [COQUELUCHE, GRATIN], version="2.1.0",
                     note_type=NOTE_TYPE)
    assert again.lock.note_type.schema["fields"] == ["Term", "Gloss"], "2.x is not released: it may still change"


def test_the_schema_may_change_before_the_first_release(monkeypatch):
    first = stamp_at(monkeypatch, EPOCH, Lock(), [COQUELUCHE])
    changed = stamp_at(monkeypatch, EPOCH, first.lock, [COQUELUCHE], note_type=with_another_field(NOTE_TYPE))
    assert changed.note_type_modified == EPOCH + 1


def test_a_changed_look_moves_the_note_types_time_and_an_unchanged_one_keeps_it(monkeypatch, released):
    same = stamp_at(monkeypatch, EPOCH + 60, released, [COQUELUCHE, GRATIN])
    assert same.lock.note_type is released.note_type

    restyled = stamp_at(monkeypatch, EPOCH + 60, released, [COQUELUCHE, GRATIN],
                        note_type=replace(NOTE_TYPE, css=".card { color: black }"))
    assert restyled.note_type_modified == EPOCH + 60
    assert restyled.lock.note_type.schema == released.note_type.schema
    assert times(restyled) == times(same), "the notes did not change"


def test_mark_released_records_the_release_in_every_note(monkeypatch):
    first = stamp_at(monkeypatch, EPOCH, Lock(), [COQUELUCHE, GRATIN])
    assert unreleased(first.lock) == 2 and first.lock.released == ""

    one = mark_released(first.lock, "1.0.0")
    assert one.released == "1.0.0" and unreleased(one) == 0
    assert {stamp_of.released for stamp_of in one.notes.values()} == {"1.0.0"}
    assert one.notes[COQUELUCHE[0].guid].modified == EPOCH, "times stay"

    changed = stamp_at(monkeypatch, EPOCH + 60, one, [note("coqueluche", gloss="new"), GRATIN, note("garder")])
    assert unreleased(changed.lock) == 2, "one changed, one new"
    two = mark_released(changed.lock, "1.1.0")
    assert unreleased(two) == 0 and two.released == "1.1.0"
    coqueluche, garder = two.notes[COQUELUCHE[0].guid], two.notes[note("garder")[0].guid]
    assert (coqueluche.released, coqueluche.shipped, coqueluche.modified) == ("1.0.0", None, EPOCH + 60), \
        "first shipped in 1.0.0; what learners have is now this"
    assert garder.released == "1.1.0"
    assert two.notes[GRATIN[0].guid] is one.notes[GRATIN[0].guid], "an unchanged note is left as it is"
    assert mark_released(two, "1.1.0") == two


def entries_at(*entries: Entry):
    return lambda index: entries[index]


def test_renamed_entries_warns_of_a_close_spelling_with_the_id_to_keep(monkeypatch, released):
    blanchiment = note("blanchiment")
    before = mark_released(stamp_at(monkeypatch, EPOCH, Lock(), [COQUELUCHE, blanchiment]).lock, "1.0.0")
    corrected = note("blanchîment")
    after = stamp_at(monkeypatch, EPOCH + 60, before, [COQUELUCHE, corrected])
    where = Location("source/lesson.yaml", 12, 5)
    entries = entries_at(Entry("coqueluche", "noun", "gloss"), Entry("blanchîment", "noun", "gloss", where=where))

    warnings = renamed_entries([COQUELUCHE[0].guid, corrected[0].guid], entries, before, after.lock)

    assert [str(warning) for warning in warnings] == [
        "source/lesson.yaml:12:5: warning: entry 'blanchîment' is new, and 'blanchiment|noun' left the source in "
        "the same change; if it is the same word corrected, add `id: \"blanchiment|noun\"` to it to keep "
        "learners' review history"]

    unrelated = note("garder")
    after = stamp_at(monkeypatch, EPOCH + 60, before, [COQUELUCHE, unrelated])
    entries = entries_at(Entry("coqueluche", "noun", "gloss"), Entry("garder", "noun", "gloss", where=where))
    assert renamed_entries([COQUELUCHE[0].guid, unrelated[0].guid], entries, before, after.lock) == [], "not close"


def test_renamed_entries_reads_the_term_not_the_identity(monkeypatch):
    """An `id` may hold any character, `|` too: the term is the note's first field, never a split identity."""
    pinned = note("pot &amp; co", identity="pot|noun|2024")  # a field is HTML: the term was 'pot & co'
    before = mark_released(stamp_at(monkeypatch, EPOCH, Lock(), [pinned]).lock, "1.0.0")
    corrected = note("pots &amp; co")
    after = stamp_at(monkeypatch, EPOCH + 60, before, [corrected])
    entries = entries_at(Entry("pots & co", "noun", "gloss", where=Location("source/lesson.yaml", 3, 5)))

    warnings = renamed_entries([corrected[0].guid], entries, before, after.lock)

    assert len(warnings) == 1
    assert "'pot|noun|2024' left the source" in warnings[0].message
    assert 'add `id: "pot|noun|2024"`' in warnings[0].message


def test_renamed_entries_says_nothing_of_a_note_removed_earlier(monkeypatch, released):
    gone = stamp_at(monkeypatch, EPOCH + 60, released, [COQUELUCHE])  # gratin left in this change
    later = mark_released(gone.lock, "1.1.0")
    grattin = note("grattin")
    after = stamp_at(monkeypatch, EPOCH + 120, later, [COQUELUCHE, grattin])
    entries = entries_at(Entry("coqueluche", "noun", "gloss"), Entry("grattin", "noun", "gloss"))
    assert renamed_entries([COQUELUCHE[0].guid, grattin[0].guid], entries, later, after.lock) == []
