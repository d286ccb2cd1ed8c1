"""End to end: links and feeds through ``summitbot run`` over the fake Bot API, pages from a local news site.

An admin sends a link and asks about it; a stranger's link is refused; the
admin follows a feed, the feed gains an item, and after the next scheduled
poll (SUMMITBOT_FEED_INTERVAL=1s here) the bot answers about it. Waits are on
conditions (messages arriving, the index holding an article), never fixed sleeps.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import CORPUS
from index.store import read_manifest
from news_site import NewsSite
from test_e2e_telegram import ADMIN, OTHER_USER, LiveBot, running_bot
from test_feeds import NEW_ITEM, RSS, rss_with

pytestmark = pytest.mark.e2e

POLL_TIMEOUT = 120.0
# A report follows the rebuild, whose first run in the bot loads the passage encoder (tens of seconds on a busy machine).
INDEXING_TIMEOUT = 120.0
POST = "/2018/09/turkey-reinforces-idlib-posts"
NEW_STORY = "Idlib Buffer Zone Deadline Passes as Heavy Weapons Stay"


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with NewsSite() as running:
        yield running


@pytest.fixture(scope="module")
def web_bot(tmp_path_factory: pytest.TempPathFactory, seed_index: Path, site: NewsSite) -> Iterator[LiveBot]:
    root = tmp_path_factory.mktemp("e2e-web")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(seed_index, index)
    with running_bot(root, corpus, index, SUMMITBOT_FETCH_ALLOW_PRIVATE="1", SUMMITBOT_FEED_INTERVAL="1s") as bot:
        yield bot


def links_in(message: dict) -> dict[str, str]:
    """Text → address of every link in a message as the user sees it."""
    text = message["plain_text"]
    return {
        text[entity["offset"] : entity["offset"] + entity["length"]]: entity["url"]
        for entity in message.get("entities", [])
        if entity["type"] == "text_link"
    }


def say_and_index(bot: LiveBot, text: str, expect: int) -> list[dict]:
    """An admin's message whose replies wait for fetching and indexing."""
    before = len(bot.fake.messages_for(ADMIN))
    bot.fake.send_message(ADMIN, text)
    return bot.fake.wait_for_messages(ADMIN, before + expect, INDEXING_TIMEOUT)[before:]


def indexed_titles(index: Path) -> set[str]:
    return {entry.title for entry in read_manifest(index)[1].articles.values()}


def wait_until_indexed(bot: LiveBot, title: str) -> None:
    deadline = time.monotonic() + POLL_TIMEOUT
    while title not in indexed_titles(bot.index):
        assert bot.process.poll() is None, bot.output()
        assert time.monotonic() < deadline, f"{title!r} was never indexed:\n{bot.output()}"
        time.sleep(0.1)


def test_a_strangers_link_is_refused(web_bot: LiveBot, site: NewsSite) -> None:
    [refused] = web_bot.say(f"Please add {site.url(POST)}", chat_id=OTHER_USER)
    assert "only the bot's admins can add articles" in refused["plain_text"]
    assert POST not in site.requests


def test_an_admin_sends_a_link_and_asks_about_it(web_bot: LiveBot, site: NewsSite) -> None:
    progress, report = say_and_index(web_bot, f"Worth reading: {site.url(POST)}", expect=2)
    assert progress["plain_text"] == "Reading the link …"
    assert "Turkey Reinforces Idlib Observation Posts After Tehran Summit — The Levant Ledger, 8 September 2018" in (
        report["plain_text"]
    )
    assert links_in(report) == {"Turkey Reinforces Idlib Observation Posts After Tehran Summit": site.url(POST)}

    [answer] = web_bot.say("What did Murat Kaya say about the soldiers?", chat_id=ADMIN)
    assert "Our soldiers are there to protect civilians" in answer["plain_text"]
    assert "The Levant Ledger" in answer["plain_text"] and "8 September 2018" in answer["plain_text"]
    assert site.url(POST) in links_in(answer).values()

    [again] = say_and_index(web_bot, site.url(POST) + "?utm_source=telegram", expect=2)[1:]
    assert "Already known" in again["plain_text"] and "nothing changed" in again["plain_text"]


def test_a_followed_feed_gains_an_item_and_the_bot_answers_after_the_next_poll(web_bot: LiveBot, site: NewsSite) -> None:
    following, polled = say_and_index(web_bot, f"/follow {site.url(RSS)}", expect=2)
    assert following["plain_text"].startswith("Following “Idlib and the border: latest”")
    assert polled["plain_text"].startswith("Read ")
    wait_until_indexed(web_bot, "Aid Agencies Warn of Exodus as Idlib Offensive Looms")

    site.put(RSS, rss_with(site, NEW_ITEM), "application/rss+xml")
    wait_until_indexed(web_bot, NEW_STORY)
    [answer] = web_bot.say("What did Layla Nasser say about the guns?")
    assert "The guns have gone quiet, but they have not gone away" in answer["plain_text"]
    assert "Northern Wire" in answer["plain_text"] and "15 October 2018" in answer["plain_text"]
    assert "mark my words" not in answer["plain_text"]  # a reader's comment under the story

    [listed] = web_bot.say("/feeds", chat_id=ADMIN)
    assert "Idlib and the border: latest" in listed["plain_text"] and site.url(RSS) in listed["plain_text"]
    [stranger] = web_bot.say(f"/unfollow {site.url(RSS)}", chat_id=OTHER_USER)
    assert "only the bot's admins" in stranger["plain_text"]
    [stopped] = web_bot.say(f"/unfollow {site.url(RSS)}", chat_id=ADMIN)
    assert stopped["plain_text"].startswith(f"Stopped following {site.url(RSS)}")
