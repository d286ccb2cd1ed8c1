"""A person: one name, the ways the text refers to them, and what the text says they are."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.language.names import PARTICLE_PREFIX, PARTICLE_WORD
from index.text import fold


@dataclass
class Person:
    """A person named in the articles, with every way the text refers to them."""

    name: str
    nationality: str = ""
    role: str = ""
    aliases: set[str] = field(default_factory=set)
    gender: str = ""  # learnt from "his/her counterpart", "Mr/Ms" or a resolved "he"/"she" while reading

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
