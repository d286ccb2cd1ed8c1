"""Links and feeds for both front ends: the same fetcher, corpus and feed store from the settings.

The CLI (``index add URL``, ``feeds …``) and Telegram (an admin's link,
``/follow``, the scheduled poll) call these and only word the outcome.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.settings import Settings
from index.sources.feeds import FeedStore, FollowedFeed, ItemProgress, PollReport
from index.sources.links import LinkAdder, LinkResult, Progress
from index.sources.web import Fetcher, FetchPolicy

logger = logging.getLogger(__name__)

URL_PATTERN = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def is_url(argument: str) -> bool:
    """True for an argument written as a link (``https://…``) rather than a file name."""
    return bool(URL_PATTERN.match(argument.strip()))


def fetcher_for(settings: Settings) -> Fetcher:
    """A fetcher under the settings' policy (private addresses only with SUMMITBOT_FETCH_ALLOW_PRIVATE)."""
    return Fetcher(FetchPolicy(allow_private=settings.fetch_allow_private))


def add_links(settings: Settings, urls: Iterable[str], progress: Progress | None = None) -> list[LinkResult]:
    """Fetch each link and store its article in the corpus (the caller rebuilds the index)."""
    with fetcher_for(settings) as fetcher:
        return LinkAdder(settings.corpus_dir, settings.index_dir, fetcher).add_all(list(dict.fromkeys(urls)), progress)


def follow_feed(settings: Settings, url: str) -> FollowedFeed:
    """Check that ``url`` is a feed and follow it."""
    with fetcher_for(settings) as fetcher:
        return FeedStore(settings.corpus_dir).follow(url, LinkAdder(settings.corpus_dir, settings.index_dir, fetcher))


def unfollow_feed(settings: Settings, url: str) -> FollowedFeed:
    """Stop following ``url``."""
    return FeedStore(settings.corpus_dir).unfollow(url)


def followed_feeds(settings: Settings) -> list[FollowedFeed]:
    """The followed feeds, in the order they were followed."""
    return sorted(FeedStore(settings.corpus_dir).load().values(), key=lambda feed: feed.followed_at)


def poll_feeds(settings: Settings, force: bool = False, progress: ItemProgress | None = None) -> PollReport:
    """Read the feeds that are due (every feed with ``force``) and store their new articles."""
    with fetcher_for(settings) as fetcher:
        adder = LinkAdder(settings.corpus_dir, settings.index_dir, fetcher)
        return FeedStore(settings.corpus_dir).poll(adder, settings.feed_interval, force, progress)
