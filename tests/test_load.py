"""Load: 50 chats asking at once through the fake Bot API; every reply arrives, once, in its chat, in order.

All questions are queued at the API before the bot fetches them, the
harshest order test: each chat's second turn is a follow-up whose answer
depends on the first, so a reply out of order or from another chat's
conversation shows as a wrong text. ``python -m benchmarks.load`` does
50 × 10 and reports throughput and latency; this keeps two turns a chat so the
suite stays fast (PTB's flood limiter lets about 30 requests a second out, one per
answer, plus "typing…" for an answer that takes over half a second).
"""

from __future__ import annotations

import asyncio

from test_faults import (  # noqa: F401  (fake, settings and token_nowhere are fixtures)
    PollingBot,
    expected_messages,
    fake,
    poll,
    sent_texts,
    settings,
    token_nowhere,
)

CHATS = 50
FIRST_CHAT = 700_000
FOLLOW_UP = "Tell me more"
LOAD_TIMEOUT_SECONDS = 60.0
QUESTIONS = [  # neighbouring chats ask different things, so a reply in the wrong chat shows
    "What did Putin say about the truce?",
    "Where was the summit held?",
    "Who dominates Idlib?",
    "What did the UN envoy warn about Idlib?",
    "What is the capital of France?",
]


def test_fifty_chats_asking_at_once_each_get_every_reply_in_order(fake, settings, engine):
    turns = {FIRST_CHAT + number: QUESTIONS[number % len(QUESTIONS)] for number in range(CHATS)}
    wanted = {q: expected_messages(engine, q) + expected_messages(engine, q, FOLLOW_UP) for q in QUESTIONS}

    async def scenario(bot: PollingBot) -> list[list]:
        for chat, question in turns.items():
            bot.ask(chat, question)
            bot.ask(chat, FOLLOW_UP)
        waits = [bot.replies(chat, len(wanted[question]), LOAD_TIMEOUT_SECONDS) for chat, question in turns.items()]
        return await asyncio.gather(*waits)

    replies = poll(settings, engine, fake, scenario)
    for (chat, question), messages in zip(turns.items(), replies):
        assert sent_texts(messages) == wanted[question], f"chat {chat}"
        assert len(fake.messages_for(chat)) == len(wanted[question])  # nothing more came after
