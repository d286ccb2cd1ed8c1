"""Followed feeds (RSS and Atom): what is followed, what each feed has given, and polling them.

The followed feeds live in one JSON file beside the corpus
(:data:`FEEDS_FILE_NAME`), written atomically. Each feed remembers every item
it has given, by the item's id and by its link in canonical form, so an item
is added once even when the feed re-orders or re-dates its items, or the same
story comes through two feeds or was added by hand. A feed that fails (down,
404, malformed XML, a web page instead of a feed) is logged and tried again
after a wait that doubles with each failure; it never stops the others.
Pages linked from feeds are fetched only where the site's robots.txt allows.

Polls and changes to the followed feeds hold a lock file, so ``summitbot feeds
poll`` and the running bot never poll at the same time or lose each other's
changes.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urljoin

import feedparser

from index.sources.errors import FeedError, FetchError
from index.sources.links import LinkAdder, LinkResult, canonical_url
from index.sources.robots import RobotsRules, RobotsUnreachable
from index.sources.web import FEED_TYPES, Fetched

logger = logging.getLogger(__name__)

FEEDS_FILE_NAME = ".summitbot-feeds.json"
FORMAT_VERSION = 1
MAX_NEW_ITEMS_PER_POLL = 20  # per feed; the rest come with the next polls
MAX_ITEM_ATTEMPTS = 3  # an item page that fails this many polls in a row is given up
MAX_BACKOFF_SECONDS = 6 * 3600.0
ItemProgress = Callable[[str, LinkResult], None]


def counted(number: int, noun: str) -> str:
    """``1 article``, ``2 articles``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed."""

    key: str  # the item's id (guid), or its link when it has none
    link: str
    title: str

    @property
    def seen_keys(self) -> tuple[str, ...]:
        """What marks the item as given: its id and its link."""
        return (f"id:{self.key}", f"link:{canonical_url(self.link)}")


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's title and entries, newest first as the feed lists them."""

    title: str
    items: tuple[FeedItem, ...]


@dataclass
class FollowedFeed:
    """A followed feed and what it has given so far."""

    url: str
    title: str = ""
    followed_at: float = 0.0
    last_polled: float = 0.0
    articles: int = 0
    failures: int = 0
    retry_at: float = 0.0
    last_error: str = ""
    seen: list[str] = field(default_factory=list)
    item_failures: dict[str, int] = field(default_factory=dict)

    def has_seen(self, item: FeedItem) -> bool:
        """True when the item, by id or by link, was given before."""
        seen = set(self.seen)
        return any(key in seen for key in item.seen_keys)

    def mark_seen(self, item: FeedItem) -> None:
        """Remember the item for good."""
        self.seen.extend(key for key in item.seen_keys if key not in self.seen)
        self.item_failures.pop(item.key, None)

    def item_failed(self, item: FeedItem) -> None:
        """Count a failed attempt at an item's page; give the item up after MAX_ITEM_ATTEMPTS."""
        self.item_failures[item.key] = self.item_failures.get(item.key, 0) + 1
        if self.item_failures[item.key] >= MAX_ITEM_ATTEMPTS:
            logger.warning("Giving up on %s after %d failed attempts", item.link, MAX_ITEM_ATTEMPTS)
            self.mark_seen(item)

    def failed(self, error: str, interval: float, now: float) -> None:
        """Record a failed poll and when to try again (the wait doubles each time)."""
        self.failures += 1
        self.last_error = error
        self.retry_at = now + min(interval * 2 ** (self.failures - 1), MAX_BACKOFF_SECONDS)

    def succeeded(self, title: str, now: float) -> None:
        """Record a good poll."""
        self.title = title or self.title
        self.failures, self.retry_at, self.last_error = 0, 0.0, ""
        self.last_polled = now

    def describe(self) -> str:
        """One line for ``feeds list`` and /feeds."""
        state = f"{counted(self.articles, 'article')} added"
        if self.last_polled:
            state += f", last read {time.strftime('%Y-%m-%d %H:%M', time.localtime(self.last_polled))}"
        if self.failures:
            state += f"; failing ({self.last_error}), next try {time.strftime('%H:%M', time.localtime(self.retry_at))}"
        return f"{self.title or '(not read yet)'} — {self.url} — {state}"


@dataclass
class PollReport:
    """What one poll did."""

    results: list[LinkResult] = field(default_factory=list)
    failed_feeds: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    disallowed: list[str] = field(default_factory=list)  # item pages robots.txt keeps us from
    feeds: int = 0

    @property
    def added(self) -> list[LinkResult]:
        """The items that became new articles."""
        return [result for result in self.results if result.added]

    def summary(self) -> str:
        """One line for people."""
        parts = [f"Read {counted(self.feeds, 'feed')}", f"{counted(len(self.added), 'new article')}"]
        failed_items = [result for result in self.results if result.error]
        if failed_items:
            parts.append(f"{counted(len(failed_items), 'item page')} failed")
        if self.disallowed:
            parts.append(f"{counted(len(self.disallowed), 'page')} skipped for robots.txt")
        if self.failed_feeds:
            parts.append(f"{counted(len(self.failed_feeds), 'feed')} failed")
        return ", ".join(parts)


def read_feed(fetched: Fetched) -> ParsedFeed:
    """The entries of a fetched RSS or Atom feed; FeedError when it is not one."""
    parsed = feedparser.parse(
        io.BytesIO(fetched.body),  # a stream: feedparser would fetch a string that looks like a URL itself
        response_headers={"content-type": f"{fetched.media_type}; charset={fetched.charset or 'utf-8'}"},
    )
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or ""
        if link:
            link = urljoin(fetched.final_url, link)
            items.append(FeedItem(key=entry.get("id") or link, link=link, title=" ".join(entry.get("title", "").split())))
    if not items:
        if not parsed.get("version"):
            raise FeedError(f"{fetched.url} is not an RSS or Atom feed")
        if parsed.get("bozo"):
            problem = type(parsed.get("bozo_exception")).__name__
            raise FeedError(f"{fetched.url} is a damaged feed that cannot be read ({problem})")
        logger.info("Feed %s lists no items", fetched.url)
    return ParsedFeed(title=" ".join(parsed.feed.get("title", "").split()), items=tuple(items))


class FeedStore:
    """The followed feeds of one corpus, in ``<corpus>/.summitbot-feeds.json``."""

    def __init__(self, corpus_dir: Path) -> None:
        self.path = corpus_dir / FEEDS_FILE_NAME
        self._lock_path = corpus_dir / (FEEDS_FILE_NAME + ".lock")

    def load(self) -> dict[str, FollowedFeed]:
        """The followed feeds by URL (none when the file does not exist yet)."""
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return {url: FollowedFeed(**entry) for url, entry in data["feeds"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise FeedError(f"{self.path} is damaged ({exc}); remove it and follow the feeds again") from None

    def save(self, feeds: dict[str, FollowedFeed]) -> None:
        """Write the followed feeds atomically."""
        data = {"version": FORMAT_VERSION, "feeds": {url: asdict(feed) for url, feed in feeds.items()}}
        temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(temporary, self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[dict[str, FollowedFeed]]:
        """The followed feeds under the lock; what the block changes is saved when it ends."""
        if not self.path.parent.is_dir():
            raise FeedError(f"corpus folder {self.path.parent} does not exist")
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                feeds = self.load()
                try:
                    yield feeds
                finally:
                    self.save(feeds)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def find(self, feeds: dict[str, FollowedFeed], url: str) -> str | None:
        """The key under which ``url`` is followed, compared in canonical form."""
        wanted = canonical_url(url)
        return next((key for key in feeds if canonical_url(key) == wanted), None)

    def follow(self, url: str, adder: LinkAdder) -> FollowedFeed:
        """Check that ``url`` is a feed and follow it; its items are added by the next poll."""
        url = url.strip()
        with self.locked() as feeds:
            if self.find(feeds, url):
                raise FeedError(f"already following {url}")
        try:
            parsed = read_feed(adder.fetcher.fetch(url, FEED_TYPES))
        except FetchError as exc:
            raise FeedError(str(exc)) from None
        with self.locked() as feeds:
            feed = feeds.setdefault(url, FollowedFeed(url=url, title=parsed.title, followed_at=time.time()))
        logger.info("Following %s (%s, %d items listed)", url, parsed.title or "untitled", len(parsed.items))
        return feed

    def unfollow(self, url: str) -> FollowedFeed:
        """Stop following ``url``; the articles it gave stay in the corpus."""
        with self.locked() as feeds:
            key = self.find(feeds, url)
            if key is None:
                raise FeedError(f"not following {url.strip()}")
            return feeds.pop(key)

    def poll(
        self, adder: LinkAdder, interval: float, force: bool = False, progress: ItemProgress | None = None
    ) -> PollReport:
        """Read every feed that is due (all with ``force``) and add its new items to the corpus."""
        report = PollReport()
        robots = RobotsRules(adder.fetcher)
        with self.locked() as feeds:
            for feed in list(feeds.values()):
                now = time.time()
                if not force and feed.retry_at > now:
                    logger.debug("Feed %s waits until %s", feed.url, time.ctime(feed.retry_at))
                    continue
                report.feeds += 1
                try:
                    parsed = read_feed(adder.fetcher.fetch(feed.url, FEED_TYPES))
                except (FetchError, FeedError) as exc:
                    feed.failed(str(exc), interval, now)
                    report.failed_feeds.append((feed.url, str(exc)))
                    logger.warning("Feed %s failed (%d in a row): %s", feed.url, feed.failures, exc)
                    continue
                feed.succeeded(parsed.title, now)
                self._add_items(feed, parsed, adder, robots, report, progress)
                self.save(feeds)  # what this feed gave survives a crash in the next one
        logger.info("%s", report.summary())
        return report

    @staticmethod
    def _add_items(
        feed: FollowedFeed,
        parsed: ParsedFeed,
        adder: LinkAdder,
        robots: RobotsRules,
        report: PollReport,
        progress: ItemProgress | None,
    ) -> None:
        new = [item for item in parsed.items if not feed.has_seen(item)][:MAX_NEW_ITEMS_PER_POLL]
        for item in new:
            if adder.stored_as(item.link):
                feed.mark_seen(item)
                continue
            try:
                if not robots.allowed(item.link):
                    logger.info("robots.txt does not allow %s; skipped", item.link)
                    report.disallowed.append(item.link)
                    feed.mark_seen(item)
                    continue
            except RobotsUnreachable as exc:
                logger.warning("%s; %s waits for the next poll", exc, item.link)
                continue
            result = adder.add(item.link)
            report.results.append(result)
            if result.error:
                feed.item_failed(item)
            else:
                feed.mark_seen(item)
                feed.articles += result.added
            if progress is not None:
                progress(feed.title or feed.url, result)
