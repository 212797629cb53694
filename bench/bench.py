"""`make bench`: the pipeline's speed and memory, as ratios against bare genanki in the same run.

Generates N realistic entries over many files, then measures, each in a fresh process:
genanki alone writing the very same notes (the note type, fields and GUIDs the pipeline
makes), a cold build, a rebuild after editing one entry, a rebuild with nothing changed,
and the peak memory of any of those builds. Each is measured in ROUNDS alternating rounds
and the best time kept: on a shared machine, a slow spell would otherwise decide the ratio.
"""

from __future__ import annotations

import compileall
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from deckbuild.pipeline import prepare  # noqa: E402
from deckbuild.project import Project  # noqa: E402

TARGETS = {"cold": 2.5, "one_entry": 1.3, "no_change_seconds": 0.3, "peak_mb": 300}
TARGET_SIZE = 50_000  # the targets are set for this many entries; smaller decks are shown, not judged
ROUNDS = 3  # each measure taken this many times, the best kept

BARE_GENANKI = """
import pickle, sys, time, genanki
(model_id, name, fields, templates, css), notes = pickle.load(open(sys.argv[1], "rb"))
start = time.perf_counter()
model = genanki.Model(model_id, name, fields=[{"name": n} for n in fields],
                      templates=[{"name": n, "qfmt": q, "afmt": a} for n, q, a in templates], css=css)
deck = genanki.Deck(1234567890, "Bench")
for guid, fields, tags in notes:
    deck.add_note(genanki.Note(model=model, fields=list(fields), tags=list(tags), guid=guid))
genanki.Package(deck).write_to_file(sys.argv[2], timestamp=1767225600)
print(time.perf_counter() - start)
"""


def run(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run a command; return its wall time (s), its peak resident memory (MB) and its output."""
    os.sync()  # the previous run's writes are flushed now, not during this run
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err,
                                   env={**os.environ, "SOURCE_DATE_EPOCH": "1767225600"})
        _, status, usage = os.wait4(process.pid, 0)  # the child's own peak memory, unlike RUSAGE_CHILDREN
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode:
            raise SystemExit(f"{' '.join(args)} failed:\n{err.read().decode()}")
        return elapsed, usage.ru_maxrss / 1024, out.read().decode()


def main(count: int) -> int:
    python = sys.executable
    # Every build imports the pipeline from its bytecode, as it does wherever Python keeps it after
    # the first run; with PYTHONDONTWRITEBYTECODE set, each would compile it anew (70 ms), as genanki,
    # compiled when installed, never is.
    compileall.compile_dir(ROOT / "deckbuild", quiet=1)
    with tempfile.TemporaryDirectory(prefix="deckbuild-bench-") as scratch:
        work = Path(scratch)
        source = generate(work, count)
        shutil.copytree(ROOT / "templates", work / "templates")
        size = sum(p.stat().st_size for p in source.glob("*.yaml")) / 1e6
        build = [python, str(ROOT / "build.py"), "build"]

        result = prepare(Project(source, work / "templates", work / "dist"), use_cache=False)  # the cold build's own
        notes_file = work / "notes.pickle"
        kind = result.note_type
        notes_file.write_bytes(pickle.dumps(((kind.model_id, kind.name, kind.fields, kind.templates, kind.css),
                                             [(s.note.guid, s.note.fields, s.note.tags) for s in result.notes])))
        baseline_script = work / "bare_genanki.py"
        baseline_script.write_text(BARE_GENANKI, encoding="utf-8")
        lesson = sorted(source.glob("lesson-*.yaml"))[len(list(source.glob("lesson-*.yaml"))) // 2]
        rounds = []
        for _ in range(ROUNDS):  # alternating, so that a slow spell of the machine weighs on both sides
            _, baseline_peak, out = run([python, str(baseline_script), str(notes_file), str(work / "bare.apkg")], work)
            for built in (work / "dist", work / ".cache", source / "deck.lock"):
                shutil.rmtree(built, ignore_errors=True) if built.is_dir() else built.unlink(missing_ok=True)
            cold = run(build, work)
            text = lesson.read_text(encoding="utf-8")
            lesson.write_text(text.replace("gloss: ", "gloss: 改", 1), encoding="utf-8")
            one_entry = run(build, work)
            package = next((work / "dist").glob("*.apkg"))
            before = package.stat()
            no_change = run(build, work)
            after = package.stat()
            untouched = (before.st_mtime_ns, before.st_ino) == (after.st_mtime_ns, after.st_ino)
            rounds.append((float(out), baseline_peak, cold, one_entry, no_change, untouched))

    # The best of the rounds, as hyperfine and timeit report: what the code takes when nothing else is running.
    baseline, baseline_peak = min(row[0] for row in rounds), max(row[1] for row in rounds)
    (cold, cold_peak, _), (one_entry, one_entry_peak, _), (no_change, no_change_peak, _) = (
        (min(row[i][0] for row in rounds), max(row[i][1] for row in rounds), "") for i in (2, 3, 4))
    untouched = all(row[5] for row in rounds)
    peak = max(cold_peak, one_entry_peak, no_change_peak)
    rows = [
        ("bare genanki writing the same notes", f"{baseline:6.2f} s", "", ""),
        ("cold build", f"{cold:6.2f} s", f"{cold / baseline:.2f}x", f"≤ {TARGETS['cold']}x",
         cold / baseline <= TARGETS["cold"]),
        ("rebuild after editing one entry", f"{one_entry:6.2f} s", f"{one_entry / baseline:.2f}x",
         f"≤ {TARGETS['one_entry']}x", one_entry / baseline <= TARGETS["one_entry"]),
        ("rebuild with nothing changed", f"{no_change:6.2f} s", "output untouched" if untouched else "REWRITTEN",
         f"≤ {TARGETS['no_change_seconds']} s", no_change <= TARGETS["no_change_seconds"] and untouched),
        ("peak memory, any of the builds", f"{peak:6.0f} MB", f"{peak / baseline_peak:.2f}x",
         f"≤ {TARGETS['peak_mb']} MB", peak <= TARGETS["peak_mb"]),
    ]
    print(f"{count} entries in {len(list(range(0, count, 500)))} files ({size:.1f} MB of YAML), Python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cores; bare genanki peak {baseline_peak:.0f} MB; "
          f"best of {ROUNDS} rounds")
    print(f"{'':38} {'time':>9}  {'ratio':>16}  {'target':>10}")
    judged = count >= TARGET_SIZE
    for name, value, ratio, target, *met in rows:
        verdict = ("met" if met[0] else "MISSED") if met and judged else ""
        print(f"{name:38} {value:>9}  {ratio:>16}  {target:>10}  {verdict}")
    if not judged:
        print(f"(the targets are for {TARGET_SIZE:,} entries; with fewer, fixed costs weigh more)")
    return 0 if not judged or all(row[4] for row in rows[1:]) else 1


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000))
