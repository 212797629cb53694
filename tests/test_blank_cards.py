"""A studied card never goes blank unannounced: the build warns, check-upgrade counts and fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

READING = Path("source/hangzhou.yaml")


def remove_first_example() -> str:
    """Remove the first entry's example that has one; return that entry's term."""
    lines = READING.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("    example: "))
    term = next(line for line in reversed(lines[:index]) if line.startswith("  - term: ")).split(": ", 1)[1].strip()
    kept = [line for i, line in enumerate(lines) if i != index and not (i > index and line.startswith(
        "    example_gloss: ") and all(not lines[j].startswith("  - ") for j in range(index, i)))]
    READING.write_text("".join(kept), encoding="utf-8")
    return term


@pytest.fixture
def released(cli, project):
    assert cli("bump", "1.0.0").exit_code == 0
    (package,) = Path("dist").glob("*.apkg")
    shutil.copy(package, "released.apkg")
    return Path("released.apkg")


def test_losing_a_released_card_is_warned_and_refused_under_strict(cli, released):
    term = remove_first_example()
    assert cli("build", "--strict").exit_code == 1
    result = cli("build")
    assert result.exit_code == 0
    assert f"warning: entry '{term}' no longer makes its Context card, which learners of 1.0.0 have" in result.stderr


def test_check_upgrade_counts_the_cards_that_go_blank_in_a_real_collection(cli, released, collection):
    collection.import_package(released)
    term = remove_first_example()
    assert cli("build").exit_code == 0
    (package,) = Path("dist").glob("*.apkg")

    result = cli("check-upgrade", str(released), str(package))

    assert result.exit_code == 1
    assert "cards: 1 would go blank" in result.output
    assert "The front of this card is blank" in result.stderr
    collection.import_package(package)  # what a learner gets: the studied card stays, now blank
    context = collection.cards_of(term)["Context"]
    assert context.id in {card_id for note in collection.col.get_empty_cards().notes for card_id in note.card_ids}
