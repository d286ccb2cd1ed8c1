"""Nasty input through Telegram: every message gets a clear reply that Telegram accepts, never a traceback.

The engine and CLI side is in test_bad_input.py; here the same inputs (and
hypothesis text) go through ``Application.process_update`` into the fake Bot
API, which parses HTML as strictly as Telegram. A reply with markup Telegram
would reject fails its send, which shows up as a rejected call and as the
error reply.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.render import CALLBACK_DATA_LIMIT, ask_data
from bot.errors import ERROR_REPLY
from bot.telegram_app import ASK_USAGE, NOT_ADMIN_REINDEX, RESET_TEXT, TEXT_ONLY, UNKNOWN_COMMAND
from fake_bot_api import FakeBotApi
from test_bad_input import NASTY_INPUTS
from test_telegram_bot import (  # noqa: F401  (fake and settings are fixtures)
    CHAT,
    GROUP,
    GROUP_USER,
    BotHarness,
    fake,
    play,
    settings,
)

EMPTY_QUESTION = "Sorry, the question is empty."
TOO_LONG = "Sorry, the question is 10000 characters long; the limit is 1000."
COMMANDS_WITH_ARGUMENTS = {
    "/start extra arguments here": "I answer questions about news articles",
    "/help me please": "/sources — the articles",
    "/sources all of them": "Articles I know",
    "/reset everything now": RESET_TEXT,
    "/reindex full please": NOT_ADMIN_REINDEX,
    "/frobnicate --force": UNKNOWN_COMMAND,
    "/ask": ASK_USAGE,
}
FORGED_BUTTONS = [
    "show:0000000000:9:1",
    "show:../../etc:1:ff",
    "show:x:99999999999999999999:zz",
    "ask:",
    "ask:<b>Putin</b> & <i>Erdogan",
    "more",
    "unknown:data",
    "\x00\u202e🙂",
]
ATTACHMENTS: dict[str, Any] = {
    "photo": [{"file_id": "P1", "file_unique_id": "UP1", "width": 90, "height": 90}],
    "sticker": {
        "file_id": "S1",
        "file_unique_id": "US1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    },
    "voice": {"file_id": "V1", "file_unique_id": "UV1", "duration": 3},
    "location": {"latitude": 41.0, "longitude": 28.9},
}
# Pieces that make text hard to handle: markup, entities, direction marks, control characters, other scripts.
_FRAGMENTS = st.sampled_from(
    ["<b>", "</i>", "<a href='x'>", "&", "&amp;", "&#0;", "*", "_", "`", "[x](http://example.org)", "\u202e",
     "\u200f", "\x00", "\x1b", "\ufeff", "🙂", "🇹🇷", "ما قال", "Путин", "埃尔多安", "/ask ", "/start", "\n\n",
     "@summitbot_test_bot", "Putin", "Erdogan", "truce", "?", " "]
)
TELEGRAM_TEXT = st.lists(st.one_of(_FRAGMENTS, st.text(max_size=30)), min_size=1, max_size=12).map("".join).filter(bool)


def rejected_sends(fake: FakeBotApi, chats: list[int]) -> int:
    """sendMessage calls to ``chats`` that the emulator refused (bad HTML, too long, empty)."""
    calls = [call for call in fake.calls("sendMessage") if call["chat_id"] in chats]
    return len(calls) - sum(len(fake.messages_for(chat)) for chat in chats)


async def press_forged(bot: BotHarness, chat: int, message: dict[str, Any], data: str) -> list[dict[str, Any]]:
    """A press with any callback data (as a modified client could send) on a bot message; the bot's replies."""
    update = bot.fake.press_button(chat, chat, message["message_id"], data, check_button=False)
    return await bot._process(update, chat)


def tap_to_ask_data(question: str) -> str:
    """Callback data of a tap-to-ask button for ``question``, cut to Telegram's 64 bytes."""
    data = ask_data(question).encode()[:CALLBACK_DATA_LIMIT]
    return data.decode(errors="ignore")


def assert_clear(replies: list[dict[str, Any]], question: str) -> None:
    """At least one reply, none of them the error apology, none empty."""
    assert replies, f"no reply to {question!r}"
    for reply in replies:
        assert reply["plain_text"].strip() and reply["plain_text"] != ERROR_REPLY, question


def test_every_nasty_input_gets_a_clear_reply_in_private_in_a_group_and_by_ask(fake, settings, engine):
    groups = [GROUP - number for number in range(len(NASTY_INPUTS))]  # PTB allows a group 20 requests a minute

    async def scenario(bot: BotHarness) -> list[tuple[str, list, list, list]]:
        results = []
        for text, chat_id in zip(NASTY_INPUTS, groups):  # privately one conversation, as typed one after another
            group = {"chat_id": chat_id, "user_id": GROUP_USER, "chat_type": "group"}
            private = await bot.send(text)
            mentioned = await bot.send(f"@{fake.username} {text}", **group)
            asked = await bot.send(f"/ask {text}", **group)
            results.append((text, private, mentioned, asked))
        return results

    results = play(settings, engine, fake, scenario)
    for text, private, mentioned, asked in results:
        if text == "":
            assert private == []  # Telegram never delivers an empty message; the bot stays quiet if it did
        else:
            assert_clear(private, text)
        assert_clear(mentioned, text)
        assert_clear(asked, text)
    by_text = {text: private for text, private, _, _ in results}
    assert [reply["plain_text"] for reply in by_text["   \t\n  "]] == [EMPTY_QUESTION]
    assert [reply["plain_text"] for reply in by_text["x" * 10_000]] == [TOO_LONG]
    assert "no representatives of the armed opposition" in by_text["\u202eWhat did Putin say?\u202c"][0]["plain_text"]
    assert rejected_sends(fake, [CHAT, *groups]) == 0


def test_commands_with_arguments_they_do_not_take(fake, settings, engine):
    async def scenario(bot: BotHarness) -> dict[str, list]:
        return {command: await bot.send(command) for command in COMMANDS_WITH_ARGUMENTS}

    replies = play(settings, engine, fake, scenario)
    for command, expected in COMMANDS_WITH_ARGUMENTS.items():
        [reply] = replies[command]
        assert expected in reply["plain_text"], command
    assert rejected_sends(fake, [CHAT]) == 0


def test_photos_stickers_voice_and_locations_are_told_text_only(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list[list]:
        replies = []
        for kind, attachment in ATTACHMENTS.items():
            update = fake.send_message(CHAT, "placeholder")
            message = update["message"]
            del message["text"]
            message[kind] = attachment
            if kind == "photo":
                message["caption"] = "What did Putin say?"
            replies.append(await bot._process(update, CHAT))
        return replies

    for replies in play(settings, engine, fake, scenario):
        assert [reply["plain_text"] for reply in replies] == [TEXT_ONLY]


def test_forged_button_data_gets_a_polite_answer(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list[tuple[int, list]]:
        [help_reply] = await bot.send("/help")
        results = []
        for data in FORGED_BUTTONS:
            before = len(fake.callback_answers)
            replies = await press_forged(bot, CHAT, help_reply, data)
            results.append((len(fake.callback_answers) - before, replies))
        return results

    for data, (answered, replies) in zip(FORGED_BUTTONS, play(settings, engine, fake, scenario)):
        assert answered == 1, data  # the spinner always stops
        assert ERROR_REPLY not in [reply["plain_text"] for reply in replies], data
    assert rejected_sends(fake, [CHAT]) == 0


_chats = itertools.count(10_000)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(turns=st.lists(TELEGRAM_TEXT, min_size=1, max_size=3))
def test_any_text_in_any_conversation_gets_replies_telegram_accepts(fake, settings, engine, turns):
    chat = next(_chats)

    async def scenario(bot: BotHarness) -> list[tuple[list, list]]:
        results = []
        for text in turns:  # typed, then tapped as an example button (whose answer repeats the question)
            typed = await bot.send(text, chat_id=chat)
            results.append((typed, await press_forged(bot, chat, typed[-1], tap_to_ask_data(text))))
        return results

    for text, (typed, tapped) in zip(turns, play(settings, engine, fake, scenario)):
        assert_clear(typed, text)
        assert_clear(tapped, text)
    assert rejected_sends(fake, [chat]) == 0
