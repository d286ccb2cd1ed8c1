"""Hybrid search: dense cosine and BM25 fused into one relevance score.

The fused score is ``DENSE_WEIGHT * cosine + LEXICAL_WEIGHT * bm25 / (bm25 +
BM25_HALF_SATURATION)``. BM25 counts a passage's own words plus, at
``CONTEXT_WEIGHT``, the words of the paragraph before it, so a reply such as
"To which Putin replied: …" is found by the question it answers. Saturating
BM25 (instead of normalising by the best hit) keeps the score absolute, so one
threshold can tell relevant from irrelevant across questions.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np

from index.encoder import Encoder
from index.passages import Passage
from index.store import Snapshot

logger = logging.getLogger(__name__)

DENSE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4
BM25_HALF_SATURATION = 4.0
CONTEXT_WEIGHT = 0.5
SPEAKER_BONUS = 0.25
CANDIDATES = 100
QUERY_VECTORS_KEPT = 16
SPEAKERS_KEPT = 64  # speakers whose passage mask and baseline relevance stay cached
NO_PASSAGES = np.zeros(0, dtype=np.int64)
RANKED_FIRST = 32  # hits ranked by a partial sort; callers rarely read further
SPEAKER_ONLY_QUESTION = "What did {speaker} say?"  # the baseline a topic's gain is measured against


@dataclass(frozen=True)
class Hit:
    """One ranked passage with the parts of its score."""

    index: int
    passage: Passage
    score: float  # ranking score, including any speaker bonus
    relevance: float  # fused score alone, compared with the relevance threshold
    dense: float
    lexical: float


def follows_in_article(passages: list[Passage]) -> np.ndarray:
    """For passages 1…n-1: True when the passage before it is of the same article."""
    return np.array([passages[i].article == passages[i - 1].article for i in range(1, len(passages))], dtype=bool)


def lexical_with_context(raw: np.ndarray, follows: np.ndarray) -> np.ndarray:
    """Add the previous paragraph's BM25 score (same article only) at CONTEXT_WEIGHT."""
    total = raw.astype(np.float32).copy()
    if len(raw) > 1:
        total[1:] += CONTEXT_WEIGHT * raw[:-1] * follows
    return total


def fuse(dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """The fused relevance score of passages from their cosine and BM25 scores."""
    saturated = lexical / (lexical + BM25_HALF_SATURATION)
    return DENSE_WEIGHT * dense + LEXICAL_WEIGHT * saturated


def speakers_of(passage: Passage) -> set[str]:
    """Everyone who speaks in the passage (quoted or reported)."""
    return {name for name in (passage.speaker, *(quote.speaker for quote in passage.quotes)) if name}


def speaker_matches(passage: Passage, speaker: str) -> bool:
    """True when ``speaker`` speaks in the passage (quoted or reported)."""
    return speaker in speakers_of(passage)


def speakers_index(passages: list[Passage]) -> dict[str, np.ndarray]:
    """For every speaker, the ids of the passages where they speak."""
    ids: dict[str, list[int]] = {}
    for i, passage in enumerate(passages):
        for name in speakers_of(passage):
            ids.setdefault(name, []).append(i)
    return {name: np.array(found, dtype=np.int64) for name, found in ids.items()}


def _best_first(scores: np.ndarray) -> Iterator[int]:
    """Positions of ``scores`` from the highest, ties in order: a stable sort, done in two parts.

    Callers rarely read past the first few, so only the positions scoring at least the
    RANKED_FIRST-th best are sorted first; the rest only if the caller reads on.
    """
    if len(scores) <= RANKED_FIRST:
        yield from map(int, np.argsort(-scores, kind="stable"))
        return
    threshold = -np.partition(-scores, RANKED_FIRST - 1)[RANKED_FIRST - 1]
    for part in (np.flatnonzero(scores >= threshold), np.flatnonzero(scores < threshold)):
        yield from map(int, part[np.argsort(-scores[part], kind="stable")])


class RemoteRanking(Protocol):
    """A passage store that ranks on its own server with the fused score (index.qdrant_store)."""

    def ranked(self, vector: np.ndarray, query: str, speaker: str | None, limit: int) -> list[tuple[str, float]]:
        """Passage ids and scores (speaker bonus included), best first."""

    def relevance(self, vector: np.ndarray, query: str, passage_ids: list[str]) -> dict[str, float]:
        """The fused relevance of the given passages, by passage id."""


class HybridSearcher:
    """Ranks the passages of one snapshot for a standalone query (here, or on a ``remote`` store's server)."""

    def __init__(self, snapshot: Snapshot, encoder: Encoder, remote: RemoteRanking | None = None) -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.remote = remote
        self._positions: dict[str, int] | None = None
        # Per-snapshot facts that every query would otherwise recompute over all passages.
        self._follows = follows_in_article(snapshot.passages)
        self._speaks = speakers_index(snapshot.passages)
        # Per speaker asked about: bounded, since each costs memory in proportion to the corpus.
        self.speaks_mask = functools.lru_cache(maxsize=SPEAKERS_KEPT)(self._speaks_mask)
        self._speaker_only = functools.lru_cache(maxsize=SPEAKERS_KEPT)(self._speaker_only_relevance)
        # One turn may score its query more than once ("More", a speaker's topic check).
        self.query_vector = functools.lru_cache(maxsize=QUERY_VECTORS_KEPT)(self._encode_query)
        self._lexical = functools.lru_cache(maxsize=QUERY_VECTORS_KEPT)(self._lexical_scores)

    def _encode_query(self, query: str) -> np.ndarray:
        return self.encoder.encode_questions([query])[0]

    def _lexical_scores(self, query: str) -> np.ndarray:
        scores = lexical_with_context(self.snapshot.lexical.scores(query), self._follows)
        scores.flags.writeable = False  # shared by every use of the cached query
        return scores

    def speaks(self, speaker: str) -> np.ndarray:
        """Ids of the passages where ``speaker`` speaks (quoted or reported)."""
        return self._speaks.get(speaker, NO_PASSAGES)

    def _speaks_mask(self, speaker: str) -> np.ndarray:
        """True for every passage where ``speaker`` speaks (cached as ``speaks_mask``)."""
        mask = np.zeros(len(self.snapshot.passages), dtype=bool)
        mask[self.speaks(speaker)] = True
        mask.flags.writeable = False  # shared by every use of the cached speaker
        return mask

    def _speaker_only_relevance(self, speaker: str) -> np.ndarray:
        return self.relevance(SPEAKER_ONLY_QUESTION.format(speaker=speaker), self.speaks(speaker))

    def _position(self, passage_id: str) -> int | None:
        """Where a passage stands in this snapshot (None for one the snapshot lacks)."""
        if self._positions is None:
            self._positions = {passage.id: i for i, passage in enumerate(self.snapshot.passages)}
        return self._positions.get(passage_id)

    def relevance(self, query: str, ids: np.ndarray) -> np.ndarray:
        """The fused relevance of the passages ``ids`` for ``query``."""
        if self.remote is not None:
            wanted = [self.snapshot.passages[int(i)].id for i in ids]
            found = self.remote.relevance(self.query_vector(query), query, wanted)
            return np.array([found.get(pid, 0.0) for pid in wanted], dtype=np.float32)
        return fuse(self.snapshot.dense.similarity(self.query_vector(query), ids), self._lexical(query)[ids])

    def topic_gain(self, query: str, speaker: str) -> np.ndarray:
        """How much more relevant each of ``speaker``'s passages is to ``query`` than to "What did <speaker> say?"."""
        return self.relevance(query, self.speaks(speaker)) - self._speaker_only(speaker)

    def search(self, query: str, k: int = 5, speaker: str | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query``; passages where ``speaker`` speaks get a bonus."""
        return list(itertools.islice(self.ranked(query, speaker), max(k, 0)))

    def ranked(self, query: str, speaker: str | None = None) -> Iterator[Hit]:
        """The candidate passages for ``query``, best first, each made only when the caller gets to it."""
        passages = self.snapshot.passages
        if not passages:
            return
        if self.remote is not None:
            yield from self._ranked_remotely(query, speaker)
            return
        vector = self.query_vector(query)
        lexical = self._lexical(query)
        dense_ids, _ = self.snapshot.dense.search(vector, CANDIDATES)
        lexical_ids = np.argpartition(-lexical, min(CANDIDATES, len(lexical) - 1))[:CANDIDATES]
        lexical_ids = lexical_ids[lexical[lexical_ids] > 0]
        chosen = self.speaks_mask(speaker).copy() if speaker else np.zeros(len(passages), dtype=bool)
        chosen[dense_ids] = True
        chosen[lexical_ids] = True
        candidates = np.flatnonzero(chosen)
        dense = self.snapshot.dense.similarity(vector, candidates)
        relevance = fuse(dense, lexical[candidates])
        scores = relevance
        if speaker:
            scores = relevance + SPEAKER_BONUS * self.speaks_mask(speaker)[candidates]
        for o in _best_first(scores):
            yield Hit(
                index=int(candidates[o]),
                passage=passages[int(candidates[o])],
                score=float(scores[o]),
                relevance=float(relevance[o]),
                dense=float(dense[o]),
                lexical=float(lexical[candidates[o]]),
            )

    def _ranked_remotely(self, query: str, speaker: str | None) -> Iterator[Hit]:
        """The remote store's ranking; its score parts stay on the server (``dense``/``lexical`` are NaN)."""
        limit = 2 * CANDIDATES + (len(self.speaks(speaker)) if speaker else 0)
        for passage_id, score in self.remote.ranked(self.query_vector(query), query, speaker, limit):  # type: ignore[union-attr]
            index = self._position(passage_id)
            if index is None:
                continue  # a point of a build newer than this snapshot
            passage = self.snapshot.passages[index]
            bonus = SPEAKER_BONUS if speaker and speaker_matches(passage, speaker) else 0.0
            yield Hit(index=index, passage=passage, score=score, relevance=score - bonus, dense=math.nan, lexical=math.nan)
