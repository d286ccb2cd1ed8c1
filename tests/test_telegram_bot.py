"""The Telegram bot in-process: updates fed to ``Application.process_update``.

Every test builds the real Application (``build_application``) against the
fake Bot API on 127.0.0.1 and asserts on what the user would see. The
emulator parses HTML as strictly as Telegram (stricter about ``&``), so a
reply with broken markup fails its send and shows up here as the error reply.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import json
import stat
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from telegram import Update
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.answer import Answer, AnswerPart
from bot.conversation import Conversation
from bot.errors import ERROR_REPLY, exit_code_of
from bot.render import (
    article_key,
    escape,
    examples_keyboard,
    parse_show_passage,
    render_answer,
    show_passage_data,
    split_html,
    visible_length,
)
from bot.settings import Settings
from bot.telegram_app import (
    ASK_USAGE,
    BOT_COMMANDS,
    NOT_ADMIN_REINDEX,
    NOT_ADMIN_UPLOAD,
    OLD_ANSWER,
    RESET_TEXT,
    STATES_KEY,
    bot_logging,
    build_application,
    post_init,
    run_bot,
)
from bot.state import ChatState
from conftest import CORPUS
from fake_bot_api import FakeBotApi, parse_html
from fake_bot_api import utf16_len as fake_utf16_len
from index.corpus_admin import MAX_ARTICLE_BYTES
from index.passages import Passage

T = TypeVar("T")
HANG_GUARD_SECONDS = 60  # only ends a test that would otherwise hang; never a measure of speed

CHAT = 4242
ADMIN = 7001
GROUP = -100555
GROUP_USER = 5151
STRANGER = 6666
TRUCE = "What did Putin say about the truce?"
# Erdogan's words on the ceasefire run over more passages than one answer shows, so "More" has more.
CEASEFIRE = "What did Erdogan say about the ceasefire?"
LATER_ON_CEASEFIRE = "Aleppo and the Hmeimim regions"
LONG_ANSWER_PARTS = 60
FRANCE = "What is the capital of France?"
NEW_ARTICLE = (
    "Harbour Strike Ends at Port Example\n\n"
    "Dock workers at Port Example went back to work on Monday after a two-week strike over pay.\n\n"
    "“We have won a fair deal for every worker on these docks,” said union leader Maria Lopez.\n"
)
NEW_ARTICLE_QUESTION = "What did Maria Lopez say about the deal?"


# --------------------------------------------------------------------------- harness


@dataclasses.dataclass
class BotHarness:
    """Plays a user against an initialised Application; returns what the bot sent back."""

    fake: FakeBotApi
    app: Any

    async def _process(self, update: dict[str, Any], chat_id: int) -> list[dict[str, Any]]:
        before = len(self.fake.messages_for(chat_id))
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return self.fake.messages_for(chat_id)[before:]

    async def send(
        self, text: str, chat_id: int = CHAT, user_id: int | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """A user's text message; the bot's replies to it."""
        return await self._process(self.fake.send_message(chat_id, text, user_id, **kwargs), chat_id)

    async def press(self, message: dict[str, Any], data: str, user_id: int | None = None) -> list[dict[str, Any]]:
        """A press on an inline button of a bot message; the bot's new messages."""
        chat_id = message["chat_id"]
        update = self.fake.press_button(chat_id, user_id or chat_id, message["message_id"], data)
        return await self._process(update, chat_id)

    async def upload(self, name: str, content: bytes, user_id: int, chat_id: int | None = None) -> list[dict[str, Any]]:
        """A document sent by ``user_id`` in a private chat."""
        chat_id = chat_id or user_id
        return await self._process(self.fake.send_document(chat_id, user_id, name, content, "text/plain"), chat_id)


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as api:
        yield api
    assert api.internal_errors == []


@pytest.fixture
def settings(fake: FakeBotApi, seed_index: Path, tmp_path: Path) -> Settings:
    """Settings for a bot on the fake API, over the read-only seed index."""
    return Settings(
        corpus_dir=CORPUS,
        index_dir=seed_index,
        telegram_token=fake.token,
        telegram_base_url=fake.base_url,
        telegram_base_file_url=fake.base_file_url,
        admin_ids=frozenset({ADMIN}),
        state_file=tmp_path / "state" / "conversations.json",
    )


@pytest.fixture
def writable(settings: Settings, seed_index: Path, encoder: Any, tmp_path: Path) -> tuple[Settings, Any]:
    """Settings and an engine over private copies of the corpus and the index, for uploads."""
    from bot.engine import Engine

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(CORPUS, corpus)
    shutil.copytree(seed_index, index)
    return dataclasses.replace(settings, corpus_dir=corpus, index_dir=index), Engine(corpus, index, encoder)


def play(settings: Settings, engine: Any, fake: FakeBotApi, scenario: Callable[[BotHarness], Awaitable[T]]) -> T:
    """Run ``scenario`` against a freshly built, initialised Application; shut it down after."""

    async def main() -> T:
        app = build_application(settings, engine)
        async with app:
            return await scenario(BotHarness(fake, app))

    return asyncio.run(main())


def cli_lines(answer: Answer) -> list[str]:
    """The lines ``summitbot ask`` prints for an answer, without indentation."""
    return [line.strip() for line in answer.text.splitlines()]


def replay(engine: Any, *questions: str) -> Answer:
    """What the engine answers to the last question after the others, in one conversation."""
    conversation = Conversation()
    for question in questions[:-1]:
        engine.ask(question, conversation)
    return engine.ask(questions[-1], conversation)


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """Button text → callback data of a message's inline keyboard."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def bold_texts(message: dict[str, Any]) -> list[str]:
    """The stretches of a message's text that Telegram shows in bold."""
    text = message["plain_text"]
    return [text[e["offset"] : e["offset"] + e["length"]] for e in message["entities"] if e["type"] == "bold"]


def assert_buttons_fit(messages: list[dict[str, Any]]) -> None:
    for message in messages:
        for data in buttons(message).values():
            assert 0 < len(data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


# --------------------------------------------------------------------------- commands


def test_post_init_registers_the_commands(fake, settings, engine):
    async def scenario(bot: BotHarness) -> None:
        await post_init(bot.app)

    play(settings, engine, fake, scenario)
    assert [c["command"] for c in fake.commands] == ["start", "help", "sources", "reset", "ask", "reindex"]
    assert fake.commands == [{"command": c.command, "description": c.description} for c in BOT_COMMANDS]


def test_start_lists_titles_dates_and_tap_to_ask_examples(fake, settings, engine):
    async def scenario(bot: BotHarness) -> tuple[list, list]:
        [welcome] = await bot.send("/start")
        example = next(iter(buttons(welcome).values()))
        return [welcome], await bot.press(welcome, example)

    [welcome], [answer] = play(settings, engine, fake, scenario)
    for title, date, _ in engine.coverage():
        assert title in welcome["plain_text"]
    assert "7 September 2018" in welcome["plain_text"]
    examples = buttons(welcome)
    assert len(examples) == 3 and all(data == f"ask:{text}" for text, data in examples.items())
    assert_buttons_fit([welcome])
    question = next(iter(examples))
    assert answer["plain_text"].startswith(f"❓ {question}")
    for line in cli_lines(replay(engine, question)):
        assert line in answer["plain_text"]
    assert fake.callback_answers and "text" not in fake.callback_answers[-1]


def test_help_and_sources(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        return await bot.send("/help") + await bot.send("/sources")

    help_reply, sources_reply = play(settings, engine, fake, scenario)
    for command in ("/sources", "/reset", "/ask <question>", "/help", "/reindex"):
        assert command in help_reply["plain_text"]
    for title, _, passages in engine.coverage():
        assert f"{title} — " in sources_reply["plain_text"]
        assert f"{passages} passages" in sources_reply["plain_text"]
    assert "7 September 2018" in sources_reply["plain_text"]


def test_unknown_command_points_to_help(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        return await bot.send("/frobnicate")

    [reply] = play(settings, engine, fake, scenario)
    assert "/help" in reply["plain_text"]


# --------------------------------------------------------------------------- questions and answers


def test_question_gets_the_cli_answer_in_html_with_buttons(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        return await bot.send(TRUCE)

    [reply] = play(settings, engine, fake, scenario)
    expected = replay(engine, TRUCE)
    assert reply["parse_mode"] == "HTML"
    for line in cli_lines(expected):
        assert line in reply["plain_text"]
    assert "no representatives of the armed opposition" in reply["plain_text"]
    assert "Vladimir Putin" in bold_texts(reply)
    assert "paragraph 9" in reply["plain_text"]
    labels = buttons(reply)
    assert "More" in labels and any(label.startswith(("Show passage", "Passage ¶")) for label in labels)
    assert_buttons_fit([reply])


def test_a_quick_answer_spends_no_request_on_typing(fake, settings, engine):
    ready = engine.ask(TRUCE)

    class Instant:
        def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
            return ready

        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

    async def scenario(bot: BotHarness) -> list:
        return await bot.send(TRUCE)

    [reply] = play(settings, Instant(), fake, scenario)
    assert "paragraph 9" in reply["plain_text"]
    assert fake.calls("sendChatAction") == []


def test_follow_up_and_more_button_match_the_cli_conversation(fake, settings, engine):
    async def scenario(bot: BotHarness) -> tuple[list, list, list]:
        first = await bot.send(CEASEFIRE)
        follow_up = await bot.send("Tell me more")
        more = await bot.press(first[-1], "more")
        return first, follow_up, more

    first, [follow_up], [more] = play(settings, engine, fake, scenario)
    for line in cli_lines(replay(engine, CEASEFIRE, "Tell me more")):
        assert line in follow_up["plain_text"]
    assert LATER_ON_CEASEFIRE in follow_up["plain_text"]
    # "More" under the first answer continues that answer, whatever came after it.
    assert more["plain_text"] == follow_up["plain_text"]


def test_more_on_an_older_answer_continues_that_answer(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        [truce] = await bot.send(TRUCE)
        await bot.send(FRANCE)
        return await bot.press(truce, "more")

    [more] = play(settings, engine, fake, scenario)
    for line in cli_lines(replay(engine, TRUCE, "More")):
        assert line in more["plain_text"]
    assert "France" not in more["plain_text"]


def test_more_on_a_forgotten_answer_says_so(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        [truce] = await bot.send(TRUCE)
        async with bot.app.bot_data[STATES_KEY].chat(CHAT) as state:
            state.answers.clear()  # as if the answer were long gone
        return await bot.press(truce, "more")

    assert play(settings, engine, fake, scenario) == []
    assert fake.callback_answers[-1]["text"] == OLD_ANSWER


def test_show_passage_gives_the_paragraph_with_the_answering_sentences_in_bold(fake, settings, engine):
    async def scenario(bot: BotHarness) -> tuple[dict, list]:
        [reply] = await bot.send(TRUCE)
        show = next(data for data in buttons(reply).values() if data.startswith("show:"))
        return reply, await bot.press(reply, show)

    reply, [passage_reply] = play(settings, engine, fake, scenario)
    passage = replay(engine, TRUCE).parts[0].passage
    assert passage.text in passage_reply["plain_text"]
    assert f"paragraph {passage.paragraph}" in passage_reply["plain_text"]
    bold = bold_texts(passage_reply)
    assert any("no representatives of the armed opposition" in b for b in bold)
    assert not any("Syrian army was absent" in b for b in bold)  # the sentence that does not answer


def test_html_in_the_question_is_escaped(fake, settings, engine):
    question = "<b>What</b> did Putin say & why?"

    async def scenario(bot: BotHarness) -> list:
        return await bot.send(question) + await bot.send("Did <Zelensky> & Co. say <i>anything</i>?")

    found, not_found = play(settings, engine, fake, scenario)
    for line in cli_lines(replay(engine, question)):
        assert line in found["plain_text"]
    assert ERROR_REPLY not in (found["plain_text"], not_found["plain_text"])
    for line in cli_lines(replay(engine, "Did <Zelensky> & Co. say <i>anything</i>?")):
        assert line in not_found["plain_text"]


def test_html_in_an_example_question_is_escaped_when_echoed(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        fake.add_chat(CHAT)
        keyboard = examples_keyboard(["Did <b>Putin</b> & Erdogan agree?"])
        sent = await bot.app.bot.send_message(CHAT, "Examples", reply_markup=keyboard)
        message = fake.messages_for(CHAT)[-1]
        assert message["message_id"] == sent.message_id
        return await bot.press(message, "ask:Did <b>Putin</b> & Erdogan agree?")

    [reply] = play(settings, engine, fake, scenario)
    assert reply["plain_text"].startswith("❓ Did <b>Putin</b> & Erdogan agree?")


def test_nothing_found_says_so_plainly_and_offers_sources(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        return await bot.send(FRANCE)

    [reply] = play(settings, engine, fake, scenario)
    expected = replay(engine, FRANCE)
    assert not expected.found
    assert reply["plain_text"].startswith(expected.note)
    assert "/sources" in reply["plain_text"]
    assert buttons(reply) == {}


def test_reset_forgets_the_conversation(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        await bot.send(TRUCE)
        return await bot.send("/reset") + await bot.send("Tell me more")

    reset_reply, after = play(settings, engine, fake, scenario)
    assert reset_reply["plain_text"] == RESET_TEXT
    fresh = replay(engine, "Tell me more")
    assert after["plain_text"].startswith(fresh.note or fresh.parts[0].text)
    assert "I believe the Turkish president" not in after["plain_text"]


@pytest.mark.parametrize(
    "text, reply",
    [
        ("/ask", ASK_USAGE),
        ("/ask    ", ASK_USAGE),
        ("x" * 1001, "Sorry, the question is 1001 characters long; the limit is 1000."),
    ],
)
def test_unusable_questions_get_a_polite_reply(fake, settings, engine, text, reply):
    async def scenario(bot: BotHarness) -> list:
        return await bot.send(text)

    [message] = play(settings, engine, fake, scenario)
    assert message["plain_text"] == reply


def test_ask_command_answers(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        return await bot.send(f"/ask {TRUCE}")

    [reply] = play(settings, engine, fake, scenario)
    for line in cli_lines(replay(engine, TRUCE)):
        assert line in reply["plain_text"]


def test_long_answers_are_split_on_paragraphs_with_buttons_on_the_last(fake, settings, engine):
    class LongAnswers:
        """The real engine, but every answer cites 60 passages."""

        def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
            answer = engine.ask(question, conversation)
            parts = [
                dataclasses.replace(part, passage=dataclasses.replace(part.passage, paragraph=100 + number))
                for number, part in enumerate((answer.parts * LONG_ANSWER_PARTS)[:LONG_ANSWER_PARTS])
            ]
            return dataclasses.replace(answer, parts=parts)

        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

    async def scenario(bot: BotHarness) -> list:
        return await bot.send(TRUCE)

    replies = play(settings, LongAnswers(), fake, scenario)
    assert len(replies) >= 3
    assert all(len(reply["plain_text"]) <= MessageLimit.MAX_TEXT_LENGTH for reply in replies)
    assert [bool(buttons(reply)) for reply in replies] == [False] * (len(replies) - 1) + [True]
    for reply in replies:  # every message is whole paragraphs: a quote first, a citation last
        assert reply["plain_text"].startswith("Vladimir Putin: “")
        assert reply["plain_text"].rstrip().split("\n")[-1].startswith("— ")
    assert sum(reply["plain_text"].count("paragraph 1") for reply in replies) == LONG_ANSWER_PARTS


def test_groups_answer_only_when_mentioned_replied_to_or_asked(fake, settings, engine):
    group = {"chat_id": GROUP, "user_id": GROUP_USER, "chat_type": "group"}

    async def scenario(bot: BotHarness) -> dict[str, list]:
        results = {"plain": await bot.send(TRUCE, **group)}
        results["mention"] = await bot.send(f"@{fake.username} {TRUCE}", **group)
        results["ceasefire"] = await bot.send(f"@{fake.username} {CEASEFIRE}", **group)
        answer_id = results["ceasefire"][-1]["message_id"]
        results["reply"] = await bot.send("Tell me more", reply_to_message_id=answer_id, **group)
        results["ask"] = await bot.send(f"/ask@{fake.username} {TRUCE}", **group)
        results["other bot"] = await bot.send(f"/ask@some_other_bot {TRUCE}", **group)
        return results

    results = play(settings, engine, fake, scenario)
    assert results["plain"] == [] and results["other bot"] == []
    truce_lines = cli_lines(replay(engine, TRUCE))
    for key in ("mention", "ask"):
        [reply] = results[key]
        assert all(line in reply["plain_text"] for line in truce_lines)
        assert reply["reply_to_message_id"] is not None  # in groups the answer quotes the question
    [follow_up] = results["reply"]
    assert LATER_ON_CEASEFIRE in follow_up["plain_text"]


def test_one_slow_question_does_not_stall_other_chats(fake, settings, engine):
    started, release = threading.Event(), threading.Event()

    class SlowForOneChat:
        def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
            if question.startswith("Slowly"):
                started.set()
                release.wait(HANG_GUARD_SECONDS)
            return engine.ask(question, conversation)

        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

    async def scenario(bot: BotHarness) -> tuple[list, list]:
        slow = asyncio.create_task(bot.send(f"Slowly: {TRUCE}", chat_id=1))
        assert await asyncio.to_thread(started.wait, HANG_GUARD_SECONDS)
        fast = await bot.send(TRUCE, chat_id=2)  # answered while chat 1's question is still held
        assert not slow.done()
        await fake.wait_for_calls_async("sendChatAction", timeout=HANG_GUARD_SECONDS)  # chat 1 shows "typing…"
        release.set()
        return fast, await slow

    fast, slow = play(settings, SlowForOneChat(), fake, scenario)
    assert len(fast) == 1 and len(slow) == 1
    assert {"chat_id": 1, "action": "typing"} in fake.calls("sendChatAction")  # the slow one shows it meanwhile
    order = [(method, params.get("chat_id")) for method, params in fake.requests if method in ("sendChatAction", "sendMessage")]
    assert order.index(("sendChatAction", 1)) < order.index(("sendMessage", 1))


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # raised inside PTB's RetryAfter
def test_a_flood_limit_answer_is_waited_out_and_retried(fake, settings, engine):
    async def scenario(bot: BotHarness) -> list:
        fake.fail_next("sendMessage", 429, retry_after=1)
        return await bot.send(TRUCE)

    [reply] = play(settings, engine, fake, scenario)
    assert "no representatives of the armed opposition" in reply["plain_text"]
    assert len(fake.calls("sendMessage")) == 2  # refused with RetryAfter, then sent


# --------------------------------------------------------------------------- state across restarts


def test_conversation_survives_a_restart(fake, settings, engine):
    async def first(bot: BotHarness) -> list:
        return await bot.send(CEASEFIRE)

    async def second(bot: BotHarness) -> list:
        return await bot.send("Tell me more")

    play(settings, engine, fake, first)
    state = settings.conversation_state_file
    assert state.is_file()
    assert [p.name for p in state.parent.iterdir()] == [state.name]  # written via a temporary file, then replaced
    assert stat.S_IMODE(state.stat().st_mode) == 0o600  # conversations are private
    assert json.loads(state.read_text(encoding="utf-8"))["chats"][str(CHAT)]["conversation"]["last_query"] == CEASEFIRE
    [after_restart] = play(settings, engine, fake, second)
    assert LATER_ON_CEASEFIRE in after_restart["plain_text"]


def test_a_damaged_state_file_is_logged_and_replaced(fake, settings, engine, caplog):
    state = settings.conversation_state_file
    state.parent.mkdir(parents=True)
    state.write_bytes(b"this is not JSON")

    async def scenario(bot: BotHarness) -> list:
        return await bot.send(TRUCE)

    with caplog.at_level(logging.WARNING, logger="bot.state"):
        [reply] = play(settings, engine, fake, scenario)
    assert "no representatives of the armed opposition" in reply["plain_text"]
    assert any("damaged" in record.getMessage() for record in caplog.records)
    assert state.with_name(state.name + ".damaged").read_bytes() == b"this is not JSON"
    saved = json.loads(state.read_bytes())
    assert saved["chats"][str(CHAT)]["conversation"]["last_query"] == TRUCE


def test_a_conversation_saved_by_an_older_version_is_upgraded():
    old = ChatState(Conversation(last_query=TRUCE, named=("Vladimir Putin",))).to_data()
    del old["conversation"]["shown"]  # as if saved before the field existed
    old["conversation"]["mood"] = "cheerful"  # or by a newer version with a field this one lacks
    upgraded = ChatState.from_data(json.loads(json.dumps(old))).conversation
    assert upgraded == Conversation(last_query=TRUCE, named=("Vladimir Putin",))
    assert ChatState.from_data({"conversation": {"last_query": 7}}).conversation == Conversation()


# --------------------------------------------------------------------------- admin: uploads and /reindex


def test_admin_upload_is_stored_indexed_and_answerable(fake, writable):
    settings, engine = writable

    async def scenario(bot: BotHarness) -> tuple[list, list]:
        upload = await bot.upload("Harbour strike.txt", NEW_ARTICLE.encode(), ADMIN)
        return upload, await bot.send(NEW_ARTICLE_QUESTION, chat_id=ADMIN)

    (progress, outcome), [answer] = play(settings, engine, fake, scenario)
    assert progress["plain_text"].startswith("Indexing Harbour-strike.txt")
    assert "added: Harbour-strike" in outcome["plain_text"]
    assert "articles" in outcome["plain_text"] and "passages" in outcome["plain_text"]
    assert (settings.corpus_dir / "Harbour-strike.txt").read_bytes() == NEW_ARTICLE.encode()
    assert "We have won a fair deal" in answer["plain_text"]
    assert "Harbour Strike Ends at Port Example" in answer["plain_text"]


def test_uploads_keep_their_names_and_never_replace_another_article(fake, writable):
    settings, engine = writable
    other = NEW_ARTICLE.replace("Port Example", "Port Sample")

    async def scenario(bot: BotHarness) -> list:
        return (
            await bot.upload("Забастовка.txt", NEW_ARTICLE.encode(), ADMIN)
            + await bot.upload("Забастовка.txt", other.encode(), ADMIN)
            + await bot.upload("again.txt", NEW_ARTICLE.encode(), ADMIN)
        )

    replies = [reply["plain_text"] for reply in play(settings, engine, fake, scenario)]
    assert replies[0].startswith("Indexing Забастовка.txt") and replies[2].startswith("Indexing Забастовка-2.txt")
    assert replies[-1] == "again.txt is already there as Забастовка.txt. Nothing was changed."
    assert (settings.corpus_dir / "Забастовка.txt").read_text(encoding="utf-8") == NEW_ARTICLE
    assert (settings.corpus_dir / "Забастовка-2.txt").read_text(encoding="utf-8") == other


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("latin.txt", "Caf\u00e9 news\n\nA paragraph.".encode("latin-1"), "not UTF-8"),
        ("empty.txt", b"   \n", "empty"),
        ("huge.txt", b"Title\n\n" + b"word " * (MAX_ARTICLE_BYTES // 5), "the limit is"),
        ("untitled.html", b"<html><body><p>Only a paragraph.</p></body></html>", "no title"),
        ("report.pdf", b"%PDF-1.7", "not an article file"),
    ],
)
def test_bad_uploads_get_a_clear_reply_and_change_nothing(fake, writable, name, content, reason):
    settings, engine = writable
    before = sorted(p.name for p in settings.corpus_dir.iterdir())

    async def scenario(bot: BotHarness) -> list:
        return await bot.upload(name, content, ADMIN)

    [reply] = play(settings, engine, fake, scenario)
    assert reply["plain_text"].startswith("Sorry, I can't add that file")
    assert reason in reply["plain_text"] and "Nothing was changed" in reply["plain_text"]
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == before


def test_non_admins_cannot_upload_or_reindex(fake, writable):
    settings, engine = writable
    before = sorted(p.name for p in settings.corpus_dir.iterdir())

    async def scenario(bot: BotHarness) -> list:
        return await bot.upload("strike.txt", NEW_ARTICLE.encode(), CHAT) + await bot.send("/reindex")

    upload_reply, reindex_reply = play(settings, engine, fake, scenario)
    assert upload_reply["plain_text"] == NOT_ADMIN_UPLOAD
    assert reindex_reply["plain_text"] == NOT_ADMIN_REINDEX
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == before
    assert fake.calls("getFile") == []


def test_admin_reindex_reports_progress_and_outcome(fake, writable):
    settings, engine = writable
    (settings.corpus_dir / "strike.txt").write_text(NEW_ARTICLE, encoding="utf-8")

    async def scenario(bot: BotHarness) -> list:
        return await bot.send("/reindex", chat_id=ADMIN)

    progress, outcome = play(settings, engine, fake, scenario)
    assert progress["plain_text"] == "Indexing the corpus …"
    assert "added: strike" in outcome["plain_text"]


# --------------------------------------------------------------------------- access, errors, logs, start-up


def test_strangers_get_one_polite_refusal_when_an_allowlist_is_set(fake, settings, engine):
    allowlisted = dataclasses.replace(settings, allowed_user_ids=frozenset({CHAT}))

    async def scenario(bot: BotHarness) -> tuple[list, list, list]:
        refused = await bot.send(TRUCE, chat_id=STRANGER) + await bot.send("/start", chat_id=STRANGER)
        allowed = await bot.send(TRUCE)
        admin = await bot.send("/help", chat_id=ADMIN)
        return refused, allowed, admin

    refused, allowed, admin = play(allowlisted, engine, fake, scenario)
    assert len(refused) == 1 and "private" in refused[0]["plain_text"] and str(STRANGER) in refused[0]["plain_text"]
    assert "no representatives" in allowed[0]["plain_text"]
    assert len(admin) == 1


def test_the_error_handler_logs_and_tells_the_user(fake, settings, engine, caplog):
    class Broken:
        def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
            raise RuntimeError("the index fell over")

        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

    async def scenario(bot: BotHarness) -> list:
        return await bot.send(TRUCE)

    with caplog.at_level(logging.ERROR):
        [reply] = play(settings, Broken(), fake, scenario)
    assert reply["plain_text"] == ERROR_REPLY
    [record] = [r for r in caplog.records if r.name == "bot.telegram_app"]
    assert f"in chat {CHAT}" in record.getMessage() and record.exc_info[0] is RuntimeError


def test_the_token_never_reaches_the_logs(fake, writable, caplog):
    settings, engine = writable

    async def scenario(bot: BotHarness) -> None:
        await post_init(bot.app)
        [reply] = await bot.send(TRUCE, chat_id=ADMIN)
        await bot.press(reply, "more", user_id=ADMIN)
        await bot.upload("strike.txt", NEW_ARTICLE.encode(), ADMIN)

    caplog.set_level(logging.DEBUG)
    play(settings, engine, fake, lambda bot: bot.send("/help"))
    assert fake.token in caplog.text  # the check can fail: PTB's DEBUG lines carry the API URL
    caplog.clear()
    with bot_logging(fake.token):  # what run_bot wraps the running bot in
        play(settings, engine, fake, scenario)
    assert fake.calls("getFile") and len(caplog.records) > 100
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert fake.token not in caplog.text
    assert not any(fake.token in (record.exc_text or "") for record in caplog.records)


@pytest.fixture
def restore_event_loop() -> Iterator[None]:
    yield
    asyncio.set_event_loop(None)


def test_a_rejected_token_is_one_line_and_exit_code_2(fake, settings, engine, capfd, caplog, restore_event_loop):
    wrong = f"{fake.token.split(':')[0]}:definitely-not-the-token"
    code = exit_code_of(lambda: run_bot(dataclasses.replace(settings, telegram_token=wrong), engine))
    out, err = capfd.readouterr()
    assert code == 2
    assert err.strip().splitlines() == [err.strip()] and err.startswith("summitbot: error: Telegram rejected")
    everything = out + err + caplog.text
    assert "Traceback" not in everything and "definitely-not-the-token" not in everything
    assert fake.token not in everything


def test_an_unreachable_api_is_one_line_and_exit_code_1(fake, settings, engine, capfd, caplog, restore_event_loop):
    fake.stop()
    code = exit_code_of(lambda: run_bot(settings, engine))
    err = capfd.readouterr().err
    assert code == 1 and err.startswith("summitbot: error: cannot reach the Telegram Bot API")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err + caplog.text


def test_a_missing_token_is_exit_code_2(settings, engine, capfd):
    assert exit_code_of(lambda: run_bot(dataclasses.replace(settings, telegram_token=""), engine)) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in capfd.readouterr().err


# --------------------------------------------------------------------------- rendering and splitting


def test_callback_data_fits_even_for_long_article_ids():
    passage = Passage("a" * 80, "A title", "2020-01-01", 123, "One. Two. Three.")
    data = show_passage_data(passage, [0, 2])
    assert len(data.encode()) <= InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
    request = parse_show_passage(data)
    assert request is not None and request.highlighted == {0, 2} and request.paragraph == passage.paragraph
    assert request.article_key == article_key(passage.article)
    assert parse_show_passage("show:x:y:z") is None and parse_show_passage("more") is None
    long_question = "What did " + "very " * 20 + "important people say?"
    keyboard = examples_keyboard(["Short one?", long_question])
    assert keyboard is not None and [row[0].text for row in keyboard.inline_keyboard] == ["Short one?"]


def _check_pieces(pieces: list[str], limit: int) -> str:
    """Every piece parses as Telegram HTML and fits; returns the visible text joined."""
    visible = []
    for piece in pieces:
        plain, _ = parse_html(piece)
        assert len(plain) <= limit and plain.strip()
        visible.append(plain)
    return "".join(visible)


def test_split_html_keeps_paragraphs_whole_and_tags_closed():
    quote = "words &amp; more " * 8
    paragraphs = [f"<b>Speaker {n}</b>: “{quote}”\n<i>— Title, paragraph {n}</i>" for n in range(40)]
    text = "\n\n".join(paragraphs)
    pieces = split_html(text, limit=500)
    assert len(pieces) > 5
    assert "\n\n".join(pieces) == text  # cut only at paragraph boundaries
    _check_pieces(pieces, 500)


def test_split_html_cuts_an_over_long_paragraph_between_words_and_reopens_tags():
    text = "<i>— Title</i>\n\n" + "Lead " + "<b>" + "bold &lt;word&gt; " * 100 + "</b> tail " + "x" * 250
    pieces = split_html(text, limit=120)
    joined = _check_pieces(pieces, 120)
    original, _ = parse_html(text)
    assert joined.replace(" ", "").replace("\n", "") == original.replace(" ", "").replace("\n", "")
    assert all(piece.count("<b>") == piece.count("</b>") for piece in pieces)
    assert visible_length(pieces[0]) == len("— Title")


def test_render_answer_escapes_everything_from_articles():
    passage = Passage("x", "Q&A <live>", "2020-02-03", 2, "He said “<b>no</b> & never”.", "A <B>")
    answer = Answer("q?", "q?", True, parts=[AnswerPart("<b>no</b> & never", "A <B>", True, passage)])
    plain, entities = parse_html(render_answer(answer))
    assert plain == "A <B>: “<b>no</b> & never”\n— Q&A <live>, 3 February 2020, paragraph 2"
    assert {"type": "bold", "offset": 0, "length": 5} in entities


_words = st.text(alphabet=st.sampled_from("ab<>&é “”\n"), min_size=1, max_size=40)


@st.composite
def _html_paragraphs(draw: st.DrawFn) -> str:
    paragraphs = []
    for _ in range(draw(st.integers(1, 6))):
        pieces = []
        for _ in range(draw(st.integers(1, 5))):
            text = escape(draw(_words))
            tag = draw(st.sampled_from(["", "b", "i"]))
            pieces.append(f"<{tag}>{text}</{tag}>" if tag else text)
        paragraphs.append("".join(pieces).strip("\n") or "x")
    return "\n\n".join(paragraphs)


@hypothesis_settings(max_examples=150, deadline=None)
@given(text=_html_paragraphs(), limit=st.integers(8, 120))
def test_split_html_always_yields_valid_messages_that_fit(text: str, limit: int) -> None:
    pieces = split_html(text, limit)
    joined = "".join(parse_html(piece)[0] for piece in pieces)
    for piece in pieces:
        plain, _ = parse_html(piece)
        assert len(plain) <= limit
    original, _ = parse_html(text)
    assert "".join(joined.split()) == "".join(original.split())


def test_an_answer_full_of_emoji_is_delivered_whole(fake, settings, engine):
    emoji_quote = "“" + " ".join(["🇹🇷🤝🇷🇺"] * 400) + "”"  # flags are pairs of characters outside the BMP

    class EmojiAnswers:
        """The real engine, but every quote is hundreds of emoji, over several messages."""

        def ask(self, question: str, conversation: Conversation | None = None) -> Answer:
            answer = engine.ask(question, conversation)
            parts = [
                dataclasses.replace(part, text=emoji_quote, passage=dataclasses.replace(part.passage, paragraph=100 + n))
                for n, part in enumerate((answer.parts * 4)[:4])
            ]
            return dataclasses.replace(answer, parts=parts)

        def __getattr__(self, name: str) -> Any:
            return getattr(engine, name)

    replies = play(settings, EmojiAnswers(), fake, lambda bot: bot.send(TRUCE))
    assert len(replies) >= 4 and ERROR_REPLY not in [reply["plain_text"] for reply in replies]
    assert all(fake_utf16_len(reply["plain_text"]) <= MessageLimit.MAX_TEXT_LENGTH for reply in replies)
    delivered = "".join(reply["plain_text"] for reply in replies)
    assert delivered.count("🇹🇷🤝🇷🇺") == 4 * 400  # nothing lost at a cut
    assert buttons(replies[-1])


@pytest.mark.parametrize("word", ["🙂" * 5000, "a🙂" * 3000, "𝔸" * 4097])
def test_a_giant_word_of_non_bmp_characters_is_cut_between_characters(word):
    pieces = split_html(f"<b>{word}</b>")
    assert all(visible_length(piece) <= MessageLimit.MAX_TEXT_LENGTH for piece in pieces)
    assert all(fake_utf16_len(parse_html(piece)[0]) <= MessageLimit.MAX_TEXT_LENGTH for piece in pieces)
    assert "".join(parse_html(piece)[0] for piece in pieces) == word
