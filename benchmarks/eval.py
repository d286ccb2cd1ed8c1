"""Answer-quality evaluation over the question set in ``benchmarks/questions.json``.

Run: ``python -m benchmarks.eval`` (builds the index on first use). Prints
Recall@1, Recall@3, MRR, answer accuracy (a gold phrase appears in the
answer), rejection rate of unanswerable questions and false rejections, and
writes them to ``benchmarks/results/eval.json``. ``--show-failures`` lists
the questions that missed.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from bot.conversation import Conversation
from bot.engine import Engine

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
QUESTIONS_FILE = HERE / "questions.json"
RESULTS_DIR = HERE / "results"
DEFAULT_CORPUS = HERE.parent / "corpus"
SEED_ARTICLE = "tehran-summit"


def _rank(answer_hits: list[Any], paragraphs: list[int]) -> int | None:
    for rank, hit in enumerate(answer_hits, start=1):
        if hit.passage.article == SEED_ARTICLE and hit.passage.paragraph in paragraphs:
            return rank
    return None


def evaluate(engine: Engine, questions: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    """Run every question on its own conversation; return the figures and the failures."""
    answerable = questions["answerable"]
    ranks, correct, false_rejections, failures = [], 0, 0, []
    for item in answerable:
        answer = engine.ask(item["q"], Conversation())
        rank = _rank(answer.hits, item["paragraphs"])
        ranks.append(rank)
        text = answer.text.casefold()
        hit = answer.found and any(phrase.casefold() in text for phrase in item["gold"])
        correct += hit
        false_rejections += not answer.found
        if not hit or rank != 1:
            failures.append(f"[rank {rank}, found {answer.found}] {item['q']}\n    {answer.text[:200]!r}")
    rejected = 0
    for question in questions["unanswerable"]:
        answer = engine.ask(question, Conversation())
        rejected += not answer.found
        if answer.found:
            failures.append(f"[answered] {question}\n    {answer.text[:200]!r}")
    total = len(answerable)
    figures = {
        "questions": total,
        "unanswerable_questions": len(questions["unanswerable"]),
        "recall_at_1": sum(r == 1 for r in ranks) / total,
        "recall_at_3": sum(r is not None and r <= 3 for r in ranks) / total,
        "mrr": sum(1 / r for r in ranks if r) / total,
        "answer_accuracy": correct / total,
        "unanswerable_rejected": rejected / len(questions["unanswerable"]),
        "false_rejections": false_rejections,
    }
    return figures, failures


def print_table(title: str, figures: dict[str, float]) -> None:
    """Print figures as a two-column table."""
    print(f"\n{title}")
    for name, value in figures.items():
        print(f"  {name:<26} {value:.3f}" if isinstance(value, float) else f"  {name:<26} {value}")


def main() -> None:
    """Build (if needed) and evaluate; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, help="index folder (default: a temporary one)")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch:
        engine = Engine(args.corpus, args.index or Path(scratch))
        engine.prepare()
        figures, failures = evaluate(engine, json.loads(QUESTIONS_FILE.read_text(encoding="utf-8")))
    print_table("Retrieval and answers (seed article)", figures)
    if args.show_failures and failures:
        print("\nMisses:\n" + "\n".join(failures))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "eval.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
