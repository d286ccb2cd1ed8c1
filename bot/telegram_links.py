"""Links and feeds in Telegram: an admin's link becomes an article, followed feeds are read on a schedule.

* An admin who sends a private message holding links gets each page added
  (fetched, extracted, stored, indexed) and a short report per link: headline,
  outlet, date and passages, or the reason it could not be added. Anyone else
  gets the usual refusal.
* ``/follow URL``, ``/unfollow URL`` and ``/feeds`` (admins) manage the
  followed feeds; following a feed reads it at once.
* A repeating job of PTB's JobQueue reads the feeds every
  SUMMITBOT_FEED_INTERVAL. Fetching and indexing run in worker threads, so
  questions are answered meanwhile; one poll runs at a time.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from collections.abc import Awaitable, Callable

from telegram import Message, MessageEntity, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import links
from bot.answer import human_date
from bot.settings import Settings
from bot.telegram_app import NOT_ADMIN_UPLOAD, BotContext, is_admin, reply_html
from index.sources.errors import FeedError
from index.sources.feeds import FollowedFeed, PollReport
from index.sources.links import LinkResult

logger = logging.getLogger(__name__)

POLL_LOCK_KEY = "feed_poll_lock"
FEED_JOB_NAME = "poll-feeds"
STARTUP_POLL_DELAY_SECONDS = 30.0  # a bot that was down catches up soon after it starts, not a whole interval later
LINK_ENTITIES = [MessageEntity.URL, MessageEntity.TEXT_LINK]
NOT_ADMIN_FEEDS = "Sorry, only the bot's admins can manage feeds."
FOLLOW_USAGE = "Put the feed's address after the command, e.g. /follow https://example.org/rss.xml"
UNFOLLOW_USAGE = "Put the feed's address after the command, e.g. /unfollow https://example.org/rss.xml"
NO_FEEDS = "No feeds are followed. Follow one with /follow URL."


def link_urls(message: Message) -> list[str]:
    """The links of a message, in order, once each: written out, or behind linked text."""
    found = message.parse_entities(LINK_ENTITIES)
    urls = [entity.url if entity.type == MessageEntity.TEXT_LINK and entity.url else text for entity, text in found.items()]
    return list(dict.fromkeys(url if "://" in url else f"https://{url}" for url in urls))


def passage_counts(context: BotContext) -> dict[str, int]:
    """Passages per article id in the live index."""
    counts: dict[str, int] = {}
    for passage in context.engine.snapshot.passages:
        counts[passage.article] = counts.get(passage.article, 0) + 1
    return counts


def render_link_result(result: LinkResult, passages: dict[str, int]) -> str:
    """One link's outcome as HTML: the headline linking the page, outlet, date, passages — or the reason."""
    if result.error:
        return f"✗ {html.escape(result.error)}"
    if result.duplicate:
        return f"• Already known as <code>{html.escape(result.article)}</code>: nothing changed."
    about = ", ".join(part for part in (html.escape(result.outlet), human_date(result.date)) if part)
    count = passages.get(result.article, 0)
    title = f'<a href="{html.escape(result.url)}">{html.escape(result.title)}</a>'
    return f"✓ {title}{f' — {about}' if about else ''}: {count} passages"


def progress_reporter(message: Message, total: int) -> Callable[[int, int, LinkResult], None]:
    """A callback for the worker thread that edits ``message`` to show how far a batch is."""
    loop = asyncio.get_running_loop()

    def report(done: int, _total: int, result: LinkResult) -> None:
        if done < total:
            text = f"Reading links … {done} of {total} done"
            asyncio.run_coroutine_threadsafe(_edit_quietly(message, text), loop)

    return report


async def _edit_quietly(message: Message, text: str) -> None:
    try:
        await message.edit_text(text)
    except TelegramError as exc:  # progress is cosmetic; the final report still comes
        logger.debug("Could not update progress: %s", exc)


async def rebuild_if_added(context: BotContext, added: bool) -> str:
    """Index what was added (in a worker thread); the build's summary, or "" when nothing was."""
    if not added:
        return ""
    report = await asyncio.to_thread(context.engine.rebuild)
    return report.summary()


Handler = Callable[[Update, BotContext], Awaitable[None]]


def admins_only(refusal: str) -> Callable[[Handler], Handler]:
    """Run the handler for SUMMITBOT_ADMIN_IDS only; anyone else gets ``refusal``."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(update: Update, context: BotContext) -> None:
            assert update.effective_message is not None
            if not is_admin(update, context.settings):
                await update.effective_message.reply_text(refusal)
                return
            await handler(update, context)

        return checked

    return wrap


@admins_only(NOT_ADMIN_UPLOAD)
async def on_link(update: Update, context: BotContext) -> None:
    """An admin's private message with links: add each page as an article and report."""
    message = update.effective_message
    assert message is not None
    urls = link_urls(message)
    noun = "link" if len(urls) == 1 else f"{len(urls)} links"
    progress = await message.reply_text(f"Reading the {noun} …")
    results = await asyncio.to_thread(links.add_links, context.settings, urls, progress_reporter(progress, len(urls)))
    await rebuild_if_added(context, any(result.added for result in results))
    counts = await asyncio.to_thread(passage_counts, context)
    logger.info("Admin %s added links: %s", update.effective_user.id if update.effective_user else "?", results)
    await reply_html(update, "\n".join(render_link_result(result, counts) for result in results))


async def feed_command(
    update: Update, context: BotContext, usage: str, change: Callable[[Settings, str], FollowedFeed]
) -> FollowedFeed | None:
    """Run ``change`` on the command's feed address in a worker thread; None after telling the admin why not."""
    message = update.effective_message
    assert message is not None
    if not context.args:
        await message.reply_text(usage)
        return None
    try:
        return await asyncio.to_thread(change, context.settings, context.args[0])
    except FeedError as exc:
        await message.reply_text(f"Sorry, {exc}.")
        return None


@admins_only(NOT_ADMIN_FEEDS)
async def follow(update: Update, context: BotContext) -> None:
    """/follow URL: follow a feed and read it at once (admins only)."""
    assert update.effective_message is not None
    feed = await feed_command(update, context, FOLLOW_USAGE, links.follow_feed)
    if feed is None:
        return
    minutes = context.settings.feed_interval / 60
    await update.effective_message.reply_text(
        f"Following “{feed.title or feed.url}”. I read it every {minutes:g} minutes; reading it now …"
    )
    report = await poll_now(context, wait=True)
    assert report is not None  # a waiting poll always runs
    await update.effective_message.reply_text(report.summary() + ".")


@admins_only(NOT_ADMIN_FEEDS)
async def unfollow(update: Update, context: BotContext) -> None:
    """/unfollow URL: stop following a feed (admins only)."""
    assert update.effective_message is not None
    feed = await feed_command(update, context, UNFOLLOW_USAGE, links.unfollow_feed)
    if feed is not None:
        await update.effective_message.reply_text(
            f"Stopped following {feed.url}. The articles it gave stay ({feed.articles})."
        )


@admins_only(NOT_ADMIN_FEEDS)
async def feeds(update: Update, context: BotContext) -> None:
    """/feeds: the followed feeds and how they are doing (admins only)."""
    assert update.effective_message is not None
    followed = await asyncio.to_thread(links.followed_feeds, context.settings)
    await update.effective_message.reply_text(
        "\n".join(f"• {feed.describe()}" for feed in followed) if followed else NO_FEEDS
    )


async def poll_now(context: BotContext, wait: bool = False) -> PollReport | None:
    """Read the feeds that are due and index what they gave.

    With a poll already running, wait for it and poll again (``wait``), or skip: None.
    """
    lock: asyncio.Lock = context.bot_data.setdefault(POLL_LOCK_KEY, asyncio.Lock())
    if lock.locked() and not wait:
        logger.info("A feed poll is still running; skipping this one")
        return None
    async with lock:
        report = await asyncio.to_thread(links.poll_feeds, context.settings)
        summary = await rebuild_if_added(context, bool(report.added))
        if summary:
            logger.info("Indexed the feeds' new articles: %s", summary)
        return report


async def poll_job(context: BotContext) -> None:
    """The scheduled poll of the followed feeds."""
    await poll_now(context)


def add_link_handlers(application: Application) -> None:  # type: ignore[type-arg]
    """Register the link and feed handlers (before the question handler) and the scheduled poll."""
    settings = application.bot_data["settings"]
    application.add_handler(CommandHandler("follow", follow))
    application.add_handler(CommandHandler("unfollow", unfollow))
    application.add_handler(CommandHandler("feeds", feeds))
    application.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & ~filters.COMMAND
            & (filters.Entity(MessageEntity.URL) | filters.Entity(MessageEntity.TEXT_LINK)),
            on_link,
        )
    )
    if application.job_queue is None:
        logger.warning("Feeds are not read on a schedule: install python-telegram-bot[job-queue]")
        return
    application.job_queue.run_repeating(
        poll_job,
        interval=settings.feed_interval,
        first=min(settings.feed_interval, STARTUP_POLL_DELAY_SECONDS),
        name=FEED_JOB_NAME,
    )
