"""Pictures and sound: recorded files from source/media/, and `build --audio` with espeak-ng (the wheel's library)."""

from __future__ import annotations

import re
import shutil
import unicodedata
import wave
from pathlib import Path

import anki.collection  # noqa: F401  (anki.sound needs the collection module loaded first)
import pytest
from anki.sound import SoundOrVideoTag, TTSTag
from PIL import Image

from deckbuild import espeak
from deckbuild.lockfile import read_lock
from deckbuild.render import FIELDS
from deckbuild.speech import Speaker
from tests.helpers import PACKAGE, edit


def make_media(project: Path, colour=(200, 30, 80)) -> None:
    media = project / "source" / "media"
    media.mkdir(exist_ok=True)
    Image.new("RGB", (40, 30), colour).save(media / "coqueluche.png")
    with wave.open(str(media / "coqueluche.wav"), "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\x00\x01" * 800)


@pytest.fixture
def with_media(project):
    make_media(project)
    edit("source/hangzhou.yaml", "  - term: coqueluche\n",
         "  - term: coqueluche\n    image: coqueluche.png\n    audio: coqueluche.wav\n")
    return project


def test_pictures_and_recordings_are_packaged_shown_and_played(cli, with_media, collection):
    assert cli("build").exit_code == 0
    collection.import_package(PACKAGE)

    note = collection.note("coqueluche")
    image_name = note["Image"].split('"')[1]
    sound_name = note["Audio"].removeprefix("[sound:").removesuffix("]")
    assert image_name.startswith("coqueluche-") and image_name.endswith(".png")
    assert sound_name.startswith("coqueluche-") and sound_name.endswith(".wav")
    media_dir = Path(collection.col.media.dir())
    assert (media_dir / image_name).read_bytes() == (with_media / "source/media/coqueluche.png").read_bytes()
    assert (media_dir / sound_name).read_bytes() == (with_media / "source/media/coqueluche.wav").read_bytes()

    card = collection.cards_of("coqueluche")["Recognition"]
    assert f'<img src="{image_name}" alt="">' in card.answer()
    term_sound, example_sound = card.answer_av_tags()
    assert term_sound == SoundOrVideoTag(filename=sound_name), "the recording replaces text-to-speech"
    assert isinstance(example_sound, TTSTag) and example_sound.lang == "fr_FR"
    other = collection.cards_of("gratin")["Recognition"].answer_av_tags()
    assert isinstance(other[0], TTSTag) and other[0].field_text == "le gratin", "a noun is said with its article"


def test_a_changed_picture_arrives_under_a_new_name(cli, with_media, collection):
    assert cli("build").exit_code == 0
    collection.import_package(PACKAGE)
    old_name = collection.note("coqueluche")["Image"]
    make_media(with_media, colour=(20, 160, 90))
    assert cli("build").exit_code == 0

    log = collection.import_package(PACKAGE)

    assert [n.fields[0] for n in log.updated] == ["coqueluche"]
    new_name = collection.note("coqueluche")["Image"].split('"')[1]
    assert collection.note("coqueluche")["Image"] != old_name
    shown = Image.open(Path(collection.col.media.dir()) / new_name).convert("RGB").getpixel((0, 0))
    assert shown == (20, 160, 90)


def test_build_audio_records_every_term_and_example_with_espeak(cli, with_media, collection):
    result = cli("build", "--audio")
    assert result.exit_code == 0, result.output
    collection.import_package(PACKAGE)

    media_dir = Path(collection.col.media.dir())
    gratin = collection.cards_of("gratin")["Recognition"].answer_av_tags()
    assert [type(tag) for tag in gratin] == [SoundOrVideoTag, SoundOrVideoTag]
    for tag in gratin:
        assert tag.filename.startswith("tts-") and (media_dir / tag.filename).read_bytes()[:4] == b"RIFF"
    assert collection.note("coqueluche")["Audio"].startswith("[sound:coqueluche-"), "recordings still win"
    assert collection.note("virer")["ExampleAudio"] == "", "no example, nothing to read"


def test_audio_can_be_the_decks_setting(cli, project):
    edit("source/deck.yaml", "slug: lexique\n", "slug: lexique\naudio: true\n")
    assert cli("build").exit_code == 0
    audio = FIELDS.index("Audio")
    notes = read_lock(Path("source/deck.lock")).notes.values()
    assert all(stamp.fields[audio].startswith("[sound:tts-") for stamp in notes)


def test_build_audio_without_the_speech_engine_says_how_to_get_it(cli, monkeypatch, project):
    def missing():
        raise espeak.EspeakError("the Python package espeakng-loader is not installed; `make build` installs it "
                                 "(pip install -r requirements.txt)")

    monkeypatch.setattr(espeak, "version", missing)
    result = cli("build", "--audio")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: --audio needs espeak-ng: the Python package espeakng-loader is not installed; `make build` "
        "installs it (pip install -r requirements.txt); or build without --audio, and Anki reads the cards with "
        "its own voices\n")
    assert not (project / "dist" / "lexique-1.0.0.apkg").exists()


def test_a_recording_that_fails_stops_the_build_and_says_which_text(cli, monkeypatch, project):
    def fails(text, path):
        raise espeak.EspeakError("espeak_Synth failed (error 1)")

    monkeypatch.setattr(espeak, "record", fails)
    result = cli("build", "--audio")
    assert result.exit_code == 1
    assert re.fullmatch(r"error: espeak-ng failed on '[^']+': espeak_Synth failed \(error 1\)\n", result.stderr)
    assert not (project / "dist" / "lexique-1.0.0.apkg").exists()
    assert not any((project / ".cache" / "speech").glob("*.wav"))


def test_recordings_are_kept_under_the_espeak_version_and_named_by_their_sound(tmp_path, monkeypatch):
    name, path = Speaker(tmp_path).say("le *gratin*")
    monkeypatch.setattr(espeak, "version", lambda: "0.0-other")
    other_name, other_path = Speaker(tmp_path).say("le gratin")
    assert other_path != path, "another espeak-ng version records again"
    assert other_name == name, "the same sound has the same name in the package"
    with wave.open(str(path)) as clip:
        assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) == (1, 2, 22050)


def test_recordings_deleted_from_the_cache_are_made_again(cli, project):
    assert cli("build", "--audio").exit_code == 0
    shutil.rmtree(project / ".cache" / "speech")
    edit("templates/style.css", "--masculine: #1b5fa8;", "--masculine: #1a4f98;")  # sources stay cached
    result = cli("build", "--audio")
    assert result.exit_code == 0, result.output
    assert any((project / ".cache" / "speech").iterdir())


def test_a_file_name_saved_in_nfd_is_found_under_the_name_typed(cli, project, collection):
    """macOS writes file names decomposed (é as e + ◌́); a person types them composed."""
    media = project / "source" / "media"
    media.mkdir()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(media / unicodedata.normalize("NFD", "café-crème.png"))
    edit("source/hangzhou.yaml", "  - term: coqueluche\n", "  - term: coqueluche\n    image: café-crème.png\n")
    result = cli("build")
    assert result.exit_code == 0, result.output
    collection.import_package(PACKAGE)
    image_name = collection.note("coqueluche")["Image"].split('"')[1]
    stored = Path(collection.col.media.dir()) / image_name
    assert stored.read_bytes() == next(media.iterdir()).read_bytes()
