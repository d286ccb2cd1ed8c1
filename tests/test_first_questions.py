"""The questions people ask first: overviews, small talk, questions about the bot, other languages.

Through the engine with the real model, through ``summitbot ask --json`` with the
product's default encoder, and through Telegram (a new user's first three messages).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.conversation import Conversation
from bot.examples import example_questions
from bot.intents import ABOUT_BOT, QUESTION, SMALL_TALK, message_kind, overview_request
from bot.languages import is_english
from conftest import DATA, SEED
from test_cli import run
from test_telegram_bot import BotHarness, buttons, fake, play, settings  # noqa: F401 (fixtures)

SEED_HEADLINE = "Erdogan and Putin Clash Over Idlib ‘Ceasefire’"
SEED_LEAD = "openly disagreed about a “ceasefire” in Syria’s Idlib province"
ENVOY_HEADLINE = "UN Envoy Warns of ‘Perfect Storm’ in Idlib as Damascus Vows to Press On"
ENVOY_LEAD = "urged Russia, Iran and Turkey to spare the civilians of Idlib"
PHONE_SCREEN_CHARS = 1200

SMALL_TALK_MESSAGES = ["hi", "Hello there!", "hey bot", "thanks!", "Thank you so much", "ok, thanks", "bye", "good morning 👋"]
ABOUT_BOT_MESSAGES = ["who are you", "What can you do?", "help", "How does this work?", "What can I ask?", "Hi, who are you?"]
OVERVIEWS = [
    "What is this article about?",
    "Summarize the article",
    "summarise",
    "tl;dr",
    "TLDR please",
    "give me the gist",
    "What are the main points?",
    "What happened at the summit?",
    "What do the articles say about Idlib?",
    "What are the articles about?",
    "Can you sum it up?",
    "Please summarize the UN envoy article",
]
# Real questions that start like small talk or mention a summary: still questions.
STILL_QUESTIONS = [
    "Who is Erdogan?",
    "Hi, what did Putin say about the truce?",
    "Thanks, and what did Erdogan say about the ceasefire?",
    "What did Putin say in his summary of the talks?",
    "Summarize what Putin said about the truce",
    "What happened while Russian planes bombed rebel positions?",
    "Who said hi?",
    "What is Hmeimim?",
    "What did they say about the truce?",
]
FOREIGN = [
    "Что сказал Путин о перемирии?",
    "Was hat Erdogan über den Waffenstillstand gesagt?",
    "¿Qué dijo Putin sobre la tregua?",
    "Qu'a dit Poutine sur la trêve ?",
    "Putin ateşkes hakkında ne dedi?",
    "Cosa ha detto Putin sulla tregua?",
    "Kto jest Erdogan?",
    "普京说了什么？",
]
# Short English questions that language identifiers get wrong ("Putin?" comes out as Quechua).
ENGLISH = ["Putin?", "And Rouhani?", "Why?", "Who else?", "Hmeimim?", "Was the exchange broadcast?", "Erdogan ceasefire proposal", "De Mistura?"]


@pytest.mark.parametrize("message", SMALL_TALK_MESSAGES)
def test_small_talk_is_read_as_small_talk(message):
    assert message_kind(message) == SMALL_TALK


@pytest.mark.parametrize("message", ABOUT_BOT_MESSAGES)
def test_questions_about_the_bot_are_read_as_such(message):
    assert message_kind(message) == ABOUT_BOT


@pytest.mark.parametrize("question", OVERVIEWS)
def test_overview_phrasings_ask_for_an_overview(question):
    assert message_kind(question) == QUESTION and overview_request(question) is not None


@pytest.mark.parametrize("question", STILL_QUESTIONS)
def test_real_questions_are_neither_chat_nor_overviews(question):
    assert message_kind(question) == QUESTION and overview_request(question) is None


@pytest.mark.parametrize("question", FOREIGN)
def test_questions_in_other_languages_are_told_apart(question):
    assert not is_english(question)


@pytest.mark.parametrize("question", ENGLISH + STILL_QUESTIONS + OVERVIEWS)
def test_short_and_plain_english_questions_stay_english(question):
    assert is_english(question)


def test_an_article_name_made_of_foreign_words_is_not_a_foreign_question(engine):
    vocabulary = engine.snapshot.lexical.vocabulary
    from index.lexical import tokenize

    def known(word: str) -> bool:
        return any(token in vocabulary for token in tokenize(word))

    assert not is_english("Palais des Nations Genève")
    assert is_english("Palais des Nations", known)


# --------------------------------------------------------------------------- through the engine


def ask(engine: Any, *questions: str) -> list[Any]:
    conversation = Conversation()
    return [engine.ask(question, conversation) for question in questions]


def test_one_article_overview_has_headline_date_lead_and_speakers_on_one_screen(engine):
    [answer] = ask(engine, "Summarize the Tehran summit article")
    assert answer.found
    lines = answer.text.splitlines()
    assert lines[0] == f"“{SEED_HEADLINE}” (7 September 2018)"
    assert SEED_LEAD in lines[1]
    statements = [line for line in lines if line.startswith("• ")]
    assert statements[0].startswith("• Vladimir Putin: “") and any(s.startswith("• Recep Tayyip Erdogan: “") for s in statements)
    assert len(answer.text) <= PHONE_SCREEN_CHARS
    assert ENVOY_HEADLINE not in answer.text


def test_overview_words_are_the_articles_own(engine):
    [answer] = ask(engine, "What happened at the summit?")
    for part in answer.parts:
        assert part.text.rstrip("…") in part.passage.text
    assert {hit.passage.paragraph for hit in answer.hits} >= {1, 2}


def test_more_after_an_overview_shows_the_next_statements_then_says_it_is_done(engine):
    answers = ask(engine, "What happened at the summit?", "More", "More", "More", "More", "More")
    first, second = answers[0], answers[1]
    assert second.found and "More from “" in second.text and SEED_LEAD not in second.text
    shown_first = {part.passage.id for part in first.parts}
    assert not shown_first & {part.passage.id for part in second.parts}
    assert "Aleppo and the Hmeimim regions" in " ".join(a.text for a in answers)
    assert not answers[-1].found and "whole article" in answers[-1].text


def test_several_articles_get_one_line_each_most_relevant_first(engine):
    [about_idlib, about_all] = ask(engine, "What do the articles say about Idlib?", "What are the articles about?")
    for answer in (about_idlib, about_all):
        assert answer.found
        lines = [line for line in answer.text.splitlines() if line.startswith("• ")]
        assert len(lines) == 2 and any(SEED_HEADLINE in line for line in lines) and any(ENVOY_HEADLINE in line for line in lines)
    newest = [line for line in about_all.text.splitlines() if line.startswith("• ")][0]
    assert ENVOY_HEADLINE in newest and ENVOY_LEAD in newest


def test_overview_of_the_article_just_talked_about(engine):
    _, overview = ask(engine, "What did de Mistura say?", "What is this article about?")
    assert overview.text.splitlines()[0].startswith(f"“{ENVOY_HEADLINE}”")


def test_a_topic_no_article_covers_is_not_summarised(engine):
    [answer] = ask(engine, "Summarize the articles about the World Cup final")
    assert not answer.found


@pytest.mark.parametrize("message", ["hi", "thanks!", "who are you", "what can you do?", "help", FOREIGN[0]])
def test_chat_replies_say_what_the_bot_knows_and_are_not_answers(engine, message):
    [reply] = ask(engine, message)
    assert not reply.found and not reply.parts and not reply.hits
    assert "7 September 2018" in reply.text and "11 September 2018" in reply.text
    assert reply.suggestions and all(question in reply.text for question in reply.suggestions)
    assert "don't answer" not in reply.text


def test_another_language_is_told_honestly(engine):
    [reply] = ask(engine, "Что сказал Путин о перемирии?")
    assert "only read questions in English" in reply.text


def test_every_suggested_question_is_answered_from_the_articles(engine):
    [reply] = ask(engine, "hi")
    for question in reply.suggestions:
        assert ask(engine, question)[0].found, question


def test_small_talk_leaves_the_conversation_where_it_was(engine):
    answers = ask(engine, "What did Putin say about the truce?", "thanks!", "And Erdogan?")
    assert answers[2].query == "What did Erdogan say about the truce?"


def test_a_question_after_a_greeting_is_answered(engine):
    [answer] = ask(engine, "Hi, what did Putin say about the truce?")
    assert answer.found and "no representatives of the armed opposition" in answer.text


def test_examples_come_from_the_corpus_not_a_fixed_list(tmp_path, fake_encoder):
    from bot.engine import Engine

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "mackerel-talks.md", corpus)
    engine = Engine(corpus, tmp_path / "index", fake_encoder)
    engine.prepare()
    examples = example_questions(engine.snapshot)
    assert examples[0] == "What is this article about?"
    speakers = {quote.speaker for p in engine.snapshot.passages for quote in p.quotes if quote.speaker}
    surnames = {engine.snapshot.people.find(name).surname for name in speakers}
    assert all(any(name in question for name in surnames) for question in examples[1:])
    assert not any("Putin" in question for question in examples)


# --------------------------------------------------------------------------- through the CLI


@pytest.fixture
def index_env(seed_index: Path, tmp_path: Path) -> dict[str, str]:
    from conftest import CORPUS

    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    return {"SUMMITBOT_CORPUS_DIR": str(CORPUS), "SUMMITBOT_INDEX_DIR": str(index_dir)}


def test_cli_first_questions_keep_the_json_contract(index_env):
    questions = ["hi", "Summarize the Tehran summit article", "Что сказал Путин о перемирии?", "Who is Erdogan?"]
    result = run("ask", "--json", *questions, env_extra=index_env)
    assert result.returncode == 0, result.stderr
    hello, overview, russian, erdogan = (json.loads(line) for line in result.stdout.splitlines())
    assert hello["found"] is False and hello["passages"] == [] and "11 September 2018" in hello["answer"]
    assert overview["found"] is True and overview["answer"].startswith(f"“{SEED_HEADLINE}”")
    assert all(p["article"] == SEED for p in overview["passages"])
    scores = [p["score"] for p in overview["passages"]]
    assert scores == sorted(scores, reverse=True)
    assert russian["found"] is False and "English" in russian["answer"]
    assert erdogan["found"] is True and "Erdogan" in erdogan["answer"]


# --------------------------------------------------------------------------- through Telegram


def test_a_new_users_first_three_messages(fake, settings, engine):  # noqa: F811 (fixtures)
    async def scenario(bot: BotHarness) -> list[list[dict[str, Any]]]:
        return [
            await bot.send("hi"),
            await bot.send("what is this about?"),
            await bot.send("what did Putin say about the truce?"),
        ]

    [hello], [overview], [truce] = play(settings, engine, fake, scenario)
    assert hello["plain_text"].startswith("Hello!") and "7 September 2018" in hello["plain_text"]
    examples = buttons(hello)
    assert len(examples) == 3 and all(data == f"ask:{question}" for question, data in examples.items())
    assert f"“{ENVOY_HEADLINE}” (11 September 2018)" in overview["plain_text"]
    assert f"“{SEED_HEADLINE}” (7 September 2018)" in overview["plain_text"]
    assert "Vladimir Putin: “The fact is there are no representatives of the armed opposition" in truce["plain_text"]


def test_telegram_overview_offers_more_and_more_continues_it(fake, settings, engine):  # noqa: F811 (fixtures)
    async def scenario(bot: BotHarness) -> list[list[dict[str, Any]]]:
        [overview] = await bot.send("tl;dr of the Tehran summit article")
        return [[overview], await bot.press(overview, buttons(overview)["More"])]

    [overview], [more] = play(settings, engine, fake, scenario)
    assert overview["plain_text"].startswith(f"“{SEED_HEADLINE}” (7 September 2018)")
    assert "<b>Vladimir Putin</b>: “" in overview["text"]
    assert f"More from “{SEED_HEADLINE}”" in more["plain_text"]


# --------------------------------------------------------------------------- answering only what was asked


@pytest.fixture(scope="module")
def seed_only(tmp_path_factory, encoder):
    """An engine over the bundled article alone, as a new user has it."""
    from bot.engine import Engine
    from conftest import CORPUS

    corpus = tmp_path_factory.mktemp("seed-only-corpus")
    shutil.copy(CORPUS / f"{SEED}.md", corpus)
    engine = Engine(corpus, tmp_path_factory.mktemp("seed-only-index"), encoder)
    engine.prepare()
    return engine


NOT_SAID = [
    ("How old is Erdogan?", "The articles quote Recep Tayyip Erdogan but don't say how old Erdogan is."),
    ("What did Erdogan eat at the summit?", "The articles quote Recep Tayyip Erdogan, but nothing in them answers"),
    ("Which hotel did Putin stay in?", "The articles quote Vladimir Putin, but nothing in them answers"),
    ("How long did the summit last?", "Nothing in the articles answers “How long did the summit last?”"),
    ("When did the Syrian war start?", "Nothing in the articles answers"),
    ("What is Rouhani's religion?", "The articles mention Hassan Rouhani but don't say what Rouhani's religion is."),
    ("How many children does Putin have?", "The articles quote Vladimir Putin, but nothing in them answers"),
    ("What time did the summit start?", "Nothing in the articles answers"),
]


@pytest.mark.parametrize("question, reply", NOT_SAID)
def test_a_known_person_or_event_asked_what_the_articles_dont_say(seed_only, question, reply):
    [answer] = ask(seed_only, question)
    assert not answer.found and not answer.parts
    assert answer.text.startswith(reply)


# Counter-cases: questions of the same shapes that the articles do answer.
ANSWERED = [
    ("How many rebels and civilians has Idlib taken in?", "tens of thousands"),
    ("Where did the leaders meet?", "Iranian capital"),
    ("Where is Russia's main military base in Syria?", "Hmeimim"),
    ("Which countries support the Assad regime?", "Russia and Iran"),
    ("Why did Putin reject the ceasefire?", "Vladimir Putin:"),
    ("Who is Erdogan?", "Erdogan"),
    ("What day did the leaders disagree?", "on Friday"),
]


@pytest.mark.parametrize("question, words", ANSWERED)
def test_questions_the_articles_answer_are_still_answered(seed_only, question, words):
    [answer] = ask(seed_only, question)
    assert answer.found and words in answer.text


def test_a_time_question_needs_a_passage_with_that_time_about_the_thing_asked(engine):
    [answer] = ask(engine, "When will de Mistura brief the Security Council?")
    assert answer.found and "on Friday" in answer.text


def test_a_capital_is_read_as_its_government_where_the_articles_name_only_the_country(seed_only):
    moscow, kremlin, washington = ask(seed_only, "What does Moscow want in Idlib?", "What did the Kremlin say?", "What did Washington say?")
    assert moscow.found and moscow.query == "What does Russia want in Idlib?" and "Moscow" not in moscow.text
    assert kremlin.query == "What did Russia say?"
    assert not washington.found and "don't mention Washington" in washington.text


def test_a_capital_the_articles_write_is_searched_as_written(engine):
    [answer] = ask(engine, "What does Moscow want in Idlib?")
    assert answer.query == "What does Moscow want in Idlib?" and "Moscow would keep acting" in answer.text


def test_a_yes_no_question_leads_with_what_the_articles_report(seed_only):
    [answer] = ask(seed_only, "Did Erdogan get his ceasefire?")
    assert answer.found and answer.text.startswith("Here is what the articles report on that:")
    assert "Yes" not in answer.text.splitlines()[0]


def test_quoted_but_not_about_that_shows_what_they_said_without_calling_it_an_answer(engine):
    [answer] = ask(engine, "What did Putin say about Aleppo?")
    assert not answer.found and answer.parts
    assert answer.text.startswith("The articles quote Vladimir Putin, but not about Aleppo.")


def test_cli_refuses_what_the_articles_dont_say(index_env):
    result = run("ask", "--json", "How old is Erdogan?", "What did Putin say about Aleppo?", env_extra=index_env)
    assert result.returncode == 0, result.stderr
    age, aleppo = (json.loads(line) for line in result.stdout.splitlines())
    assert age["found"] is False and "don't say how old Erdogan is" in age["answer"] and "Erdogan: “" not in age["answer"]
    assert aleppo["found"] is False and "but not about Aleppo" in aleppo["answer"] and "Vladimir Putin: “" in aleppo["answer"]


def test_telegram_shows_related_passages_of_a_not_about_reply(fake, settings, engine):  # noqa: F811 (fixtures)
    async def scenario(bot: BotHarness) -> list[dict[str, Any]]:
        return await bot.send("What did Putin say about Aleppo?") + await bot.send("How old is Erdogan?")

    aleppo, age = play(settings, engine, fake, scenario)
    assert "but not about Aleppo" in aleppo["plain_text"] and "Vladimir Putin: “" in aleppo["plain_text"]
    assert "don't say how old Erdogan is" in age["plain_text"] and "Erdogan: “" not in age["plain_text"]
