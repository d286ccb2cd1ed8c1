"""Dense vector search: FAISS inner-product indexes over normalised embeddings.

Up to ``APPROXIMATE_ABOVE`` passages the index is exact (``IndexFlatIP``).
Above it an HNSW graph (``IndexHNSWFlat``) finds the top candidates in a
fraction of the time; its recall against exact search is checked in
tests/test_fast_paths.py and printed by ``python -m benchmarks.speed``. Exact
cosine scores stay available for any passage through :meth:`DenseIndex.similarity`,
which reads the stored vectors, so the hybrid search still ranks its
candidates exactly.

The vectors are held once, in the FAISS index's own storage. HNSW holds each
distinct vector once: identical passages (agency copy, repeated quotes) would
otherwise fill each other's neighbour lists and cut the graph into islands
(measured: recall@10 fell to 0.47 on a corpus with many repeats). A passage
maps to its row of the storage (``dense-rows.npy``) and :meth:`DenseIndex.search`
returns every passage of a row it finds.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

INDEX_FILE = "dense.faiss"
ROWS_FILE = "dense-rows.npy"  # passage → storage row, for HNSW indexes
APPROXIMATE_ABOVE = 20_000  # passages; below this exact search takes under ~3 ms on one core
HNSW_NEIGHBOURS = 32  # M: graph degree
HNSW_BUILD_DEPTH = 80  # efConstruction
HNSW_SEARCH_DEPTH = 320  # efSearch: recall@100 ≈ 0.99 at 100k passages, ~1 ms a query
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


def distinct_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's row among the distinct vectors (first occurrences, in order), and those rows."""
    if not len(vectors):
        return np.zeros(0, dtype=np.int64), vectors
    # Compare rows as raw bytes: exact, and far faster than np.unique(axis=0).
    keys = np.ascontiguousarray(vectors).view(np.dtype((np.void, vectors.shape[1] * vectors.itemsize))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse.ravel()].astype(np.int64), vectors[first[order]]


class DenseIndex:
    """Top-k inner-product search (exact or HNSW) and exact scores over passage embeddings."""

    def __init__(self, vectors: np.ndarray, approximate_above: int = APPROXIMATE_ABOVE) -> None:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        rows: np.ndarray | None = None
        if len(vectors) > approximate_above:
            index = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_BUILD_DEPTH
            rows, vectors = distinct_rows(vectors)
        else:
            index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            faiss.omp_set_num_threads(BUILD_THREADS)
            index.add(vectors)
        self._attach(index, rows)

    def _attach(self, index: Any, rows: np.ndarray | None) -> None:
        """Serve ``index``; ``rows`` maps passages to storage rows (None: row i is passage i)."""
        import faiss

        self._index = index
        self._stored = _stored_vectors(index)
        self._rows = rows
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_SEARCH_DEPTH
        if rows is not None:
            # The passages of each row, grouped: row r's are _members[_starts[r]:_starts[r + 1]].
            self._members = np.argsort(rows, kind="stable")
            self._starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=index.ntotal))])

    def __len__(self) -> int:
        return int(self._index.ntotal) if self._rows is None else len(self._rows)

    @functools.cached_property
    def vectors(self) -> np.ndarray:
        """Every passage's embedding, one row per passage (a copy when HNSW shares rows between repeats)."""
        return self._stored if self._rows is None else self._stored[self._rows]

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
        query = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(query, min(k, int(self._index.ntotal)))
        keep = ids[0] >= 0
        ids, scores = ids[0][keep], scores[0][keep]
        if self._rows is None:
            return ids, scores
        counts = self._starts[ids + 1] - self._starts[ids]
        passages = np.concatenate([self._members[self._starts[row] : self._starts[row + 1]] for row in ids])
        return passages[:k], np.repeat(scores, counts)[:k]

    def similarity(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosine scores of ``query`` against the passages ``ids``."""
        rows = ids if self._rows is None else self._rows[ids]
        return self._stored[rows] @ query.astype(np.float32)

    def save(self, folder: Path) -> None:
        """Write the FAISS index (and, for HNSW, each passage's row) into ``folder``."""
        import faiss

        faiss.write_index(self._index, str(folder / INDEX_FILE))
        if self._rows is not None:
            np.save(folder / ROWS_FILE, self._rows)

    @classmethod
    def load(cls, folder: Path, vectors: np.ndarray) -> "DenseIndex":
        """Read the FAISS index of ``folder``; ``vectors`` are the stored embeddings it must match."""
        import faiss

        # Mapped, not read: the vectors stay in the page cache, one copy for every process serving this build.
        stored = faiss.read_index(str(folder / INDEX_FILE), faiss.IO_FLAG_MMAP_IFC)
        rows = np.load(folder / ROWS_FILE) if isinstance(stored, faiss.IndexHNSW) else None
        passages = stored.ntotal if rows is None else len(rows)
        stored_rows = stored.ntotal if rows is None or not len(rows) else int(rows.max()) + 1
        if passages != len(vectors) or stored_rows != stored.ntotal or stored.d != vectors.shape[1]:
            raise ValueError("dense index and stored embeddings disagree in size")
        index = cls.__new__(cls)
        index._attach(stored, rows)
        logger.debug("Loaded %s dense index of %d vectors", "HNSW" if index.approximate else "exact", len(index))
        return index
