"""Capitals and seats of government that stand for a government: "Moscow", "Ankara", "the Kremlin".

News English says "Moscow wants", "Ankara warned" and "the Kremlin said" for the
Russian and Turkish governments. A question that does so ("What does Moscow want
in Idlib?") must not be refused because no article writes "Moscow" when they are
full of what Russia wants: the capital is read as its country, when the articles
name that country (or its people, "Russian") and not the capital itself.

Capitals come from countryinfo's country data; the seats of government that are
not capitals (the Kremlin, the White House …) are listed here.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Callable

logger = logging.getLogger(__name__)

SEATS_OF_GOVERNMENT = {
    "Kremlin": "Russia",
    "White House": "United States",
    "Pentagon": "United States",
    "State Department": "United States",
    "Downing Street": "United Kingdom",
    "Whitehall": "United Kingdom",
    "Élysée": "France",
    "Elysee": "France",
    "Quai d'Orsay": "France",
    "Zhongnanhai": "China",
}
CAPITAL_SUFFIX = re.compile(r",?\s+D\.?C\.?$")  # "Washington D.C." is written "Washington"
# Country names read with "the" in running text.
NEEDS_THE = re.compile(r"^(?:United|Republic|Czech Republic|Dominican Republic|Central African)\b|(?:lands|Islands|pines|Emirates|Bahamas|Maldives)$")


@functools.cache
def _countries() -> dict[str, tuple[str, str]]:
    """Capital or seat → (country name, demonym), from countryinfo."""
    from countryinfo import all_countries

    table: dict[str, tuple[str, str]] = {}
    for country in all_countries():
        try:
            capital, name, demonym = country.capital(), country.name(), country.demonym()
        except (KeyError, ValueError, AttributeError):  # territories without a capital or a demonym
            continue
        capitals = [capital] if isinstance(capital, str) else capital or []  # a few hold a list
        for city in capitals:
            if city and name:
                table[CAPITAL_SUFFIX.sub("", city)] = (name, demonym or "")
    demonyms = {name: demonym for name, demonym in table.values()}
    for seat, name in SEATS_OF_GOVERNMENT.items():
        table[seat] = (name, demonyms.get(name, ""))
    return table


@functools.cache
def _pattern() -> re.Pattern[str]:
    names = sorted(_countries(), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:the\s+)?(" + "|".join(re.escape(name) for name in names) + r")(?![\w-])")


def country_name(name: str) -> str:
    """"United States" → "the United States"; "Russia" stays."""
    return f"the {name}" if NEEDS_THE.search(name) else name


def read_governments(question: str, known: Callable[[str], bool]) -> tuple[str, tuple[str, ...]]:
    """The question with each capital the articles don't use read as its country, and the capitals so read.

    ``known`` tells whether the articles use a word. "What does Moscow want in Idlib?" →
    ("What does Russia want in Idlib?", ("Moscow",)) over articles that write "Russia" or
    "Russian" but never "Moscow"; unchanged over articles that write "Moscow".
    """
    read: list[str] = []

    def replace(match: re.Match[str]) -> str:
        place = match.group(1)
        country, demonym = _countries()[place]
        named = all(known(word) for word in country.split()) or (demonym and known(demonym))
        if known(place) or not named:
            return match.group(0)
        read.append(place)
        return country_name(country)

    return _pattern().sub(replace, question), tuple(read)
