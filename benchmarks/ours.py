"""Benchmark worker for summitbot itself: one build, one serving run or one cold question per process.

Run by ``benchmarks.speed`` in a fresh process each time, so memory peaks and
start-up costs belong to that one job. Prints one JSON line.

    python -m benchmarks.ours build --corpus DIR --index DIR [--encoder default|sentence-mean]
    python -m benchmarks.ours serve --corpus DIR --index DIR --repeats N [--encoder default|reference] [--quality] [--recall]
    python -m benchmarks.ours ask --corpus DIR --index DIR [--encoder reference] QUESTION

Encoders: ``default`` is the product's (SUMMITBOT_ENCODER=onnx: passages through
sentence-transformers, questions through its ONNX export); ``reference`` puts
questions through sentence-transformers too; ``sentence-mean`` builds from cached
sentence vectors (``benchmarks.cached_vectors``) and leaves the default's export.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.measure import emit, memory_mib
from index.encoder import Encoder

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
QUESTIONS_FILE = HERE / "questions.json"
RECALL_DEPTHS = (10, 100)
RECALL_PASSAGE_QUERIES = 200  # random passages used as queries, besides the question set
TOP_HITS_COMPARED = 5
SCORE_TOLERANCE = 1e-5
SEED = 7


def questions() -> list[str]:
    """Every question of the evaluation set, answerable and unanswerable."""
    data = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return [item["q"] for item in data["answerable"]] + list(data["unanswerable"])


ENCODER_SETTINGS = {"default": "onnx", "reference": "sentence-transformers"}  # SUMMITBOT_ENCODER values


def make_encoder(kind: str, index_dir: Path) -> Encoder:
    """The encoder a run asks for (see the module docstring)."""
    from index.encoder import encoder_for

    if kind == "sentence-mean":
        from benchmarks.cached_vectors import SentenceMeanEncoder

        return SentenceMeanEncoder(encoder_for(ENCODER_SETTINGS["default"], index_dir))
    return encoder_for(ENCODER_SETTINGS[kind], index_dir)


def build(args: argparse.Namespace) -> dict[str, Any]:
    """Full build of ``--corpus``; the model is loaded before the clock starts."""
    from index.build import build_index

    encoder = make_encoder(args.encoder, args.index)
    started = time.perf_counter()
    encoder.encode(["load the model"])  # passages: loads the model, makes the ONNX export
    model_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = build_index(args.corpus, args.index, encoder, full=True)
    seconds = time.perf_counter() - started
    return {
        "passages": report.passages,
        "seconds": round(seconds, 2),
        "passages_per_second": round(report.passages / seconds, 1),
        "model_load_seconds": round(model_seconds, 2),
        **memory_mib(),
    }


def _recall(snapshot: Any, encoder: Encoder, texts: list[str]) -> dict[str, float]:
    """Recall of the dense index's top-k against exact search, for questions and random passages.

    A passage found counts when its exact score reaches the k-th best exact score, so repeated
    passages (equal scores) count whichever copy is returned.
    """
    rng = np.random.default_rng(SEED)
    vectors = snapshot.dense.vectors
    sample = rng.choice(len(vectors), size=min(RECALL_PASSAGE_QUERIES, len(vectors)), replace=False)
    questions_asked = [encoder.encode_questions([text])[0] for text in texts]  # one by one, as asked: no build path
    queries = np.vstack([*questions_asked, vectors[sample]])
    figures: dict[str, float] = {}
    for depth in RECALL_DEPTHS:
        found = []
        for query in queries:
            exact = vectors @ query
            kth_best = -np.partition(-exact, depth - 1)[depth - 1]
            approximate = snapshot.dense.search(query, depth)[0]
            found.append(float(np.sum(exact[approximate] >= kth_best - SCORE_TOLERANCE)) / depth)
        figures[f"recall_at_{depth}"] = round(float(np.mean(found)), 4)
    figures["recall_queries"] = len(queries)
    return figures


def _timed_answers(engine: Any, texts: list[str], repeats: int) -> tuple[list[float], list[Any]]:
    from bot.conversation import Conversation

    latencies, answers = [], []
    for round_number in range(repeats):
        for text in texts:
            started = time.perf_counter()
            answer = engine.ask(text, Conversation())
            latencies.append((time.perf_counter() - started) * 1000)
            if round_number == 0:
                answers.append(answer)
    return latencies, answers


def _top_texts(answer: Any) -> list[str]:
    """The best passages' words (not ids: a repeated passage may be found in any of its copies)."""
    return [hit.passage.text for hit in answer.hits[:TOP_HITS_COMPARED]]


def serve(args: argparse.Namespace) -> dict[str, Any]:
    """Load, answer the question set ``--repeats`` times, report latency, memory and optionally quality."""
    from benchmarks.measure import latency_summary
    from bot.conversation import Conversation
    from bot.engine import Engine
    from index.dense import DenseIndex

    texts = questions()
    encoder = make_encoder(args.encoder, args.index)
    engine = Engine(args.corpus, args.index, encoder)
    started = time.perf_counter()
    engine.ask(texts[0], Conversation())  # loads the model and the index
    result: dict[str, Any] = {"first_answer_seconds": round(time.perf_counter() - started, 2)}
    latencies, answers = _timed_answers(engine, texts, args.repeats)
    result.update(latency_summary(latencies))
    result.update(memory_mib())
    snapshot = engine.snapshot
    result["passages"] = len(snapshot.passages)
    result["approximate_dense_index"] = snapshot.dense.approximate
    if args.quality:
        from benchmarks.eval import evaluate

        figures, _ = evaluate(engine, json.loads(QUESTIONS_FILE.read_text(encoding="utf-8")))
        result["quality"] = figures
    if args.recall and snapshot.dense.approximate:
        result["recall"] = _recall(snapshot, encoder, texts)
        approximate_top = [_top_texts(answer) for answer in answers]
        snapshot.dense = DenseIndex(np.array(snapshot.dense.vectors), approximate_above=len(snapshot.passages))
        exact_latencies, exact_answers = _timed_answers(engine, texts, 1)
        result["recall"]["same_top5_as_exact"] = round(
            float(np.mean([a == _top_texts(b) for a, b in zip(approximate_top, exact_answers)])), 4
        )
        result["recall"]["exact_p50_ms"] = latency_summary(exact_latencies)["p50_ms"]
    return result


def ask(args: argparse.Namespace) -> dict[str, Any]:
    """What ``summitbot ask`` does, with a chosen encoder: check the index, answer, print."""
    from bot.engine import Engine

    engine = Engine(args.corpus, args.index, make_encoder(args.encoder, args.index))
    engine.prepare()
    answer = engine.ask(args.question)
    print(answer.text)
    return {"found": answer.found}


def main() -> None:
    """Parse the job and emit its result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=("build", "serve", "ask"))
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--encoder", choices=(*ENCODER_SETTINGS, "sentence-mean"), default="default")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quality", action="store_true", help="also run benchmarks.eval's measures")
    parser.add_argument("--recall", action="store_true", help="also measure approximate-index recall")
    parser.add_argument("question", nargs="?", default="")
    args = parser.parse_intermixed_args()  # the question may follow the options
    logging.basicConfig(level=logging.WARNING)
    emit({"build": build, "serve": serve, "ask": ask}[args.job](args))


if __name__ == "__main__":
    main()
