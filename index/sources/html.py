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
import re
from collections.abc import Iterable
from configparser import ConfigParser

from index.language.dates import parse_date
from index.sources.article import ArticleError, ArticleText
from index.sources.page import normalise_space, read_page

logger = logging.getLogger(__name__)

# Containers trafilatura may take for the story on some templates: reader comments ("nw-comments",
# "comment-list", but not "commentary", an opinion piece) and cookie or consent notices.
CHROME_CONTAINERS = [
    "//*[(contains(@class,'comment') and not(contains(@class,'commentary'))) or contains(@id,'comment')]",
    "//*[contains(@class,'cookie') or contains(@id,'cookie') or contains(@class,'consent') or contains(@id,'consent')]",
]
# A cookie notice is chrome at any length (a story about cookies says more than "this site uses cookies").
COOKIE_NOTICE = re.compile(
    r"\b(?:(?:this|our) (?:site|website) uses? cookies|we use cookies|use of cookies|accept (?:all )?cookies|"
    r"cookie (?:policy|settings|preferences))\b",
    re.IGNORECASE,
)
# Paragraphs this long are long enough to tell their language; in another language than the
# story they are comments or furniture (a reader's comment in Turkish under an English report).
MIN_LANGUAGE_WORDS = 6
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


def story_blocks(blocks: Iterable[str]) -> list[str]:
    """The extracted blocks without cookie notices and without paragraphs in another language than the story."""
    import py3langid

    kept = [block for block in blocks if not COOKIE_NOTICE.search(block)]
    if not kept:
        return []
    language, _ = py3langid.classify(" ".join(kept))
    return [
        block
        for block in kept
        if len(block.split()) < MIN_LANGUAGE_WORDS or py3langid.classify(block)[0] == language
    ]


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
        prune_xpath=CHROME_CONTAINERS,
        config=_trafilatura_config(),
    )
    if document is None or not (document.text or "").strip():
        raise ArticleError("no article text was found in the page")
    blocks = story_blocks(line for line in (normalise_space(raw) for raw in document.text.splitlines()) if line)
    if not blocks:
        raise ArticleError("no article text was found in the page")
    return read_page(
        blocks,
        title=document.title or "",
        date=parse_date(document.date),
        outlet=document.sitename or document.hostname or "",
        author=document.author or "",
        url=document.url or url or "",
        source=url or document.url or "",
    )
