"""Write the reading file an import makes: YAML as a teacher would write it, one key a line, and its media."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path, PurePosixPath

import yaml

from ..atomic import replacing
from ..json_schema import MODELINE
from ..load import Loader
from ..schema import ENTRY_KEYS, TAG_PATTERN
from .convert import CarryOver, Draft

_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n]*")
_NOT_PLAIN = re.compile(r": |\s#|\s$|^(?:true|false|yes|no|on|off|null|~|y|n)$|^[-+]?[0-9.]|^[-+.]", re.IGNORECASE)
_TAG = re.compile(TAG_PATTERN)


def scalar(text: str, indent: str) -> str:
    """`text` as a YAML value after 'key: ': plain where YAML reads it back as the same text, else quoted or a block."""
    if "\n" in text:
        body = "\n".join(f"{indent}  {line}" if line else "" for line in text.split("\n"))
        keep = "|-" if not text.startswith(" ") else "|2-"
        return f"{keep}\n{body}"
    if _PLAIN.fullmatch(text) and not _NOT_PLAIN.search(text) and _reads_back(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _reads_back(text: str) -> bool:
    """Whether YAML reads `text`, written plain after a key, as this very text (the rules have corners)."""
    try:
        return yaml.load(f"k: {text}", Loader=Loader) == {"k": text}
    except yaml.YAMLError:
        return False


def reading_file(drafts: list[Draft], header: list[str], settings: dict[str, str | tuple[str, ...]],
                 carry: CarryOver | None, schema: str = "") -> tuple[str, list[int]]:
    """Return the YAML text of the reading file and the line of each entry; `schema` names its JSON Schema.

    `settings` are the file's keys but entries (source, tags, deck), as a spreadsheet wrote them.
    """
    lines = [f"{MODELINE}{schema}"] if schema else []
    lines += [f"# {line}" if line else "#" for line in header]
    for key, value in settings.items():
        lines.append(f"{key}: [{', '.join(_tag(item) for item in value)}]" if isinstance(value, tuple)
                     else f"{key}: {scalar(value, '  ')}")
    if carry and (carry.fields or carry.card_types):
        lines.append("note_type_ids:  # learners of the hand-made deck keep their reviews through these; keep them")
        lines.append(f"  replaces: {scalar(carry.note_type, '  ')}")
        for group, ids in (("fields", carry.fields), ("card_types", carry.card_types)):
            if ids:
                lines.append(f"  {group}:")
                lines += [f"    {name}: {anki_id}" for name, anki_id in ids.items()]
    lines.append("entries:")
    starts = []
    for draft in drafts:
        starts.append(len(lines) + 1)
        first = True
        for key in ENTRY_KEYS:
            if key.name not in draft.values:
                continue
            value = draft.values[key.name]
            lead = "  - " if first else "    "
            first = False
            if isinstance(value, list):
                lines.append(f"{lead}{key.name}: [{', '.join(_tag(tag) for tag in value)}]")
            else:
                lines.append(f"{lead}{key.name}: {scalar(str(value), '    ')}")
        if first:
            lines.append("  - {}")
    return "\n".join(lines) + "\n", starts


def _tag(tag: str) -> str:
    return tag if _TAG.fullmatch(tag) and not re.search(r"[,\[\]{}:#]", tag) else json.dumps(tag, ensure_ascii=False)


def copy_media(name: str, data: bytes, media_dir: Path) -> str:
    """Put a media file under `media_dir`, keeping its name unless another file has it; return the name used."""
    safe = PurePosixPath(name.replace("\\", "/")).name.strip() or "media"
    safe = re.sub(r"[\x00-\x1f\"<>|?*:]", "-", safe)
    stem, dot, suffix = safe.rpartition(".")
    if not dot:
        stem, suffix = safe, ""
    candidate = safe
    if (media_dir / candidate).exists() and (media_dir / candidate).read_bytes() != data:
        digest = hashlib.sha256(data).hexdigest()[:8]
        candidate = f"{stem}-{digest}.{suffix}" if dot else f"{stem}-{digest}"
    target = media_dir / candidate
    if not target.exists():
        with replacing(target) as partial:
            partial.write_bytes(data)
    return candidate
