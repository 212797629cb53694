"""Killing a build at any moment leaves the previous package and lock whole, and the next build recovers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

import pytest

from bench.generate import generate
from tests.conftest import EPOCH, ROOT

PACKAGE = Path("dist/bench-1.0.0.apkg")
LOCK = Path("source/deck.lock")


def build(project: Path) -> subprocess.Popen:
    # A scratch directory of its own: a killed build leaves its temporary database there, not in /tmp.
    scratch = project.parent / "tmp"
    scratch.mkdir(exist_ok=True)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH), "TMPDIR": str(scratch)}
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), "build"], cwd=project, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def outputs(project: Path) -> tuple[bytes, bytes]:
    return (project / PACKAGE).read_bytes(), (project / LOCK).read_bytes()


def restore(project: Path, old: tuple[bytes, bytes]) -> None:
    """Put the package and lock back as they were before the build (the cache may hold anything)."""
    (project / PACKAGE).write_bytes(old[0])
    (project / LOCK).write_bytes(old[1])


class Edited(NamedTuple):
    """A project built once and then edited, not yet built again."""

    project: Path
    old: tuple[bytes, bytes]  # its package and lock, as built before the edit
    new: tuple[bytes, bytes]  # as an uninterrupted build after the edit makes them
    duration: float  # of that build, in seconds


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Edited:
    """A 3000-entry project built, then edited; made once, each test works in a copy (`edited_copy`)."""
    root = tmp_path_factory.mktemp("interrupt")
    project = root / "project"
    generate(project, 3000, per_file=300)
    shutil.copytree(ROOT / "templates", project / "templates")
    assert build(project).wait() == 0
    old = outputs(project)

    for lesson in sorted((project / "source").glob("lesson-*.yaml"))[::3]:
        lesson.write_text(lesson.read_text(encoding="utf-8").replace("gloss: ", "gloss: 新", 2), encoding="utf-8")
    reference = root / "reference"
    shutil.copytree(project, reference, ignore=shutil.ignore_patterns(".cache"))
    started = time.perf_counter()
    assert build(reference).wait() == 0
    duration = time.perf_counter() - started
    new = outputs(reference)
    assert new[0] != old[0] and new[1] != old[1]
    return Edited(project, old, new, duration)


@pytest.fixture
def edited_copy(edited: Edited, tmp_path: Path) -> Edited:
    """A copy of the edited project for one test to kill builds in, its cache included."""
    project = tmp_path / "project"
    shutil.copytree(edited.project, project)
    return edited._replace(project=project)


def test_killing_a_build_at_any_moment_loses_nothing(edited_copy):
    project, old, new, duration = edited_copy

    for step in range(12):
        process = build(project)
        time.sleep(duration * step / 10)
        process.send_signal(signal.SIGKILL)
        process.wait()
        package, lock = outputs(project)
        assert package in old[:1] + new[:1], f"a half-written package after {step / 10:.0%} of a build"
        assert lock in (old[1], new[1]), f"a half-written lock after {step / 10:.0%} of a build"
        restore(project, old)  # for the next try

    assert build(project).wait() == 0
    assert outputs(project) == new, "the next build recovers: the same bytes as an uninterrupted one"
    assert not list(project.rglob("*.partial")), "no temporary files left behind"


def partial_of(target: Path) -> Path | None:
    """The temporary file a writer of `target` is filling (atomic.replacing), once it holds a byte."""
    try:
        with os.scandir(target.parent) as found:
            for entry in found:
                if entry.name.startswith(f".{target.name}.") and entry.name.endswith(".partial") \
                        and entry.stat().st_size > 0:
                    return Path(entry.path)
    except FileNotFoundError:  # the directory is not made yet, or the file was renamed as it was looked at
        pass
    return None


def kill_while_writing(project: Path, target: Path, old: tuple[bytes, bytes], attempts: int = 5) -> Path:
    """Start builds until one is killed (SIGKILL) while it writes `target`; return the partial file it left.

    The directory is looked at every millisecond or so; a build that finished writing between the
    look and the kill (its partial file renamed) does not count, and the outputs are put back.
    """
    for _ in range(attempts):
        process = build(project)
        deadline = time.monotonic() + 60
        partial = None
        while partial is None and process.poll() is None and time.monotonic() < deadline:
            partial = partial_of(project / target)
            if partial is None:
                time.sleep(0.001)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if partial is not None and partial.exists():
            return partial
        restore(project, old)
    pytest.fail(f"no build was killed while writing {target} in {attempts} attempts")


@pytest.mark.parametrize("target", [PACKAGE, LOCK], ids=["package", "lock"])
def test_a_build_killed_while_writing_a_file_loses_nothing(edited_copy, target):
    project, old, new, _ = edited_copy

    partial = kill_while_writing(project, target, old)

    assert partial.exists() and partial.stat().st_size > 0, "the kill landed while the file was being written"
    assert outputs(project) == old, "the previous package and lock are intact"
    assert build(project).wait() == 0
    assert outputs(project) == new, "the next build recovers: the same bytes as an uninterrupted one"
    assert not list(project.rglob("*.partial")), "no temporary files left behind"
