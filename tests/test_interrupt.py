"""Killing a build at any moment leaves the previous package and lock whole, and the next build recovers."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import generate
from tests.conftest import EPOCH, ROOT

ENV = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}


def build(project: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), "build"], cwd=project, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def outputs(project: Path) -> tuple[bytes, bytes]:
    return (project / "dist" / "bench-1.0.0.apkg").read_bytes(), (project / "source" / "deck.lock").read_bytes()


def test_killing_a_build_at_any_moment_loses_nothing(tmp_path):
    project = tmp_path / "project"
    generate(project, 3000, per_file=300)
    shutil.copytree(ROOT / "templates", project / "templates")
    assert build(project).wait() == 0
    old = outputs(project)

    for lesson in sorted((project / "source").glob("lesson-*.yaml"))[::3]:
        lesson.write_text(lesson.read_text(encoding="utf-8").replace("gloss: ", "gloss: 新", 2), encoding="utf-8")
    edited = tmp_path / "edited"
    shutil.copytree(project / "source", edited)
    reference = tmp_path / "reference"
    shutil.copytree(project, reference, ignore=shutil.ignore_patterns(".cache"))
    started = time.perf_counter()
    assert build(reference).wait() == 0
    duration = time.perf_counter() - started
    new = outputs(reference)
    assert new[0] != old[0] and new[1] != old[1]

    for step in range(12):
        process = build(project)
        time.sleep(duration * step / 10)
        process.send_signal(signal.SIGKILL)
        process.wait()
        package, lock = outputs(project)
        assert package in old[:1] + new[:1], f"a half-written package after {step / 10:.0%} of a build"
        assert lock in (old[1], new[1]), f"a half-written lock after {step / 10:.0%} of a build"
        # back to the state before the build, for the next try (the cache may hold anything)
        (project / "dist" / "bench-1.0.0.apkg").write_bytes(old[0])
        (project / "source" / "deck.lock").write_bytes(old[1])

    assert build(project).wait() == 0
    assert outputs(project) == new, "the next build recovers: the same bytes as an uninterrupted one"
    assert not list(project.rglob("*.partial")), "no temporary files left behind"
