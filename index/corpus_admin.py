"""Adding article files to the corpus safely: validated, sanitised, never outside it."""

from __future__ import annotations

import logging
import os
import re
import unicodedata
import uuid
from pathlib import Path

from index.articles import ARTICLE_SUFFIXES, Article, ArticleError, parse_article

logger = logging.getLogger(__name__)

MAX_ARTICLE_BYTES = 1_000_000
MAX_NAME_CHARS = 80


def safe_article_name(name: str) -> str:
    """A file name that stays inside the corpus: no folders, no odd characters."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-._")[:MAX_NAME_CHARS] or "article"
    suffix = suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise ArticleError(f"{base!r} is not an article file: use {', '.join(ARTICLE_SUFFIXES)}")
    return stem + suffix


def validate_article(name: str, data: bytes) -> Article:
    """Parse an article before it enters the corpus; raises ArticleError with the reason."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(f"{name} is {len(data):,} bytes; the limit is {MAX_ARTICLE_BYTES:,}")
    safe = safe_article_name(name)
    try:
        return parse_article(Path(safe).stem, Path(safe).suffix, data)
    except ArticleError as exc:
        raise ArticleError(f"{name}: {exc}") from None


def store_article(name: str, data: bytes, corpus_dir: Path) -> Path:
    """Validate and write one article into the corpus atomically; returns its path."""
    validate_article(name, data)
    if not corpus_dir.is_dir():
        raise ArticleError(f"corpus folder {corpus_dir} does not exist")
    target = corpus_dir / safe_article_name(name)
    temporary = corpus_dir / f".{target.name}.{uuid.uuid4().hex}.tmp"
    temporary.write_bytes(data)
    os.replace(temporary, target)
    logger.info("Stored article %s", target.name)
    return target


def add_articles(files: list[Path], corpus_dir: Path) -> list[Path]:
    """Copy article files into the corpus after validating all of them."""
    contents = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ArticleError(f"cannot read {path}: {exc.strerror}") from None
        validate_article(path.name, data)
        contents.append((path.name, data))
    return [store_article(name, data, corpus_dir) for name, data in contents]
