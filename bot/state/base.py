"""The chat state interface and the plain-JSON form of a chat's state."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import dataclasses
import json
import logging
import typing
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bot.conversation import Conversation

logger = logging.getLogger(__name__)

REMEMBERED_ANSWERS = 10  # answers per chat whose "More" button still continues them
CHAT_TTL_SECONDS = 30 * 24 * 3600  # a chat untouched for a month starts afresh
CHATS_KEPT = 20_000  # chats a local store keeps; the least recently active go first


class StateUnavailableError(Exception):
    """The state store cannot be reached or used; the message says what to check."""


def conversation_to_data(conversation: Conversation) -> dict[str, Any]:
    """Plain JSON data of a conversation."""
    return dataclasses.asdict(conversation)


def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(Conversation)


def conversation_from_data(data: Any) -> Conversation | None:
    """The conversation in ``data``; fields it lacks get their defaults, unknown ones are ignored.

    Returns None when ``data`` is not a conversation at all, so one bad entry costs one chat
    its context, never the bot its start.
    """
    if not isinstance(data, dict):
        return None
    values: dict[str, Any] = {}
    for name, kind in _field_types().items():
        if name not in data:
            continue
        value = data[name]
        container = typing.get_origin(kind)
        if container in (list, tuple):
            if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
                return None
            value = container(value)
        elif not isinstance(value, str):
            return None
        values[name] = value
    return Conversation(**values)


@dataclass
class ChatState:
    """What the bot remembers of one chat: its conversation and the conversations behind recent answers."""

    conversation: Conversation = field(default_factory=Conversation)
    # message id of an answer → the conversation right after it, for that answer's "More"
    answers: dict[int, Conversation] = field(default_factory=dict)

    def remember_answer(self, message_id: int, conversation: Conversation) -> None:
        """Keep the conversation as it was after an answer (the newest REMEMBERED_ANSWERS only)."""
        self.answers[message_id] = Conversation(**dataclasses.asdict(conversation))
        for old in list(self.answers)[:-REMEMBERED_ANSWERS]:
            del self.answers[old]

    def to_data(self) -> dict[str, Any]:
        """Plain JSON data of the chat."""
        return {
            "conversation": conversation_to_data(self.conversation),
            "answers": {str(key): conversation_to_data(value) for key, value in self.answers.items()},
        }

    @classmethod
    def from_data(cls, data: Any) -> "ChatState":
        """The chat in ``data``; whatever is unusable in it is dropped (a fresh conversation at worst)."""
        if not isinstance(data, dict):
            return cls()
        conversation = conversation_from_data(data.get("conversation")) or Conversation()
        answers: dict[int, Conversation] = {}
        stored = data.get("answers")
        for key, value in (stored.items() if isinstance(stored, dict) else ()):
            after = conversation_from_data(value)
            if after is not None and str(key).lstrip("-").isdigit():
                answers[int(key)] = after
        return cls(conversation, answers)

    def to_json(self) -> str:
        """The chat as one JSON text."""
        return json.dumps(self.to_data(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes | None) -> "ChatState":
        """The chat in a JSON text (a fresh one for None or text that is not JSON)."""
        if text is None:
            return cls()
        try:
            return cls.from_data(json.loads(text))
        except ValueError:
            logger.warning("A saved chat state is not JSON; starting that chat afresh")
            return cls()


class ChatStates(abc.ABC):
    """Each chat's state, one turn at a time per chat."""

    def __init__(self) -> None:
        # Turns of one chat that reach one process are served in arrival order (asyncio.Lock is FIFO).
        self._local_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def _local_lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._local_locks.get(chat_id)
        if lock is None:
            lock = self._local_locks[chat_id] = asyncio.Lock()
        return lock

    @contextlib.asynccontextmanager
    async def chat(self, chat_id: int) -> AsyncIterator[ChatState]:
        """Hold the chat's lock, give its state, and save that state when the block ends."""
        async with self._local_lock(chat_id), self._shared_lock(chat_id):
            state = await self.load(chat_id)
            try:
                yield state
            finally:
                await self.save(chat_id, state)

    def _shared_lock(self, chat_id: int) -> contextlib.AbstractAsyncContextManager[None]:
        """The lock other processes sharing this store take for the chat (none for a local file)."""
        return contextlib.nullcontext()

    @abc.abstractmethod
    async def load(self, chat_id: int) -> ChatState:
        """The chat's saved state (a fresh one when nothing is saved)."""

    @abc.abstractmethod
    async def save(self, chat_id: int, state: ChatState) -> None:
        """Save the chat's state."""

    @abc.abstractmethod
    async def first_delivery(self, update_id: int) -> bool:
        """True the first time an update id is seen; False for Telegram's retries of it."""

    async def check(self) -> None:
        """Raise StateUnavailableError when the store cannot be used."""

    async def close(self) -> None:
        """Write what is pending and release connections."""
