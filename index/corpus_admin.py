"""Adding article files to the corpus: validated, under readable unique names, never lost.

* A file is read as an article before it enters the corpus; a bad one is named
  with its reason and never blocks the others (:func:`add_articles`).
* Its stored name keeps the name it came with, non-ASCII letters included
  ("Саммит.txt"), minus folders and odd characters; a name with no letters at
  all is named after its content ("article-1f2e3d4c.txt"), never a shared
  placeholder.
* A name taken by a different article (whatever its extension: "deal.md" and
  "deal.txt" would share the article id "deal") gets a new unique name
  ("deal-2.txt"); the same content again is "already there", nothing written.
* The write happens under the index's build lock, so two uploads cannot pick
  the same name and a build never reads a half-chosen corpus; the file and
  the folder are fsynced before the lock is released.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from index.articles import ARTICLE_SUFFIXES, Article, ArticleError, article_files, content_hash, parse_article
from index.store import BuildLock

logger = logging.getLogger(__name__)

MAX_ARTICLE_BYTES = 1_000_000
MAX_NAME_CHARS = 80
CONTENT_NAME_PREFIX = "article-"  # for a name with no letters or digits at all
CONTENT_NAME_HASH_CHARS = 8
UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w\-]+")  # \w is Unicode: Cyrillic, accents, CJK stay


@dataclass(frozen=True)
class StoredArticle:
    """An article file in the corpus after :func:`store_article`."""

    path: Path
    article: Article
    requested: str  # the name it came with
    already_there: bool = False  # the same content was in the corpus; nothing was written

    @property
    def name(self) -> str:
        """The file name in the corpus."""
        return self.path.name

    def describe(self) -> str:
        """One line for people: what happened to this file."""
        if self.already_there:
            return f"{self.requested} is already there as {self.name}"
        renamed = f" ({self.requested} was taken by another article)" if self.requested != self.name else ""
        facts = ", ".join(fact for fact in (self.article.outlet, self.article.date_text) if fact)
        return f"Added {self.name}{renamed}: {self.article.title}" + (f" ({facts})" if facts else "")


@dataclass
class AddReport:
    """What :func:`add_articles` did with each file."""

    stored: list[StoredArticle] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # file, reason

    @property
    def written(self) -> list[StoredArticle]:
        """Files that are new in the corpus."""
        return [entry for entry in self.stored if not entry.already_there]


def article_suffix(name: str) -> str:
    """The lower-case extension of an article file name; raises ArticleError for other file types."""
    suffix = os.path.splitext(Path(name.replace("\\", "/")).name)[1].lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise ArticleError(f"{name!r} is not an article file: use {', '.join(ARTICLE_SUFFIXES)}")
    return suffix


def safe_article_name(name: str, data: bytes = b"") -> str:
    """A readable file name that stays inside the corpus: no folders, no odd characters, letters kept."""
    suffix = article_suffix(name)
    stem = os.path.splitext(Path(name.replace("\\", "/")).name)[0]
    stem = UNSAFE_NAME_CHARACTERS.sub("-", unicodedata.normalize("NFC", stem)).strip("-_")[:MAX_NAME_CHARS].strip("-_")
    if not stem:
        stem = CONTENT_NAME_PREFIX + content_hash(data)[:CONTENT_NAME_HASH_CHARS]
    return stem + suffix


def validate_article(name: str, data: bytes) -> Article:
    """Parse an article before it enters the corpus; raises ArticleError with the reason."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(f"{name} is {len(data):,} bytes; the limit is {MAX_ARTICLE_BYTES:,}")
    safe = Path(safe_article_name(name, data))
    try:
        return parse_article(safe.stem, safe.suffix, data)
    except ArticleError as exc:
        raise ArticleError(f"{name}: {exc}") from None


def _free_name(wanted: str, taken_stems: set[str]) -> str:
    """``wanted``, or ``stem-2.ext``, ``stem-3.ext`` … when another article has its stem."""
    stem, suffix = os.path.splitext(wanted)
    candidate, number = stem, 2
    while candidate in taken_stems:
        candidate, number = f"{stem}-{number}", number + 1
    return candidate + suffix


def _write_durably(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` atomically, the file and the folder entry fsynced."""
    target = folder / name
    temporary = folder / f".{name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return target


def store_article(name: str, data: bytes, corpus_dir: Path, index_dir: Path) -> StoredArticle:
    """Validate one article and write it into the corpus under a unique name, inside the build lock."""
    article = validate_article(name, data)
    if not corpus_dir.is_dir():
        raise ArticleError(f"corpus folder {corpus_dir} does not exist")
    wanted = safe_article_name(name, data)
    fingerprint = content_hash(data)
    with BuildLock(index_dir):
        existing = article_files(corpus_dir)
        for path in existing:
            if content_hash(path.read_bytes()) == fingerprint:
                logger.info("%s is already in the corpus as %s", name, path.name)
                return StoredArticle(path, article, Path(name).name, already_there=True)
        stored_name = _free_name(wanted, {path.stem for path in existing})
        target = _write_durably(corpus_dir, stored_name, data)
    logger.info("Stored article %s", target.name)
    return StoredArticle(target, article, wanted)


def add_articles(files: list[Path], corpus_dir: Path, index_dir: Path) -> AddReport:
    """Store every readable article of ``files``; each bad one is reported with its reason."""
    report = AddReport()
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.failed.append((str(path), exc.strerror or str(exc)))
            continue
        try:
            report.stored.append(store_article(path.name, data, corpus_dir, index_dir))
        except ArticleError as exc:
            report.failed.append((str(path), str(exc).removeprefix(f"{path.name}: ")))
    return report
