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

import dataclasses
import logging
import re
from dataclasses import dataclass

from index.language.directory import PeopleDirectory, description_spans
from index.language.names import (
    HONORIFIC_GENDER,
    HONORIFICS,
    LOCATIVE_PREPOSITIONS,
    NAME,
    NAME_PATTERN,
    NAME_TOKEN,
    POSSESSIVE,
    INSTITUTION_WORDS,
    POSSESSIVE_START,
    PREPOSITIONS,
    PRONOUN_GENDER,
    clean_name,
    is_nationality,
    is_place_like,
    looks_like_headline,
)
from index.language.person import Person
from index.language.quotes import (
    SPEECH_VERB_PATTERN,
    SUBJECT_AFTER_ONLY,
    ParagraphSpeech,
    Quote,
    mask_quotes,
    quote_spans,
)
from index.language.roles import (
    DETERMINER,
    DETERMINERS,
    HEADS,
    IGNORABLE_MODIFIERS,
    OF_SUFFIX,
    ROLE,
    ROLE_HEADS,
    Description,
)
from index.language.sentences import SentenceIndex
from index.text import fold

logger = logging.getLogger(__name__)

CUE_AFTER_QUOTE_CHARS = 60  # room for ``," said the Syrian foreign minister``
CLAUSE_INSERT_CHARS = 90  # ", who heads the union," between a subject and its verb

INTRO_PATTERN = re.compile(  # \b first: trying every position inside words made builds slow
    rf"\b(?:(?P<det>[Hh]is|[Hh]er|[Tt]heir|[Tt]he)\s+)?(?P<desc>(?:[A-Z][\w-]*[’']s\s+)?{ROLE})\s+(?P<name>{NAME})"
)
APPOSITION_PATTERN = re.compile(
    rf"(?P<name>{NAME}),\s+(?P<desc>(?:an?\s+|{DETERMINER}){ROLE}{OF_SUFFIX})(?=\s*[,.;:]|\s+who\b)"
)
REVERSE_APPOSITION_PATTERN = re.compile(rf"(?P<desc>\b{DETERMINER}{ROLE}{OF_SUFFIX}),\s+(?P<name>{NAME})\s*,")
HONORIFIC = rf"(?i:{'|'.join(sorted(HONORIFICS))})"  # "said Dr. Miriam Adler": the title is not the name
HONORIFIC_PATTERN = re.compile(rf"\b(?P<title>Mr|Mrs|Ms|Miss|Madam)\.?\s+(?P<name>{NAME})")
# ``said John Smith, the authority's chief engineer`` / ``according to Maria Lopez``: a subject after its verb.
# "his Turkish and Iranian counterparts, Recep Tayyip Erdogan and Hassan Rouhani,"
PAIR_INTRO_PATTERN = re.compile(
    rf"\b(?P<first>[A-Z][a-z]+)\s+and\s+(?P<second>[A-Z][a-z]+)\s+(?P<role>(?i:{HEADS})s),\s+"
    rf"(?P<a>{NAME})\s+and\s+(?P<b>{NAME})\b"
)
# "Russia's Vladimir Putin", "Turkey's Recep Tayyip Erdogan": a nation's possessive before a full name.
POSSESSIVE_INTRO_PATTERN = re.compile(rf"\b(?P<place>[A-Z][\w-]*)[’']s\s+(?P<name>{NAME_TOKEN}(?:\s+{NAME_TOKEN}){{1,3}})\b")
MIN_POSSESSIVE_NAME_WORDS = 2  # "Russia's Lavrov" could be anything; "Russia's Sergei Lavrov" is a person
SOURCE_CUE = re.compile(r"\baccording\s+to\s+$", re.IGNORECASE)
INVERTED_SUBJECT_PATTERN = re.compile(
    rf"\s+(?:{HONORIFIC}\.?\s+)?(?P<name>{NAME})(?![’'\w])(?:\s*,\s+(?:the|an?)\s+(?P<role>[^,.;:“”\"]{{1,60}}?)\s*(?=[,.;:]|$))?"
)
# Verbs whose following name is who was spoken to, not who spoke ("told Al Jazeera", "urged Smith").
OBJECT_VERB_PATTERN = re.compile(r"(?i:told|tells|asked|asks|urged|urges|promised|promises)")
POSSESSOR = re.compile(r"^.*[’']s\s+")  # "council's transport chief" → "transport chief"
MIN_INVERTED_NAME_WORDS = 2  # "said Reuters" or "said Monday" is not a person; "said John Smith" is
PRONOUN_PATTERN = re.compile(r"\b(?:[Hh]e|[Ss]he)\b")
# What may stand between a subject and its speech verb: an insert between commas, adverbs, auxiliaries.
SUBJECT_GAP = re.compile(
    rf"(?:\s*,[^,“”\"]{{0,{CLAUSE_INSERT_CHARS}}},|\s*,)?"
    r"(?:\s+(?:on\s+[A-Z]\w+|[a-z]+ly|also|later|then|again|earlier|once|still|too|further|"
    r"had|has|have|was|is|will|would|did|does))*\s*"
)
# "Hulusi Akar visited units in Hatay on Saturday and said …": the subject of both verbs.
COORDINATED_GAP = re.compile(r"\s+[a-z][^.;:!?]{0,80}?\s+(?:and|but)\s+(?:also\s+|then\s+|later\s+)?")
GENDERED_INSERT = re.compile(r"\s*,[^,]*\b(?:his|her)\b[^,]*,\s*")
# A cue after a quote belongs to it only when no new clause starts between them (", and Erdogan agreed").
CLAUSE_LINK = re.compile(r"\b(?:and|but|while|as|which|who|whereas|although|because)\b")
# What may stand between a speech verb and the subject after it: ``said Turkish Defence Minister``.
AFTER_VERB_GAP = re.compile(r"\s+(?:(?:the|a|an)\s+)?(?:[A-Z][\w’'.-]*\s+){0,4}")


def _split_role(description: str) -> tuple[str, str]:
    """("Norwegian Fisheries Minister") → ("Norwegian", "Fisheries Minister")."""
    words = [w for w in description.split() if fold(w) not in DETERMINERS]
    if len(words) > 1 and is_nationality(words[0]) and fold(POSSESSIVE.sub("", words[0])) not in ROLE_HEADS:
        return POSSESSIVE.sub("", words[0]), " ".join(words[1:])
    return "", " ".join(words)


def _speech_subject_name(before: str, directory: PeopleDirectory, article_text: str) -> str | None:
    """A new person's name standing as the subject right before a speech verb, if any."""
    for match in reversed(list(NAME_PATTERN.finditer(before))):
        gap = before[match.end() :]
        if not (SUBJECT_GAP.fullmatch(gap) or COORDINATED_GAP.fullmatch(gap)):
            continue
        if directory.find(match.group(0)):
            return None
        preceding = before[: match.start()].split()[-1:]
        if preceding and (preceding[0].lower() in ("the", "a", "an") or preceding[0].lower() in PREPOSITIONS):
            continue  # "the Kremlin said", "an analyst at the Prague Institute, said": not a person
        words = clean_name(match.group(0)).split()
        if not words or not all(w[0].isupper() for w in words):
            continue
        # A lone capitalised word is a person only right before the verb and never a place.
        # ("Erdogan, for his part, said": an insert with "his" or "her" speaks of a person.)
        if len(words) == 1 and ((gap.strip() and not GENDERED_INSERT.fullmatch(gap)) or is_place_like(words[0], article_text)):
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
            if " " not in name and POSSESSIVE_START.match(paragraph, match.end("name")):
                continue  # "… correspondent Russia's Vladimir Putin": a nation's possessive, not a name
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
        for match in PAIR_INTRO_PATTERN.finditer(paragraph):
            _add_pair(match, directory, introduced)
        for match in HONORIFIC_PATTERN.finditer(paragraph):
            person = directory.find(match.group("name")) or directory.add(match.group("name"))
            if person is not None:
                person.gender = person.gender or HONORIFIC_GENDER[match.group("title").lower()]
    article_text = "\n".join(body)
    for match in POSSESSIVE_INTRO_PATTERN.finditer(article_text):
        _add_possessive_introduction(match, directory, article_text)
    for paragraph in body:
        masked = mask_quotes(paragraph, quote_spans(paragraph))
        for verb in SPEECH_VERB_PATTERN.finditer(masked):
            before = masked[max(0, verb.start() - 2 * CLAUSE_INSERT_CHARS) : verb.start()]
            name = _speech_subject_name(before, directory, article_text)
            if name:
                directory.add(name)
            inverted = INVERTED_SUBJECT_PATTERN.match(masked, verb.end())
            if inverted and not OBJECT_VERB_PATTERN.fullmatch(verb.group(0)):
                _add_inverted_subject(inverted, directory)
    return directory


def _add_pair(match: re.Match[str], directory: PeopleDirectory, introduced: list[Person]) -> None:
    """"his Turkish and Iranian counterparts, Recep Tayyip Erdogan and Hassan Rouhani": each nation, each name."""
    role = match.group("role")
    role = role[:-1] if role.endswith("s") else role
    if fold(role) == "counterpart" and introduced:
        role = introduced[-1].role or role  # a president's counterparts are presidents
    for nation, name in (("first", "a"), ("second", "b")):
        directory.add(match.group(name), nationality=match.group(nation), role=role)


def _add_possessive_introduction(match: re.Match[str], directory: PeopleDirectory, article_text: str) -> None:
    """"Russia's Vladimir Putin": a person of that nation, unless the words name an institution."""
    words = clean_name(match.group("name")).split()
    if (
        len(words) < MIN_POSSESSIVE_NAME_WORDS
        or any(fold(word) in INSTITUTION_WORDS for word in words)
        or not is_place_like(match.group("place"), article_text)
    ):
        return
    directory.add(" ".join(words), nationality=match.group("place"))


def _add_inverted_subject(match: re.Match[str], directory: PeopleDirectory) -> None:
    """``," said John Smith, the authority's chief engineer.``: the full name, the apposition as its role."""
    name = clean_name(match.group("name"))
    if len(name.split()) < MIN_INVERTED_NAME_WORDS or directory.find(name):
        return
    role = POSSESSOR.sub("", match.group("role") or "").strip()
    directory.add(name, role=role)


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
        # "According to Karim Haddad, …" names the source of what follows: a subject, not an object.
        source = bool(SOURCE_CUE.search(masked[: ref.start]))
        marked.append(
            dataclasses.replace(
                ref,
                possessive=bool(POSSESSIVE_START.match(masked[ref.end : ref.end + 2])),
                after_preposition=bool(previous) and previous[0].lower() in PREPOSITIONS and not source,
            )
        )
    return sorted(marked, key=lambda r: r.start)


class _Paragraph:
    """One paragraph as the tracker reads it: quotes blanked out, sentences numbered, references found."""

    def __init__(self, text: str, directory: PeopleDirectory) -> None:
        self.text = text
        self.spans = quote_spans(text)
        self.masked = mask_quotes(text, self.spans)
        self.references = _references(self.masked, directory)
        self.verbs = list(SPEECH_VERB_PATTERN.finditer(self.masked))
        self.sentences = SentenceIndex(text, [(start, end) for start, end, _ in self.spans])
        self.sentence_of = self.sentences.sentence_of
        self.same_sentence = self.sentences.same_sentence


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
        gender = PRONOUN_GENDER[pronoun.pronoun]
        unwanted = {"male": "female", "female": "male"}[gender]
        person = next((p for p in candidates if p.gender != unwanted), None)
        if person is not None and not person.gender:
            person.gender = gender  # "she said" about Jane Smith: a later "she" in a question means her
        return person

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
            gap = reading.masked[ref.end : verb.start()]
            if ref.can_be_subject and (SUBJECT_GAP.fullmatch(gap) or COORDINATED_GAP.fullmatch(gap)):
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
