"""Releases: workflows that pass the GitHub schema and zizmor, version rules, changelog, a simulated release."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deckbuild.lockfile import read_lock
from tests.conftest import ROOT
from tests.helpers import PACKAGE, edit, pretend_last_release_had_other_card_types

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_the_workflows_match_githubs_schema():
    completed = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS],
        capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_zizmor_finds_nothing_in_the_workflows():
    completed = subprocess.run([BIN / "zizmor", "--offline", "--persona=pedantic", ROOT / ".github" / "workflows"],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "No findings to report" in completed.stdout


def test_every_workflow_step_is_a_make_target():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for workflow in WORKFLOWS:
        for job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values():
            for step in job["steps"]:
                if "run" in step:
                    target = re.fullmatch(r"make ([a-z-]+)( [A-Z]+=\"\$[A-Z]+\")?", step["run"].strip())
                    assert target, step["run"]
                    assert re.search(rf"^{target.group(1)}:", makefile, flags=re.MULTILINE), target.group(1)
                else:
                    assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", step["uses"]), "pinned to a commit"


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(project):
    """The project as a git repository with its code, as a clone of it would be."""
    shutil.copy(ROOT / "build.py", project / "build.py")
    shutil.copytree(ROOT / "deckbuild", project / "deckbuild", ignore=shutil.ignore_patterns("__pycache__"))
    git("init", "-q", "-b", "main")
    git("config", "user.email", "ci@example.org")
    git("config", "user.name", "CI")
    git("add", "-A")
    git("commit", "-q", "-m", "start")
    return project


def release(cli, version: str):
    result = cli("bump", version)
    if result.exit_code == 0:
        git("add", "-A")
        git("commit", "-q", "-m", f"Release {version}")
        git("tag", f"v{version}")
    return result


def test_a_simulated_release_of_two_versions(cli, repo):
    first = release(cli, "1.0.0")
    assert first.exit_code == 0, first.output
    check = cli("release-check", "--tag", "v1.0.0")
    assert check.exit_code == 0, check.output
    assert sorted(p.name for p in (repo / "dist" / "release").iterdir()) == [
        "lexique-1.0.0.apkg", "lexique-1.0.0.apkg.sha256", "notes.md"]
    assert (repo / "dist/release/notes.md").read_text(encoding="utf-8") == "## 1.0.0\n\nFirst release: 22 entries.\n"

    edit("source/hangzhou.yaml", "gloss: 洗錢", "gloss: 洗錢(金融)")
    with open("source/hangzhou.yaml", "a", encoding="utf-8") as file:
        file.write("\n  - term: garder\n    pos: transitive-verb\n    gloss: 保持\n")

    too_small = cli("bump", "1.0.1")
    assert too_small.exit_code == 1
    assert too_small.stderr == ("error: the changes since 1.0.0 add or remove entries: that needs a minor version, "
                                "at least 1.1.0; found 1.0.1\n")
    assert "version: 1.0.0" in Path("source/deck.yaml").read_text(encoding="utf-8"), "nothing was changed"

    assert release(cli, "1.1.0").exit_code == 0
    check = cli("release-check", "--tag", "v1.1.0")
    assert check.exit_code == 0, check.output
    assert "notes: 1 new, 1 updated, 21 unchanged, 0 conflicting\nnote types: 0 updated, 0 duplicated" in check.output

    notes = (repo / "dist/release/notes.md").read_text(encoding="utf-8")
    assert notes == (
        "## 1.1.0\n\nSince 1.0.0: 1 added, 1 changed.\n\n"
        "### Added\n\n- **garder** (v.t.): 保持\n\n"
        "### Changed\n\n- **blanchiment** (n. 陽性 m.)\n  - Gloss: 洗錢 → 洗錢（金融）\n")
    changelog = (repo / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n\n## 1.1.0\n") and "## 1.0.0\n\nFirst release" in changelog

    between_tags = cli("changelog", "v1.0.0", "v1.1.0")
    assert between_tags.exit_code == 0 and between_tags.output == notes
    sha = (repo / "dist/release/lexique-1.1.0.apkg.sha256").read_text(encoding="utf-8")
    assert sha.endswith("  lexique-1.1.0.apkg\n")


def test_release_check_refuses_a_tag_that_is_not_the_version(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    result = cli("release-check", "--tag", "v1.0.1")
    assert result.exit_code == 1
    assert result.stderr == ("error: the tag v1.0.1 does not match the version in source/deck.yaml, 1.0.0; "
                             "tag v1.0.0, or run `make release VERSION=...`\n")


def test_release_check_refuses_a_lock_not_marked_released(cli, repo):
    result = cli("release-check")
    assert result.exit_code == 1
    assert "is out of date" in result.stderr, "a fresh checkout without a lock cannot be released"
    assert cli("build").exit_code == 0
    result = cli("release-check")
    assert result.stderr == ("error: source/deck.lock is not marked as released at 1.0.0; run `make release "
                             "VERSION=1.0.0` and commit what it changes\n")


def test_a_schema_change_needs_a_major_version(cli, repo, monkeypatch):
    import deckbuild.render

    assert release(cli, "1.0.0").exit_code == 0
    monkeypatch.setattr(deckbuild.render, "CARD_TYPES", ("Recognition", "Production", "Gender"))
    result = cli("bump", "1.1.0")
    assert result.exit_code == 1 and "raise `version` in source/deck.yaml to 2.0.0" in result.stderr
    result = cli("bump", "2.0.0")
    assert result.exit_code == 0, result.output
    assert ("check **Merge note types** and set **Update notes** and **Update note types** to **Always**"
            in result.output)


def test_changelog_between_two_packages(cli, project):
    assert cli("build").exit_code == 0
    shutil.copy("dist/lexique-1.0.0.apkg", "old-1.0.0.apkg")
    edit("source/hangzhou.yaml", "  - term: privé\n", "  - term: privé\n    notes: 反義詞 *public*\n")
    edit("source/deck.yaml", "version: 1.0.0", "version: 1.0.1")
    assert cli("build").exit_code == 0
    result = cli("changelog", "old-1.0.0.apkg", "dist/lexique-1.0.1.apkg")
    assert result.exit_code == 0
    assert result.output == ("## 1.0.1\n\nSince 1.0.0: 1 changed.\n\n### Changed\n\n"
                             "- **privé** (adj.)\n  - Notes: (empty) → 反義詞 public\n")


def test_the_deck_says_its_version_and_where_updates_come_from(cli, project, collection):
    assert cli("build").exit_code == 0
    collection.import_package(project / "dist" / "lexique-1.0.0.apkg")
    description = collection.col.decks.by_name("法語詞彙 Lexique")["desc"]
    assert "版本 1.0.0" in description and "發布頁面" in description and "http" not in description


def test_a_refused_version_changes_nothing(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    with open("source/hangzhou.yaml", "a", encoding="utf-8") as file:
        file.write("\n  - term: garder\n    pos: transitive-verb\n    gloss: 保持\n")
    before = {p: p.read_bytes() for p in (Path("source/deck.yaml"), Path("source/deck.lock"), Path("CHANGELOG.md"))}
    packages = sorted(Path("dist").glob("*.apkg"))

    assert cli("bump", "1.0.1").exit_code == 1
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(Path("dist").glob("*.apkg")) == packages

    git("tag", "-d", "v1.0.0")
    result = cli("bump", "1.1.0")
    assert result.exit_code == 1
    assert result.stderr == ("error: the last release, 1.0.0, has no tag v1.0.0 here to compare with: tag the "
                             "commit that released it (`git tag v1.0.0 COMMIT`), or fetch the tags "
                             "(`git fetch --tags`)\n")
    assert {p: p.read_bytes() for p in before} == before


def test_release_check_refuses_changes_not_yet_in_a_release(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    edit("source/hangzhou.yaml", "gloss: 洗錢", "gloss: 洗錢(金融)")
    assert cli("build").exit_code == 0
    result = cli("release-check")
    assert result.exit_code == 1
    assert result.stderr == ("error: 1 note is new or changed since 1.0.0 was released; run `make release "
                             "VERSION=...` with the next version\n")
    unreleased = cli("changelog", "v1.0.0")
    assert unreleased.output.startswith("## Unreleased changes since 1.0.0\n\nSince 1.0.0: 1 changed.")


def test_changelog_says_what_it_expected_of_a_side_it_cannot_read(cli, repo):
    result = cli("changelog", "README.md")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: README.md: expected an .apkg file, a source directory or a git ref "
                                    "such as v1.0.0 that has source/deck.lock")


def test_the_schema_guard_holds_after_a_major_release(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    edit("source/deck.yaml", "version: 1.0.0", "version: 2.0.0")
    assert cli("build").exit_code == 0  # a major version with no schema change
    pretend_last_release_had_other_card_types(repo / "source" / "deck.lock")
    edit("source/deck.yaml", "version: 2.0.0", "version: 2.1.0")
    assert cli("build").exit_code == 0, "the schema may change until 2.x is released"
    git("add", "-A")
    git("commit", "-q", "-m", "work towards 2.x")
    assert release(cli, "2.1.0").exit_code == 0
    pretend_last_release_had_other_card_types(repo / "source" / "deck.lock")
    edit("source/deck.yaml", "version: 2.1.0", "version: 2.2.0")
    result = cli("build")
    assert result.exit_code == 1 and "the last release was 2.1.0" in result.stderr


def test_changelog_of_the_working_sources_names_the_removed_tag(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    text = Path("source/hangzhou.yaml").read_text(encoding="utf-8")
    start = text.index("  - term: gratin")
    Path("source/hangzhou.yaml").write_text(text[:start] + text[text.index("  - term: numéro un"):],
                                            encoding="utf-8")
    assert cli("build").exit_code == 0
    result = cli("changelog", "v1.0.0")
    assert result.exit_code == 0
    assert "### Removed\n\n- **gratin** (n. 陽性 m.): 卓越、領導人物" in result.output
    assert "search `tag:lexique::removed` in the Browser" in result.output
    Path("empty").mkdir()
    missing = cli("changelog", "empty")
    assert missing.exit_code == 1 and missing.stderr == (
        "error: empty: a source directory has a deck.yaml; this one has none\n")


def test_check_upgrade_warns_of_a_downgrade(cli, project):
    assert cli("build").exit_code == 0
    shutil.copy("dist/lexique-1.0.0.apkg", "lexique-1.1.0.apkg")
    result = cli("check-upgrade", "lexique-1.1.0.apkg", "dist/lexique-1.0.0.apkg")
    assert result.exit_code == 0
    assert result.stderr == "warning: lexique-1.0.0.apkg is older than lexique-1.1.0.apkg: this checks a downgrade\n"


def test_check_upgrade_without_arguments_compares_the_last_release_with_the_current_build(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    shutil.rmtree("dist")  # the release's package is gone: check-upgrade rebuilds it from its tag
    edit("source/hangzhou.yaml", "gloss: 洗錢", "gloss: 洗錢(金融)")
    result = cli("check-upgrade")
    assert result.exit_code == 0, result.output
    assert "over .cache/releases/lexique-1.0.0.apkg:\nnotes: 0 new, 1 updated, 21 unchanged" in result.output


def test_check_upgrade_without_arguments_takes_the_release_from_dist_previous(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    Path("dist/previous").mkdir()
    shutil.copy("dist/lexique-1.0.0.apkg", "dist/previous/lexique-1.0.0.apkg")
    edit("source/hangzhou.yaml", "gloss: 洗錢", "gloss: 洗錢(金融)")
    result = cli("check-upgrade")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("importing dist/lexique-1.0.0.apkg over dist/previous/lexique-1.0.0.apkg:\n"
                                    "notes: 0 new, 1 updated, 21 unchanged")


def test_the_changelog_names_pictures_and_lists_entries_in_source_order(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    Path("source/media").mkdir()
    Path("source/media/chat.png").write_bytes(b"\x89PNG\r\n\x1a\n a picture")
    text = Path("source/hangzhou.yaml").read_text(encoding="utf-8")
    first = text.index("  - term: ")
    Path("source/hangzhou.yaml").write_text(
        text[:first] + "  - term: zèbre\n    pos: noun\n    gender: m\n    gloss: 斑馬\n" + text[first:]
        + "\n  - term: abeille\n    pos: noun\n    gender: f\n    gloss: 蜜蜂\n", encoding="utf-8")
    edit("source/hangzhou.yaml", "  - term: privé\n", "  - term: privé\n    image: chat.png\n")
    result = cli("changelog", "v1.0.0")
    assert result.exit_code == 0, result.output
    assert "### Added\n\n- **zèbre** (n. 陽性 m.): 斑馬\n- **abeille** (n. 陰性 f.): 蜜蜂\n" in result.output
    assert re.search(r"- \*\*privé\*\* \(adj\.\)\n  - Image: \(empty\) → chat-[0-9a-f]{12}\.png\n", result.output)


def test_release_check_refuses_uncommitted_changes_and_a_tag_of_another_commit(cli, repo):
    assert release(cli, "1.0.0").exit_code == 0
    Path("source/notes.txt").write_text("not committed", encoding="utf-8")
    result = cli("release-check", "--tag", "v1.0.0")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: 1 file not committed (source/notes.txt): a release is built from a commit")
    Path("source/notes.txt").unlink()
    git("commit", "-q", "--allow-empty", "-m", "after the tag")
    result = cli("release-check", "--tag", "v1.0.0")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the tag v1.0.0 does not point at the commit being checked (HEAD)")


def test_the_deck_links_to_where_updates_are_published(cli, project, collection):
    with open("source/deck.yaml", "a", encoding="utf-8") as file:
        file.write("updates_url: https://example.org/lexique/releases\n")
    assert cli("build").exit_code == 0
    collection.import_package(project / "dist" / "lexique-1.0.0.apkg")
    description = collection.col.decks.by_name("法語詞彙 Lexique")["desc"]
    assert description.endswith('<br><a href="https://example.org/lexique/releases">'
                                'https://example.org/lexique/releases</a>')


@pytest.mark.parametrize("via_a_minor_release", [False, True])
def test_a_removal_ships_tagged_in_one_release_before_a_major_version_drops_it(cli, repo, collection,
                                                                             via_a_minor_release):
    assert release(cli, "1.0.0").exit_code == 0
    collection.import_package(PACKAGE)
    text = Path("source/hangzhou.yaml").read_text(encoding="utf-8")
    start = text.index("  - term: gratin")
    Path("source/hangzhou.yaml").write_text(text[:start] + text[text.index("  - term: numéro un"):],
                                            encoding="utf-8")
    first = "1.1.0" if via_a_minor_release else "2.0.0"  # removed, then released straight as a major version
    assert release(cli, first).exit_code == 0

    collection.import_package(Path(f"dist/lexique-{first}.apkg"))

    assert "lexique::removed" in collection.note("gratin").tags, "its learners are told it was removed"
    assert release(cli, "3.0.0").exit_code == 0
    identities = {stamp.identity for stamp in read_lock(Path("source/deck.lock")).notes.values()}
    assert "gratin|noun" not in identities, "dropped by the next major version after the release that tagged it"
