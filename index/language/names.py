"""Names: what in English news text is a person's name, a nationality or a place.

Patterns for capitalised names with their particles ("Walid al-Muallem",
"Staffan de Mistura", "Pieter van der Berg"), the capitalised words that are
never names, nationality adjectives ("Turkish", "Syria's") and the folding
that makes "Erdoğan" and "Erdogan" the same word without moving offsets.
"""

from __future__ import annotations

import functools
import re

from index.language.roles import ROLE_WORDS
from index.text import fold

NATION_STEM_CHARS = 4  # "Syria"/"Syrian" and "Turkey"/"Turkish" share at least this many letters
HEADLINE_CAPITALISED_SHARE = 0.6  # in a title-case headline every word looks like a name
HEADLINE_MIN_WORD_CHARS = 4  # short words ("of", "in") are lower case even in headlines
NAME_CACHE_SIZE = 4096  # names read from questions and articles, cleaned once

PARTICLE = r"(?:al|el|bin|ibn|de|da|di|du|van|von|der|den|del|della|la|le|ben|abu|dos|das|ter)"
NAME_TOKEN = rf"(?:{PARTICLE}-)?[A-Z][\w]*(?:-[A-Z]?[\w]+)?"
NAME = rf"{NAME_TOKEN}(?:\s+(?:{PARTICLE}\s+)*{NAME_TOKEN}){{0,3}}"
NAME_PATTERN = re.compile(NAME)
POSSESSIVE = re.compile(r"[’']s?$")
POSSESSIVE_WORD = re.compile(r"[’']s$")
POSSESSIVE_START = re.compile(r"[’']s?\b")
PARTICLE_WORD = re.compile(PARTICLE)
PARTICLE_PREFIX = re.compile(rf"^{PARTICLE}-")
WORD_PATTERN = re.compile(r"[A-Za-z][\w’'-]*")
CAPITALISED_WORD = re.compile(r"\b[A-Z][a-z]+\b")
DEMONYM = re.compile(r"^[A-Z][a-z]+(?:an|ian|ish|ese|i|ic|ch)$")
LOWERCASE_WORD_START = re.compile(r"(?<![\w’'])[a-z]")
PRONOUN_GENDER = {"he": "male", "him": "male", "his": "male", "she": "female", "her": "female", "hers": "female"}
HONORIFIC_GENDER = {"mr": "male", "mrs": "female", "ms": "female", "miss": "female", "madam": "female"}
PREPOSITIONS = frozenset(
    """of to with by for from about against on at in between than like alongside towards toward into among
    without under over after before during behind beside including unlike whom""".split()
)
LOCATIVE_PREPOSITIONS = frozenset({"in", "at", "to", "from", "near", "into", "towards", "toward"})
# Honorifics and abbreviated ranks written before a name ("Mr Putin", "Gen Akar"); never part of it.
HONORIFICS = frozenset("mr mrs ms miss madam dr prof gen col lt maj capt sgt sen rep gov sir dame sheikh".split())

# Capitalised words that start sentences or name groups but are never a person.
NOT_NAME_WORDS = frozenset(
    """a an and as at but by for from had has have he her his however i if in it its
    it's meanwhile moreover my nor of on or our she so still that the their then there these they
    this those though thus to we what when where which while who why yes no you your
    according asked speaking after before speaking also
    friday monday tuesday wednesday thursday saturday sunday january february march april may june
    july august september october november december any all every some""".split()
)

# Capitalised words that make a name an institution's, not a person's ("Turkey's Foreign Ministry").
INSTITUTION_WORDS = frozenset(
    """ministry army navy forces force party council government parliament assembly court bank agency office
    committee commission university institute centre center foundation company group airlines news times daily
    post press television radio league union federation front brigade brigades movement alliance coalition
    guard guards police service services administration department embassy consulate cabinet senate congress
    state states republic kingdom emirates airport port city province region summit talks""".split()
)
LEADING_NON_NAME_WORDS = NOT_NAME_WORDS | ROLE_WORDS
TITLE_WORDS = ROLE_WORDS | HONORIFICS


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


def _is_title_word(word: str) -> bool:
    """A word that may only stand in a title before a name: a role, an honorific or a possessive place."""
    return fold(word).rstrip(".") in TITLE_WORDS or bool(POSSESSIVE_WORD.search(word))


@functools.lru_cache(maxsize=NAME_CACHE_SIZE)
def clean_name(raw: str) -> str:
    """A name without its possessive and the title before it.

    "Minister X" → "X", "Russian President Vladimir Putin" → "Vladimir Putin",
    "Russia's Vladimir Putin" → "Vladimir Putin": titles and roles are attributes of
    a person, not part of the name.
    """
    words = POSSESSIVE.sub("", raw.strip()).split()
    while words and fold(words[0]) in LEADING_NON_NAME_WORDS:
        words.pop(0)
    title_end = max((i for i, word in enumerate(words[:-1]) if _is_title_word(word)), default=-1)
    return " ".join(words[title_end + 1 :])


def looks_like_headline(paragraph: str) -> bool:
    """True for a title-case line without a full stop, whose capitals say nothing about names."""
    if paragraph.rstrip().endswith((".", "”", '"')):
        return False
    words = [w for w in WORD_PATTERN.findall(paragraph) if len(w) >= HEADLINE_MIN_WORD_CHARS]
    return bool(words) and sum(w[0].isupper() for w in words) / len(words) >= HEADLINE_CAPITALISED_SHARE


def is_place_like(word: str, text: str) -> bool:
    """A single capitalised word used as a place ("in Damascus") or a nation ("Turkey" beside "Turkish")."""
    for match in re.finditer(rf"(\w+)\s+{re.escape(word)}\b", text):
        if match.group(1).lower() in LOCATIVE_PREPOSITIONS:
            return True
    return any(
        same_nation(word, adjective) and fold(word) != fold(adjective)
        for adjective in set(CAPITALISED_WORD.findall(text))
        if DEMONYM.match(adjective)
    )
