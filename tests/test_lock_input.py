"""The lock is input too: merged by git, edited by hand, written on a full disk; nothing is lost."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from deckbuild.lockfile import read_lock, write_lock
from deckbuild.stamp import mark_released
from tests.conftest import EPOCH
from tests.helpers import edit

LOCK = Path("source/deck.lock")
READING = Path("source/hangzhou.yaml")
CSS = Path("templates/style.css")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False).stdout


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def first_gloss() -> str:
    return next(line for line in READING.read_text(encoding="utf-8").splitlines() if "gloss: " in line)


def build_at(cli, monkeypatch, epoch: int, *args: str):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    return cli("build", *args)


@pytest.fixture
def merged(cli, project, monkeypatch):
    """Two branches that change the same entry and the CSS, merged by git with the sources resolved by hand."""
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "t@example.org"),
                 ("config", "user.name", "T")):
        git(*args)
    assert build_at(cli, monkeypatch, EPOCH).exit_code == 0
    git("add", "-A")
    git("commit", "-qm", "base")
    gloss = first_gloss()
    git("checkout", "-qb", "other")
    replace_in(READING, gloss, gloss + "【二】")
    CSS.write_text(CSS.read_text(encoding="utf-8") + "\n.other { color: red; }\n", encoding="utf-8")
    assert build_at(cli, monkeypatch, EPOCH + 200).exit_code == 0
    git("commit", "-qam", "other")
    git("checkout", "-q", "main")
    replace_in(READING, gloss, gloss + "【一】")
    CSS.write_text(CSS.read_text(encoding="utf-8") + "\n.main { color: blue; }\n", encoding="utf-8")
    assert build_at(cli, monkeypatch, EPOCH + 100).exit_code == 0
    git("commit", "-qam", "main")
    git("merge", "-q", "other")
    assert "<<<<<<< " in LOCK.read_text(encoding="utf-8"), "the lock conflicts, as the test means it to"
    # The person merging resolves the sources, keeping both changes; nobody resolves the lock by hand.
    git("checkout", "--ours", str(READING))
    replace_in(READING, gloss + "【一】", gloss + "【一】【二】")
    text = CSS.read_text(encoding="utf-8")
    CSS.write_text("".join(line for line in text.splitlines(keepends=True)
                           if not line.startswith(("<<<<<<< ", "=======", ">>>>>>> "))), encoding="utf-8")
    return gloss


def test_a_conflicted_lock_is_resolved_and_the_merged_note_is_newer_than_both_sides(cli, merged, monkeypatch):
    result = build_at(cli, monkeypatch, EPOCH + 150)
    assert result.exit_code == 0, result.output
    assert re.search(r"^source/deck.lock:\d+: warning: resolved git's merge conflict: \d+ notes from both sides, "
                     r"1 different on each", result.stderr, flags=re.MULTILINE), result.stderr
    text = LOCK.read_text(encoding="utf-8")
    assert "<<<<<<<" not in text and "=======" not in text and ">>>>>>>" not in text
    lock = read_lock(LOCK)
    merged_note = next(stamp for stamp in lock.notes.values() if "【一】" in stamp.fields[6])
    assert "【二】" in merged_note.fields[6], "the merged source's content"
    assert merged_note.modified > EPOCH + 200, "newer than both sides, so either side's learners get it"
    assert lock.note_type.modified > EPOCH + 200
    assert sum(stamp.modified == EPOCH for stamp in lock.notes.values()) == len(lock.notes) - 1, "the rest kept"

    assert build_at(cli, monkeypatch, EPOCH + 150).output.startswith("up to date")
    assert build_at(cli, monkeypatch, EPOCH + 150, "--locked", ).exit_code == 0


def test_locked_never_passes_a_conflicted_lock(cli, merged, monkeypatch):
    before = LOCK.read_bytes()
    result = build_at(cli, monkeypatch, EPOCH + 150, "--locked")
    assert result.exit_code == 1
    assert "source/deck.lock is out of date (it has git's merge conflicts)" in result.stderr
    assert LOCK.read_bytes() == before


def test_the_resolved_lock_agrees_with_the_package(cli, merged, monkeypatch, collection):
    assert build_at(cli, monkeypatch, EPOCH + 150).exit_code == 0
    (package,) = Path("dist").glob("*.apkg")
    collection.import_package(package)
    lock = read_lock(LOCK)
    shipped = {note.guid: note.mod for note in (collection.col.get_note(nid) for nid in collection.col.find_notes(""))}
    assert shipped == {guid: stamp.modified for guid, stamp in lock.notes.items()}


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"modified": 1767225600', '"modified": "soon"',
     "'modified': expected a whole number of seconds from 1 to 253402300799, found \"soon\""),
    ('"modified": 1767225600', '"modified": 1767225600.5',
     "'modified': expected a whole number of seconds from 1 to 253402300799, found 1767225600.5"),
    ('"added": 1767225600', '"added": 99999999999999999999999',
     "'added': expected a whole number of seconds from 1 to 253402300799, found 99999999999999999999999"),
    ('"removed": false', '"removed": "no"', "'removed': expected true or false, found \"no\""),
])
def test_a_hand_edited_note_is_refused_on_its_line(cli, project, old, new, message):
    assert cli("build").exit_code == 0
    lines = LOCK.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines, start=1) if old in line and n > 6)
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    LOCK.write_text("".join(lines), encoding="utf-8")
    dist = {path: path.read_bytes() for path in Path("dist").iterdir()}

    result = cli("build")

    assert result.exit_code == 1
    first, summary = result.stderr.splitlines()
    assert first.startswith(f"source/deck.lock:{number}: note ") and first.endswith(message)
    assert "git checkout HEAD -- source/deck.lock" in summary and summary.endswith("nothing was written.")
    assert {path: path.read_bytes() for path in Path("dist").iterdir()} == dist


@pytest.mark.parametrize(("change", "expected"), [
    (lambda data: data.pop("note_type") and data, "source/deck.lock:1: missing 'note_type'"),
    (lambda data: data["note_type"].pop("schema") and data,
     "source/deck.lock:5: 'note_type': expected {\"hash\", \"modified\", \"schema\"}"),
    (lambda data: data["note_type"]["schema"].pop("card_types") and data,
     "source/deck.lock:5: 'note_type': 'schema': expected lists of field and card-type names"),
])
def test_a_damaged_header_is_refused_without_a_traceback(cli, project, change, expected):
    assert cli("build").exit_code == 0
    text = LOCK.read_text(encoding="utf-8")
    data = json.loads(text)
    notes = text.split(' "notes": {\n', 1)[1]
    header = change({key: value for key, value in data.items() if key != "notes"})
    lines = ["{"] + [f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}," for key, value in header.items()]
    LOCK.write_text("\n".join(lines) + '\n "notes": {\n' + notes, encoding="utf-8")
    result = cli("build")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), "no traceback"
    assert result.stderr.splitlines()[0].startswith(expected), result.stderr


def test_a_utf16_lock_is_refused_on_its_line(cli, project):
    assert cli("build").exit_code == 0
    LOCK.write_bytes(LOCK.read_text(encoding="utf-8").encode("utf-16"))
    result = cli("build")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "source/deck.lock:1: expected UTF-8 text, as the build writes it, found the byte 0xff")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_while_the_lock_is_written_changes_neither_file(cli, project, monkeypatch):
    assert cli("build").exit_code == 0
    replace_in(READING, first_gloss(), first_gloss() + "(改)")
    before = {path: path.read_bytes() for path in (*Path("dist").iterdir(), LOCK)}
    real_open = Path.open

    def full_for_the_lock(self, mode="r", *args, **kwargs):
        if self.name.startswith(".deck.lock.") and "w" in mode:
            return open("/dev/full", mode, *args, **kwargs)  # every write fails: no space left on device
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", full_for_the_lock)
    result = cli("build")
    assert result.exit_code == 1
    assert result.stderr == "error: cannot make source/deck.lock: No space left on device\n"
    assert {path: path.read_bytes() for path in (*Path("dist").iterdir(), LOCK)} == before
    assert not list(Path(".").rglob("*.partial"))


def test_a_lock_with_its_lines_out_of_order_is_written_anew_in_order(cli, project):
    assert cli("build").exit_code == 0
    lines = LOCK.read_text(encoding="utf-8").splitlines(keepends=True)
    first = next(n for n, line in enumerate(lines) if line.startswith('  "'))
    a, b = lines[first].rstrip(",\n"), lines[first + 1].rstrip(",\n")
    lines[first], lines[first + 1] = b + ",\n", a + ",\n"  # as a merge resolved by hand can leave it
    LOCK.write_text("".join(lines), encoding="utf-8")
    replace_in(READING, first_gloss(), first_gloss() + "【改】")
    result = cli("build")
    assert result.exit_code == 0, result.output
    guids = [line.split('"')[1] for line in LOCK.read_text(encoding="utf-8").splitlines() if line.startswith('  "')]
    assert guids == sorted(guids)
    assert cli("build", "--locked").exit_code == 0


@pytest.mark.parametrize(("old", "new", "message"), [
    ('"tags": ["les-echos"', '"tags": [7, "les-echos"', "'tags': expected a list of texts, found [7"),
    ('"fields": ["', '"fields": ["', None),  # a field too few, made below
])
def test_every_value_of_a_line_is_checked_not_only_its_times(cli, project, old, new, message):
    assert cli("build").exit_code == 0
    lines = LOCK.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(n for n, line in enumerate(lines, start=1) if old in line and n > 6)
    if message is None:  # drop the last field of the note
        guid, _, record = lines[number - 1].strip().removesuffix(",").partition(": ")
        data = json.loads(record)
        data["fields"].pop()
        ending = "," if lines[number - 1].rstrip("\n").endswith(",") else ""
        lines[number - 1] = f"  {guid}: {json.dumps(data, ensure_ascii=False)}{ending}\n"
        message = "'fields': expected 19 fields, as the note type has, found 18"
    else:
        lines[number - 1] = lines[number - 1].replace(old, new, 1)
    LOCK.write_text("".join(lines), encoding="utf-8")
    result = cli("build")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"source/deck.lock:{number}: note ") and message in result.stderr.splitlines()[0]


def test_a_note_a_major_version_dropped_on_one_side_stays_dropped_in_the_merge(cli, project):
    # 1.0.0 shipped gratin; 1.1.0 shipped it tagged as removed. One branch then releases 2.0.0,
    # which drops it; the other goes on with 1.x. Learners who deleted it must not get it back.
    def release(version: str) -> str:
        manifest = Path("source/deck.yaml").read_text(encoding="utf-8")
        edit("source/deck.yaml", re.search(r"version: \S+", manifest).group(),
             f"version: {version}")
        assert cli("build").exit_code == 0
        write_lock(LOCK, mark_released(read_lock(LOCK), version))
        return LOCK.read_text(encoding="utf-8")

    release("1.0.0")
    text = READING.read_text(encoding="utf-8")
    READING.write_text(text[:text.index("  - term: gratin")] + text[text.index("  - term: numéro un"):],
                       encoding="utf-8")
    minor = release("1.1.0")
    major = release("2.0.0")
    assert "gratin" in minor and "gratin" not in major
    LOCK.write_text(f"<<<<<<< HEAD\n{major}=======\n{minor}>>>>>>> minor\n", encoding="utf-8")

    result = cli("build")

    assert result.exit_code == 0, result.output
    assert "resolved git's merge conflict" in result.stderr
    assert "gratin|noun" not in {stamp.identity for stamp in read_lock(LOCK).notes.values()}
