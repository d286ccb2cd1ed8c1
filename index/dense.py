"""Dense vector search: FAISS inner-product indexes over normalised embeddings.

Up to ``APPROXIMATE_ABOVE`` passages the index is exact (``IndexFlatIP``).
Above it an HNSW graph (``IndexHNSWFlat``) finds the top candidates in a
fraction of the time; its recall against exact search is checked in
tests/test_fast_paths.py and printed by ``python -m benchmarks.speed``. Exact
cosine scores stay available for any passage through :meth:`DenseIndex.similarity`,
which reads the stored vectors, so the hybrid search still ranks its
candidates exactly.

The vectors are held once: :attr:`DenseIndex.vectors` is a read-only view of
the FAISS index's own storage, not a second copy.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

INDEX_FILE = "dense.faiss"
APPROXIMATE_ABOVE = 20_000  # passages; below this exact search takes under ~3 ms on one core
HNSW_NEIGHBOURS = 32  # M: graph degree
HNSW_BUILD_DEPTH = 80  # efConstruction
HNSW_SEARCH_DEPTH = 160  # efSearch: above the hybrid search's 100 candidates, for recall
SEARCH_THREADS = 1  # one query is too small to split; more threads only add wake-up latency
BUILD_THREADS = os.cpu_count() or 1


class _StorageView:
    """Exposes a FAISS index's flat storage to numpy and keeps the index alive meanwhile."""

    def __init__(self, index: Any, storage: Any, count: int, dimension: int) -> None:
        import faiss

        self._index = index  # the numpy view must not outlive the memory it points to
        address = faiss.rev_swig_ptr(storage.get_xb(), count * dimension).__array_interface__["data"][0]
        self.__array_interface__ = {
            "shape": (count, dimension),
            "typestr": "<f4",
            "data": (address, True),
            "version": 3,
        }


def _stored_vectors(index: Any) -> np.ndarray:
    """The vectors an ``IndexFlatIP`` or ``IndexHNSWFlat`` holds, as a (count, dimension) view."""
    import faiss

    storage = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSW) else index
    if index.ntotal == 0:
        return np.zeros((0, index.d), dtype=np.float32)
    return np.asarray(_StorageView(index, storage, int(index.ntotal), int(index.d)))


class DenseIndex:
    """Top-k inner-product search (exact or HNSW) and exact scores over passage embeddings."""

    def __init__(self, vectors: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE) -> None:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        if len(vectors) > approximate_above:
            index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_BUILD_DEPTH
        else:
            index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            faiss.omp_set_num_threads(BUILD_THREADS)
            index.add(vectors)
        self._attach(index)

    def _attach(self, index: Any) -> None:
        import faiss

        self._index = index
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_SEARCH_DEPTH
        self.vectors = _stored_vectors(index)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def approximate(self) -> bool:
        """True when :meth:`search` walks an HNSW graph instead of scanning every vector."""
        import faiss

        return isinstance(self._index, faiss.IndexHNSW)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and cosine scores of the ``k`` passages nearest to ``query``, best first."""
        import faiss

        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        faiss.omp_set_num_threads(SEARCH_THREADS)
        scores, ids = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
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
        """Read the FAISS index of ``folder``; ``vectors`` are the stored embeddings it must match."""
        import faiss

        stored = faiss.read_index(str(folder / INDEX_FILE))
        if stored.ntotal != len(vectors) or stored.d != vectors.shape[1]:
            raise ValueError("dense index and stored embeddings disagree in size")
        index = cls.__new__(cls)
        index._attach(stored)
        logger.debug("Loaded %s dense index of %d vectors", "HNSW" if index.approximate else "exact", len(index))
        return index
