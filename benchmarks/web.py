"""Links and feeds: extraction speed and quality, and how soon a new feed item can be asked about.

    python -m benchmarks.web                     # all three
    python -m benchmarks.web --skip-bot          # without the end-to-end bot run

* **Extraction** on the saved news pages of ``tests/data/web/site`` (see its
  README): pages per second through ``extract_page`` alone and through a whole
  ``index add URL`` step without indexing (fetch over local HTTP, extract,
  store); quality against the pages' ``data-truth`` marks: the share of the
  article's paragraphs kept word for word, and the share of chrome blocks
  (menus, share bars, captions, related stories, comments, cookie banners,
  footers) of which no words reached a paragraph.
* **New feed item → answerable**, in process with the product's default
  encoder: reading the feed, fetching and storing the item, the incremental
  build and the first answer. With SUMMITBOT_FEED_INTERVAL the item also waits
  for the next poll: on average half an interval, at worst a whole one.
* **End to end** (``summitbot run`` over the Bot API emulator, interval 2 s):
  from the moment the feed lists the item to the bot's answer about it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO, machine
from bot.settings import DEFAULT_FEED_INTERVAL_SECONDS, Settings
from index.sources.html import extract_page
from index.sources.links import LinkAdder, page_text
from index.sources.web import Fetcher, FetchPolicy
from tests.bot_process import bot_environment
from tests.fake_bot_api import FakeBotApi
from tests.news_site import ARTICLE_PAGES, NewsSite, page_truth

EXTRACT_REPEATS = 20
E2E_INTERVAL = "2s"
ADMIN = 4040
START_TIMEOUT = 180.0
REPLY_TIMEOUT = 120.0
FEED = "/feeds/world.rss"
NEW_ITEM = """  <item>
    <title>Idlib Buffer Zone Deadline Passes as Heavy Weapons Stay</title>
    <link>{{BASE}}/world/idlib-deadline-passes</link>
    <guid isPermaLink="false">nw-2018-1015-deadline</guid>
  </item>
"""
NEW_TITLE = "Idlib Buffer Zone Deadline Passes as Heavy Weapons Stay"
QUESTION = "What did Layla Nasser say about the guns?"
ANSWER_WORDS = "The guns have gone quiet"


def feed_with_new_item(site: NewsSite) -> str:
    """The site's RSS feed with one more item on top."""
    feed = site.file_for(FEED)[0].read_text(encoding="utf-8")  # type: ignore[index]
    return feed.replace("  <item>", NEW_ITEM + "  <item>", 1)


def extraction(site: NewsSite) -> dict[str, Any]:
    """Speed and quality of extraction on the saved pages."""
    pages = []
    for path in ARTICLE_PAGES:
        file, content_type = site.file_for(path)  # type: ignore[misc]
        charset = content_type.partition("charset=")[2] or None
        body = file.read_bytes().replace(b"{{BASE}}", site.base_url.encode())
        pages.append((path, body, charset, page_truth(body, charset or "utf-8")))
    extract_page(page_text(pages[0][1], pages[0][2]), site.url(pages[0][0]))  # trafilatura and langid load once
    started = time.perf_counter()
    for _ in range(EXTRACT_REPEATS):
        extracted = [extract_page(page_text(body, charset), site.url(path)) for path, body, charset, _ in pages]
    extract_rate = EXTRACT_REPEATS * len(pages) / (time.perf_counter() - started)

    per_page, kept, bodies, dropped, chromes = {}, 0, 0, 0, 0
    for (path, _, _, truth), article in zip(pages, extracted):
        page_kept = sum(paragraph in article.paragraphs for paragraph in truth.body)
        leaked = [
            chrome for chrome in truth.chrome
            if any(chrome in paragraph or paragraph in chrome for paragraph in article.paragraphs)
        ]
        per_page[path] = {"paragraphs_kept": f"{page_kept}/{len(truth.body)}", "chrome_leaked": leaked}
        kept, bodies = kept + page_kept, bodies + len(truth.body)
        dropped, chromes = dropped + len(truth.chrome) - len(leaked), chromes + len(truth.chrome)

    with tempfile.TemporaryDirectory() as scratch, Fetcher(FetchPolicy(allow_private=True)) as fetcher:
        started = time.perf_counter()
        for repeat in range(EXTRACT_REPEATS // 4):
            corpus = Path(scratch) / f"corpus-{repeat}"
            corpus.mkdir()
            adder = LinkAdder(corpus, Path(scratch) / f"index-{repeat}", fetcher)
            assert all(adder.add(site.url(path)).added for path in ARTICLE_PAGES)
        add_rate = EXTRACT_REPEATS // 4 * len(ARTICLE_PAGES) / (time.perf_counter() - started)
    return {
        "pages": len(pages),
        "extract_pages_per_second": round(extract_rate, 1),
        "fetch_extract_store_pages_per_second": round(add_rate, 1),
        "paragraphs_kept": round(kept / bodies, 3),
        "chrome_dropped": round(dropped / chromes, 3),
        "per_page": per_page,
    }


def in_process_latency(site: NewsSite, scratch: Path) -> dict[str, Any]:
    """Seconds from a poll that finds a new item to the first answer about it (default encoder)."""
    from bot import links
    from bot.conversation import Conversation
    from bot.engine import Engine
    from index.encoder import encoder_for

    corpus, index = scratch / "corpus", scratch / "index"
    shutil.copytree(REPO / "corpus", corpus)
    settings = Settings(corpus_dir=corpus, index_dir=index, fetch_allow_private=True)
    engine = Engine(corpus, index, encoder_for(settings.encoder, index))
    engine.prepare()
    links.follow_feed(settings, site.url(FEED))
    links.poll_feeds(settings, force=True)
    engine.rebuild()
    engine.ask(QUESTION, Conversation())  # warm: the question path is loaded
    site.put(FEED, feed_with_new_item(site), "application/rss+xml")
    started = time.perf_counter()
    report = links.poll_feeds(settings, force=True)
    polled = time.perf_counter()
    engine.rebuild()
    built = time.perf_counter()
    answer = engine.ask(QUESTION, Conversation())
    answered = time.perf_counter()
    assert [result.title for result in report.added] == [NEW_TITLE] and ANSWER_WORDS in answer.text
    del site.overrides[FEED]
    total = answered - started
    return {
        "poll_fetch_store_s": round(polled - started, 2),
        "incremental_build_s": round(built - polled, 2),
        "answer_s": round(answered - built, 3),
        "item_to_answerable_s": round(total, 2),
        "with_default_interval_mean_s": round(DEFAULT_FEED_INTERVAL_SECONDS / 2 + total, 1),
        "with_default_interval_worst_s": round(DEFAULT_FEED_INTERVAL_SECONDS + total, 1),
    }


def wait_for(condition: Any, timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def end_to_end_latency(site: NewsSite, scratch: Path) -> dict[str, Any]:
    """``summitbot run`` with a short interval: the feed lists a new item → the bot answers about it."""
    from index.store import read_manifest

    corpus, index = scratch / "e2e-corpus", scratch / "e2e-index"
    shutil.copytree(REPO / "corpus", corpus)
    with FakeBotApi() as fake:
        env = bot_environment(
            corpus,
            index,
            fake,
            SUMMITBOT_ADMIN_IDS=str(ADMIN),
            SUMMITBOT_FETCH_ALLOW_PRIVATE="1",
            SUMMITBOT_FEED_INTERVAL=E2E_INTERVAL,
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], env=env, cwd=scratch,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: fake.calls("getUpdates"), START_TIMEOUT, "the bot did not start")
            fake.send_message(ADMIN, f"/follow {site.url(FEED)}")
            fake.wait_for_messages(ADMIN, 2, REPLY_TIMEOUT)

            def titles() -> set[str]:
                return {entry.title for entry in read_manifest(index)[1].articles.values()}

            wait_for(lambda: "Turkey Reinforces Idlib Observation Posts After Tehran Summit" in titles(), REPLY_TIMEOUT, "feed")
            started = time.perf_counter()
            site.put(FEED, feed_with_new_item(site), "application/rss+xml")
            wait_for(lambda: NEW_TITLE in titles(), REPLY_TIMEOUT, "the new item was never indexed")
            indexed = time.perf_counter()
            before = len(fake.messages_for(ADMIN))
            fake.send_message(ADMIN, QUESTION)
            [reply] = fake.wait_for_messages(ADMIN, before + 1, REPLY_TIMEOUT)[before:]
            answered = time.perf_counter()
            assert ANSWER_WORDS in reply["plain_text"], reply["plain_text"]
        finally:
            process.terminate()
            process.wait(30)
            site.overrides.pop(FEED, None)
    return {
        "interval": E2E_INTERVAL,
        "item_to_indexed_s": round(indexed - started, 2),
        "item_to_answer_s": round(answered - started, 2),
    }


def main() -> None:
    """Run the measurements and print them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-bot", action="store_true", help="leave out the end-to-end run of the bot")
    args = parser.parse_args()
    results: dict[str, Any] = {"machine": machine()}
    with NewsSite() as site, tempfile.TemporaryDirectory() as scratch:
        results["extraction"] = extraction(site)
        results["feed_item_in_process"] = in_process_latency(site, Path(scratch))
        if not args.skip_bot:
            results["feed_item_end_to_end"] = end_to_end_latency(site, Path(scratch))
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
