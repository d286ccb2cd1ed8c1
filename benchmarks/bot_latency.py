"""Round-trip latency of the Telegram bot through the fake Bot API, against the engine's own time.

Run: ``python -m benchmarks.bot_latency`` (builds a temporary index of the
bundled corpus first). The real Application (``build_application``) long-polls
the emulator on 127.0.0.1 from a thread of this process; users are played from
the main thread. Two scenarios:

* one chat asking the questions of ``benchmarks/questions.json`` one after another;
* 20 chats asking at the same moment, round after round.

A round trip runs from the user's message reaching the Bot API to the bot's
complete reply (every part) arriving there. The engine's own time is
``Engine.ask`` called directly, one question at a time, on the same turns.
"Bot adds" is round trip minus the engine's time inside the bot, at p50: polling,
the worker thread, rendering, sending, and Telegram's flood limit (PTB's
AIORateLimiter allows about 30 requests a second, so 20 simultaneous chats
queue). Every reply is checked: it arrived, in its own chat, and is exactly
what the engine answers for that chat's conversation (follow-ups included).
Prints a table and writes ``benchmarks/results/bot_latency.json``.

The emulator's HTTP server switches Nagle's algorithm off: with it on, Linux's
delayed ACKs add ~40 ms to every response on loopback, an artefact of the
emulator, not of the bot or of Telegram (``--emulator-nagle`` turns it back
on, to see the difference).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import telegram_app
from bot.answer import Answer
from bot.conversation import Conversation
from bot.engine import Engine
from bot.render import render_answer, split_html
from bot.settings import DEFAULT_ENCODER, Settings
from bot.telegram_app import RetryingRateLimiter, build_application, post_init
from index.encoder import encoder_for
from tests import fake_bot_api
from tests.fake_bot_api import FakeBotApi

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
QUESTIONS_FILE = HERE / "questions.json"
RESULTS_FILE = HERE / "results" / "bot_latency.json"
DEFAULT_CORPUS = HERE.parent / "corpus"
FOLLOW_UP = "Tell me more"
FOLLOW_UP_EVERY = 3  # every third turn is a follow-up, so mixed-up conversations would show
CONCURRENT_CHATS = 20
CONCURRENT_ROUNDS = 5
FIRST_CHAT_ID = 900_000
POLL_TIMEOUT_SECONDS = 1
REPLY_TIMEOUT_SECONDS = 60.0
TARGET_ADDED_MS = 30.0


class TimedEngine:
    """The engine, recording how long each ``ask`` takes inside the bot."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seconds: list[float] = []
        self._lock = threading.Lock()

    def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
        """Engine.ask, timed."""
        started = time.perf_counter()
        try:
            return self.engine.ask(question, conversation)
        finally:
            with self._lock:
                self.seconds.append(time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


class ProbedRateLimiter(RetryingRateLimiter):
    """The bot's rate limiter, recording how long each sendMessage waited for the flood limit."""

    waits: list[float] = []

    async def process_request(
        self, callback: Any, args: Any, kwargs: Any, endpoint: str, data: Any, rate_limit_args: Any
    ) -> Any:
        """Time from the request to its HTTP call: the flood-limit wait."""
        queued, called = time.perf_counter(), []

        async def timed(*call_args: Any, **call_kwargs: Any) -> Any:
            called.append(time.perf_counter())
            return await callback(*call_args, **call_kwargs)

        try:
            return await super().process_request(timed, args, kwargs, endpoint, data, rate_limit_args)
        finally:
            if endpoint == "sendMessage" and called:
                ProbedRateLimiter.waits.append(called[0] - queued)


class BotThread:
    """The Application long-polling the emulator on its own event loop thread."""

    def __init__(self, application: Any) -> None:
        self.application = application
        self.ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with self.application:
            await post_init(self.application)
            await self.application.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT_SECONDS)
            await self.application.start()
            self.ready.set()
            await self._stop.wait()
            await self.application.updater.stop()
            await self.application.stop()

    def __enter__(self) -> "BotThread":
        self._thread.start()
        if not self.ready.wait(REPLY_TIMEOUT_SECONDS):
            raise RuntimeError("the bot did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(REPLY_TIMEOUT_SECONDS)


@dataclass
class Chat:
    """One simulated user: the turns to play, the replies they should get, the times measured."""

    chat_id: int
    turns: list[str]
    conversation: Conversation = field(default_factory=Conversation)  # the same turns, on the engine directly
    expected: list[list[str]] = field(default_factory=list)  # per turn, the messages as sent (HTML)
    engine_seconds: list[float] = field(default_factory=list)
    round_trips: list[float] = field(default_factory=list)


def conversation_turns(questions: list[str], start: int, count: int) -> list[str]:
    """``count`` turns from the question list, every few a follow-up."""
    turns = []
    for number in range(count):
        if number % FOLLOW_UP_EVERY == FOLLOW_UP_EVERY - 1:
            turns.append(FOLLOW_UP)
        else:
            turns.append(questions[(start + number) % len(questions)])
    return turns


def expect_reply(engine: Engine, chat: Chat, turn: int) -> None:
    """Ask the engine directly, in the chat's own conversation: the expected reply and the engine's own time."""
    started = time.perf_counter()
    answer = engine.ask(chat.turns[turn], chat.conversation)
    chat.engine_seconds.append(time.perf_counter() - started)
    chat.expected.append(split_html(render_answer(answer)))


def play_turn(fake: FakeBotApi, chat: Chat, turn: int) -> None:
    """Send one turn and wait for the whole reply; record the round trip."""
    already = sum(len(messages) for messages in chat.expected[:turn])
    started = time.perf_counter()
    fake.send_message(chat.chat_id, chat.turns[turn])
    fake.wait_for_messages(chat.chat_id, already + len(chat.expected[turn]), REPLY_TIMEOUT_SECONDS)
    chat.round_trips.append(time.perf_counter() - started)


def check_replies(fake: FakeBotApi, chats: list[Chat]) -> int:
    """Every chat got exactly its expected messages, in order; returns how many were checked."""
    checked = 0
    for chat in chats:
        sent = [message["text"] for message in fake.messages_for(chat.chat_id)]
        wanted = [text for messages in chat.expected for text in messages]
        if sent != wanted:
            raise AssertionError(f"chat {chat.chat_id}: expected {len(wanted)} messages, got {len(sent)} or others")
        checked += len(sent)
    return checked


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def figures(chats: list[Chat], in_bot: list[float], flood_waits: list[float]) -> dict[str, float]:
    """p50/p95 in milliseconds: round trip, the engine's own time, engine time inside the bot, what the bot adds."""
    ms = 1000.0
    round_trips = [seconds for chat in chats for seconds in chat.round_trips]
    own = [seconds for chat in chats for seconds in chat.engine_seconds]
    return {
        "requests": len(round_trips),
        "round_trip_p50_ms": percentile(round_trips, 0.5) * ms,
        "round_trip_p95_ms": percentile(round_trips, 0.95) * ms,
        "engine_own_p50_ms": percentile(own, 0.5) * ms,
        "engine_own_p95_ms": percentile(own, 0.95) * ms,
        "engine_in_bot_p50_ms": percentile(in_bot, 0.5) * ms,
        "engine_in_bot_p95_ms": percentile(in_bot, 0.95) * ms,
        # the engine inside the bot, not its own run: that one left the question vectors cached
        "bot_adds_p50_ms": (percentile(round_trips, 0.5) - percentile(in_bot, 0.5)) * ms,
        "bot_adds_p95_ms": (percentile(round_trips, 0.95) - percentile(in_bot, 0.95)) * ms,
        "flood_limit_wait_p50_ms": percentile(flood_waits, 0.5) * ms,
        "flood_limit_wait_p95_ms": percentile(flood_waits, 0.95) * ms,
    }


def quiet_logging() -> None:
    """Warnings only, and never a request URL (it carries the token)."""
    logging.basicConfig(level=logging.WARNING, force=True)
    logging.getLogger().handlers[0].setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG
    logging.getLogger("httpx").setLevel(logging.WARNING)


def benchmark_questions() -> list[str]:
    """Every question of the evaluation set, answerable or not."""
    questions = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    return [item["q"] for item in questions["answerable"]] + list(questions["unanswerable"])


def warm_engine(corpus: Path, index_dir: Path, questions: list[str]) -> Engine:
    """An engine with its index built, the model loaded and every cache warm, before timing anything."""
    engine = Engine(corpus, index_dir, encoder_for(DEFAULT_ENCODER, index_dir))  # as `summitbot run` has it
    engine.prepare()
    for question in questions:
        engine.ask(question, Conversation())
    return engine


def emulator_settings(engine: Engine, fake: FakeBotApi, scratch: Path) -> Settings:
    """Settings for a bot on ``engine``'s folders, talking to the emulator, with its state in ``scratch``."""
    return Settings(
        corpus_dir=engine.corpus_dir,
        index_dir=engine.index_dir,
        telegram_token=fake.token,
        telegram_base_url=fake.base_url,
        telegram_base_file_url=fake.base_file_url,
        state_file=scratch / "conversations.json",
    )


def run_scenarios(
    engine: Engine, questions: list[str], turns: int, rounds: int, chats: int, nagle: bool = False
) -> dict[str, Any]:
    """Both scenarios against one running bot; the figures of each.

    The engine's own time for a turn is measured right before the bot plays it,
    so both see the same machine load.
    """
    single = Chat(FIRST_CHAT_ID, conversation_turns(questions, 0, turns))
    crowd = [
        Chat(FIRST_CHAT_ID + 1 + number, conversation_turns(questions, number * rounds, rounds))
        for number in range(chats)
    ]
    timed = TimedEngine(engine)
    with tempfile.TemporaryDirectory() as scratch, FakeBotApi() as fake:
        settings = emulator_settings(engine, fake, Path(scratch))
        telegram_app.RetryingRateLimiter = ProbedRateLimiter  # type: ignore[misc]  # the same limiter, observed
        try:
            application = build_application(settings, timed)  # type: ignore[arg-type]
        finally:
            telegram_app.RetryingRateLimiter = RetryingRateLimiter  # type: ignore[misc]
        waits = ProbedRateLimiter.waits
        with BotThread(application):
            timed.seconds.clear()  # drop the warm-up
            for turn in range(len(single.turns)):
                expect_reply(engine, single, turn)
                play_turn(fake, single, turn)
            in_bot_single, waits_single = list(timed.seconds), list(waits)
            timed.seconds.clear()
            waits.clear()
            with ThreadPoolExecutor(max_workers=chats) as pool:
                for turn in range(rounds):
                    for chat in crowd:
                        expect_reply(engine, chat, turn)
                    list(pool.map(lambda chat: play_turn(fake, chat, turn), crowd))
            in_bot_crowd, waits_crowd = list(timed.seconds), list(waits)
        checked = check_replies(fake, [single, *crowd])
        assert fake.internal_errors == [], fake.internal_errors
    return {
        "one_chat": figures([single], in_bot_single, waits_single),
        f"{chats}_chats_at_once": figures(crowd, in_bot_crowd, waits_crowd),
        "replies_checked": checked,
        "replies_lost_or_misrouted": 0,
        "emulator_nagle": nagle,
    }


def print_table(results: dict[str, Any]) -> None:
    """The figures as a table, one column per scenario."""
    scenarios = [name for name, value in results.items() if isinstance(value, dict)]
    rows = list(results[scenarios[0]])
    print(f"\n{'':34}" + "".join(f"{name:>22}" for name in scenarios))
    for row in rows:
        cells = [results[name].get(row) for name in scenarios]
        print(f"  {row:<32}" + "".join(f"{c:>22.1f}" if isinstance(c, float) else f"{c!s:>22}" for c in cells))
    checked = results["replies_checked"]
    print(f"\nReplies checked: {checked} (none lost, none in the wrong chat, all as the engine answers)")
    added = results["one_chat"]["bot_adds_p50_ms"]
    verdict = "within" if added < TARGET_ADDED_MS else "OVER"
    print(f"One chat: the bot adds {added:.1f} ms at p50, {verdict} the {TARGET_ADDED_MS:.0f} ms aim.")


def main() -> None:
    """Build the index if needed, run both scenarios, print and save the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--index", type=Path, help="index folder (default: a temporary one)")
    parser.add_argument("--turns", type=int, default=60, help="turns of the one-chat scenario")
    parser.add_argument("--rounds", type=int, default=CONCURRENT_ROUNDS, help="turns per chat when all ask at once")
    parser.add_argument("--chats", type=int, default=CONCURRENT_CHATS)
    parser.add_argument("--emulator-nagle", action="store_true", help="keep the emulator's ~40 ms per response")
    args = parser.parse_args()
    quiet_logging()
    # Responses written in two segments wait for a delayed ACK unless Nagle is off.
    fake_bot_api._RequestHandler.disable_nagle_algorithm = not args.emulator_nagle
    asked = benchmark_questions()
    with tempfile.TemporaryDirectory() as scratch:
        engine = warm_engine(args.corpus, args.index or Path(scratch), asked)
        results = run_scenarios(engine, asked, args.turns, args.rounds, args.chats, args.emulator_nagle)
    print_table(results)
    RESULTS_FILE.parent.mkdir(exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"Wrote {RESULTS_FILE}")


if __name__ == "__main__":
    main()
