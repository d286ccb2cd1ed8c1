"""Replies to messages that are not questions about the news: chat, questions about the bot, other languages.

Each reply is short and friendly, says what the bot knows (the articles, with
their dates) and offers example questions built from those articles
(:mod:`bot.examples`), which Telegram shows as buttons to tap. None of them
is an answer from the articles, so ``found`` is false.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Callable

from bot.answer import Answer, human_date
from bot.examples import example_questions
from bot.intents import ABOUT_BOT, GOODBYE, GREETING, SMALL_TALK, THANKS, message_kind
from bot.languages import is_english
from index.store import Snapshot

logger = logging.getLogger(__name__)

TITLES_SHOWN = 3
HOW_ARE_YOU = re.compile(r"\bhow\s+are\s+you|how'?s\s+it\s+going\b", re.IGNORECASE)
WHAT_I_DO = "I answer questions about news articles with the articles' own words: who said what, quoted and cited."
FOLLOW_UPS = "Follow-ups such as “Why?”, “Who else?” or “More” continue a conversation."


@dataclass
class Reply(Answer):
    """A reply that is not an answer from the articles, with example questions to offer."""

    suggestions: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The reply, then the examples, one per line."""
        lines = [self.note]
        if self.suggestions:
            lines.append("You could ask:")
            lines += [f"  • {question}" for question in self.suggestions]
        return "\n".join(lines)


def articles_known(snapshot: Snapshot) -> str:
    """"I know 2 articles: “…” (7 September 2018) and “…” (11 September 2018)."."""
    entries = list(snapshot.manifest.articles.values())
    if not entries:
        return "I have no articles yet."
    entries.sort(key=lambda entry: entry.date, reverse=True)
    shown = [f"“{entry.title}” ({human_date(entry.date) or 'undated'})" for entry in entries[:TITLES_SHOWN]]
    more = f" and {len(entries) - len(shown)} more" if len(entries) > len(shown) else ""
    listed = shown[0] if len(shown) == 1 else f"{'; '.join(shown[:-1])} and {shown[-1]}"
    noun = "article" if len(entries) == 1 else "articles"
    return f"I know {len(entries)} {noun}: {listed}{more}."


def _small_talk_opening(message: str) -> str:
    if THANKS.search(message):
        return "You're welcome!"
    if GOODBYE.search(message):
        return "Goodbye! Come back any time."
    if HOW_ARE_YOU.search(message):
        return "I'm fine, thank you: ready for your questions."
    if GREETING.search(message):
        return "Hello!"
    return "All right."


def chat_reply(question: str, snapshot: Snapshot, known: Callable[[str], bool] = lambda word: False) -> Reply | None:
    """The reply to small talk, a question about the bot, or a question not in English; None for a question."""
    kind = message_kind(question)
    if kind == SMALL_TALK:
        opening = _small_talk_opening(question)
        note = f"{opening} {WHAT_I_DO} {articles_known(snapshot)}" if opening == "Hello!" else f"{opening} {articles_known(snapshot)}"
    elif kind == ABOUT_BOT:
        note = f"I'm summitbot. {WHAT_I_DO} {articles_known(snapshot)} {FOLLOW_UPS}"
    elif not is_english(question, known):
        note = (
            "Sorry, I can only read questions in English, and this one seems to be in another language. "
            f"{articles_known(snapshot)}"
        )
    else:
        return None
    logger.debug("Chat reply to %r", question)
    return Reply(question, question, False, note=note, suggestions=example_questions(snapshot))
