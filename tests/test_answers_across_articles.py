"""Answers from all the articles: every outlet's words, the same quote once, one event at a time.

The corpus is the seed article, a wire report of the same summit that repeats two
of its quotes word for word (``tests/data/identity/wire-tehran-summit.md``) and a
report of the earlier Sochi summit where Putin also spoke of the ceasefire
(``sochi-summit-2017.md``); indexed with the product's own encoder.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import CORPUS, DATA
from bot.conversation import Conversation
from bot.engine import Engine
from bot.render import render_answer
from index.build import build_index

IDENTITY = DATA / "identity"
SEED_TITLE = "Erdogan and Putin Clash Over Idlib ‘Ceasefire’"
SOCHI_WORDS = "The ceasefire has saved thousands of lives"
TEHRAN_WORDS = "there are no representatives of the armed opposition at our table"


@pytest.fixture(scope="module")
def engine(tmp_path_factory, encoder) -> Engine:
    corpus = tmp_path_factory.mktemp("across-corpus")
    for path in [*CORPUS.iterdir(), IDENTITY / "wire-tehran-summit.md", IDENTITY / "sochi-summit-2017.md"]:
        shutil.copy(path, corpus)
    index_dir = tmp_path_factory.mktemp("across-index")
    build_index(corpus, index_dir, encoder)
    return Engine(corpus, index_dir, encoder)


def test_a_quote_several_articles_carry_is_shown_once_naming_them_all(engine):
    answer = engine.ask("Who said an attack on Idlib would be a disaster and a massacre?", Conversation())
    assert answer.found
    assert answer.text.count("very big humanitarian tragedy") == 1
    assert SEED_TITLE in answer.text and "also reported by Gulf Wire Service" in answer.text  # the wire's outlet
    telegram = render_answer(answer)
    assert telegram.count("very big humanitarian tragedy") == 1 and "also reported by" in telegram


def test_words_on_the_topic_come_from_every_article_that_has_them(engine):
    answer = engine.ask("What did Putin say about the truce?", Conversation())
    assert answer.found and "not about the truce" not in answer.text
    assert answer.text.count(TEHRAN_WORDS) == 1
    assert {part.passage.article for part in answer.parts} | {p.article for part in answer.parts for p in part.also} >= {
        "tehran-summit",
        "wire-tehran-summit",
    }


def test_a_question_naming_no_event_keeps_to_the_event_most_articles_report(engine):
    answer = engine.ask("What did Putin say about the ceasefire?", Conversation())
    assert answer.found
    assert SOCHI_WORDS not in answer.text
    assert "7 September 2018" in answer.text


@pytest.mark.parametrize(
    "question",
    ["What did Putin say about the ceasefire in 2017?", "What did Putin say about the truce in Sochi?"],
)
def test_a_question_naming_a_year_or_place_is_answered_from_the_articles_about_it(engine, question):
    answer = engine.ask(question, Conversation())
    assert answer.found
    assert SOCHI_WORDS in answer.text
    assert TEHRAN_WORDS not in answer.text
    assert "22 November 2017" in answer.text


def test_more_goes_on_to_what_the_first_answer_left_out(engine):
    conversation = Conversation()
    first = engine.ask("What did Putin say about the ceasefire?", conversation)
    more = engine.ask("More", conversation)
    shown = {part.passage.id for part in first.parts} | {p.id for part in first.parts for p in part.also}
    assert more.found
    assert not shown & {part.passage.id for part in more.parts}
