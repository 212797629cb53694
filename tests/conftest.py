"""Shared fixtures: a project copy to build in, and a real Anki collection to import into."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import build as build_script
from tests.anki_engine import AnkiCollection

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EPOCH = 1767225600  # 2026-01-01T00:00:00Z, the time of the first build in these tests


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the real source/ and templates/ as the working directory, with no lock yet."""
    shutil.copytree(ROOT / "source", tmp_path / "source")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "source" / "deck.lock").unlink(missing_ok=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    return tmp_path


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
