"""Memory of the Telegram bot after 10,000 chats have asked 10 questions each, against a budget.

Run: ``python -m benchmarks.bot_memory [--chats 10000]`` (builds a temporary index of the
bundled corpus first). Every turn goes through the real Application (``process_update``,
handlers, per-chat state, persistence); replies are recorded instead of sent and the
engine's answers are memoised (``benchmarks.offline_bot``), so what grows is the bot's own
state (the JSON state store keeps every chat's state in memory and in its file). Reports
resident memory before and after, per chat, the chats kept, the saved state file, and
whether the growth is within ``BUDGET_MIB``. Writes
``benchmarks/results/bot_memory.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from telegram import Update

from benchmarks.bot_latency import DEFAULT_CORPUS, emulator_settings, quiet_logging, warm_engine
from benchmarks.measure import machine, memory_mib
from benchmarks.offline_bot import CONVERSATION, MemoEngine, recorded_replies, text_update
from bot.telegram_app import STATES_KEY, build_application
from tests.fake_bot_api import FakeBotApi

HERE = Path(__file__).parent
RESULTS_FILE = HERE / "results" / "bot_memory.json"
CHATS = 10_000
FIRST_CHAT_ID = 5_000_000
BUDGET_MIB = 256  # growth allowed for 10,000 chats × 10 questions: ~26 KiB a chat
PROGRESS_EVERY = 1000
CHATS_AT_ONCE = 100


async def play(settings: Any, engine: MemoEngine, chats: int) -> dict[str, Any]:
    """Every chat asks the ten turns of CONVERSATION; memory before and after."""
    application = build_application(settings, engine)
    with recorded_replies() as recorder:
        async with application:
            for turn in CONVERSATION:  # one chat first: every answer memoised, every code path warm
                await application.process_update(Update.de_json(text_update(FIRST_CHAT_ID - 1, turn), application.bot))
            gc.collect()
            before = memory_mib()
            started = time.perf_counter()
            async def talk(chat: int) -> None:
                for turn in CONVERSATION:
                    await application.process_update(Update.de_json(text_update(chat, turn), application.bot))

            for first in range(0, chats, CHATS_AT_ONCE):  # chats at once, as a busy bot sees them
                last = min(first + CHATS_AT_ONCE, chats)
                await asyncio.gather(*(talk(FIRST_CHAT_ID + number) for number in range(first, last)))
                if last % PROGRESS_EVERY == 0:
                    print(f"  {last} chats", flush=True)
            await application.bot_data[STATES_KEY].close()  # every change written
            seconds = time.perf_counter() - started
            gc.collect()
            after = memory_mib()
    kept = len(json.loads(settings.conversation_state_file.read_text(encoding="utf-8"))["chats"])
    growth = after["rss_mib"] - before["rss_mib"]
    return {
        "chats": chats,
        "turns": chats * len(CONVERSATION),
        "messages_recorded": recorder.sent,
        "seconds": round(seconds, 1),
        "rss_before_mib": before["rss_mib"],
        "rss_after_mib": after["rss_mib"],
        "growth_mib": round(growth, 1),
        "growth_per_chat_kib": round(growth * 1024 / chats, 2),
        "chats_kept": kept,
        "state_file_mib": round(settings.conversation_state_file.stat().st_size / 2**20, 1),
        "budget_mib": BUDGET_MIB,
        "within_budget": growth <= BUDGET_MIB * chats / CHATS,
    }


def main() -> None:
    """Build the index if needed, play the chats, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=CHATS)
    args = parser.parse_args()
    quiet_logging()
    with tempfile.TemporaryDirectory() as scratch, FakeBotApi() as fake:
        engine = warm_engine(DEFAULT_CORPUS, Path(scratch) / "index", CONVERSATION)
        settings = emulator_settings(engine, fake, Path(scratch))
        results = asyncio.run(play(settings, MemoEngine(engine), args.chats))
    results["machine"] = machine()
    for key, value in results.items():
        if key != "machine":
            print(f"  {key:<22} {value}")
    verdict = "within" if results["within_budget"] else "OVER"
    print(f"{results['chats']} chats × {len(CONVERSATION)} questions: +{results['growth_mib']} MiB, {verdict} the budget")
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"Wrote {RESULTS_FILE}")


if __name__ == "__main__":
    main()
