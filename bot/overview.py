"""Overviews: "What is this about?", "tl;dr", "What happened at the summit?", "What do the articles say about Idlib?".

Extractive, like every answer: the headline and date, the lead, and the key
statements with their speakers, all in the article's own words, short enough
for one phone screen; "More" brings the next statements. Key statements are
the first quote of each person quoted, in the order the article gives them,
then their other quotes, then the first sentences of the remaining paragraphs.

With several articles the overview is one line per article (its headline,
date and lead sentence, or with a topic the sentence that best covers it),
most relevant first (newest first when no topic is asked). A question that
names an article ("Summarise the UN envoy article"), refers to the one just
talked about ("What is this article about?"), or has a topic only one article
covers, gets that article's overview.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

import numpy as np

from bot.answer import Answer, AnswerPart, human_date, quote_text
from bot.conversation import Conversation, Turn
from bot.intents import OverviewRequest
from index.language.sentences import sentence_spans
from index.lexical import tokenize
from index.passages import Passage
from index.search import Hit, HybridSearcher

logger = logging.getLogger(__name__)

STATEMENTS_SHOWN = 3  # with the headline and the lead, about one phone screen
ARTICLES_SHOWN = 5
MAX_STATEMENT_CHARS = 240
MAX_LEAD_CHARS = 320
LEAD_PARAGRAPH = 2  # paragraph 1 is the headline
TOPIC_DEPTH = 50  # passages read to rank articles by a topic
MIN_TITLE_WORDS = 2  # words a topic shares with one headline, and no other as many, to mean that article
ELLIPSIS = "…"
MORE_HINT = "Ask “More” for the rest."


@dataclass(frozen=True)
class ArticleOverview:
    """What an overview shows of one article."""

    headline: Passage
    lead: AnswerPart | None  # None when "More" continues an overview already showing it
    statements: tuple[AnswerPart, ...] = ()


@dataclass
class Overview(Answer):
    """An overview of one article (headline, lead, statements) or of several (a line each)."""

    articles: list[ArticleOverview] = field(default_factory=list)
    single: bool = True
    more: bool = False  # "More" has something left to show

    @property
    def text(self) -> str:
        """The overview as plain text, one phone screen."""
        lines = [self.note] if self.note else []
        for article in self.articles:
            dated = f" ({human_date(article.headline.date) or 'undated'})"
            if self.single:
                if article.lead is not None:
                    lines.append(f"“{article.headline.text}”{dated}")
                    lines.append(f"{article.lead.text} (¶{article.lead.passage.paragraph})")
                lines += [f"• {statement_text(part)} (¶{part.passage.paragraph})" for part in article.statements]
            elif article.lead is not None:
                lines.append(f"• “{article.headline.text}”{dated}: {article.lead.text} (¶{article.lead.passage.paragraph})")
        if self.more:
            lines.append(MORE_HINT)
        return "\n".join(lines)


def statement_text(part: AnswerPart) -> str:
    """``Vladimir Putin: “…”`` for a quote, the sentence as written otherwise."""
    if part.quoted:
        return f"{part.speaker}: “{part.text}”" if part.speaker else f"“{part.text}”"
    return part.text


def shortened(text: str, limit: int) -> str:
    """The first sentences of ``text`` that fit in ``limit`` characters (at least one), marked when cut."""
    if len(text) <= limit:
        return text
    spans = sentence_spans(text)
    end = spans[0][1]
    for _, sentence_end in spans[1:]:
        if sentence_end > limit:
            break
        end = sentence_end
    return text[:end].rstrip() + (ELLIPSIS if end < len(text.rstrip()) else "")


def article_passages(passages: list[Passage], article: str) -> list[Passage]:
    """The passages of one article, headline first."""
    return sorted((p for p in passages if p.article == article), key=lambda p: p.paragraph)


def lead_part(passages: list[Passage]) -> AnswerPart | None:
    """The lead paragraph (the first after the headline), shortened to fit."""
    lead = next((p for p in passages if p.paragraph == LEAD_PARAGRAPH), None)
    return AnswerPart(shortened(lead.text, MAX_LEAD_CHARS), None, False, lead) if lead else None


def key_statements(passages: list[Passage], skip: set[str]) -> list[AnswerPart]:
    """Every statement of an article in overview order: first quote of each speaker, other quotes, other paragraphs."""
    body = [p for p in passages if p.paragraph > LEAD_PARAGRAPH and p.id not in skip]
    quotes = [(p, q) for p in body for q in p.quotes if q.speaker]
    seen: set[str] = set()
    firsts, others = [], []
    for passage, quote in quotes:
        (others if quote.speaker in seen else firsts).append((passage, quote))
        seen.add(quote.speaker)  # type: ignore[arg-type]
    parts = [
        AnswerPart(shortened(quote_text(quote.text), MAX_STATEMENT_CHARS), quote.speaker, True, passage)
        for passage, quote in firsts + others
    ]
    quoted = {passage.id for passage, _ in quotes}
    for passage in body:
        if passage.id not in quoted and sentence_spans(passage.text):
            start, end = sentence_spans(passage.text)[0]
            parts.append(AnswerPart(shortened(passage.text[start:end], MAX_STATEMENT_CHARS), None, False, passage))
    return parts


def best_sentence(passage: Passage, topic: str) -> str:
    """The sentence of a passage that shares most words with ``topic`` (the first one on a tie)."""
    terms = set(tokenize(topic))
    spans = sentence_spans(passage.text)
    start, end = max(spans, key=lambda span: (len(terms & set(tokenize(passage.text[span[0] : span[1]]))), -span[0]))
    return shortened(passage.text[start:end].strip(), MAX_STATEMENT_CHARS)


class OverviewComposer:
    """Composes overviews from the index serving now."""

    def __init__(self, searcher: HybridSearcher, threshold: float) -> None:
        self.searcher = searcher
        self.snapshot = searcher.snapshot
        self.threshold = threshold

    def articles_by_topic(self, topic: str) -> list[tuple[str, Hit]]:
        """Articles with a passage relevant to ``topic``, most relevant first, each with its best passage.

        A headline is not a line of its own: an article found by its headline alone is shown by its lead.
        """
        best: dict[str, Hit] = {}
        for hit in self.searcher.search(topic, TOPIC_DEPTH):
            if hit.relevance < self.threshold:
                continue
            held = best.get(hit.passage.article)
            if held is None or (held.passage.paragraph == 1 and hit.passage.paragraph > 1):
                best[hit.passage.article] = hit if held is None else dataclasses.replace(hit, score=held.score)
        ranked = sorted(best.items(), key=lambda item: -item[1].score)
        return [(article, self.lead_hit(hit)) for article, hit in ranked]

    def lead_hit(self, hit: Hit) -> Hit:
        """The hit itself, or for a headline the article's lead in its place."""
        if hit.passage.paragraph > 1:
            return hit
        lead = next((p for p in article_passages(self.snapshot.passages, hit.passage.article) if p.paragraph == LEAD_PARAGRAPH), None)
        return dataclasses.replace(hit, passage=lead) if lead else hit

    def named_article(self, named: str, strict: bool = False) -> str | None:
        """The article whose headline shares most words with ``named`` ("the UN envoy article"), if one does.

        ``strict``: only an article whose headline has at least MIN_TITLE_WORDS of them (a topic that
        may name an article, "the Levant Monitor analysis", but may just be a topic, "the summit").
        """
        words = set(tokenize(named))
        if not words:
            return None
        overlap = {
            article: len(words & set(tokenize(entry.title))) for article, entry in self.snapshot.manifest.articles.items()
        }
        ranked = sorted(overlap.values(), reverse=True)
        floor = MIN_TITLE_WORDS if strict else 1
        if ranked and ranked[0] >= floor and (len(ranked) == 1 or ranked[0] > ranked[1]):
            return max(overlap, key=lambda article: overlap[article])
        if strict:
            return None
        by_topic = self.articles_by_topic(named)
        return by_topic[0][0] if by_topic else None

    def meant_article(self, request: OverviewRequest, conversation: Conversation) -> str | None:
        """The one article the question is about, if it is about one."""
        if request.named:
            return self.named_article(request.named)
        articles = list(self.snapshot.manifest.articles)
        if len(articles) == 1:
            return articles[0]
        shown = {passage_id.split("#")[0] for passage_id in conversation.shown}
        if not request.plural and len(shown) == 1:
            return shown.pop()  # "What is this article about?" after an answer from one article
        return None

    def compose(
        self, question: str, query: str, request: OverviewRequest, conversation: Conversation, more: bool
    ) -> Answer:
        """The overview asked for; "More" (``more``) continues it past what was shown."""
        skip = set(conversation.shown) if more else set()
        lines: list[tuple[str, Passage | None]] = []
        named = self.named_article(request.named, strict=True) if request.topic and request.named else None
        if named is not None:  # "Summarize the Levant Monitor analysis"
            return self.article_overview(question, query, named, skip)
        if request.topic:
            relevant = self.articles_by_topic(request.topic)
            if not relevant:
                return Answer(question, query, False, note=f"The articles say nothing about {request.topic}.")
            if len(relevant) == 1:  # one line for one article would say less than its overview
                return self.article_overview(question, query, relevant[0][0], skip)
            lines = [(article, hit.passage) for article, hit in relevant]
        else:
            article = self.meant_article(request, conversation)
            if article is not None:
                return self.article_overview(question, query, article, skip)
            entries = sorted(self.snapshot.manifest.articles.items(), key=lambda item: item[1].date, reverse=True)
            lines = [(article, None) for article, _ in entries]
        return self.corpus_overview(question, query, request.topic, lines, skip)

    def article_overview(self, question: str, query: str, article: str, skip: set[str]) -> Answer:
        """Headline, date, lead and the first key statements of one article (the next ones after "More")."""
        passages = article_passages(self.snapshot.passages, article)
        headline = passages[0]
        continuing = headline.id in skip
        statements = key_statements(passages, skip)
        if continuing and not statements:
            return Answer(question, query, False, note="That was the whole article; ask about anything in it.")
        lead = None if continuing else lead_part(passages)
        shown = statements[:STATEMENTS_SHOWN]
        note = f"More from “{headline.text}”:" if continuing else ""
        parts = ([lead] if lead else []) + shown
        overview = ArticleOverview(headline, lead, tuple(shown))
        hits = self.hits(query, ([] if continuing else [headline]) + [part.passage for part in parts])
        return Overview(question, query, True, parts=parts, hits=hits, note=note, articles=[overview],
                        single=True, more=len(statements) > len(shown))

    def corpus_overview(
        self, question: str, query: str, topic: str, lines: list[tuple[str, Passage | None]], skip: set[str]
    ) -> Answer:
        """One line per article: headline, date and its lead sentence (or its sentence on ``topic``)."""
        entries = []
        for article, passage in lines:
            passages = article_passages(self.snapshot.passages, article)
            chosen = passage or next((p for p in passages if p.paragraph == LEAD_PARAGRAPH), passages[0])
            if chosen.id in skip:
                continue
            sentence = best_sentence(chosen, topic) if topic else shortened(chosen.text, MAX_STATEMENT_CHARS)
            entries.append(ArticleOverview(passages[0], AnswerPart(sentence, None, False, chosen)))
        if not entries:
            return Answer(question, query, False, note="There is nothing more to show; ask about anything in the articles.")
        shown = entries[:ARTICLES_SHOWN]
        order = "most relevant first" if topic else "newest first"
        count = f"{len(lines)} articles" if len(lines) != 1 else "1 article"
        note = f"{count} on {topic}, {order}:" if topic else f"{count}, {order}:"
        parts = [entry.lead for entry in shown if entry.lead is not None]
        hits = self.hits(query, [part.passage for part in parts])
        return Overview(question, query, True, parts=parts, hits=hits, note=note, articles=shown,
                        single=False, more=len(entries) > len(shown))

    def hits(self, query: str, passages: list[Passage]) -> list[Hit]:
        """The shown passages as hits scored for ``query``, best first (the contract's order)."""
        position = {p.id: i for i, p in enumerate(self.snapshot.passages)}
        ids = np.array([position[p.id] for p in passages], dtype=np.int64)
        if not len(ids):
            return []
        relevance = self.searcher.relevance(query, ids)
        dense = self.snapshot.dense.similarity(self.searcher.query_vector(query), ids)
        lexical = self.snapshot.lexical.scores(query)[ids]
        hits = [
            Hit(int(i), p, float(r), float(r), float(d), float(x))
            for i, p, r, d, x in zip(ids, passages, relevance, dense, lexical)
        ]
        return sorted(hits, key=lambda hit: -hit.score)


def overview_turn(query: str, overview: Answer, request: OverviewRequest, more: bool) -> Turn:
    """What the conversation remembers of an overview: its query and the passages shown (headline included)."""
    return Turn(
        query=query,
        topic=request.topic,
        thing=request.topic,
        shown=list(dict.fromkeys(hit.passage.id for hit in overview.hits)),
        more=more,
        follow_up=more,
    )
