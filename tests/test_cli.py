"""The command line, driven as a person drives it: exit codes and exact messages."""

from __future__ import annotations

import pytest

import build as build_script
from deckbuild import __version__


def test_every_command_has_help(cli):
    result = cli("--help")
    assert result.exit_code == 0 and "Build an Anki deck" in result.output
    for name, command in build_script.cli.commands.items():
        assert command.help, f"{name} has no help text"
        assert cli(name, "--help").exit_code == 0


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output == f"deckbuild, version {__version__}\n"


def test_build_writes_the_versioned_package(cli, project):
    result = cli("build")
    assert result.exit_code == 0
    assert result.output == "wrote dist/lexique-1.0.0.apkg\n"
    assert (project / "dist" / "lexique-1.0.0.apkg").is_file()
    assert (project / "source" / "deck.lock").is_file()


def test_build_takes_other_source_and_output_directories(cli, project):
    (project / "source").rename(project / "lessons")
    result = cli("build", "--source", "lessons", "--out", "out")
    assert result.exit_code == 0, result.output
    assert (project / "out" / "lexique-1.0.0.apkg").is_file()
    assert not (project / "dist").exists()


def test_validate_writes_nothing(cli, project):
    result = cli("validate")
    assert result.exit_code == 0
    assert result.output == "ok: 22 entries in 法語詞彙 Lexique 1.0.0\n"
    assert not (project / "dist").exists()
    assert not (project / "source" / "deck.lock").exists()


def test_a_missing_source_directory_is_one_clear_line(cli):
    result = cli("build", "--source", "nowhere")
    assert result.exit_code == 1
    assert result.stderr == "nowhere:1:1: the source directory does not exist\n" \
                            "1 problem in the source; nothing was written.\n"


def test_a_missing_manifest_is_one_clear_line(cli, project):
    (project / "source" / "deck.yaml").unlink()
    result = cli("validate")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "source/deck.yaml:1:1: the deck manifest is missing; create it with name, version, deck_id and model_id")


def test_locked_build_refuses_a_stale_lock(cli, project):
    result = cli("build", "--locked")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: source/deck.lock is out of date (22 notes new, the note type changed); "
        "run `make build` and commit the lock with the change\n")
    assert not (project / "dist").exists()


@pytest.mark.parametrize("value", ["yesterday", "-5"])
def test_a_bad_source_date_epoch_is_refused(cli, monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    result = cli("build")
    assert result.exit_code == 1
    assert result.stderr == f"error: SOURCE_DATE_EPOCH must be a whole number of seconds, found '{value}'\n"


def run_on_a_terminal(args: list[str], cwd, env: dict) -> str:
    """Run a command with its output on a pseudo-terminal, as a person at a terminal sees it."""
    import os
    import pty
    import subprocess

    leader, follower = pty.openpty()
    process = subprocess.Popen(args, cwd=cwd, stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        output += chunk
    process.wait()
    os.close(leader)
    assert process.returncode == 0, output
    return output.decode(errors="replace")


def test_progress_is_shown_on_a_terminal_only(cli, project, monkeypatch):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {key: value for key, value in os.environ.items() if key != "CI"}
    shown = run_on_a_terminal([sys.executable, str(ROOT / "build.py"), "build"], project, env)
    assert "checking sources" in shown and "writing the package" in shown and "100%" in shown

    (project / "source" / "hangzhou.yaml").write_text(
        (project / "source" / "hangzhou.yaml").read_text(encoding="utf-8").replace("紅人", "名人"), encoding="utf-8")
    piped = subprocess.run([sys.executable, str(ROOT / "build.py"), "build"], cwd=project, env=env,
                           capture_output=True, text=True, check=True)
    assert piped.stderr == "" and piped.stdout == "wrote dist/lexique-1.0.0.apkg\n"


def test_a_package_that_cannot_be_written_changes_nothing(cli, project):
    assert cli("build").exit_code == 0
    lock = (project / "source" / "deck.lock").read_bytes()
    source = project / "source" / "hangzhou.yaml"
    source.write_text(source.read_text(encoding="utf-8").replace("紅人", "名人"), encoding="utf-8")
    package = project / "dist" / "lexique-1.0.0.apkg"
    package.unlink()
    package.mkdir()  # something in the way of the package

    result = cli("build")

    assert result.exit_code == 1
    assert result.stderr == "error: cannot make dist/lexique-1.0.0.apkg: Is a directory\n"
    assert (project / "source" / "deck.lock").read_bytes() == lock, "the lock moves only with its package"


def test_a_file_the_build_does_not_read_is_warned_about(cli, project):
    (project / "source" / "mots.txt").write_text("chat: 貓\n", encoding="utf-8")
    (project / "source" / ".DS_Store").write_bytes(b"\0")
    result = cli("build")
    assert result.exit_code == 0
    assert result.stderr == ("source/mots.txt: warning: the build does not read .txt files: this one is left out "
                             "of the deck; entries go in .yaml, .csv or .tsv files, pictures and recordings under "
                             "media/\n")
