"""The people directory: everyone the articles name, and how to find them in any text.

One directory per article is filled while the article is read
(:mod:`index.language.attribution`); the directory of the whole corpus merges
them (:func:`merged_people`). Questions are read with the corpus directory.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from index.language.identity import MIN_FUZZY_CHARS, SPELLING_SIMILARITY, name_parts, same_name, same_spelling
from index.language.names import (
    CAPITALISED_WORD,
    DEMONYM,
    LOWERCASE_WORD_START,
    NOT_NAME_WORDS,
    POSSESSIVE,
    clean_name,
    fold_in_place,
    is_nationality,
    same_nation,
)
from index.language.person import Person
from index.language.roles import (
    DESCRIPTION_PATTERN,
    IGNORABLE_MODIFIERS,
    Description,
    head_fits,
    parse_description,
)
from index.text import fold

MENTION_CACHE_SIZE = 512
LONG_WORD = re.compile(rf"\b[^\W\d_]{{{MIN_FUZZY_CHARS},}}\b")  # words long enough to be a misspelt surname
ALIAS_PATTERN_CACHE_SIZE = 4096  # compiled alias alternations, reused across articles with the same people
WORDS_CACHE_SIZE = 1024


@dataclass(frozen=True)
class Mention:
    """A stretch of text that refers to a known person."""

    start: int
    end: int
    person: Person


def _acronym_of(word: str, text: str) -> bool:
    letters = word.replace(".", "")
    if not (letters.isupper() and len(letters) >= 2):
        return False
    capitals = "".join(w[0] for w in text.split() if w[:1].isupper())
    return letters in capitals


@functools.lru_cache(maxsize=WORDS_CACHE_SIZE)
def _words_of(text: str) -> frozenset[str]:
    return frozenset(fold(POSSESSIVE.sub("", word)) for word in text.split())


def modifiers_fit(modifiers: tuple[str, ...], person: Person) -> int:
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


@dataclass(frozen=True)
class _Aliases:
    """The compiled aliases of a directory at one moment."""

    pattern: re.Pattern[str] | None
    owners: dict[str, Person]
    surnames: tuple[str, ...]  # folded surnames of every way each person is spelt, for spelling variants
    people: tuple[Person, ...]  # whose each of those surnames is


@functools.lru_cache(maxsize=ALIAS_PATTERN_CACHE_SIZE)
def _alternation(aliases: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern matching any of ``aliases`` as whole words; articles naming the same people share it."""
    return re.compile(rf"(?<![\w-])(?:{'|'.join(re.escape(a) for a in aliases)})(?![\w])")


class PeopleDirectory:
    """The people of one article (or many) and how to find them in text."""

    def __init__(self, people: list[Person] | None = None) -> None:
        self.people: list[Person] = list(people or [])
        self._aliases: _Aliases | None = None  # replaced whole, never changed in place: readers need no lock
        self._building = threading.Lock()
        self._mentions: dict[tuple[str, str], tuple[Mention, ...]] = {}  # questions are read several times per turn
        self._local: dict[tuple[str, str], Person] = {}  # (article, folded name) → person, see merged_people
        # Kept up to date as people are added, so adding the next one never compiles every alias again:
        self._owner_of: dict[str, Person] = {}  # folded alias → the first person it names
        self._surname_of: dict[str, list[Person]] = {}  # folded surname → the people who bear it
        self._position: dict[int, int] = {}  # id(person) → place in ``people``
        self._votes: dict[int, Counter[str]] = {}  # id(person) → how often each of their names was given
        for person in self.people:
            self._register(person)

    def _register(self, person: Person) -> None:
        """Index a person's aliases and surname for :meth:`add` (after they were added or renamed)."""
        self._position.setdefault(id(person), len(self._position))
        for alias in person.all_aliases():
            self._owner_of.setdefault(alias, person)
        bearers = self._surname_of.setdefault(name_parts(person.name).surname, [])
        if person not in bearers:
            bearers.append(person)

    def _compiled(self) -> _Aliases:
        """Every alias with its owner, compiled into one alternation (built again after changes).

        Built into new objects and published in one assignment, so a thread reading names while
        another rebuilds sees the old aliases or the new ones, never half of them.
        """
        aliases = self._aliases
        if aliases is not None:
            return aliases
        with self._building:
            if self._aliases is None:
                owners: dict[str, Person] = {}
                for person in list(self.people):
                    for alias in person.all_aliases():
                        owners.setdefault(alias, person)
                pattern = _alternation(tuple(sorted(owners, key=lambda alias: (-len(alias), alias)))) if owners else None
                spellings = [
                    (name_parts(name).surname, person)
                    for person in self.people
                    for name in {person.name, *(alias for alias in person.aliases if alias[:1].isupper())}
                ]
                self._aliases = _Aliases(
                    pattern, owners, tuple(s for s, _ in spellings), tuple(p for _, p in spellings)
                )
            return self._aliases

    def changed(self) -> None:
        """Forget the compiled aliases after a person was added or given a new alias."""
        self._aliases = None
        self._mentions.clear()

    def learn_alias(self, person: Person, alias: str) -> None:
        """Remember another way the text refers to ``person``."""
        if fold(alias) not in person.all_aliases():
            person.aliases.add(alias)
            self._register(person)
            self.changed()

    def find(self, name: str) -> Person | None:
        """The person a name, surname, spelling variant or description refers to, if any."""
        wanted = fold(clean_name(name) or name)
        owners = self._compiled().owners
        if wanted in owners:
            return owners[wanted]
        description = parse_description(name) if DESCRIPTION_PATTERN.fullmatch(name.strip()) else None
        if description:
            return self.describe(description)
        return self._spelt_like(clean_name(name))

    def _spelt_like(self, name: str) -> Person | None:
        """The one person whose name ``name`` is another spelling of ("Rohani" for "Hassan Rouhani")."""
        if not name:
            return None
        if " " in name:
            fitting = [person for person in self.people if same_name(name, person.name)]
            return fitting[0] if len(fitting) == 1 else None
        # A lone word can only be a surname: one C-speed pass over every surname, no name parsing.
        aliases, word = self._compiled(), fold(name)
        close = process.extract(word, aliases.surnames, scorer=fuzz.ratio, score_cutoff=SPELLING_SIMILARITY, limit=None)
        fitting = {id(aliases.people[i]): aliases.people[i] for _, _, i in close if same_spelling(word, aliases.surnames[i])}
        return next(iter(fitting.values())) if len(fitting) == 1 else None  # short surnames: exact only

    def identify(self, name: str, article: str) -> Person | None:
        """The person ``name`` means in ``article``: the article's own people first, then everyone."""
        return self._local.get((article, fold(name))) or self.find(name)

    def describe(self, description: Description, recent: list[Person] | None = None) -> Person | None:
        """The person a description fits: a confirmed nationality first, then the most recent."""
        fitting = []
        said_before = self._compiled().owners.get(fold(description.text))
        for position, person in enumerate(self.people):
            fit = modifiers_fit(description.modifiers, person)
            if fit >= 0 and head_fits(description.head, person.role):
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
        """Register a person, merging with one whose name can be theirs ("Putin", "Vladimir Putin")."""
        name = clean_name(name)
        if not name or fold(name.split()[0]) in NOT_NAME_WORDS:
            return None
        existing = self._owner_of.get(fold(name)) or self._same_person(name)
        if existing:
            self._merge_name(existing, name)
            existing.nationality = existing.nationality or nationality
            existing.role = existing.role or role
            return existing
        person = Person(name=name, nationality=nationality, role=role)
        self.people.append(person)
        self._register(person)
        self.changed()
        return person

    def _same_person(self, name: str) -> Person | None:
        """The person ``name`` can only be: one whose surname (or a spelling of it) and given names agree.

        A bare surname that fits several people ("Smith" beside John and Jane Smith) is the one named last.
        """
        parts = name_parts(name)
        if not parts.surname:
            return None
        spellings = process.extract(
            parts.surname, list(self._surname_of), scorer=fuzz.ratio, score_cutoff=SPELLING_SIMILARITY, limit=None
        )
        bearers = {id(p): p for surname, _, _ in spellings if same_spelling(parts.surname, surname) for p in self._surname_of[surname]}
        fitting = sorted(
            (person for person in bearers.values() if same_name(name, person.name)), key=lambda p: self._position[id(p)]
        )
        if len(fitting) > 1 and parts.given:
            return None  # "Jane Smith" beside two people both called just "Smith" elsewhere: a new person
        return fitting[-1] if fitting else None

    def _merge_name(self, person: Person, name: str) -> None:
        """Name a person by the fullest of their names, spelt as most say it; the others become aliases.

        "Recep Tayyip Erdogan" beats "Tayyip Erdogan"; of "Hassan Rouhani" and "Hassan Rowhani", the
        spelling more articles use.
        """
        votes = self._votes.setdefault(id(person), Counter({person.name: 1}))
        votes[name] += 1
        best = max(votes, key=lambda n: (len(name_parts(n).given), votes[n], n == person.name))
        renamed, known = best != person.name, fold(name) in person.all_aliases()
        if renamed:
            person.aliases.add(person.name)
            person.name = best
        if not known:
            person.aliases.add(name)
        if renamed or not known:
            person.aliases.discard(person.name)
            self._register(person)
            self.changed()

    def by_nationality(self, nationality: str) -> Person | None:
        """The first person introduced with a nationality ("Turkish" or "Turkey's")."""
        for person in self.people:
            if person.nationality and same_nation(person.nationality, nationality):
                return person
        return None

    def name_mentions(self, text: str, article: str = "") -> list[Mention]:
        """Every name or surname of a known person in ``text``, in order.

        In the text of ``article``, a name means whom that article means by it ("Smith" there is its John Smith).
        """
        aliases = self._compiled()
        if aliases.pattern is None:
            return []
        mentions = []
        for match in aliases.pattern.finditer(fold_in_place(text)):
            alias = match.group(0)
            mentions.append(Mention(match.start(), match.end(), self._local.get((article, alias)) or aliases.owners[alias]))
        return mentions

    def mentions(self, text: str, article: str = "") -> list[Mention]:
        """Every reference to a known person in ``text`` (names and descriptions, in any case), in order."""
        key = (article, text)
        found = self._mentions.get(key)
        if found is None:
            found = tuple(self._find_mentions(text, article))
            if len(self._mentions) >= MENTION_CACHE_SIZE:
                self._mentions.clear()  # another thread may be between its store and its return: it keeps its own
            self._mentions[key] = found
        return list(found)

    def _find_mentions(self, text: str, article: str) -> list[Mention]:
        found = self.name_mentions(text, article)
        # Questions are often typed in lower case: "what did the turkish minister say?"
        capitalised = LOWERCASE_WORD_START.sub(lambda m: m.group(0).upper(), text)
        for start, end, description in description_spans(capitalised, found):
            person = self.describe(description)
            if person is not None:
                found.append(Mention(start, end, person))
        # "Rohani" for "Rouhani"; in a question typed all in lower case ("what did ruhani say") any long word.
        words = CAPITALISED_WORD if text != text.lower() else LONG_WORD
        for match in words.finditer(text):
            if not any(m.start < match.end() and match.start() < m.end for m in found):
                person = self._spelt_like(match.group(0))
                if person is not None:
                    found.append(Mention(match.start(), match.end(), person))
        return sorted(found, key=lambda mention: mention.start)

    def names_in(self, text: str, article: str = "") -> list[str]:
        """Names of the known people referred to in ``text`` (of ``article``, if given), first mention first."""
        return list(dict.fromkeys(mention.person.name for mention in self.mentions(text, article)))


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


def merged_people(people_by_article: dict[str, list[Person]]) -> PeopleDirectory:
    """One directory of everyone: the same person named in several articles becomes one person.

    Each article's people were read with that article's context ("Smith" there is its John
    Smith), so what every local name means is kept per article for :meth:`PeopleDirectory.identify`.
    """
    directory = PeopleDirectory()
    for article, people in people_by_article.items():
        for person in people:
            merged = directory.add(person.name, person.nationality, person.role)
            if merged is None:
                continue
            for alias in person.aliases:
                if fold(alias) != fold(merged.name):
                    directory.learn_alias(merged, alias)
            merged.gender = merged.gender or person.gender
            for alias in person.all_aliases():  # folded: the surname too, so "Smith" there is this Smith
                directory._local[(article, alias)] = merged
    directory.changed()
    return directory
