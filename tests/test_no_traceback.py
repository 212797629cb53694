"""No traceback, ever: what the machine refuses (a full disk, a read-only folder) ends in one clear line."""

from __future__ import annotations

import errno
import tempfile
from pathlib import Path

import pytest

import deckbuild.atomic


def files(*folders: str) -> dict[Path, bytes]:
    return {path: path.read_bytes() for folder in folders for path in sorted(Path(folder).rglob("*"))
            if path.is_file()}


def no_traceback(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), "no traceback"


@pytest.mark.parametrize(("value", "message"), [
    ("²", "must be a whole number of seconds, found '²'"),
    ("99999999999999999999", "must be a time from 1 to 253402300799 seconds, found '99999999999999999999'"),
    ("0", "must be a time from 1 to 253402300799 seconds, found '0'"),
])
def test_a_source_date_epoch_out_of_reach_is_refused(cli, monkeypatch, value, message):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    result = cli("build")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr == f"error: SOURCE_DATE_EPOCH {message}\n"


def test_a_cache_that_cannot_be_written_is_warned_about_and_skipped(cli, project):
    Path(".cache").write_text("not a folder", encoding="utf-8")  # refused even to root, unlike a chmod
    result = cli("build")
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: cannot write the cache in .cache (")
    assert len(result.stderr.splitlines()) == 1, "warned once"
    assert list(Path("dist").glob("*.apkg"))


def test_a_full_temporary_folder_is_one_line(cli, project, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(Path("source/deck.yaml").resolve()))  # a file: nothing goes in
    result = cli("build")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot make dist/lexique-1.0.0.apkg: Not a directory")
    assert "(None)" not in result.stderr


def test_a_read_only_source_folder_is_blamed_not_the_package(cli, project, monkeypatch):
    before = files("dist", "source")
    real_mkstemp = tempfile.mkstemp

    def refuse_in_source(*args, dir=None, **kwargs):
        if Path(dir).resolve() == Path("source").resolve():
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(deckbuild.atomic.tempfile, "mkstemp", refuse_in_source)
    result = cli("build")
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stderr == "error: cannot make source/deck.lock: Permission denied\n"
    assert files("dist", "source") == before


def test_strict_is_not_skipped_by_the_up_to_date_check(cli, project):
    Path("source/more.yaml").write_text(
        "entries:\n  - term: pieuvre\n    pos: noun\n    gender: f\n    gloss: 章魚\n    example: Le poulpe nage.\n",
        encoding="utf-8")
    assert cli("build").exit_code == 0  # warns: the example does not contain the term
    assert cli("build", "--strict").exit_code == 1
