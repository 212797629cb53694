"""What a person types is what a learner sees: Anki's own [sound:…] and [anki:tts] syntax included."""

from __future__ import annotations

import html
import re
from pathlib import Path

import anki.collection  # noqa: F401  (anki.sound needs the collection module loaded first)
from anki.sound import SoundOrVideoTag, TTSTag

TYPED = "[sound:meow.mp3] [anki:tts lang=fr_FR]bonjour[/anki:tts] <b>gras</b>"


def test_anki_syntax_typed_in_a_field_is_shown_as_text(cli, project, collection):
    Path("source/typed.yaml").write_text(
        "entries:\n"
        "  - term: miauler\n"
        "    pos: verb\n"
        f"    gloss: '{TYPED}'\n"
        f"    notes: '{TYPED}'\n", encoding="utf-8")
    assert cli("build").exit_code == 0
    (package,) = Path("dist").glob("*.apkg")
    collection.import_package(package)
    shown_on = 0
    for card in collection.cards_of("miauler").values():
        for side, tags in ((card.question(), card.question_av_tags()), (card.answer(), card.answer_av_tags())):
            assert not [tag for tag in tags if isinstance(tag, SoundOrVideoTag) and tag.filename == "meow.mp3"]
            assert not [tag for tag in tags if isinstance(tag, TTSTag) and "bonjour" in tag.field_text]
            if "gras" in side:
                shown = html.unescape(re.sub(r"<[^>]+>", "", side.replace("&lt;", "‹").replace("&gt;", "›")))
                assert "[sound:meow.mp3] [anki:tts lang=fr_FR]bonjour[/anki:tts] ‹b›gras‹/b›" in shown
                shown_on += 1
    assert shown_on >= 2, "the gloss and notes are on the cards"
