"""The lock file: read fast, written the same whichever way a note's line was made."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from deckbuild.errors import BuildError, LockError
from deckbuild.lockfile import _CACHE_ROW, STAMP_KEYS, Lock, NoteStamp, read_lock, write_lock


@pytest.fixture
def built(cli, project) -> Path:
    assert cli("build").exit_code == 0
    return project / "source" / "deck.lock"


def fresh(lock: Lock) -> Lock:
    """The same lock with every note re-serialised, as if none came from a file."""
    return Lock(lock.major, lock.note_type, {guid: stamp.but() for guid, stamp in lock.notes.items()},
                lock.released)


def test_copied_and_rewritten_lines_are_the_same_bytes(built, tmp_path):
    lock = read_lock(built)
    assert lock.origin is not None
    copied, rewritten = tmp_path / "copied.lock", tmp_path / "rewritten.lock"
    write_lock(copied, lock)
    write_lock(rewritten, fresh(lock))
    assert copied.read_bytes() == rewritten.read_bytes() == built.read_bytes()


def test_the_cache_gives_the_same_lock_as_the_file(built, tmp_path):
    cache = tmp_path / "cache"
    parsed = read_lock(built, cache)
    cached = read_lock(built, cache)  # the second read comes from the cache
    assert cached == parsed
    for guid, stamp in parsed.notes.items():
        assert (cached.notes[guid].fields, cached.notes[guid].tags) == (stamp.fields, stamp.tags)


def test_a_reformatted_lock_is_read_and_written_back_in_its_own_form(built, tmp_path):
    original = built.read_bytes()
    built.write_text(json.dumps(json.loads(original), indent=4, ensure_ascii=False), encoding="utf-8")
    lock = read_lock(built, tmp_path / "cache")
    assert lock.origin is None and len(lock.notes) == 22
    write_lock(built, lock)
    assert built.read_bytes() == original


def test_a_damaged_lock_says_where_and_how_to_restore_it(built, monkeypatch, project):
    built.write_text('{"format": 1, "notes": ', encoding="utf-8")
    with pytest.raises(LockError) as raised:
        read_lock(Path("source/deck.lock"))
    assert raised.value.format_message().splitlines() == [
        "source/deck.lock:1: expected JSON as the build writes it, found invalid JSON (Expecting value)",
        "1 problem in source/deck.lock, which the build writes and nobody should edit: restore the committed one "
        "(`git checkout HEAD -- source/deck.lock`), or delete it and build again (every note then counts as new); "
        "nothing was written."]


def test_a_lock_changed_during_a_build_is_not_copied_from(built, monkeypatch, project):
    lock = read_lock(Path("source/deck.lock"))
    built.write_text(built.read_text(encoding="utf-8").replace('"m"', '"f"', 1), encoding="utf-8")
    with pytest.raises(BuildError, match=r"^source/deck.lock changed while the build was running; build again$"):
        write_lock(Path("source/deck.lock"), lock)


@pytest.mark.parametrize("shipped", [None, ("0a1b", 1767225600)])
def test_a_note_line_is_the_json_that_json_dumps_writes(shipped):
    fields = ("a \"quoted\" \\ word", "中文，標點", "\x1f\x01\t\n", "\u2028\u2029", "</span>", "", "œ’ʼ\u00a0")
    stamp = NoteStamp("guid", 'id "with" \\ é', "0123abcdef", 1, 2, "1.0.0", bool(shipped), shipped,
                      (fields, ("tag", "deck::removed")))
    record = {key: getattr(stamp, key) for key in STAMP_KEYS}
    record.update(shipped=list(shipped) if shipped else None, tags=list(stamp.tags), fields=list(fields))
    assert stamp.to_line() == json.dumps(record, ensure_ascii=False)


def test_a_cache_row_is_the_first_arguments_of_a_note_stamp():
    parameters = list(inspect.signature(NoteStamp).parameters)
    assert parameters[:len(_CACHE_ROW)] == list(_CACHE_ROW)
