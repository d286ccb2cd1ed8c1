"""Build the index from the corpus, embedding only what is new or changed.

Embeddings of the previous build are reused for every passage whose encoded
text is unchanged (keyed by :attr:`Passage.fingerprint`), so adding one
article to a large corpus embeds only that article's passages. A full
rebuild happens on request or when the model or format changed.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.articles import Article, article_files, article_ids, content_hash, load_corpus
from index.encoder import Encoder
from index.language.directory import merged_people
from index.language.person import Person
from index.passages import ANALYSIS_VERSION, Passage, split_passages, with_identities
from index.store import (
    FORMAT_VERSION,
    ArticleEntry,
    BuildLock,
    IndexUnavailableError,
    Manifest,
    Snapshot,
    check_manifest,
    load_snapshot,
    read_manifest,
    write_build,
)

if TYPE_CHECKING:
    from index.qdrant_store import QdrantPassages

logger = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build changed, for the CLI and the bot to report."""

    build: str = ""
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    articles: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    full: bool = False
    up_to_date: bool = False  # nothing to do: the serving build already matched the corpus

    def summary(self) -> str:
        """One line for people: what changed and how long it took."""
        if self.up_to_date:
            return f"already up to date: {self.articles} articles, {self.passages} passages"
        parts = [f"{self.articles} articles, {self.passages} passages"]
        for label, names in (("added", self.added), ("changed", self.changed), ("removed", self.removed)):
            if names:
                parts.append(f"{label}: {', '.join(names)}")
        if self.duplicates:
            parts.append(f"skipped duplicates: {', '.join(self.duplicates)}")
        parts.append(f"{self.embedded} passages embedded, {self.reused} reused, {self.seconds:.1f} s")
        return "; ".join(parts)


def corpus_hashes(corpus_dir: Path) -> dict[str, str]:
    """Content hash of every article file, keyed by article id."""
    return {article_id: content_hash(path.read_bytes()) for path, article_id in article_ids(article_files(corpus_dir)).items()}


def is_stale(corpus_dir: Path, manifest: Manifest) -> bool:
    """True when the corpus files differ from those the build saw (indexed or skipped)."""
    return differs(corpus_hashes(corpus_dir), manifest)


def differs(hashes: dict[str, str], manifest: Manifest) -> bool:
    """True when corpus files with these hashes are not what the build saw, or its rules are older."""
    seen = {key: entry.content_hash for key, entry in manifest.articles.items()} | manifest.skipped
    return manifest.analysis_version != ANALYSIS_VERSION or hashes != seen


def _unique_articles(articles: list[Article], indexed: set[str]) -> tuple[list[Article], list[str]]:
    """Drop articles whose content repeats another's, keeping the one already indexed."""
    seen: dict[str, str] = {}
    unique, duplicates = [], []
    for article in sorted(articles, key=lambda a: (a.id not in indexed, a.id)):
        key = article.content_hash
        if key in seen:
            logger.warning("Skipping %s: same content as %s", article.id, seen[key])
            duplicates.append(article.id)
            continue
        seen[key] = article.id
        unique.append(article)
    return unique, duplicates


def _previous_snapshot(index_dir: Path, encoder: Encoder) -> Snapshot | None:
    try:
        return load_snapshot(index_dir, encoder.name, encoder.dimension)
    except IndexUnavailableError as exc:
        logger.debug("No previous build to reuse (%s)", exc)
        return None


def _split_or_reuse(
    articles: list[Article], previous: Snapshot | None
) -> tuple[list[Passage], dict[str, list[Person]]]:
    """Passages and people of every article, reusing the previous build's for unchanged ones."""
    if previous is not None and previous.manifest.analysis_version != ANALYSIS_VERSION:
        previous = None  # older rules: read every article again (embeddings are still reused)
    unchanged: dict[str, list[Passage]] = {}
    for passage in previous.passages if previous else []:
        unchanged.setdefault(passage.article, []).append(passage)
    passages: list[Passage] = []
    people_by_article: dict[str, list[Person]] = {}
    for article in articles:
        entry = previous.manifest.articles.get(article.id) if previous else None
        if previous is not None and entry is not None and entry.content_hash == article.content_hash:
            passages.extend(unchanged.get(article.id, []))
            people_by_article[article.id] = previous.people_by_article.get(article.id, [])
        else:
            article_passages, people_by_article[article.id] = split_passages(article)
            passages.extend(article_passages)
    return passages, people_by_article


def build_index(
    corpus_dir: Path, index_dir: Path, encoder: Encoder, full: bool = False, store: "QdrantPassages | None" = None
) -> BuildReport:
    """Index the corpus into ``index_dir`` (and bring ``store`` in line); serialised with other builds by a lock.

    Unless ``full``, nothing is built when the serving build already matches the corpus, as it
    does when another process built it while this one waited for the lock.
    """
    started = time.perf_counter()
    with BuildLock(index_dir):
        hashes = corpus_hashes(corpus_dir)
        previous = None if full else _previous_snapshot(index_dir, encoder)
        if previous is not None and not differs(hashes, previous.manifest):
            manifest = previous.manifest
            logger.info("Index %s is already up to date", previous.build)
            if store is not None:  # in line already, unless the store was set up after the build
                store.sync(previous.passages, previous.embeddings, {k: e.content_hash for k, e in manifest.articles.items()})
            return BuildReport(
                build=previous.build,
                articles=len(manifest.articles),
                passages=manifest.passage_count,
                reused=manifest.passage_count,
                up_to_date=True,
            )
        cache = {p.fingerprint: previous.embeddings[i] for i, p in enumerate(previous.passages)} if previous else {}
        indexed = set(previous.manifest.articles) if previous else set()
        articles, duplicates = _unique_articles(load_corpus(corpus_dir), indexed)
        articles.sort(key=lambda article: article.id)
        passages, people_by_article = _split_or_reuse(articles, previous)
        passages = with_identities(passages, merged_people(people_by_article))
        missing = [i for i, p in enumerate(passages) if p.fingerprint not in cache]
        logger.info("Embedding %d new passages (%d reused)", len(missing), len(passages) - len(missing))
        fresh = encoder.encode([passages[i].search_text for i in missing])
        embeddings = np.zeros((len(passages), encoder.dimension), dtype=np.float32)
        fresh_rows = dict(zip(missing, fresh))
        for i, passage in enumerate(passages):
            embeddings[i] = fresh_rows[i] if i in fresh_rows else cache[passage.fingerprint]
        counts = Counter(passage.article for passage in passages)
        entries = {a.id: ArticleEntry(a.content_hash, a.title, a.date_text, counts[a.id], a.outlet) for a in articles}
        report = BuildReport(
            duplicates=duplicates,
            articles=len(articles),
            passages=len(passages),
            embedded=len(missing),
            reused=len(passages) - len(missing),
            full=previous is None,
        )
        old = previous.manifest.articles if previous else {}
        report.added = sorted(set(entries) - set(old))
        report.removed = sorted(set(old) - set(entries))
        report.changed = sorted(k for k in set(entries) & set(old) if entries[k].content_hash != old[k].content_hash)
        report.seconds = time.perf_counter() - started
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=encoder.name,
            dimension=encoder.dimension,
            passage_count=len(passages),
            articles=entries,
            built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            build_seconds=round(report.seconds, 3),
            skipped={key: value for key, value in hashes.items() if key not in entries},
            analysis_version=ANALYSIS_VERSION,
        )
        report.build = write_build(index_dir, manifest, passages, people_by_article, embeddings)
        if store is not None:
            store.sync(passages, embeddings, {key: entry.content_hash for key, entry in entries.items()}, full=full)
    logger.info("Index built: %s", report.summary())
    return report


def index_state(corpus_dir: Path, index_dir: Path, encoder: Encoder) -> tuple[Manifest | None, bool, str]:
    """The serving manifest (if usable), whether it is stale, and a reason when not usable."""
    try:
        _, manifest = read_manifest(index_dir)
        check_manifest(manifest, encoder.name, encoder.dimension)
    except IndexUnavailableError as exc:
        return None, True, str(exc)
    return manifest, is_stale(corpus_dir, manifest), ""
