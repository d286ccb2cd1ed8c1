"""Plain-text articles (``.txt``): a saved page's text, headline somewhere near the top."""

from __future__ import annotations

from index.sources.article import ArticleText
from index.sources.page import read_page, split_blocks


def read_text(text: str) -> ArticleText:
    """Read a plain-text article; its headline, date and outlet are found in the text itself."""
    return read_page(split_blocks(text))
