"""The fast paths give the answers of the slow ones: HNSW against exact search, ONNX against sentence-transformers."""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pytest

from index.articles import load_corpus
from index.dense import DenseIndex
from index.passages import split_passages

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
VECTORS = 4000
DIMENSION = 64
CLUSTERS = 40
QUERIES = 100
DEPTH = 10
MIN_RECALL = 0.95
SMALL_THRESHOLD = 1000  # so the test vectors get the approximate index


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    """Random vectors around a few centres, as embeddings of related passages are."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((CLUSTERS, DIMENSION))
    return unit(centres[rng.integers(0, CLUSTERS, VECTORS)] + 0.8 * rng.standard_normal((VECTORS, DIMENSION)))


@pytest.fixture(scope="module")
def queries(vectors) -> np.ndarray:
    rng = np.random.default_rng(1)
    return unit(vectors[rng.integers(0, VECTORS, QUERIES)] + 0.5 * rng.standard_normal((QUERIES, DIMENSION)))


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    return set(np.argsort(-(vectors @ query))[:k].tolist())


def test_index_kind_follows_the_size(vectors):
    assert not DenseIndex(vectors, approximate_above=VECTORS).approximate
    assert DenseIndex(vectors, approximate_above=SMALL_THRESHOLD).approximate


def test_hnsw_recall_against_exact_search(vectors, queries):
    index = DenseIndex(vectors, approximate_above=SMALL_THRESHOLD)
    recalls = [len(set(index.search(q, DEPTH)[0].tolist()) & exact_top(vectors, q, DEPTH)) / DEPTH for q in queries]
    assert np.mean(recalls) >= MIN_RECALL


@pytest.mark.parametrize("threshold", [VECTORS, SMALL_THRESHOLD], ids=["exact", "hnsw"])
def test_scores_are_exact_cosines(vectors, queries, threshold):
    index = DenseIndex(vectors, approximate_above=threshold)
    ids, scores = index.search(queries[0], DEPTH)
    assert np.allclose(scores, vectors[ids] @ queries[0], atol=1e-5)
    some = np.array([3, 17, 2048])
    assert np.allclose(index.similarity(queries[0], some), vectors[some] @ queries[0], atol=1e-6)


@pytest.mark.parametrize("threshold", [VECTORS, SMALL_THRESHOLD], ids=["exact", "hnsw"])
def test_save_and_load_keep_kind_vectors_and_results(tmp_path, vectors, queries, threshold):
    built = DenseIndex(vectors, approximate_above=threshold)
    built.save(tmp_path)
    loaded = DenseIndex.load(tmp_path, vectors)
    assert loaded.approximate == built.approximate
    assert np.array_equal(loaded.vectors, vectors)
    for query in queries[:10]:
        assert np.array_equal(loaded.search(query, DEPTH)[0], built.search(query, DEPTH)[0])


def test_repeated_passages_keep_hnsw_recall_and_are_all_found(vectors, queries):
    """Copies of one vector would fill each other's HNSW neighbour lists; each is stored once instead."""
    repeated = np.vstack([vectors, np.repeat(vectors[:50], 40, axis=0)])  # 50 passages with 40 copies each
    index = DenseIndex(repeated, approximate_above=SMALL_THRESHOLD)
    assert len(index) == len(repeated) and np.array_equal(index.vectors, repeated)
    recalls = []
    for query in queries:
        exact = repeated @ query
        ids, scores = index.search(query, DEPTH)
        assert np.allclose(scores, exact[ids], atol=1e-5)
        recalls.append(np.mean(exact[ids] >= np.sort(exact)[-DEPTH] - 1e-5))
    assert np.mean(recalls) >= MIN_RECALL
    ids, _ = index.search(vectors[7], 41)
    assert set(ids.tolist()) == {7, *range(VECTORS + 7 * 40, VECTORS + 8 * 40)}


def test_exact_index_vectors_outlive_the_index(vectors):
    """``vectors`` of an exact index views the FAISS storage; the view must keep that memory alive."""
    index = DenseIndex(vectors, approximate_above=VECTORS)
    view = index.vectors
    del index
    gc.collect()
    _ = [np.ones(1 << 16) for _ in range(64)]  # reuse freed memory, if any was freed
    assert np.array_equal(view, vectors)
    assert not view.flags.writeable


def test_empty_index_searches_to_nothing():
    index = DenseIndex(np.zeros((0, DIMENSION), dtype=np.float32))
    ids, scores = index.search(np.ones(DIMENSION, dtype=np.float32), DEPTH)
    assert len(ids) == len(scores) == 0 and index.vectors.shape == (0, DIMENSION)


def real_texts() -> list[str]:
    texts = [p.search_text for article in load_corpus(CORPUS) for p in split_passages(article)[0]]
    return [*texts, " ".join(texts), "What did Putin say about the truce?", "Idlib"]  # one beyond 256 tokens


def test_parallel_batches_give_the_vectors_of_sentence_transformers_own_encode(encoder):
    from index.encoder import load_model

    texts = real_texts()
    ours = encoder.encode(texts)
    library = load_model().encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == library.shape and ours.dtype == np.float32
    assert (ours * library).sum(axis=1).min() >= 0.99999


def test_questions_encoded_while_a_build_embeds_all_succeed(encoder):
    """Threads share one tokenizer: a question asked during a build must not fail or get wrong vectors."""
    from concurrent.futures import ThreadPoolExecutor

    texts = real_texts()
    expected = encoder.encode(["What did Putin say about the truce?"])[0]
    with ThreadPoolExecutor(4) as pool:
        build = pool.submit(encoder.encode, texts * 8)
        questions = [pool.submit(encoder.encode, ["What did Putin say about the truce?"]) for _ in range(40)]
        assert build.result().shape == (len(texts) * 8, encoder.dimension)
        for future in questions:
            assert float(future.result()[0] @ expected) >= 0.99999


@pytest.fixture(scope="module")
def onnx_encoder(onnx_export):
    from index.encoder import OnnxEncoder

    return OnnxEncoder.from_cache(onnx_export)


def test_onnx_encoder_agrees_with_sentence_transformers(encoder, onnx_encoder):
    from index.encoder import ONNX_MIN_AGREEMENT

    texts = real_texts()
    reference, fast = encoder.encode(texts), onnx_encoder.encode(texts)
    assert fast.shape == reference.shape and fast.dtype == np.float32
    assert np.allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    assert (reference * fast).sum(axis=1).min() >= ONNX_MIN_AGREEMENT
    # a question alone (no padding) and within a batch agree too
    assert np.allclose(onnx_encoder.encode(texts[-2:-1])[0], fast[-2], atol=1e-5)


def test_answering_from_a_built_index_never_loads_torch(seed_index, tmp_path):
    """The default encoder answers through the export the build left: a small, quick process."""
    import shutil
    import subprocess
    import sys

    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    prepare = (
        "from bot.engine import Engine; from index.encoder import encoder_for; from pathlib import Path; "
        f"e = Engine(Path({str(CORPUS)!r}), Path({str(index)!r}), encoder_for('onnx', Path({str(index)!r})));"
    )
    built = subprocess.run([sys.executable, "-c", prepare + "e.rebuild(full=True)"], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    asked = subprocess.run(
        [sys.executable, "-c", prepare + "e.prepare(); a = e.ask('What did Putin say about the truce?'); "
         "import sys; print(a.found, 'torch' in sys.modules)"],
        capture_output=True,
        text=True,
    )
    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.split() == ["True", "False"]


def test_an_export_that_fails_says_why(tmp_path):
    from index.encoder import EncoderError, OnnxEncoder

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder should be", encoding="utf-8")
    with pytest.raises(EncoderError, match="exporting the model to ONNX failed: .*not-a-folder"):
        OnnxEncoder.from_cache(blocker)


def test_the_partial_ranking_orders_as_a_full_stable_sort():
    from index.search import RANKED_FIRST, _best_first

    rng = np.random.default_rng(3)
    for size in (0, 1, RANKED_FIRST, RANKED_FIRST + 1, 500):
        scores = rng.integers(0, 20, size).astype(np.float32) / 20  # many ties, across the partial sort's edge
        assert list(_best_first(scores)) == list(np.argsort(-scores, kind="stable"))


def test_a_damaged_export_is_made_again(tmp_path, encoder):
    from index.encoder import ONNX_MIN_AGREEMENT, OnnxEncoder, export_file

    export_file(tmp_path).write_bytes(b"not a model: a disk filled up, or someone edited it")
    question = "What did Putin say about the truce?"
    vector = OnnxEncoder.from_cache(tmp_path).encode([question])[0]
    assert float(vector @ encoder.encode([question])[0]) >= ONNX_MIN_AGREEMENT
    assert export_file(tmp_path).stat().st_size > 1_000_000


LATAKIA = "---\ntitle: Ports Reopen\ndate: 2019-03-04\n---\n\nThe harbour of Latakia reopened after a long dock strike.\n"


def test_a_small_build_embeds_its_passages_with_the_reference_not_onnx(tmp_path, corpus_copy, monkeypatch):
    """The README's promise: passages always by sentence-transformers, questions through ONNX."""
    import index.encoder as encoder_module
    from conftest import CountingEncoder
    from index.build import build_index
    from index.encoder import DIMENSION, MODEL_NAME, QUERY_BATCH_MAX, QuestionsThroughOnnx
    from index.search import HybridSearcher
    from index.store import load_snapshot

    class Reference(CountingEncoder):
        name, dimension = MODEL_NAME, DIMENSION

    reference = Reference()
    through_onnx: list[list[str]] = []
    monkeypatch.setattr(encoder_module, "start_export", lambda model_file: None)  # no export needed here
    monkeypatch.setattr(
        encoder_module.OnnxEncoder, "encode", lambda self, texts: through_onnx.append(texts) or reference.encode(texts)
    )
    encoder = QuestionsThroughOnnx(reference, tmp_path / "onnx")
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, encoder)
    (corpus_copy / "ports.md").write_text(LATAKIA, encoding="utf-8")
    report = build_index(corpus_copy, index_dir, encoder)
    assert 0 < report.embedded <= QUERY_BATCH_MAX
    assert through_onnx == []
    assert any("harbour of Latakia" in text for text in reference.texts[-report.embedded :])
    HybridSearcher(load_snapshot(index_dir, MODEL_NAME, DIMENSION), encoder).search("Which harbour reopened?")
    assert through_onnx == [["Which harbour reopened?"]]


def test_an_export_of_another_model_version_is_never_used(tmp_path, monkeypatch):
    import index.encoder as encoder_module
    from index.encoder import OnnxEncoder, export_file

    class Export:
        """Stands in for the export's child process: writes the model file and succeeds."""

        returncode = 0

        def __init__(self, command: list[str], **kwargs: object) -> None:
            Path(command[-1]).write_bytes(b"exported from the installed version")

        def communicate(self) -> tuple[str, str]:
            return "", ""

    monkeypatch.setattr(encoder_module.subprocess, "Popen", Export)
    monkeypatch.setattr(encoder_module, "model_version", lambda: "0.1.0")
    old = export_file(tmp_path)
    old.write_bytes(b"exported from the old version")
    monkeypatch.setattr(encoder_module, "model_version", lambda: "0.2.0")  # the model package was upgraded
    encoder = OnnxEncoder.from_cache(tmp_path)
    assert encoder.model_file != old and not old.exists()
    assert encoder.model_file.read_bytes() == b"exported from the installed version"


def test_a_build_that_only_removes_an_article_embeds_nothing_and_succeeds(tmp_path, corpus_copy, encoder):
    from index.build import build_index

    (corpus_copy / "ports.md").write_text(LATAKIA, encoding="utf-8")
    build_index(corpus_copy, tmp_path, encoder)
    (corpus_copy / "ports.md").unlink()
    report = build_index(corpus_copy, tmp_path, encoder)  # no new passages: the reference is asked for none
    assert report.removed == ["ports"] and report.embedded == 0
