"""Articles from links: fetch a page, extract the story, store it in the corpus as a Markdown article.

A page becomes ``<outlet>-<headline>-<hash>.md`` whose front matter keeps the
headline, date, outlet, author and the page's canonical address (``source``)
and, when it differs, the address it was added by (``url``). The body is the
extracted paragraphs. Every address a stored article keeps is known to
:class:`LinkAdder`, in its canonical form, so the same story added twice (by
the same link, a link with tracking parameters, or a link whose page names an
already stored canonical address) is stored once and the second time says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

import courlan

from index.articles import article_files
from index.corpus_admin import MAX_NAME_CHARS, safe_article_name, store_article
from index.sources.article import ArticleError, ArticleText
from index.sources.errors import FetchError
from index.sources.html import extract_page
from index.sources.markdown import parse_front_matter
from index.sources.web import Fetcher

logger = logging.getLogger(__name__)

URL_KEYS = ("source", "url", "link", "canonical")
NAME_HASH_CHARS = 8
NAME_WORDS = 10
WEB_URL = re.compile(r"^https?://", re.IGNORECASE)
Progress = Callable[[int, int, "LinkResult"], None]


def canonical_url(url: str) -> str:
    """The form two addresses of one page share: lower-case host, no fragment, no tracking parameters."""
    try:
        parts = urlsplit(courlan.normalize_url(url.strip(), strict=True))
    except ValueError:  # not a well-formed address; the fetcher will say why
        return url.strip()
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def known_urls(corpus_dir: Path) -> dict[str, str]:
    """Canonical address → article id, for every web address a Markdown article of the corpus keeps."""
    known: dict[str, str] = {}
    for path in article_files(corpus_dir):
        if path.suffix.lower() != ".md":
            continue
        try:
            fields, _ = parse_front_matter(path.read_text(encoding="utf-8", errors="replace"))
        except (ArticleError, OSError):
            continue
        for key in URL_KEYS:
            value = fields.get(key, "")
            if WEB_URL.match(value):
                known.setdefault(canonical_url(value), path.stem)
    return known


def _one_line(text: str) -> str:
    return " ".join(text.split())


def article_markdown(page: ArticleText, added_by: str) -> str:
    """The corpus file of an extracted page: front matter, then one paragraph per block."""
    source = page.url or added_by
    fields = {
        "title": page.title,
        "date": page.date.isoformat() if page.date else "",
        "outlet": page.outlet,
        "author": page.author,
        "source": source,
        "url": added_by if canonical_url(added_by) != canonical_url(source) else "",
    }
    front = [f"{key}: {_one_line(value)}" for key, value in fields.items() if value]
    return "\n".join(["---", *front, "---", "", "\n\n".join(page.paragraphs), ""])


def article_file_name(page: ArticleText, url: str) -> str:
    """``<outlet>-<headline words>-<hash of the address>.md``, safe and unique per address."""
    words = " ".join([page.outlet, *page.title.split()[:NAME_WORDS]])
    digest = hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:NAME_HASH_CHARS]
    stem = safe_article_name(words + ".md")[: -len(".md")][: MAX_NAME_CHARS - NAME_HASH_CHARS - 1].rstrip("-")
    return f"{stem.lower()}-{digest}.md"


def page_text(body: bytes, charset: str | None) -> str:
    """A page's text: the charset its server declared, else what the page itself says or looks like."""
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            logger.info("Unknown charset %r; guessing from the page", charset)
    from trafilatura.utils import decode_file  # trafilatura loads with the first page, as in index.sources.html

    return decode_file(body)


@dataclass(frozen=True)
class LinkResult:
    """What became of one link."""

    url: str
    article: str = ""  # the article id it is stored under (new or, for a duplicate, the old one)
    title: str = ""
    outlet: str = ""
    date: str = ""
    paragraphs: int = 0
    duplicate: bool = False
    error: str = ""

    @property
    def added(self) -> bool:
        """True when the link became a new article."""
        return bool(self.article) and not self.duplicate and not self.error

    def summary(self) -> str:
        """One line for people."""
        if self.error:
            return f"Could not add {self.url}: {self.error}"
        if self.duplicate:
            return f"Already in the corpus as {self.article}: {self.url}"
        about = ", ".join(part for part in (self.outlet, self.date) if part)
        return f"Added “{self.title}”{f' ({about})' if about else ''}, {self.paragraphs} paragraphs, as {self.article}"


class LinkAdder:
    """Adds linked pages to one corpus folder, remembering every address it holds."""

    def __init__(self, corpus_dir: Path, index_dir: Path, fetcher: Fetcher) -> None:
        self.corpus_dir = corpus_dir
        self.index_dir = index_dir  # its build lock guards the write into the corpus
        self.fetcher = fetcher
        self.known = known_urls(corpus_dir)

    def stored_as(self, url: str) -> str | None:
        """The article id a link is already stored under, if any."""
        return self.known.get(canonical_url(url))

    def add(self, url: str) -> LinkResult:
        """Fetch, extract and store one link; the result says what happened (never raises for the link's faults)."""
        url = url.strip()
        name = ""
        try:
            existing = self.stored_as(url)
            if existing:
                return LinkResult(url, article=existing, duplicate=True)
            fetched = self.fetcher.fetch(url)
            page = extract_page(page_text(fetched.body, fetched.charset), fetched.final_url)
            for address in (fetched.final_url, page.url):
                existing = self.stored_as(address) if address else None
                if existing:
                    self.known[canonical_url(url)] = existing
                    return LinkResult(url, article=existing, duplicate=True)
            canonical = page.url or fetched.final_url
            page = dataclasses.replace(page, url=canonical)
            name = article_file_name(page, canonical)
            stored = store_article(name, article_markdown(page, url).encode(), self.corpus_dir, self.index_dir)
        except (FetchError, ArticleError) as exc:
            logger.info("Could not add %s: %s", url, exc)
            return LinkResult(url, error=str(exc).removeprefix(f"{name}: ") if name else str(exc))
        for address in (url, fetched.final_url, canonical):
            self.known[canonical_url(address)] = stored.path.stem
        if stored.already_there:  # the same text under another address
            return LinkResult(url, article=stored.path.stem, duplicate=True)
        result = LinkResult(
            url,
            article=stored.path.stem,
            title=page.title,
            outlet=page.outlet,
            date=page.date.isoformat() if page.date else "",
            paragraphs=len(page.paragraphs),
        )
        logger.info("%s", result.summary())
        return result

    def add_all(self, urls: list[str], progress: Progress | None = None) -> list[LinkResult]:
        """Add links one after another, reporting each to ``progress(done, total, result)``."""
        results = []
        for number, url in enumerate(urls, start=1):
            results.append(self.add(url))
            if progress is not None:
                progress(number, len(urls), results[-1])
        return results
