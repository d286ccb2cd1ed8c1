"""End to end: ``summitbot run`` as a subprocess, long-polling the fake Bot API over HTTP.

One bot process serves the whole module (it loads the model once). The
tests play users against it in order: /start, a question and its
follow-up, the buttons, a question the articles don't answer, a group, an
admin's upload and a stranger's; the last test stops the bot and checks the
shutdown and that the token appears nowhere in its output.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.conversation import Conversation
from conftest import CORPUS, bot_environment
from fake_bot_api import FakeBotApi

pytestmark = pytest.mark.e2e

USER = 31337
OTHER_USER = 31338
ADMIN = 4040
GROUP = -100200300
START_TIMEOUT = 120.0
REPLY_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
TRUCE = "What did Putin say about the truce?"
NEW_ARTICLE_NAME = "harbour strike.txt"
NEW_ARTICLE = (
    "Harbour Strike Ends at Port Example\n\n"
    "Dock workers at Port Example went back to work on Monday after a two-week strike over pay.\n\n"
    "“We have won a fair deal for every worker on these docks,” said union leader Maria Lopez.\n"
)


@dataclass
class LiveBot:
    """The bot subprocess and the fake API it polls."""

    fake: FakeBotApi
    process: subprocess.Popen[bytes]
    corpus: Path
    index: Path
    stdout: Path
    stderr: Path

    def say(self, text: str, chat_id: int = USER, expect: int = 1, **kwargs: Any) -> list[dict[str, Any]]:
        """Send a user's message; wait for ``expect`` new bot messages in that chat and return them."""
        before = len(self.fake.messages_for(chat_id))
        self.fake.send_message(chat_id, text, **kwargs)
        return self.fake.wait_for_messages(chat_id, before + expect, REPLY_TIMEOUT)[before:]

    def press(self, message: dict[str, Any], data: str, expect: int = 1) -> list[dict[str, Any]]:
        """Press an inline button of a bot message in a private chat."""
        chat_id = message["chat_id"]
        before = len(self.fake.messages_for(chat_id))
        self.fake.press_button(chat_id, chat_id, message["message_id"], data)
        return self.fake.wait_for_messages(chat_id, before + expect, REPLY_TIMEOUT)[before:]

    def upload(self, user_id: int, name: str, content: bytes, expect: int) -> list[dict[str, Any]]:
        """A user sends a document in the private chat with the bot."""
        before = len(self.fake.messages_for(user_id))
        self.fake.send_document(user_id, user_id, name, content, "text/plain")
        return self.fake.wait_for_messages(user_id, before + expect, REPLY_TIMEOUT)[before:]

    def output(self) -> str:
        """Everything the process printed so far, stdout and stderr."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


@contextlib.contextmanager
def running_bot(root: Path, corpus: Path, index: Path, **env_extra: str) -> Iterator[LiveBot]:
    """``summitbot run`` against a new fake Bot API, serving ``corpus`` and ``index``; stopped afterwards."""
    stdout, stderr = root / "stdout.log", root / "stderr.log"
    with FakeBotApi() as fake:
        env = bot_environment(corpus, index, fake, SUMMITBOT_ADMIN_IDS=str(ADMIN), **env_extra)
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "--verbose", "run"], cwd=root, env=env, stdout=out, stderr=err
            )
        bot = LiveBot(fake, process, corpus, index, stdout, stderr)
        try:
            # Polling starts after setMyCommands and the warm-up.
            threading.Thread(target=lambda: (process.wait(), fake.notify()), daemon=True).start()
            fake.wait_until(lambda: fake.calls("getUpdates") or process.poll() is not None, START_TIMEOUT)
            assert process.poll() is None, f"the bot exited early:\n{bot.output()}"
            assert fake.calls("getUpdates"), f"the bot did not start polling:\n{bot.output()}"
            yield bot
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            assert fake.internal_errors == []


@pytest.fixture(scope="module")
def live_bot(tmp_path_factory: pytest.TempPathFactory, onnx_index: Path) -> Iterator[LiveBot]:
    """Start the fake Bot API and ``summitbot run`` against it; stop both afterwards."""
    root = tmp_path_factory.mktemp("e2e-bot")
    corpus, index = root / "corpus", root / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(onnx_index, index)
    with running_bot(root, corpus, index) as bot:
        yield bot


def cli_lines(engine: Any, *questions: str) -> list[str]:
    """What ``summitbot ask`` prints for the last question after the others, line by line."""
    conversation = Conversation()
    for question in questions[:-1]:
        engine.ask(question, conversation)
    return [line.strip() for line in engine.ask(questions[-1], conversation).text.splitlines()]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def test_start_registers_commands_and_shows_articles_and_examples(live_bot: LiveBot) -> None:
    assert [c["command"] for c in live_bot.fake.commands] == ["start", "help", "sources", "reset", "ask", "reindex"]
    [welcome] = live_bot.say("/start")
    assert "Erdogan and Putin Clash Over Idlib ‘Ceasefire’" in welcome["plain_text"]
    assert "7 September 2018" in welcome["plain_text"]
    examples = buttons(welcome)
    assert len(examples) == 3 and all(data.startswith("ask:") for data in examples.values())
    [answer] = live_bot.press(welcome, next(iter(examples.values())))
    # the first example is an overview, whose lines cite "(¶2)"; the others cite "paragraph 9"
    assert answer["plain_text"].startswith("❓ ") and ("paragraph" in answer["plain_text"] or "(¶" in answer["plain_text"])


def test_a_question_and_its_follow_up_get_the_cli_answers(live_bot: LiveBot, engine: Any) -> None:
    [answer] = live_bot.say(TRUCE)
    assert answer["parse_mode"] == "HTML"
    for line in cli_lines(engine, TRUCE):
        assert line in answer["plain_text"]
    assert {"type": "bold", "offset": 0, "length": len("Vladimir Putin")} in answer["entities"]
    [follow_up] = live_bot.say("Tell me more")
    for line in cli_lines(engine, TRUCE, "Tell me more"):
        assert line in follow_up["plain_text"]


def test_show_passage_and_more_buttons(live_bot: LiveBot, engine: Any) -> None:
    [answer] = live_bot.say(TRUCE)
    show = next(data for data in buttons(answer).values() if data.startswith("show:"))
    [passage] = live_bot.press(answer, show)
    assert "He also noted that the Syrian army was absent from the talks." in passage["plain_text"]
    assert any(entity["type"] == "bold" for entity in passage["entities"])
    [more] = live_bot.press(answer, "more")
    for line in cli_lines(engine, TRUCE, "More"):
        assert line in more["plain_text"]
    assert len(live_bot.fake.callback_answers) >= 3


def test_a_question_the_articles_do_not_answer(live_bot: LiveBot) -> None:
    [reply] = live_bot.say("What is the capital of France?")
    assert "The articles don't mention France" in reply["plain_text"]
    assert "/sources" in reply["plain_text"] and buttons(reply) == {}


def test_in_a_group_only_mentions_are_answered(live_bot: LiveBot) -> None:
    group = {"user_id": OTHER_USER, "chat_type": "group"}
    live_bot.fake.send_message(GROUP, TRUCE, **group)
    [reply] = live_bot.say(f"@{live_bot.fake.username} {TRUCE}", chat_id=GROUP, **group)
    live_bot.fake.wait_for_delivery()
    assert "no representatives of the armed opposition" in reply["plain_text"]
    assert len(live_bot.fake.messages_for(GROUP)) == 1


def test_an_admin_adds_an_article_and_a_stranger_cannot(live_bot: LiveBot) -> None:
    refused = live_bot.upload(OTHER_USER, "sneaky.txt", NEW_ARTICLE.encode(), expect=1)
    assert "only the bot's admins can add articles" in refused[0]["plain_text"]
    assert not (live_bot.corpus / "sneaky.txt").exists()

    [bad] = live_bot.upload(ADMIN, "photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00", expect=1)
    assert "binary" in bad["plain_text"] and "Nothing was changed" in bad["plain_text"]

    progress, outcome = live_bot.upload(ADMIN, NEW_ARTICLE_NAME, NEW_ARTICLE.encode(), expect=2)
    assert progress["plain_text"].startswith("Indexing harbour-strike.txt")
    assert "added: harbour-strike" in outcome["plain_text"]
    assert (live_bot.corpus / "harbour-strike.txt").read_bytes() == NEW_ARTICLE.encode()
    assert sorted(p.name for p in live_bot.corpus.iterdir() if not p.name.startswith(".")) == sorted(
        [p.name for p in CORPUS.iterdir() if not p.name.startswith(".")] + ["harbour-strike.txt"]
    )
    [answer] = live_bot.say("What did Maria Lopez say about the deal?", chat_id=ADMIN)
    assert "We have won a fair deal" in answer["plain_text"]


def test_the_bot_stops_cleanly_keeps_conversations_and_never_prints_the_token(live_bot: LiveBot) -> None:
    live_bot.process.send_signal(signal.SIGTERM)
    assert live_bot.process.wait(STOP_TIMEOUT) == 0
    output = live_bot.output()
    assert "is up" in output and "Traceback" not in output
    secret = live_bot.fake.token.split(":", 1)[1]
    assert live_bot.fake.token not in output and secret not in output
    state = json.loads((live_bot.index / "conversations.json").read_text(encoding="utf-8"))
    assert state["chats"][str(USER)]["conversation"]["last_query"] == "What is the capital of France?"
