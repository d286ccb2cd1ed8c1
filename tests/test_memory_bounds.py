"""Memory that could grow without bound is bounded: chats, answers, "More", speaker masks, /sources.

``benchmarks/memory.py`` measures the whole: 10,000 chats asking 10 questions each.
"""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from typing import Any

from bot.conversation import SHOWN_KEPT, Conversation, Turn
from bot.render import SOURCES_PER_PAGE
from bot.state import ChatState, FileChatStates, file_store
from bot.state.base import CHAT_TTL_SECONDS, REMEMBERED_ANSWERS
from bot.telegram_app import OLD_ANSWER, STATES_KEY
from index.search import HybridSearcher
from test_telegram_bot import CEASEFIRE, TRUCE, BotHarness, buttons, play  # noqa: F401
from test_telegram_bot import fake, settings  # noqa: F401  (fixtures)

MANY = 1000
CHATS = 8
ARTICLES = 2 * SOURCES_PER_PAGE + 5
MASK_BYTES_BUDGET = 100_000  # far below what a thousand cached masks take, far above what SPEAKERS_KEPT take


def test_more_after_more_keeps_a_bounded_list_of_shown_passages():
    conversation = Conversation()
    conversation.remember(Turn(query=TRUCE, shown=["tehran-summit#9"]))
    for number in range(MANY):
        conversation.remember(Turn(query=TRUCE, shown=[f"article-{number}#1"], more=True))
    assert len(conversation.shown) == SHOWN_KEPT
    assert conversation.shown[-1] == f"article-{MANY - 1}#1"  # the latest are the ones kept


def test_speaker_masks_stay_bounded_however_many_speakers_are_asked_about(engine):
    searcher = HybridSearcher(engine.snapshot, engine.encoder)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for number in range(MANY):
            searcher.speaks_mask(f"Speaker Number {number}")
        grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert grown < MASK_BYTES_BUDGET
    assert searcher.speaks_mask("Vladimir Putin").any()  # still right after the older masks went


def test_each_chat_keeps_its_last_few_answers(fake, settings, engine):
    async def scenario(bot: BotHarness) -> tuple[int, list, list]:
        replies = []
        for _ in range(REMEMBERED_ANSWERS + 5):
            replies += await bot.send(CEASEFIRE)
        oldest_more = await bot.press(replies[0], "more")
        newest_more = await bot.press(replies[-1], "more")
        state = await bot.app.bot_data[STATES_KEY].load(replies[0]["chat_id"])
        return len(state.answers), oldest_more, newest_more

    answers, oldest_more, newest_more = play(settings, engine, fake, scenario)
    assert answers == REMEMBERED_ANSWERS
    assert oldest_more == [] and fake.callback_answers[-2]["text"] == OLD_ANSWER
    assert newest_more and "Aleppo" in newest_more[0]["plain_text"]


def test_the_least_recently_active_chats_are_forgotten(fake, settings, engine, monkeypatch):
    monkeypatch.setattr(file_store, "CHATS_KEPT", 3)

    async def scenario(bot: BotHarness) -> list:
        answers = [await bot.send(TRUCE, chat_id=2000 + chat) for chat in range(CHATS)]
        return await bot.press(answers[-1][0], "more")  # the latest chat still continues

    assert play(settings, engine, fake, scenario)
    saved = json.loads(settings.conversation_state_file.read_text(encoding="utf-8"))["chats"]
    assert list(saved) == [str(2000 + chat) for chat in range(CHATS - 3, CHATS)]


def test_a_chat_idle_for_a_month_is_forgotten(tmp_path):
    now = [0.0]
    states = FileChatStates(tmp_path / "state.json", clock=lambda: now[0])
    asked = ChatState(Conversation(last_query=TRUCE))

    async def scenario() -> tuple[str, str]:
        await states.save(1, asked)
        now[0] += CHAT_TTL_SECONDS / 2
        await states.save(2, asked)
        now[0] += CHAT_TTL_SECONDS / 2 + 1  # chat 1 idle for over a month, chat 2 for half
        await states.save(3, asked)
        return (await states.load(1)).conversation.last_query, (await states.load(2)).conversation.last_query

    assert asyncio.run(scenario()) == ("", TRUCE)


def test_sources_come_a_page_at_a_time(fake, settings, engine):
    coverage = [(f"Article number {n}", "2020-01-01", 3) for n in range(ARTICLES)]

    class ManyArticles:
        def coverage(self) -> list[tuple[str, str, int]]:
            return coverage

        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

    async def scenario(bot: BotHarness) -> list[dict[str, Any]]:
        pages = await bot.send("/sources")
        while buttons(pages[-1]):
            [data] = buttons(pages[-1]).values()
            pages += await bot.press(pages[-1], data)
        return pages

    pages = play(settings, ManyArticles(), fake, scenario)
    assert len(pages) == 3
    assert all(page["plain_text"].count("Article number") <= SOURCES_PER_PAGE for page in pages)
    listed = [line for page in pages for line in page["plain_text"].splitlines() if "Article number" in line]
    assert listed == [f"• Article number {n} — 1 January 2020, 3 passages" for n in range(ARTICLES)]
    assert f"1–{SOURCES_PER_PAGE} of {ARTICLES}" in pages[0]["plain_text"]
