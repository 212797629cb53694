"""A preview to look at: every card, question and answer, light and night, as Anki renders it.

The deck is packaged, imported into a scratch collection with the real Anki engine,
and each card's question and answer are taken from Anki itself, then written as
static pages under dist/preview/ around the pages in templates/preview/.
"""

from __future__ import annotations

import html
import re
import shutil
import string
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .engine import import_package, scratch_collection
from .package import write_package
from .project import Project
from .render import chinese_lang

if TYPE_CHECKING:
    from .pipeline import Build

MODES = {"light": "", "night": " nightMode night_mode"}  # the classes Anki desktop and AnkiDroid set
_PLAY = re.compile(r"\[anki:play:[aq]:\d+\]")
# The play button as Anki desktop draws it (aqt's reviewer), so that the deck's CSS styles it here too.
_BUTTON = ('<a class="replay-button soundLink" href="#" aria-label="▶"><svg class="playImage" viewBox="0 0 64 64">'
           '<circle cx="32" cy="32" r="29"/><path d="M56.502,32.301l-37.502,20.101l0.329,-40.804l37.173,20.703Z"/>'
           "</svg></a>")
_IMAGE = re.compile(r'<img src="([^"/]+)"')


def write_preview(result: Build, project: Project) -> Path:
    """Write the preview of the built deck `result` to the project's dist/preview; return the index page."""
    pages = project.templates_dir / "preview"
    out_dir = project.out_dir
    page = {name: string.Template((pages / f"{name}.html").read_text(encoding="utf-8"))
            for name in ("card", "note", "index", "_figure", "_row")}
    manifest = result.manifest
    target = out_dir / "preview"
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".preview-", dir=out_dir))
    staging.chmod(0o755)  # readable like the rest of dist/, to share or serve
    try:
        notes = _rendered_cards(result)
        media = {name: file for stamped in result.notes for name, file in stamped.note.media}
        (staging / "cards").mkdir()
        rows = []
        for position, (term, cards) in enumerate(notes, start=1):
            figures = []
            for card_type, card_ord, question, answer in cards:
                for mode, classes in MODES.items():
                    for side, content in (("question", question), ("answer", answer)):
                        name = f"{position:03d}-{card_type.lower()}-{side}-{mode}.html"
                        for picture in _IMAGE.findall(content):  # beside the page, as in Anki's media folder
                            if picture in media and not (staging / "cards" / picture).exists():
                                shutil.copyfile(media[picture], staging / "cards" / picture)
                        (staging / "cards" / name).write_text(page["card"].substitute(
                            title=html.escape(f"{term} · {card_type} · {side} · {mode}"), lang=chinese_lang(manifest),
                            body_class=f"card card{card_ord + 1}{classes}",
                            content=_PLAY.sub(_BUTTON, content),
                        ), encoding="utf-8")
                        figures.append(page["_figure"].substitute(
                            caption=html.escape(f"{card_type} · {side} · {mode}"), src=f"../cards/{name}"))
            (staging / "notes").mkdir(exist_ok=True)
            (staging / "notes" / f"{position:03d}.html").write_text(page["note"].substitute(
                term=html.escape(term), deck=html.escape(manifest.name), figures="\n".join(figures)),
                encoding="utf-8")
            rows.append(page["_row"].substitute(
                position=position, href=f"notes/{position:03d}.html", term=html.escape(term),
                card_types=", ".join(card_type for card_type, *_ in cards)))
        card_count = sum(len(cards) for _, cards in notes)
        (staging / "index.html").write_text(page["index"].substitute(
            deck=html.escape(manifest.name), version=manifest.version, rows="\n".join(rows),
            summary=f"{len(notes)} notes, {card_count} cards, light and night mode."), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / "index.html"


def _rendered_cards(result: Build) -> list[tuple[str, list[tuple[str, int, str, str]]]]:
    """Package the deck, import it, and return per note its cards as Anki renders them, in study order."""
    with tempfile.TemporaryDirectory(prefix="preview-") as scratch:
        package = Path(scratch) / "deck.apkg"
        write_package(package, result.manifest, result.note_type, result.lock.note_type.modified, result.notes)
        with scratch_collection("preview") as col:
            import_package(col, package)
            notes = {}
            for card in sorted((col.get_card(cid) for cid in col.find_cards("")), key=lambda c: (c.due, c.ord)):
                term = card.note().fields[0]
                notes.setdefault(card.nid, (html.unescape(term), []))[1].append(
                    (card.template()["name"], card.ord, card.question(), card.answer()))
    return list(notes.values())
