"""Faults: the Bot API failing, timing out and going away; damaged state and index. Nothing is lost.

Sending faults are injected into the fake Bot API (127.0.0.1) while updates
go through ``Application.process_update``; the outage test runs the bot
long-polling the emulator in-process, as ``run_bot`` does. All of them run
with run_bot's logging at DEBUG, and every test scans everything logged and
everything the bot sent for the token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.conversation import Conversation
from bot.engine import Engine
from bot.errors import ERROR_REPLY
from bot.render import render_answer, split_html
from bot.settings import Settings
from bot.telegram_app import ALLOWED_UPDATES, bot_logging, build_application
from conftest import CORPUS
from fake_bot_api import DROP_CONNECTION, QUERY_INVALID, FakeBotApi
from index.build import index_state
from index.store import MANIFEST_FILE, builds_dir, current_build
from test_cli import run
from test_telegram_bot import (  # noqa: F401  (fake, settings and writable are fixtures)
    ADMIN,
    CHAT,
    FRANCE,
    TRUCE,
    BotHarness,
    fake,
    play,
    replay,
    settings,
    writable,
)

T = TypeVar("T")

POLL_TIMEOUT_SECONDS = 1  # the long poll; short, so stopping is quick
REPLY_TIMEOUT_SECONDS = 60.0  # only ends a test that would otherwise hang; never a measure of speed
OUTAGE_SECONDS = 10.0
PTB_READ_TIMEOUT_SECONDS = 5.0  # HTTPXRequest's default for every call but getUpdates
HELD = "Held:"  # a question the gated engine holds until released
TRUCE_ANSWER = "no representatives of the armed opposition"
OTHER_CHAT = 4343
HELD_CHAT = 4444


# --------------------------------------------------------------------------- harness


@dataclasses.dataclass
class PollingBot:
    """Plays users against the bot long-polling the fake API (on the same event loop)."""

    fake: FakeBotApi

    def ask(self, chat_id: int, text: str) -> None:
        """A user sends a message; it waits at the API until the bot fetches it."""
        self.fake.send_message(chat_id, text)

    async def replies(self, chat_id: int, count: int, timeout: float = REPLY_TIMEOUT_SECONDS) -> list[dict[str, Any]]:
        """The chat's bot messages once there are ``count``, waited for without blocking the bot's loop."""
        return await self.fake.wait_for_messages_async(chat_id, count, timeout)


def poll(settings: Settings, engine: Any, fake: FakeBotApi, scenario: Callable[[PollingBot], Awaitable[T]]) -> T:
    """Run ``scenario`` while the bot long-polls the emulator with run_bot's logging; stop the bot after."""

    async def main() -> T:
        app = build_application(settings, engine)
        async with app:
            await app.updater.start_polling(
                poll_interval=0,
                timeout=POLL_TIMEOUT_SECONDS,
                allowed_updates=ALLOWED_UPDATES,
                # As run_polling does: polling errors go to the application's error handler.
                error_callback=lambda exc: app.create_task(app.process_error(update=None, error=exc)),
            )
            await app.start()
            try:
                return await scenario(PollingBot(fake))
            finally:
                await app.updater.stop()
                await app.stop()

    with bot_logging(fake.token):
        return asyncio.run(main())


def play_logged(settings: Settings, engine: Any, fake: FakeBotApi, scenario: Callable[[BotHarness], Awaitable[T]]) -> T:
    """``play`` with the logging run_bot wraps the bot in."""
    with bot_logging(fake.token):
        return play(settings, engine, fake, scenario)


def expected_messages(engine: Engine, *turns: str) -> list[str]:
    """The messages (HTML, as sent) of the bot's answer to the last turn after the others."""
    return split_html(render_answer(replay(engine, *turns)))


def sent_texts(messages: list[dict[str, Any]]) -> list[str]:
    """The messages' texts as the bot sent them (HTML)."""
    return [message["text"] for message in messages]


@pytest.fixture(autouse=True)
def token_nowhere(fake: FakeBotApi, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Log everything; afterwards the token must appear in no log line and nothing the bot sent."""
    caplog.set_level(logging.DEBUG)
    yield
    secret = fake.token.split(":", 1)[1]
    sent = json.dumps(fake.requests, ensure_ascii=False)
    logged = "\n".join(logging.Formatter().format(record) for record in caplog.get_records("call"))
    assert secret not in logged and secret not in sent


def retry_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The bot's "… failed (…); retrying in …" lines."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "retrying in" in r.getMessage()]


# --------------------------------------------------------------------------- the Bot API misbehaving


@pytest.mark.parametrize(
    "status, times",
    [(500, 2), (502, 1), (DROP_CONNECTION, 2)],
    ids=["500 twice", "502", "connection dropped twice"],
)
def test_a_reply_that_fails_on_the_way_is_retried_and_arrives_once(fake, settings, engine, caplog, status, times):
    async def scenario(bot: BotHarness) -> tuple[list, list]:
        fake.fail_next("sendMessage", status, count=times)
        return await bot.send(TRUCE), await bot.send(FRANCE)

    truce, france = play_logged(settings, engine, fake, scenario)
    assert sent_texts(truce) == expected_messages(engine, TRUCE)
    assert sent_texts(france) == expected_messages(engine, TRUCE, FRANCE)  # and the bot carries on
    assert len(fake.calls("sendMessage")) == times + 2
    assert len(retry_warnings(caplog)) == times


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside PTB's RetryAfter
def test_flood_limits_in_several_chats_are_waited_out_in_order(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list[list]:
        fake.fail_next("sendMessage", 429, retry_after=1, count=2)
        asked = [bot.send(TRUCE, chat_id=chat) for chat in (CHAT, OTHER_CHAT, HELD_CHAT)]
        return await asyncio.gather(*asked)

    for replies in play_logged(settings, engine, fake, scenario):
        assert sent_texts(replies) == expected_messages(engine, TRUCE)


def test_a_reply_that_times_out_is_sent_again(fake, settings, engine, caplog):
    async def scenario(bot: BotHarness) -> tuple[list, list]:
        fake.set_delay(PTB_READ_TIMEOUT_SECONDS + 1, "sendMessage")
        asked = asyncio.create_task(bot.send(TRUCE))
        await fake.wait_for_calls_async("sendMessage", 1)
        fake.set_delay(0, "sendMessage")  # the API is quick again, but the first send is still hanging
        await asked
        replies = await asyncio.to_thread(fake.wait_for_messages, CHAT, 2, PTB_READ_TIMEOUT_SECONDS)
        return replies, await bot.send(FRANCE)

    replies, [france] = play_logged(settings, engine, fake, scenario)
    # Telegram may deliver a send the bot gave up waiting for: at least once, never lost.
    assert sent_texts(replies) == expected_messages(engine, TRUCE) * 2
    assert france["text"] == expected_messages(engine, TRUCE, FRANCE)[0]
    assert "Timed out" in retry_warnings(caplog)[0]


def test_a_button_press_acknowledged_too_late_still_gets_its_answer(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        [answer] = await bot.send(TRUCE)
        fake.fail_next("answerCallbackQuery", 400, description=QUERY_INVALID)
        return await bot.press(answer, "more")

    [more] = play_logged(settings, engine, fake, scenario)
    assert more["text"] == expected_messages(engine, TRUCE, "More")[0]
    assert more["plain_text"] != ERROR_REPLY


class GatedEngine:
    """The real engine, except that questions starting with HELD wait until released."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.holding = threading.Event()
        self.release = threading.Event()

    def ask(self, question: str, conversation: Conversation | None = None) -> Any:
        """Engine.ask, held for HELD questions."""
        if question.startswith(HELD):
            self.holding.set()
            self.release.wait(REPLY_TIMEOUT_SECONDS)
        return self.engine.ask(question, conversation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def test_the_api_away_for_ten_seconds_loses_nothing(fake, settings, engine, caplog):
    gated = GatedEngine(engine)
    held = f"{HELD} {TRUCE}"

    async def scenario(bot: PollingBot) -> dict[int, list]:
        bot.ask(CHAT, TRUCE)
        await bot.replies(CHAT, 1)
        bot.ask(HELD_CHAT, held)
        await asyncio.to_thread(gated.holding.wait, REPLY_TIMEOUT_SECONDS)
        fake.pause()  # the port is closed: every call, polling included, is refused
        gone = time.monotonic()
        gated.release.set()  # the held answer is now sent into the outage
        bot.ask(CHAT, "Tell me more")  # asked while the bot cannot see them
        bot.ask(CHAT, FRANCE)
        bot.ask(OTHER_CHAT, TRUCE)
        await asyncio.sleep(OUTAGE_SECONDS - (time.monotonic() - gone))
        fake.resume()
        wanted = {CHAT: 3, HELD_CHAT: 1, OTHER_CHAT: 1}
        return {chat: await bot.replies(chat, count) for chat, count in wanted.items()}

    replies = poll(settings, gated, fake, scenario)
    assert sent_texts(replies[HELD_CHAT]) == expected_messages(engine, held)
    assert sent_texts(replies[OTHER_CHAT]) == expected_messages(engine, TRUCE)
    assert sent_texts(replies[CHAT]) == [
        *expected_messages(engine, TRUCE),
        *expected_messages(engine, TRUCE, "Tell me more"),
        *expected_messages(engine, TRUCE, "Tell me more", FRANCE),
    ]
    assert retry_warnings(caplog)  # the held answer met the outage and was retried
    assert any("Telegram Bot API unreachable" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --------------------------------------------------------------------------- damaged state and index


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        json.dumps({"chats": {str(CHAT): {"conversation": {"last_query": "x"}}}}).encode()[:-7],
        json.dumps(["not", "the", "state"]).encode(),
        b"\x80\x04\x95 a pickle from an older version",
    ],
    ids=["empty", "truncated", "wrong shape", "old pickle"],
)
def test_a_damaged_state_file_is_set_aside_and_the_bot_answers(fake, settings, engine, caplog, damage):
    state = settings.conversation_state_file
    state.parent.mkdir(parents=True)
    state.write_bytes(damage)

    async def scenario(bot: BotHarness) -> list:
        return await bot.send(TRUCE)

    [reply] = play_logged(settings, engine, fake, scenario)
    assert TRUCE_ANSWER in reply["plain_text"]
    assert any("is damaged" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert state.with_name(state.name + ".damaged").read_bytes() == damage
    assert json.loads(state.read_bytes())["chats"][str(CHAT)]["conversation"]["last_query"] == TRUCE


def damage_manifest(index_dir: Path) -> None:
    """Overwrite the serving build's manifest with something that is not one."""
    (builds_dir(index_dir) / str(current_build(index_dir)) / MANIFEST_FILE).write_text("{not json", encoding="utf-8")


def test_a_damaged_index_at_start_is_rebuilt_with_a_log_line(seed_index, encoder, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    damage_manifest(index_dir)
    env = {"SUMMITBOT_CORPUS_DIR": str(CORPUS), "SUMMITBOT_INDEX_DIR": str(index_dir)}

    result = run("ask", TRUCE, env_extra=env)  # `summitbot run` prepares its engine the same way first

    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "No usable index yet (the index manifest in" in result.stderr and "is damaged" in result.stderr
    assert TRUCE_ANSWER in result.stdout
    assert index_state(CORPUS, index_dir, encoder)[0] is not None  # so the next start does not rebuild again


def test_a_damaged_index_while_running_keeps_answering_until_an_admin_reindexes(fake, writable):
    settings, engine = writable

    async def scenario(bot: BotHarness) -> tuple[list, list, list]:
        await bot.send(TRUCE)  # the serving build is loaded
        damage_manifest(settings.index_dir)
        before = await bot.send(TRUCE, chat_id=ADMIN)
        rebuilt = await bot.send("/reindex", chat_id=ADMIN)
        after = await bot.send(FRANCE, chat_id=ADMIN)
        return before, rebuilt, after

    [before], (progress, outcome), [after] = play_logged(settings, engine, fake, scenario)
    assert TRUCE_ANSWER in before["plain_text"]
    assert outcome["plain_text"].startswith("Indexed the corpus:") and " 0 reused" in outcome["plain_text"]
    assert after["text"] == expected_messages(engine, TRUCE, FRANCE)[0]
    assert index_state(settings.corpus_dir, settings.index_dir, engine.encoder)[0] is not None


def test_a_damaged_index_data_file_at_start_is_rebuilt(seed_index, encoder, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    (builds_dir(index_dir) / str(current_build(index_dir)) / "embeddings.npy").write_bytes(b"damaged")
    engine = Engine(CORPUS, index_dir, encoder)
    engine.prepare()  # what `summitbot run` and `ask` do first; a crash here repeats on every restart
    assert TRUCE_ANSWER in engine.ask(TRUCE, Conversation()).text
