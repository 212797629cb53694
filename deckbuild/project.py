"""A deck project: where its sources, templates, output and cache are."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .formats import lock_name, package_name
from .load import MANIFEST_NAME
from .lockfile import LOCK_NAME
from .schema import Manifest

CACHE_NAME = ".cache"  # beside the sources, outside dist/: see cache.py


@dataclass(frozen=True)
class Project:
    """The directories of one deck; the cache belongs to the project, wherever the command runs from."""

    source_dir: Path = Path("source")
    templates_dir: Path = Path("templates")
    out_dir: Path = Path("dist")
    cache_dir: Path = field(default=None)  # default: .cache beside source_dir

    def __post_init__(self) -> None:
        if self.cache_dir is None:
            object.__setattr__(self, "cache_dir", self.source_dir.parent / CACHE_NAME)

    @property
    def manifest_path(self) -> Path:
        return self.source_dir / MANIFEST_NAME

    @property
    def lock_path(self) -> Path:
        return self.source_dir / LOCK_NAME

    def lock_path_of(self, edition: str) -> Path:
        """The lock of the edition `edition` ("" for the deck as written): deck.lock, deck.zh-CN.lock."""
        return self.source_dir / lock_name(edition)

    def package_path(self, manifest: Manifest) -> Path:
        """Where the package of `manifest`'s version is written."""
        return self.out_dir / package_name(manifest.slug, manifest.version)
