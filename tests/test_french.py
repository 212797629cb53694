"""French articles, word by word."""

import pytest

from deckbuild.french import definite_article, find_in_example, indefinite_article, takes_elision


@pytest.mark.parametrize(("term", "gender", "definite", "indefinite"), [
    ("coqueluche", "f", "la coqueluche", "une coqueluche"),
    ("gratin", "m", "le gratin", "un gratin"),
    ("anonymat", "m", "l’anonymat", "un anonymat"),
    ("écosystème", "m", "l’écosystème", "un écosystème"),
    ("investissement", "m", "l’investissement", "un investissement"),
    ("île", "f", "l’île", "une île"),
    ("œuvre", "f", "l’œuvre", "une œuvre"),
    # aspirated h: no elision
    ("héros", "m", "le héros", "un héros"),
    ("hache", "f", "la hache", "une hache"),
    ("haricot", "m", "le haricot", "un haricot"),
    ("honte", "f", "la honte", "une honte"),
    ("hibou", "m", "le hibou", "un hibou"),
    # mute h: elision
    ("homme", "m", "l’homme", "un homme"),
    ("huile", "f", "l’huile", "une huile"),
    ("habileté", "f", "l’habileté", "une habileté"),
    ("hôpital", "m", "l’hôpital", "un hôpital"),
    ("héroïne", "f", "l’héroïne", "une héroïne"),
    # both genders: the indefinite article still shows both
    ("élève", "mf", "l’élève", "un élève / une élève"),
    ("collègue", "mf", "le/la collègue", "un collègue / une collègue"),
    # y before a vowel is a consonant
    ("yaourt", "m", "le yaourt", "un yaourt"),
    # several words: the first decides
    ("pomme de terre", "f", "la pomme de terre", "une pomme de terre"),
    ("hors-d'œuvre", "m", "le hors-d'œuvre", "un hors-d'œuvre"),
])
def test_articles(term, gender, definite, indefinite):
    assert definite_article(term, gender) == definite
    assert indefinite_article(term, gender) == indefinite


def test_plural_only_nouns_take_les_and_des():
    assert definite_article("fiançailles", "f", plural=True) == "les fiançailles"
    assert indefinite_article("fiançailles", "f", plural=True) == "des fiançailles"
    assert definite_article("obsèques", "f", plural=True) == "les obsèques"


def test_an_entry_overrides_the_aspirated_h_list():
    assert definite_article("hiérarchie", "f") == "la hiérarchie"
    assert definite_article("hiérarchie", "f", aspirated_h=False) == "l’hiérarchie"
    assert definite_article("homme", "m", aspirated_h=True) == "le homme"
    assert not takes_elision("héros") and takes_elision("héros", aspirated_h=False)


@pytest.mark.parametrize(("example", "words", "found"), [
    ("Un écosystème riche en talents", "talent", "talents"),
    ("Des prêts bancaires à taux réduits", "prêt", "prêts"),
    ("Des prêts bancaires à taux réduits", "à taux réduits", "à taux réduits"),
    ("Garder l’anonymat", "garder l'anonymat", "Garder l’anonymat"),
    ("Le  numéro\nun", "numéro un", "numéro\nun"),
    ("entreprise privée", "privé", "privée"),
])
def test_find_in_example(example, words, found):
    start, end = find_in_example(example, words)
    assert example[start:end] == found


def test_find_in_example_matches_whole_words_only():
    assert find_in_example("le dépôt", "pôt") is None
    assert find_in_example("la ville n’a pas été épargnée", "épargner") is None
