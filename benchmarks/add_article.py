"""Time adding one article to a corpus of about 10,000 passages, and a full build's throughput.

Run: ``python -m benchmarks.add_article [--passages 10000]``. The large corpus is
made from the real articles' sentences, reshuffled into new articles, so
lengths and vocabulary are realistic. Prints a table and writes
``benchmarks/results/add_article.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import tempfile
import time
from pathlib import Path

from index.language.sentences import sentence_spans
from bot.conversation import Conversation
from bot.engine import Engine
from index.articles import load_corpus
from index.build import build_index
from index.encoder import default_encoder

HERE = Path(__file__).parent
RESULTS_DIR = HERE / "results"
SOURCE_CORPUS = HERE.parent / "corpus"
PARAGRAPHS_PER_ARTICLE = 15
SEED = 7


def corpus_sentences(source: Path = SOURCE_CORPUS) -> list[str]:
    """Every sentence of the articles in ``source``: the material of synthetic corpora."""
    return [
        paragraph[start:end].strip()
        for article in load_corpus(source)
        for paragraph in article.paragraphs
        for start, end in sentence_spans(paragraph)
    ]


def synthetic_corpus(target: Path, passages: int, source: Path = SOURCE_CORPUS, seed: int = SEED) -> int:
    """Write articles of reshuffled real sentences into ``target``; returns the passage count."""
    rng = random.Random(seed)
    sentences = corpus_sentences(source)
    target.mkdir(parents=True, exist_ok=True)
    written, number = 0, 0
    while written < passages:
        number += 1
        paragraphs = [" ".join(rng.sample(sentences, rng.randint(1, 3))) for _ in range(PARAGRAPHS_PER_ARTICLE)]
        title = " ".join(rng.choice(sentences).split()[:8]).rstrip(".,;:")
        body = "\n\n".join(paragraphs)
        (target / f"synthetic-{number:05d}.md").write_text(
            f"---\ntitle: {title} ({number})\ndate: 2018-09-{1 + number % 28:02d}\n---\n\n{body}\n", encoding="utf-8"
        )
        written += PARAGRAPHS_PER_ARTICLE + 1
    return written


def main() -> None:
    """Build a ~10k-passage index, then time adding one article."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=10_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    encoder = default_encoder()
    encoder.encode(["warm up"])
    with tempfile.TemporaryDirectory() as scratch:
        corpus, index_dir = Path(scratch) / "corpus", Path(scratch) / "index"
        synthetic_corpus(corpus, args.passages)
        started = time.perf_counter()
        full = build_index(corpus, index_dir, encoder)
        full_seconds = time.perf_counter() - started
        seed = (SOURCE_CORPUS / "tehran-summit.md").read_bytes()
        (corpus / "tehran-summit.md").write_bytes(seed)
        started = time.perf_counter()
        added = build_index(corpus, index_dir, encoder)
        add_seconds = time.perf_counter() - started
        engine = Engine(corpus, index_dir, encoder)
        answer = engine.ask("What did Putin say about the truce?", Conversation())
    figures = {
        "passages": full.passages,
        "full_build_seconds": round(full_seconds, 2),
        "full_build_passages_per_second": round(full.passages / full_seconds, 1),
        "add_one_article_seconds": round(add_seconds, 3),
        "add_embedded_passages": added.embedded,
        "add_reused_passages": added.reused,
        "truce_answer_found_after_add": answer.found,
    }
    print(f"\nAdding one article to a corpus of {full.passages:,} passages (2-core CPU)")
    for name, value in figures.items():
        print(f"  {name:<34} {value}")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "add_article.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
