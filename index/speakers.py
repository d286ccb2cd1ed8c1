"""Who said what: people named in an article and the speaker of every quote.

The rules read the article the way a reader does, with no list of people
written in advance:

* people are introduced with a role and often a nationality
  ("Russian President Vladimir Putin", "his Turkish counterpart Recep Tayyip
  Erdogan"), or named as the subject of a speech verb ("Lavrov said");
* later references use the surname, a description built from the
  introduction ("the Turkish leader" → the Turkish person), or a pronoun
  ("he suggested" → the latest speaker);
* a quote is attributed to the speech cue right after it (``," Putin noted``)
  or right before it (``Erdogan retorted: "``); a quote with no cue at the
  start of a paragraph continues the previous paragraph's speaker;
* reported speech without quote marks ("He said it must be possible …")
  gives the paragraph a speaker too.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

MIN_QUOTE_WORDS = 4  # shorter quoted spans are scare quotes ("ceasefire"), not speech
CUE_AFTER_QUOTE_CHARS = 40
CUE_BEFORE_QUOTE_CHARS = 12
SUBJECT_WINDOW_WORDS = 3

SPEECH_VERBS = (
    "said|says|say|noted|notes|added|adds|retorted|replied|replies|insisted|insists|suggested|suggests|"
    "told|tells|stated|states|argued|argues|warned|warns|explained|explains|asked|asks|stressed|stresses|"
    "declared|declares|claimed|claims|urged|urges|announced|announces|remarked|remarks|continued|"
    "responded|responds|commented|comments|observed|admitted|admits|acknowledged|emphasised|emphasized|"
    "emphasises|emphasizes|pointed out|went on|wrote|writes|countered|counters|conceded|concedes|"
    "promised|promises|vowed|vows|denied|denies|proposed|proposes|recalled|recalls|maintained|"
    "maintains|cautioned|cautions|agreed|agrees|complained|complains|quipped|joked|shot back"
)
ROLE_WORDS = (
    "President|Prime Minister|Foreign Minister|Defence Minister|Defense Minister|Minister|Chancellor|"
    "King|Queen|Prince|Sheikh|Emir|Sultan|Premier|Senator|Governor|Mayor|General|Gen\\.|Colonel|"
    "Ambassador|Envoy|Secretary-General|Secretary|Spokesman|Spokeswoman|Spokesperson|Chief|"
    "Commander|Leader|Ayatollah|Pope|Mr\\.?|Mrs\\.?|Ms\\.?|Dr\\.?|counterpart|leader|president|"
    "spokesman|spokeswoman|spokesperson|envoy|ambassador|minister|chancellor|prime minister|"
    "foreign minister|premier|chief|commander|secretary|governor|mayor|senator|analyst|expert|"
    "official|diplomat|negotiator|professor|journalist|correspondent"
)
DESCRIPTOR_ROLES = (
    "leader|president|prime minister|premier|counterpart|head of state|foreign minister|"
    "minister|chancellor|king|envoy|spokesman|spokeswoman|official|diplomat"
)
PARTICLE = r"(?:al|el|bin|ibn|de|da|di|van|von|du|le|la|ben|abu)"
NAME_TOKEN = rf"(?:{PARTICLE}-)?[A-Z][\w]*(?:-[A-Z]?[\w]+)?"
NAME = rf"{NAME_TOKEN}(?:\s+(?:{PARTICLE}\s+)?{NAME_TOKEN}){{0,3}}"
POSSESSIVE = re.compile(r"[’'‘]s$")
PRONOUNS = {"he": "male", "she": "female", "him": "male", "her": "female"}

# Capitalised words that start sentences or name groups but are never a person.
NOT_NAME_WORDS = frozenset(
    """a an and as at but by for from had has have he her his however i if in it its
    it's meanwhile moreover my nor of on or our she so still that the their then there these they
    this those though thus to we what when where which while who why yes no you your
    friday monday tuesday wednesday thursday saturday sunday january february march april may june
    july august september october november december any all every some""".split()
)

INTRO_PATTERN = re.compile(
    rf"(?:(?P<nat>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s+)?(?P<role>{ROLE_WORDS})\s+(?P<name>{NAME})"
)
APPOSITION_PATTERN = re.compile(
    rf"(?P<name>{NAME}),\s+(?:the|a|an)\s+(?:(?P<nat>[A-Z][a-z]+)\s+)?(?P<role>{DESCRIPTOR_ROLES})\b"
)
DESCRIPTOR_PATTERN = re.compile(
    rf"\b[Tt]he\s+(?P<nat>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s+(?P<role>{DESCRIPTOR_ROLES})\b"
)
SPEECH_VERB_PATTERN = re.compile(rf"\b(?:{SPEECH_VERBS})\b")
QUOTE_PATTERN = re.compile(r"“([^”]*)”?|\"([^\"]*)\"")
CAPITALISED_PATTERN = re.compile(rf"\b{NAME}")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name, for matching."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass
class Person:
    """A person named in the articles, with every way the text refers to them."""

    name: str
    nationality: str = ""
    role: str = ""
    aliases: set[str] = field(default_factory=set)

    @property
    def surname(self) -> str:
        """The last word of the name without particles ("al-Assad" → "Assad")."""
        last = self.name.split()[-1]
        return re.sub(rf"^{PARTICLE}-", "", last)

    def all_aliases(self) -> set[str]:
        """Full name, surname and descriptions, folded for matching."""
        names = {self.name, self.surname, self.name.split()[-1], *self.aliases}
        if self.nationality:
            names.update(f"the {self.nationality} {role}" for role in ("leader", "president"))
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
class _Mention:
    start: int
    end: int
    person: Person


def _clean_name(raw: str) -> str:
    words = POSSESSIVE.sub("", raw.strip()).split()
    while words and fold(words[0]) in NOT_NAME_WORDS:
        words.pop(0)
    return " ".join(words)


class PeopleDirectory:
    """The people of one article (or many) and how to find them in text."""

    def __init__(self, people: list[Person] | None = None) -> None:
        self.people: list[Person] = list(people or [])

    def find(self, name: str) -> Person | None:
        """The person a name, surname or description refers to, if any."""
        wanted = fold(_clean_name(name) or name)
        for person in self.people:
            if wanted in person.all_aliases():
                return person
        return None

    def add(self, name: str, nationality: str = "", role: str = "") -> Person | None:
        """Register a person, merging with one who shares the surname."""
        name = _clean_name(name)
        if not name or fold(name.split()[0]) in NOT_NAME_WORDS:
            return None
        existing = self.find(name) or self.find(name.split()[-1])
        if existing:
            if len(name.split()) > len(existing.name.split()) and name.endswith(existing.surname):
                existing.aliases.add(existing.name)
                existing.name = name
            existing.nationality = existing.nationality or nationality
            existing.role = existing.role or role
            return existing
        person = Person(name=name, nationality=nationality, role=role)
        self.people.append(person)
        return person

    def by_nationality(self, nationality: str) -> Person | None:
        """The person introduced with a nationality adjective ("Turkish")."""
        for person in self.people:
            if person.nationality and fold(person.nationality) == fold(nationality):
                return person
        return None

    def mentions(self, text: str) -> list[_Mention]:
        """Every reference to a known person in ``text``, in order."""
        found: list[_Mention] = []
        for person in self.people:
            for alias in sorted(person.all_aliases(), key=len, reverse=True):
                for match in re.finditer(rf"(?<![\w-]){re.escape(alias)}(?![\w])", fold(text)):
                    found.append(_Mention(match.start(), match.end(), person))
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        unique: list[_Mention] = []
        for mention in found:
            if not unique or mention.start >= unique[-1].end:
                unique.append(mention)
        return unique

    def names_in(self, text: str) -> list[str]:
        """Names of the known people referred to in ``text``, first mention first."""
        names: list[str] = []
        for mention in self.mentions(text):
            if mention.person.name not in names:
                names.append(mention.person.name)
        return names


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


def find_people(paragraphs: list[str], directory: PeopleDirectory | None = None) -> PeopleDirectory:
    """Read introductions, appositions and speech subjects to list an article's people."""
    directory = directory or PeopleDirectory()
    for paragraph in paragraphs:
        for match in INTRO_PATTERN.finditer(paragraph):
            nationality = match.group("nat") or ""
            if fold(nationality) in NOT_NAME_WORDS:
                nationality = ""
            directory.add(match.group("name"), nationality, match.group("role"))
        for match in APPOSITION_PATTERN.finditer(paragraph):
            directory.add(match.group("name"), match.group("nat") or "", match.group("role"))
    # A capitalised name that is the subject of a speech verb is a person too.
    for paragraph in paragraphs:
        masked = _mask(paragraph, _quote_spans(paragraph))
        for verb in SPEECH_VERB_PATTERN.finditer(masked):
            before = masked[: verb.start()].rstrip()
            match = re.search(rf"({NAME})(?:\s+also)?$", before)
            if match and not directory.find(match.group(1)):
                words = _clean_name(match.group(1)).split()
                if words and all(w[0].isupper() for w in words):
                    directory.add(" ".join(words))
    return directory


class _SpeakerTracker:
    """Walks an article in order, remembering who spoke and who was named last."""

    def __init__(self, directory: PeopleDirectory) -> None:
        self.directory = directory
        self.last_speaker: Person | None = None
        self.last_mentioned: Person | None = None

    def _resolve_descriptor(self, nationality: str, role: str) -> Person | None:
        person = self.directory.by_nationality(nationality)
        if person is None:
            # "the Syrian leader": the person named with no nationality of their own.
            unplaced = [p for p in self.directory.people if not p.nationality]
            if self.last_mentioned in unplaced:
                person = self.last_mentioned
            elif len(unplaced) == 1:
                person = unplaced[0]
            if person is not None:
                person.nationality = nationality
        if person is not None:
            person.aliases.add(f"the {nationality} {role}")
        return person

    def subject_before(self, masked: str, position: int) -> Person | None:
        """The person (or pronoun) right before a speech verb at ``position``."""
        words = masked[:position].split()[-SUBJECT_WINDOW_WORDS - 2 :]
        window = " ".join(words)
        if words and fold(words[-1]) in ("he", "she") or re.search(r"\b(?:he|she)\s+also$", window, re.I):
            return self.last_speaker or self.last_mentioned
        descriptor = None
        for descriptor in DESCRIPTOR_PATTERN.finditer(window):
            pass
        if descriptor and descriptor.end() >= len(window) - len(" also"):
            return self._resolve_descriptor(descriptor.group("nat"), descriptor.group("role"))
        mentions = self.directory.mentions(window)
        if mentions and len(window) - mentions[-1].end <= len(" also"):
            return mentions[-1].person
        return None

    def subject_after(self, masked: str, position: int) -> Person | None:
        """The person named right after a speech verb (``," said Putin``)."""
        window = " ".join(masked[position:].split()[:SUBJECT_WINDOW_WORDS])
        if re.match(r"(?:he|she)\b", window, re.I):
            return self.last_speaker or self.last_mentioned
        mentions = self.directory.mentions(window)
        return mentions[0].person if mentions and mentions[0].start == 0 else None

    def attribute(self, paragraph: str) -> ParagraphSpeech:
        """Attribute the quotes of the next paragraph and update what was said last."""
        spans = _quote_spans(paragraph)
        masked = _mask(paragraph, spans)
        cues: list[tuple[int, int, Person]] = []
        events: list[tuple[int, str, object]] = []
        for mention in self.directory.mentions(masked):
            events.append((mention.start, "mention", mention.person))
        for descriptor in DESCRIPTOR_PATTERN.finditer(masked):
            events.append((descriptor.start(), "descriptor", descriptor))
        for verb in SPEECH_VERB_PATTERN.finditer(masked):
            events.append((verb.start(), "verb", verb))
        for start, end, _ in spans:
            events.append((start, "quote", (start, end)))
        events.sort(key=lambda event: event[0])
        quote_speakers: dict[int, Person | None] = {}
        reported: Person | None = None
        pending_quotes: list[int] = []
        for position, kind, payload in events:
            if kind == "mention":
                self.last_mentioned = payload  # type: ignore[assignment]
            elif kind == "descriptor":
                person = self._resolve_descriptor(payload.group("nat"), payload.group("role"))  # type: ignore[union-attr]
                self.last_mentioned = person or self.last_mentioned
            elif kind == "quote":
                pending_quotes.append(position)
            elif kind == "verb":
                verb_match: re.Match[str] = payload  # type: ignore[assignment]
                speaker = self.subject_before(masked, verb_match.start()) or self.subject_after(
                    masked, verb_match.end()
                )
                if speaker is None:
                    continue
                cues.append((verb_match.start(), verb_match.end(), speaker))
                for quote_start in list(pending_quotes):
                    quote_end = next(end for start, end, _ in spans if start == quote_start)
                    if verb_match.start() - quote_end <= CUE_AFTER_QUOTE_CHARS:
                        quote_speakers[quote_start] = speaker
                        pending_quotes.remove(quote_start)
                following = [s for s, _, _ in spans if 0 <= s - verb_match.end() <= CUE_BEFORE_QUOTE_CHARS]
                for quote_start in following:
                    quote_speakers[quote_start] = speaker
                reported = reported or speaker
                self.last_speaker = speaker
                self.last_mentioned = speaker
        quotes: list[Quote] = []
        for start, end, text in spans:
            speaker = quote_speakers.get(start)
            if speaker is None and not cues and self.last_speaker is not None:
                # A quote with no cue of its own continues the previous speaker.
                speaker = self.last_speaker
            quotes.append(Quote(text=text, speaker=speaker.name if speaker else None, start=start, end=end))
        main = next((q.speaker for q in quotes if q.speaker), None) or (reported.name if reported else None)
        if not spans and not cues:
            # A paragraph of plain narration ends the current speaker's turn.
            self.last_speaker = None if self.last_mentioned is not self.last_speaker else self.last_speaker
        return ParagraphSpeech(quotes=tuple(quotes), speaker=main)


def attribute_speakers(
    paragraphs: list[str], directory: PeopleDirectory | None = None
) -> tuple[PeopleDirectory, list[ParagraphSpeech]]:
    """Find the people of an article and the speaker of each paragraph's quotes."""
    directory = find_people(paragraphs, directory)
    tracker = _SpeakerTracker(directory)
    return directory, [tracker.attribute(paragraph) for paragraph in paragraphs]
