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
from bot.answer import compose
from bot.conversation import Conversation
from bot.engine import Engine
from bot.render import render_answer
from bot.question import QuestionAnalysis
from index.build import build_index
from index.language.quotes import Quote
from index.passages import Passage
from index.search import Hit

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


def test_a_question_set_at_an_event_is_judged_relevant_with_its_setting(engine):
    answer = engine.ask("What did Rouhani say at the Sochi summit?", Conversation())
    assert answer.found
    assert "Terrorism has been defeated on the battlefield" in answer.text


def _quoted(article: str, paragraph: int, words: str) -> Passage:
    text = f"“{words},” Putin said."
    quote = Quote(text=words, speaker="Vladimir Putin", start=0, end=len(words) + 3)
    return Passage(article, f"Title {article}", "2018-09-07", paragraph, text, "Vladimir Putin", (quote,))


def test_every_articles_best_passage_comes_before_a_second_passage_of_any():
    hits = [
        Hit(0, _quoted("a", 2, "We will talk about the truce tomorrow"), 0.9, 0.6, 0.6, 1.0),
        Hit(1, _quoted("a", 3, "The truce is a matter for the Syrians"), 0.89, 0.59, 0.59, 1.0),
        Hit(2, _quoted("b", 5, "A truce must include everyone at the table"), 0.88, 0.58, 0.58, 1.0),
        Hit(3, _quoted("c", 7, "Our position on the truce is known"), 0.86, 0.56, 0.56, 1.0),
        Hit(4, _quoted("d", 8, "The truce has to wait for the talks"), 0.84, 0.54, 0.54, 1.0),
        Hit(5, _quoted("a", 4, "No truce can hold without the army"), 0.8, 0.5, 0.5, 1.0),
    ]
    analysis = QuestionAnalysis(
        people=("Vladimir Putin",), speech=True, who_said=False, unknown_names=(), speakers=("Vladimir Putin",)
    )
    answer = compose("What did Putin say about the truce?", "What did Putin say about the truce?", hits, analysis)
    assert [part.passage.id for part in answer.parts] == ["a#2", "b#5", "c#7"]


class _Relevance:
    """A searcher that knows one relevance per query (what the full question scores)."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def relevance(self, query: str, ids):
        return [self.scores[query]] * len(ids)


def test_the_setting_a_search_leaves_out_still_counts_for_relevance():
    hit = Hit(0, _quoted("a", 2, "We will talk about the truce tomorrow"), 0.4, 0.15, 0.15, 0.0)
    searcher = _Relevance({"What did Rouhani say at the Sochi summit?": 0.3})
    full, searched = "What did Rouhani say at the Sochi summit?", "What did Rouhani say?"
    assert Engine._relevance(searcher, full, searched, hit) == 0.3
    assert Engine._relevance(searcher, full, full, hit) == 0.15
