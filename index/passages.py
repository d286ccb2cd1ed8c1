"""Split articles into passages: one per paragraph, with speakers attached.

Paragraph numbers count the headline as paragraph 1, so the numbers match
the article as it is read from the top.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from index.articles import Article
from index.language.attribution import attribute_speakers
from index.language.directory import PeopleDirectory
from index.language.person import Person
from index.language.quotes import ParagraphSpeech, Quote

# Bump when splitting or speaker attribution changes: builds then re-read every article.
ANALYSIS_VERSION = 7


@dataclass(frozen=True)
class Passage:
    """A paragraph of an article: what it says, where it stands, who speaks in it."""

    article: str
    title: str
    date: str
    paragraph: int
    text: str
    speaker: str | None = None
    quotes: tuple[Quote, ...] = field(default_factory=tuple)
    outlet: str = ""  # who published the article ("Reuters"); empty when unknown
    url: str = ""  # the article's page on the web, when it came from one

    @property
    def id(self) -> str:
        """Stable identifier: article id and paragraph number."""
        return f"{self.article}#{self.paragraph}"

    @property
    def search_text(self) -> str:
        """What the encoders see: the paragraph, led by its speaker when known."""
        return f"{self.speaker}: {self.text}" if self.speaker else self.text

    @property
    def fingerprint(self) -> str:
        """Hash of the encoded text, the key for reusing embeddings across builds."""
        return hashlib.sha256(self.search_text.encode("utf-8")).hexdigest()[:20]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the passage store."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["quotes"] = [asdict(quote) for quote in self.quotes]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Passage":
        """Inverse of :meth:`to_dict`."""
        quotes = tuple(Quote(**quote) for quote in data.get("quotes", []))
        return cls(**{**data, "quotes": quotes})


def _canonical(name: str | None, article: str, people: PeopleDirectory) -> str | None:
    person = people.identify(name, article) if name else None
    return person.name if person else name


def with_identities(passages: list[Passage], people: PeopleDirectory) -> list[Passage]:
    """The passages with every speaker named as the one person they are across all articles.

    "Tayyip Erdogan" in one article and "Recep Tayyip Erdogan" in another are one speaker,
    so a question about either finds the words of both.
    """
    named = []
    for passage in passages:
        speaker = _canonical(passage.speaker, passage.article, people)
        quotes = tuple(
            dataclasses.replace(quote, speaker=_canonical(quote.speaker, passage.article, people))
            for quote in passage.quotes
        )
        unchanged = (speaker, quotes) == (passage.speaker, passage.quotes)
        named.append(passage if unchanged else dataclasses.replace(passage, speaker=speaker, quotes=quotes))
    return named


def split_passages(article: Article) -> tuple[list[Passage], list[Person]]:
    """Passages of one article (headline first) and the people it names."""
    texts = [article.title, *article.paragraphs]
    directory, speech = attribute_speakers(texts, PeopleDirectory())
    # A headline sums a story up in the outlet's words ("Putin says nobody can speak for militants"): no one's speech.
    speech[0] = ParagraphSpeech(quotes=tuple(dataclasses.replace(q, speaker=None) for q in speech[0].quotes), speaker=None)
    passages = [
        Passage(
            article=article.id,
            title=article.title,
            date=article.date_text,
            paragraph=number,
            text=text,
            speaker=said.speaker,
            quotes=said.quotes,
            outlet=article.outlet,
            url=article.url,
        )
        for number, (text, said) in enumerate(zip(texts, speech), start=1)
    ]
    return passages, directory.people
