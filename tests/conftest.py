"""Shared fixtures: a project copy to build in, and a real Anki collection to import into.

Tests build a deck of their own, tests/fixtures/deck/: a frozen copy of source/deck.yaml
and source/hangzhou.yaml as they were when the tests were written (22 entries), so that
the counts, line numbers and texts they assert stay true whatever the real deck becomes.
Only tests/test_deck.py builds the real source/ (the `real_project` fixture).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import build as build_script
from tests.anki_engine import AnkiCollection

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
DECK = FIXTURES / "deck"  # the tests' own deck
EPOCH = 1767225600  # 2026-01-01T00:00:00Z, the time of the first build in these tests


def lay_out_project(source: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copy `source` (without its locks) and the real templates/ into `root`, and work there at EPOCH."""
    shutil.copytree(source, root / "source", ignore=shutil.ignore_patterns("deck.lock", "deck.*.lock"))
    shutil.copytree(ROOT / "templates", root / "templates")
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    return root


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture deck (tests/fixtures/deck/) and the real templates/ as the working directory, no lock."""
    return lay_out_project(DECK, tmp_path, monkeypatch)


@pytest.fixture
def real_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the real source/ and templates/ as the working directory, with no lock yet."""
    return lay_out_project(ROOT / "source", tmp_path, monkeypatch)


@pytest.fixture
def cli(project: Path):
    """Run build.py's CLI in the project copy; return the click Result."""
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(build_script.cli, list(args), catch_exceptions=False)

    return run


@pytest.fixture
def collection(tmp_path: Path):
    """A fresh, empty Anki collection: the learner's."""
    col = AnkiCollection(tmp_path / "learner" / "collection.anki2")
    yield col
    col.close()
