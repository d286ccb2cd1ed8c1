"""Read a standalone question: who it names, whether it asks for someone's words, what it is about.

Also finds names the articles never mention ("What did Macron say?",
"What is the capital of France?"): a question about something absent from
every article cannot be answered from them, however close its other words.

The topic of a question is what a follow-up can refer back to: the thing
"it" means ("What is Hmeimim?" → "Hmeimim"), the place "there" means
("Who met in Tehran?" → "Tehran") and the subject of "What did Putin say
about the truce?" ("the truce").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexical import tokenize
from index.language.directory import PeopleDirectory
from index.language.names import DEMONYM, NOT_NAME_WORDS
from index.text import fold

SPEECH_INTENT = re.compile(
    r"\b(say|said|says|saying|tell|told|think|thinks|thought|claim|claimed|respond|responded|react|reacted|"
    r"reply|replied|answer|answered|suggest|suggested|propose|proposed|argue|argued|insist|insisted|"
    r"note|noted|want|wanted|view|views|position|stance|words|quote|quoted|according to|warn|warned|"
    r"retort|retorted|mean|meant|ask|asked|demand|demanded|speak|spoke|spoken|talk|talked|comment|commented|"
    r"describe|described|call|called)\b",
    re.IGNORECASE,
)
WHO_SAID = re.compile(
    r"^\s*(?:and\s+)?who\s+(?:else\s+)?(?:has\s+|had\s+|was\s+)?(said|says|suggested|insisted|noted|warned|replied|"
    r"retorted|claimed|argued|spoke|speaks|talked|commented|proposed|quoted|asked|urged|added|stated|"
    r"declared|promised|vowed|told)\b",
    re.I,
)
WORD_PATTERN = re.compile(r"[^\W\d_][\w'’-]*")
MIN_FAMILIAR_TERMS = 2  # a question of one searchable word is judged by its relevance alone
WHO_IS = re.compile(r"^\s*(?:and\s+)?who\s+(?:is|was|'s|’s)\s+(?P<rest>[^?!.]+)", re.IGNORECASE)
# "about the truce", and after a speech word also "on the truce" / "of the summit".
ABOUT_PATTERN = re.compile(
    r"\b(?:about|regarding|concerning|(?:say|said|says|think|thought|view|views|position|stance|opinion|"
    r"comment|comments|remarks|speak|spoke|talk|talked)\s+(?:on|of))\s+(?P<topic>[^?!.]+)",
    re.IGNORECASE,
)
CAPITALISED_WORD = re.compile(r"(?<![\w'’-])([A-Z][\w'’-]*[\w])")
TIME, QUANTITY = "time", "quantity"
TIME_QUESTION = re.compile(r"^\s*(?:when|what\s+(?:time|date|day|year|month))\b|\bhow\s+long\s+ago\b", re.IGNORECASE)
QUANTITY_QUESTION = re.compile(r"\bhow\s+(?:many|much)\b|\bwhat\s+(?:number|percentage|share)\b", re.IGNORECASE)
TIME_EXPRESSION = re.compile(
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|(?:19|20)\d\d|yesterday|today|tonight|tomorrow|"
    r"(?:last|next|this|that)\s+(?:week|month|year|spring|summer|autumn|winter)|"
    r"(?:days?|weeks?|months?|years?)\s+(?:ago|earlier|later)|morning|evening|night)\b",
    re.IGNORECASE,
)
# A number, "tens of thousands", or a number word counting something ("two leaders", not "one of").
QUANTITY_EXPRESSION = re.compile(
    r"\d|\b(?:hundreds|thousands|millions|billions|dozens|tens)\s+of\b|"
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|billion|dozen)\s+(?!of\b)[a-z]+s\b",
    re.IGNORECASE,
)
CAPITALISED_RUN = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*[\w](?:\s+(?:al-|de\s+|of\s+)?[A-Z][\w'’-]*[\w])*")
LOWERCASE_SPEAKER = re.compile(
    r"\b(?:did|does|do|would|will|has|have)\s+(?!(?:he|she|they|it|we|you|i)\b)([a-z][\w-]+)\s+"
    r"(?:say|think|want|suggest|propose|mean|claim)\b"
)
QUESTION_OPENERS = frozenset(
    "what who whom whose why how where when which is are was were did does do can could would should will "
    "tell show give explain describe list and but so".split()
)
# Words said in chat that are capitalised only because they start the message ("Really?", "Thanks").
CHAT_WORDS = frozenset(
    "really ok okay thanks thank sure great hello hi hey please sorry interesting wow cool right fine good nice "
    "hmm indeed exactly correct wait".split()
)
LOCATIVE = re.compile(
    r"\b(?:in|at|near|into|to|from|inside|outside)\s+(?P<place>[A-Z][\w'’-]*[\w](?:\s+[A-Z][\w'’-]*[\w])*)"
)
# The auxiliaries that open a question or follow its wh-word ("Did …?", "What did …?").
AUXILIARY_VERBS = r"did|does|do|is|was|are|were|has|have|had|can|could|will|would|should"
# A noun phrase after an article, up to a word that ends it (a verb, an auxiliary, most prepositions).
NOUN_PHRASE_END = (
    "is|was|are|were|be|been|held|say|said|says|in|at|on|to|for|with|by|from|about|after|before|during|and|or|but|"
    "that|which|who|would|will|did|does|do|has|have|had|lead|led|up|down|out|off"
)
NOUN_PHRASE = re.compile(rf"\b(?:the|a|an)\s+(?:(?!(?:{NOUN_PHRASE_END})\b)[\w'’-]+\s*){{1,4}}", re.IGNORECASE)
TOPIC_TRAILER = re.compile(r"\s+(?:next|then|now|again|too|also|instead|exactly)$", re.IGNORECASE)
POSSESSIVE_END = re.compile(r"[’']s$")


@dataclass(frozen=True)
class QuestionAnalysis:
    """What a question is about, beyond its words."""

    people: tuple[str, ...]
    speech: bool
    who_said: bool
    unknown_names: tuple[str, ...]
    name_terms: frozenset[str] = frozenset()  # search terms that only name the people asked about
    about: str = ""  # the explicit subject: "What did Putin say about the truce?" → "the truce"
    thing: str = ""  # what "it" would mean next: the subject, a proper noun or a noun phrase
    place: str = ""  # what "there" would mean next: a capitalised place after "in", "at", "to" …

    # Whose words are asked for: "What did Putin and Erdogan say?" names two; "Who said …?" none.
    speakers: tuple[str, ...] = ()
    wants: str = ""  # TIME for "When …?", QUANTITY for "How many …?", else empty


def answer_kind(question: str) -> str:
    """What kind of words an answer must contain: a time, a quantity, or anything."""
    if QUANTITY_QUESTION.search(question):
        return QUANTITY
    if TIME_QUESTION.search(question):
        return TIME
    return ""


def gives(kind: str, text: str) -> bool:
    """True when ``text`` holds the kind of words the question wants."""
    pattern = {TIME: TIME_EXPRESSION, QUANTITY: QUANTITY_EXPRESSION}.get(kind)
    return pattern is None or bool(pattern.search(text))


def _candidate_names(question: str) -> list[tuple[int, str]]:
    names = []
    for match in CAPITALISED_WORD.finditer(question):
        word = match.group(1)
        starts_sentence = match.start() == 0 or question[: match.start()].rstrip()[-1:] in ".!?"
        if fold(word) in NOT_NAME_WORDS or (starts_sentence and fold(word) in QUESTION_OPENERS | CHAT_WORDS):
            continue
        names.append((match.start(1), word))
    names += [(match.start(1), match.group(1)) for match in LOWERCASE_SPEAKER.finditer(question)]
    return names


def unknown_name_spans(question: str, people: PeopleDirectory, vocabulary: dict[str, int]) -> list[tuple[int, str]]:
    """Offsets and words of the proper names in the question that appear in no article."""
    unknown = []
    for start, name in _candidate_names(question):
        if fold(name) in QUESTION_OPENERS or people.find(name):
            continue
        tokens = tokenize(name)
        if tokens and not any(token in vocabulary for token in tokens):
            unknown.append((start, POSSESSIVE_END.sub("", name)))
    return unknown


def unknown_names(question: str, people: PeopleDirectory, vocabulary: dict[str, int]) -> tuple[str, ...]:
    """Proper names in the question that appear in no article, whole ("United States", not "United")."""
    runs = list(CAPITALISED_RUN.finditer(question))
    names = []
    for start, name in unknown_name_spans(question, people, vocabulary):
        run = next((r for r in runs if r.start() <= start < r.end()), None)
        words = POSSESSIVE_END.sub("", run.group(0)).split() if run else [name]
        while len(words) > 1 and fold(words[0]) in QUESTION_OPENERS | NOT_NAME_WORDS:
            words.pop(0)
        names.append(" ".join(words))
    return tuple(dict.fromkeys(names))


def person_to_introduce(question: str, people: PeopleDirectory) -> str:
    """The person "Who is Selim Kaya?" asks about ("" when the question is not only that)."""
    match = WHO_IS.match(question)
    if not match:
        return ""
    rest = match.group("rest").strip()
    mentions = people.mentions(rest)
    if len(mentions) != 1 or rest[: mentions[0].start].strip() or rest[mentions[0].end :].strip():
        return ""
    return mentions[0].person.name


def unfamiliar_words(question: str, vocabulary: dict[str, int]) -> tuple[str, ...]:
    """In a question typed without capitals, the words no article uses when they are most of it, else ().

    Without capitals a name cannot be told from a word: "who won galatasaray fenerbahce" asks about
    two things no article names. One unfamiliar word among familiar ones is only a rephrasing, and a
    question with capitals has its names read by :func:`unknown_names`.
    """
    if question != question.lower():
        return ()
    terms = tokenize(question)
    unknown = [word for word in WORD_PATTERN.findall(question) if (found := tokenize(word)) and found[0] not in vocabulary]
    if len(terms) < MIN_FAMILIAR_TERMS or len(unknown) * 2 <= len(terms):
        return ()
    return tuple(dict.fromkeys(unknown))


def about_topic(question: str) -> str:
    """The explicit subject of a question ("… say about the truce?" → "the truce"), or ""."""
    match = ABOUT_PATTERN.search(question)
    if not match:
        return ""
    return TOPIC_TRAILER.sub("", match.group("topic").strip(" ,;:'\"“”‘’"))


def _outside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return not any(s < end and start < e for s, e in spans)


def proper_things(text: str, people: PeopleDirectory) -> list[str]:
    """Capitalised names in ``text`` that are not people, openers or nationality adjectives."""
    taken = [(m.start, m.end) for m in people.mentions(text)]
    things = []
    for match in CAPITALISED_RUN.finditer(text):
        words = match.group(0).split()
        while words and (fold(words[0]) in NOT_NAME_WORDS or fold(words[0]) in QUESTION_OPENERS | CHAT_WORDS):
            words.pop(0)
        if not words or not _outside(taken, match.start(), match.end()):
            continue
        following = text[match.end() :].split()[:1]
        if len(words) == 1 and DEMONYM.match(words[0]) and following and following[0][:1].islower():
            continue  # "Russian planes": an adjective, not a thing
        things.append(POSSESSIVE_END.sub("", " ".join(words)))
    return things


def place_in(text: str, people: PeopleDirectory) -> str:
    """The first place named after a locative preposition ("met in Tehran" → "Tehran"), or ""."""
    taken = [(m.start, m.end) for m in people.mentions(text)]
    for match in LOCATIVE.finditer(text):
        place = POSSESSIVE_END.sub("", match.group("place"))
        if _outside(taken, match.start("place"), match.end("place")) and fold(place.split()[0]) not in NOT_NAME_WORDS:
            return place
    return ""


def thing_of(question: str, people: PeopleDirectory) -> str:
    """What "it" would refer to after this question: its subject, a proper noun, or a noun phrase."""
    about = about_topic(question)
    if about:
        return about
    things = proper_things(question, people)
    if things:
        return things[0]
    taken = [(m.start, m.end) for m in people.mentions(question)]
    for match in NOUN_PHRASE.finditer(question):
        if _outside(taken, match.start(), match.end()):
            return match.group(0).strip()
    return ""


def speakers_asked(question: str, people: PeopleDirectory) -> tuple[str, ...]:
    """The people named before the speech word ("What did Putin and Erdogan say about Assad?" → two)."""
    speech = SPEECH_INTENT.search(question)
    mentions = people.mentions(question)
    if speech is None or not mentions:
        return ()
    before = [m.person.name for m in mentions if m.start < speech.start()]
    return tuple(dict.fromkeys(before or [mentions[0].person.name]))


def analyse(question: str, people: PeopleDirectory, vocabulary: dict[str, int]) -> QuestionAnalysis:
    """Who the question names, whether it asks for words, what it is about and what no article names."""
    named = people.names_in(question)
    aliases = {alias for name in named for alias in people.find(name).all_aliases()}  # type: ignore[union-attr]
    name_terms = {term for alias in aliases for term in tokenize(alias)}
    return QuestionAnalysis(
        people=tuple(named),
        name_terms=frozenset(name_terms),
        speech=bool(SPEECH_INTENT.search(question)),
        who_said=bool(WHO_SAID.search(question)),
        unknown_names=unknown_names(question, people, vocabulary) or unfamiliar_words(question, vocabulary),
        about=about_topic(question),
        thing=thing_of(question, people),
        place=place_in(question, people),
        speakers=() if WHO_SAID.search(question) else speakers_asked(question, people),
        wants=answer_kind(question),
    )
