"""Who said what: the people an article names and the speaker of every quote.

The rules read an article the way a reader does, with no list of people
written in advance:

* people are introduced with a title or role, often after a nationality
  ("Russian President Vladimir Putin", "his Turkish counterpart Recep Tayyip
  Erdogan", "Syria's Foreign Minister Walid al-Muallem"), in an apposition
  ("Pieter van der Berg, a Dutch official of the European Commission", "The
  United Nations special envoy for Syria, Staffan de Mistura,"), or as the
  subject of a speech verb ("Knut Solberg, who heads the union, said");
* later references use the surname, a description that fits what the
  introduction said ("the Turkish leader", "the Syrian minister"), or a
  pronoun ("he suggested");
* a pronoun refers to the subject of the nearest earlier sentence of its
  paragraph that names someone, or else to whoever spoke last;
* a quote belongs to the speech cue of its own sentence, after it
  (``," Putin noted``) or before it (``Erdogan retorted: "``); a quote with
  no cue takes the speaker of its paragraph's other quotes, and a paragraph
  of quotes with no cue at all continues the previous speaker;
* reported speech without quote marks ("He said it must be possible …")
  gives the paragraph a speaker too.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import logging
import re
from dataclasses import dataclass, field

from index.text import fold

logger = logging.getLogger(__name__)

MIN_QUOTE_WORDS = 4  # shorter quoted spans are scare quotes ("ceasefire"), not speech
CUE_AFTER_QUOTE_CHARS = 60  # room for ``," said the Syrian foreign minister``
CLAUSE_INSERT_CHARS = 90  # ", who heads the union," between a subject and its verb
NATION_STEM_CHARS = 4  # "Syria"/"Syrian" and "Turkey"/"Turkish" share at least this many letters
HEADLINE_CAPITALISED_SHARE = 0.6  # in a title-case headline every word looks like a name
HEADLINE_MIN_WORD_CHARS = 4  # short words ("of", "in") are lower case even in headlines
MENTION_CACHE_SIZE = 512
ALIAS_PATTERN_CACHE_SIZE = 4096  # compiled alias alternations, reused across articles with the same people

SPEECH_VERBS = (
    "said|says|say|saying|noted|notes|added|adds|adding|retorted|replied|replies|insisted|insists|"
    "suggested|suggests|told|tells|stated|states|argued|argues|warned|warns|explained|explains|asked|"
    "asks|stressed|stresses|declared|declares|claimed|claims|urged|urges|announced|announces|remarked|"
    "continued|responded|responds|commented|observed|admitted|admits|acknowledged|emphasised|"
    "emphasized|pointed out|went on|wrote|writes|countered|counters|conceded|concedes|promised|"
    "promises|vowed|vows|denied|denies|proposed|proposes|recalled|maintained|maintains|cautioned|"
    "agreed|complained|quipped|joked|shot back|according to"
)
SUBJECT_AFTER_ONLY = "according to"
# Role nouns that introduce or describe a person; longest first so "prime minister" beats "minister".
ROLE_HEADS = tuple(
    sorted(
        (
            "prime minister|foreign minister|defence minister|defense minister|head of state|secretary-general|"
            "secretary general|spokesperson|spokeswoman|spokesman|counterpart|ambassador|chancellor|negotiator|"
            "commissioner|chairwoman|chairman|president|commander|diplomat|director|governor|mediator|minister|"
            "official|premier|senator|adviser|advisor|leader|envoy|mayor|queen|king|emir|sultan|prince|aide|chief|"
            "analyst|expert|professor|researcher|economist|journalist|correspondent"
        ).split("|"),
        key=len,
        reverse=True,
    )
)
ROLE_HEAD_PATTERNS = {head: re.compile(rf"\b{re.escape(head)}\b") for head in ROLE_HEADS}
LEADER_HEADS = frozenset(
    "leader|president|prime minister|premier|head of state|chancellor|king|queen|emir|sultan|prince".split("|")
)
DIPLOMAT_HEADS = frozenset(
    "diplomat|foreign minister|envoy|ambassador|negotiator|mediator|secretary-general|secretary general".split("|")
)
SPOKES_HEADS = frozenset({"spokesman", "spokeswoman", "spokesperson"})
# Lower-case words that may stand between "the" and a role ("the top diplomat").
ROLE_MODIFIERS = (
    "top|senior|special|deputy|former|chief|foreign|defence|defense|interior|prime|finance|fisheries|"
    "trade|economy|acting|interim|main|veteran"
)
NAME_PREFIX_WORDS = frozenset(ROLE_HEADS) | frozenset(ROLE_MODIFIERS.split("|"))  # "Minister", "Foreign" before a name
IGNORABLE_MODIFIERS = frozenset({"top", "senior", "special", "veteran", "chief", "main", "acting"})
PARTICLE = r"(?:al|el|bin|ibn|de|da|di|du|van|von|der|den|del|della|la|le|ben|abu|dos|das|ter)"
NAME_TOKEN = rf"(?:{PARTICLE}-)?[A-Z][\w]*(?:-[A-Z]?[\w]+)?"
NAME = rf"{NAME_TOKEN}(?:\s+(?:{PARTICLE}\s+)*{NAME_TOKEN}){{0,3}}"
POSSESSIVE = re.compile(r"[’']s?$")
POSSESSIVE_WORD = re.compile(r"[’']s$")
POSSESSIVE_START = re.compile(r"[’']s?\b")
PARTICLE_WORD = re.compile(PARTICLE)
PARTICLE_PREFIX = re.compile(rf"^{PARTICLE}-")
WORD_PATTERN = re.compile(r"[A-Za-z][\w’'-]*")
CAPITALISED_WORD = re.compile(r"\b[A-Z][a-z]+\b")
DEMONYM = re.compile(r"^[A-Z][a-z]+(?:an|ian|ish|ese|i|ic|ch)$")
PRONOUN_GENDER = {"he": "male", "she": "female"}
HONORIFIC_GENDER = {"mr": "male", "mrs": "female", "ms": "female", "miss": "female", "madam": "female"}
PREPOSITIONS = frozenset(
    """of to with by for from about against on at in between than like alongside towards toward into among
    without under over after before during behind beside including unlike whom""".split()
)
LOCATIVE_PREPOSITIONS = frozenset({"in", "at", "to", "from", "near", "into", "towards", "toward"})

# Capitalised words that start sentences or name groups but are never a person.
NOT_NAME_WORDS = frozenset(
    """a an and as at but by for from had has have he her his however i if in it its
    it's meanwhile moreover my nor of on or our she so still that the their then there these they
    this those though thus to we what when where which while who why yes no you your
    according asked speaking after before speaking also
    friday monday tuesday wednesday thursday saturday sunday january february march april may june
    july august september october november december any all every some""".split()
)

_HEADS = "|".join(re.escape(head).replace(r"\ ", r"\s+") for head in ROLE_HEADS)
_MODIFIERS = rf"(?:(?:[A-Z][\w.’'-]*|(?i:{ROLE_MODIFIERS}))\s+){{0,4}}"
_OF_SUFFIX = r"(?:\s+(?:for|of)\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})?"
_DETERMINER = r"(?:(?:[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[A-Z][\w-]*[’']s\s+)?|[A-Z][\w-]*[’']s\s+)"
_ROLE = rf"(?P<role>{_MODIFIERS}(?i:{_HEADS}))\b"
ROLE_HEAD_PATTERN = re.compile(rf"(?i:\b(?:{_HEADS}))\b")

INTRO_PATTERN = re.compile(  # \b first: trying every position inside words made builds slow
    rf"\b(?:(?P<det>[Hh]is|[Hh]er|[Tt]heir|[Tt]he)\s+)?(?P<desc>(?:[A-Z][\w-]*[’']s\s+)?{_ROLE})\s+(?P<name>{NAME})"
)
APPOSITION_PATTERN = re.compile(
    rf"(?P<name>{NAME}),\s+(?P<desc>(?:an?\s+|{_DETERMINER}){_ROLE}{_OF_SUFFIX})(?=\s*[,.;:]|\s+who\b)"
)
REVERSE_APPOSITION_PATTERN = re.compile(rf"(?P<desc>\b{_DETERMINER}{_ROLE}{_OF_SUFFIX}),\s+(?P<name>{NAME})\s*,")
DESCRIPTION_PATTERN = re.compile(rf"(?P<desc>\b{_DETERMINER}{_ROLE})")
NAME_PATTERN = re.compile(NAME)
HONORIFIC_PATTERN = re.compile(rf"\b(?P<title>Mr|Mrs|Ms|Miss|Madam)\.?\s+(?P<name>{NAME})")
SPEECH_VERB_PATTERN = re.compile(r"\b(?:" + SPEECH_VERBS.replace(" ", r"\s+") + r")\b", re.IGNORECASE)
PRONOUN_PATTERN = re.compile(r"\b(?:[Hh]e|[Ss]he)\b")
LOWERCASE_WORD_START = re.compile(r"(?<![\w’'])[a-z]")
QUOTE_PATTERN = re.compile(r"“([^”]*)”?|\"([^\"]*)\"")
SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?…])[”\"’]?\s+(?=[“\"‘A-Z0-9])")
# What may stand between a subject and its speech verb: an insert between commas, adverbs, auxiliaries.
SUBJECT_GAP = re.compile(
    rf"(?:\s*,[^,“”\"]{{0,{CLAUSE_INSERT_CHARS}}},|\s*,)?"
    r"(?:\s+(?:on\s+[A-Z]\w+|[a-z]+ly|also|later|then|again|earlier|once|still|too|further|"
    r"had|has|have|was|is|will|would|did|does))*\s*"
)
# A cue after a quote belongs to it only when no new clause starts between them (", and Erdogan agreed").
CLAUSE_LINK = re.compile(r"\b(?:and|but|while|as|which|who|whereas|although|because)\b")
# What may stand between a speech verb and the subject after it: ``said Turkish Defence Minister``.
AFTER_VERB_GAP = re.compile(r"\s+(?:(?:the|a|an)\s+)?(?:[A-Z][\w’'.-]*\s+){0,4}")


class _FoldedCharacters(dict[int, str]):
    """``str.translate`` table folding one character to one character, filled as characters appear."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        single = fold(ch)
        self[code] = single if len(single) == 1 else ch.lower()[:1] or ch
        return self[code]


_FOLDED_CHARACTERS = _FoldedCharacters()


def fold_in_place(text: str) -> str:
    """:func:`fold` character by character, so offsets in the result are offsets in ``text``."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLDED_CHARACTERS)


def same_nation(first: str, second: str) -> bool:
    """True when two words name the same nation ("Syria" and "Syrian", "Turkey" and "Turkish")."""
    a, b = fold(POSSESSIVE.sub("", first)), fold(POSSESSIVE.sub("", second))
    if a == b:
        return True
    shared = 0
    for left, right in zip(a, b):
        if left != right:
            break
        shared += 1
    return shared >= min(NATION_STEM_CHARS, len(a), len(b)) and shared >= len(min(a, b, key=len)) - 2


def is_nationality(word: str) -> bool:
    """True for a nationality adjective ("Turkish") or a possessive place ("Syria's")."""
    return bool(DEMONYM.match(word)) or bool(POSSESSIVE_WORD.search(word))


@dataclass
class Person:
    """A person named in the articles, with every way the text refers to them."""

    name: str
    nationality: str = ""
    role: str = ""
    aliases: set[str] = field(default_factory=set)
    gender: str = ""  # learnt from "his/her counterpart" or "Mr/Ms" while reading; not stored

    @property
    def surname(self) -> str:
        """The family name with its particles ("al-Assad" → "Assad", "de Mistura" stays)."""
        words = self.name.split()
        start = len(words) - 1
        while start > 1 and PARTICLE_WORD.fullmatch(words[start - 1]):
            start -= 1
        surname = " ".join(words[start:]) if start < len(words) - 1 else words[-1]
        return PARTICLE_PREFIX.sub("", surname)

    def all_aliases(self) -> set[str]:
        """Full name, surname and descriptions seen in the text, folded for matching."""
        last = PARTICLE_PREFIX.sub("", self.name.split()[-1])
        names = {self.name, self.surname, self.name.split()[-1], last, *self.aliases}
        return {fold(name) for name in names if name}


@dataclass(frozen=True)
class Quote:
    """A quoted span of a paragraph and who said it (``None`` when unknown)."""

    text: str
    speaker: str | None
    start: int
    end: int


@dataclass(frozen=True)
class ParagraphSpeech:
    """The quotes of one paragraph and its main speaker (quoted or reported)."""

    quotes: tuple[Quote, ...]
    speaker: str | None


@dataclass(frozen=True)
class Mention:
    """A stretch of text that refers to a known person."""

    start: int
    end: int
    person: Person


@dataclass(frozen=True)
class Description:
    """A role phrase such as "the Turkish leader": its modifiers and its role noun."""

    text: str
    modifiers: tuple[str, ...]
    head: str


def parse_description(text: str) -> Description | None:
    """Split "the UN special envoy for Syria" into modifiers and role noun; None if no role noun."""
    match = ROLE_HEAD_PATTERN.search(text)
    if match is None:
        return None
    before = text[: match.start()].split()
    words = [w for w in before if fold(w) not in ("the", "a", "an", "his", "her", "their")]
    after = text[match.end() :].split()
    modifiers = tuple(words) + tuple(w for w in after if w[:1].isupper())
    return Description(text=" ".join(text.split()), modifiers=modifiers, head=" ".join(fold(match.group(0)).split()))


@functools.lru_cache(maxsize=1024)
def _role_heads(role: str) -> frozenset[str]:
    """The role nouns in a role ("Foreign Minister" → foreign minister, minister)."""
    folded = " ".join(fold(role).split())
    return frozenset(head for head in ROLE_HEADS if ROLE_HEAD_PATTERNS[head].search(folded))


def _head_fits(head: str, person: Person) -> bool:
    heads = _role_heads(person.role)
    if not heads:
        return False
    if head in heads or "counterpart" in heads or head in ("official", "counterpart"):
        return True
    if head == "leader":
        return bool(heads & LEADER_HEADS)
    if head == "diplomat":
        return bool(heads & DIPLOMAT_HEADS)
    if head in SPOKES_HEADS:
        return bool(heads & SPOKES_HEADS)
    if head == "minister":
        return any(h.endswith("minister") for h in heads)
    return False


def _acronym_of(word: str, text: str) -> bool:
    letters = word.replace(".", "")
    if not (letters.isupper() and len(letters) >= 2):
        return False
    capitals = "".join(w[0] for w in text.split() if w[:1].isupper())
    return letters in capitals


@functools.lru_cache(maxsize=1024)
def _words_of(text: str) -> frozenset[str]:
    return frozenset(fold(POSSESSIVE.sub("", word)) for word in text.split())


def _modifiers_fit(modifiers: tuple[str, ...], person: Person) -> int:
    """-1 when a modifier contradicts what is known of the person, 1 when a nationality confirms them, else 0."""
    known = f"{person.role} {person.nationality} {' '.join(sorted(person.aliases))}"
    known_words = _words_of(known)
    score = 0
    for modifier in modifiers:
        word = POSSESSIVE.sub("", modifier)
        if fold(word) in IGNORABLE_MODIFIERS:
            continue
        if fold(word) in known_words or _acronym_of(word, known):
            score = max(score, 1 if person.nationality and same_nation(word, person.nationality) else 0)
            continue
        if is_nationality(modifier) or DEMONYM.match(word):
            if person.nationality and not same_nation(word, person.nationality):
                return -1
            score = max(score, 1 if person.nationality else 0)
            continue
        return -1
    return score


def _clean_name(raw: str) -> str:
    words = POSSESSIVE.sub("", raw.strip()).split()
    while words and fold(words[0]) in NOT_NAME_WORDS | NAME_PREFIX_WORDS:
        words.pop(0)
    return " ".join(words)


@functools.lru_cache(maxsize=ALIAS_PATTERN_CACHE_SIZE)
def _alternation(aliases: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern matching any of ``aliases`` as whole words; articles naming the same people share it."""
    return re.compile(rf"(?<![\w-])(?:{'|'.join(re.escape(a) for a in aliases)})(?![\w])")


class PeopleDirectory:
    """The people of one article (or many) and how to find them in text."""

    def __init__(self, people: list[Person] | None = None) -> None:
        self.people: list[Person] = list(people or [])
        self._pattern: re.Pattern[str] | None = None
        self._owners: dict[str, Person] = {}
        self._mentions: dict[str, tuple[Mention, ...]] = {}  # questions are read several times per turn

    def _alias_pattern(self) -> re.Pattern[str] | None:
        """One compiled alternation of every alias, longest first (rebuilt after changes)."""
        if self._pattern is None and self.people:
            self._owners = {}
            for person in self.people:
                for alias in person.all_aliases():
                    self._owners.setdefault(alias, person)
            self._pattern = _alternation(tuple(sorted(self._owners, key=lambda alias: (-len(alias), alias))))
        return self._pattern

    def changed(self) -> None:
        """Forget the compiled aliases after a person was added or given a new alias."""
        self._pattern = None
        self._mentions.clear()

    def learn_alias(self, person: Person, alias: str) -> None:
        """Remember another way the text refers to ``person``."""
        if fold(alias) not in person.all_aliases():
            person.aliases.add(alias)
            self.changed()

    def find(self, name: str) -> Person | None:
        """The person a name, surname or description refers to, if any."""
        wanted = fold(_clean_name(name) or name)
        self._alias_pattern()
        if wanted in self._owners:
            return self._owners[wanted]
        description = parse_description(name) if DESCRIPTION_PATTERN.fullmatch(name.strip()) else None
        return self.describe(description) if description else None

    def describe(self, description: Description, recent: list[Person] | None = None) -> Person | None:
        """The person a description fits: a confirmed nationality first, then the most recent."""
        fitting = []
        self._alias_pattern()
        said_before = self._owners.get(fold(description.text))
        for position, person in enumerate(self.people):
            fit = _modifiers_fit(description.modifiers, person)
            if fit >= 0 and _head_fits(description.head, person):
                seen = said_before is person
                recency = recent.index(person) if recent and person in recent else len(self.people) + position
                fitting.append((-fit, not seen, recency, person))
        if not fitting:
            return None
        fitting.sort(key=lambda item: item[:3])
        best = fitting[0]
        if recent is None and len(fitting) > 1 and fitting[1][:2] == best[:2]:
            return None  # out of context, two people fit equally well
        return best[3]

    def add(self, name: str, nationality: str = "", role: str = "") -> Person | None:
        """Register a person, merging with one who shares the surname."""
        name = _clean_name(name)
        if not name or fold(name.split()[0]) in NOT_NAME_WORDS:
            return None
        self._alias_pattern()
        existing = self._owners.get(fold(name)) or self._owners.get(fold(name.split()[-1]))
        if existing:
            if len(name.split()) > len(existing.name.split()) and fold(name).endswith(fold(existing.surname)):
                existing.aliases.add(existing.name)
                existing.name = name
                self.changed()
            existing.nationality = existing.nationality or nationality
            existing.role = existing.role or role
            return existing
        person = Person(name=name, nationality=nationality, role=role)
        self.people.append(person)
        self.changed()
        return person

    def by_nationality(self, nationality: str) -> Person | None:
        """The first person introduced with a nationality ("Turkish" or "Turkey's")."""
        for person in self.people:
            if person.nationality and same_nation(person.nationality, nationality):
                return person
        return None

    def name_mentions(self, text: str) -> list[Mention]:
        """Every name or surname of a known person in ``text``, in order."""
        pattern = self._alias_pattern()
        if pattern is None:
            return []
        return [
            Mention(match.start(), match.end(), self._owners[match.group(0)])
            for match in pattern.finditer(fold_in_place(text))
        ]

    def mentions(self, text: str) -> list[Mention]:
        """Every reference to a known person in ``text`` (names and descriptions, in any case), in order."""
        if text not in self._mentions:
            if len(self._mentions) >= MENTION_CACHE_SIZE:
                self._mentions.clear()
            self._mentions[text] = tuple(self._find_mentions(text))
        return list(self._mentions[text])

    def _find_mentions(self, text: str) -> list[Mention]:
        found = self.name_mentions(text)
        # Questions are often typed in lower case: "what did the turkish minister say?"
        capitalised = LOWERCASE_WORD_START.sub(lambda m: m.group(0).upper(), text)
        for start, end, description in description_spans(capitalised, found):
            person = self.describe(description)
            if person is not None:
                found.append(Mention(start, end, person))
        return sorted(found, key=lambda mention: mention.start)

    def names_in(self, text: str) -> list[str]:
        """Names of the known people referred to in ``text``, first mention first."""
        return list(dict.fromkeys(mention.person.name for mention in self.mentions(text)))


def description_spans(text: str, names: list[Mention]) -> list[tuple[int, int, Description]]:
    """Descriptions in ``text`` that are not part of a name or an introduction ("the Turkish leader")."""
    spans = []
    for match in DESCRIPTION_PATTERN.finditer(text):
        start, end = match.span("desc")
        overlaps = any(m.start < end and start < m.end for m in names)
        introduces = any(text[end:m.start].strip() == "" and m.start >= end for m in names)
        description = parse_description(match.group("desc"))
        if description and not overlaps and not introduces:
            spans.append((start, end, description))
    return spans


def _quote_spans(paragraph: str) -> list[tuple[int, int, str]]:
    spans = []
    for match in QUOTE_PATTERN.finditer(paragraph):
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        if inner is not None and len(inner.split()) >= MIN_QUOTE_WORDS:
            spans.append((match.start(), match.end(), inner.strip()))
    return spans


def _mask(paragraph: str, spans: list[tuple[int, int, str]]) -> str:
    """Blank out quoted text so names inside quotes are not taken as speakers."""
    chars = list(paragraph)
    for start, end, _ in spans:
        for position in range(start + 1, max(start + 1, end - 1)):
            chars[position] = " "
    return "".join(chars)


def _sentence_starts(paragraph: str, spans: list[tuple[int, int, str]]) -> list[int]:
    """Offsets where sentences start, ignoring full stops inside quotes."""
    starts = [0]
    for boundary in SENTENCE_BOUNDARY.finditer(paragraph):
        if not any(start < boundary.start() < end - 1 for start, end, _ in spans):
            starts.append(boundary.end())
    return starts


def looks_like_headline(paragraph: str) -> bool:
    """True for a title-case line without a full stop, whose capitals say nothing about names."""
    if paragraph.rstrip().endswith((".", "”", '"')):
        return False
    words = [w for w in WORD_PATTERN.findall(paragraph) if len(w) >= HEADLINE_MIN_WORD_CHARS]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= HEADLINE_CAPITALISED_SHARE


def _split_role(description: str) -> tuple[str, str]:
    """("Norwegian Fisheries Minister") → ("Norwegian", "Fisheries Minister")."""
    words = [w for w in description.split() if fold(w) not in ("the", "a", "an", "his", "her", "their")]
    if len(words) > 1 and is_nationality(words[0]) and fold(POSSESSIVE.sub("", words[0])) not in ROLE_HEADS:
        return POSSESSIVE.sub("", words[0]), " ".join(words[1:])
    return "", " ".join(words)


def _is_place_like(word: str, text: str) -> bool:
    """A single capitalised word used as a place ("in Damascus") or a nation ("Turkey" beside "Turkish")."""
    for match in re.finditer(rf"(\w+)\s+{re.escape(word)}\b", text):
        if match.group(1).lower() in LOCATIVE_PREPOSITIONS:
            return True
    return any(
        same_nation(word, adjective) and fold(word) != fold(adjective)
        for adjective in set(CAPITALISED_WORD.findall(text))
        if DEMONYM.match(adjective)
    )


def _speech_subject_name(before: str, directory: PeopleDirectory, article_text: str) -> str | None:
    """A new person's name standing as the subject right before a speech verb, if any."""
    for match in reversed(list(NAME_PATTERN.finditer(before))):
        gap = before[match.end() :]
        if not SUBJECT_GAP.fullmatch(gap):
            continue
        if directory.find(match.group(0)):
            return None
        preceding = before[: match.start()].split()[-1:]
        if preceding and (preceding[0].lower() in ("the", "a", "an") or preceding[0].lower() in PREPOSITIONS):
            continue  # "the Kremlin said", "an analyst at the Prague Institute, said": not a person
        words = _clean_name(match.group(0)).split()
        if not words or not all(w[0].isupper() for w in words):
            continue
        # A lone capitalised word is a person only right before the verb and never a place.
        if len(words) == 1 and (gap.strip() or _is_place_like(words[0], article_text)):
            continue
        return " ".join(words)
    return None


def find_people(paragraphs: list[str], directory: PeopleDirectory | None = None) -> PeopleDirectory:
    """Read introductions, appositions and speech subjects to list an article's people."""
    directory = directory or PeopleDirectory()
    body = [p for p in paragraphs if not looks_like_headline(p)]
    for paragraph in body:
        introduced: list[Person] = []
        matches = [*INTRO_PATTERN.finditer(paragraph), *APPOSITION_PATTERN.finditer(paragraph)]
        matches += REVERSE_APPOSITION_PATTERN.finditer(paragraph)
        for match in sorted(matches, key=lambda m: m.start("name")):
            name = match.group("name")
            preceding = paragraph[: match.start()].split()[-1:]
            if preceding and preceding[0].lower() in LOCATIVE_PREPOSITIONS and match.re is APPOSITION_PATTERN:
                continue  # "In Tehran, the Iranian official" is a place, not a name
            nationality, role = _split_role(match.group("desc"))
            person = directory.add(name, nationality, role)
            if person is None:
                continue
            if fold(role).endswith("counterpart") and introduced:
                possessor = introduced[-1]
                person.role = possessor.role if fold(person.role) == "counterpart" else person.role
                determiner = (match.groupdict().get("det") or "").lower()
                possessor.gender = possessor.gender or {"his": "male", "her": "female"}.get(determiner, "")
            introduced.append(person)
        for match in HONORIFIC_PATTERN.finditer(paragraph):
            person = directory.find(match.group("name")) or directory.add(match.group("name"))
            if person is not None:
                person.gender = person.gender or HONORIFIC_GENDER[match.group("title").lower()]
    article_text = "\n".join(body)
    for paragraph in body:
        masked = _mask(paragraph, _quote_spans(paragraph))
        for verb in SPEECH_VERB_PATTERN.finditer(masked):
            before = masked[max(0, verb.start() - 2 * CLAUSE_INSERT_CHARS) : verb.start()]
            name = _speech_subject_name(before, directory, article_text)
            if name:
                directory.add(name)
    return directory


@dataclass(frozen=True)
class _Reference:
    """A name, description or pronoun in a paragraph (quotes blanked out)."""

    start: int
    end: int
    kind: str  # "name", "description" or "pronoun"
    person: Person | None = None
    description: Description | None = None
    pronoun: str = ""
    possessive: bool = False
    after_preposition: bool = False

    @property
    def can_be_subject(self) -> bool:
        """Possessives ("Magnusson's offer") and objects of prepositions are not sentence subjects."""
        return not (self.possessive or self.after_preposition)


@dataclass(frozen=True)
class _Cue:
    """A speech verb and its subject (``None`` when the subject is not a known person)."""

    start: int
    end: int
    person: Person | None


def _references(masked: str, directory: PeopleDirectory) -> list[_Reference]:
    names = directory.name_mentions(masked)
    found: list[_Reference] = [_Reference(m.start, m.end, "name", person=m.person) for m in names]
    for start, end, description in description_spans(masked, names):
        found.append(_Reference(start, end, "description", description=description))
    taken = [(r.start, r.end) for r in found]
    for match in PRONOUN_PATTERN.finditer(masked):
        if not any(s <= match.start() < e for s, e in taken):
            found.append(_Reference(match.start(), match.end(), "pronoun", pronoun=match.group(0).lower()))
    marked = []
    for ref in found:
        previous = masked[: ref.start].split()[-1:]
        marked.append(
            dataclasses.replace(
                ref,
                possessive=bool(POSSESSIVE_START.match(masked[ref.end : ref.end + 2])),
                after_preposition=bool(previous) and previous[0].lower() in PREPOSITIONS,
            )
        )
    return sorted(marked, key=lambda r: r.start)


class _Paragraph:
    """One paragraph as the tracker reads it: quotes blanked out, sentences numbered, references found."""

    def __init__(self, text: str, directory: PeopleDirectory) -> None:
        self.text = text
        self.spans = _quote_spans(text)
        self.masked = _mask(text, self.spans)
        self.references = _references(self.masked, directory)
        self.verbs = list(SPEECH_VERB_PATTERN.finditer(self.masked))
        self._starts = _sentence_starts(text, self.spans)

    def sentence_of(self, position: int) -> int:
        """The number of the sentence that ``position`` falls in."""
        return bisect.bisect_right(self._starts, position) - 1

    def same_sentence(self, first: int, second: int) -> bool:
        """True when both positions fall in one sentence."""
        return self.sentence_of(first) == self.sentence_of(second)


class _SpeakerTracker:
    """Walks an article in order, remembering who spoke and who was named last."""

    def __init__(self, directory: PeopleDirectory) -> None:
        self.directory = directory
        self.last_speaker: Person | None = None
        self.last_subject: Person | None = None
        self.recent: list[Person] = []  # everyone referred to, most recent first
        self._resolved: dict[int, _Reference] = {}  # this paragraph's references, by position

    def _note(self, person: Person) -> None:
        if person in self.recent:
            self.recent.remove(person)
        self.recent.insert(0, person)

    def _resolve_description(self, description: Description) -> Person | None:
        person = self.directory.describe(description, self.recent)
        if person is None:
            return None
        nationality = next((m for m in description.modifiers if is_nationality(m)), "")
        if nationality and not person.nationality:
            person.nationality = POSSESSIVE.sub("", nationality)
        if any(fold(m) not in IGNORABLE_MODIFIERS for m in description.modifiers):
            self.directory.learn_alias(person, description.text[0].lower() + description.text[1:])
        return person

    def _resolve_pronoun(self, reading: _Paragraph, pronoun: _Reference) -> Person | None:
        """The subject of the nearest earlier sentence naming someone, else the last speaker or subject."""
        earlier = sorted((r for r in self._resolved.values() if r.start < pronoun.start), key=lambda r: r.start)
        candidates: list[Person] = []
        for sentence in range(reading.sentence_of(pronoun.start), -1, -1):
            subjects = [r.person for r in earlier if reading.sentence_of(r.start) == sentence and r.can_be_subject]
            candidates += [person for person in subjects if person][:1]
        candidates += [p for p in (self.last_speaker, self.last_subject) if p is not None]
        candidates += self.recent
        unwanted = {"male": "female", "female": "male"}[PRONOUN_GENDER[pronoun.pronoun]]
        return next((p for p in candidates if p.gender != unwanted), None)

    def _resolve(self, reading: _Paragraph, ref: _Reference) -> _Reference:
        """The reference with its person found (once; later calls return the same answer)."""
        if ref.start not in self._resolved:
            person = ref.person
            if ref.kind == "description" and ref.description:
                person = self._resolve_description(ref.description)
            elif ref.kind == "pronoun":
                person = self._resolve_pronoun(reading, ref)
            self._resolved[ref.start] = dataclasses.replace(ref, person=person)
            if person is not None:
                self._note(person)
        return self._resolved[ref.start]

    def _subject_before(self, reading: _Paragraph, verb: re.Match[str]) -> Person | None:
        """The person (or pronoun) standing as the subject right before a speech verb."""
        for ref in sorted(self._resolved.values(), key=lambda r: r.start, reverse=True):
            if ref.end > verb.start() or not reading.same_sentence(ref.start, verb.start()):
                continue
            if ref.can_be_subject and SUBJECT_GAP.fullmatch(reading.masked[ref.end : verb.start()]):
                return ref.person
        return None

    def _subject_after(self, reading: _Paragraph, verb: re.Match[str]) -> Person | None:
        """The person named right after a speech verb: ``," said Putin`` or ``according to van der Berg``."""
        following = next((r for r in reading.references if r.start >= verb.end()), None)
        if (
            following is None
            or following.possessive  # "said Putin's spokesman" is not Putin
            or not AFTER_VERB_GAP.fullmatch(reading.masked[verb.end() : following.start])
            or not reading.same_sentence(following.start, verb.start())
        ):
            return None
        return self._resolve(reading, following).person

    def _cue(self, reading: _Paragraph, verb: re.Match[str]) -> _Cue:
        subject = None
        if not fold(verb.group(0)).startswith(SUBJECT_AFTER_ONLY.split()[0]):
            subject = self._subject_before(reading, verb)
        return _Cue(verb.start(), verb.end(), subject or self._subject_after(reading, verb))

    def attribute(self, paragraph: str) -> ParagraphSpeech:
        """Attribute the quotes of the next paragraph and update who spoke last."""
        reading = _Paragraph(paragraph, self.directory)
        self._resolved = {}
        events: list[tuple[int, int, _Reference | re.Match[str]]] = [(r.start, 0, r) for r in reading.references]
        events += [(verb.start(), 1, verb) for verb in reading.verbs]
        cues = []
        for _, _, item in sorted(events, key=lambda event: event[:2]):
            if isinstance(item, _Reference):
                self._resolve(reading, item)
            else:
                cues.append(self._cue(reading, item))
        self._remember_subject(reading)
        quote_people = self._attribute_quotes(reading, cues)
        speaking = [*zip((start for start, _, _ in reading.spans), quote_people), *((c.start, c.person) for c in cues)]
        spoken = [person for _, person in sorted(speaking, key=lambda item: item[0]) if person is not None]
        if spoken:
            self.last_speaker = spoken[-1]
        elif any(r.person is not self.last_speaker for r in self._resolved.values() if r.person):
            self.last_speaker = None  # narration about someone else ends the current speaker's turn
        quotes = tuple(
            Quote(text=text, speaker=person.name if person else None, start=start, end=end)
            for (start, end, text), person in zip(reading.spans, quote_people)
        )
        main = next((q.speaker for q in quotes if q.speaker), None) or (spoken[0].name if spoken else None)
        return ParagraphSpeech(quotes=quotes, speaker=main)

    def _remember_subject(self, reading: _Paragraph) -> None:
        """The subject of the paragraph's last sentence that has one, for a pronoun in the next."""
        for ref in sorted(self._resolved.values(), key=lambda r: (reading.sentence_of(r.start), -r.start)):
            if ref.can_be_subject and ref.person:
                self.last_subject = ref.person

    def _cue_of_quote(self, reading: _Paragraph, index: int, cues: list[_Cue]) -> _Cue | None:
        """The speech cue of a quote's own sentence: right after it or before it."""
        start, end, text = reading.spans[index]
        next_quote = reading.spans[index + 1][0] if index + 1 < len(reading.spans) else len(reading.text)
        previous_quote = reading.spans[index - 1][1] if index else 0
        after = next(
            (
                cue
                for cue in cues
                if end <= cue.start <= min(next_quote, end + CUE_AFTER_QUOTE_CHARS)
                and reading.same_sentence(cue.start, end - 1)
                and not CLAUSE_LINK.search(reading.text[end : cue.start])
            ),
            None,
        )
        before = next(
            (
                cue
                for cue in reversed(cues)
                if previous_quote <= cue.end <= start and reading.same_sentence(cue.start, start)
            ),
            None,
        )
        # A quote that ends its sentence ("… tragedy.”) takes the cue before it; ``," he said`` the one after.
        ends_sentence = text.rstrip("”\"’ ").endswith((".", "!", "…"))
        return (before or after) if ends_sentence else (after or before)

    def _attribute_quotes(self, reading: _Paragraph, cues: list[_Cue]) -> list[Person | None]:
        """Each quote's speaker: its sentence's cue, the paragraph's other quotes, or the previous speaker."""
        found = [self._cue_of_quote(reading, index, cues) for index in range(len(reading.spans))]
        speakers = [cue.person if cue else None for cue in found]
        for index, cue in enumerate(found):
            if cue is not None:
                continue
            nearest = sorted(range(len(found)), key=lambda other: (abs(other - index), -other))
            others = [speakers[other] for other in nearest if found[other] is not None and speakers[other]]
            cue_people = [c.person for c in cues if c.person]
            speakers[index] = (others or cue_people or [self.last_speaker])[0]
        return speakers


def attribute_speakers(
    paragraphs: list[str], directory: PeopleDirectory | None = None
) -> tuple[PeopleDirectory, list[ParagraphSpeech]]:
    """Find the people of an article and the speaker of each paragraph's quotes."""
    directory = find_people(paragraphs, directory)
    tracker = _SpeakerTracker(directory)
    return directory, [tracker.attribute(paragraph) for paragraph in paragraphs]
