"""Chinese for another edition: Traditional (Taiwan) to Simplified with mainland phrases, by OpenCC.

OpenCC's `tw2sp` converts phrase by phrase, not character by character: 軟體 becomes 软件 and
網路 网络, as a reader in mainland China writes them, where a character table would give 软体
and 网路. Only runs of Chinese characters and punctuation are handed to it, so French text
(a term, an example, *garder* in a note) is never touched. OpenCC and its dictionaries come
in the wheel of the PyPI package `opencc`, pinned in requirements.txt.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

from .errors import BuildError

# CJK radicals, punctuation, ideographs (and their extensions), compatibility ideographs, full-width forms.
_CHINESE_RUN = re.compile("[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
                          "\uff00-\uffef\U00020000-\U0003134f]+")


def converter(chinese: str) -> Callable[[str], str]:
    """The conversion an edition's `chinese:` asks for: `simplified`, or `traditional` (the text as written)."""
    return to_simplified if chinese == "simplified" else _as_written


def to_simplified(text: str) -> str:
    """Return `text` with its Chinese converted from Traditional (Taiwan) to Simplified, mainland phrases."""
    if not text:
        return text
    convert = _opencc().convert
    return _CHINESE_RUN.sub(lambda run: convert(run.group()), text)


@cache
def version() -> str:
    """What tells the installed OpenCC from another, which may convert otherwise: a build input.

    The size and time of its package's files, found without importing it: every build asks,
    and importlib.metadata's version() would take 20 ms of a build that has nothing to do.
    """
    spec = importlib.util.find_spec("opencc")
    if spec is None or spec.origin is None:
        return "missing"
    package = Path(spec.origin).parent
    files = sorted(file for file in package.rglob("*") if file.is_file() and "__pycache__" not in file.parts)
    return hashlib.sha256(repr([(str(file.relative_to(package)), *_stat(file)) for file in files]).encode()
                          ).hexdigest()[:16]


def _stat(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _as_written(text: str) -> str:
    return text


@cache
def _opencc():
    """OpenCC's Taiwan-to-mainland converter, made once per process."""
    try:
        import opencc
    except ImportError as error:
        raise BuildError("an edition with `chinese: simplified` needs OpenCC, the PyPI package `opencc`; "
                         "install it with `make build` (or `.venv/bin/pip install -r requirements.txt`)") from error
    return opencc.OpenCC("tw2sp")
