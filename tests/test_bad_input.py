"""Every mistake a person can make in a source file: one located line per problem, exit 1, nothing lost.

Each case is a folder under tests/fixtures/bad/: its files are laid over a good
deck.yaml, and expected.txt holds the exact lines the build must print.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import build as build_script
from tests.conftest import FIXTURES, ROOT

CASES = sorted(p.name for p in (FIXTURES / "bad").iterdir())


def lay_out(tmp_path: Path, case_dir: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(FIXTURES / "base", source)
    shutil.copytree(case_dir, source, dirs_exist_ok=True)
    (source / "expected.txt").unlink(missing_ok=True)
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return source


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file of dist/ and source/, with its bytes (the build's cache in .cache/ may change)."""
    return {str(p.relative_to(directory)): p.read_bytes() for part in ("dist", "source")
            for p in sorted((directory / part).rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["build", "validate"])
def test_bad_input_is_reported_and_loses_nothing(case, command, tmp_path, monkeypatch):
    source = lay_out(tmp_path, FIXTURES / "bad" / case)
    monkeypatch.chdir(tmp_path)
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "test-deck-1.0.0.apkg").write_bytes(b"the last good package")
    before = snapshot(tmp_path)

    result = CliRunner().invoke(build_script.cli, [command])

    expected = (FIXTURES / "bad" / case / "expected.txt").read_text(encoding="utf-8")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit), "no traceback"
    assert result.stderr == expected
    assert result.stdout == ""
    assert snapshot(tmp_path) == before, "dist/ and source/ are left exactly as they were"
    assert source.is_dir()


def text_lines(file: Path) -> list[str]:
    """The lines of a file as YAML counts them (a byte that is not UTF-8 as one character), without line ends."""
    text = file.read_bytes().decode("utf-8", errors="replace")
    lines = re.split("\r\n|[\r\n\x85\u2028\u2029]", text)  # YAML's line breaks, as libyaml counts them
    if lines[-1] == "":  # the file ends with a line end: no line after it
        lines.pop()
    return lines


@pytest.mark.parametrize("case", CASES)
def test_every_problem_line_is_located(case, tmp_path, monkeypatch):
    """What `validate` prints, not what expected.txt says: each problem points into a file of source/."""
    lay_out(tmp_path, FIXTURES / "bad" / case)
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(build_script.cli, ["validate"])

    assert result.exit_code == 1 and result.stdout == ""
    *problems, summary = result.stderr.splitlines()
    assert problems, result.stderr
    for line in problems:
        path, row, column, message = line.split(":", 3)
        file = tmp_path / path
        assert Path(path).parent == Path("source") and file.is_file(), f"not a file of source/: {line}"
        lines = text_lines(file)
        assert row.isdigit() and 1 <= int(row) <= len(lines) + 1, f"not a line of {path} ({len(lines)}): {line}"
        within = lines[int(row) - 1] if int(row) <= len(lines) else ""  # the end of the file: an empty line
        assert column.isdigit() and 1 <= int(column) <= len(within) + 1, f"not a column of {within!r}: {line}"
        assert message.startswith(" ") and message.strip(), line
    count = len(problems)
    assert summary == f"{count} problem{'s' if count != 1 else ''} in the source; nothing was written."


def test_a_file_with_a_byte_order_mark_builds(tmp_path, monkeypatch):
    lay_out(tmp_path, FIXTURES / "good" / "bom")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(build_script.cli, ["build"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dist" / "test-deck-1.0.0.apkg").is_file()
