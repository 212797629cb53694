"""The preview: every card rendered by the real Anki engine, looked at in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from tests.browser import dom, needs_chromium, screenshot

FEMININE, MASCULINE = (179, 38, 79), (27, 95, 168)
LIGHT_BACKGROUND, NIGHT_BACKGROUND = (251, 250, 246), (44, 44, 44)  # at night, Anki's own #2c2c2c


@pytest.fixture
def preview(cli, project) -> Path:
    result = cli("preview")
    assert result.exit_code == 0, result.output
    assert result.output == "wrote dist/preview/index.html\n"
    return project / "dist" / "preview"


def count_near(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 30) -> int:
    return sum(1 for pixel in image.convert("RGB").get_flattened_data()
               if all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True)))


def test_every_card_is_previewed_in_both_modes(preview):
    cards = list((preview / "cards").iterdir())
    assert len(cards) == 75 * 2 * 2  # cards x (question, answer) x (light, night)
    index = (preview / "index.html").read_text(encoding="utf-8")
    assert "22 notes, 75 cards" in index
    for link in re.findall(r'href="([^"]+)"', index):
        assert (preview / link).is_file(), link
    note = (preview / "notes" / "001.html").read_text(encoding="utf-8")
    for src in re.findall(r'src="([^"]+)"', note):
        assert (preview / "notes" / src).resolve().is_file(), src
    page = (preview / "cards" / "001-recognition-answer-night.html").read_text(encoding="utf-8")
    assert 'class="card card1 nightMode night_mode"' in page
    assert "[anki:play" not in page and "replay-button" in page


def test_a_failed_preview_keeps_the_previous_one(cli, preview):
    Path("source/deck.yaml").write_text("name: [", encoding="utf-8")
    before = sorted(p.name for p in (preview / "cards").iterdir())
    assert cli("preview").exit_code == 1
    assert sorted(p.name for p in (preview / "cards").iterdir()) == before


@needs_chromium
def test_a_feminine_noun_shows_the_feminine_colour_and_label(preview, tmp_path):
    page = preview / "cards" / "001-gender-answer-light.html"  # coqueluche, n.f.
    shown = dom(page)
    assert 'class="face gender-drill g-f"' in shown and "陰性 f." in shown and "une&nbsp;coqueluche" in shown
    image = Image.open(screenshot(page, tmp_path / "feminine.png"))
    assert count_near(image, FEMININE) > 500
    assert count_near(image, MASCULINE) == 0

    masculine = Image.open(screenshot(preview / "cards" / "002-gender-answer-light.html", tmp_path / "m.png"))
    assert count_near(masculine, MASCULINE) > 500 and count_near(masculine, FEMININE) == 0


@needs_chromium
def test_the_gender_question_does_not_give_the_gender_away(preview, tmp_path):
    image = Image.open(screenshot(preview / "cards" / "001-gender-question-light.html", tmp_path / "q.png"))
    assert count_near(image, FEMININE) == 0 and count_near(image, MASCULINE) == 0


@needs_chromium
def test_night_mode_changes_the_background(preview, tmp_path):
    light = Image.open(screenshot(preview / "cards" / "001-recognition-answer-light.html", tmp_path / "l.png"))
    night = Image.open(screenshot(preview / "cards" / "001-recognition-answer-night.html", tmp_path / "n.png"))
    corner = (5, light.height - 5)
    assert light.convert("RGB").getpixel(corner) == LIGHT_BACKGROUND
    assert night.convert("RGB").getpixel(corner) == NIGHT_BACKGROUND
    assert count_near(night, (245, 154, 181)) > 500, "the feminine colour is lighter at night, readable"


@needs_chromium
def test_no_card_scrolls_sideways_on_a_small_phone(preview, tmp_path):
    """Every card at 320 px, the narrowest phone: the page must not be wider than the screen."""
    cards = sorted((preview / "cards").glob("*-light.html"))
    frames = "\n".join(f'<iframe src="{card.as_uri()}" style="width:320px;height:600px"></iframe>' for card in cards)
    probe = tmp_path / "probe.html"
    probe.write_text(
        f"<!doctype html><body>{frames}<script>window.onload = () => {{"
        "document.body.dataset.wide = [...document.querySelectorAll('iframe')]"
        ".filter(f => f.contentDocument.documentElement.scrollWidth > 320)"
        ".map(f => f.src.split('/').pop()).join(' ') || 'none'; }</script></body>", encoding="utf-8")
    assert 'data-wide="none"' in dom(probe, width=1400)


@needs_chromium
def test_the_preview_shows_pictures(cli, project, tmp_path):
    media = project / "source" / "media"
    media.mkdir()
    Image.new("RGB", (120, 90), (10, 200, 30)).save(media / "coqueluche.png")
    reading = project / "source" / "hangzhou.yaml"
    reading.write_text(reading.read_text(encoding="utf-8").replace(
        "  - term: coqueluche\n", "  - term: coqueluche\n    image: coqueluche.png\n", 1), encoding="utf-8")
    assert cli("preview").exit_code == 0
    page = project / "dist" / "preview" / "cards" / "001-recognition-answer-light.html"
    (name,) = re.findall(r'<img src="([^"]+)"', page.read_text(encoding="utf-8"))
    assert (page.parent / name).read_bytes() == (media / "coqueluche.png").read_bytes()
    image = Image.open(screenshot(page, tmp_path / "picture.png"))
    assert count_near(image, (10, 200, 30), tolerance=10) > 2000, "the picture is drawn"
