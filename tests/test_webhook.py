"""End to end: two ``summitbot run --webhook`` replicas sharing a real Redis, over the Bot API emulator.

The test plays Telegram and the load balancer: it posts each update to the
replicas itself, to both of them (as a retry that reaches the other replica
would), the chats' updates out of order and old updates again. Every chat must
stay one conversation (follow-ups resolve whichever replica answers), every
update must be answered once, and none lost. The replicas start once for the
module (each loads the model: ~10 s).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.conversation import Conversation
from bot.settings import Settings
from bot.webhook import HEALTH_PATH, SECRET_HEADER
from conftest import CORPUS, bot_environment
from fake_bot_api import FakeBotApi
from redis_server import LOOPBACK, RedisServer, _free_port

pytestmark = pytest.mark.e2e

PUBLIC_URL = "https://bot.example.test/telegram"  # the load balancer's address, told to Telegram
WEBHOOK_PATH = "/telegram"
START_TIMEOUT = 120.0
REPLY_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
HEALTH_POLL_SECONDS = 0.2
REPLICAS = 2
CONVERSATIONS = {  # chat id → its turns, each but the first a follow-up of the one before
    5001: ("What did Putin say about the truce?", "And Erdogan?", "Tell me more"),
    5002: ("What did Erdogan say about the ceasefire?", "Tell me more", "And Putin?"),
    5003: ("Who is Rouhani?", "What did he say?", "Why?"),
}


@dataclass
class Replica:
    """One ``summitbot run --webhook`` process and where it listens."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Deployment:
    """The emulator, the shared Redis and the replicas."""

    fake: FakeBotApi
    replicas: list[Replica]
    secret: str

    def post(self, replica: int, update: dict[str, Any], secret: str | None = None) -> int:
        """Deliver ``update`` to one replica as Telegram would; the HTTP status."""
        headers = {SECRET_HEADER: self.secret if secret is None else secret}
        response = httpx.post(self.replicas[replica].url(WEBHOOK_PATH), json=update, headers=headers, timeout=REPLY_TIMEOUT)
        return response.status_code

    def post_to_all(self, update: dict[str, Any]) -> list[int]:
        """Deliver ``update`` to every replica at the same time."""
        with ThreadPoolExecutor(len(self.replicas)) as pool:
            return list(pool.map(lambda number: self.post(number, update), range(len(self.replicas))))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, seed_index: Path) -> Iterator[Deployment]:
    """A fake Bot API, a real Redis and two webhook replicas over one index; all stopped afterwards."""
    root = tmp_path_factory.mktemp("replicas")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(seed_index, index)
    redis = RedisServer(root)
    with FakeBotApi() as fake:
        env = bot_environment(
            corpus, index, fake, SUMMITBOT_REDIS_URL=redis.url, SUMMITBOT_WEBHOOK_URL=PUBLIC_URL
        )
        replicas = []
        for number in range(REPLICAS):
            port, log = _free_port(), root / f"replica-{number}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "bot.cli", "--verbose", "run", "--webhook"],
                    cwd=root,
                    env={**env, "SUMMITBOT_WEBHOOK_LISTEN": f"{LOOPBACK}:{port}"},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            replicas.append(Replica(process, port, log))
        deployment = Deployment(fake, replicas, Settings(telegram_token=fake.token).webhook_secret_token)
        try:
            for replica in replicas:
                wait_healthy(replica)
            yield deployment
        finally:
            for replica in replicas:
                if replica.process.poll() is None:
                    replica.process.kill()
                    replica.process.wait()
            redis.stop()
        assert fake.internal_errors == []


def wait_healthy(replica: Replica) -> None:
    """Wait until the replica's health endpoint says ok (it loads the model first)."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert replica.process.poll() is None, f"the replica exited early:\n{replica.output()}"
        assert time.monotonic() < deadline, f"the replica did not become healthy:\n{replica.output()}"
        try:
            if httpx.get(replica.url(HEALTH_PATH), timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(HEALTH_POLL_SECONDS)  # polls readiness; orders nothing


def expected_replies(engine: Any, turns: tuple[str, ...]) -> list[list[str]]:
    """The CLI's answer lines to each turn of one conversation."""
    conversation = Conversation()
    return [[line.strip() for line in engine.ask(turn, conversation).text.splitlines()] for turn in turns]


def test_each_replica_registers_the_webhook_with_its_secret_and_is_healthy(deployment: Deployment) -> None:
    calls = deployment.fake.calls("setWebhook")
    assert len(calls) == REPLICAS
    assert all(call["url"] == PUBLIC_URL and call["secret_token"] == deployment.secret for call in calls)
    for replica in deployment.replicas:
        response = httpx.get(replica.url(HEALTH_PATH), timeout=REPLY_TIMEOUT)
        assert (response.status_code, response.text) == (200, "ok")


def test_a_request_without_the_secret_is_refused_and_not_answered(deployment: Deployment) -> None:
    chat = 5100
    update = deployment.fake.send_message(chat, "What did Putin say about the truce?")
    assert deployment.post(0, update, secret="") == 403
    assert deployment.post(1, update, secret="not-the-secret") == 403
    assert deployment.post(0, {"not": "an update"}) == 400
    # The same update with the secret is still new (refused requests claim nothing) and is answered.
    assert deployment.post(1, update) == 200
    [reply] = deployment.fake.wait_for_messages(chat, 1, REPLY_TIMEOUT)
    assert "no representatives of the armed opposition" in reply["plain_text"]


def test_replicas_keep_each_chat_one_conversation_answering_every_update_once(deployment: Deployment, engine: Any) -> None:
    fake = deployment.fake
    expected = {chat: expected_replies(engine, turns) for chat, turns in CONVERSATIONS.items()}
    delivered: list[dict[str, Any]] = []
    for turn in range(3):
        updates = [fake.send_message(chat, turns[turn]) for chat, turns in CONVERSATIONS.items()]
        # Newest first, each to both replicas at once, alternating which replica gets it first.
        for number, update in enumerate(reversed(updates)):
            assert deployment.post_to_all(update) == [200] * REPLICAS
            assert deployment.post((turn + number) % REPLICAS, update) == 200  # a retry, after the answer
        for old in delivered:
            assert deployment.post(turn % REPLICAS, old) == 200  # Telegram retrying an old update
        delivered += updates
        for chat in CONVERSATIONS:
            replies = fake.wait_for_messages(chat, turn + 1, REPLY_TIMEOUT)
            for line in expected[chat][turn]:
                assert line in replies[turn]["plain_text"], (chat, turn)
    # One more turn in each chat: everything delivered before it has been answered or dropped by now.
    for chat in CONVERSATIONS:
        assert deployment.post_to_all(fake.send_message(chat, "/reset")) == [200] * REPLICAS
    for chat in CONVERSATIONS:
        assert len(fake.wait_for_messages(chat, 4, REPLY_TIMEOUT)) == 4
    assert all(len(fake.messages_for(chat)) == 4 for chat in CONVERSATIONS)  # no update answered twice
    assert all("already taken" in replica.output() for replica in deployment.replicas)


def test_replicas_stop_cleanly_and_never_print_the_token(deployment: Deployment) -> None:
    for replica in deployment.replicas:
        replica.process.send_signal(signal.SIGTERM)
    for replica in deployment.replicas:
        assert replica.process.wait(STOP_TIMEOUT) == 0
        output = replica.output()
        assert "Traceback" not in output
        assert deployment.fake.token.split(":", 1)[1] not in output
