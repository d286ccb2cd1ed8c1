"""The first-questions section of the evaluation: overviews, small talk, other languages, things not in the articles.

Run: ``python -m benchmarks.eval --section first``. The questions are in
``benchmarks/first_questions.json``; most are asked of the bundled article
alone, as a new user would. What counts as right:

* overview: found, with the right article's headline and the start of its lead
  (one article), or one line per article with every expected headline (several);
* small talk and questions about the bot: not found, the articles' dates named,
  example questions offered, never "the articles don't answer that";
* another language: not found, the reply says the bot reads English;
* a person or thing the articles name, asked about something they don't say:
  not found (refused, or "quoted, but not about that");
* a capital for its government: found, with the expected words;
* a yes/no question: found, led by what the articles report.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Callable

from bot.conversation import Conversation
from bot.engine import YES_NO_LEAD, Engine

logger = logging.getLogger(__name__)

QUESTIONS_FILE = Path(__file__).parent / "first_questions.json"
LEAD_PREFIX_CHARS = 60  # the start of a lead is enough to know it is there
NOT_AN_ANSWER = "don't answer that"

Check = Callable[[Any], bool]


def load_questions() -> dict[str, Any]:
    """The first-questions set."""
    return json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))


def headline_and_lead(engine: Engine, article: str) -> tuple[str, str]:
    """An article's headline and the start of its lead, as the index holds them."""
    passages = sorted((p for p in engine.snapshot.passages if p.article == article), key=lambda p: p.paragraph)
    return passages[0].text, passages[1].text[:LEAD_PREFIX_CHARS]


def _score(engine: Engine, name: str, items: list[tuple[str, Check]]) -> tuple[float, list[str]]:
    right, failures = 0, []
    for question, check in items:
        answer = engine.ask(question, Conversation())
        if check(answer):
            right += 1
        else:
            failures.append(f"[first, {name}, found {answer.found}] {question}\n    {answer.text[:240]!r}")
    return right / len(items), failures


def evaluate(seed_engine: Engine, several_engine: Engine, questions: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Every category's share of right replies, and what missed."""
    headline, lead = headline_and_lead(seed_engine, seed_engine.snapshot.passages[0].article)
    articles = {a: headline_and_lead(several_engine, a) for a in several_engine.snapshot.manifest.articles}

    def one_overview(answer: Any) -> bool:
        return answer.found and answer.text.startswith(f"“{headline}”") and lead in answer.text

    def several(item: dict[str, Any]) -> Check:
        def check(answer: Any) -> bool:
            wanted = [articles[a] for a in item["articles"]]
            others = [articles[a][0] for a in articles if a not in item["articles"]]
            shown = all(h in answer.text and (not item.get("single") or l in answer.text) for h, l in wanted)
            return answer.found and shown and not any(h in answer.text for h in others)

        return check

    def chat(answer: Any) -> bool:
        return not answer.found and bool(getattr(answer, "suggestions", None)) and NOT_AN_ANSWER not in answer.text

    def foreign(answer: Any) -> bool:
        return not answer.found and "English" in answer.text and NOT_AN_ANSWER not in answer.text

    def refused(answer: Any) -> bool:
        return not answer.found

    def answered(gold: list[str]) -> Check:
        return lambda answer: answer.found and all(g.casefold() in answer.text.casefold() for g in gold)

    def reported(gold: list[str]) -> Check:
        return lambda answer: answered(gold)(answer) and answer.text.startswith(YES_NO_LEAD)

    categories: dict[str, tuple[Engine, list[tuple[str, Check]]]] = {
        "overviews (one article)": (seed_engine, [(q, one_overview) for q in questions["overviews"]]),
        "overviews (two articles)": (several_engine, [(i["q"], several(i)) for i in questions["overviews_several"]]),
        "small talk and questions about the bot": (seed_engine, [(q, chat) for q in questions["small_talk"]]),
        "other languages": (seed_engine, [(i["q"], foreign) for i in questions["other_languages"]]),
        "known person or thing, not what was asked": (seed_engine, [(q, refused) for q in questions["not_in_articles"]]),
        "capitals for governments": (seed_engine, [(i["q"], answered(i["gold"])) for i in questions["capitals"]]),
        "yes/no questions": (seed_engine, [(i["q"], reported(i["gold"])) for i in questions["yes_no"]]),
    }
    figures: dict[str, Any] = {}
    failures: list[str] = []
    for name, (engine, items) in categories.items():
        share, missed = _score(engine, name, items)
        figures[f"{name} ({len(items)}): right"] = share
        failures += missed
    figures["languages"] = len({i["language"] for i in questions["other_languages"]})
    return figures, failures
