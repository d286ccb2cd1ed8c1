"""Compose extractive answers: the article's own sentences, with speaker and citation.

Nothing here writes new words about the news: an answer is a list of
:class:`AnswerPart`, each a quote or sentence copied from a passage, its
speaker when the article gives one, and the passage it stands in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

from bot.question import QuestionAnalysis
from index.lexical import tokenize
from index.passages import Passage
from index.search import Hit, speaker_matches
from index.language.directory import PeopleDirectory
from index.language.quotes import Quote, reports_speech, same_words
from index.language.sentences import sentence_spans

MAX_ANSWER_PASSAGES = 2
SECOND_PASSAGE_RATIO = 0.9  # a second passage joins the answer only when nearly as relevant
# "What did X say about Y?": X's words on Y often span a whole exchange, so more of them join.
SPEAKER_ANSWER_PASSAGES = 3
SPEAKER_PASSAGE_RATIO = 0.75
MAX_SENTENCES_PER_PASSAGE = 2
LEADING_PRONOUN = re.compile(r"^(?:He|She)\b")


@dataclass(frozen=True)
class AnswerPart:
    """Words from one passage: a direct quote or a sentence of the article."""

    text: str
    speaker: str | None
    quoted: bool
    passage: Passage
    also: tuple[Passage, ...] = ()  # other articles that report the same words


@dataclass
class Answer:
    """The reply to one turn of a conversation."""

    question: str
    query: str
    found: bool
    parts: list[AnswerPart] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    note: str = ""  # why nothing was found, or what was asked for but not said

    @property
    def text(self) -> str:
        """The answer as plain text, one quoted part and its citation per line."""
        lines = [self.note] if self.note else []
        for part in self.parts:
            lines.append(f"{part_label(part)}“{part.text}”" if part.quoted else display_text(part))
            lines.append(f"  — {citation(part.passage)}{also_reported(part.also)}")
        return "\n".join(lines)


def quote_text(text: str) -> str:
    """A quote without the trailing comma that joined it to "…, Putin said"."""
    return text.rstrip(" ,;:")


def part_label(part: AnswerPart) -> str:
    """``"Vladimir Putin: "`` for a direct quote, empty otherwise."""
    return f"{part.speaker}: " if part.quoted and part.speaker else ""


def display_text(part: AnswerPart) -> str:
    """The part's words; a leading pronoun of reported speech gets the speaker in brackets."""
    if part.quoted or not part.speaker:
        return part.text
    return LEADING_PRONOUN.sub(lambda m: f"{m.group(0)} [{part.speaker}]", part.text, count=1)


def human_date(iso: str) -> str:
    """``2018-09-07`` → ``7 September 2018``; unknown dates stay empty."""
    if not iso:
        return ""
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"


def citation(passage: Passage) -> str:
    """Where a passage stands: outlet, title, date and paragraph."""
    when = human_date(passage.date)
    outlet = f"{passage.outlet}: " if passage.outlet else ""
    return f"{outlet}{passage.title}{', ' + when if when else ''}, paragraph {passage.paragraph}"


def also_reported(passages: tuple[Passage, ...]) -> str:
    """"; also reported by Reuters, The Morning Ledger" for words several articles carry, else ""."""
    names = list(dict.fromkeys(passage.outlet or f"“{passage.title}”" for passage in passages))
    return f"; also reported by {', '.join(names)}" if names else ""


def _quote_at(quotes: tuple[Quote, ...], start: int, end: int) -> Quote | None:
    for quote in quotes:
        if quote.start <= start < quote.end or start <= quote.start < end:
            return quote
    return None


def _part_for_sentence(passage: Passage, start: int, end: int, query_terms: set[str]) -> AnswerPart:
    """A sentence as a quote (when the quote alone answers) or as written, with its speaker."""
    sentence = passage.text[start:end].strip()
    quote = _quote_at(passage.quotes, start, end)
    if quote is not None:
        narration = passage.text[start:quote.start] + passage.text[quote.end:end]
        narration_terms = (set(tokenize(narration)) - set(tokenize(quote.text))) & query_terms
        if not narration_terms or quote.end - quote.start > end - start:
            return AnswerPart(quote_text(quote.text), quote.speaker, True, passage)
        return AnswerPart(sentence, quote.speaker, False, passage)
    reported = passage.speaker if reports_speech(sentence) else None
    return AnswerPart(sentence, reported, False, passage)


def passage_parts(
    passage: Passage, analysis: QuestionAnalysis, query_terms: set[str], exclude: tuple[str, ...] = ()
) -> list[AnswerPart]:
    """The words of one passage that answer the question (none of the ``exclude`` people's quotes)."""
    spans = sentence_spans(passage.text)
    overlap = [len(query_terms & set(tokenize(passage.text[s:e]))) for s, e in spans]
    asked = analysis.speakers
    wanted = [q for q in passage.quotes if q.speaker and (not asked or q.speaker in asked) and q.speaker not in exclude]
    if (analysis.speech or analysis.who_said) and wanted:
        # Asked for someone's words: every sentence that carries them, plus reported speech on the topic.
        chosen = [
            i
            for i, (s, e) in enumerate(spans)
            if _quote_at(tuple(wanted), s, e) or (overlap[i] and reports_speech(passage.text[s:e]))
        ]
    else:
        ranked = sorted(range(len(spans)), key=lambda i: (-overlap[i], i))[:MAX_SENTENCES_PER_PASSAGE]
        best = overlap[ranked[0]] if ranked else 0
        chosen = sorted(i for i in ranked if overlap[i] >= max(1, best - 1) or overlap[i] == best)
        if analysis.speech and len(asked) == 1 and passage.speaker == asked[0]:
            # Their words reported without quote marks ("…, Adler said."): the sentence that reports them counts.
            reporting = [i for i, (s, e) in enumerate(spans) if reports_speech(passage.text[s:e])][:1]
            chosen = sorted({*chosen, *reporting})
    parts: list[AnswerPart] = []
    for i in chosen:
        part = _part_for_sentence(passage, *spans[i], query_terms)
        if part not in parts:
            parts.append(part)
    return parts


def compose(
    question: str, query: str, hits: list[Hit], analysis: QuestionAnalysis, exclude: tuple[str, ...] = ()
) -> Answer:
    """An answer made of the best passages' own words; "Who said …?" gets the speaker named first."""
    if not hits:
        return Answer(question=question, query=query, found=False)
    terms = set(tokenize(query)) - analysis.name_terms
    one_speaker = analysis.speech and len(analysis.speakers) == 1
    depth, ratio = (SPEAKER_ANSWER_PASSAGES, SPEAKER_PASSAGE_RATIO) if one_speaker else (MAX_ANSWER_PASSAGES, SECOND_PASSAGE_RATIO)
    close = [hit for hit in hits if hit.score >= ratio * hits[0].score]
    chosen: list[Hit] | None = None
    if len(analysis.speakers) > 1:
        # "What did Putin and Erdogan say?": the best passage of each of them.
        best = (next((hit for hit in hits if speaker_matches(hit.passage, name)), None) for name in analysis.speakers)
        chosen = list(dict.fromkeys(hit for hit in best if hit is not None)) or None
    parts = _gather(chosen or close, depth if chosen is None else len(chosen), hits, analysis, terms, exclude)
    speakers = list(dict.fromkeys(part.speaker for part in parts if part.speaker and part.speaker not in exclude))
    note = f"It was {' and '.join(speakers)}." if analysis.who_said and speakers else ""
    return Answer(question=question, query=query, found=True, parts=parts, hits=hits, note=note)


def _gather(
    candidates: list[Hit],
    depth: int,
    hits: list[Hit],
    analysis: QuestionAnalysis,
    terms: set[str],
    exclude: tuple[str, ...],
) -> list[AnswerPart]:
    """The words of up to ``depth`` passages, best first, each said once.

    The best passage of each article comes before a second passage of any, so the answer
    carries every article's words. Words another article reports too (a syndicated story, a
    quote every outlet carried) are shown once, naming the other articles; those passages do
    not take a place of their own.
    """
    firsts: dict[str, Hit] = {}
    for hit in candidates:
        firsts.setdefault(hit.passage.article, hit)
    priority = [*firsts.values(), *(hit for hit in candidates if hit not in firsts.values())]
    rank = {id(hit): position for position, hit in enumerate(hits)}
    chosen: list[tuple[Hit, AnswerPart]] = []
    for hit in [*priority, *(hit for hit in hits if hit not in candidates)]:
        fresh = []
        for part in passage_parts(hit.passage, analysis, terms, exclude):
            same = next((i for i, (_, old) in enumerate(chosen) if same_words(old.text, part.text)), None)
            if same is None:
                fresh.append(part)
            elif chosen[same][1].passage.article != part.passage.article and part.passage not in chosen[same][1].also:
                owner, old = chosen[same]
                chosen[same] = (owner, dataclasses.replace(old, also=(*old.also, part.passage)))
        if fresh and hit in candidates and len({id(owner) for owner, _ in chosen}) < depth:
            chosen += [(hit, part) for part in fresh]
    chosen.sort(key=lambda item: rank.get(id(item[0]), len(rank)))  # stable: a passage's parts keep their order
    return [part for _, part in chosen]


def speaks_besides(passage: Passage, exclude: tuple[str, ...]) -> bool:
    """True when someone other than the ``exclude`` people speaks in the passage."""
    speakers = {passage.speaker, *(quote.speaker for quote in passage.quotes)} - {None}
    return bool(speakers - set(exclude))


def names_topic(passage: Passage, previous: Passage | None, terms: set[str]) -> bool:
    """True when most topic terms stand in the passage, or in the words of someone else it replies to."""
    needed = len(terms) // 2 + 1
    if len(terms & set(tokenize(passage.text))) >= needed:
        return True
    replies_to = previous is not None and previous.speaker not in (None, passage.speaker)
    return replies_to and len(terms & set(tokenize(previous.text))) >= needed  # type: ignore[union-attr]


def mention_parts(passage: Passage, name: str, people: PeopleDirectory) -> list[AnswerPart]:
    """The sentences of a passage that refer to the person ``name`` (by name or description), as written."""
    parts = []
    for start, end in sentence_spans(passage.text):
        sentence = passage.text[start:end].strip()
        if name in people.names_in(sentence, passage.article):
            parts.append(AnswerPart(sentence, None, False, passage))
    return parts
