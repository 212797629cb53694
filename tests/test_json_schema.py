"""The JSON Schemas that editors check the sources with: made from the code, named by the sources, true to the build.

check-jsonschema, as CI and an editor would use them, reads every good source and every
bad-input fixture of tests/fixtures/bad/: the schema must accept what builds, and reject
what the build refuses wherever JSON Schema can say why (a table below says, case by case,
what it can), at the same places as the build. And the real YAML language server of VS Code's YAML
extension, where it is installed, shows a teacher what the build would say, as they type.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
import regress
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import build as build_script
from deckbuild import json_schema
from deckbuild.errors import Problem
from deckbuild.json_schema import MODELINE, SCHEMA_DIR, schema_for, schema_texts, stale_schemas, write_schemas
from deckbuild.keys import TAG_PATTERN, Tags
from deckbuild.load import Mapping, Sequence, load_file
from deckbuild.schema import ENTRY_KEYS, FILE_KEYS, MANIFEST_KEYS
from deckbuild.validate import validate_manifest, validate_reading
from tests.conftest import DECK, FIXTURES, ROOT
from tests.editor import Editor, server_command

CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
SOURCES = sorted([*(ROOT / "source").glob("*.yaml"), *DECK.glob("*.yaml")])

# What check-jsonschema says of each bad-input fixture. "schema": the schema rejects it, as the build
# does. "yaml": not YAML an editor reads either (it says so itself, before any schema). "build": only the
# build can tell, since JSON Schema sees one file's values, not the files around it, nor media/, nor
# what NFC makes of a term, nor invisible characters (the build names them; the schema would only
# say "does not match"). The schema is stricter only in corners: a choice left empty (`gender:` on a
# verb), which the build takes as not written, is not one of the choices to an editor; nor is `true`
# a gloss, or `'true'` in quotes a flag, though the build reads both as text.
VERDICTS = {
    "alias_bomb": "schema",  # an editor expands the aliases, into lists where entries go
    "bad_manifest": "schema",
    "bad_tags": "schema",
    "control_characters": "build",
    "deep_nesting": "schema",
    "duplicate_across_files": "build",
    "duplicate_entries": "build",
    "duplicate_keys": "yaml",
    "empty_file": "schema",
    "empty_tag_level": "schema",
    "entry_not_mapping": "schema",
    "form_not_in_example": "schema",  # a form without an example; that the example contains it, the build
    "indentation": "yaml",
    "invalid_choices": "schema",
    "long_names": "yaml",
    "long_string": "schema",
    "malformed_yaml": "yaml",
    "media_goes_up": "build",
    "media_missing": "schema",  # a recording that is not one; a picture that is not there, the build
    "media_outside": "build",
    "missing_entries": "schema",
    "missing_fields": "schema",
    "not_utf8": "yaml",
    "not_utf8_old_mac": "yaml",
    "noun_only_fields": "schema",
    "python_tag": "yaml",
    "raw_control_characters": "yaml",
    "scalar_for_list": "schema",
    "tabs": "yaml",
    "two_documents": "yaml",
    "unclosed_quote": "yaml",
    "unicode_normalization": "build",
    "unknown_keys": "schema",
    "unquoted_colon": "yaml",
    "yml_extension": "build",
}
PARTLY = {"form_not_in_example", "media_missing"}  # the schema tells some of the problems, the build all


def check_jsonschema(paths: list[Path]) -> dict[Path, dict]:
    """Run check-jsonschema on `paths`, each with the schema its name calls for; return its report per file."""
    reports = {path: {"errors": [], "parse_errors": []} for path in paths}
    for schema in sorted({schema_for(path) for path in paths}):
        files = [path for path in paths if schema_for(path) == schema]
        completed = subprocess.run(
            [CHECK_JSONSCHEMA, "--output-format", "json", "--schemafile", SCHEMA_DIR / schema, *files],
            capture_output=True, text=True, check=False)
        output = json.loads(completed.stdout)
        for kind in ("errors", "parse_errors"):
            for error in output[kind]:
                reports[Path(error["filename"])][kind].append(error)
    return reports


def case_files(case: str) -> list[Path]:
    return sorted(path for path in (FIXTURES / "bad" / case).iterdir() if path.suffix in (".yaml", ".yml"))


@pytest.fixture(scope="module")
def reports() -> dict[Path, dict]:
    return check_jsonschema([*SOURCES, *(path for case in VERDICTS for path in case_files(case))])


def test_the_committed_schemas_are_what_the_code_makes():
    assert stale_schemas() == [], "run `make schema` and commit deckbuild/schemas/"


def test_the_schema_command_writes_what_has_drifted_and_check_fails_on_it(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert write_schemas(tmp_path) == [tmp_path / name for name in json_schema.SCHEMAS]
    assert write_schemas(tmp_path) == []
    (tmp_path / "deck.schema.json").write_text("{}\n", encoding="utf-8")
    assert stale_schemas(tmp_path) == [tmp_path / "deck.schema.json"]

    result = CliRunner().invoke(build_script.cli, ["schema", "--check"])
    assert (result.exit_code, result.output) == (0, "up to date: deckbuild/schemas\n")

    monkeypatch.setattr(json_schema, "SCHEMA_DIR", tmp_path)
    monkeypatch.setattr(json_schema.stale_schemas, "__defaults__", (tmp_path,))
    result = CliRunner().invoke(build_script.cli, ["schema", "--check"])
    assert result.exit_code == 1
    assert result.output == (f"error: {tmp_path / 'deck.schema.json'}: not what the schema in code makes; "
                             "run `make schema`\n")


def test_a_key_added_to_the_schema_in_code_appears_in_the_json_schema():
    texts = schema_texts()
    for name, keys in (("deck.schema.json", MANIFEST_KEYS), ("reading.schema.json", FILE_KEYS)):
        assert list(json.loads(texts[name])["properties"]) == [key.name for key in keys]
    entry = json.loads(texts["reading.schema.json"])["definitions"]["entry"]
    assert list(entry["properties"]) == [key.name for key in ENTRY_KEYS]
    assert entry["properties"]["gloss"]["description"] == "The meaning, in the learner's language."


def test_every_pattern_is_a_regular_expression_of_javascript():
    """Editors run the patterns as JavaScript does (with its `u` flag), check-jsonschema as ECMA 262 says."""
    def patterns(node):
        if isinstance(node, dict):
            yield from ([node["pattern"]] if isinstance(node.get("pattern"), str) else [])
            for value in node.values():
                yield from patterns(value)
        elif isinstance(node, list):
            for value in node:
                yield from patterns(value)

    found = [pattern for text in schema_texts().values() for pattern in patterns(json.loads(text))]
    assert len(found) > 5
    for pattern in found:
        regress.Regex(pattern, "u")


@given(st.text(alphabet=":ab \"é\x01", max_size=12))
def test_the_tag_pattern_refuses_what_the_build_refuses(tag):
    good = re.fullmatch(TAG_PATTERN, tag) is not None and "" not in tag.split("::")  # as Tags.items checks
    assert (regress.Regex(Tags.json_pattern, "u").find(tag) is not None) == good


def test_every_source_names_its_schema_on_its_first_line():
    for path in SOURCES:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(MODELINE), path
        named = (path.parent / first.removeprefix(MODELINE)).resolve()
        assert named == SCHEMA_DIR / schema_for(path), path


def test_the_readme_example_names_its_schema():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"```yaml\n{MODELINE}../deckbuild/schemas/reading.schema.json\n# source/hangzhou.yaml\n" in readme


def glob(pattern: str) -> re.Pattern:
    """The files a glob of VS Code's settings matches: `**/` any folders or none, `*` within one name."""
    parts = re.split(r"(\*\*/|\*)", pattern)
    return re.compile("".join({"**/": "(?:.*/)?", "*": "[^/]*"}.get(part, re.escape(part)) for part in parts))


def test_the_vscode_settings_give_each_source_its_schema():
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text(encoding="utf-8"))["yaml.schemas"]
    for path in SOURCES:
        relative = PurePosixPath(path.relative_to(ROOT)).as_posix()
        schemas = {Path(schema).name for schema, globs in settings.items()
                   if any(glob(g).fullmatch(relative) for g in globs if not g.startswith("!"))
                   and not any(glob(g[1:]).fullmatch(relative) for g in globs if g.startswith("!"))}
        assert schemas == {schema_for(path)}, relative
    assert {(ROOT / schema).resolve() for schema in settings} == {SCHEMA_DIR / name for name in json_schema.SCHEMAS}


def test_the_schema_accepts_the_real_sources_and_the_fixture_deck(reports):
    for path in SOURCES:
        assert reports[path] == {"errors": [], "parse_errors": []}, path


def test_every_bad_input_case_has_a_verdict():
    assert set(VERDICTS) == {path.name for path in (FIXTURES / "bad").iterdir()}


@pytest.mark.parametrize(("case", "verdict"), VERDICTS.items())
def test_check_jsonschema_on_a_bad_input(case, verdict, reports):
    found = {path: report for path, report in reports.items() if path.parent.name == case}
    said = {"schema" if report["errors"] else "yaml" if report["parse_errors"] else "build"
            for report in found.values()}
    assert (said - {"build"} or {"build"}) == {verdict}, found  # a case may hold good files beside the bad one


def entry_of(path_in_document: str) -> str | int:
    """The entry a check-jsonschema path ($.entries[3].gloss) is in, or 'file' for the file's own keys."""
    match = re.match(r"\$\.entries\[(\d+)\]", path_in_document)
    return int(match.group(1)) if match else "file"


def places_of_problems(path: Path) -> set[str | int]:
    """The entries (or 'file') the build's problems with the file at `path` are in."""
    problems: list[Problem] = []
    source = load_file(path, path.read_bytes(), problems)
    if source is not None:
        (validate_manifest if path.name == "deck.yaml" else validate_reading)(*(
            (source, problems) if path.name == "deck.yaml" else (source, path.parent, problems)))
    root = source.root if source is not None else None
    entries = next((value for key, value in root.pairs if key.value == "entries"), None) \
        if isinstance(root, Mapping) else None
    starts = [item.line for item in entries.items] if isinstance(entries, Sequence) else []
    return {max((index for index, line in enumerate(starts) if line <= problem.line), default="file")
            for problem in problems}


@pytest.mark.parametrize("case", [case for case, verdict in VERDICTS.items() if verdict == "schema"
                                  and case not in ("alias_bomb", "deep_nesting")])  # refused on reading
def test_the_schema_and_the_build_find_problems_in_the_same_places(case, reports):
    for path in case_files(case):
        schema_places = {entry_of(error["path"]) for error in reports[path]["errors"]}
        if schema_places:
            build_places = places_of_problems(path)
            assert schema_places <= build_places, path
            if case not in PARTLY:
                assert schema_places == build_places, path


@pytest.fixture(scope="module")
def editor():
    command = server_command()
    if command is None:
        pytest.skip("yaml-language-server is not installed (`make test` installs it where npm is found)")
    editor = Editor(command)
    yield editor
    editor.close()


def test_an_editor_finds_nothing_wrong_in_the_sources(editor):
    for path in SOURCES:
        assert editor.open(path, path.read_text(encoding="utf-8")) == [], path


def test_an_editor_underlines_mistakes_as_the_teacher_types(editor):
    text = (f"{MODELINE}../deckbuild/schemas/reading.schema.json\n"
            "source: Les Echos\n"
            "entries:\n"
            "  - term: coqueluche\n"
            "    pos: noun\n"
            "    gender: feminine\n"
            "    glos: 受愛戴的人\n"
            "  - term: gratin\n"
            "    pos: noun\n"
            "    gloss: 卓越\n"
            "  - term: épargner\n"
            "    pos: transitive-verb\n"
            "    gender: m\n"
            "    gloss: 豁免\n"
            "    form: épargnée\n")

    assert editor.open(ROOT / "source" / "lesson.yaml", text) == [  # a new file, not yet saved
        (4, 5, 'Missing property "gloss".'),
        (6, 13, 'Value is not accepted. Valid values: "m", "f", "mf".'),
        (7, 5, "Property glos is not allowed."),
        (8, 5, 'Missing property "gender".'),
        (11, 5, "Object is missing property example required by property form."),
        (13, 5, "Property gender is not allowed."),
    ]
    assert editor.completion(6, 13) == ["m", "f", "mf"]
    assert "Gender of a noun: `m`, `f`, or `mf` for both; nouns only, required." in editor.hover(6, 5)
    assert "on the cards: m. et f." in editor.hover(6, 5)


def test_an_editor_checks_the_manifest_with_the_build_s_own_words(editor):
    text = (f"{MODELINE}../deckbuild/schemas/deck.schema.json\n"
            "name: Lexique\n"
            "version: '1.0'\n"
            "deck_id: 1873546209\n"
            "model_id: 1428760395\n"
            "chinese: simplified\n")

    assert editor.open(ROOT / "source" / "draft.yaml", text) == [(3, 10, "expected a version such as 1.0.0")]
    assert editor.completion(6, 10) == ["traditional", "simplified"]


def test_the_vscode_settings_alone_give_a_file_without_its_first_line_its_schema(editor):
    """As VS Code reads .vscode/settings.json: deck.yaml gets the manifest's schema only, any other file the other."""
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text(encoding="utf-8"))["yaml.schemas"]
    configured = Editor(server_command(), schemas=settings)
    try:
        manifest = "name: Lexique\nversion: 1.0.0\ndeck_id: 1\nmodel_id: 2\ncolour: red\n"
        assert configured.open(ROOT / "source" / "deck.yaml", manifest) == [(5, 1, "Property colour is not allowed.")]
        lesson = "entries:\n  - term: livre\n    pos: noun\n    gloss: 書\n"
        assert configured.open(ROOT / "source" / "week-1" / "lesson.yaml", lesson) == [
            (2, 5, 'Missing property "gender".')]
    finally:
        configured.close()
