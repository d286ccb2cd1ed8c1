"""Nothing that grows with the corpus or the saved state runs on the bot's event loop.

The bot runs its handlers on one event loop: work that takes time in proportion to
the number of passages or of chats would stall every chat at once. These tests
watch which thread does that work.
"""

from __future__ import annotations

import pathlib
import threading
from typing import Any

from bot import render
from bot.state import file_store
from test_telegram_bot import TRUCE, BotHarness, buttons, play  # noqa: F401  (fake and settings are fixtures)
from test_telegram_bot import fake, settings  # noqa: F401

CHATS = 5


def on_loop() -> bool:
    """True on the thread running the event loop (``asyncio.run`` runs it on the main thread)."""
    return threading.current_thread() is threading.main_thread()


def test_show_passage_looks_the_passage_up_by_id_off_the_event_loop(fake, settings, engine, monkeypatch):
    hashed_on_loop: list[bool] = []
    article_key = render.article_key
    monkeypatch.setattr(render, "article_key", lambda article: hashed_on_loop.append(on_loop()) or article_key(article))

    async def scenario(bot: BotHarness) -> list[Any]:
        [reply] = await bot.send(TRUCE)
        show = next(data for data in buttons(reply).values() if data.startswith("show:"))
        hashed_on_loop.clear()  # the keyboard itself is made from the answer's few passages
        return [await bot.press(reply, show) for _ in range(3)]

    presses = play(settings, engine, fake, scenario)
    passage = engine.ask(TRUCE).parts[0].passage
    assert all(passage.text in reply["plain_text"] for [reply] in presses)
    assert not any(hashed_on_loop)
    assert len(hashed_on_loop) <= len(engine.snapshot.manifest.articles)  # once per article per build at most


def test_conversations_are_saved_off_the_event_loop(fake, settings, engine, monkeypatch):
    writes_on_loop: list[bool] = []
    write = file_store.write_private_atomically

    def watched_write(path: pathlib.Path, text: str) -> None:
        writes_on_loop.append(on_loop())
        write(path, text)

    monkeypatch.setattr(file_store, "write_private_atomically", watched_write)

    async def scenario(bot: BotHarness) -> None:
        for chat in range(CHATS):
            await bot.send(TRUCE, chat_id=1000 + chat)

    play(settings, engine, fake, scenario)
    assert writes_on_loop and not any(writes_on_loop)
    assert settings.conversation_state_file.exists()
