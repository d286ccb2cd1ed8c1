"""Tests of the fake Bot API emulator, driven by a real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import html
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

try:  # works whether or not ``tests`` is a package
    from tests.fake_bot_api import FakeBotApi, HtmlParseError, parse_html
except ImportError:  # pragma: no cover - depends on the rootdir layout
    from fake_bot_api import (  # type: ignore[no-redef,import-not-found,unused-ignore]
        FakeBotApi,
        HtmlParseError,
        parse_html,
    )

CHAT_ID = 4242
GROUP_ID = -100777
USER_ID = 5151
POLL_TIMEOUT = 1
LONG_POLL_SECONDS = 60  # far longer than the update takes to arrive

App = Application[Any, Any, Any, Any, Any, Any]
Handler = BaseHandler[Any, Any, Any]


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    threads_before = set(threading.enumerate())
    with FakeBotApi() as api:
        yield api
    assert api.internal_errors == []
    leftover = [
        thread
        for thread in set(threading.enumerate()) - threads_before
        if thread.is_alive() and not thread.daemon
    ]
    assert leftover == []


def build_app(fake: FakeBotApi, token: str | None = None) -> App:
    return (
        Application.builder()
        .token(token or fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )


@contextlib.asynccontextmanager
async def running_bot(fake: FakeBotApi, *handlers: Handler) -> AsyncIterator[App]:
    app = build_app(fake)
    for handler in handlers:
        app.add_handler(handler)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.message is not None
    await context.bot.send_chat_action(update.effective_chat.id, ChatAction.TYPING)
    await update.message.reply_text(f"echo: {update.message.text}", do_quote=True)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_html(f"<b>Hello</b>, {html.escape('<you> & me')}!")


@pytest.mark.e2e
def test_echo_round_trip(fake: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(
            fake,
            CommandHandler("start", start),
            MessageHandler(filters.TEXT & ~filters.COMMAND, echo),
        ) as app:
            await app.bot.set_my_commands([("start", "Start the bot")])
            fake.send_message(CHAT_ID, "hello there")
            fake.send_message(CHAT_ID, "/start")
            first, second = await fake.wait_for_messages_async(CHAT_ID, 2)
        assert first["text"] == "echo: hello there"
        assert first["reply_to_message_id"] == 1
        assert second["parse_mode"] == "HTML"
        assert second["plain_text"] == "Hello, <you> & me!"
        assert second["entities"] == [{"type": "bold", "offset": 0, "length": 5}]

    asyncio.run(scenario())
    methods = {method for method, _ in fake.requests}
    assert {"getMe", "deleteWebhook", "getUpdates", "sendChatAction"} <= methods
    assert fake.calls("sendChatAction")[0] == {"chat_id": CHAT_ID, "action": "typing"}
    assert fake.commands == [{"command": "start", "description": "Start the bot"}]
    assert fake.pending_updates == []


def test_group_mention_and_command_entities(fake: FakeBotApi) -> None:
    update = fake.send_message(
        GROUP_ID, f"/help@{fake.username} hi @{fake.username}", USER_ID, "group"
    )
    message = update["message"]
    assert message["chat"]["type"] == "group"
    assert message["from"]["id"] == USER_ID
    command_length = len(f"/help@{fake.username}")
    assert message["entities"] == [
        {"type": "bot_command", "offset": 0, "length": command_length},
        {"type": "mention", "offset": command_length + 4, "length": len(fake.username) + 1},
    ]
    assert "entities" not in fake.send_message(CHAT_ID, "no entities here")["message"]


@pytest.mark.e2e
def test_html_validation_and_length_limits(fake: FakeBotApi) -> None:
    fake.add_chat(CHAT_ID)

    async def scenario() -> None:
        bot = Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        async with bot:
            bad = ["<b>unclosed", "1 < 2", "<div>x</div>", "<b>x</i>", "Q&A", "<span>x</span>"]
            for text in bad:
                with pytest.raises(BadRequest, match="Can't parse entities"):
                    await bot.send_message(CHAT_ID, text, parse_mode=ParseMode.HTML)
            with pytest.raises(BadRequest, match="Message is too long"):
                await bot.send_message(CHAT_ID, "x" * 4097)
            with pytest.raises(BadRequest, match="Message text is empty"):
                await bot.send_message(CHAT_ID, "   ")
            with pytest.raises(BadRequest, match="Chat not found"):
                await bot.send_message(CHAT_ID + 1, "hi")
            # 4096 characters after entity parsing are fine
            await bot.send_message(CHAT_ID, "&lt;" * 4096, parse_mode=ParseMode.HTML)

    asyncio.run(scenario())
    [accepted] = fake.messages_for(CHAT_ID)
    assert accepted["plain_text"] == "<" * 4096


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escaped_text_always_parses_back(text: str) -> None:
    plain, entities = parse_html(f"<b>{html.escape(text)}</b>")
    assert plain == text
    assert entities == (
        [{"type": "bold", "offset": 0, "length": len(text.encode("utf-16-le")) // 2}]
        if text
        else []
    )


def test_parse_html_rejects_unbalanced_tags() -> None:
    with pytest.raises(HtmlParseError, match="Unmatched end tag"):
        parse_html("<b><i>x</b></i>")
    assert parse_html("Q&A", strict_entities=False)[0] == "Q&A"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@pytest.mark.e2e
def test_retry_after_is_answered(fake: FakeBotApi) -> None:
    seen: list[float] = []

    async def polite_echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        try:
            await update.message.reply_text("first try")
        except RetryAfter as error:
            delay = error.retry_after
            seconds = delay.total_seconds() if isinstance(delay, dtm.timedelta) else float(delay)
            seen.append(seconds)
            await asyncio.sleep(seconds)
            await update.message.reply_text("after retry")

    fake.fail_next("sendMessage", 429, retry_after=1)

    async def scenario() -> None:
        async with running_bot(fake, MessageHandler(filters.TEXT, polite_echo)):
            fake.send_message(CHAT_ID, "hi")
            [reply] = await fake.wait_for_messages_async(CHAT_ID, 1)
        assert reply["text"] == "after retry"

    asyncio.run(scenario())
    assert seen == [1.0]
    assert len(fake.calls("sendMessage")) == 2


@pytest.mark.e2e
def test_callback_query_round_trip(fake: FakeBotApi) -> None:
    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
        await update.message.reply_text("Proceed?", reply_markup=keyboard)

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and isinstance(query.message, Message)
        await query.answer("Done")
        await query.edit_message_text(f"You chose {query.data} in {query.message.text!r}")

    async def scenario() -> None:
        async with running_bot(fake, CommandHandler("menu", menu), CallbackQueryHandler(on_button)):
            fake.send_message(CHAT_ID, "/menu")
            [prompt] = await fake.wait_for_messages_async(CHAT_ID, 1)
            assert prompt["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
            with pytest.raises(AssertionError, match="no inline button"):
                fake.press_button(CHAT_ID, CHAT_ID, prompt["message_id"], "no")
            fake.press_button(CHAT_ID, CHAT_ID, prompt["message_id"], "yes")
            await fake.wait_for_calls_async("editMessageText")

    asyncio.run(scenario())
    [edited] = fake.messages_for(CHAT_ID)
    assert edited["text"] == "You chose yes in 'Proceed?'"
    assert edited["edit_count"] == 1
    assert edited["reply_markup"] is None  # editing text without markup drops the keyboard
    assert [answer["text"] for answer in fake.callback_answers] == ["Done"]


@pytest.mark.e2e
def test_document_download_via_get_file(fake: FakeBotApi) -> None:
    content = bytes(range(256)) * 3 + b"\r\n--tail\r\n"

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.document is not None
        telegram_file = await update.message.document.get_file()
        data = bytes(await telegram_file.download_as_bytearray())
        await update.message.reply_document(data[::-1], filename="reversed.bin")
        await update.message.reply_text(f"{update.message.document.file_name}: {len(data)} bytes")

    async def scenario() -> None:
        async with running_bot(fake, MessageHandler(filters.Document.ALL, on_document)):
            fake.send_document(CHAT_ID, CHAT_ID, "data.bin", content)
            await fake.wait_for_messages_async(CHAT_ID, 2)

    asyncio.run(scenario())
    document, summary = fake.messages_for(CHAT_ID)
    assert document["kind"] == "document" and document["content"] == content[::-1]
    assert document["document"]["file_name"] == "reversed.bin"
    assert summary["text"] == f"data.bin: {len(content)} bytes"
    assert [method for method, _ in fake.requests].count("downloadFile") == 1


@pytest.mark.e2e
def test_wrong_token_is_rejected(fake: FakeBotApi) -> None:
    async def scenario() -> None:
        app = build_app(fake, token="123:not-the-right-token")
        with pytest.raises(InvalidToken):
            await app.initialize()

    asyncio.run(scenario())
    response = httpx.post(f"{fake.base_url}{fake.token}/noSuchMethod")
    assert response.status_code == 404 and response.json()["ok"] is False


@pytest.mark.e2e
def test_long_poll_blocks_until_update(fake: FakeBotApi) -> None:
    async def scenario() -> None:
        bot = Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        async with bot:
            polling = asyncio.create_task(bot.get_updates(timeout=LONG_POLL_SECONDS))
            await fake.wait_for_calls_async("getUpdates")
            fake.send_message(CHAT_ID, "late")  # arrives while the poll is open: a poll that had
            [update] = await polling  # answered at once, empty, would fail here
            assert update.message is not None and update.message.text == "late"
            assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()

    asyncio.run(scenario())
    assert fake.pending_updates == []


@pytest.mark.e2e
def test_pause_and_resume(fake: FakeBotApi) -> None:
    fake.add_chat(CHAT_ID)

    async def scenario() -> None:
        bot = Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        async with bot:
            port = fake.port
            fake.pause()
            with pytest.raises(NetworkError):
                await bot.send_message(CHAT_ID, "lost")
            fake.resume()
            assert fake.port == port
            await bot.send_message(CHAT_ID, "back")
            fake.pause("bad_gateway")
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.get_me()
            fake.resume()
            fake.fail_next("getMe", 500)
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await bot.get_me()
            assert (await bot.get_me()).username == fake.username

    asyncio.run(scenario())
    assert [message["text"] for message in fake.messages_for(CHAT_ID)] == ["back"]
