"""Hybrid search checked against a brute-force computation, and answers on the seed article."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from bot.conversation import Conversation
from index.build import build_index
from index.lexical import tokenize
from index.search import BM25_HALF_SATURATION, CONTEXT_WEIGHT, DENSE_WEIGHT, LEXICAL_WEIGHT, HybridSearcher
from index.store import load_snapshot

SMALL = {
    "harbour.md": "---\ntitle: Harbour Strike Ends\ndate: 2020-05-01\n---\n\n"
    "Dock workers ended their strike at the harbour on Monday.\n\n"
    "The union said wages would rise by five percent.\n\n"
    "Shipping companies welcomed the deal.",
    "storm.md": "---\ntitle: Storm Hits Coast\ndate: 2020-06-02\n---\n\n"
    "A storm flooded the coastal road overnight.\n\n"
    "Officials said the harbour would stay closed until Friday.",
}


def bm25_brute_force(documents: list[list[str]], query: list[str], k1: float = 1.5, b: float = 0.75) -> np.ndarray:
    """Lucene BM25 (which drops the constant k1 + 1 factor), written out term by term."""
    n = len(documents)
    average = sum(len(d) for d in documents) / n
    scores = np.zeros(n)
    for term in set(query):
        df = sum(term in d for d in documents)
        if not df:
            continue
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        for i, document in enumerate(documents):
            tf = Counter(document)[term]
            scores[i] += idf * tf / (tf + k1 * (1 - b + b * len(document) / average)) if tf else 0
    return scores


@pytest.mark.parametrize("query", ["harbour strike wages", "storm flooded road", "when will the harbour reopen"])
def test_hybrid_ranking_matches_brute_force(tmp_path, encoder, query):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in SMALL.items():
        (corpus / name).write_text(text, encoding="utf-8")
    build_index(corpus, tmp_path / "index", encoder)
    snapshot = load_snapshot(tmp_path / "index", encoder.name, encoder.dimension)
    passages = snapshot.passages

    texts = [p.search_text for p in passages]
    vectors = np.array([encoder.encode([t])[0] for t in texts])
    dense = vectors @ encoder.encode([query])[0]
    own = bm25_brute_force([tokenize(t) for t in texts], tokenize(query))
    lexical = own.copy()
    for i in range(1, len(passages)):
        if passages[i].article == passages[i - 1].article:
            lexical[i] += CONTEXT_WEIGHT * own[i - 1]
    expected = DENSE_WEIGHT * dense + LEXICAL_WEIGHT * lexical / (lexical + BM25_HALF_SATURATION)

    hits = HybridSearcher(snapshot, encoder).search(query, k=len(passages))
    assert [h.index for h in hits] == list(np.argsort(-expected, kind="stable"))
    assert np.allclose([h.score for h in hits], np.sort(expected)[::-1], atol=1e-4)


def test_truce_question_returns_putins_words(engine):
    answer = engine.ask("What did Putin say about the truce?", Conversation())
    assert answer.found
    assert answer.hits[0].passage.paragraph == 9
    first = answer.parts[0]
    assert first.speaker == "Vladimir Putin" and first.quoted
    assert "no representatives of the armed opposition" in first.text
    assert "paragraph 9" in answer.text and "7 September 2018" in answer.text


@pytest.mark.parametrize(
    "question",
    ["What is the capital of France?", "qwxz plmokn vbtrew", "What did Macron say about the truce?", "How do I bake bread?"],
)
def test_questions_the_articles_do_not_answer(engine, question):
    answer = engine.ask(question, Conversation())
    assert not answer.found
    assert "They cover" in answer.text and "Erdogan and Putin Clash" in answer.text
    assert not answer.parts


def test_a_number_the_articles_do_not_give_is_not_made_up(engine):
    answer = engine.ask("How many soldiers does Russia have at Hmeimim?", Conversation())
    assert not answer.found and "don't give that number" in answer.text
    answer = engine.ask("How many rebels and civilians has Idlib taken in?", Conversation())
    assert answer.found and "tens of thousands" in answer.text


def test_a_when_question_prefers_the_passage_that_gives_a_time(engine):
    answer = engine.ask("What day did the leaders disagree?", Conversation())
    assert "on Friday openly disagreed" in answer.parts[0].text


def test_unknown_names_are_quoted_whole(engine):
    answer = engine.ask("Did Boris Johnson's government react to the summit?", Conversation())
    assert not answer.found and "don't mention Boris Johnson." in answer.text


def test_unknown_person_is_named_in_the_reply(engine):
    answer = engine.ask("What did Macron say about the truce?", Conversation())
    assert "don't mention Macron" in answer.text


def test_quote_without_attribution_is_credited_to_erdogan(engine):
    answer = engine.ask("Who said that any attack on Idlib would be a disaster?", Conversation())
    assert answer.found and answer.parts[0].speaker == "Recep Tayyip Erdogan"
    assert "disaster, massacre" in answer.parts[0].text
