"""Example questions built from the articles the bot has, for greetings, /start, /help and the terminal.

Never a fixed list: a corpus about fishing quotas must not be offered "What did
Putin say about the truce?". The examples are an overview ("What is this
article about?") and what the most quoted people said about a word of the
headline over their words ("What did Putin say about Idlib?").
"""

from __future__ import annotations

import logging
import re
from collections import Counter

from index.lexical import tokenize
from index.passages import Passage
from index.store import Snapshot

logger = logging.getLogger(__name__)

EXAMPLE_COUNT = 3
MIN_TOPIC_CHARS = 4  # "war" and shorter words of a headline make poor topics
FALLBACK_EXAMPLES = ("Who was involved?", "Where did it happen?", "When did it happen?")
HEADLINE_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]")


def overview_example(article_count: int) -> str:
    """The overview question that fits the number of articles."""
    return "What is this article about?" if article_count == 1 else "What are the articles about?"


def _topic(speaker: str, passages: list[Passage], snapshot: Snapshot, spread: Counter[str]) -> str:
    """A headline word the speaker's own passages use, as it reads in running text ("the ceasefire").

    Words found in few passages overall are preferred: "the ceasefire" says more than "Idlib"
    in articles that are all about Idlib.
    """
    own = [p for p in passages if any(quote.speaker == speaker for quote in p.quotes)]
    spoken = Counter(term for p in own for term in set(tokenize(p.text)))
    bodies = {p.article: p for p in own}
    best, best_weight = "", 0.0
    for passage in bodies.values():
        for word in HEADLINE_WORD.findall(passage.title):
            terms = tokenize(word)
            if len(word) < MIN_TOPIC_CHARS or len(terms) != 1 or snapshot.people.find(word):
                continue
            weight = spoken[terms[0]] / max(spread[terms[0]], 1)
            if weight > best_weight:
                best, best_weight = _as_in_text(word, passage.article, passages), weight
    return best


def _as_in_text(word: str, article: str, passages: list[Passage]) -> str:
    """"the ceasefire" when the article writes it in lower case, "Idlib" when it is a name."""
    lower = word.lower()
    body = " ".join(p.text for p in passages if p.article == article and p.paragraph > 1)
    return f"the {lower}" if re.search(rf"\b{re.escape(lower)}\b", body) else word


def example_questions(snapshot: Snapshot, count: int = EXAMPLE_COUNT) -> list[str]:
    """Questions the articles can answer: an overview, then what their most quoted people said."""
    passages = snapshot.passages
    if not passages:
        return []
    questions = [overview_example(len(snapshot.manifest.articles))]
    quoted = Counter(quote.speaker for passage in passages for quote in passage.quotes if quote.speaker)
    spread = Counter(term for passage in passages for term in set(tokenize(passage.text)))
    for speaker, _ in quoted.most_common():
        if len(questions) >= count:
            break
        person = snapshot.people.find(speaker)
        name = person.surname if person else speaker
        topic = _topic(speaker, passages, snapshot, spread)
        questions.append(f"What did {name} say about {topic}?" if topic else f"What did {name} say?")
    return questions + list(FALLBACK_EXAMPLES[: count - len(questions)])
