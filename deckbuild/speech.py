"""Audio files made offline with espeak-ng, for `build --audio`; by default Anki speaks the cards itself."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from .atomic import replacing
from .errors import BuildError, display_path

VOICE = "fr-fr"


class Speaker:
    """Turn French text into a WAV file, once: files are kept in a cache keyed by the text."""

    def __init__(self, cache_dir: Path):
        self.program = shutil.which("espeak-ng")
        if self.program is None:
            raise BuildError(
                "--audio needs espeak-ng, which is not installed: `apt-get install espeak-ng` on Debian "
                "or Ubuntu, `brew install espeak-ng` on macOS; or build without --audio, and Anki reads "
                "the cards with its own voices")
        self.cache_dir = cache_dir

    def say(self, text: str) -> tuple[str, Path]:
        """Return the package name and the file of `text` spoken; the name changes with the sound."""
        spoken = re.sub(r"\*+", "", text)
        key = hashlib.sha256(f"{VOICE}\0{spoken}".encode()).hexdigest()[:24]
        path = self.cache_dir / f"{key}.wav"
        if not path.exists():
            try:
                with replacing(path) as partial:
                    subprocess.run([self.program, "-v", VOICE, "-w", str(partial), "--", spoken],
                                   check=True, capture_output=True, timeout=60)
            except subprocess.SubprocessError as error:
                raise BuildError(f"espeak-ng failed on '{spoken[:40]}': {error}") from error
            except OSError as error:
                raise BuildError(f"cannot record '{spoken[:40]}' into {display_path(self.cache_dir)}: "
                                 f"{error.strerror or error}") from error
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return f"tts-{digest}.wav", path
