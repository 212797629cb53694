"""Audio files made offline with espeak-ng, for `build --audio`; by default Anki speaks the cards itself."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from . import espeak
from .atomic import replacing
from .errors import BuildError, display_path


class Speaker:
    """Turn French text into a WAV file, once: files are kept in a cache keyed by the text and espeak-ng's version."""

    def __init__(self, cache_dir: Path):
        try:
            self.version = espeak.VERSION  # another version speaks differently: its clips are other files
        except espeak.EspeakError as error:
            raise BuildError(f"--audio needs espeak-ng: {error}; or build without --audio, and Anki reads "
                             "the cards with its own voices") from error
        self.cache_dir = cache_dir

    def say(self, text: str) -> tuple[str, Path]:
        """Return the package name and the file of `text` spoken; the name changes with the sound."""
        spoken = re.sub(r"\*+", "", text)
        key = hashlib.sha256(f"{self.version}\0{espeak.VOICE.decode()}\0{spoken}".encode()).hexdigest()[:24]
        path = self.cache_dir / f"{key}.wav"
        if not path.exists():
            try:
                with replacing(path) as partial:
                    espeak.record(spoken, partial)
            except espeak.EspeakError as error:
                raise BuildError(f"espeak-ng failed on '{spoken[:40]}': {error}") from error
            except OSError as error:
                raise BuildError(f"cannot record '{spoken[:40]}' into {display_path(self.cache_dir)}: "
                                 f"{error.strerror or error}") from error
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return f"tts-{digest}.wav", path
