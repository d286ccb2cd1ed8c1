"""How long the bot's event loop is blocked while "Show passage", "More" and state saving run under load.

Run: ``python -m benchmarks.loop_block [--chats 10000] [--busy 20] [--rounds 10]``. First
``--chats`` chats each get an answer (so the saved state is that big), then ``--busy``
chats at once ask, press "More" and press "Show passage" ``--rounds`` times with the
product's engine and encoder; every turn saves the chat, and the JSON state store
rewrites its whole file in a worker thread. A probe task sleeps ``TICK_SECONDS`` again and again; how late it
wakes is how long something held the loop (the same probe on an idle loop gives the
machine's own noise; engine threads competing for the GIL count as blocking too). Replies are recorded instead of sent
(``benchmarks.offline_bot``). For comparison, the same run measures how long writing
the state file synchronously on the loop would take. Writes ``benchmarks/results/loop_block.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from telegram import Update

from benchmarks.bot_latency import DEFAULT_CORPUS, emulator_settings, quiet_logging, warm_engine
from benchmarks.measure import machine
from benchmarks.offline_bot import CONVERSATION, MemoEngine, press_update, recorded_replies, text_update
from bot.render import show_passage_data
from bot.state.file_store import write_private_atomically
from bot.telegram_app import ENGINE_KEY, STATES_KEY, build_application
from tests.fake_bot_api import FakeBotApi

HERE = Path(__file__).parent
RESULTS_FILE = HERE / "results" / "loop_block.json"
CHATS = 10_000
BUSY_CHATS = 20
ROUNDS = 10
FIRST_CHAT_ID = 6_000_000
TICK_SECONDS = 0.001
IDLE_SECONDS = 2.0
QUESTION = "What did Erdogan say about the ceasefire?"
MILLISECONDS = 1000


async def probe(lags: list[float], stop: asyncio.Event) -> None:
    """Sleep a tick again and again; record how much later than asked each wake-up came."""
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(TICK_SECONDS)
        lags.append(time.perf_counter() - asked - TICK_SECONDS)


async def busy_chat(application: Any, chat: int, rounds: int, engine: Any) -> None:
    """Ask, press "More", press "Show passage" on the answer, ``rounds`` times."""
    bot = application.bot
    for _ in range(rounds):
        await application.process_update(Update.de_json(text_update(chat, QUESTION), bot))
        answer_id = max((await application.bot_data[STATES_KEY].load(chat)).answers)
        await application.process_update(Update.de_json(press_update(chat, answer_id, "more"), bot))
        passage = (await asyncio.to_thread(engine.ask, QUESTION)).parts[0].passage
        show = show_passage_data(passage, [0])
        await application.process_update(Update.de_json(press_update(chat, answer_id, show), bot))


async def measure(settings: Any, engine: Any, chats: int, busy: int, rounds: int) -> dict[str, Any]:
    """Fill the state with ``chats`` chats, then measure the loop while ``busy`` chats work."""
    application = build_application(settings, MemoEngine(engine))
    with recorded_replies() as recorder:
        async with application:
            for number in range(chats):
                update = text_update(FIRST_CHAT_ID + number, CONVERSATION[0])
                await application.process_update(Update.de_json(update, application.bot))
            application.bot_data[ENGINE_KEY] = engine  # the measured part uses the engine itself
            state_file = settings.conversation_state_file
            saved = state_file.read_text(encoding="utf-8")
            started = time.perf_counter()
            write_private_atomically(state_file, json.dumps(json.loads(saved), ensure_ascii=False))
            synchronous_save = time.perf_counter() - started  # what a save on the loop would block it for
            idle: list[float] = []  # the same probe with nothing else to do: the machine's own noise
            stop = asyncio.Event()
            idling = asyncio.create_task(probe(idle, stop))
            await asyncio.sleep(IDLE_SECONDS)
            stop.set()
            await idling
            lags: list[float] = []
            stop = asyncio.Event()
            watcher = asyncio.create_task(probe(lags, stop))
            started = time.perf_counter()
            await asyncio.gather(*(busy_chat(application, 1 + n, rounds, engine) for n in range(busy)))
            seconds = time.perf_counter() - started
            stop.set()
            await watcher
    lag_ms = np.array(lags) * MILLISECONDS
    return {
        "chats_in_state": chats,
        "busy_chats": busy,
        "presses_and_questions": busy * rounds * 3,
        "messages_recorded": recorder.sent,
        "seconds": round(seconds, 1),
        "loop_longest_block_ms": round(float(lag_ms.max()), 2),
        "loop_p99_block_ms": round(float(np.percentile(lag_ms, 99)), 2),
        "loop_p50_block_ms": round(float(np.percentile(lag_ms, 50)), 2),
        "idle_longest_block_ms": round(max(idle) * MILLISECONDS, 2),
        "one_synchronous_save_ms": round(synchronous_save * MILLISECONDS, 1),
    }


def main() -> None:
    """Build the index if needed, measure, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=CHATS)
    parser.add_argument("--busy", type=int, default=BUSY_CHATS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    quiet_logging()
    with tempfile.TemporaryDirectory() as scratch, FakeBotApi() as fake:
        engine = warm_engine(DEFAULT_CORPUS, Path(scratch) / "index", [*CONVERSATION, QUESTION])
        settings = emulator_settings(engine, fake, Path(scratch))
        results = asyncio.run(measure(settings, engine, args.chats, args.busy, args.rounds))
    results["machine"] = machine()
    for key, value in results.items():
        if key != "machine":
            print(f"  {key:<24} {value}")
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"Wrote {RESULTS_FILE}")


if __name__ == "__main__":
    main()
