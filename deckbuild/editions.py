"""Editions: the deck built again from the same sources, as `variants:` in deck.yaml declares, for other readers.

An edition has a deck, a note type and GUIDs of its own (identify.py derives GUIDs from the
deck id), so it lives beside the deck in one collection and shares nothing with it. Its
Chinese (glosses, notes, etymologies, the source, card labels, the description) is converted
as its `chinese:` says (conversion.py), except where an entry writes its own text for it
(`gloss@zh-CN:`); French is the same. Each edition has its own lock, `deck.<code>.lock`.
"""

from __future__ import annotations

from dataclasses import replace

from .conversion import converter
from .schema import ENTRY_KEYS, FILE_KEYS, Entry, Manifest, Variant

# The texts converted for an edition, or written for it: the entry's, and its file's source.
EDITION_TEXTS = tuple(key.name for key in (*ENTRY_KEYS, *FILE_KEYS) if key.per_edition)


def edition_manifest(manifest: Manifest, variant: Variant) -> Manifest:
    """The manifest of the edition `variant` of the deck `manifest`: what it writes, else the deck's converted."""
    convert = converter(variant.chinese)
    labels = {name: convert(label) for name, label in manifest.labels.items()}
    return replace(
        manifest, name=variant.name, deck_id=variant.deck_id, model_id=variant.model_id,
        slug=variant.slug or f"{manifest.slug}-{variant.code}",
        note_type=variant.note_type or f"{convert(manifest.note_type)} {variant.code}",
        description=convert(manifest.description) if variant.description is None else variant.description,
        labels={**labels, **variant.labels}, variants=(), edition=variant.code,
        chinese="simplified" if variant.chinese == "simplified" else manifest.chinese)


def edition_entry(entry: Entry, variant: Variant) -> Entry:
    """The entry as the edition `variant` shows it: its own texts where written, else the entry's converted.

    A GUID the entry came with (`guid:`, from `import`) is the deck's note: the edition's note has its own.
    """
    convert = converter(variant.chinese)
    own = {key: text for edition, key, text in entry.overrides if edition == variant.code}
    return entry._replace(guid="", **{key: own[key] if key in own else convert(getattr(entry, key))
                                      for key in EDITION_TEXTS})
