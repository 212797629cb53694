"""Helpers shared by the tests that build the fixture deck and change it (see conftest.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

PACKAGE = Path("dist/lexique-1.0.0.apkg")  # the fixture deck's package, from the project's directory


def edit(path: str, old: str, new: str) -> None:
    """Replace `old`, which must occur exactly once in the file at `path`, by `new`."""
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    file.write_text(text.replace(old, new), encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pretend_last_release_had_other_card_types(lock_path: Path) -> None:
    """Rewrite the lock as if the release it records had three card types, not today's four."""
    data = json.loads(lock_path.read_text(encoding="utf-8"))
    data["note_type"]["schema"]["card_types"] = ["Recognition", "Production", "Gender"]
    lock_path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
