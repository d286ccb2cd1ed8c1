"""The one article type, what a loader reads from a file or page, and the errors of reading."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass


class CorpusError(Exception):
    """The corpus cannot be used (missing folder, no readable article)."""


class ArticleError(ValueError):
    """One article file cannot be read as an article."""


@dataclass(frozen=True)
class ArticleText:
    """What a loader reads from one file or page: headline, paragraphs and what is known about them."""

    title: str
    paragraphs: tuple[str, ...]
    date: dt.date | None = None
    outlet: str = ""
    author: str = ""
    url: str = ""
    source: str = ""


@dataclass(frozen=True)
class Article:
    """One news article: identity, metadata and cleaned paragraphs."""

    id: str
    title: str
    date: dt.date | None
    source: str
    paragraphs: tuple[str, ...]
    content_hash: str
    outlet: str = ""
    author: str = ""
    url: str = ""

    @property
    def date_text(self) -> str:
        """The date as ISO text, or an empty string when unknown."""
        return self.date.isoformat() if self.date else ""

    @classmethod
    def from_text(cls, article_id: str, text: ArticleText, content_hash: str) -> "Article":
        """The article a loader's reading makes, under ``article_id``."""
        return cls(
            id=article_id,
            title=text.title,
            date=text.date,
            source=text.source,
            paragraphs=text.paragraphs,
            content_hash=content_hash,
            outlet=text.outlet,
            author=text.author,
            url=text.url,
        )


def content_hash(data: bytes) -> str:
    """Stable fingerprint of an article file's bytes."""
    return hashlib.sha256(data).hexdigest()[:16]
