"""The Telegram front end of summitbot: one Application, long polling, thin handlers.

Run it with ``summitbot run`` (needs TELEGRAM_BOT_TOKEN; TELEGRAM_BASE_URL and
TELEGRAM_BASE_FILE_URL point it at a local Bot API server). Any text in a
private chat is a question; in groups the bot answers when it is mentioned,
replied to, or asked with ``/ask …``. Replies are the same answers as
``summitbot ask`` gives (one :class:`~bot.engine.Engine`, two front ends),
rendered as HTML by :mod:`bot.render`, with "Show passage" and "More" buttons.

Each chat's :class:`~bot.conversation.Conversation` lives in a
:class:`~bot.state.ChatStates` store (a JSON file, or Redis shared by several
replicas) and survives restarts; one chat's turns never interleave. The engine always runs
in a worker thread, so one slow answer never stalls other chats. Admins
(SUMMITBOT_ADMIN_IDS) add articles by sending a .txt/.md/.html file and
rebuild the index with /reindex.

Replies survive network trouble: :class:`~bot.telegram_delivery.RetryingRateLimiter` waits out flood
limits (429) and keeps retrying a reply the network lost (5xx, dropped
connections, timeouts, the API away for a while); questions asked meanwhile
wait at Telegram and are fetched when polling recovers. docs/reliability.md
lists each threat and the test that covers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from telegram import BotCommand, CallbackQuery, Message, MessageEntity, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.conversation import Conversation
from bot.engine import Engine, QuestionError, clean_question
from bot.examples import example_questions
from bot.errors import API_UNREACHABLE, ERROR_REPLY, EXIT_OK, TOKEN_MISSING, TOKEN_REJECTED, ServiceError, UserError
from bot.render import (
    ASK,
    DATA_SEPARATOR,
    MORE,
    SHOW_PASSAGE,
    SOURCES,
    answer_keyboard,
    escape,
    examples_keyboard,
    find_passage,
    parse_show_passage,
    parse_sources_page,
    render_answer,
    render_passage,
    render_sources,
    render_welcome,
    sources_keyboard,
    split_html,
)
from bot.settings import Settings
from bot.telegram_delivery import RetryingRateLimiter
from bot.telegram_logging import bot_logging
from bot.webhook import serve_webhook
from bot.state import ChatState, ChatStates, StateUnavailableError, open_chat_states
from index.articles import ArticleError
from index.corpus_admin import MAX_ARTICLE_BYTES, article_suffix, store_article

logger = logging.getLogger(__name__)

ENGINE_KEY = "engine"
SETTINGS_KEY = "settings"
STATES_KEY = "chat_states"
REFUSED_KEY = "refused"

WARM_UP_QUESTION = "What happened?"
MORE_QUESTION = "More"  # the engine reads it as "continue the last question"
TYPING_DELAY_SECONDS = 0.5  # answers quicker than this show no "typing…" (most take milliseconds)
TYPING_REFRESH_SECONDS = 4.0  # Telegram shows "typing…" for about 5 s
TYPING_ORDER_WAIT_SECONDS = 1.0
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]

BOT_COMMANDS = [
    BotCommand("start", "What I know, with example questions"),
    BotCommand("help", "How to ask, and the commands"),
    BotCommand("sources", "The articles, with dates and passage counts"),
    BotCommand("reset", "Forget this conversation"),
    BotCommand("ask", "Ask a question about the articles"),
    BotCommand("reindex", "Rebuild the index (admins only)"),
]
HELP_TEXT = (
    "Ask a question in your own words, e.g. {examples}. "
    "Follow-ups such as “Why?”, “Who else?” or “Tell me more” continue the conversation.\n\n"
    "/sources — the articles, with dates and passage counts\n"
    "/reset — forget this conversation\n"
    "/ask &lt;question&gt; — ask; in groups, also mention me or reply to me\n"
    "/help — this message\n\n"
    "Admins add an article by sending it as a .txt, .md or .html file or by sending a link; "
    "/follow, /unfollow and /feeds manage followed news feeds; /reindex rebuilds the index."
)
RESET_TEXT = "Done: I've forgotten this conversation. Ask me anything about the articles."
ASK_USAGE = "Put the question after the command, e.g. /ask What is this about?"
UNKNOWN_COMMAND = "I don't know that command. /help lists the ones I do."
OLD_ANSWER = "That answer is too old to continue; please ask again."
PASSAGE_GONE = "That passage is no longer in the articles."
EXPIRED_BUTTON = "That button no longer works; please ask again."
NOT_ADMIN_UPLOAD = "Sorry, only the bot's admins can add articles. You can ask about the ones I have: /sources"
NOT_ADMIN_REINDEX = "Sorry, only the bot's admins can rebuild the index."
NOT_ALLOWED = "Sorry, this bot is private. Ask its owner to add your Telegram user id ({user_id})."
TEXT_ONLY = "I can only read text. Type your question, e.g. “What is this about?”, or see /help."

MENTION_PATTERN = "@{username}\\b"



class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """The callback context, with typed access to the engine, settings and this chat's state."""

    @property
    def engine(self) -> Engine:
        """The question-answering engine shared with the CLI."""
        return self.bot_data[ENGINE_KEY]

    @property
    def settings(self) -> Settings:
        """The settings the bot was started with."""
        return self.bot_data[SETTINGS_KEY]

    @property
    def states(self) -> ChatStates:
        """Every chat's saved state; ``states.chat(id)`` holds one chat's turn (other chats run concurrently)."""
        return self.bot_data[STATES_KEY]


class AddressedToBot(filters.MessageFilter):
    """Private messages, and group messages that mention the bot or reply to it."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        replied = message.reply_to_message
        if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
            return True
        for entity, text in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
            if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot.id:
                return True
            if entity.type == MessageEntity.MENTION and text[1:].casefold() == (bot.username or "").casefold():
                return True
        return False


ADDRESSED_TO_BOT = AddressedToBot(name="AddressedToBot")


# --------------------------------------------------------------------------- helpers


def help_text(examples: list[str]) -> str:
    """The /help message, its example questions taken from the articles."""
    quoted = " or ".join(f"“{escape(question)}”" for question in examples[:2]) or "“What is this about?”"
    return HELP_TEXT.format(examples=quoted)


def strip_mention(text: str, username: str | None) -> str:
    """The question without the bot's @username."""
    if not username:
        return text
    return re.sub(MENTION_PATTERN.format(username=re.escape(username)), " ", text, flags=re.IGNORECASE)


def is_admin(update: Update, settings: Settings) -> bool:
    """True when the update comes from one of SUMMITBOT_ADMIN_IDS."""
    return update.effective_user is not None and update.effective_user.id in settings.admin_ids


async def reply_html(update: Update, text: str, reply_markup: Any = None) -> Message:
    """Send HTML as one or more messages (split on paragraphs); buttons go on the last, which is returned."""
    message = update.effective_message
    assert message is not None
    chunks = split_html(text)
    if not chunks:
        raise ValueError("refusing to send an empty reply")
    for number, chunk in enumerate(chunks, start=1):
        sent = await message.reply_html(chunk, reply_markup=reply_markup if number == len(chunks) else None)
    return sent


async def acknowledge(query: CallbackQuery, text: str | None = None, show_alert: bool = False) -> None:
    """Answer a button press (it stops the spinner); a failure, e.g. a press too old to answer, is only logged."""
    try:
        await query.answer(text, show_alert=show_alert)
    except TelegramError as exc:  # a press queued during an outage is "too old" by now; its reply still matters
        logger.info("Could not acknowledge button press %s: %s", query.id, exc)


async def _keep_typing(bot: ExtBot[None], chat_id: int, sending: asyncio.Event, first_done: asyncio.Event) -> None:
    await asyncio.sleep(TYPING_DELAY_SECONDS)
    sending.set()
    while True:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError as exc:  # only cosmetic: never let it fail the answer
            logger.debug("Could not show typing in chat %s: %s", chat_id, exc)
            return
        finally:
            first_done.set()
        await asyncio.sleep(TYPING_REFRESH_SECONDS)


@contextlib.asynccontextmanager
async def typing(bot: ExtBot[None], chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat while the block runs, once it has taken TYPING_DELAY_SECONDS.

    A quick answer sends no "typing…" at all: it would only spend a request of the chat's
    flood limit on a signal nobody sees. The work never waits for it to start.
    """
    sending, first_done = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(_keep_typing(bot, chat_id, sending, first_done))
    try:
        yield
    finally:
        if sending.is_set():  # an answer that overtook its own "typing…" would leave the chat showing it
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(first_done.wait(), TYPING_ORDER_WAIT_SECONDS)
        task.cancel()


async def answer_question(update: Update, context: BotContext, question: str, echo_question: bool = False) -> None:
    """Ask the engine in this chat's conversation and send the answer."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    try:
        clean_question(question)
    except QuestionError as exc:
        await message.reply_text(f"Sorry, {exc}.")
        return
    async with context.states.chat(chat.id) as state:
        await answer_in_chat(update, context, state, question, echo_question)


async def answer_in_chat(
    update: Update,
    context: BotContext,
    state: ChatState,
    question: str,
    echo_question: bool = False,
    continuing: Conversation | None = None,
) -> None:
    """Answer in a chat whose turn we hold: in its conversation (or ``continuing`` one); record the result."""
    chat = update.effective_chat
    assert chat is not None
    # The worker thread gets a copy, so the saved state never changes under it.
    conversation = copy.deepcopy(continuing if continuing is not None else state.conversation)
    async with typing(context.bot, chat.id):
        answer = await asyncio.to_thread(context.engine.ask, question, conversation)
    state.conversation = conversation
    keyboard = answer_keyboard(answer)
    sent = await reply_html(update, render_answer(answer, echo_question), keyboard)
    if keyboard is not None:
        state.remember_answer(sent.message_id, conversation)


async def rebuild_and_report(update: Update, context: BotContext, what: str, full: bool = False) -> None:
    """Rebuild the index in a thread, with a progress message and the outcome."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(f"Indexing {what} …")
    report = await asyncio.to_thread(context.engine.rebuild, full)
    logger.info("Rebuilt the index for %s: %s", what, report.summary())
    await message.reply_text(f"Indexed {what}: {report.summary()}")


# --------------------------------------------------------------------------- handlers


async def check_allowed(update: Update, context: BotContext) -> None:
    """Stop updates from users outside SUMMITBOT_ALLOWED_USER_IDS; refuse each stranger once."""
    settings = context.settings
    user = update.effective_user
    if not settings.allowed_user_ids or (
        user is not None and (user.id in settings.allowed_user_ids or user.id in settings.admin_ids)
    ):
        return
    if update.callback_query is not None:
        await acknowledge(update.callback_query, NOT_ALLOWED.format(user_id=user.id if user else "unknown"))
    elif (
        user is not None
        and update.effective_chat is not None
        and update.effective_chat.type == ChatType.PRIVATE
        and not context.user_data.get(REFUSED_KEY)
    ):
        context.user_data[REFUSED_KEY] = True
        await update.effective_chat.send_message(NOT_ALLOWED.format(user_id=user.id))
    raise ApplicationHandlerStop


async def start(update: Update, context: BotContext) -> None:
    """Say what the bot knows: article titles and dates, and example questions to tap."""
    engine = context.engine
    coverage, examples = await asyncio.to_thread(lambda: (engine.coverage(), example_questions(engine.snapshot)))
    await reply_html(update, render_welcome(coverage), examples_keyboard(examples))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain how to ask, with example questions from the articles, and list the commands."""
    examples = await asyncio.to_thread(lambda: example_questions(context.engine.snapshot))
    await reply_html(update, help_text(examples), examples_keyboard(examples))


async def sources(update: Update, context: BotContext) -> None:
    """List the articles with dates and passage counts, a page at a time."""
    coverage = await asyncio.to_thread(context.engine.coverage)
    await reply_html(update, render_sources(coverage), sources_keyboard(len(coverage)))


async def on_sources_page(update: Update, context: BotContext) -> None:
    """The "More articles" button under /sources: the next page."""
    query = update.callback_query
    assert query is not None
    page = parse_sources_page(query.data or "")
    if page is None:
        await acknowledge(query, EXPIRED_BUTTON)
        return
    await acknowledge(query)
    coverage = await asyncio.to_thread(context.engine.coverage)
    await reply_html(update, render_sources(coverage, page), sources_keyboard(len(coverage), page))


async def reset(update: Update, context: BotContext) -> None:
    """Forget this chat's conversation."""
    assert update.effective_chat is not None and update.effective_message is not None
    async with context.states.chat(update.effective_chat.id) as state:
        state.conversation.reset()
    await update.effective_message.reply_text(RESET_TEXT)


async def ask_command(update: Update, context: BotContext) -> None:
    """/ask <question>: ask explicitly (how groups ask without a mention)."""
    assert update.effective_message is not None
    command_and_question = (update.effective_message.text or "").split(maxsplit=1)
    if len(command_and_question) < 2:
        await update.effective_message.reply_text(ASK_USAGE)
        return
    await answer_question(update, context, command_and_question[1])


async def on_text(update: Update, context: BotContext) -> None:
    """Plain text addressed to the bot is a question."""
    assert update.effective_message is not None
    await answer_question(update, context, strip_mention(update.effective_message.text or "", context.bot.username))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point to /help for commands the bot doesn't have."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(UNKNOWN_COMMAND)


async def on_show_passage(update: Update, context: BotContext) -> None:
    """The "Show passage" button: the whole paragraph, the answering sentences in bold."""
    query = update.callback_query
    assert query is not None
    request = parse_show_passage(query.data or "")
    engine = context.engine
    passage = await asyncio.to_thread(lambda: find_passage(engine.snapshot, request)) if request else None
    if request is None or passage is None:
        await acknowledge(query, PASSAGE_GONE, show_alert=True)
        return
    await acknowledge(query)
    await reply_html(update, render_passage(passage, request.highlighted))


async def on_more(update: Update, context: BotContext) -> None:
    """The "More" button: the next best passages for the question of the answer it is under."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and query.message is not None and chat is not None
    async with context.states.chat(chat.id) as state:
        after_answer = state.answers.get(query.message.message_id)
        if after_answer is None:
            await acknowledge(query, OLD_ANSWER, show_alert=True)
            return
        await acknowledge(query)
        await answer_in_chat(update, context, state, MORE_QUESTION, continuing=after_answer)


async def on_example(update: Update, context: BotContext) -> None:
    """A tap-to-ask example from /start: ask it as if typed."""
    query = update.callback_query
    assert query is not None
    await acknowledge(query)
    await answer_question(update, context, (query.data or "").partition(DATA_SEPARATOR)[2], echo_question=True)


async def on_stale_button(update: Update, context: BotContext) -> None:
    """Any other button (e.g. from an older version of the bot): say it no longer works."""
    assert update.callback_query is not None
    await acknowledge(update.callback_query, EXPIRED_BUTTON)


async def on_document(update: Update, context: BotContext) -> None:
    """An admin's article file: validate it, store it in the corpus and index it."""
    message = update.effective_message
    assert message is not None and message.document is not None
    if not is_admin(update, context.settings):
        await message.reply_text(NOT_ADMIN_UPLOAD)
        return
    document = message.document
    name = document.file_name or "untitled"
    try:
        article_suffix(name)  # refuse other file types before downloading anything
        if document.file_size and document.file_size > MAX_ARTICLE_BYTES:
            raise ArticleError(f"{name} is {document.file_size:,} bytes; the limit is {MAX_ARTICLE_BYTES:,}")
        data = bytes(await (await document.get_file()).download_as_bytearray())
        settings = context.settings
        stored = await asyncio.to_thread(store_article, name, data, settings.corpus_dir, settings.index_dir)
    except ArticleError as exc:
        await message.reply_text(f"Sorry, I can't add that file: {exc}. Nothing was changed.")
        return
    if stored.already_there:
        await message.reply_text(f"{stored.describe()}. Nothing was changed.")
        return
    logger.info("Admin %s added %s", update.effective_user.id if update.effective_user else "?", stored.name)
    await rebuild_and_report(update, context, stored.name)


async def on_other_message(update: Update, context: BotContext) -> None:
    """Photos, stickers, voice notes and the like: say that only text is read."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(TEXT_ONLY)


async def reindex(update: Update, context: BotContext) -> None:
    """/reindex [full]: rebuild the index from the corpus folder (admins only)."""
    assert update.effective_message is not None
    if not is_admin(update, context.settings):
        await update.effective_message.reply_text(NOT_ADMIN_REINDEX)
        return
    full = "full" in (context.args or [])
    await rebuild_and_report(update, context, "the corpus" + (" from scratch" if full else ""), full)


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its context and tell the user something went wrong."""
    if not isinstance(update, Update):
        if isinstance(context.error, NetworkError):  # polling hiccups; PTB retries by itself
            logger.warning("Telegram Bot API unreachable: %s", context.error)
        else:
            logger.error("Error outside any update", exc_info=context.error)
        return
    chat = update.effective_chat
    user = update.effective_user
    kind = "button press" if update.callback_query else "message"
    logger.error(
        "Failed to handle %s (update %s) from user %s in chat %s",
        kind,
        update.update_id,
        user.id if user else None,
        chat.id if chat else None,
        exc_info=context.error,
    )
    if chat is None:
        return
    try:
        await context.bot.send_message(chat.id, ERROR_REPLY)
    except TelegramError as exc:
        logger.warning("Could not tell chat %s about the error: %s", chat.id, exc)


async def post_init(application: Application) -> None:  # type: ignore[type-arg]
    """Check the state store, register the command menu and warm the engine up once the token is known to work."""
    states: ChatStates = application.bot_data[STATES_KEY]
    await states.check()
    await application.bot.set_my_commands(BOT_COMMANDS)
    engine: Engine = application.bot_data[ENGINE_KEY]
    # The model loads lazily; loading it now spares the first user a wait of several seconds.
    await asyncio.to_thread(engine.ask, WARM_UP_QUESTION, Conversation())
    logger.info("Telegram bot @%s is up; answering questions", application.bot.username)


async def post_shutdown(application: Application) -> None:  # type: ignore[type-arg]
    """Write pending chat states and close the store's connections."""
    states: ChatStates = application.bot_data[STATES_KEY]
    await states.close()


# --------------------------------------------------------------------------- wiring


def build_application(settings: Settings, engine: Engine) -> Application:  # type: ignore[type-arg]
    """The one place the Application is built: persistence, rate limiter, handlers."""
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(RetryingRateLimiter())
        .concurrent_updates(True)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    application = builder.build()
    application.bot_data.update({ENGINE_KEY: engine, SETTINGS_KEY: settings, STATES_KEY: open_chat_states(settings)})

    application.add_handler(TypeHandler(Update, check_allowed), group=-1)
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("sources", sources))
    application.add_handler(CommandHandler("reset", reset))
    application.add_handler(CommandHandler("ask", ask_command))
    application.add_handler(CommandHandler("reindex", reindex))
    from bot.telegram_links import add_link_handlers  # it builds on this module's handlers' helpers

    add_link_handlers(application)
    application.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND & ADDRESSED_TO_BOT, on_text)
    )
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.Document.ALL & filters.ChatType.PRIVATE, on_document)
    )
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.ATTACHMENT & filters.ChatType.PRIVATE, on_other_message)
    )
    application.add_handler(CallbackQueryHandler(on_show_passage, pattern=f"^{SHOW_PASSAGE}{DATA_SEPARATOR}"))
    application.add_handler(CallbackQueryHandler(on_more, pattern=f"^{MORE}$"))
    application.add_handler(CallbackQueryHandler(on_example, pattern=f"^{ASK}{DATA_SEPARATOR}"))
    application.add_handler(CallbackQueryHandler(on_sources_page, pattern=f"^{SOURCES}{DATA_SEPARATOR}"))
    application.add_handler(CallbackQueryHandler(on_stale_button))
    application.add_error_handler(on_error)
    return application


def run_bot(settings: Settings, engine: Engine, webhook: bool = False) -> int:
    """Run the bot with long polling (or its webhook) until interrupted; returns the exit code, raises what to tell the user."""
    if not settings.telegram_token:
        raise UserError(TOKEN_MISSING)
    application = build_application(settings, engine)
    with bot_logging(settings.telegram_token):
        try:
            if webhook:
                asyncio.run(serve_webhook(application, application.bot_data[STATES_KEY], settings, ALLOWED_UPDATES))
            else:
                asyncio.set_event_loop(asyncio.new_event_loop())  # run_polling closes its loop; a fresh one per run
                application.run_polling(allowed_updates=ALLOWED_UPDATES)
        except InvalidToken:
            raise UserError(TOKEN_REJECTED) from None
        except NetworkError as exc:
            raise ServiceError(API_UNREACHABLE.format(error=exc)) from None
        except StateUnavailableError as exc:
            raise ServiceError(str(exc)) from None
    logger.info("Telegram bot stopped")
    return EXIT_OK
