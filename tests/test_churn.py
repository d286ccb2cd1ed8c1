"""Churn: articles come and go while questions keep coming, from the CLI and the bot at once.

One process adds and removes an article and rebuilds, CHURN_ROUNDS times. Meanwhile
CLI_ASKERS loops run ``summitbot ask --json`` back to back (each run a fresh process,
so some start on a corpus changed but not yet rebuilt), and BOT_CHATS chats ask the
running ``summitbot run`` without pause through the Bot API emulator. Everything runs
with the product's default settings and encoder, on 127.0.0.1. No question may fail,
no process may print a traceback, and every passage answered must be one a complete
build holds: the text of that paragraph of that article, exactly.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.errors import ERROR_REPLY
from conftest import CORPUS, DATA, bot_environment
from fake_bot_api import FakeBotApi
from index.articles import load_corpus
from index.passages import split_passages

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
CHURNED = DATA / "mackerel-talks.md"
CHURN_ROUNDS = 4  # added, removed, added, removed
CLI_ASKERS = 2
BOT_CHATS = 3
FIRST_CHAT = 880_000
HANG_GUARD_SECONDS = 300  # only ends a run that would otherwise hang; never a measure of speed
TRUCE = "What did Putin say about the truce?"
TURNS = [TRUCE, "And Erdogan?", "What did Halvorsen say about the mackerel?"]
TRUCE_WORDS = "no representatives of the armed opposition"


def complete_passages() -> set[tuple[str, int, str]]:
    """Every (article, paragraph, text) a complete build can hold, with or without the churned article."""
    articles = load_corpus(CORPUS) + [a for a in load_corpus(DATA) if a.id == CHURNED.stem]
    return {(p.article, p.paragraph, p.text) for article in articles for p in split_passages(article)[0]}


def test_questions_never_fail_while_articles_come_and_go(tmp_path, onnx_index):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(onnx_index, index)
    cli_runs: list[subprocess.CompletedProcess[str]] = []
    bot_replies: list[tuple[str, list[dict[str, Any]]]] = []
    with FakeBotApi() as fake:
        env = bot_environment(corpus, index, fake, SUMMITBOT_STATE_FILE=str(tmp_path / "conversations.pickle"))
        bot_log = tmp_path / "bot.log"
        with bot_log.open("wb") as log:
            bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, stdout=log, stderr=log)
        try:
            threading.Thread(target=lambda: (bot.wait(), fake.notify()), daemon=True).start()
            fake.wait_until(lambda: fake.calls("getUpdates") or bot.poll() is not None, HANG_GUARD_SECONDS)
            assert bot.poll() is None, bot_log.read_text(errors="replace")

            writer = subprocess.Popen(
                [sys.executable, str(HERE / "churn_writer.py"), str(corpus), str(index), str(CHURNED), str(CHURN_ROUNDS)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )

            def churning(done: int) -> bool:
                return writer.poll() is None or done == 0  # every asker asks at least once

            def ask_through_the_cli() -> None:
                done = 0
                while churning(done):
                    command = [sys.executable, "-m", "bot.cli", "ask", "--json", *TURNS]
                    cli_runs.append(subprocess.run(command, env=env, capture_output=True, text=True, timeout=HANG_GUARD_SECONDS))
                    done += 1

            def ask_through_the_bot(chat: int) -> None:
                done = 0
                while churning(done):
                    question = TURNS[done % len(TURNS)]
                    before = len(fake.messages_for(chat))
                    fake.send_message(chat, question)
                    bot_replies.append((question, fake.wait_for_messages(chat, before + 1, HANG_GUARD_SECONDS)[before:]))
                    done += 1

            askers = [threading.Thread(target=ask_through_the_cli) for _ in range(CLI_ASKERS)]
            askers += [threading.Thread(target=ask_through_the_bot, args=(FIRST_CHAT + n,)) for n in range(BOT_CHATS)]
            for thread in askers:
                thread.start()
            written, writer_errors = writer.communicate(timeout=HANG_GUARD_SECONDS)
            for thread in askers:
                thread.join(HANG_GUARD_SECONDS)
        finally:
            bot.terminate()
            bot.wait(HANG_GUARD_SECONDS)
        assert fake.internal_errors == []

    assert writer.returncode == 0, writer_errors
    assert len(written.splitlines()) == CHURN_ROUNDS and "added: mackerel-talks" in written
    assert "Traceback" not in writer_errors
    assert "Traceback" not in bot_log.read_text(errors="replace")

    complete = complete_passages()
    assert len(cli_runs) >= CLI_ASKERS
    for run in cli_runs:
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
        turns = [json.loads(line) for line in run.stdout.splitlines()]
        assert [turn["question"] for turn in turns] == TURNS
        assert turns[0]["found"] and TRUCE_WORDS in turns[0]["answer"]
        for turn in turns:
            for passage in turn["passages"]:
                assert (passage["article"], passage["paragraph"], passage["text"]) in complete, passage

    assert len(bot_replies) >= BOT_CHATS
    for question, replies in bot_replies:
        assert len(replies) == 1 and replies[0]["plain_text"] != ERROR_REPLY, (question, replies)
        if question == TRUCE:
            assert TRUCE_WORDS in replies[0]["plain_text"]
