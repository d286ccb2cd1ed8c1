"""Passage vectors from cached sentence vectors, for corpora too large to embed in minutes.

Embedding 100,000 passages with the real model takes over ten minutes on two
cores. The benchmark corpora are the real articles' sentences recombined
(``benchmarks.add_article.synthetic_corpus``), so there are only a few hundred
distinct sentences: :class:`SentenceMeanEncoder` embeds each distinct sentence
once with the real encoder and gives a passage the normalised mean of its
sentences' vectors. Queries are always embedded by the real encoder; a build
timed with this encoder measures everything except the model.
"""

from __future__ import annotations

import logging

import numpy as np

from index.encoder import Encoder
from index.language.sentences import split_sentences

logger = logging.getLogger(__name__)


class SentenceMeanEncoder:
    """Passage vectors as the normalised mean of cached sentence vectors (see module docstring)."""

    def __init__(self, encoder: Encoder) -> None:
        self.name = encoder.name
        self.dimension = encoder.dimension
        self._encoder = encoder
        self._cache: dict[str, np.ndarray] = {}

    @property
    def sentences_embedded(self) -> int:
        """How many distinct sentences went through the real encoder."""
        return len(self._cache)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed sentences not seen before in one batch, then average them per text."""
        split = [split_sentences(text) or [text] for text in texts]
        new = sorted({sentence for sentences in split for sentence in sentences} - self._cache.keys())
        if new:
            logger.info("Embedding %d distinct sentences", len(new))
            self._cache.update(zip(new, self._encoder.encode(new)))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, sentences in enumerate(split):
            mean = np.mean([self._cache[sentence] for sentence in sentences], axis=0)
            vectors[row] = mean / np.linalg.norm(mean)
        return vectors

    def encode_questions(self, texts: list[str]) -> np.ndarray:
        """Questions the same way as passages."""
        return self.encode(texts)
