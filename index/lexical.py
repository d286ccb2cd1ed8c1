"""Lexical search: BM25 (bm25s) over stemmed, stopword-free tokens."""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path

import numpy as np

from index.text import fold

logger = logging.getLogger(__name__)

LEXICAL_DIR = "lexical"
STEMMER_LANGUAGE = "english"
TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")
# Question and reporting words carry no topic; bm25s's English list lacks them.
EXTRA_STOPWORDS = frozenset(
    "what whats did does do done say says said saying about tell told me who whom whose why how where "
    "when which would could should also us please know anything something everything".split()
)


@functools.cache
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer(STEMMER_LANGUAGE)


@functools.cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | EXTRA_STOPWORDS


def tokenize(text: str) -> list[str]:
    """Stemmed content words of ``text``."""
    words = [w for w in TOKEN_PATTERN.findall(fold(text)) if w not in _stopwords()]
    return list(_stemmer().stemWords(words))


class LexicalIndex:
    """BM25 scores of every passage for a query."""

    def __init__(self, retriever: "object") -> None:
        self._retriever = retriever

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        """Index the given passage texts."""
        import bm25s

        retriever = bm25s.BM25()
        # An empty token list would break bm25s; a passage always has some text.
        retriever.index([tokenize(text) or ["_"] for text in texts], show_progress=False)
        return cls(retriever)

    @property
    def vocabulary(self) -> dict[str, int]:
        """Stemmed token → id of every token in the indexed passages."""
        return self._retriever.vocab_dict  # type: ignore[attr-defined,no-any-return]

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no word matches)."""
        tokens = [token for token in tokenize(query) if token in self.vocabulary]
        num_docs = self._retriever.scores["num_docs"]  # type: ignore[attr-defined]
        if not tokens:
            return np.zeros(num_docs, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)  # type: ignore[attr-defined]

    def save(self, folder: Path) -> None:
        """Write the BM25 index into ``folder``."""
        self._retriever.save(str(folder / LEXICAL_DIR), show_progress=False)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        """Read the BM25 index written by :meth:`save`."""
        import bm25s

        # Mapped, not read: processes serving the same build share one copy of the score matrix.
        retriever = bm25s.BM25.load(str(folder / LEXICAL_DIR), show_progress=False, mmap=True)
        return cls(retriever)
