"""Dense vector search: a FAISS inner-product index over normalised embeddings."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

INDEX_FILE = "dense.faiss"


class DenseIndex:
    """Exact inner-product search over passage embeddings."""

    def __init__(self, vectors: np.ndarray) -> None:
        import faiss

        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._index = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.vectors):
            self._index.add(self.vectors)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and cosine scores of the ``k`` passages nearest to ``query``, best first."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), k)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def similarity(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosine scores of ``query`` against the passages ``ids``."""
        return self.vectors[ids] @ query.astype(np.float32)

    def save(self, folder: Path) -> None:
        """Write the FAISS index into ``folder``."""
        import faiss

        faiss.write_index(self._index, str(folder / INDEX_FILE))

    @classmethod
    def load(cls, folder: Path, vectors: np.ndarray) -> "DenseIndex":
        """Read the FAISS index of ``folder``; ``vectors`` are the stored embeddings."""
        import faiss

        index = cls.__new__(cls)
        index.vectors = vectors
        index._index = faiss.read_index(str(folder / INDEX_FILE))
        if index._index.ntotal != len(vectors):
            raise ValueError("dense index and stored embeddings disagree in size")
        return index
