"""Benchmark worker for the recipe a user would copy from a tutorial: LangChain's FAISS store.

``HuggingFaceEmbeddings`` (langchain-huggingface) on the same model and
``FAISS`` (langchain-community) with default settings, over the same
passages as summitbot (one document per paragraph, headline first), saved
with ``save_local`` and loaded with ``load_local``. Its answer to a question
is the best passage, as a retriever returns it; it never declines to answer.
Needs the ``bench`` extra. Prints one JSON line, like ``benchmarks.ours``.

    python -m benchmarks.tutorial build --corpus DIR --store DIR [--cached-vectors]
    python -m benchmarks.tutorial serve --store DIR --repeats N [--quality]
    python -m benchmarks.tutorial ask --store DIR QUESTION
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.measure import emit, latency_summary, memory_mib
from benchmarks.ours import QUESTIONS_FILE, questions

logger = logging.getLogger(__name__)

TOP_K = 5


@dataclass(frozen=True)
class RetrievedPassage:
    """A document the store returned, with the fields the evaluation reads."""

    article: str
    paragraph: int
    text: str


@dataclass(frozen=True)
class RetrievedHit:
    """One ranked document."""

    passage: RetrievedPassage


@dataclass
class RetrievedAnswer:
    """The recipe's answer: the ranked documents, the best one as the text."""

    hits: list[RetrievedHit] = field(default_factory=list)
    found: bool = True

    @property
    def text(self) -> str:
        """The best passage, as the recipe shows it."""
        return self.hits[0].passage.text if self.hits else ""


def embeddings() -> Any:
    """HuggingFaceEmbeddings on the bundled copy of all-MiniLM-L6-v2 (the tutorial names the hub id)."""
    from langchain_huggingface import HuggingFaceEmbeddings

    from index.encoder import model_path

    return HuggingFaceEmbeddings(model_name=str(model_path()))


class TutorialPipeline:
    """Question → ``similarity_search`` → best passage, with ``Engine.ask``'s signature for benchmarks.eval."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def ask(self, question: str, conversation: object = None) -> RetrievedAnswer:
        """The top documents for ``question``; ``conversation`` is ignored (the recipe has none)."""
        documents = self.store.similarity_search(question, k=TOP_K)
        return RetrievedAnswer(
            [RetrievedHit(RetrievedPassage(d.metadata["article"], d.metadata["paragraph"], d.page_content)) for d in documents]
        )


def load_pipeline(store_dir: Path) -> TutorialPipeline:
    """``FAISS.load_local`` as the tutorials write it."""
    from langchain_community.vectorstores import FAISS

    store = FAISS.load_local(str(store_dir), embeddings(), allow_dangerous_deserialization=True)
    return TutorialPipeline(store)


def build(args: argparse.Namespace) -> dict[str, Any]:
    """Documents per paragraph, embedded into a FAISS store and saved; the model loads before the clock."""
    from langchain_community.vectorstores import FAISS

    from index.articles import load_corpus

    model = embeddings()
    started = time.perf_counter()
    texts, metadatas = [], []
    for article in load_corpus(args.corpus):
        for number, text in enumerate([article.title, *article.paragraphs], start=1):
            texts.append(text)
            metadatas.append({"article": article.id, "paragraph": number})
    if args.cached_vectors:
        from benchmarks.cached_vectors import SentenceMeanEncoder
        from index.encoder import default_encoder

        vectors = SentenceMeanEncoder(default_encoder()).encode(texts).tolist()
        store = FAISS.from_embeddings(list(zip(texts, vectors)), model, metadatas=metadatas)
    else:
        store = FAISS.from_texts(texts, model, metadatas=metadatas)
    store.save_local(str(args.store))
    seconds = time.perf_counter() - started
    return {
        "passages": len(texts),
        "seconds": round(seconds, 2),
        "passages_per_second": round(len(texts) / seconds, 1),
        **memory_mib(),
    }


def serve(args: argparse.Namespace) -> dict[str, Any]:
    """Load the store, answer the question set ``--repeats`` times, report latency and memory."""
    texts = questions()
    started = time.perf_counter()
    pipeline = load_pipeline(args.store)
    pipeline.ask(texts[0])
    result: dict[str, Any] = {"first_answer_seconds": round(time.perf_counter() - started, 2)}
    latencies = []
    for _ in range(args.repeats):
        for text in texts:
            started = time.perf_counter()
            pipeline.ask(text)
            latencies.append((time.perf_counter() - started) * 1000)
    result.update(latency_summary(latencies))
    result.update(memory_mib())
    if args.quality:
        from benchmarks.eval import evaluate

        figures, _ = evaluate(pipeline, json.loads(QUESTIONS_FILE.read_text(encoding="utf-8")))  # type: ignore[arg-type]
        result["quality"] = figures
    return result


def ask(args: argparse.Namespace) -> dict[str, Any]:
    """A fresh process answering one question, as a tutorial script would."""
    answer = load_pipeline(args.store).ask(args.question)
    print(answer.text)
    return {"found": answer.found}


def main() -> None:
    """Parse the job and emit its result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("job", choices=("build", "serve", "ask"))
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--cached-vectors", action="store_true", help="passage vectors from cached sentence vectors")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("question", nargs="?", default="")
    args = parser.parse_intermixed_args()  # the question may follow the options
    logging.basicConfig(level=logging.WARNING)
    emit({"build": build, "serve": serve, "ask": ask}[args.job](args))


if __name__ == "__main__":
    main()
