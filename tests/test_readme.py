"""The README stays true to the schema and the commands."""

import re

import build as build_script
from deckbuild.schema import ENTRY_KEYS, FILE_KEYS, MANIFEST_KEYS, PARTS_OF_SPEECH, VARIANT_KEYS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_source_key_is_documented_with_its_doc_line():
    for key in (*MANIFEST_KEYS, *VARIANT_KEYS, *FILE_KEYS, *ENTRY_KEYS):
        # Columns: key, required, meaning. A required key says "yes"; an optional key's cell is
        # left empty, one space either side of nothing: "| `slug` |  | File-name stem ... |".
        required = "yes" if key.required else ""
        row = f"| `{key.name}` | {required} | {key.doc} |"
        assert row in README, row


def test_every_part_of_speech_is_documented():
    for pos, abbreviation in PARTS_OF_SPEECH.items():
        assert f"`{pos}`" in README and abbreviation in README


def test_every_command_is_documented():
    documented = set(re.findall(r"^\| `([a-z-]+)[ `]", README, flags=re.MULTILINE))
    assert set(build_script.cli.commands) <= documented


def test_the_makefile_has_every_target_the_readme_names():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in set(re.findall(r"`make ([a-z-]+)", README)):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target
