"""Rendering entries into note fields, and the note type from templates/."""

from pathlib import Path

import pytest

from deckbuild.errors import BuildError, SourceError
from deckbuild.render import CARD_TYPES, FIELDS, markup, note_type
from deckbuild.schema import Manifest
from tests.conftest import ROOT

MANIFEST = Manifest(name="Test", version="1.0.0", deck_id=1, model_id=2, note_type="Test vocabulary")


@pytest.mark.parametrize(("text", "html"), [
    ("*garder* (v.t.) 保持", "<i>garder</i> (v.t.) 保持"),
    ("**important** et *italique*", "<b>important</b> et <i>italique</i>"),
    ("ligne 1\nligne 2", "ligne 1<br>ligne 2"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
    ("faire + inf. * 2", "faire + inf. * 2"),
    ("{{Term}}", "{{Term}}"),
])
def test_markup_is_small_and_everything_else_is_text(text, html):
    assert markup(text) == html


def test_the_note_type_is_read_from_templates():
    kind = note_type(MANIFEST, ROOT / "templates")
    assert kind.fields == FIELDS and kind.fields[0] == "Term"
    assert [name for name, _, _ in kind.templates] == list(CARD_TYPES)
    assert kind.schema == {"fields": list(FIELDS), "card_types": list(CARD_TYPES)}
    recognition_back = kind.templates[0][2]
    assert "詞源" in recognition_back and "${" not in recognition_back
    assert ".nightMode" in kind.css and ".night_mode" in kind.css


def test_labels_come_from_the_manifest():
    labels = {**MANIFEST.labels, "etymology": "Etymology"}
    kind = note_type(Manifest(**{**MANIFEST.__dict__, "labels": labels}), ROOT / "templates")
    assert "Etymology" in kind.templates[0][2] and "詞源" not in kind.templates[0][2]


def _templates_with(tmp_path: Path, name: str, text: str) -> Path:
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / name).write_text(text, encoding="utf-8")
    return templates


def test_a_template_naming_an_unknown_field_is_a_located_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    templates = _templates_with(tmp_path, "production.front.html", "<p>\n  {{Glos}}</p>\n")
    with pytest.raises(SourceError) as error:
        note_type(MANIFEST, templates)
    assert str(error.value.problems[0]) == (
        "templates/production.front.html:2:3: the template refers to the field 'Glos', which the note type "
        f"lacks; expected one of: {', '.join(FIELDS)}")


def test_a_template_with_an_unknown_label_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    templates = _templates_with(tmp_path, "gender.front.html", "{{#Gender}}${nope}{{Term}}{{/Gender}}")
    with pytest.raises(BuildError, match=r"templates/gender.front.html: unknown placeholder 'nope'"):
        note_type(MANIFEST, templates)
