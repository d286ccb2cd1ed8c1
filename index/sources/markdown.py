"""Markdown articles (``.md``): optional front matter, then the body.

The front matter is ``---``-fenced ``key: value`` lines; ``title``, ``date``,
``source`` (a URL or a name), ``outlet`` (or ``site``/``publisher``), ``author``
and ``url`` are read, and what they give wins over what the body suggests.
Headings lose their ``#`` marks and links keep only their text.
"""

from __future__ import annotations

import re

from index.language.dates import parse_date
from index.sources.article import ArticleError, ArticleText
from index.sources.page import read_page, split_blocks

FRONT_MATTER_FENCE = "---"
OUTLET_KEYS = ("outlet", "site", "sitename", "publisher", "agency")
URL_KEYS = ("url", "link", "canonical")
HEADING_MARKS = re.compile(r"^#{1,6}\s+", re.MULTILINE)
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
URL = re.compile(r"^https?://", re.IGNORECASE)
MAX_OUTLET_WORDS = 5  # a longer ``source`` is a note about the article, not its outlet


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


def _first(fields: dict[str, str], keys: tuple[str, ...]) -> str:
    return next((fields[key] for key in keys if fields.get(key)), "")


def read_markdown(text: str) -> ArticleText:
    """Read a Markdown article with or without front matter."""
    fields, body = parse_front_matter(text)
    body = LINK.sub(r"\1", IMAGE.sub("", HEADING_MARKS.sub("", body)))
    source = fields.get("source", "")
    source_is_url = bool(URL.match(source))
    source_outlet = "" if source_is_url or len(source.split()) > MAX_OUTLET_WORDS else source
    return read_page(
        split_blocks(body),
        title=fields.get("title", ""),
        date=parse_date(fields.get("date")),
        outlet=_first(fields, OUTLET_KEYS) or source_outlet,
        author=fields.get("author", ""),
        url=_first(fields, URL_KEYS) or (source if source_is_url else ""),
        source=source,
    )
