"""Followed feeds: RSS and Atom items become articles once, robots.txt is respected, a failing feed waits and never stops the others."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import SEED
from index.sources.errors import FeedError
from index.sources.feeds import FEEDS_FILE_NAME, FeedStore
from news_site import SITE, NewsSite
from test_web_links import adder, corpus  # noqa: F401 - shared fixtures

INTERVAL = 60.0
RSS = "/feeds/world.rss"
ATOM = "/feeds/levant.atom"
NEW_ITEM = """  <item>
    <title>Idlib Buffer Zone Deadline Passes as Heavy Weapons Stay</title>
    <link>{{BASE}}/world/idlib-deadline-passes</link>
    <guid isPermaLink="false">nw-2018-1015-deadline</guid>
    <pubDate>Mon, 15 Oct 2018 16:30:00 GMT</pubDate>
  </item>
"""


@pytest.fixture
def site():
    with NewsSite() as running:
        yield running


def stored_titles(corpus: Path) -> list[str]:
    return sorted(
        re.search(r"^title: (.*)$", path.read_text(encoding="utf-8"), re.MULTILINE).group(1)
        for path in corpus.glob("*.md")
        if path.stem != SEED
    )


def rss_with(site: NewsSite, extra_items: str = "", reverse: bool = False, redate: bool = False) -> str:
    feed = (SITE / RSS.strip("/")).read_text(encoding="utf-8")
    head, *items = feed.split("  <item>")
    tail = items[-1].split("</channel>")[1]
    items = ["  <item>" + item.split("</channel>")[0] for item in items]
    if reverse:
        items.reverse()
    text = head + extra_items + "".join(items) + "</channel>" + tail
    if redate:
        text = re.sub(r"<pubDate>[^<]*</pubDate>", "<pubDate>Tue, 16 Oct 2018 10:00:00 GMT</pubDate>", text)
    return text


def test_rss_and_atom_items_become_articles_once_and_robots_txt_is_respected(site, adder, corpus):
    store = FeedStore(corpus)
    assert store.follow(site.url(RSS), adder).title == "Idlib and the border: latest"
    assert store.follow(site.url(ATOM), adder).title == "The Levant Ledger: Syria"

    report = store.poll(adder, INTERVAL)
    assert stored_titles(corpus) == [
        "Aid Agencies Warn of Exodus as Idlib Offensive Looms",
        "Hatay Braces for New Arrivals from Idlib",
        "Russia and Turkey Agree to Talks in Sochi on Idlib Buffer Zone",
        "Turkey Reinforces Idlib Observation Posts After Tehran Summit",  # in both feeds, stored once
    ]
    assert report.disallowed == [site.url("/private/leaked-corridor-memo")]  # robots.txt: Disallow: /private/
    assert "/private/leaked-corridor-memo" not in site.requests
    assert len(report.added) == 4 and report.failed_feeds == []

    # The feed re-orders and re-dates its items: nothing is added again, even by a new store (a restart).
    site.put(RSS, rss_with(site, reverse=True, redate=True), "application/rss+xml")
    again = FeedStore(corpus).poll(adder, INTERVAL)
    assert again.results == [] and len(stored_titles(corpus)) == 4

    # The feed gains an item: the next poll adds that one only.
    site.put(RSS, rss_with(site, NEW_ITEM), "application/rss+xml")
    gained = FeedStore(corpus).poll(adder, INTERVAL)
    assert [result.title for result in gained.added] == ["Idlib Buffer Zone Deadline Passes as Heavy Weapons Stay"]
    assert gained.added[0].outlet == "Northern Wire" and gained.added[0].date == "2018-10-15"
    feeds = {feed.title: feed.articles for feed in store.load().values()}
    assert feeds == {"Idlib and the border: latest": 4, "The Levant Ledger: Syria": 1}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "answered 404"),
        ("/feeds/broken.rss", "is a damaged feed"),
        ("/2018/09/turkey-reinforces-idlib-posts", "is not an RSS or Atom feed"),
        ("/report.pdf", "application/pdf"),
    ],
)
def test_what_is_not_a_feed_cannot_be_followed(site, adder, corpus, path, reason):
    with pytest.raises(FeedError, match=reason):
        FeedStore(corpus).follow(site.url(path), adder)
    assert FeedStore(corpus).load() == {}


def test_a_failing_feed_is_retried_later_and_never_stops_the_others(site, adder, corpus):
    store = FeedStore(corpus)
    store.follow(site.url(RSS), adder)
    store.follow(site.url(ATOM), adder)
    site.put(RSS, "<html><body><h1>Down for maintenance</h1></body></html>", "text/html")

    first = store.poll(adder, INTERVAL)
    assert [url for url, _ in first.failed_feeds] == [site.url(RSS)]
    assert [result.title for result in first.added] == [
        "Russia and Turkey Agree to Talks in Sochi on Idlib Buffer Zone",
        "Turkey Reinforces Idlib Observation Posts After Tehran Summit",
    ]
    failing = store.load()[site.url(RSS)]
    assert failing.failures == 1 and "not an RSS or Atom feed" in failing.last_error
    assert "failing" in failing.describe()

    # A scheduled poll leaves the failing feed alone until its wait is over; the wait doubles.
    requests = site.requests.count(RSS)
    assert store.poll(adder, INTERVAL).feeds == 1 and site.requests.count(RSS) == requests
    second = store.poll(adder, INTERVAL, force=True)  # `summitbot feeds poll` tries every feed
    assert second.failed_feeds and store.load()[site.url(RSS)].failures == 2
    # First wait: one interval; second: two, counted from a later failure.
    assert store.load()[site.url(RSS)].retry_at - failing.retry_at >= INTERVAL

    # Back up: the next poll reads it and resets the count.
    del site.overrides[RSS]
    store.poll(adder, INTERVAL, force=True)
    assert store.load()[site.url(RSS)].failures == 0
    assert "Aid Agencies Warn of Exodus as Idlib Offensive Looms" in stored_titles(corpus)


def test_following_twice_and_unfollowing(site, adder, corpus):
    store = FeedStore(corpus)
    store.follow(site.url(ATOM), adder)
    with pytest.raises(FeedError, match="already following"):
        store.follow(site.url(ATOM) + "/", adder)
    assert store.unfollow(site.url(ATOM)).title == "The Levant Ledger: Syria"
    with pytest.raises(FeedError, match="not following"):
        store.unfollow(site.url(ATOM))
    assert (corpus / FEEDS_FILE_NAME).exists() and store.load() == {}
