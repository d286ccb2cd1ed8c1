"""Conversation state and follow-up resolution into a standalone query.

Each conversation remembers what was last talked about: the people (the
first is who "he" or "she" means), the thing "it" means, the place "there"
means, the topic and everyone named on it (for "Who else?"), the last
standalone query and the passages already shown.

:func:`resolve` rewrites a follow-up as a standalone, readable query with a
few rules tried in order; a question that none of them fits stands alone
and starts a new topic:

* continuation — "Tell me more", "More", "Go on": the last query again,
  skipping the passages already shown;
* "Who else?": the topic again, leaving out the people already named;
* "Why?" (or "When?", "Where?"): the last query turned into that question;
* ellipsis — "And Erdogan?", "What about Rouhani?", "And the ceasefire?":
  the last query with its person (or its topic) replaced;
* pronouns — he/she/him/his/her → the last person, they/them/their → the
  last people, it/its → the last thing, there → the last place.

The rules are regular expressions over a few words: deterministic, no
model, a few dozen microseconds per turn.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from bot.events import EVENT_NOUNS, SETTING_PREPOSITIONS, YEAR_TEXT
from bot.question import (
    AUXILIARY_VERBS,
    QUESTION_OPENERS,
    WHO_SAID,
    about_topic,
    proper_things,
    unknown_name_spans,
)
from index.lexical import tokenize
from index.language.directory import PeopleDirectory
from index.language.names import PRONOUN_GENDER
from index.text import fold

logger = logging.getLogger(__name__)

MAX_ELLIPSIS_WORDS = 6  # "And the Turkish defence minister?" is ellipsis; longer is a question of its own
LEADING_CONJUNCTION = re.compile(r"^(?:and|but|so|ok|okay|also|then|well)\b[\s,]*", re.IGNORECASE)
MORE_PATTERN = re.compile(
    r"^(?:(?:please\s+)?tell\s+me\s+more|(?:any|some)\s*(?:thing)?\s*more|more(?:\s+please)?|go\s+on|"
    r"continue|keep\s+going|what\s+else|anything\s+else|then(?:\s+what)?|what\s+next|next)"
    r"(?:\s+(?:about\s+(?:it|that|this)|on\s+(?:it|that|this)|please))?[\s.!?]*$",
    re.IGNORECASE,
)
WHO_ELSE_PATTERN = re.compile(r"^who\s+else\b\s*(?P<rest>[^?]*)\??\s*$", re.IGNORECASE)
BARE_WH_PATTERN = re.compile(
    r"^(?P<wh>why|when|where|how(?=\s+come))"
    r"(?:\s+(?:so|not|exactly|come|is\s+that|was\s+that|that|did\s+(?:he|she|they)))?[\s?!.]*$",
    re.IGNORECASE,
)
ELLIPSIS_PATTERN = re.compile(
    r"^(?P<lead>(?:and\s+)?(?:what|how)\s+about|what\s+of|(?:and\s+)?(?:the\s+)?same(?:\s+question)?\s+for|and|also)?"
    r"\s*(?P<topic>(?:about|regarding|concerning|on)\s+)?(?P<target>[^?]+?)[\s?.!]*$",
    re.IGNORECASE,
)
TRAILING_FILLER = re.compile(r"[\s,]+(?:too|as\s+well|then|please|instead)$", re.IGNORECASE)
PERSON_JOINERS = re.compile(r"\b(?:and|the)\b|[,&]", re.IGNORECASE)
MAX_BARE_TARGET_WORDS = 3  # "Erdogan?" or "The Syrian leader?" with no "and"/"what about"
PERSON_AND_TOPIC = re.compile(r"^(?P<person>.+?)\s+(?:on|about|regarding)\s+(?P<topic>.+)$", re.IGNORECASE)
PERSON_PRONOUN = re.compile(r"\b(?:he|she|him|his|hers|her)\b", re.IGNORECASE)
GROUP_PRONOUN = re.compile(r"\b(?:they|them|their|theirs)\b", re.IGNORECASE)
PLURAL_THING = re.compile(r"[^s\W]s$")  # "the zones", not "the process" or "Hmeimim"
THING_PRONOUN = re.compile(r"\b(?:it|its)\b", re.IGNORECASE)
PLACE_PRONOUN = re.compile(r"\bthere\b", re.IGNORECASE)
# "Is it true that …", "it seems": an "it" that refers to nothing.
DUMMY_IT = re.compile(
    r"\bit(?:'s|’s|\s+is|\s+was|\s+seems|\s+appears|\s+looks)?\s+(?:true|possible|likely|clear|known|said|reported|"
    r"thought|believed|expected|important|necessary|unclear|that|as\s+if)\b",
    re.IGNORECASE,
)
# "Is there a truce?", "there were": an existential "there", not a place.
EXISTENTIAL_THERE = re.compile(
    r"\b(?:(?:is|are|was|were|will|would|could|has|have)\s+there|"
    r"there\s+(?:is|are|was|were|will|would|could|has|have|'s|’s|be|been|seems?))\b",
    re.IGNORECASE,
)
PREPOSITION_BEFORE = re.compile(r"\b(?:in|at|from|to|near|into|inside|out\s+of|over)\s+$", re.IGNORECASE)
CONTINUATION = re.compile(r"\b(?:next|else|afterwards|after\s+that|later|other|another|further|more)\b", re.IGNORECASE)
# "Who else said that?" asks the same as "Who else?".
SAID_THAT = re.compile(
    r"^(?:said|says|spoke|talked|commented)(?:\s+(?:that|so|this|it|about\s+(?:it|that|this)))?$", re.IGNORECASE
)
WH_WITH_AUXILIARY = re.compile(
    r"^(?:what|where|when|how|which\s+\w+|who)\s+"
    rf"(?P<aux>{AUXILIARY_VERBS})\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
AUXILIARY_FIRST = re.compile(
    rf"^(?P<aux>{AUXILIARY_VERBS})\s+(?P<rest>.+)$", re.IGNORECASE
)
WHAT_SPEECH = re.compile(
    r"^what\s+(?:else\s+)?(?P<aux>did|does|do|would|will)\s+(?P<subject>.+?)\s+"
    r"(?P<verb>say|think|want|suggest|propose|mean|claim|demand|ask|answer|reply|argue|insist|warn)\b(?P<rest>.*)$",
    re.IGNORECASE,
)
ABOUT_START = re.compile(r"^(?:about|on|of|regarding)\b", re.IGNORECASE)
WHO_QUESTION = re.compile(r"^who\s+(?!else\b)", re.IGNORECASE)
LEADING_THE = re.compile(r"^The\b")
# "her position" is possessive, "about her" is not.
NOUN_AFTER_HER = re.compile(r"(?!(?:about|to|on|at|for|with|from|in|and|or)\b)[a-z]")
# "And in Tehran?", "What about in 2017?", "And at the Sochi summit?": the same question, set elsewhere.
SETTING_BODY = (
    rf"(?i:{SETTING_PREPOSITIONS})\s+(?:(?i:the)\s+)?(?:[A-Z][\w’'-]*|{YEAR_TEXT})(?:\s+(?i:{EVENT_NOUNS}))?"
)
SETTING = re.compile(SETTING_BODY)
SETTING_AT_END = re.compile(rf"\s+{SETTING_BODY}$")
TRAILING_PREPOSITION = re.compile(r"\s+(?:about|of|for|to|with|on|in|at|from)$", re.IGNORECASE)

SHOWN_KEPT = 100  # passages a conversation remembers having shown, for "More"

@dataclass(frozen=True)
class Turn:
    """What one answered turn was about, for :meth:`Conversation.remember`."""

    query: str
    people: tuple[str, ...] = ()  # named in the query, subject first
    speakers: tuple[str, ...] = ()  # who speaks in the answer
    mentioned: tuple[str, ...] = ()  # who else the answer names
    topic: str = ""
    thing: str = ""
    place: str = ""
    shown: list[str] = field(default_factory=list)
    more: bool = False
    follow_up: bool = False


@dataclass
class Conversation:
    """What one chat has talked about so far (plain data: bot.state saves it as JSON)."""

    people: list[str] = field(default_factory=list)
    topic: str = ""
    last_query: str = ""
    shown: list[str] = field(default_factory=list)
    # Immutable defaults, so conversations saved before these fields existed still load.
    thing: str = ""
    place: str = ""
    named: tuple[str, ...] = ()
    last_speakers: tuple[str, ...] = ()
    group: tuple[str, ...] = ()  # the people "they" means: named together in the last turn

    def remember(self, turn: Turn) -> None:
        """Record a finished turn."""
        same_topic = turn.follow_up or (bool(turn.topic) and fold(turn.topic) == fold(self.topic))
        # Bounded: after SHOWN_KEPT passages of "More", the oldest may be offered again.
        self.shown = (self.shown + turn.shown)[-SHOWN_KEPT:] if turn.more else list(turn.shown)
        self.last_query = turn.query
        self.people = list(turn.people or turn.speakers[:1] or self.people)
        self.topic = turn.topic or (self.topic if turn.follow_up else "")
        self.thing = turn.thing or self.thing
        self.place = turn.place or self.place
        everyone = (*turn.people, *turn.speakers)
        self.named = tuple(dict.fromkeys((*self.named, *everyone) if same_topic else everyone))
        self.last_speakers = tuple(turn.speakers)
        groups = (turn.people, turn.speakers, turn.mentioned)
        self.group = next((tuple(names) for names in groups if len(names) > 1), ())

    def reset(self) -> None:
        """Forget everything."""
        self.people, self.topic, self.last_query, self.shown = [], "", "", []
        self.thing, self.place, self.named, self.last_speakers, self.group = "", "", (), (), ()


@dataclass(frozen=True)
class Resolution:
    """A follow-up turned into something searchable."""

    query: str
    more: bool = False  # continue with the next passages, skipping those already shown
    exclude: tuple[str, ...] = ()  # people already named, for "Who else?"
    follow_up: bool = False  # the query was rewritten from the conversation


def _short_name(name: str, people: PeopleDirectory) -> str:
    """The surname when it names only this person ("Putin"), else the whole name ("Jane Smith")."""
    person = people.find(name)
    if person is None:
        return name
    return person.surname if people.find(person.surname) is person else person.name


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _question(text: str) -> str:
    return _capitalise(text.strip().rstrip(" ?.!")) + "?"


def _person_slots(query: str, people: PeopleDirectory, vocabulary: dict[str, int]) -> list[tuple[int, int]]:
    """Where the last query names a person, known or not ("Macron"), first first."""
    slots = [(m.start, m.end) for m in people.mentions(query)]
    slots += [(start, start + len(name)) for start, name in unknown_name_spans(query, people, vocabulary)]
    return sorted(slots)


def _possessive(name: str) -> str:
    return f"{name}’" if name.endswith("s") else f"{name}’s"


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _continue(question: str, bare: str, conversation: Conversation) -> Resolution | None:
    """"Tell me more", "More", "Go on": the last query again, past what was shown."""
    if not (MORE_PATTERN.match(question) or MORE_PATTERN.match(bare)):
        return None
    exclude = conversation.named if WHO_ELSE_PATTERN.match(conversation.last_query) else ()
    return Resolution(query=conversation.last_query, more=True, exclude=exclude, follow_up=True)


def _wh_query(wh: str, conversation: Conversation, people: PeopleDirectory) -> str:
    """"Why?" (or "When?", "Where?") after the last query: "Did Putin reject it?" → "Why did Putin reject it?"."""
    last = conversation.last_query.strip().rstrip(" ?.!")
    speech = WHAT_SPEECH.match(last)
    if speech:
        return _question(f"{wh} {speech['aux'].lower()} {speech['subject']} {speech['verb']} that{speech['rest']}")
    said = WHO_SAID.match(last)
    if said and conversation.last_speakers:
        speaker = _short_name(conversation.last_speakers[0], people)
        return _question(f"{wh} did {speaker} say {last[said.end():].strip()}")
    first = AUXILIARY_FIRST.match(last)
    if first:
        return _question(f"{wh} {first['aux'].lower()} {first['rest']}")
    asked = WH_WITH_AUXILIARY.match(last)
    if asked:
        return _question(f"{wh} {asked['aux'].lower()} {TRAILING_PREPOSITION.sub('', asked['rest'])}")
    return _question(f"{wh} {conversation.topic or conversation.thing or last}")


def _bare_wh(question: str, conversation: Conversation, people: PeopleDirectory) -> Resolution | None:
    """"Why?", "When?", "Where?", "How come?" on their own."""
    match = BARE_WH_PATTERN.match(question)
    if not match:
        return None
    wh = "Why" if match["wh"].lower() == "how" else match["wh"].capitalize()  # "How come?" asks why
    return Resolution(query=_wh_query(wh, conversation, people), follow_up=True)


def _who_else(question: str, conversation: Conversation, people: PeopleDirectory) -> Resolution | None:
    """"Who else?" (or "Who else said that?"): the topic again, without the people already named."""
    match = WHO_ELSE_PATTERN.match(question)
    if not match:
        return None
    rest = match["rest"].strip()
    last = conversation.last_query.strip().rstrip(" ?.!")
    if rest and not SAID_THAT.match(rest):
        query = _question(f"Who else {_substitute_pronouns(rest, conversation, people)}")
    elif WHO_QUESTION.match(last):
        query = _question(f"Who else {last[4:]}")
    else:
        query = _question(f"Who else spoke about {conversation.topic or conversation.thing or 'this'}")
    return Resolution(query=query, exclude=conversation.named, follow_up=True)


def _only_people(target: str, people: PeopleDirectory) -> bool:
    """True when ``target`` names people and nothing else ("Erdogan", "the Turkish leader", "Putin and Erdogan")."""
    rest = target
    for mention in reversed(people.mentions(target)):
        rest = rest[: mention.start] + " " + rest[mention.end :]
    return rest != target and not PERSON_JOINERS.sub("", rest).strip()


def _is_person(target: str, people: PeopleDirectory, vocabulary: dict[str, int]) -> bool:
    """A known person, or a name no article uses (which can only be someone they don't mention)."""
    if _only_people(target, people):
        return True
    if target[:1].islower():
        # "and macron?": words no article contains (and no little words) can only be a name they don't mention
        tokens = tokenize(target)
        return bool(tokens) and len(tokens) == len(target.split()) and not any(t in vocabulary for t in tokens)
    return bool(unknown_name_spans(target, people, vocabulary)) and not proper_things(target, people)[1:]


def _ellipsis_for_person(
    target: str, topic: str, conversation: Conversation, people: PeopleDirectory, vocabulary: dict[str, int]
) -> str:
    """The last query asked of another person: their name in the old one's place, or a new question."""
    last = conversation.last_query.strip()
    target = LEADING_THE.sub("the", target)  # it moves into the middle of a sentence
    if topic:
        return _question(f"What did {target} say about {topic}")
    slots = _person_slots(last, people, vocabulary)
    if slots:
        start, end = slots[0]
        return _question(_replace(last, start, end, target))
    said = WHO_SAID.match(last)
    if said:
        rest = last[said.end() :].strip().rstrip(" ?.!")
        # "Who spoke about the truce?" → "What did X say about …"; "Who said it was wrong?" → "Did X say …"
        asked = "What did" if ABOUT_START.match(rest) else "Did"
        return _question(f"{asked} {target} say {rest}")
    subject = conversation.topic or conversation.thing
    return _question(f"What did {target} say about {subject}" if subject else f"What did {target} say")


def _ellipsis_for_thing(target: str, conversation: Conversation) -> str:
    """The last query asked about another thing: it takes the place of the old topic."""
    last = conversation.last_query.strip()
    for old in (about_topic(last), conversation.thing):
        position = last.find(old) if old else -1
        if position >= 0:
            return _question(_replace(last, position, position + len(old), target))
    if WHAT_SPEECH.match(last.rstrip(" ?.!")):
        return _question(f"{last.rstrip(' ?.!')} about {target}")  # "What did Putin say?" + "And Aleppo?"
    return _question(f"What about {target}")


def _names_only(target: str, people: PeopleDirectory, vocabulary: dict[str, int]) -> bool:
    """True when ``target`` is nothing but a person or a proper name ("Erdogan", "the Syrian leader", "Aleppo")."""
    if len(target.split()) > MAX_BARE_TARGET_WORDS:
        return False
    if _only_people(target, people):
        return True
    return target in proper_things(target, people) or bool(unknown_name_spans(target, people, vocabulary))


def _ellipsis(
    question: str, conversation: Conversation, people: PeopleDirectory, vocabulary: dict[str, int]
) -> Resolution | None:
    """"And Erdogan?", "What about the ceasefire?", "Rouhani?": the last query with a person or topic replaced."""
    match = ELLIPSIS_PATTERN.match(question)
    if not match:
        return None
    target = _substitute_pronouns(TRAILING_FILLER.sub("", match["target"].strip(" ,")), conversation, people)
    words = target.split()
    if not words or len(words) > MAX_ELLIPSIS_WORDS or fold(words[0]) in QUESTION_OPENERS:
        return None
    if not tokenize(target) and not people.mentions(target):
        return None  # "And the?", "And 😀?": nothing to ask about
    if not (match["lead"] or match["topic"]) and not _names_only(target, people, vocabulary):
        return None  # "Really?" or a statement is not about a new person or thing
    if match["lead"] and SETTING.fullmatch(target):
        return Resolution(query=_with_setting(conversation.last_query, target), follow_up=True)
    split = PERSON_AND_TOPIC.match(target)
    if match["topic"]:
        query = _ellipsis_for_thing(target, conversation)
    elif split and _is_person(split["person"], people, vocabulary):
        query = _ellipsis_for_person(split["person"], split["topic"], conversation, people, vocabulary)
    elif _is_person(target, people, vocabulary):
        unknown = target[:1].islower() and not people.mentions(target)
        name = " ".join(word.capitalize() for word in target.split()) if unknown else target  # "and macron?"
        query = _ellipsis_for_person(name, "", conversation, people, vocabulary)
    else:
        query = _ellipsis_for_thing(target, conversation)
    return Resolution(query=query, follow_up=True)


def _with_setting(query: str, setting: str) -> str:
    """The last query set somewhere or sometime else: "… the truce in Sochi?" + "in Tehran" → "… in Tehran?"."""
    bare = SETTING_AT_END.sub("", query.strip().rstrip(" ?.!"))
    return _question(f"{bare} {setting}")


def _person_for_pronoun(question: str, conversation: Conversation, people: PeopleDirectory) -> str | None:
    """The last person referred to the way the question does: "she" is the last woman, "he" the last man."""
    named = set(people.names_in(question))
    pronoun = PERSON_PRONOUN.search(question)
    wanted = PRONOUN_GENDER.get(fold(pronoun.group(0)), "") if pronoun else ""
    candidates = [
        name
        for name in dict.fromkeys((*conversation.people, *conversation.last_speakers, *conversation.named))
        if name not in named
    ]
    fitting = [name for name in candidates if _gender_of(name, people) in (wanted, "")]
    return next(iter(fitting or candidates), None)


def _gender_of(name: str, people: PeopleDirectory) -> str:
    person = people.find(name)
    return person.gender if person else ""


def _substitute_pronouns(question: str, conversation: Conversation, people: PeopleDirectory) -> str:
    """Replace he/she/him/his/her, they/them/their, it/its and there by what they refer to."""
    text = question
    person = _person_for_pronoun(text, conversation, people)
    if person:
        short = _short_name(person, people)

        def person_word(match: re.Match[str]) -> str:
            word = match.group(0).lower()
            following = text[match.end() :].lstrip()
            possessive = word == "his" or (word == "her" and bool(NOUN_AFTER_HER.match(following)))
            return _possessive(short) if possessive else short

        text = PERSON_PRONOUN.sub(person_word, text)
    group = ""
    if conversation.group:
        names = [_short_name(name, people) for name in conversation.group]
        group = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    elif PLURAL_THING.search(conversation.thing):
        group = conversation.thing  # "Who set them up?" after "… the de-escalation zones"
    if group:
        text = GROUP_PRONOUN.sub(lambda m: _possessive(group) if m.group(0).lower().startswith("their") else group, text)
    if conversation.thing and not DUMMY_IT.search(text):
        thing = conversation.thing
        text = THING_PRONOUN.sub(lambda m: _possessive(thing) if m.group(0).lower() == "its" else thing, text)
    place = conversation.place or next(iter(proper_things(conversation.thing, people)), "")
    if place and not EXISTENTIAL_THERE.search(text):
        def place_words(match: re.Match[str]) -> str:
            # "from there" → "from Tehran", "What happened there?" → "What happened in Tehran?"
            return place if PREPOSITION_BEFORE.search(text[: match.start()]) else f"in {place}"

        text = PLACE_PRONOUN.sub(place_words, text)
    return text


def _pronouns(question: str, conversation: Conversation, people: PeopleDirectory) -> Resolution | None:
    """A question with he/she/they/it/there in it, each replaced by what it refers to."""
    rewritten = _substitute_pronouns(question, conversation, people)
    if rewritten == question:
        return None
    return Resolution(query=_question(rewritten), more=bool(CONTINUATION.search(question)), follow_up=True)


def _standalone_continuation(question: str, conversation: Conversation, people: PeopleDirectory) -> Resolution:
    """A question of its own; "What else did Putin say?" still skips what was shown about Putin."""
    named = people.names_in(question)
    more = bool(CONTINUATION.search(question)) and set(named) <= set(conversation.people)
    return Resolution(query=question, more=more, follow_up=more)


def resolve(
    question: str, conversation: Conversation, people: PeopleDirectory, vocabulary: dict[str, int] | None = None
) -> Resolution:
    """Turn a possibly elliptical follow-up into a standalone query."""
    question = question.strip()
    if not conversation.last_query:
        return Resolution(query=question)
    vocabulary = vocabulary if vocabulary is not None else {}
    bare = LEADING_CONJUNCTION.sub("", question) or question
    resolution = (
        _continue(question, bare, conversation)
        or _who_else(bare, conversation, people)
        or _bare_wh(bare, conversation, people)
        or _ellipsis(question, conversation, people, vocabulary)
        or _pronouns(bare, conversation, people)
        or _standalone_continuation(_capitalise(bare), conversation, people)
    )
    if resolution.follow_up:
        logger.debug("Resolved %r as %r", question, resolution.query)
    return resolution

