"""Conversation state: the JSON file (default) and Redis shared by replicas (a real redis-server)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.conversation import Conversation
from bot.settings import Settings
from bot.state import ChatState, FileChatStates, StateUnavailableError, open_chat_states
from bot.state.redis_store import RedisChatStates
from bot.telegram_app import build_application
from fake_bot_api import FakeBotApi
from redis_server import LOOPBACK, _free_port
from test_telegram_bot import CHAT, TRUCE, cli_lines, fake, replay, settings  # noqa: F401  (fake and settings are fixtures)

TURNS = 40
NAMESPACE = "summitbot:test"


async def take_turns(stores: list[Any], chat_id: int, turns: int) -> tuple[list[str], int]:
    """``turns`` turns of one chat spread over ``stores``; what the chat remembers, and the most turns at once."""
    inside, most = 0, 0

    async def turn(number: int) -> None:
        nonlocal inside, most
        async with stores[number % len(stores)].chat(chat_id) as state:
            inside += 1
            most = max(most, inside)
            shown = list(state.conversation.shown)
            for _ in range(3):
                await asyncio.sleep(0)  # give other turns every chance to interleave
            state.conversation.shown = [*shown, f"turn {number}"]
            inside -= 1

    await asyncio.gather(*(turn(number) for number in range(turns)))
    async with stores[0].chat(chat_id) as state:
        return state.conversation.shown, most


# --------------------------------------------------------------------------- the JSON file


def test_file_state_keeps_every_turn_writes_privately_and_reads_back(tmp_path: Path):
    path = tmp_path / "state" / "conversations.json"

    async def main() -> tuple[list[str], int]:
        return await take_turns([FileChatStates(path)], CHAT, TURNS)

    shown, most = asyncio.run(main())
    assert most == 1 and sorted(shown) == sorted(f"turn {n}" for n in range(TURNS))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left behind
    saved = json.loads(path.read_text(encoding="utf-8"))["chats"][str(CHAT)]
    assert ChatState.from_data(saved).conversation.shown == shown

    async def reopened() -> list[str]:
        return (await FileChatStates(path).load(CHAT)).conversation.shown

    assert asyncio.run(reopened()) == shown


def test_file_state_answers_each_update_once(tmp_path: Path):
    async def main() -> list[bool]:
        states = FileChatStates(tmp_path / "conversations.json")
        return [await states.first_delivery(update_id) for update_id in (1, 2, 1, 3, 2)]

    assert asyncio.run(main()) == [True, True, False, True, False]


def test_the_file_store_is_the_default(settings):  # noqa: F811
    assert isinstance(open_chat_states(settings), FileChatStates)


# --------------------------------------------------------------------------- Redis


def test_redis_replicas_never_interleave_one_chats_turns(redis_url: str):
    async def main() -> tuple[list[str], int]:
        replicas = [RedisChatStates(redis_url, NAMESPACE) for _ in range(2)]
        try:
            return await take_turns(replicas, CHAT, TURNS)
        finally:
            for replica in replicas:
                await replica.close()

    shown, most = asyncio.run(main())
    assert most == 1  # never two turns of the chat at once, across replicas
    assert sorted(shown) == sorted(f"turn {n}" for n in range(TURNS))  # and no turn's change lost


def test_redis_replicas_claim_each_update_once(redis_url: str):
    async def main() -> list[tuple[bool, bool]]:
        a, b = RedisChatStates(redis_url, NAMESPACE), RedisChatStates(redis_url, NAMESPACE)
        try:
            claims = await asyncio.gather(*(asyncio.gather(a.first_delivery(i), b.first_delivery(i)) for i in range(50)))
            retries = await asyncio.gather(*(a.first_delivery(i) for i in range(50)))
        finally:
            await a.close()
            await b.close()
        assert not any(retries)
        return [tuple(pair) for pair in claims]

    assert all(sorted(pair) == [False, True] for pair in asyncio.run(main()))


def test_redis_keeps_bots_sharing_a_server_apart(redis_url: str):
    async def main() -> tuple[str, str]:
        one, other = RedisChatStates(redis_url, "summitbot:1"), RedisChatStates(redis_url, "summitbot:2")
        try:
            async with one.chat(CHAT) as state:
                state.conversation = Conversation(last_query=TRUCE)
            assert await other.first_delivery(7) and await one.first_delivery(7)
            return (await one.load(CHAT)).conversation.last_query, (await other.load(CHAT)).conversation.last_query
        finally:
            await one.close()
            await other.close()

    assert asyncio.run(main()) == (TRUCE, "")


def test_unreachable_redis_is_one_clear_error():
    async def main() -> str:
        states = RedisChatStates(f"redis://{LOOPBACK}:{_free_port()}/0", NAMESPACE)
        try:
            with pytest.raises(StateUnavailableError) as error:
                await states.check()
            return str(error.value)
        finally:
            await states.close()

    message = asyncio.run(main())
    assert "SUMMITBOT_REDIS_URL" in message and "\n" not in message


def test_a_follow_up_resolves_on_another_replica_through_redis(fake: FakeBotApi, settings: Settings, engine, redis_url):  # noqa: F811
    shared = dataclasses.replace(settings, redis_url=redis_url, state_file=None)

    async def main() -> list[dict[str, Any]]:
        replicas = [build_application(shared, engine) for _ in range(2)]
        async with replicas[0], replicas[1]:
            for replica, text in zip(replicas, (TRUCE, "And Erdogan?")):
                await replica.process_update(Update.de_json(fake.send_message(CHAT, text), replica.bot))
        return fake.messages_for(CHAT)

    first, second = asyncio.run(main())
    assert not settings.conversation_state_file.exists()  # nothing went to the file
    expected = replay(engine, TRUCE, "And Erdogan?")
    assert expected.found and expected.query == "What did Erdogan say about the truce?"
    for line in cli_lines(expected):  # the follow-up as the CLI answers it in one conversation
        assert line in second["plain_text"]
    assert "mention of ‘truce’" in second["plain_text"]
