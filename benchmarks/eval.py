"""Answer-quality evaluation over the question set in ``benchmarks/questions.json``.

Run: ``python -m benchmarks.eval`` (builds the index on first use). Six sections:

* retrieval and answers, per article: Recall@1, Recall@3, MRR, answer
  accuracy (a gold phrase appears in the answer), false rejections, and for
  the seed article the rejection rate of unanswerable questions;
* speakers: the attributed speaker of every quote (and of reported speech)
  in the listed articles, and which person each description names;
* follow-ups: multi-turn conversations, with turn accuracy, conversation pass
  rate and the time :func:`bot.conversation.resolve` takes per turn;
* many outlets (``benchmarks/many_outlets.py``): the seed corpus with eleven
  outlets' coverage of the same event, read and asked as a user would
  (``--section outlets`` runs only this one);
* first questions (``benchmarks/first_questions.py``): overviews, small talk,
  other languages, things the articles don't say, capitals, yes/no questions
  (``--section first``).

The figures are printed and written to ``benchmarks/results/eval.json``;
``--show-failures`` lists what missed.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import logging
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import first_questions, many_outlets
from bot.conversation import Conversation, resolve
from bot.engine import Engine, favoured_speaker
from bot.question import analyse
from bot.settings import Settings
from index.encoder import default_encoder
from index.qdrant_store import QdrantPassages
from index.articles import load_article
from index.passages import split_passages
from index.language.directory import PeopleDirectory

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
REPO = HERE.parent
QUESTIONS_FILE = HERE / "questions.json"
RESULTS_DIR = HERE / "results"
DEFAULT_CORPUS = REPO / "corpus"
ADDED_ARTICLE = REPO / "tests" / "data" / "un-envoy-idlib-warning.md"  # illustrative, so not shipped in corpus/
SEED_ARTICLE = "tehran-summit"
MICROSECONDS = 1_000_000


def _rank(answer_hits: list[Any], article: str, paragraphs: list[int]) -> int | None:
    for rank, hit in enumerate(answer_hits, start=1):
        if hit.passage.article == article and hit.passage.paragraph in paragraphs:
            return rank
    return None


def evaluate_retrieval(engine: Engine, items: list[dict[str, Any]], article: str) -> tuple[dict[str, float], list[str]]:
    """Ask each question of one article on its own conversation; return the figures and the failures."""
    ranks, correct, false_rejections, failures = [], 0, 0, []
    for item in items:
        answer = engine.ask(item["q"], Conversation())
        rank = _rank(answer.hits, article, item["paragraphs"])
        ranks.append(rank)
        text = answer.text.casefold()
        hit = answer.found and any(phrase.casefold() in text for phrase in item["gold"])
        correct += hit
        false_rejections += not answer.found
        if not hit or rank != 1:
            failures.append(f"[rank {rank}, found {answer.found}] {item['q']}\n    {answer.text[:200]!r}")
    total = len(items)
    figures = {
        "questions": total,
        "recall_at_1": sum(r == 1 for r in ranks) / total,
        "recall_at_3": sum(r is not None and r <= 3 for r in ranks) / total,
        "mrr": sum(1 / r for r in ranks if r) / total,
        "answer_accuracy": correct / total,
        "false_rejections": false_rejections,
    }
    return figures, failures


def evaluate(engine: Engine, questions: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    """The seed article's figures: its questions, and the unanswerable ones that must be declined."""
    seed = [item for item in questions["answerable"] if item.get("article", SEED_ARTICLE) == SEED_ARTICLE]
    figures, failures = evaluate_retrieval(engine, seed, SEED_ARTICLE)
    declined = 0
    for question in questions["unanswerable"]:
        answer = engine.ask(question, Conversation())
        declined += not answer.found
        if answer.found:
            failures.append(f"[answered] {question}\n    {answer.text[:200]!r}")
    total = len(questions["unanswerable"])
    return {**figures, "unanswerable_questions": total, "unanswerable_rejected": declined / total}, failures


RANKINGS = {
    "dense only": lambda hit: hit.dense,
    "lexical only": lambda hit: hit.lexical,
    "fused": lambda hit: hit.relevance,
    "fused + speaker": lambda hit: hit.score,
}


SERVER_SIDE_PARTS = ("dense only", "lexical only")


def evaluate_fusion(engine: Engine, items: list[dict[str, Any]]) -> dict[str, float]:
    """Recall@1 and MRR of the seed questions ranked by each part of the hybrid score alone."""
    searcher = engine.searcher
    figures: dict[str, float] = {}
    for name, key in RANKINGS.items():
        if searcher.remote is not None and name in SERVER_SIDE_PARTS:
            continue  # Qdrant fuses on the server: the parts never reach the engine
        first, reciprocal = 0, 0.0
        for item in items:
            speaker = favoured_speaker(analyse(item["q"], searcher.snapshot.people, searcher.snapshot.lexical.vocabulary))
            hits = searcher.search(item["q"], len(searcher.snapshot.passages), speaker=speaker)
            ranked = sorted(hits, key=key, reverse=True)
            rank = _rank(ranked, SEED_ARTICLE, item["paragraphs"])
            first += rank == 1
            reciprocal += 1 / rank if rank else 0.0
        figures[f"{name}: recall_at_1"] = first / len(items)
        figures[f"{name}: mrr"] = reciprocal / len(items)
    return figures


def evaluate_speakers(articles: list[dict[str, Any]]) -> tuple[dict[str, float], list[str]]:
    """Check the speaker of every quote, of reported speech, and whom names and descriptions refer to."""
    quotes_right = quotes_total = reported_right = references_right = references_total = 0
    failures = []
    for gold in articles:
        passages, people = split_passages(load_article(REPO / gold["article"]))
        found = [(p.paragraph, q.text, q.speaker) for p in passages for q in p.quotes]
        expected = {(q["paragraph"], q["starts"]): q["speaker"] for q in gold["quotes"]}
        for paragraph, text, speaker in found:
            key = next((k for k in expected if k[0] == paragraph and text.startswith(k[1])), None)
            if key is not None and expected[key] == speaker:
                quotes_right += 1
            else:
                wanted = expected.get(key) if key else "(not a listed quote)"
                failures.append(f"[quote] {gold['article']} ¶{paragraph} {text[:40]!r}: {speaker}, expected {wanted}")
        quotes_total += max(len(found), len(expected))
        if len(found) < len(expected):
            failures.append(f"[quote] {gold['article']}: {len(expected) - len(found)} listed quotes were not found")
        by_paragraph = {p.paragraph: p.speaker for p in passages}
        for item in gold["reported"]:
            if by_paragraph.get(item["paragraph"]) == item["speaker"]:
                reported_right += 1
            else:
                found_speaker = by_paragraph.get(item["paragraph"])
                failures.append(f"[reported] {gold['article']} ¶{item['paragraph']}: {found_speaker}")
        directory = PeopleDirectory(people)
        for reference in gold["references"]:
            named = directory.names_in(reference["text"])
            references_total += 1
            if named == [reference["person"]]:
                references_right += 1
            else:
                failures.append(f"[reference] {reference['text']!r} names {named}, expected {reference['person']}")
    reported_total = sum(len(gold["reported"]) for gold in articles)
    figures = {
        "articles": len(articles),
        "quotes": quotes_total,
        "quote_speaker_accuracy": quotes_right / quotes_total,
        "reported_speech": reported_total,
        "reported_speaker_accuracy": reported_right / reported_total,
        "references": references_total,
        "reference_accuracy": references_right / references_total,
    }
    return figures, failures


def _turn_passes(turn: dict[str, Any], answer: Any) -> bool:
    text = answer.text.casefold()
    return (
        ("query" not in turn or answer.query == turn["query"])
        and ("found" not in turn or answer.found == turn["found"])
        and all(phrase.casefold() in text for phrase in turn.get("gold", []))
        and not any(phrase.casefold() in text for phrase in turn.get("absent", []))
    )


def evaluate_conversations(engine: Engine, conversations: list[dict[str, Any]]) -> tuple[dict[str, float], list[str]]:
    """Play each conversation turn by turn; time the follow-up resolution of every turn."""
    snapshot = engine.snapshot
    turns_right = turns_total = passed = 0
    timings: list[float] = []
    failures = []
    for conversation_spec in conversations:
        conversation = Conversation()
        all_right = True
        for turn in conversation_spec["turns"]:
            probe = copy.deepcopy(conversation)
            started = time.perf_counter()
            resolve(turn["q"], probe, snapshot.people, snapshot.lexical.vocabulary)
            timings.append(time.perf_counter() - started)
            answer = engine.ask(turn["q"], conversation)
            turns_total += 1
            if _turn_passes(turn, answer):
                turns_right += 1
            else:
                all_right = False
                failures.append(
                    f"[turn] {conversation_spec['name']}: {turn['q']!r} → query {answer.query!r}, "
                    f"found {answer.found}\n    {answer.text[:240]!r}"
                )
        passed += all_right
    figures = {
        "conversations": len(conversations),
        "turns": turns_total,
        "turn_accuracy": turns_right / turns_total,
        "conversation_pass_rate": passed / len(conversations),
        "resolve_mean_us": statistics.fmean(timings) * MICROSECONDS,
        "resolve_p95_us": statistics.quantiles(timings, n=20, method="inclusive")[-1] * MICROSECONDS,
        "resolve_max_us": max(timings) * MICROSECONDS,
    }
    return figures, failures


def print_table(title: str, figures: dict[str, float]) -> None:
    """Print figures as a two-column table."""
    print(f"\n{title}")
    for name, value in figures.items():
        print(f"  {name:<44} {value:.3f}" if isinstance(value, float) else f"  {name:<44} {value}")


def evaluation_corpus(folder: Path) -> Path:
    """The shipped corpus with our second article added, as a user would add one."""
    folder.mkdir(parents=True)
    for article in [*DEFAULT_CORPUS.iterdir(), ADDED_ARTICLE]:
        shutil.copy(article, folder)
    return folder


def make_engine(corpus: Path, index: Path, name: str, fusion: str = "formula") -> Engine:
    """An engine over ``corpus``; with SUMMITBOT_QDRANT_PATH/URL set, searching Qdrant (collection ``eval_<name>``)."""
    settings = Settings.from_env()
    if settings.qdrant is None:
        return Engine(corpus, index)
    encoder = default_encoder()
    config = dataclasses.replace(settings.qdrant, collection=f"eval_{name}", fusion=fusion)
    if config.path:  # local mode locks its folder: one per engine
        config = dataclasses.replace(config, path=str(Path(config.path) / name))
    return Engine(corpus, index, encoder, QdrantPassages(config, encoder.dimension))


def seed_sections(args: argparse.Namespace, scratch: Path) -> tuple[dict[str, dict[str, float]], list[str]]:
    """The seed corpus's sections: retrieval and answers, fusion, speakers, follow-ups."""
    questions = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    others: dict[str, list[dict[str, Any]]] = {}
    for item in questions["answerable"]:
        if item.get("article", SEED_ARTICLE) != SEED_ARTICLE:
            others.setdefault(item["article"], []).append(item)
    sections: dict[str, dict[str, float]] = {}
    corpus = args.corpus or evaluation_corpus(scratch / "corpus")
    engine = make_engine(corpus, args.index or scratch / "index", "seed", args.fusion)
    engine.prepare()
    indexed = set(engine.snapshot.manifest.articles)
    sections["Retrieval and answers (seed article)"], failures = evaluate(engine, questions)
    seed_items = [item for item in questions["answerable"] if item.get("article", SEED_ARTICLE) == SEED_ARTICLE]
    sections["What the fusion does (seed questions, by score part)"] = evaluate_fusion(engine, seed_items)
    for article, items in others.items():
        if article in indexed:  # --corpus may point at a corpus without it
            sections[f"Retrieval and answers ({article})"], missed = evaluate_retrieval(engine, items, article)
            failures += missed
    sections["Speakers (every quote of the listed articles)"], missed = evaluate_speakers(questions["speakers"])
    failures += missed
    if set(others) <= indexed:
        sections["Follow-up conversations"], missed = evaluate_conversations(engine, questions["conversations"])
        failures += missed
    return sections, failures


def outlets_sections(scratch: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The many-outlets sections: reading, answers, per category, follow-ups (files a loader refuses are reported)."""
    questions = many_outlets.load_questions()
    copied = many_outlets.make_corpus(questions, scratch / "outlets-corpus")
    engine = make_engine(scratch / "outlets-corpus", scratch / "outlets-index", "outlets")
    try:
        engine.prepare()
    except Exception as exc:  # a corpus the product cannot build is a figure too, not a crash of the evaluation
        logger.exception("The many-outlets corpus could not be built")
        return {"Many outlets: reading": {"files": len(copied), "build_error": f"{type(exc).__name__}: {exc}"}}, []
    snapshot = engine.snapshot
    sections: dict[str, dict[str, Any]] = {}
    sections["Many outlets: reading"], failures = many_outlets.evaluate_reading(
        copied, snapshot.manifest.articles, list(snapshot.passages), questions
    )
    sections["Many outlets: speakers"], missed = many_outlets.evaluate_speakers(list(snapshot.passages), questions)
    failures += missed
    answers, per_category, missed = many_outlets.evaluate_answers(lambda q: engine.ask(q, Conversation()), questions)
    sections["Many outlets: retrieval and answers"] = answers
    sections["Many outlets: per category"] = per_category
    failures += missed
    sections["Many outlets: follow-up conversations"], missed = evaluate_conversations(engine, questions["conversations"])
    failures += [f"[outlets] {line}" for line in missed]
    return sections, failures


def first_sections(scratch: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The first-questions section: the bundled article alone, and with our second article."""
    seed_corpus = scratch / "first-seed-corpus"
    seed_corpus.mkdir()
    for article in DEFAULT_CORPUS.iterdir():
        shutil.copy(article, seed_corpus)
    seed = Engine(seed_corpus, scratch / "first-seed-index")
    several = Engine(evaluation_corpus(scratch / "first-corpus"), scratch / "first-index")
    for engine in (seed, several):
        engine.prepare()
    figures, failures = first_questions.evaluate(seed, several, first_questions.load_questions())
    return {"First questions (overviews, small talk, other languages, not in the articles)": figures}, failures


def main() -> None:
    """Build (if needed) and evaluate; print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/ plus a second article of our own)")
    parser.add_argument("--index", type=Path, help="index folder (default: a temporary one)")
    parser.add_argument(
        "--section",
        choices=("all", "seed", "outlets", "first"),
        default="all",
        help="which sections to run (default: all)",
    )
    parser.add_argument(
        "--fusion",
        choices=("formula", "rrf", "dbsf"),
        default="formula",
        help="with SUMMITBOT_QDRANT_PATH/URL: fuse on the server by the engine's formula (default) or Qdrant's RRF/DBSF",
    )
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sections: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        if args.section in ("all", "seed"):
            found, missed = seed_sections(args, Path(scratch))
            sections |= found
            failures += missed
        if args.section in ("all", "outlets"):
            found, missed = outlets_sections(Path(scratch))
            sections |= found
            failures += missed
        if args.section in ("all", "first"):
            found, missed = first_sections(Path(scratch))
            sections |= found
            failures += missed
    for title, figures in sections.items():
        print_table(title, figures)
    if args.show_failures and failures:
        print("\nMisses:\n" + "\n".join(failures))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "eval.json").write_text(json.dumps(sections, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
