"""The serving index, swapped for a newer build between requests.

Every request asks :class:`LiveIndex` for a searcher. When ``CURRENT`` names
a newer build (made by this process, another process, or the bot's
``/reindex``), the new build is loaded and swapped in; requests already
running keep the searcher they started with. A newer build that fails to
load is logged once and tried again only after a backoff that doubles with
each failure, while the build already loaded keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

from index.encoder import Encoder
from index.search import HybridSearcher, RemoteRanking
from index.store import IndexUnavailableError, current_build, load_snapshot

logger = logging.getLogger(__name__)

LOAD_ATTEMPTS = 10  # builds landing while we load can replace the one we were reading; retried only then
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 300.0


class LiveIndex:
    """Hands out the searcher of the newest build; safe to use from many threads."""

    def __init__(
        self,
        index_dir: Path,
        encoder: Encoder,
        remote: RemoteRanking | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.index_dir = index_dir
        self.encoder = encoder
        self.remote = remote  # a passage store that ranks on its server (Qdrant), or None: the build's files
        self._clock = clock
        self._lock = threading.Lock()
        self._searcher: HybridSearcher | None = None
        self._failed: str | None = None  # the newest build that failed to load, while the old one serves
        self._failures = 0
        self._retry_at = 0.0

    def searcher(self) -> HybridSearcher:
        """The searcher of the newest build; loads it when the build changed."""
        current = self._searcher
        if current is not None:
            wanted = current_build(self.index_dir)
            if current.snapshot.build == wanted or self._waiting_to_retry(wanted):
                return current
        with self._lock:
            for attempt in range(1, LOAD_ATTEMPTS + 1):
                wanted = current_build(self.index_dir)
                if self._searcher is not None and (
                    self._searcher.snapshot.build == wanted or self._waiting_to_retry(wanted)
                ):
                    return self._searcher
                try:
                    snapshot = load_snapshot(self.index_dir, self.encoder.name, self.encoder.dimension)
                except IndexUnavailableError as exc:
                    if current_build(self.index_dir) != wanted and attempt < LOAD_ATTEMPTS:
                        continue  # a newer build replaced the one we were loading
                    if self._searcher is None:
                        raise
                    self._note_failure(wanted, exc)
                    return self._searcher
                if self._searcher is not None:
                    logger.info("Switched to index build %s (%d passages)", snapshot.build, len(snapshot.passages))
                self._searcher = HybridSearcher(snapshot, self.encoder, self.remote)
                self._failed, self._failures = None, 0
                return self._searcher
        raise AssertionError("unreachable")  # pragma: no cover

    def _waiting_to_retry(self, wanted: str | None) -> bool:
        """True while ``wanted`` is the build that failed and its backoff has not run out."""
        return wanted == self._failed and self._clock() < self._retry_at

    def _note_failure(self, build: str | None, error: Exception) -> None:
        """Log a build's first failure (later ones quietly) and set when to try it again."""
        assert self._searcher is not None
        if build != self._failed:
            self._failed, self._failures = build, 0
            logger.warning(
                "Keeping index build %s: the newer build %s failed to load (%s); retrying with backoff",
                self._searcher.snapshot.build,
                build,
                error,
            )
        else:
            logger.debug("Index build %s still fails to load (%s)", build, error)
        delay = min(FIRST_RETRY_SECONDS * 2**self._failures, LONGEST_RETRY_SECONDS)
        self._failures += 1
        self._retry_at = self._clock() + delay
