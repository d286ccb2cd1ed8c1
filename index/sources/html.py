"""HTML articles (``.html``, ``.htm``, and pages fetched from the web) through trafilatura.

trafilatura finds the story's text among the page's menus, sidebars and
comments, and reads its metadata (title, date, site name, author, canonical
URL); the text then goes through the same reading rules as plain text
(:mod:`index.sources.page`), which drop the chrome trafilatura lets through.
:func:`extract_page` is the entry point for a fetched page too.
"""

from __future__ import annotations

import functools
import logging
from configparser import ConfigParser

from index.language.dates import parse_date
from index.sources.article import ArticleError, ArticleText
from index.sources.page import normalise_space, read_page

logger = logging.getLogger(__name__)

# Below this many characters trafilatura falls back to a baseline that splits paragraphs at every
# <b> or <a>; a short news brief is still an article, so its own extraction is kept.
MIN_EXTRACTED_CHARACTERS = 1


@functools.cache
def _trafilatura_config() -> ConfigParser:
    """trafilatura's settings, made once; trafilatura loads on the first page (0.4 s) so answering never waits for it."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(MIN_EXTRACTED_CHARACTERS))
    return config


def extract_page(html: str, url: str | None = None) -> ArticleText:
    """Headline, paragraphs, date, outlet, author and canonical URL of an HTML page.

    Raises :class:`ArticleError` with the reason when the page holds no article text.
    """
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        config=_trafilatura_config(),
    )
    if document is None or not (document.text or "").strip():
        raise ArticleError("no article text was found in the page")
    blocks = [line for line in (normalise_space(raw) for raw in document.text.splitlines()) if line]
    return read_page(
        blocks,
        title=document.title or "",
        date=parse_date(document.date),
        outlet=document.sitename or document.hostname or "",
        author=document.author or "",
        url=document.url or url or "",
        source=url or document.url or "",
    )
