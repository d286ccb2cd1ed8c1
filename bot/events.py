"""Which event a question is about, so an answer keeps to one event at a time.

Coverage of one event spans a few days and many outlets; a corpus may also
hold reports of an earlier event with the same people (Putin on "the truce" in
Sochi in 2017 and in Tehran in 2018). A question that names a year or a place
("in 2017", "at the Tehran summit", "in Sochi") is answered from the articles
about it: dated that year, or naming that place in their headline or lead. A
question that names neither is answered from the event most of the best
passages come from (on a tie, the event most articles report); passages about
other events wait for "More", and every citation carries its date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections import Counter
from dataclasses import dataclass

from index.passages import Passage
from index.search import Hit
from index.text import fold

logger = logging.getLogger(__name__)

EVENT_SPAN_DAYS = 7  # reports of one event are dated within a week of each other
SUPPORT_RATIO = 0.75  # passages this close to the best one vote for the event the answer is about
LEAD_PARAGRAPH = 2  # paragraph 1 is the headline, the lead follows: where an article says what it is about
YEAR_TEXT = r"(?:19|20)\d\d"
YEAR = re.compile(rf"\b{YEAR_TEXT}\b")
EVENT_NOUNS = r"summit|talks|meeting|conference|congress|visit|trip"
SETTING_PREPOSITIONS = r"in|at|during|from"
# "in Sochi", "at the Tehran summit", "in 2017", "the 2017 summit", "the Sochi talks": where or when a question is set.
SETTING_PHRASE = re.compile(
    rf"\b(?:(?:{SETTING_PREPOSITIONS})\s+(?:the\s+)?(?P<after>{YEAR_TEXT}|[^\W\d_][\w’'-]*)(?:\s+(?:{EVENT_NOUNS}))?"
    rf"|(?:the\s+)?(?P<before>{YEAR_TEXT}|[^\W\d_][\w’'-]*)\s+(?:{EVENT_NOUNS})"
    rf"|(?P<year>{YEAR_TEXT}))\b",
    re.IGNORECASE,
)
WORD = re.compile(r"[^\W_][\w’'-]*")
POSSESSIVE_END = re.compile(r"[’']s$")


@dataclass(frozen=True)
class Occasion:
    """The years and places a question names as its setting."""

    years: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    rest: str = ""  # the question without its setting: what to search for in the articles about it
    events: frozenset[int] = frozenset()  # the events of the articles about it

    def __bool__(self) -> bool:
        return bool(self.years or self.places)


class ArticleSettings:
    """When each article of one snapshot is dated, which event it reports and which names its headline and lead give.

    Built on the first question after each build, so it reads only headlines and leads; an article's whole
    text is read only to check a name the question uses ("Summit" in a title-case headline is not a name
    when the article writes "summit").
    """

    def __init__(self, passages: list[Passage]) -> None:
        self._dates: dict[str, dt.date | None] = {}
        self._paragraphs: dict[str, list[str]] = {}
        self._heads: dict[str, set[str]] = {}  # folded capitalised words (and years) of headline and lead
        self._by_name: dict[str, set[str]] = {}  # the same, the other way round
        for passage in passages:
            if passage.article not in self._dates:
                self._dates[passage.article] = _date(passage.date)
            self._paragraphs.setdefault(passage.article, []).append(passage.text)
            if passage.paragraph <= LEAD_PARAGRAPH:
                for word in _capitalised(passage.text):
                    self._heads.setdefault(passage.article, set()).add(word)
                    self._by_name.setdefault(word, set()).add(passage.article)
        self._events = _events(self._dates)
        self._sizes = Counter(self._events.values())
        self._lower_case: dict[tuple[str, str], bool] = {}

    def event(self, article: str) -> int | None:
        """The event ``article`` reports (None when undated): reports dated a week or less apart are one event."""
        return self._events.get(article)

    def date(self, article: str) -> dt.date | None:
        """The date of ``article``, if known."""
        return self._dates.get(article)

    def coverage(self, article: str) -> int:
        """How many articles report the event of ``article``."""
        event = self.event(article)
        return 1 if event is None else self._sizes[event]

    def names(self, article: str, word: str) -> bool:
        """True when the headline or lead of ``article`` names ``word`` (folded), as a name and not a common word."""
        if word not in self._heads.get(article, ()):
            return False
        key = (article, word)
        if key not in self._lower_case:  # read once: "summit" written in lower case in the article is no name
            text = " ".join(self._paragraphs.get(article, ()))
            self._lower_case[key] = bool(re.search(rf"(?<![\w’'-]){re.escape(word)}(?![\w’'-])", text))
        return YEAR.fullmatch(word) is not None or not self._lower_case[key]

    def occasion(self, question: str) -> Occasion:
        """The years and places ``question`` names, when they tell the events of the articles apart."""
        years: set[str] = set()
        places: set[str] = set()
        rest = question
        for match in reversed(list(SETTING_PHRASE.finditer(question))):
            word = fold(POSSESSIVE_END.sub("", match.group("after") or match.group("before") or match.group("year")))
            if YEAR.fullmatch(word):
                years.add(word)
            elif any(self.names(article, word) for article in self._by_name.get(word, ())):
                places.add(word)
            else:
                continue
            rest = rest[: match.start()].rstrip() + rest[match.end() :]
        occasion = Occasion(frozenset(years), frozenset(places), " ".join(rest.split()))
        candidates = set.intersection(*(self._by_name.get(place, set()) for place in places)) if places else self._dates
        # A setting that every event shares ("in Idlib" when all coverage is of Idlib) does not choose one.
        chosen = {self.event(article) for article in candidates if self.about(article, occasion)} - {None}
        if not chosen or chosen == set(self._sizes):
            return Occasion()
        return dataclasses.replace(occasion, events=frozenset(chosen))

    def about(self, article: str, occasion: Occasion) -> bool:
        """True when ``article`` is dated in the year asked about (or names it) and names the place asked about."""
        date = self.date(article)
        year_fits = not occasion.years or (
            str(date.year) in occasion.years if date else any(self.names(article, year) for year in occasion.years)
        )
        return year_fits and all(self.names(article, place) for place in occasion.places)

    def same_event(self, first: str, second: str) -> bool:
        """True when two articles can report one event: the same one, or either undated."""
        a, b = self.event(first), self.event(second)
        return a is None or b is None or a == b


def _events(dates: dict[str, dt.date | None]) -> dict[str, int]:
    """Dated articles numbered by event: in date order, a gap of more than a week starts a new one."""
    dated = sorted((date, article) for article, date in dates.items() if date)
    events: dict[str, int] = {}
    number, previous = 0, None
    for date, article in dated:
        if previous is not None and (date - previous).days > EVENT_SPAN_DAYS:
            number += 1
        events[article], previous = number, date
    return events


def _date(iso: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def _capitalised(text: str) -> set[str]:
    """Folded capitalised words and years of a headline or lead (names, places, a dateline's capitals)."""
    return {fold(POSSESSIVE_END.sub("", w)) for w in WORD.findall(text) if w[:1].isupper() or YEAR.fullmatch(w)}


def focus(hits: list[Hit], occasion: Occasion, settings: ArticleSettings) -> list[Hit]:
    """The hits about one event: the articles about what the question names, else the event most of the
    best hits report (undated articles may belong to any); hits about other events are left out.
    """
    if not hits:
        return hits
    if occasion:
        # The events the setting names: the articles that name it first (undated ones too), then the rest
        # of those events' coverage.
        named = [hit for hit in hits if settings.about(hit.passage.article, occasion)]
        kept = named + [hit for hit in hits if settings.event(hit.passage.article) in occasion.events and hit not in named]
    else:
        anchor = _best_supported(hits, settings)
        kept = [hit for hit in hits if anchor is None or settings.same_event(anchor.passage.article, hit.passage.article)]
    if len(kept) < len(hits):
        logger.debug("Kept %d of %d hits, about one event", len(kept), len(hits))
    return kept


def _best_supported(hits: list[Hit], settings: ArticleSettings) -> Hit | None:
    """The best dated hit of the event most articles among the near-best hits report, then the most covered one.

    None when no near-best hit is dated: nothing then tells events apart.
    """
    near = [hit for hit in hits if hit.score >= SUPPORT_RATIO * hits[0].score]
    best, best_support = None, (0, 0)
    for hit in near:
        if settings.date(hit.passage.article) is None:
            continue
        article = hit.passage.article
        support = (
            len({other.passage.article for other in near if settings.same_event(article, other.passage.article)}),
            settings.coverage(article),
        )
        if support > best_support:
            best, best_support = hit, support
    return best
