"""Processes: a killed build takes its workers with it, and two builds in one checkout do not collide."""

from __future__ import annotations

import fcntl
import gc
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.generate import generate
from deckbuild import pipeline
from deckbuild.project import Project
from tests.conftest import EPOCH, ROOT

ENV = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}


@pytest.fixture
def many_files(tmp_path: Path) -> Path:
    """A project with enough files that the build checks them on every core, in worker processes."""
    project = tmp_path / "project"
    generate(project, 4000, per_file=100)
    shutil.copytree(ROOT / "templates", project / "templates")
    return project


def start(project: Path, **pipes) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), "build"], cwd=project, env=ENV, **pipes)


def children(pid: int) -> set[int]:
    try:
        return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (OSError, IndexError):
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads the process tree from /proc")
@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGTERM])
def test_killing_a_build_ends_its_workers_and_frees_the_callers_pipes(many_files, signal_number):
    process = start(many_files, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (workers := children(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert workers, "the build started worker processes"
    process.send_signal(signal_number)
    process.communicate(timeout=20)  # hangs while a worker still holds the pipes
    deadline = time.monotonic() + 10
    while any(map(alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(alive, workers)), "every worker ended with its parent"


def test_a_second_build_waits_for_the_first_and_says_so(many_files):
    lock_file = many_files / ".cache" / "build.lock"
    lock_file.parent.mkdir(parents=True)
    with open(lock_file, "a") as held:  # as a first build holds it
        fcntl.flock(held, fcntl.LOCK_EX)
        second = start(many_files, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert second.poll() is None, "the second build waits"
    errors = second.communicate(timeout=120)[1]
    assert second.returncode == 0, errors
    assert errors.startswith("warning: another build of this project is running; waiting for it to finish")


def test_two_builds_started_together_both_succeed_with_the_same_result(many_files, tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(many_files, reference)
    assert start(reference).wait() == 0
    first, second = (start(many_files, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2))
    assert first.wait(timeout=120) == 0 and second.wait(timeout=120) == 0, second.stderr.read()
    for name in ("dist/bench-1.0.0.apkg", "source/deck.lock"):
        assert (many_files / name).read_bytes() == (reference / name).read_bytes(), name
    assert not list(many_files.rglob("*.partial"))


def test_workers_build_the_same_bytes_as_one_process_and_leave_the_collector_on(many_files, tmp_path, monkeypatch):
    alone = tmp_path / "alone"
    shutil.copytree(many_files, alone)
    assert start(many_files).wait(timeout=120) == 0  # 40 files: checked by workers, which send them encoded
    monkeypatch.setattr(pipeline, "_FILES_PER_WORKER", 1000)  # the same, checked in this process
    monkeypatch.chdir(alone)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    pipeline.build(Project())
    assert gc.isenabled(), "the cycle collector, paused for the build, runs again"
    for name in ("dist/bench-1.0.0.apkg", "source/deck.lock"):
        assert (many_files / name).read_bytes() == (alone / name).read_bytes(), name
    (alone / "dist" / "bench-1.0.0.apkg").unlink()
    pipeline.build(Project())  # every file from the cache, as the first build kept it
    assert (many_files / "dist/bench-1.0.0.apkg").read_bytes() == (alone / "dist/bench-1.0.0.apkg").read_bytes()
