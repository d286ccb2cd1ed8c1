"""The many-outlets section of the evaluation: coverage of one event by many outlets.

The corpus is the seed corpus, the follow-up article and ``tests/data/outlets/``
(eleven outlets' reports, saved as people save them; see its README). Questions
are in ``benchmarks/outlets_questions.json``:

* how the articles were read: files the loaders refused, titles and dates
  read right, passages that are site chrome;
* speakers: who each listed quote is attributed to, and whether each person
  keeps one name across the articles (titles, spellings, shared surnames);
* answers: accuracy, retrieval (Recall@1/3, MRR), false rejections and
  refusals of unanswerable questions, overall and per category.

An answer is right when it is found and contains one of its ``gold`` phrases,
none of its ``absent`` phrases, each ``once`` phrase exactly once (a quote
reported by several outlets shown once) and every name in ``outlets``. A hit
is relevant when it comes from one of the question's ``articles`` and its text
contains one of its ``evidence`` phrases (its gold phrases by default), so
the figures do not depend on how a loader numbers paragraphs.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Callable

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
REPO = HERE.parent
QUESTIONS_FILE = HERE / "outlets_questions.json"
ARTICLE_SUFFIXES = (".md", ".txt", ".html", ".htm")
NOT_ARTICLES = frozenset({"readme.md"})
SHOWN_CHARS = 240
TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})

Ask = Callable[[str], Any]  # a question on a fresh conversation → an Answer


def load_questions(path: Path = QUESTIONS_FILE) -> dict[str, Any]:
    """The question file as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))


def article_files(questions: dict[str, Any], repo: Path = REPO) -> list[Path]:
    """Every article file of the many-outlets corpus (folders are listed, READMEs left out)."""
    files: list[Path] = []
    for name in questions["folders"]:
        path = repo / name
        children = sorted(path.iterdir()) if path.is_dir() else [path]
        files += [p for p in children if p.suffix.lower() in ARTICLE_SUFFIXES and p.name.lower() not in NOT_ARTICLES]
    return files


def make_corpus(questions: dict[str, Any], folder: Path) -> list[Path]:
    """Copy the corpus into ``folder`` as a user would gather it; return the copied files."""
    folder.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(path, folder)) for path in article_files(questions)]


def check_questions(questions: dict[str, Any], repo: Path = REPO) -> list[str]:
    """Problems of the question file: unknown articles, phrases no listed article contains."""
    texts = {path.stem: path.read_text(encoding="utf-8").casefold() for path in article_files(questions, repo)}
    problems = [f"no file for listed article {name}" for name in questions["articles"] if name not in texts]
    for item in questions["answerable"]:
        unknown = [name for name in item["articles"] if name not in texts]
        if unknown:
            problems.append(f"{item['q']!r}: unknown articles {unknown}")
            continue
        for phrase in item.get("evidence", item["gold"]) + item.get("once", []):
            if not any(phrase.casefold() in texts[name] for name in item["articles"]):
                problems.append(f"{item['q']!r}: no listed article contains {phrase!r}")
    for quote in questions["quotes"]:
        text = texts.get(quote["article"], "")
        if comparable(quote["starts"]) not in comparable(text):
            problems.append(f"quote {quote['starts']!r}: not in {quote['article']}")
    return problems


def comparable(text: str) -> str:
    """Text folded for comparison: case and curly quotes do not count."""
    return text.translate(TYPOGRAPHY).casefold()


def _relevant(hit: Any, item: dict[str, Any]) -> bool:
    text = hit.passage.text.casefold()
    evidence = item.get("evidence", item["gold"])
    return hit.passage.article in item["articles"] and any(phrase.casefold() in text for phrase in evidence)


def rank_of(hits: list[Any], item: dict[str, Any]) -> int | None:
    """Rank (from 1) of the first relevant hit, or None."""
    return next((rank for rank, hit in enumerate(hits, start=1) if _relevant(hit, item)), None)


def answer_is_right(item: dict[str, Any], found: bool, text: str) -> bool:
    """Found, with a gold phrase, no absent phrase, each once-phrase once and every outlet named."""
    folded = text.casefold()
    return (
        found
        and any(phrase.casefold() in folded for phrase in item["gold"])
        and not any(phrase.casefold() in folded for phrase in item.get("absent", []))
        and all(folded.count(phrase.casefold()) == 1 for phrase in item.get("once", []))
        and all(name.casefold() in folded for name in item.get("outlets", []))
    )


def _ask(ask: Ask, question: str) -> tuple[Any | None, str]:
    """The answer, or None and the error's one-line description (a crash is a wrong answer)."""
    try:
        return ask(question), ""
    except Exception as exc:  # the evaluation reports a crash and goes on with the next question
        logger.exception("Asking %r failed", question)
        return None, f"{type(exc).__name__}: {exc}"


def evaluate_answers(ask: Ask, questions: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float], list[str]]:
    """Overall figures, per-category figures and the misses of every question."""
    ranks: list[int | None] = []
    right: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    failures: list[str] = []
    false_rejections = errors = 0
    for item in questions["answerable"]:
        answer, error = _ask(ask, item["q"])
        category = item["category"]
        asked[category] += 1
        if answer is None:
            errors += 1
            ranks.append(None)
            failures.append(f"[outlets, {category}, error] {item['q']}\n    {error}")
            continue
        rank = rank_of(answer.hits, item)
        ranks.append(rank)
        correct = answer_is_right(item, answer.found, answer.text)
        right[category] += correct
        false_rejections += not answer.found
        if not correct or rank != 1:
            failures.append(
                f"[outlets, {category}, rank {rank}, found {answer.found}] {item['q']}\n    {answer.text[:SHOWN_CHARS]!r}"
            )
    refused: Counter[str] = Counter()
    for item in questions["unanswerable"]:
        answer, error = _ask(ask, item["q"])
        category = f"unanswerable, {item['category']}"
        asked[category] += 1
        if answer is None:
            errors += 1
            failures.append(f"[outlets, {category}, error] {item['q']}\n    {error}")
        elif answer.found:
            failures.append(f"[outlets, {category}, answered] {item['q']}\n    {answer.text[:SHOWN_CHARS]!r}")
        else:
            refused[category] += 1
    total = len(questions["answerable"])
    unanswerable = len(questions["unanswerable"])
    figures: dict[str, Any] = {
        "questions": total,
        "answer_accuracy": sum(right.values()) / total,
        "recall_at_1": sum(r == 1 for r in ranks) / total,
        "recall_at_3": sum(r is not None and r <= 3 for r in ranks) / total,
        "mrr": sum(1 / r for r in ranks if r) / total,
        "false_rejections": false_rejections,
        "unanswerable_questions": unanswerable,
        "unanswerable_rejected": sum(refused.values()) / unanswerable,
        "errors": errors,
    }
    per_category: dict[str, float] = {}
    for category, count in asked.items():
        share = refused[category] if category.startswith("unanswerable") else right[category]
        label = "refused" if category.startswith("unanswerable") else "accuracy"
        per_category[f"{category} ({count}): {label}"] = share / count
    return figures, per_category, failures


def evaluate_reading(
    copied: list[Path], manifest_articles: dict[str, Any], passages: list[Any], questions: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Which files were refused, whose title and date were read right, and chrome left in passages."""
    refused = sorted(path.name for path in copied if path.stem not in manifest_articles)
    expected = questions["articles"]
    failures = [f"[outlets, reading] refused or skipped: {name}" for name in refused]
    titles = dates = 0
    for name, want in expected.items():
        entry = manifest_articles.get(name)
        if entry is None:
            continue
        if " ".join(entry.title.split()).casefold() == want["title"].casefold():
            titles += 1
        else:
            failures.append(f"[outlets, title] {name}: {entry.title[:120]!r}, expected {want['title']!r}")
        if entry.date == want["date"]:
            dates += 1
        else:
            failures.append(f"[outlets, date] {name}: {entry.date!r}, expected {want['date']}")
    by_article: dict[str, list[str]] = defaultdict(list)
    for passage in passages:
        by_article[passage.article].append(passage.text.casefold())
    chrome = 0
    for name, want in expected.items():
        for marker in want["chrome"]:
            leaked = sum(marker.casefold() in text for text in by_article.get(name, []))
            chrome += leaked
            if leaked:
                failures.append(f"[outlets, chrome] {name}: {marker!r} in {leaked} passage(s)")
    figures: dict[str, Any] = {
        "files": len(copied),
        "articles_indexed": len(manifest_articles),
        "passages": len(passages),
        "files_refused": len(refused),
        "refused": ", ".join(refused) or "none",
        "titles_right": titles / len(expected),
        "dates_right": dates / len(expected),
        "chrome_passages": chrome,
    }
    return figures, failures


def evaluate_speakers(passages: list[Any], questions: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    """The speaker of every listed quote, and how many people keep one name across all their quotes."""
    found: dict[tuple[str, str], str | None] = {}
    for passage in passages:
        for quote in passage.quotes:
            for listed in questions["quotes"]:
                key = (listed["article"], listed["starts"])
                if passage.article == listed["article"] and comparable(quote.text).startswith(comparable(listed["starts"])):
                    found.setdefault(key, quote.speaker)
    right = 0
    names: dict[str, set[str | None]] = defaultdict(set)
    failures = []
    for listed in questions["quotes"]:
        key = (listed["article"], listed["starts"])
        person = listed["speaker"][0]
        if key not in found:
            names[person].add(None)
            failures.append(f"[outlets, quote] {listed['article']}: {listed['starts']!r} not found as a quote")
            continue
        names[person].add(found[key])
        if found[key] in listed["speaker"]:
            right += 1
        else:
            failures.append(f"[outlets, quote] {listed['article']}: {listed['starts']!r} → {found[key]}, expected {person}")
    one_name = [person for person, given in names.items() if len(given) == 1 and None not in given]
    failures += [f"[outlets, names] {person} is given as {sorted(map(str, given))}" for person, given in names.items() if person not in one_name]
    figures = {
        "quotes": len(questions["quotes"]),
        "quote_speaker_accuracy": right / len(questions["quotes"]),
        "people": len(names),
        "people_with_one_name": len(one_name) / len(names),
    }
    return figures, failures
