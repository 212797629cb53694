"""libespeak-ng from the espeakng-loader wheel, through ctypes: French IPA, and WAV files that are reproducible.

Nothing comes from the system: the wheel holds the library (1.52) and its data, and the data
path is always given, because with none the library would read whatever another espeak-ng
left in /usr/share (Debian 12 has 1.51 there). The library is global state, so every call
holds one module-level lock: use it from one thread at a time, which the lock enforces.

Two instances of the library are used:
* the text instance, loaded once and never unloaded, for `ipa`: text-to-phonemes keeps no
  state from one call to the next;
* a private copy (a memfd on Linux, so a file of its own that dlopen cannot confuse with the
  text instance) for `record`, loaded for one clip and unloaded after it. Synthesis keeps
  state in static variables that nothing resets (pitch flutter phase, gain, echo buffer),
  so the same text in the same process would otherwise come out differently each time.

`VERSION` is the library's version string, for cache keys; reading it loads the library.
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import locale
import os
import re
import shutil
import tempfile
import threading
import unicodedata
import wave
from functools import cache
from pathlib import Path

VOICE = b"roa/fr"  # the file lang/roa/fr: named so, it is read directly, without listing (and leaking) every voice
SAMPLE_RATE = 22050  # what espeak_Initialize returns: mono, 16 bits a sample

_AUDIO_OUTPUT_SYNCHRONOUS = 2  # no thread of its own: a library with a running thread cannot be unloaded
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_POS_CHARACTER = 1
_END_PAUSE = 0x1000  # the silence after the last word that the espeak-ng program adds too
_COPY_NAME = "deckbuild-espeak-synth"  # how the private copy shows in /proc/self/maps

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

_lock = threading.Lock()


class EspeakError(RuntimeError):
    """espeak-ng is missing or failed."""


def __getattr__(name: str) -> str:
    # VERSION is read from the library, loaded on first use: importing this module stays free
    if name == "VERSION":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def version() -> str:
    """Return the library's version string, such as 1.52.0."""
    with _lock:
        return _text_instance().espeak_Info(None).decode()


def ipa(text: str) -> str:
    """Return espeak-ng's French IPA for `text`: no stress or length marks, no language switches, liaisons as ‿."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    with _lock:
        library = _text_instance()
        buffer = ctypes.create_string_buffer(text.encode())
        pointer = ctypes.c_void_p(ctypes.addressof(buffer))
        clauses = []
        while pointer.value:  # one clause a call: the pointer moves on, and is NULL at the end
            before = pointer.value
            result = library.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, _PHONEMES_IPA)
            if result:
                clauses.append(result.decode())
            if pointer.value == before:
                break
    return _fix_words(text, _clean(" ".join(clauses)))


_MARKS = str.maketrans("", "", "ˈˌːˑ")
_LANGUAGE_SWITCH = re.compile(r"\([a-z]{2,3}(?:-[a-z0-9]+)?\)")
_LIAISON = re.compile(r"-([^\s-]+) ")  # le-z amˈi: the consonant heard, then the next word


def _clean(phonemes: str) -> str:
    phonemes = _LANGUAGE_SWITCH.sub("", phonemes).translate(_MARKS)
    phonemes = _LIAISON.sub(r"\1‿", phonemes)
    return " ".join(phonemes.replace("-", " ").split())  # sə- fɛʁ: a clitic joined to its verb


# espeak-ng 1.52 reads many gn as /nj/ and ui as /yi/ (alignez, réduits): in the words spelled so, /ɲ/ and
# /ɥi/. Checked against Lexique on 6,000 words: 74.3% to 76.3% the same, and not one made worse.
def _fix_words(text: str, phonemes: str) -> str:
    words = text.split()
    parts = re.split(r"([ ‿])", phonemes)  # words and their separators, alternately
    if len(words) != (len(parts) + 1) // 2:
        return phonemes  # the words do not line up (numbers, names read as two): leave them
    for index, word in zip(range(0, len(parts), 2), words, strict=True):
        lowered = word.lower()
        if "gn" in lowered:
            parts[index] = parts[index].replace("nj", "ɲ")
        if "ui" in lowered:
            parts[index] = parts[index].replace("yi", "ɥi")
    return "".join(parts)


def record(text: str, path: str | os.PathLike) -> None:
    """Write French `text` spoken to `path`: a 22,050 Hz mono 16-bit WAV, the same bytes every time."""
    samples = _synthesize(" ".join(unicodedata.normalize("NFC", text).split()))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples)


def _synthesize(text: str) -> bytes:
    chunks: list[bytes] = []

    @_SYNTH_CALLBACK
    def collect(wav, count, _events):
        if wav and count > 0:
            chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # go on

    data = text.encode() + b"\0"
    with _lock:
        copy = _private_copy()
        ctypes.CDLL(None).srand(1)  # breath noise comes from rand(): seed it as a new process finds it
        library = _load(copy)
        try:
            if _text_instance.cache_info().currsize and library._handle == _text_instance()._handle:
                library = None  # never unload the text instance: terminating it under its feet crashes
                raise EspeakError("the private copy of libespeak-ng turned out to be the text instance")
            _start(library)
            library.espeak_SetSynthCallback(collect)
            error = library.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _END_PAUSE,
                                         None, None)
            if error != 0:
                raise EspeakError(f"espeak_Synth failed (error {error}) on {text[:40]!r}")
            library.espeak_Synchronize()
            library.espeak_Terminate()
        finally:
            if library is not None:
                handle = library._handle
                del library
                _ctypes.dlclose(handle)  # the next clip maps the copy afresh, its static variables reset
        _check_unloaded(copy)
    return b"".join(chunks)


def _check_unloaded(copy: str) -> None:
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return  # not Linux: there is nothing to read it from
    marker = _COPY_NAME if copy.startswith("/proc/") else copy
    if marker in maps.read_text():
        raise EspeakError("libespeak-ng stayed loaded after a clip: the next clips would not be reproducible")


@cache
def _private_copy() -> str:
    """Return the path of a copy of libespeak-ng that is a file of its own, for synthesis."""
    # dlopen returns the instance already loaded from the same file (it compares device and
    # inode), and dlclose unmaps nothing while another reference holds it: only a distinct file
    # gets a fresh instance. A memfd is one without a file on disk; it lives as long as the process.
    original = Path(_loader().get_library_path())
    if hasattr(os, "memfd_create"):
        descriptor = os.memfd_create(_COPY_NAME)
        with open(descriptor, "wb", closefd=False) as copy:
            copy.write(original.read_bytes())
        return f"/proc/self/fd/{descriptor}"
    directory = tempfile.mkdtemp(prefix="deckbuild-espeak-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return str(shutil.copy(original, Path(directory) / f"{_COPY_NAME}{original.suffix}"))


@cache
def _text_instance() -> ctypes.CDLL:
    """Return the library loaded from the wheel and started, for text-to-phonemes; it stays loaded."""
    library = _load(_loader().get_library_path())
    _start(library)
    return library


def _loader():
    try:
        import espeakng_loader
    except ImportError as error:
        raise EspeakError("the Python package espeakng-loader is not installed; `make build` installs it "
                          "(pip install -r requirements.txt)") from error
    return espeakng_loader


def _load(path: str) -> ctypes.CDLL:
    try:
        library = ctypes.CDLL(path)  # RTLD_LOCAL: the copy's symbols stay its own
    except OSError as error:
        raise EspeakError(f"cannot load libespeak-ng: {error}") from error
    library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    library.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
    library.espeak_TextToPhonemes.restype = ctypes.c_char_p
    library.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
    library.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
    library.espeak_Info.argtypes = [ctypes.c_void_p]
    library.espeak_Info.restype = ctypes.c_char_p
    return library


def _start(library: ctypes.CDLL) -> None:
    saved = locale.setlocale(locale.LC_CTYPE)
    try:  # espeak_Initialize sets LC_CTYPE for the whole process; its output does not depend on it
        rate = library.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, _loader().get_data_path().encode(), 0)
    finally:
        locale.setlocale(locale.LC_CTYPE, saved)
    if rate != SAMPLE_RATE:
        raise EspeakError(f"espeak_Initialize failed (it returned {rate})")
    if library.espeak_SetVoiceByName(VOICE) != 0:
        raise EspeakError("espeak-ng's data has no French voice")
