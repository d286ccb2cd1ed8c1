"""The question-answering engine shared by the CLI and the Telegram bot.

One :class:`Engine` owns the encoder and the live index. ``ask`` takes a
question and a :class:`Conversation`, resolves follow-ups, searches, decides
whether the articles answer, and composes an extractive answer.
"""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

from bot.answer import Answer, compose, human_date
from bot.conversation import Conversation, resolve
from bot.question import analyse
from index.build import BuildReport, build_index, index_state
from index.encoder import Encoder, default_encoder
from index.live import LiveIndex
from index.store import Snapshot

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
RELEVANCE_THRESHOLD = 0.22  # calibrated with benchmarks/eval.py; see README
SEARCH_DEPTH = 5
COVERAGE_TITLES = 5


class QuestionError(ValueError):
    """The question cannot be asked as it is (empty, too long)."""


def clean_question(question: str) -> str:
    """Strip control characters and surrounding space; reject empty or overlong questions."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QuestionError("the question is empty")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(cleaned)} characters long; the limit is {MAX_QUESTION_CHARS}")
    return cleaned


class Engine:
    """Answers questions about the corpus; safe to call from several threads."""

    def __init__(self, corpus_dir: Path, index_dir: Path, encoder: Encoder | None = None) -> None:
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.encoder = encoder or default_encoder()
        self._live = LiveIndex(index_dir, self.encoder)

    @property
    def snapshot(self) -> Snapshot:
        """The index serving now."""
        return self._live.searcher().snapshot

    def prepare(self) -> BuildReport | None:
        """Build the index when it is missing, damaged or older than the corpus."""
        manifest, stale, reason = index_state(self.corpus_dir, self.index_dir, self.encoder)
        if manifest is not None and not stale:
            return None
        if manifest is None:
            logger.info("No usable index yet (%s); building it now", reason.split(":")[0])
        else:
            logger.info("The corpus changed since the last build; updating the index")
        return self.rebuild()

    def rebuild(self, full: bool = False) -> BuildReport:
        """Build (incrementally unless ``full``) and serve the new index."""
        return build_index(self.corpus_dir, self.index_dir, self.encoder, full=full)

    def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Answer one turn; ``conversation`` carries context between turns."""
        conversation = conversation if conversation is not None else Conversation()
        question = clean_question(question)
        searcher = self._live.searcher()
        snapshot = searcher.snapshot
        resolution = resolve(question, conversation, snapshot.people)
        analysis = analyse(resolution.query, snapshot.people, snapshot.lexical.vocabulary)
        skip = set(conversation.shown) if resolution.more else set()
        hits = [
            hit
            for hit in searcher.search(resolution.query, SEARCH_DEPTH + len(skip), speaker=analysis.speaker)
            if hit.passage.id not in skip
        ][:SEARCH_DEPTH]
        if analysis.unknown_names:
            note = f"The articles don't mention {' or '.join(analysis.unknown_names)}. {self.coverage_text()}"
            answer = Answer(question, resolution.query, False, hits=hits, note=note)
        elif not hits or hits[0].relevance < RELEVANCE_THRESHOLD:
            lead = "There is nothing more on that in the articles." if resolution.more else "The articles don't answer that."
            answer = Answer(question, resolution.query, False, hits=hits, note=f"{lead} {self.coverage_text()}")
        else:
            answer = compose(question, resolution.query, hits, analysis)
        shown = sorted({part.passage.id for part in answer.parts}, key=[h.passage.id for h in hits].index)
        conversation.remember(resolution.query, list(analysis.people), "", shown, resolution.more)
        return answer

    def coverage_text(self) -> str:
        """One sentence naming what the articles cover, for replies that find nothing."""
        titles = [f"“{title}” ({human_date(date) or 'undated'})" for title, date, _ in self.coverage()]
        shown = titles[:COVERAGE_TITLES]
        more = f" and {len(titles) - len(shown)} more" if len(titles) > len(shown) else ""
        return f"They cover: {'; '.join(shown)}{more}."

    def coverage(self) -> list[tuple[str, str, int]]:
        """Title, date and passage count of every indexed article."""
        return [(entry.title, entry.date, entry.passages) for entry in self.snapshot.manifest.articles.values()]
