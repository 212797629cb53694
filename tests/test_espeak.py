"""espeak-ng through ctypes: cleaned French IPA, and WAV files that are the same bytes every time."""

from __future__ import annotations

import hashlib
import locale
import subprocess
import sys
import threading
import wave
from pathlib import Path

import pytest

from deckbuild import espeak

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_the_wheels_library():
    assert espeak.VERSION == "1.52.0"  # espeakng-loader 0.2.4, pinned in requirements.txt
    with pytest.raises(AttributeError):
        espeak.NO_SUCH_NAME  # noqa: B018


@pytest.mark.parametrize(("text", "expected"), [
    ("déficit", "defisi"),  # espeak's own reading, which Lexique corrects; without the stress mark
    ("les amis", "lez‿ami"),  # liaison
    ("se faire virer", "sə fɛʁ viʁe"),  # no clitic hyphen
    ("parking", "pɑkɪŋ"),  # no (en)…(fr) language switch
    ("signer", "siɲe"),  # gn: /ɲ/, not /nj/
    ("aujourd'hui", "oʒuʁdɥi"),  # ui: /ɥi/, not /yi/
    ("épargner manière", "epaʁɲe manjɛʁ"),  # the fixes apply to the words spelled so only
    ("  ", ""),
])
def test_ipa_is_cleaned(text, expected):
    assert espeak.ipa(text) == expected


def test_ipa_does_not_depend_on_what_came_before(tmp_path):
    first = [espeak.ipa(text) for text in ("coqueluche", "les hameaux", "zorglub")]
    espeak.record("blanchiment", tmp_path / "a.wav")
    espeak.ipa("un tout autre texte, avec deux phrases. Voilà !")
    assert [espeak.ipa(text) for text in ("coqueluche", "les hameaux", "zorglub")] == first


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_recording_is_a_22050_hz_mono_16_bit_wav(tmp_path):
    espeak.record("se faire virer", tmp_path / "clip.wav")
    with wave.open(str(tmp_path / "clip.wav")) as clip:
        assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) == (1, 2, 22050)
        assert 0.5 < clip.getnframes() / 22050 < 2


def test_the_same_text_gives_the_same_bytes_whatever_was_spoken_before(tmp_path):
    espeak.record("coqueluche", tmp_path / "1.wav")
    espeak.record("les fiançailles de la coqueluche nationale", tmp_path / "other.wav")
    espeak.record("coqueluche", tmp_path / "2.wav")
    assert _sha(tmp_path / "1.wav") == _sha(tmp_path / "2.wav")
    assert _sha(tmp_path / "1.wav") != _sha(tmp_path / "other.wav")
    assert "deckbuild-espeak-synth" not in Path("/proc/self/maps").read_text(), "the copy is unloaded"


def test_another_process_gives_the_same_bytes(tmp_path):
    espeak.record("zorglub et compagnie", tmp_path / "warm-up.wav")
    espeak.record("coqueluche", tmp_path / "here.wav")
    code = "import sys; from deckbuild import espeak; espeak.record('coqueluche', sys.argv[1])"
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there.wav")], cwd=ROOT, check=True)
    assert _sha(tmp_path / "here.wav") == _sha(tmp_path / "there.wav")


def test_threads_take_turns(tmp_path):
    espeak.record("blanchiment", tmp_path / "alone.wav")
    errors = []

    def speak(index):
        try:
            espeak.record("blanchiment", tmp_path / f"{index}.wav")
            assert espeak.ipa("coqueluche") == "koklyʃ"
        except Exception as error:  # reported below, in the main thread
            errors.append(error)

    threads = [threading.Thread(target=speak, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert {_sha(tmp_path / f"{i}.wav") for i in range(4)} == {_sha(tmp_path / "alone.wav")}


def test_the_process_locale_is_left_alone(tmp_path):
    before = locale.setlocale(locale.LC_CTYPE)
    espeak.record("gratin", tmp_path / "clip.wav")
    assert locale.setlocale(locale.LC_CTYPE) == before


def test_without_the_package_the_error_says_how_to_get_it():
    code = ("import sys; sys.modules['espeakng_loader'] = None\n"
            "from deckbuild import espeak\n"
            "try:\n    espeak.VERSION\nexcept espeak.EspeakError as error:\n    print(error)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout == ("the Python package espeakng-loader is not installed; `make build` installs it "
                             "(pip install -r requirements.txt)\n")
