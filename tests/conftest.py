"""Shared fixtures: the real model loaded once, a built index of the test corpus, a fake encoder.

The test corpus is the bundled one plus a second article of our own
(``tests/data/un-envoy-idlib-warning.md``), added the way a user adds one. That
article is illustrative, so it stays out of the shipped ``corpus/``.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from bot_process import bot_environment  # noqa: F401  (tests import it from here)

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = REPO / "corpus"
DATA = REPO / "tests" / "data"
ADDED_ARTICLE = DATA / "un-envoy-idlib-warning.md"
SEED = "tehran-summit"


def _test_corpus() -> Path:
    """A private copy of the bundled corpus with the second article added."""
    folder = Path(tempfile.mkdtemp(prefix="summitbot-corpus-"))
    atexit.register(shutil.rmtree, folder, True)
    for article in [*BUNDLED_CORPUS.iterdir(), ADDED_ARTICLE]:
        shutil.copy(article, folder)
    return folder


CORPUS = _test_corpus()


class CountingEncoder:
    """A fast deterministic encoder (hashed bag of words) that counts what it embeds."""

    name = "test/hashed-bag-of-words"
    dimension = 64

    def __init__(self) -> None:
        self.calls = 0
        self.texts: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts.extend(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def encode_questions(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts)


@pytest.fixture(scope="session")
def encoder():
    """The real sentence-transformers encoder, loaded once per test session."""
    from index.encoder import default_encoder

    return default_encoder()


@pytest.fixture(scope="session")
def onnx_export(tmp_path_factory, encoder) -> Path:
    """A folder holding the model's ONNX export, made once per test session."""
    from index.encoder import OnnxEncoder

    folder = tmp_path_factory.mktemp("onnx")
    OnnxEncoder.from_cache(folder)
    return folder


@pytest.fixture
def default_index_dir(tmp_path, onnx_export) -> Path:
    """An empty index folder for the product's default encoder, its ONNX export already made."""
    from index.encoder import ONNX_CACHE_DIR

    index_dir = tmp_path / "index"
    copy_export(onnx_export, index_dir / ONNX_CACHE_DIR)
    return index_dir


def copy_export(source: Path, target: Path) -> None:
    """Put the ONNX export made in ``source`` into the export folder ``target``."""
    from index.encoder import export_file

    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(export_file(source), export_file(target))


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, encoder) -> Path:
    """An index of the bundled corpus, built once."""
    from index.build import build_index

    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index(CORPUS, index_dir, encoder)
    return index_dir


@pytest.fixture(scope="session")
def onnx_index(tmp_path_factory, seed_index, onnx_export) -> Path:
    """The seed index with the ONNX export the product's default encoder answers through."""
    from index.encoder import ONNX_CACHE_DIR

    index_dir = tmp_path_factory.mktemp("onnx-index") / "index"
    shutil.copytree(seed_index, index_dir)
    copy_export(onnx_export, index_dir / ONNX_CACHE_DIR)
    return index_dir


@pytest.fixture(scope="session")
def engine(seed_index, encoder):
    """An engine over the bundled corpus."""
    from bot.engine import Engine

    return Engine(CORPUS, seed_index, encoder)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable corpus holding only the seed article (16 passages)."""
    target = tmp_path / "corpus"
    target.mkdir()
    shutil.copy(CORPUS / f"{SEED}.md", target)
    return target


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on 127.0.0.1 for the session (skipped locally, failed in CI, when missing)."""
    from redis_server import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """The URL of an empty Redis database."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def fake_encoder() -> CountingEncoder:
    return CountingEncoder()
