"""When two names are one person: name parts, spelling variants and given names that agree.

nameparser splits a name into title, given names, surname (with its particles:
"de Mistura", "van der Berg", "al-Assad") and suffix, so "Dr. Jane Smith" and
"Jane Smith" have the same parts and "Tayyip Erdogan" is "Recep Tayyip
Erdogan" with a given name left out. rapidfuzz scores spelling variants that
transliteration produces ("Rouhani"/"Rohani" 92, "Muallem"/"Moallem" 86);
short surnames must match exactly, since "Lee"/"Li" are different families.
Two names with different given names ("John Smith", "Jane Smith") are two
people whatever their surname.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from nameparser import HumanName
from rapidfuzz import fuzz

from index.language.names import PARTICLE_PREFIX, PARTICLE_WORD
from index.text import fold

SPELLING_SIMILARITY = 85.0  # rapidfuzz ratio from which two long surnames are one spelt two ways
MIN_FUZZY_CHARS = 5  # shorter surnames ("Lee", "Li") must be spelt the same
NAME_CACHE_SIZE = 4096


@dataclass(frozen=True)
class NameParts:
    """A name folded into its given names and its surname (title and suffix dropped)."""

    title: str
    given: tuple[str, ...]
    surname: str


@functools.lru_cache(maxsize=NAME_CACHE_SIZE)
def name_parts(name: str) -> NameParts:
    """The parts of a name: "Dr. Jane Smith" → title "Dr.", given ("jane",), surname "smith"."""
    parsed = HumanName(name)
    given = tuple(fold(word) for word in f"{parsed.first} {parsed.middle}".split())
    surname = parsed.last
    if not surname and len(given) == 1:  # a bare surname: nameparser calls it a first name
        given, surname = (), parsed.first
    words = surname.split()
    while len(words) > 1 and PARTICLE_WORD.fullmatch(fold(words[0])):
        words.pop(0)  # "de Mistura" is found as "Mistura" too; compare the part that carries the name
    return NameParts(title=parsed.title, given=given, surname=fold(PARTICLE_PREFIX.sub("", " ".join(words))))


def same_spelling(first: str, second: str) -> bool:
    """True when two folded words are one name, allowing transliteration variants of long names."""
    if first == second:
        return True
    if min(len(first), len(second)) < MIN_FUZZY_CHARS:
        return False
    return fuzz.ratio(first, second) >= SPELLING_SIMILARITY


def _given_agree(shorter: tuple[str, ...], longer: tuple[str, ...]) -> bool:
    """Every given name of the shorter list stands in the longer, in order, spelt alike or as an initial."""
    position = 0
    for word in shorter:
        initial = word.rstrip(".")
        while position < len(longer):
            candidate = longer[position]
            position += 1
            if same_spelling(word, candidate) or (len(initial) == 1 and candidate.startswith(initial)):
                break
        else:
            return False
    return True


def given_names_agree(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    """True unless both names give given names that cannot be the same ("John" and "Jane")."""
    if not first or not second:
        return True
    shorter, longer = sorted((first, second), key=len)
    return _given_agree(shorter, longer)


def same_name(first: str, second: str) -> bool:
    """True when two names can be one person: same surname (or a spelling of it), given names agreeing."""
    a, b = name_parts(first), name_parts(second)
    return bool(a.surname) and same_spelling(a.surname, b.surname) and given_names_agree(a.given, b.given)
