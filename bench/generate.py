"""Generate a realistic deck of N entries spread over many source files, for the benchmark.

Terms are real French words, drawn from Lexique (as a teacher's deck holds), with one in
twenty made up, as names and rare words are, which the dictionaries lack and espeak-ng reads.
"""

from __future__ import annotations

import gzip
import random
from functools import cache
from pathlib import Path

import yaml

from deckbuild.french_index import Sources

SYLLABLES = ["é", "pa", "ri", "lou", "che", "gra", "tin", "ma", "rè", "qu", "ion", "ment", "eau", "â", "œu",
             "vr", "ç", "ai", "oi", "nu", "ver", "sel", "ti", "ble", "hi", "bou", "ro"]
HANZI = (
    "受愛戴的人紅寵兒卓越領導物主要一流匿名轉彎向引申為變生態"
    "系統富有才華詐欺舞弊洗錢借款銀行利率低豁免除儲蓄放慢減弱不足缺陷投資私民營"
)
POS = ["noun"] * 5 + ["transitive-verb", "adjective", "adverb", "phrase"]


def made_up(rng: random.Random, index: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) + f"{index:05d}"


@cache
def real_words(seed: int) -> list[str]:
    """Lexique's single words, in an order of their own for each seed."""
    with gzip.open(Sources.installed().lexique, "rt", encoding="utf-8") as lexique:
        words = sorted({line.split("\t", 1)[0] for line in lexique if " " not in line.split("\t", 1)[0]})
    random.Random(seed).shuffle(words)
    return words


def word(rng: random.Random, index: int) -> str:
    words = real_words(1)
    return made_up(rng, index) if index % 20 == 19 or index >= len(words) else words[index]


def entry(rng: random.Random, index: int) -> dict:
    term = word(rng, index)
    pos = rng.choice(POS)
    item = {"term": term, "pos": pos}
    if pos == "noun":
        item["gender"] = rng.choice(["m", "f", "mf"])
    item["gloss"] = "".join(rng.choice(HANZI) for _ in range(rng.randint(2, 8)))
    if rng.random() < 0.5:
        item["etymology"] = f"源自拉丁文 *{made_up(rng, index)}*,原意為「{rng.choice(HANZI) * 2}」。"
    if rng.random() < 0.8:
        item["example"] = f"La nouvelle {term} de la tech française, selon « Les Échos »."
        item["example_gloss"] = "".join(rng.choice(HANZI) for _ in range(12))
    return item


def generate(root: Path, count: int, per_file: int = 500, seed: int = 1) -> Path:
    """Write deck.yaml and count entries in files of per_file entries under root/source."""
    rng = random.Random(seed)
    source = root / "source"
    source.mkdir(parents=True, exist_ok=True)
    (source / "deck.yaml").write_text(
        "name: Bench\nversion: 1.0.0\ndeck_id: 1234567890\nmodel_id: 1234567891\nslug: bench\n", encoding="utf-8")
    for start in range(0, count, per_file):
        entries = [entry(rng, i) for i in range(start, min(start + per_file, count))]
        document = {"source": "Les Échos Week-end", "tags": ["bench"], "entries": entries}
        (source / f"lesson-{start // per_file:04d}.yaml").write_text(
            yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
    return source
