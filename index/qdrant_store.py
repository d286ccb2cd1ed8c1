"""Passages in Qdrant: named dense vectors, BM25 sparse vectors, hybrid ranking fused on the server.

Selected by ``SUMMITBOT_QDRANT_URL`` (a server or cluster, with ``SUMMITBOT_QDRANT_API_KEY``) or
``SUMMITBOT_QDRANT_PATH`` (Qdrant's local mode: the same client API in-process, which the tests
use). The build still writes its folder (manifest, passages, people); every build then brings the
collection in line with it, article by article: points of a new or changed article are upserted,
those of a removed or changed one deleted by a filter on ``version``, so adding an article costs
the same at 10 million passages as at 10 thousand.

Each point is one passage:

* ``dense`` — its normalised embedding (cosine);
* ``bm25`` — a sparse vector of its BM25 term weights, with the IDF modifier, so the server
  multiplies in each term's IDF over the whole collection at query time. The weights are
  bm25s's own (``tf / (tf + k1 (1 - b + b dl / avgdl))``, bm25s's ``k1`` and ``b``), and
  Qdrant's IDF is bm25s's (``ln(1 + (N - df + 0.5) / (df + 0.5))``), so the score is the
  embedded store's BM25 score (tested). Tokens are made only here, by
  :func:`index.lexical.tokenize` for passages and questions alike, and sent as indices (a
  32-bit hash of the token); the server never tokenizes, so both sides use the same tokens;
* ``bm25_context`` — the previous paragraph's weights (same article), for the engine's
  CONTEXT_WEIGHT share of the lexical score. Its IDF is counted over these vectors (paragraphs
  that have a previous one), a little off the embedded store's;
* its payload: everything the passage is (article, title, date, paragraph, text, speaker,
  quotes), plus ``speakers`` and ``article`` (payload indexes) for the engine's filters.

A query prefetches the dense and the lexical top candidates (and the favoured speaker's
passages), scores every candidate both ways, and fuses them on the server with the engine's own
formula through the Query API's formula query, speaker bonus included; Qdrant's RRF and DBSF
lose answers on the evaluation set (docs/scaling.md).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.lexical import tokenize
from index.passages import Passage
from index.store import IndexUnavailableError, Manifest
from index.search import (
    BM25_HALF_SATURATION,
    CANDIDATES,
    CONTEXT_WEIGHT,
    DENSE_WEIGHT,
    LEXICAL_WEIGHT,
    SPEAKER_BONUS,
    follows_in_article,
    speakers_of,
)

logger = logging.getLogger(__name__)

DENSE = "dense"
SPARSE = "bm25"
CONTEXT = "bm25_context"
POINT_NAMESPACE = uuid.UUID("5c4d0e7e-8a59-4a53-9a43-6f1c3b2f0a11")  # point id = uuid5(this, passage id)
UPSERT_BATCH = 256
SPEAKER_CANDIDATES = 1_000  # passages of the favoured speaker considered besides the top candidates
VERSION_SEPARATOR = "@"
FUSIONS = {"rrf": "rrf", "dbsf": "dbsf"}  # Qdrant's own fusions (models.Fusion values)


@dataclass(frozen=True)
class QdrantConfig:
    """Where the collection lives and how it is laid out (from the SUMMITBOT_QDRANT_* settings)."""

    collection: str
    url: str = ""
    api_key: str = ""
    path: str = ""
    shards: int = 1
    replicas: int = 1
    fusion: str = "formula"  # the engine's formula on the server; "rrf"/"dbsf": Qdrant's own (measured worse)


def _bm25_parameters() -> tuple[float, float]:
    import bm25s

    defaults = bm25s.BM25()
    return float(defaults.k1), float(defaults.b)


def token_index(token: str) -> int:
    """The sparse-vector index of a token: a stable 32-bit hash, the same in every process."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "little")


def point_id(passage_id: str) -> str:
    """The point of a passage (by :attr:`Passage.id`): stable across builds, so an upsert replaces it."""
    return str(uuid.uuid5(POINT_NAMESPACE, passage_id))


def article_version(article: str, content_hash: str) -> str:
    """What the collection records of an article, to tell a changed article from an unchanged one."""
    return f"{article}{VERSION_SEPARATOR}{content_hash}"


def lexical_weights(passages: list[Passage]) -> tuple[list[dict[int, float]], list[dict[int, float]]]:
    """Each passage's BM25 term weights (bm25s's formula), and its previous paragraph's (empty for a first one)."""
    k1, b = _bm25_parameters()
    tokens = [tokenize(passage.search_text) or ["_"] for passage in passages]  # as LexicalIndex.build
    average = float(np.mean([len(t) for t in tokens])) if tokens else 1.0
    own = []
    for words in tokens:
        norm = k1 * (1 - b + b * len(words) / average)
        own.append({token_index(word): tf / (tf + norm) for word, tf in Counter(words).items()})
    follows = follows_in_article(passages)
    previous = [{}] + [own[i - 1] if follows[i - 1] else {} for i in range(1, len(passages))]
    return own, previous


def query_weights(query: str) -> dict[int, float]:
    """The sparse query: each token counted as often as it occurs (as bm25s sums repeated tokens)."""
    return {token_index(token): float(count) for token, count in Counter(tokenize(query)).items()}


class QdrantPassages:
    """One Qdrant collection of passages: kept in line with the builds, ranked like the embedded store."""

    def __init__(self, config: QdrantConfig, dimension: int) -> None:
        from qdrant_client import QdrantClient

        self.config = config
        self.dimension = dimension
        where = f"SUMMITBOT_QDRANT_PATH {config.path}" if config.path else f"SUMMITBOT_QDRANT_URL {config.url}"
        try:
            if config.path:
                self._client = QdrantClient(path=config.path)
            else:
                self._client = QdrantClient(url=config.url, api_key=config.api_key or None)
            self._ensure_collection()
        except Exception as exc:  # unreachable, refused, or a local folder another process holds
            raise IndexUnavailableError(f"cannot use Qdrant at {where}: {str(exc).splitlines()[0]}") from None

    def _ensure_collection(self) -> None:
        from qdrant_client import models

        name = self.config.collection
        if self._client.collection_exists(name):
            return
        self._client.create_collection(
            name,
            vectors_config={DENSE: models.VectorParams(size=self.dimension, distance=models.Distance.COSINE)},
            sparse_vectors_config={
                name: models.SparseVectorParams(modifier=models.Modifier.IDF) for name in (SPARSE, CONTEXT)
            },
            shard_number=self.config.shards,
            replication_factor=self.config.replicas,
        )
        with warnings.catch_warnings():  # local mode says payload indexes only matter on a server
            warnings.simplefilter("ignore", UserWarning)
            for field in ("speakers", "article", "version"):
                self._client.create_payload_index(name, field, models.PayloadSchemaType.KEYWORD)
        logger.info("Created Qdrant collection %s (%d shards, %d replicas)", name, self.config.shards, self.config.replicas)

    def versions(self) -> set[str]:
        """The article versions the collection holds."""
        hits = self._client.facet(self.config.collection, key="version", limit=2**31 - 1, exact=True).hits
        return {str(hit.value) for hit in hits}

    def holds(self, manifest: Manifest) -> bool:
        """True when the collection holds exactly the articles of ``manifest``, as they are there."""
        return self.versions() == {article_version(key, entry.content_hash) for key, entry in manifest.articles.items()}

    def sync(
        self, passages: list[Passage], embeddings: np.ndarray, hashes: dict[str, str], full: bool = False
    ) -> tuple[int, int]:
        """Bring the collection in line with a build: articles upserted and deleted (counted), one at a time.

        ``full`` replaces every article (new BM25 weights after the corpus changed a lot).
        """
        from qdrant_client import models

        wanted = {article_version(article, digest): article for article, digest in hashes.items()}
        present = self.versions()
        stale = set(present) if full else present - set(wanted)
        present = present - stale
        for version in stale:
            self._client.delete(
                self.config.collection,
                points_selector=models.FilterSelector(filter=_match("version", version)),
                wait=True,
            )
        missing = {wanted[version] for version in set(wanted) - present}
        if missing:
            self._upsert(passages, embeddings, hashes, missing)
        logger.info("Qdrant collection %s: %d articles upserted, %d versions deleted", self.config.collection, len(missing), len(stale))
        return len(missing), len(stale)

    def _upsert(self, passages: list[Passage], embeddings: np.ndarray, hashes: dict[str, str], articles: set[str]) -> None:
        from qdrant_client import models

        own, previous = lexical_weights(passages)  # over the whole build: avgdl and the previous paragraphs
        points = []
        for i, passage in enumerate(passages):
            if passage.article not in articles:
                continue
            payload = {
                **passage.to_dict(),
                "id": passage.id,
                "speakers": sorted(speakers_of(passage)),
                "version": article_version(passage.article, hashes[passage.article]),
            }
            vector = {DENSE: embeddings[i].tolist(), SPARSE: _sparse(own[i]), CONTEXT: _sparse(previous[i])}
            points.append(models.PointStruct(id=point_id(passage.id), vector=vector, payload=payload))
        for start in range(0, len(points), UPSERT_BATCH):
            self._client.upsert(self.config.collection, points=points[start : start + UPSERT_BATCH], wait=True)

    def ranked(self, vector: np.ndarray, query: str, speaker: str | None, limit: int) -> list[tuple[str, float]]:
        """Passage ids and fused scores (speaker bonus included), best first."""
        from qdrant_client import models

        candidates = [models.Prefetch(query=vector.tolist(), using=DENSE, limit=CANDIDATES)]
        weights = query_weights(query)
        if weights:
            candidates += [models.Prefetch(query=_sparse(weights), using=name, limit=CANDIDATES) for name in (SPARSE, CONTEXT)]
        if speaker:
            candidates.append(
                models.Prefetch(query=vector.tolist(), using=DENSE, filter=_match("speakers", speaker), limit=SPEAKER_CANDIDATES)
            )
        if self.config.fusion in FUSIONS:  # only to measure them against the formula (benchmarks/eval.py --fusion)
            response = self._client.query_points(
                self.config.collection,
                prefetch=candidates,
                query=models.FusionQuery(fusion=FUSIONS[self.config.fusion]),
                limit=limit,
                with_payload=["id"],
            )
            return [(str(point.payload["id"]), float(point.score)) for point in response.points if point.payload]
        return self._fused(vector, query, candidates, speaker, limit, None)

    def relevance(self, vector: np.ndarray, query: str, passage_ids: list[str]) -> dict[str, float]:
        """The fused relevance (no bonus) of the given passages, keyed by passage id."""
        from qdrant_client import models

        if not passage_ids:
            return {}
        only = models.Filter(must=[models.HasIdCondition(has_id=[point_id(pid) for pid in passage_ids])])
        candidates = [models.Prefetch(query=vector.tolist(), using=DENSE, filter=only, limit=len(passage_ids))]
        return dict(self._fused(vector, query, candidates, None, len(passage_ids), only))

    def _fused(
        self, vector: np.ndarray, query: str, candidates: list[Any], speaker: str | None, limit: int, where: Any
    ) -> list[tuple[str, float]]:
        """Score every candidate by cosine and by BM25, and fuse both on the server with the engine's formula."""
        from qdrant_client import models

        pool = max(limit, CANDIDATES * 2 + (SPEAKER_CANDIDATES if speaker else 0))
        scored = [models.Prefetch(prefetch=candidates, query=vector.tolist(), using=DENSE, limit=pool)]
        weights = query_weights(query)
        if weights:
            scored += [models.Prefetch(prefetch=candidates, query=_sparse(weights), using=name, limit=pool) for name in (SPARSE, CONTEXT)]
        # the engine's lexical score: own BM25 + CONTEXT_WEIGHT × the previous paragraph's
        lexical: Any = models.SumExpression(sum=["$score[1]", models.MultExpression(mult=[CONTEXT_WEIGHT, "$score[2]"])])
        if not weights:
            lexical = 0.0
        parts: list[object] = [
            models.MultExpression(mult=[DENSE_WEIGHT, "$score[0]"]),
            models.MultExpression(
                mult=[
                    LEXICAL_WEIGHT,
                    models.DivExpression(
                        div=models.DivParams(left=lexical, right=models.SumExpression(sum=[lexical, BM25_HALF_SATURATION]))
                    ),
                ]
            ),
        ]
        if speaker:
            parts.append(models.MultExpression(mult=[SPEAKER_BONUS, _match_condition("speakers", speaker)]))
        formula = models.FormulaQuery(formula=models.SumExpression(sum=parts), defaults={f"$score[{i}]": 0.0 for i in range(3)})
        response = self._client.query_points(
            self.config.collection, prefetch=scored, query=formula, query_filter=where, limit=limit, with_payload=["id"]
        )
        return [(str(point.payload["id"]), float(point.score)) for point in response.points if point.payload]

    def payloads(self, passage_ids: list[str]) -> list[dict[str, Any]]:
        """The stored payloads of the given passages (those the collection has)."""
        points = self._client.retrieve(self.config.collection, ids=[point_id(pid) for pid in passage_ids], with_payload=True)
        return [dict(point.payload or {}) for point in points]

    def close(self) -> None:
        """Release the client (local mode holds a lock on its folder)."""
        self._client.close()


def _sparse(weights: dict[int, float]) -> Any:
    from qdrant_client import models

    return models.SparseVector(indices=list(weights), values=list(weights.values()))


def _match_condition(key: str, value: str) -> Any:
    from qdrant_client import models

    return models.FieldCondition(key=key, match=models.MatchValue(value=value))


def _match(key: str, value: str) -> Any:
    from qdrant_client import models

    return models.Filter(must=[_match_condition(key, value)])


def open_store(config: QdrantConfig | None, dimension: int) -> QdrantPassages | None:
    """The Qdrant store ``config`` selects, or None (passages searched in the build's own files)."""
    return QdrantPassages(config, dimension) if config is not None else None
