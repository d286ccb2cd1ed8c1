"""Load news articles from the corpus folder and strip site boilerplate.

Three formats are read:

* ``.md`` with a small front matter block (``title:``, ``date:``, ``source:``)
  followed by the body;
* ``.txt`` whose first real line (after any site tagline) is the title;
* ``.html``, reduced to text with the standard library's HTML parser.

Paragraphs are separated by blank lines. Site chrome ("The news is by your
side.", "Comments are closed.", "Share this article" …) is dropped by rule:
short lines before the headline are taglines, and short lines made of the
usual comment/share/subscribe phrases are chrome wherever they stand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

logger = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".md", ".txt", ".html", ".htm")
FRONT_MATTER_FENCE = "---"
MAX_TITLE_WORDS = 25
MAX_BOILERPLATE_WORDS = 12
SENTENCE_END = (".", "!", "?", "…", "”", '"')

# Phrases of site chrome that never belong to an article's text.
CHROME_PATTERN = re.compile(
    r"\b(comments? (are|is) (closed|disabled|open)|leave a (comment|reply)|"
    r"share (this|on)|follow us|subscribe|sign up|newsletter|all rights reserved|"
    r"copyright|read more|related (articles|posts|stories)|advertisement|"
    r"click here|cookies?|privacy policy|terms of (use|service))\b",
    re.IGNORECASE,
)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0]+")
BLOCK_TAGS = frozenset(
    {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "section", "article", "tr"}
)
SKIPPED_TAGS = frozenset({"script", "style", "nav", "footer", "header", "aside", "form", "noscript"})


class CorpusError(Exception):
    """The corpus cannot be used (missing folder, no readable article)."""


class ArticleError(ValueError):
    """One article file cannot be read as an article."""


@dataclass(frozen=True)
class Article:
    """One news article: identity, metadata and cleaned paragraphs."""

    id: str
    title: str
    date: dt.date | None
    source: str
    paragraphs: tuple[str, ...]
    content_hash: str

    @property
    def date_text(self) -> str:
        """The date as ISO text, or an empty string when unknown."""
        return self.date.isoformat() if self.date else ""


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace and strip control characters."""
    return HORIZONTAL_SPACE.sub(" ", CONTROL_CHARACTERS.sub("", text)).strip()


def split_blocks(body: str) -> list[str]:
    """Split a body into paragraphs on blank lines, joining wrapped lines."""
    blocks = re.split(r"\n\s*\n", body.replace("\r\n", "\n").replace("\r", "\n"))
    return [normalise_space(" ".join(block.splitlines())) for block in blocks if block.strip()]


def is_chrome(paragraph: str) -> bool:
    """True for a short line of site chrome such as "Comments are closed."."""
    return len(paragraph.split()) <= MAX_BOILERPLATE_WORDS and bool(CHROME_PATTERN.search(paragraph))


def looks_like_title(paragraph: str) -> bool:
    """A headline is short and, unlike a sentence, has no closing full stop."""
    return len(paragraph.split()) <= MAX_TITLE_WORDS and not paragraph.rstrip().endswith(".")


def _comparable(text: str) -> str:
    return re.sub(r"\W+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


def clean_paragraphs(blocks: list[str], title: str) -> list[str]:
    """Drop chrome, the repeated headline, and taglines standing before it."""
    kept = [block for block in blocks if not is_chrome(block)]
    wanted = _comparable(title)
    for position, block in enumerate(kept[:3]):
        if _comparable(block) == wanted:
            # Short lines above the headline are the site's tagline.
            if all(len(b.split()) <= MAX_BOILERPLATE_WORDS for b in kept[:position]):
                return kept[position + 1 :]
            return kept[:position] + kept[position + 1 :]
    return kept


def split_title(blocks: list[str]) -> tuple[str, list[str]]:
    """Find the headline of a plain-text article: the first title-like line near the top."""
    for position, block in enumerate(blocks[:3]):
        preceding_short = all(len(b.split()) <= MAX_BOILERPLATE_WORDS for b in blocks[:position])
        if looks_like_title(block) and preceding_short:
            return block, blocks[position + 1 :]
    if not blocks:
        raise ArticleError("it has no text")
    return blocks[0], blocks[1:]


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split ``---`` fenced ``key: value`` lines from the body."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        return {}, text
    fields: dict[str, str] = {}
    for position, line in enumerate(lines[1:], start=1):
        if line.strip() == FRONT_MATTER_FENCE:
            return fields, "\n".join(lines[position + 1 :])
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip().lower()] = value.strip().strip("'\"")
    raise ArticleError("its front matter has no closing '---'")


def parse_date(value: str | None) -> dt.date | None:
    """Read an ISO date (``2018-09-07``); anything else is treated as unknown."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        logger.warning("Ignoring unreadable date %r", value)
        return None


class _TextExtractor(HTMLParser):
    """Collect visible text of an HTML page, one block per paragraph."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.title = ""
        self.heading = ""
        self._current: list[str] = []
        self._skip_depth = 0
        self._in_title = False
        self._in_h1 = False

    def _flush(self) -> None:
        text = normalise_space("".join(self._current))
        if text:
            self.blocks.append(text)
            if self._in_h1 and not self.heading:
                self.heading = text
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif tag in BLOCK_TAGS:
            self._flush()
            self._in_h1 = tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in BLOCK_TAGS:
            self._flush()
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip_depth:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def html_to_article_text(html: str) -> tuple[str, list[str]]:
    """Reduce an HTML page to its headline and paragraph texts."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    title = extractor.heading or normalise_space(extractor.title)
    return title, extractor.blocks


def content_hash(data: bytes) -> str:
    """Stable fingerprint of an article file's bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


def parse_article(article_id: str, suffix: str, data: bytes) -> Article:
    """Turn the bytes of one article file into an :class:`Article`."""
    if b"\x00" in data:
        raise ArticleError("it is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise ArticleError("it is empty")
    fields: dict[str, str] = {}
    if suffix in (".html", ".htm"):
        title, blocks = html_to_article_text(text)
    else:
        fields, body = parse_front_matter(text) if suffix == ".md" else ({}, text)
        blocks = split_blocks(body)
        title = normalise_space(fields.get("title", ""))
        if not title:
            title, blocks = split_title([b for b in blocks if not is_chrome(b)])
    title = title.lstrip("# ").strip()
    if not title:
        raise ArticleError("it has no title")
    paragraphs = clean_paragraphs(blocks, title)
    if not paragraphs:
        raise ArticleError("it has a title but no paragraphs")
    return Article(
        id=article_id,
        title=title,
        date=parse_date(fields.get("date")),
        source=fields.get("source", ""),
        paragraphs=tuple(paragraphs),
        content_hash=content_hash(data),
    )


def article_files(corpus_dir: Path) -> list[Path]:
    """The article files of a corpus folder, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    return sorted(
        path
        for path in corpus_dir.iterdir()
        if path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES and not path.name.startswith(".")
    )


def load_article(path: Path) -> Article:
    """Read one article file; raises :class:`ArticleError` when it is unusable."""
    return parse_article(path.stem, path.suffix.lower(), path.read_bytes())


def load_corpus(corpus_dir: Path) -> list[Article]:
    """Load every readable article; unreadable files are skipped with a warning."""
    articles: list[Article] = []
    for path in article_files(corpus_dir):
        try:
            articles.append(load_article(path))
        except (ArticleError, OSError) as exc:
            logger.warning("Skipping %s: %s", path.name, exc)
    if not articles:
        raise CorpusError(
            f"no readable articles in {corpus_dir}: add a .md, .txt or .html file (see README, 'Adding an article')"
        )
    return articles
