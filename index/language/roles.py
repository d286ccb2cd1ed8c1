"""Roles and titles: the words that describe a person ("the Turkish leader", "Foreign Minister").

A role is an attribute of a person, never part of their name. This module
knows the role nouns, the words that may modify them, and how to read a
description into its modifiers and its role noun.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from index.text import fold

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
ROLE_WORDS = frozenset(ROLE_HEADS) | frozenset(ROLE_MODIFIERS.split("|"))  # "Minister", "Foreign" before a name
IGNORABLE_MODIFIERS = frozenset({"top", "senior", "special", "veteran", "chief", "main", "acting"})
DETERMINERS = frozenset({"the", "a", "an", "his", "her", "their"})
ROLE_CACHE_SIZE = 1024

HEADS = "|".join(re.escape(head).replace(r"\ ", r"\s+") for head in ROLE_HEADS)
MODIFIERS = rf"(?:(?:[A-Z][\w.’'-]*|(?i:{ROLE_MODIFIERS}))\s+){{0,4}}"
OF_SUFFIX = r"(?:\s+(?:for|of)\s+(?:the\s+)?[A-Z][\w-]*(?:\s+[A-Z][\w-]*){0,3})?"
DETERMINER = r"(?:(?:[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[A-Z][\w-]*[’']s\s+)?|[A-Z][\w-]*[’']s\s+)"
ROLE = rf"(?P<role>{MODIFIERS}(?i:{HEADS}))\b"
ROLE_HEAD_PATTERN = re.compile(rf"(?i:\b(?:{HEADS}))\b")
DESCRIPTION_PATTERN = re.compile(rf"(?P<desc>\b{DETERMINER}{ROLE})")


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
    words = [w for w in before if fold(w) not in DETERMINERS]
    after = text[match.end() :].split()
    modifiers = tuple(words) + tuple(w for w in after if w[:1].isupper())
    return Description(text=" ".join(text.split()), modifiers=modifiers, head=" ".join(fold(match.group(0)).split()))


@functools.lru_cache(maxsize=ROLE_CACHE_SIZE)
def role_heads(role: str) -> frozenset[str]:
    """The role nouns in a role ("Foreign Minister" → foreign minister, minister)."""
    folded = " ".join(fold(role).split())
    return frozenset(head for head in ROLE_HEADS if ROLE_HEAD_PATTERNS[head].search(folded))


def head_fits(head: str, role: str) -> bool:
    """True when a description's role noun ("the leader") fits a person's role ("President")."""
    heads = role_heads(role)
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
