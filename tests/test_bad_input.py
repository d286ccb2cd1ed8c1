"""Nasty input through the engine and the CLI: a clear answer or a clear refusal, never a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation import Conversation
from bot.engine import MAX_QUESTION_CHARS, QuestionError
from test_cli import run

NASTY_INPUTS = [
    "",
    "   \t\n  ",
    "x" * 10_000,
    "?!?!...,,,;;;",
    "🙂🔥🇹🇷🇷🇺",
    "<b>What</b> did <i>Putin</i> say & why?",
    "*bold* _italic_ `code` [link](http://example.org)",
    "ما الذي قاله بوتين عن الهدنة؟",
    "\u202eWhat did Putin say?\u202c",
    "What\x00 did\x07 Putin\x1b say?",
    "Что сказал Эрдоган? 埃尔多安说了什么？",
    "/start extra arguments here",
    "And?",
    "He?",
    "Tell me more",
    "\ud7ff\ue000\uffff",
]


@pytest.mark.parametrize("question", NASTY_INPUTS)
def test_engine_answers_or_refuses_clearly(engine, question):
    try:
        answer = engine.ask(question, Conversation())
    except QuestionError as exc:
        assert str(exc)
        return
    assert answer.text.strip()
    assert "\x00" not in answer.query


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(turns=st.lists(st.text(max_size=300), min_size=1, max_size=4))
def test_any_text_in_any_conversation_never_crashes(engine, turns):
    conversation = Conversation()
    for question in turns:
        try:
            answer = engine.ask(question, conversation)
        except QuestionError as exc:
            assert "question is empty" in str(exc) or f"limit is {MAX_QUESTION_CHARS}" in str(exc)
            continue
        assert answer.text.strip()
        assert not answer.found or answer.parts  # "quoted, but not about that" shows related passages, not found


@pytest.fixture(scope="module")
def cli_env(seed_index, tmp_path_factory):
    import shutil

    from conftest import CORPUS

    index_dir = tmp_path_factory.mktemp("bad-input") / "index"
    shutil.copytree(seed_index, index_dir)
    return {"SUMMITBOT_CORPUS_DIR": str(CORPUS), "SUMMITBOT_INDEX_DIR": str(index_dir)}


def test_cli_handles_every_nasty_input_in_one_conversation(cli_env):
    usable = [q for q in NASTY_INPUTS if q.strip() and len(q) <= MAX_QUESTION_CHARS and "\x00" not in q]
    result = run("ask", "--json", *usable, env_extra=cli_env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(turns) == len(usable)
    assert all(turn["answer"].strip() for turn in turns)


@pytest.mark.parametrize("question", ["", "   ", "x" * 10_000])
def test_cli_refuses_unaskable_input_with_exit_2(cli_env, question):
    result = run("ask", question, env_extra=cli_env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
