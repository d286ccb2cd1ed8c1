"""The question-answering engine shared by the CLI and the Telegram bot.

One :class:`Engine` owns the encoder and the live index. ``ask`` takes a
question and a :class:`Conversation`, resolves follow-ups, searches, decides
whether the articles answer, and composes an extractive answer.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

from bot.answer import MAX_ANSWER_PASSAGES, Answer, compose, human_date, mention_parts, names_topic, speaks_besides
from bot.asked_for import NO_NUMBER, is_yes_no, read_hits
from bot.conversation import Conversation, Resolution, Turn, resolve
from bot.events import ArticleSettings, focus
from bot.governments import read_governments
from bot.intents import overview_request, strip_preamble
from bot.overview import OverviewComposer, overview_turn
from bot.question import QUANTITY, QuestionAnalysis, about_topic, analyse, gives, person_to_introduce, place_in
from bot.small_talk import chat_reply
from index.build import BuildReport, build_index, index_state
from index.encoder import Encoder, default_encoder
from index.lexical import tokenize
from index.live import LiveIndex
from index.search import Hit, HybridSearcher, speaker_matches
from index.language.directory import PeopleDirectory
from index.store import IndexCorruptError, Snapshot
from index.text import fold

if TYPE_CHECKING:
    from index.qdrant_store import QdrantPassages

logger = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 1000
RELEVANCE_THRESHOLD = 0.22  # calibrated with benchmarks/eval.py; see README
SEARCH_DEPTH = 12  # deep enough to find the same quote in several outlets and the event each hit reports
COVERAGE_TITLES = 5
KIND_RATIO = 0.6  # a passage giving the time or number asked for may be this much less relevant
ABOUT_GAIN = 0.08  # naming a topic raises a passage's relevance this much when the passage is about it
YES_NO_LEAD = "Here is what the articles report on that:"
WHERE_QUESTION = re.compile(r"^\s*where\b", re.IGNORECASE)


def first(hits: Iterable[Hit], count: int = SEARCH_DEPTH) -> list[Hit]:
    """The first ``count`` of ``hits`` (a ranking is consumed only that far)."""
    return list(itertools.islice(hits, count))


def favoured_speaker(analysis: QuestionAnalysis) -> str | None:
    """The one person whose passages get a ranking bonus: the one asked about, if only one is."""
    if analysis.who_said or len(analysis.speakers) > 1:
        return None
    if analysis.speakers:
        return analysis.speakers[0]
    return analysis.people[0] if len(analysis.people) == 1 else None


def turn_of(resolution: Resolution, analysis: QuestionAnalysis, answer: Answer, people: PeopleDirectory) -> Turn:
    """What the conversation should remember of an answered turn."""
    shown = list(dict.fromkeys(passage.id for part in answer.parts for passage in (part.passage, *part.also)))
    answer_text = " ".join(part.text for part in answer.parts)
    place = analysis.place
    if WHERE_QUESTION.match(resolution.query):
        place = place_in(answer_text, people) or place  # "Where was it held?" is answered by a place
    return Turn(
        query=resolution.query,
        people=analysis.people,
        speakers=tuple(dict.fromkeys(part.speaker for part in answer.parts if part.speaker)),
        mentioned=tuple(people.names_in(answer_text)),
        topic=analysis.about or analysis.thing,
        thing=analysis.thing,
        place=place,
        shown=shown,
        more=resolution.more,
        follow_up=resolution.follow_up,
    )


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

    def __init__(
        self, corpus_dir: Path, index_dir: Path, encoder: Encoder | None = None, store: "QdrantPassages | None" = None
    ) -> None:
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir
        self.encoder = encoder or default_encoder()
        self.store = store  # Qdrant, when a setting selects it; None: search the build's own files
        self._live = LiveIndex(index_dir, self.encoder, store)
        self._article_settings: tuple[Snapshot, ArticleSettings] | None = None

    @property
    def searcher(self) -> HybridSearcher:
        """The searcher of the index serving now."""
        return self._live.searcher()

    @property
    def snapshot(self) -> Snapshot:
        """The index serving now."""
        return self.searcher.snapshot

    def prepare(self) -> BuildReport | None:
        """Build the index when it is missing, damaged or older than the corpus."""
        manifest, stale, reason = index_state(self.corpus_dir, self.index_dir, self.encoder)
        if manifest is not None and not stale and self.store is not None and not self.store.holds(manifest):
            logger.info("The Qdrant collection differs from the index; bringing it in line")
            return self.rebuild()
        if manifest is not None and not stale:
            try:
                self._live.searcher()
                return None
            except IndexCorruptError as exc:  # a damaged data file behind a sound manifest
                manifest, reason = None, str(exc)
        if manifest is None:
            logger.info("No usable index yet (%s); building it now", reason.split(":")[0])
        else:
            logger.info("The corpus changed since the last build; updating the index")
        return self.rebuild()

    def rebuild(self, full: bool = False) -> BuildReport:
        """Build (incrementally unless ``full``) and serve the new index."""
        return build_index(self.corpus_dir, self.index_dir, self.encoder, full=full, store=self.store)

    def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Answer one turn; ``conversation`` carries context between turns."""
        conversation = conversation if conversation is not None else Conversation()
        question = clean_question(question)
        searcher = self._live.searcher()
        snapshot = searcher.snapshot
        vocabulary = snapshot.lexical.vocabulary

        def known(word: str) -> bool:
            return any(token in vocabulary for token in tokenize(word))

        reply = chat_reply(question, snapshot, known)
        if reply is not None:  # small talk, a question about the bot, another language: nothing to remember
            return reply
        asked = strip_preamble(question)
        resolution = resolve(asked, conversation, snapshot.people, vocabulary)
        overview = self._overview(question, asked, resolution, conversation, searcher)
        if overview is not None:
            return overview
        query, _ = read_governments(resolution.query, known)  # "Moscow" read as "Russia" where they write only that
        resolution = dataclasses.replace(resolution, query=query)
        analysis = analyse(resolution.query, snapshot.people, vocabulary)
        answer = self._answer(question, resolution, analysis, conversation, searcher)
        conversation.remember(turn_of(resolution, analysis, answer, snapshot.people))
        return answer

    def _overview(
        self, question: str, asked: str, resolution: Resolution, conversation: Conversation, searcher: HybridSearcher
    ) -> Answer | None:
        """The overview the question asks for ("What is this about?", or "More" after one), else None."""
        request, query, more = overview_request(asked), asked, False
        if request is None and resolution.more:
            request, query, more = overview_request(resolution.query), resolution.query, True
        if request is None:
            return None
        answer = OverviewComposer(searcher, RELEVANCE_THRESHOLD).compose(question, query, request, conversation, more)
        conversation.remember(overview_turn(query, answer, request, more))
        return answer

    def _answer(
        self,
        question: str,
        resolution: Resolution,
        analysis: QuestionAnalysis,
        conversation: Conversation,
        searcher: HybridSearcher,
    ) -> Answer:
        """Search and compose, or explain why the articles don't answer."""
        query = resolution.query
        skip = set(conversation.shown) if resolution.more else set()
        asked = analysis.speakers
        settings = self._settings(searcher)
        occasion = settings.occasion(query)
        searched = query
        if occasion and (asked or analysis.about or analysis.people):
            # "What did Putin say about the truce in Sochi?": the articles about Sochi are chosen by their
            # setting; within them his words on the truce are searched for, not every sentence naming Sochi.
            # (A question with neither a person nor a topic keeps its setting: it may be all it asks about.)
            searched = occasion.rest
            analysis = dataclasses.replace(analysis, about=about_topic(searched))
        hits = first(
            hit
            for hit in searcher.ranked(searched, speaker=favoured_speaker(analysis))
            if hit.passage.id not in skip
            and (not resolution.exclude or speaks_besides(hit.passage, resolution.exclude))
            and (not asked or any(speaker_matches(hit.passage, name) for name in asked))  # their words only
        )
        hits = focus(hits, occasion, settings)
        if analysis.unknown_names:
            note = f"The articles don't mention {' or '.join(analysis.unknown_names)}. {self.coverage_text()}"
            return Answer(question, query, False, hits=hits, note=note)
        introduced = person_to_introduce(query, searcher.snapshot.people)
        if introduced:
            return self._introduce(question, query, introduced, searcher, skip)
        if len(asked) == 1 and not len(searcher.speaks(asked[0])):
            return self._not_quoted(question, query, asked[0], searcher, skip)
        if len(asked) == 1 and analysis.about and not self._speaks_about(searcher, searched, analysis, asked[0]):
            return self._not_about(question, query, analysis, asked[0], searcher, skip)
        if not hits or self._relevance(searcher, query, searched, hits[0]) < RELEVANCE_THRESHOLD:
            if resolution.exclude:
                lead = "The articles quote no one else on that."
            elif resolution.more:
                lead = "There is nothing more on that in the articles."
            else:
                lead = "The articles don't answer that."
            return Answer(question, query, False, hits=hits, note=f"{lead} {self.coverage_text()}")
        reading = read_hits(query, analysis, hits, searcher, RELEVANCE_THRESHOLD)
        if reading.shortfall:  # the person or the words are there, the thing asked is not
            return Answer(question, query, False, hits=hits, note=f"{reading.shortfall} {self.coverage_text()}")
        if reading.fitting:  # "How long …?": the passage that gives a duration leads
            hits = [*reading.fitting, *(hit for hit in hits if hit not in reading.fitting)][: len(hits)]
        if analysis.wants:
            # "When …?" prefers a passage that gives a time (the citation's date answers otherwise);
            # "How many …?" needs a number.
            fitting = [hit for hit in hits if hit.relevance >= KIND_RATIO * hits[0].relevance and gives(analysis.wants, hit.passage.text)]
            if not fitting and analysis.wants == QUANTITY:
                return Answer(question, query, False, hits=hits, note=f"{NO_NUMBER} {self.coverage_text()}")
            hits = fitting + [hit for hit in hits if hit not in fitting]
        answer = compose(question, query, hits, analysis, exclude=resolution.exclude)
        if is_yes_no(query) and answer.found and not answer.note:
            answer.note = YES_NO_LEAD  # what was said, not a yes or no the articles may not give
        return answer

    @staticmethod
    def _relevance(searcher: HybridSearcher, query: str, searched: str, hit: Hit) -> float:
        """How relevant the best hit is to the question; its setting ("at the Sochi summit") counts too."""
        if searched == query:
            return hit.relevance
        return max(hit.relevance, float(searcher.relevance(query, np.array([hit.index]))[0]))

    def _settings(self, searcher: HybridSearcher) -> ArticleSettings:
        """The setting (date, names of its lead) of every article of the index serving now."""
        settings = self._article_settings
        if settings is None or settings[0] is not searcher.snapshot:
            settings = (searcher.snapshot, ArticleSettings(searcher.snapshot.passages))
            self._article_settings = settings  # one assignment: threads see the old pair or the new one
        return settings[1]

    def _speaks_about(self, searcher: HybridSearcher, query: str, analysis: QuestionAnalysis, speaker: str) -> bool:
        """True when some passage where ``speaker`` speaks is about the question's topic."""
        people = searcher.snapshot.people
        person = people.find(speaker)
        own_terms = {term for alias in person.all_aliases() for term in tokenize(alias)} if person else set()
        terms = set(tokenize(analysis.about)) - own_terms
        if not terms:
            return True
        if np.any(searcher.topic_gain(query, speaker) >= ABOUT_GAIN):
            return True
        passages = searcher.snapshot.passages
        return any(
            names_topic(passages[i], passages[i - 1] if i and passages[i - 1].article == passages[i].article else None, terms)
            for i in map(int, searcher.speaks(speaker))
        )

    def _introduce(self, question: str, query: str, name: str, searcher: HybridSearcher, skip: set[str]) -> Answer:
        """"Who is Selim Kaya?": the sentences that name them, introductions (their full name) first."""
        people = searcher.snapshot.people
        hits = first(
            hit
            for hit in searcher.ranked(query, speaker=name)
            if hit.passage.id not in skip and name in people.names_in(hit.passage.text, hit.passage.article)
        )
        hits.sort(key=lambda hit: fold(name) not in fold(hit.passage.text))  # stable: ranking kept otherwise
        parts = [part for hit in hits[:MAX_ANSWER_PASSAGES] for part in mention_parts(hit.passage, name, people)]
        if not parts:
            return Answer(question, query, False, hits=hits, note=f"The articles say nothing more about {name}.")
        return Answer(question, query, True, parts=parts, hits=hits)

    def _not_quoted(self, question: str, query: str, speaker: str, searcher: HybridSearcher, skip: set[str]) -> Answer:
        """The articles name ``speaker`` but quote none of their words: show what they say about them."""
        people = searcher.snapshot.people
        person = people.find(speaker)
        hits = first(
            hit
            for hit in searcher.ranked(query)
            if hit.passage.id not in skip and speaker in people.names_in(hit.passage.text, hit.passage.article)
        )
        parts = [part for hit in hits[:MAX_ANSWER_PASSAGES] for part in mention_parts(hit.passage, speaker, people)]
        short = person.surname if person else speaker
        if not parts:
            note = f"The articles quote no words of {speaker}, and say nothing more about {short}."
            return Answer(question, query, False, hits=hits, note=note)
        note = f"The articles quote no words of {speaker}. Here is what they say about {short}:"
        return Answer(question, query, False, parts=parts, hits=hits, note=note)  # related words, not theirs

    def _not_about(
        self,
        question: str,
        query: str,
        analysis: QuestionAnalysis,
        speaker: str,
        searcher: HybridSearcher,
        skip: set[str],
    ) -> Answer:
        """``speaker`` is quoted, but not on the topic asked about: say so and show what they did say."""
        own = first(
            hit
            for hit in searcher.ranked(query, speaker=speaker)
            if speaker_matches(hit.passage, speaker) and hit.passage.id not in skip
        )
        person = searcher.snapshot.people.find(speaker)
        short = person.surname if person else speaker
        answer = compose(question, query, own, analysis)
        answer.note = f"The articles quote {speaker}, but not about {analysis.about}. Here is what {short} did say:"
        answer.found = False  # related passages, not an answer to what was asked
        return answer

    def coverage_text(self) -> str:
        """One sentence naming what the articles cover, for replies that find nothing."""
        articles = self.coverage()
        shown = [f"“{title}” ({human_date(date) or 'undated'})" for title, date, _ in articles[:COVERAGE_TITLES]]
        more = f" and {len(articles) - len(shown)} more" if len(articles) > len(shown) else ""
        return f"They cover: {'; '.join(shown)}{more}."

    def coverage(self) -> list[tuple[str, str, int]]:
        """Title, date and passage count of every indexed article."""
        return [(entry.title, entry.date, entry.passages) for entry in self.snapshot.manifest.articles.values()]
