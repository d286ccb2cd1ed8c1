"""Add an article, remove it, rebuild after each change: ROUNDS times, as an admin would.

Usage: python churn_writer.py CORPUS INDEX ARTICLE ROUNDS. Uses the product's default
encoder and its own paths (``add_articles``, ``Engine.rebuild``); prints each build's summary.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.engine import Engine
from bot.settings import DEFAULT_ENCODER
from index.corpus_admin import add_articles
from index.encoder import encoder_for


def main() -> None:
    corpus, index_dir, article, rounds = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    engine = Engine(corpus, index_dir, encoder_for(DEFAULT_ENCODER, index_dir))
    for round_ in range(rounds):
        if round_ % 2 == 0:
            add_articles([article], corpus, index_dir)
        else:
            (corpus / article.name).unlink()
        print(engine.rebuild().summary(), flush=True)


if __name__ == "__main__":
    main()
