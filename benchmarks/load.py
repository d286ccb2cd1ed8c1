"""Load on the Telegram bot: 50 chats asking 10 questions each at once, through the fake Bot API.

Run: ``python -m benchmarks.load`` (builds a temporary index of the bundled
corpus first; ``--chats`` and ``--turns`` change the load). The real
Application long-polls the emulator on 127.0.0.1 from a thread of this
process (``BotThread`` of benchmarks/bot_latency.py); each chat is a user on
a thread of its own who asks, waits for the whole reply, and asks the next
(every third turn a follow-up), all chats at the same time. Every reply is
checked: it arrived, once, in its own chat, in order, exactly as the engine
answers that chat's conversation. Prints throughput and round-trip
percentiles and writes ``benchmarks/results/load.json``.

Two ceilings: Telegram's flood limit, which PTB's AIORateLimiter enforces at
about 30 requests a second for the whole bot (an answer is one request, plus
"typing…" when it takes over half a second), and the engine,
which runs in worker threads but mostly holds the GIL.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from telegram.constants import FloodLimit

from benchmarks.bot_latency import (
    DEFAULT_CORPUS,
    BotThread,
    Chat,
    benchmark_questions,
    check_replies,
    conversation_turns,
    emulator_settings,
    expect_reply,
    percentile,
    play_turn,
    quiet_logging,
    warm_engine,
)
from bot.engine import Engine
from bot.telegram_app import build_application
from tests.fake_bot_api import FakeBotApi

logger = logging.getLogger(__name__)

RESULTS_FILE = Path(__file__).parent / "results" / "load.json"
CHATS = 50
TURNS = 10
FIRST_CHAT_ID = 800_000
MS = 1000.0


def run_load(engine: Engine, questions: list[str], chats: int, turns: int) -> dict[str, Any]:
    """Every chat plays its turns at the same time as the others; the figures, after checking every reply."""
    crowd = [
        Chat(FIRST_CHAT_ID + number, conversation_turns(questions, number * turns, turns)) for number in range(chats)
    ]
    for chat in crowd:  # what the bot must send, and the engine's own time for it
        for turn in range(turns):
            expect_reply(engine, chat, turn)
    with tempfile.TemporaryDirectory() as scratch, FakeBotApi() as fake:
        settings = emulator_settings(engine, fake, Path(scratch))
        with BotThread(build_application(settings, engine)):
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=chats) as pool:
                list(pool.map(lambda chat: [play_turn(fake, chat, turn) for turn in range(turns)], crowd))
            seconds = time.perf_counter() - started
        checked = check_replies(fake, crowd)
        requests = len(fake.calls("sendMessage")) + len(fake.calls("sendChatAction"))
        assert fake.internal_errors == [], fake.internal_errors
    round_trips = [seconds for chat in crowd for seconds in chat.round_trips]
    own = [seconds for chat in crowd for seconds in chat.engine_seconds]
    return {
        "chats": chats,
        "turns_per_chat": turns,
        "answers": len(round_trips),
        "messages_checked": checked,
        "lost_misrouted_or_out_of_order": 0,  # check_replies raises otherwise
        "seconds": round(seconds, 2),
        "answers_per_second": round(len(round_trips) / seconds, 2),
        "round_trip_p50_ms": round(percentile(round_trips, 0.50) * MS, 1),
        "round_trip_p95_ms": round(percentile(round_trips, 0.95) * MS, 1),
        "round_trip_p99_ms": round(percentile(round_trips, 0.99) * MS, 1),
        "engine_own_p50_ms": round(percentile(own, 0.50) * MS, 1),
        "bot_api_requests": requests,
        "flood_limit_floor_seconds": round(requests / FloodLimit.MESSAGES_PER_SECOND, 2),
    }


def main() -> None:
    """Build the index, run the load, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, help="index folder (default: a temporary one)")
    parser.add_argument("--chats", type=int, default=CHATS)
    parser.add_argument("--turns", type=int, default=TURNS, help="questions each chat asks")
    args = parser.parse_args()
    quiet_logging()
    asked = benchmark_questions()
    with tempfile.TemporaryDirectory() as scratch:
        engine = warm_engine(args.corpus, args.index or Path(scratch), asked)
        results = run_load(engine, asked, args.chats, args.turns)
    width = max(len(name) for name in results)
    for name, value in results.items():
        print(f"  {name:<{width}}  {value}")
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"Wrote {RESULTS_FILE}")


if __name__ == "__main__":
    main()
