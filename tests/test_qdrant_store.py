"""Passages in Qdrant (local mode, the same client API as a cluster): the same answers as the embedded store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.conversation import Conversation
from bot.engine import Engine
from bot.settings import Settings, SettingsError
from conftest import CORPUS, SEED
from index.build import build_index
from index.passages import Passage
from index.qdrant_store import QdrantConfig, QdrantPassages, token_index
from index.lexical import tokenize
from index.search import follows_in_article
from index.store import IndexUnavailableError, load_snapshot
from test_cli import index_env, run  # noqa: F401  (index_env is a fixture)

QUESTIONS = (
    "What did Putin say about the truce?",
    "What did Erdogan say about the ceasefire?",
    "Who is Rouhani?",
    "What did the UN envoy warn?",
    "Where was the summit held?",
    "What is the capital of France?",
)
CONVERSATION = ("What did Putin say about the truce?", "And Erdogan?", "Tell me more", "Why?")


@pytest.fixture
def store(tmp_path: Path, fake_encoder) -> QdrantPassages:
    qdrant = QdrantPassages(QdrantConfig(collection="passages", path=str(tmp_path / "qdrant")), fake_encoder.dimension)
    yield qdrant
    qdrant.close()


def test_the_server_scores_bm25_with_the_same_tokens_and_formula_as_the_embedded_store(tmp_path, fake_encoder, store):
    build_index(CORPUS, tmp_path / "index", fake_encoder, store=store)
    engine = Engine(CORPUS, tmp_path / "index", fake_encoder)
    embedded = engine.searcher
    everyone = np.arange(len(embedded.snapshot.passages))
    ids = [passage.id for passage in embedded.snapshot.passages]
    first = np.array([True] + [not follows for follows in follows_in_article(embedded.snapshot.passages)])
    for query in (*QUESTIONS, "Idlib ceasefire terrorists drones Hmeimim", "truce truce truce"):
        remote = store.relevance(embedded.query_vector(query), query, ids)
        remote_scores, local_scores = np.array([remote[i] for i in ids]), embedded.relevance(query, everyone)
        # Exact where the previous paragraph adds nothing: own BM25 (tokens, tf part, IDF) and the fusion.
        raw = embedded.snapshot.lexical.scores(query)
        no_context = first | (np.concatenate([[0.0], raw[:-1]]) == 0)
        assert no_context.sum() >= 2
        assert np.allclose(remote_scores[no_context], local_scores[no_context], atol=1e-5), query
        # The previous paragraph's share: its IDF is counted over paragraphs that have one, a little off.
        assert np.allclose(remote_scores, local_scores, atol=0.01), query


def test_tokens_are_sent_as_stable_hashes_of_the_one_tokenizer():
    assert token_index("truce") == token_index("truce") != token_index("ceasefir")
    assert [token_index(t) for t in tokenize("Truces, truce!")] == [token_index("truce")] * 2


def test_each_build_upserts_and_deletes_only_the_articles_that_changed(tmp_path, fake_encoder, store, corpus_copy):
    index = tmp_path / "index"
    build_index(corpus_copy, index, fake_encoder, store=store)
    assert {version.split("@")[0] for version in store.versions()} == {SEED}
    shutil.copy(CORPUS / "un-envoy-idlib-warning.md", corpus_copy)
    snapshot = load_snapshot(index, fake_encoder.name, fake_encoder.dimension)
    hashes = {key: entry.content_hash for key, entry in snapshot.manifest.articles.items()}
    before = store.versions()
    build_index(corpus_copy, index, fake_encoder, store=store)
    assert before < store.versions() and len(store.versions()) == 2  # the seed article's points stayed as they were
    (corpus_copy / "un-envoy-idlib-warning.md").unlink()
    build_index(corpus_copy, index, fake_encoder, store=store)
    assert store.versions() == before
    assert hashes[SEED] in next(iter(before))
    snapshot = load_snapshot(index, fake_encoder.name, fake_encoder.dimension)
    assert store.sync(snapshot.passages, snapshot.embeddings, hashes) == (0, 0)  # in line: nothing to do
    assert store.sync(snapshot.passages, snapshot.embeddings, hashes, full=True) == (1, 1)  # --full: replaced


def test_a_point_carries_everything_a_passage_needs(tmp_path, fake_encoder, store):
    build_index(CORPUS, tmp_path / "index", fake_encoder, store=store)
    snapshot = load_snapshot(tmp_path / "index", fake_encoder.name, fake_encoder.dimension)
    passage = next(p for p in snapshot.passages if p.quotes)
    [point] = store.payloads([passage.id])
    assert Passage.from_dict({key: point[key] for key in passage.to_dict()}) == passage
    assert point["article"] == passage.article and passage.speaker in point["speakers"]


def test_ask_with_qdrant_answers_as_the_embedded_store(seed_index, engine, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    env = {"SUMMITBOT_CORPUS_DIR": str(CORPUS), "SUMMITBOT_INDEX_DIR": str(index), "SUMMITBOT_QDRANT_PATH": str(tmp_path / "qdrant")}
    for turns in ([*QUESTIONS], [*CONVERSATION]):
        result = run("ask", "--json", *turns, env_extra=env)
        assert result.returncode == 0, result.stderr
        conversation = Conversation()
        for line, question in zip(result.stdout.splitlines(), turns, strict=True):
            expected = engine.ask(question, conversation)
            got = json.loads(line)
            assert (got["query"], got["found"], got["answer"]) == (expected.query, expected.found, expected.text), question
    assert (tmp_path / "qdrant").is_dir()


def test_qdrant_settings():
    settings = Settings.from_env({"SUMMITBOT_QDRANT_URL": "http://qdrant:6333", "SUMMITBOT_QDRANT_SHARDS": "6", "SUMMITBOT_QDRANT_REPLICAS": "2"}, Path("/nonexistent"))
    assert settings.qdrant == QdrantConfig(collection="summitbot_passages", url="http://qdrant:6333", shards=6, replicas=2)
    assert Settings.from_env({}, Path("/nonexistent")).qdrant is None
    for bad in ({"SUMMITBOT_QDRANT_URL": "http://q", "SUMMITBOT_QDRANT_PATH": "/q"}, {"SUMMITBOT_QDRANT_SHARDS": "0"}):
        with pytest.raises(SettingsError):
            Settings.from_env(bad, Path("/nonexistent"))



def test_a_qdrant_that_cannot_be_used_is_one_clear_line(tmp_path, index_env):
    from redis_server import LOOPBACK, _free_port

    result = run("ask", "What did Putin say?", env_extra={**index_env, "SUMMITBOT_QDRANT_URL": f"http://{LOOPBACK}:{_free_port()}"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "cannot use Qdrant at SUMMITBOT_QDRANT_URL" in result.stderr
    held = QdrantPassages(QdrantConfig(collection="passages", path=str(tmp_path / "qdrant")), 8)
    try:
        with pytest.raises(IndexUnavailableError, match="SUMMITBOT_QDRANT_PATH"):
            QdrantPassages(QdrantConfig(collection="passages", path=str(tmp_path / "qdrant")), 8)
    finally:
        held.close()
