"""Headless Chromium (Debian's `chromium` package), to look at the preview as a learner would."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium); .ci/run installs it")


def _run(*args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        completed = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--allow-file-access-from-files", f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=120, check=True)
    return completed.stdout


def screenshot(page: Path, out: Path, width: int = 420, height: int = 860) -> Path:
    """Save a PNG of `page` as a phone-sized window shows it."""
    _run(f"--window-size={width},{height}", f"--screenshot={out}", page.resolve().as_uri())
    return out


def dom(page: Path, width: int = 420, height: int = 860) -> str:
    """Return the page's DOM after its scripts ran."""
    return _run(f"--window-size={width},{height}", "--virtual-time-budget=3000", "--dump-dom",
                page.resolve().as_uri())
