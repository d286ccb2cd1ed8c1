"""Many chats against the real Telegram Application in-process, replies recorded instead of sent.

The bot's handlers, its per-chat state and its persistence run as in production. Only the
two functions that talk to Telegram, :func:`bot.telegram_app.reply_html` and
:func:`bot.telegram_app.acknowledge`, are replaced by recorders, so ten thousand chats take
minutes instead of the hours Telegram's flood limit would. The Bot API emulator answers the
few calls left (``getMe`` at start). :class:`MemoEngine` answers a turn the engine already
answered in the same conversation state from memory, for benchmarks about the bot's own
state rather than the engine.
"""

from __future__ import annotations

import itertools
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from bot import telegram_app
from bot.answer import Answer
from bot.conversation import Conversation
from bot.engine import Engine

BOT_ID = 100_000
CONVERSATION = [  # ten turns of one chat: questions, follow-ups, "More" and one the articles don't answer
    "What did Putin say about the truce?",
    "And Erdogan?",
    "Tell me more",
    "Why?",
    "Who else?",
    "What did the UN envoy warn about Idlib?",
    "More",
    "Where was the summit held?",
    "And Putin?",
    "What is the capital of France?",
]


class MemoEngine:
    """The engine, remembering each (question, conversation state) it answered; safe from many threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._answers: dict[tuple[str, bytes], tuple[Answer, bytes]] = {}
        self._lock = threading.Lock()

    def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Engine.ask, or what it answered before in the same state (the conversation moves on the same way)."""
        conversation = conversation if conversation is not None else Conversation()
        key = (question, pickle.dumps(conversation))
        with self._lock:
            known = self._answers.get(key)
        if known is None:
            answer = self.engine.ask(question, conversation)
            with self._lock:
                self._answers[key] = (answer, pickle.dumps(conversation))
            return answer
        answer, after = known
        conversation.__dict__.update(pickle.loads(after).__dict__)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


class Recorder:
    """Stands in for sending: counts what the bot would have sent and gives each message an id."""

    def __init__(self) -> None:
        self.sent = 0
        self.acknowledged = 0
        self._ids = itertools.count(1)

    async def reply_html(self, update: Any, text: str, reply_markup: Any = None) -> Any:
        """What ``telegram_app.reply_html`` returns: the last message sent, here only its id."""
        self.sent += len(telegram_app.split_html(text))
        return SimpleNamespace(message_id=next(self._ids), reply_markup=reply_markup)

    async def acknowledge(self, query: Any, text: str | None = None, show_alert: bool = False) -> None:
        """A button press answered."""
        self.acknowledged += 1


@contextmanager
def recorded_replies() -> Iterator[Recorder]:
    """Replace the bot's two sending functions by a :class:`Recorder` for the block."""
    recorder = Recorder()
    saved = telegram_app.reply_html, telegram_app.acknowledge
    telegram_app.reply_html, telegram_app.acknowledge = recorder.reply_html, recorder.acknowledge  # type: ignore[assignment]
    try:
        yield recorder
    finally:
        telegram_app.reply_html, telegram_app.acknowledge = saved  # type: ignore[assignment]


_update_ids = itertools.count(1)


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "User"}


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "User"}


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    """A private message from the chat's user, as the Bot API delivers it."""
    update_id = next(_update_ids)
    message = {"message_id": update_id, "date": 0, "chat": _chat(chat_id), "from": _user(chat_id), "text": text}
    return {"update_id": update_id, "message": message}


def press_update(chat_id: int, message_id: int, data: str) -> dict[str, Any]:
    """A press on a button of the bot's message ``message_id`` in the chat."""
    update_id = next(_update_ids)
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}
    message = {"message_id": message_id, "date": 0, "chat": _chat(chat_id), "from": bot, "text": "answer"}
    query = {"id": str(update_id), "from": _user(chat_id), "chat_instance": str(chat_id), "data": data, "message": message}
    return {"update_id": update_id, "callback_query": query}

