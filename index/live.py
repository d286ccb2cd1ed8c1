"""The serving index, swapped for a newer build between requests.

Every request asks :class:`LiveIndex` for a searcher. When ``CURRENT`` names
a newer build (made by this process, another process, or the bot's
``/reindex``), the new build is loaded and swapped in; requests already
running keep the searcher they started with.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from index.encoder import Encoder
from index.search import HybridSearcher, RemoteRanking
from index.store import IndexUnavailableError, current_build, load_snapshot

logger = logging.getLogger(__name__)

LOAD_ATTEMPTS = 10  # builds landing while we load can remove the folder we were reading; retried only then


class LiveIndex:
    """Hands out the searcher of the newest build; safe to use from many threads."""

    def __init__(self, index_dir: Path, encoder: Encoder, remote: RemoteRanking | None = None) -> None:
        self.index_dir = index_dir
        self.encoder = encoder
        self.remote = remote  # a passage store that ranks on its server (Qdrant), or None: the build's files
        self._lock = threading.Lock()
        self._searcher: HybridSearcher | None = None

    def searcher(self) -> HybridSearcher:
        """The searcher of the newest build; loads it when the build changed."""
        current = self._searcher
        if current is not None and current.snapshot.build == current_build(self.index_dir):
            return current
        with self._lock:
            for attempt in range(1, LOAD_ATTEMPTS + 1):
                wanted = current_build(self.index_dir)
                if self._searcher is not None and self._searcher.snapshot.build == wanted:
                    return self._searcher
                try:
                    snapshot = load_snapshot(self.index_dir, self.encoder.name, self.encoder.dimension)
                except IndexUnavailableError:
                    if current_build(self.index_dir) != wanted and attempt < LOAD_ATTEMPTS:
                        continue  # a newer build replaced the one we were loading
                    if self._searcher is None:
                        raise
                    logger.warning("Keeping index build %s: the newer one failed to load", self._searcher.snapshot.build)
                    return self._searcher
                if self._searcher is not None:
                    logger.info("Switched to index build %s (%d passages)", snapshot.build, len(snapshot.passages))
                self._searcher = HybridSearcher(snapshot, self.encoder, self.remote)
                return self._searcher
        raise AssertionError("unreachable")  # pragma: no cover
