"""Whether the passages found give what the question asks for, not only words it shares.

"How old is Erdogan?" finds Erdogan's quotes; "When did the Syrian war start?"
finds a paragraph with "Syrian" and a day in it. Neither answers. Three checks:

* the thing asked about: a word of the question that no article uses ("eat",
  "hotel", "wife", "war") — besides names and question words — means the
  articles cannot say it, unless the question stripped of its people's names
  is still close to some passage (synonyms: "support" for "allies");
* the kind of answer: "how old" needs an age, "how long" a duration, "what
  time" a time of day, "how many" a number; "when" and "where" a time or a
  place. A passage giving that kind of thing must also use the question's own
  words (not just its people) and, when the question is about one person,
  involve that person;
* yes/no questions ("Did Erdogan get his ceasefire?") are answered with what
  the articles report, introduced as such, not with a yes or no they don't give.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass

from bot.question import AUXILIARY_VERBS, NOUN_PHRASE, QUANTITY, QuestionAnalysis, gives, place_in, proper_things
from index.language.directory import PeopleDirectory
from index.lexical import tokenize
from index.passages import Passage
from index.search import Hit, HybridSearcher, speakers_of

logger = logging.getLogger(__name__)

AGE, DURATION, CLOCK, PLACE = "age", "duration", "clock", "place"
NAMELESS_FLOOR = 0.30  # relevance of the question without its people's names (benchmarks/eval.py)
THING_FLOOR = 0.36  # relevance under which a "when/where/how many" question about a thing no article names is refused
KIND_DEPTH = 20  # passages read for one that gives the kind of thing asked for
NO_NUMBER = "The articles don't give that number."
AGE_QUESTION = re.compile(r"\bhow\s+old\b|\bwhat\s+age\b|\b(?:his|her|their|'s|’s)\s+age\b", re.I)
DURATION_QUESTION = re.compile(r"\bhow\s+long\b(?!\s+ago)|\bfor\s+how\s+many\s+(?:minutes|hours|days|weeks|months|years)\b", re.I)
CLOCK_QUESTION = re.compile(r"\bwhat\s+time\b|\bat\s+what\s+hour\b", re.I)
PLACE_QUESTION = re.compile(r"^\s*where\b", re.I)
STRICT_KINDS = (AGE, DURATION, CLOCK, QUANTITY)  # without a passage of that kind there is no answer
AGE_EXPRESSION = re.compile(
    r"\b\d{1,3}[-\s]years?[-\s]old\b|\baged\s+\d{1,3}\b|\bage\s+(?:of\s+)?\d{1,3}\b|\b\d{1,3}\s+years\s+of\s+age\b", re.I
)
NUMBER_WORD = r"\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|a\s+few|many"
DURATION_EXPRESSION = re.compile(
    rf"\b(?:{NUMBER_WORD})[-\s]+(?:minutes?|hours?|days?|weeks?|months?|years?)\b(?!\s+ago)|"
    r"\blast(?:ed|ing|s)\s+(?:for|until|into|through)\b|\ball\s+(?:day|night)\b|\bovernight\b",
    re.I,
)
CLOCK_EXPRESSION = re.compile(
    r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:a\.?m\b|p\.?m\b)|\b\d{1,2}:\d{2}\b|\bo'clock\b|\bnoon\b|\bmidnight\b|"
    r"\b(?:morning|afternoon|evening|night)\b",
    re.I,
)
YES_NO_QUESTION = re.compile(
    rf"^\s*(?:{AUXILIARY_VERBS})\b(?!\s+(?:you|i)\b)", re.I
)
# Words a question uses for the kind of answer or for any event, which no article needs to write.
QUESTION_FRAME_WORDS = frozenset(
    tokenize(
        "old age long many much time times day days date year years kind sort type name names happen happened held "
        "hold take took taken place start started begin began end ended last lasted occur occurred doing done get "
        "got make made have has had exactly really actually"
    )
)
WORD = re.compile(r"[^\W_]+")
POSSESSIVE = re.compile(r"\w[’']s\b")
POSSESSED = re.compile(r"[’']s\s+(?:\w+\s+){0,2}\w+", re.I)  # "Putin's wife", "Erdogan's favourite food"
COPULA_QUESTION = re.compile(
    r"^(?P<wh>how\s+\w+|what|who|where|when|which\s+\w+)\s+(?P<verb>is|are|was|were)\s+(?P<rest>.+?)\??$", re.I
)


@dataclass(frozen=True)
class Reading:
    """What the passages found give of what was asked: a reply when they don't answer, or the fitting ones."""

    shortfall: str = ""  # why they don't answer ("The articles quote Erdogan but don't say how old Erdogan is.")
    fitting: tuple[Hit, ...] = ()  # passages that give the kind of thing asked for, best first


def asked_kind(question: str, analysis: QuestionAnalysis) -> str:
    """The kind of answer the question needs: AGE, DURATION, CLOCK, QUANTITY, TIME, PLACE or ""."""
    if AGE_QUESTION.search(question):
        return AGE
    if DURATION_QUESTION.search(question):
        return DURATION
    if CLOCK_QUESTION.search(question):
        return CLOCK
    if analysis.wants:
        return analysis.wants
    return PLACE if PLACE_QUESTION.match(question) else ""


def gives_kind(kind: str, passage: Passage, searcher: HybridSearcher) -> bool:
    """True when the passage holds the kind of thing asked for."""
    if kind == AGE:
        return bool(AGE_EXPRESSION.search(passage.text))
    if kind == DURATION:
        return bool(DURATION_EXPRESSION.search(passage.text))
    if kind == CLOCK:
        return bool(CLOCK_EXPRESSION.search(passage.text))
    if kind == PLACE:  # "in Tehran", or a name that is not a person's ("Hmeimim … Latakia")
        people = searcher.snapshot.people
        return bool(place_in(passage.text, people) or proper_things(passage.text, people))
    return gives(kind, passage.text)


def focus_terms(query: str, analysis: QuestionAnalysis, people: PeopleDirectory) -> set[str]:
    """The question's own words: not names of people ("the Putin-Erdogan meeting" too), question words or kind words."""
    names = {term for word in WORD.findall(query) if people.find(word) for term in tokenize(word)}
    return set(tokenize(query)) - set(analysis.name_terms) - names - QUESTION_FRAME_WORDS


def without_names(query: str, searcher: HybridSearcher) -> str:
    """The query with the names of its people taken out ("How old is Erdogan?" → "How old is ?")."""
    text = query
    for mention in reversed(searcher.snapshot.people.name_mentions(query)):
        text = text[: mention.start] + text[mention.end :]
    return text


def with_previous(hit: Hit, searcher: HybridSearcher) -> str:
    """The hit's paragraph after the one before it in the same article ("The meeting lasted 40 minutes" needs it)."""
    passages = searcher.snapshot.passages
    previous = passages[hit.index - 1] if hit.index > 0 else None
    same = previous is not None and previous.article == hit.passage.article
    return f"{previous.text} {hit.passage.text}" if same else hit.passage.text  # type: ignore[union-attr]


def involves(hit: Hit, person: str, searcher: HybridSearcher) -> bool:
    """True when ``person`` speaks in the passage or is named in it or before it in its article.

    "The meeting lasted about 40 minutes" is about the meeting the article's earlier paragraphs
    say Putin held.
    """
    if person in speakers_of(hit.passage):
        return True
    passages, people = searcher.snapshot.passages, searcher.snapshot.people
    index = hit.index
    while index >= 0 and passages[index].article == hit.passage.article:
        if person in people.names_in(passages[index].text):
            return True
        index -= 1
    return False


def shares_most(terms: set[str], hit: Hit, searcher: HybridSearcher) -> bool:
    """True when most of ``terms`` stand in the passage or the one it follows."""
    return len(terms & set(tokenize(with_previous(hit, searcher)))) >= len(terms) // 2 + 1


def things_asked(query: str) -> set[str]:
    """The terms of the noun phrases of a question ("the Syrian war", "Putin's wife"): the things it is about."""
    phrases = [m.group(0) for m in NOUN_PHRASE.finditer(query)] + [m.group(0) for m in POSSESSED.finditer(query)]
    last = WORD.findall(query)[-1:]  # "Where did the leaders meet?": the verb closes the question, not a thing
    return {term for phrase in phrases for term in tokenize(phrase)} - set(tokenize(" ".join(last)))


def read_hits(
    query: str, analysis: QuestionAnalysis, hits: list[Hit], searcher: HybridSearcher, threshold: float
) -> Reading:
    """Whether the hits answer the question asked: a shortfall to reply, or the hits that give what it asks."""
    if analysis.speech or analysis.who_said:
        return Reading()  # someone's words are asked for: the engine's speaker checks apply
    focus = focus_terms(query, analysis, searcher.snapshot.people)
    vocabulary = searcher.snapshot.lexical.vocabulary
    absent = {term for term in focus if term not in vocabulary}
    person = analysis.people[0] if len(analysis.people) == 1 else None
    kind = asked_kind(query, analysis)
    if absent and (person or (kind and absent & things_asked(query))):
        # "How old is Erdogan?", "When did the Syrian war start?" (no war in them); a synonym keeps the
        # question close to some passage once its names are gone ("Which countries support Assad?")
        nameless = searcher.search(without_names(query, searcher), 1)
        floor = NAMELESS_FLOOR if person else THING_FLOOR
        if not nameless or nameless[0].relevance < floor:
            return Reading(_note(query, person, kind, searcher))
    if not (kind in STRICT_KINDS or (kind and person)):
        return Reading()
    present = focus - absent
    candidates = list(dict.fromkeys([*hits, *itertools.islice(searcher.ranked(query), KIND_DEPTH)]))
    fitting = tuple(
        hit
        for hit in candidates
        if hit.relevance >= threshold
        and gives_kind(kind, hit.passage, searcher)
        and (not present or shares_most(present, hit, searcher))
        and (person is None or involves(hit, person, searcher))
    )
    return Reading(fitting=fitting) if fitting else Reading(_note(query, person, kind, searcher))


def _note(query: str, person: str | None, kind: str, searcher: HybridSearcher) -> str:
    """"The articles quote Recep Tayyip Erdogan but don't say how old Erdogan is."."""
    copula = COPULA_QUESTION.match(query.strip())
    # "How old is Erdogan?" → "how old Erdogan is"; "Where was Erdogan born?" stays quoted
    invertible = copula and (copula["wh"].lower().startswith("how") or POSSESSIVE.search(copula["rest"]))
    asked = f"{copula['wh'].lower()} {copula['rest']} {copula['verb'].lower()}" if invertible else ""
    if person is None:
        if asked:
            return f"The articles don't say {asked}."
        return NO_NUMBER if kind == QUANTITY else f"Nothing in the articles answers “{query.strip()}”."
    verb = "quote" if len(searcher.speaks(person)) else "mention"
    if asked:
        return f"The articles {verb} {person} but don't say {asked}."
    return f"The articles {verb} {person}, but nothing in them answers “{query.strip()}”."


def is_yes_no(query: str) -> bool:
    """True for a question answered by yes or no ("Did Erdogan get his ceasefire?")."""
    return bool(YES_NO_QUESTION.match(query))
