"""The articles of a corpus folder: which files, under which ids, read by which loader.

Formats (one loader each, in :mod:`index.sources`): ``.md`` with optional
front matter, ``.txt``, and ``.html``/``.htm`` through trafilatura. Every
file gets its own article id, its stem; files that share a stem ("deal.md"
and "deal.txt") are two articles, the later format's id carrying its
extension ("deal", "deal-txt").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from index.sources.article import Article, ArticleError, ArticleText, CorpusError, content_hash
from index.sources.html import extract_page
from index.sources.markdown import read_markdown
from index.sources.text import read_text

logger = logging.getLogger(__name__)

LOADERS: dict[str, Callable[[str], ArticleText]] = {
    ".md": read_markdown,
    ".txt": read_text,
    ".html": extract_page,
    ".htm": extract_page,
}
ARTICLE_SUFFIXES = tuple(LOADERS)

__all__ = [
    "ARTICLE_SUFFIXES",
    "Article",
    "ArticleError",
    "CorpusError",
    "article_files",
    "article_ids",
    "content_hash",
    "load_article",
    "load_corpus",
    "parse_article",
]


def decode_article(data: bytes) -> str:
    """The text of an article file; raises :class:`ArticleError` when it is not UTF-8 text."""
    if b"\x00" in data:
        raise ArticleError("it is a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"it is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise ArticleError("it is empty")
    return text


def parse_article(article_id: str, suffix: str, data: bytes) -> Article:
    """Turn the bytes of one article file into an :class:`Article`."""
    loader = LOADERS.get(suffix.lower())
    if loader is None:
        raise ArticleError(f"{suffix or 'a file without extension'} is not an article format: use {', '.join(ARTICLE_SUFFIXES)}")
    return Article.from_text(article_id, loader(decode_article(data)), content_hash(data))


def article_files(corpus_dir: Path) -> list[Path]:
    """The article files of a corpus folder, sorted by name."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    return sorted(
        path
        for path in corpus_dir.iterdir()
        if path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES and not path.name.startswith(".")
    )


def article_ids(paths: list[Path]) -> dict[Path, str]:
    """A unique article id per file: its stem, or for a second file with that stem, stem and extension."""
    preference = {suffix: rank for rank, suffix in enumerate(ARTICLE_SUFFIXES)}
    ordered = sorted(paths, key=lambda path: (path.stem, preference.get(path.suffix.lower(), len(preference)), path.name))
    stems = {path.stem for path in paths}
    taken: set[str] = set()
    ids: dict[Path, str] = {}
    for path in ordered:
        candidate = path.stem
        if candidate in taken:
            candidate = f"{path.stem}-{path.suffix.lstrip('.').lower()}"
            number = 2
            while candidate in taken or candidate in stems:
                candidate, number = f"{path.stem}-{path.suffix.lstrip('.').lower()}-{number}", number + 1
            logger.info("%s shares its name with another article; its id is %s", path.name, candidate)
        taken.add(candidate)
        ids[path] = candidate
    return ids


def load_article(path: Path, article_id: str | None = None) -> Article:
    """Read one article file; raises :class:`ArticleError` when it is unusable."""
    return parse_article(article_id or path.stem, path.suffix.lower(), path.read_bytes())


def load_corpus(corpus_dir: Path) -> list[Article]:
    """Load every readable article; unreadable files are skipped with a warning."""
    articles: list[Article] = []
    for path, article_id in article_ids(article_files(corpus_dir)).items():
        try:
            articles.append(load_article(path, article_id))
        except (ArticleError, OSError) as exc:
            logger.warning("Skipping %s: %s", path.name, exc)
    if not articles:
        raise CorpusError(
            f"no readable articles in {corpus_dir}: add a .md, .txt or .html file (see README, 'Adding an article')"
        )
    return sorted(articles, key=lambda article: article.id)
