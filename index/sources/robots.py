"""Robots exclusion (RFC 9309) for pages the bot fetches by itself, such as feed items.

A site's ``robots.txt`` is fetched once per :class:`RobotsRules` (one poll)
through the same guarded fetcher and read with the standard library's parser.
As the RFC says: a robots.txt that does not exist (4xx) allows everything; one
that cannot be reached (5xx, network trouble) allows nothing for now, so the
item is tried again at the next poll.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from index.sources.errors import FetchError
from index.sources.web import USER_AGENT, Fetcher

logger = logging.getLogger(__name__)

ROBOTS_PATH = "/robots.txt"
ROBOTS_AGENT = USER_AGENT.split("/")[0]  # "summitbot": the product token robots.txt groups match
# Servers label robots.txt loosely; its rules are read whatever the label.
ROBOTS_TYPES = ("text/plain", "text/html", "application/octet-stream", "")


class RobotsUnreachable(FetchError):
    """A site's robots.txt could not be read; its pages wait for the next poll."""


class RobotsRules:
    """Answers "may this page be fetched?" for any site, reading each site's robots.txt once."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._parsers: dict[str, RobotFileParser | FetchError] = {}

    def _parser(self, origin: str) -> RobotFileParser:
        if origin not in self._parsers:
            parser = RobotFileParser(origin + ROBOTS_PATH)
            try:
                parser.parse(self.fetcher.fetch(origin + ROBOTS_PATH, ROBOTS_TYPES).text().splitlines())
                self._parsers[origin] = parser
            except FetchError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    parser.allow_all = True
                    self._parsers[origin] = parser
                else:
                    self._parsers[origin] = RobotsUnreachable(f"cannot read {origin}{ROBOTS_PATH}: {exc}")
        found = self._parsers[origin]
        if isinstance(found, FetchError):
            raise found
        return found

    def allowed(self, url: str) -> bool:
        """True when the site's robots.txt lets summitbot fetch ``url``; raises RobotsUnreachable."""
        parts = urlsplit(url)
        return self._parser(f"{parts.scheme}://{parts.netloc}").can_fetch(ROBOTS_AGENT, url)
