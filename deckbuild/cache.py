"""What makes rebuilds fast: a cache of each source file's checked entries, and an up-to-date check.

Both live in `.cache/`, outside `dist/` so that a failed build leaves `dist/` exactly as
it was, and are keyed by hashes of everything they follow from, the pipeline's own code
included: a stale entry is never used, it is simply not found. Deleting the folder is
always safe, and a cache that cannot be written (a full disk, a read-only folder) is only
warned about: the build goes on without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import marshal
from functools import cache
from importlib.resources import files
from pathlib import Path

from .atomic import remove_leftovers, replacing, write_text
from .errors import display_path
from .formats import lock_name
from .load import READ_SUFFIXES

log = logging.getLogger(__package__)


@contextlib.contextmanager
def optional(cache_dir: Path):
    """Run a block that writes the cache `cache_dir`; if the disk refuses, warn (once) and go on without it."""
    try:
        yield
    except OSError as error:
        if (where := str(cache_dir.resolve())) not in _refused:
            _refused.add(where)
            log.warning(f"cannot write the cache in {display_path(cache_dir)} ({error.strerror or error}); "
                        "going on without it, so the next build may be slower")


_refused: set[str] = set()  # the caches already warned about in this process


@cache
def code_digest() -> bytes:
    """Hash of the pipeline's code and data: a new version of it invalidates everything cached."""
    digest = hashlib.sha256()
    package = files(__package__)
    for path in sorted(p for pattern in ("*.py", "data/*") for p in Path(str(package)).glob(pattern)):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.digest()


def encode(value) -> bytes:
    """A value of plain types (tuples, lists, strings, numbers) as the cache keeps it: marshal, fast, and no code."""
    return marshal.dumps(value)


def decode(data: bytes):
    """The value that encode() gave `data` for; raise EOFError, ValueError or TypeError if it is damaged."""
    return marshal.loads(data)


class FileCache:
    """The entries and notes of source files already checked and rendered, as plain tuples, by content hash."""

    def __init__(self, directory: Path | None, context: bytes, kind: str = "files"):
        """Keep the cache in `directory`/`kind`; with None, keep nothing (for `validate`)."""
        self.root = directory
        self.directory = directory / kind if directory else None
        self.context = hashlib.sha256(code_digest() + context).digest()
        self.used: set[str] = set()
        self.made = False  # whether the directory is known to be there

    def key(self, name: str, data: bytes) -> str:
        return self.key_of_digest(name, hashlib.sha256(data).digest())

    def key_of_digest(self, name: str, digest: bytes) -> str:
        return hashlib.sha256(self.context + name.encode() + b"\0" + digest).hexdigest()

    def get(self, key: str):
        self.used.add(key)
        if self.directory is None:
            return None
        try:
            return decode((self.directory / key).read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return None  # absent, or left by an interrupted write or another Python: rebuild it

    def put(self, key: str, value) -> None:
        self.put_encoded(key, encode(value))

    def put_encoded(self, key: str, data: bytes) -> None:
        """Keep a value already encoded (encode()), as the build's workers send their results."""
        self.used.add(key)
        if self.directory is None:
            return
        with optional(self.root):
            if not self.made:
                self.directory.mkdir(parents=True, exist_ok=True)
                self.made = True
            with replacing(self.directory / key) as partial:
                partial.write_bytes(data)
            return
        self.directory = None  # the disk refused: warned once, and this build writes no more of it

    def prune(self) -> None:
        """Forget the files this build did not use, so that the cache does not grow without end."""
        if self.directory is None:
            return
        with optional(self.root):
            for path in self.directory.glob("*"):
                if path.name not in self.used:
                    path.unlink(missing_ok=True)


class BuildState:
    """Remembers the inputs of the last build and the packages it wrote, to skip a build that would change nothing."""

    def __init__(self, directory: Path, source_dir: Path, templates_dir: Path, out_dir: Path, options: str,
                 lock_path: Path):
        """`lock_path` is the deck's lock; the other editions' locks are beside it (deck.zh-CN.lock)."""
        where = hashlib.sha256(str(out_dir.resolve()).encode()).hexdigest()[:16]
        self.path = directory / f"state-{where}.json"
        self.lock = lock_path
        self.inputs = self._digest(source_dir, templates_dir, options)  # all but the locks, which the build writes

    def locks(self) -> list[Path]:
        """The locks there are now: the deck's, and each other edition's."""
        return [self.lock, *sorted(self.lock.parent.glob(lock_name("*")))]

    def _digest(self, source_dir: Path, templates_dir: Path, options: str) -> bytes:
        digest = hashlib.sha256(code_digest() + options.encode())
        locks = set(self.locks())
        for root in (source_dir, templates_dir):
            for path in sorted(p for p in root.rglob("*") if p.is_file() and p not in locks):
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                if path.suffix.lower() in (*READ_SUFFIXES, ".html", ".css"):
                    digest.update(path.read_bytes())
                else:  # media: large, and changed only by hand; the size and time tell
                    stat = path.stat()
                    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.digest()

    def fingerprint(self, lock_digests: dict[Path, bytes] | None = None) -> str:
        """Hash of the inputs and every lock; `lock_digests`, the SHA-256 of locks just written, saves reading them."""
        digest = hashlib.sha256(self.inputs)
        for lock in self.locks():
            known = (lock_digests or {}).get(lock)
            digest.update(lock.name.encode() + (known if known is not None else hashlib.sha256(
                lock.read_bytes() if lock.exists() else b"").digest()))
        return digest.hexdigest()

    def current(self) -> list[Path] | None:
        """The packages, if the inputs are those of the last build and the packages are as it left them."""
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            packages = [Path(package) for package in state["packages"]]
            if state["fingerprint"] == self.fingerprint() and state["stat"] == [_stat(p) for p in packages]:
                return packages
        except (OSError, ValueError, KeyError, TypeError):
            pass
        return None

    def record(self, packages: list[Path], lock_digests: dict[Path, bytes] | None = None) -> None:
        """Remember this build, which wrote `packages`; `lock_digests` as fingerprint() takes them."""
        state = {"fingerprint": self.fingerprint(lock_digests), "packages": [str(package) for package in packages],
                 "stat": [_stat(package) for package in packages]}
        with optional(self.path.parent):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            remove_leftovers(self.path)  # of a build killed while it wrote this
            write_text(self.path, json.dumps(state))


def _stat(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]
