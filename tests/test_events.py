"""Which event a question is about: years and places it names, and the event most articles report."""

from __future__ import annotations

from bot.events import ArticleSettings, focus
from index.passages import Passage
from index.search import Hit


def _passage(article: str, date: str, paragraph: int, text: str) -> Passage:
    return Passage(article=article, title=f"Title of {article}", date=date, paragraph=paragraph, text=text)


ARTICLES = [
    _passage("sochi", "2017-11-22", 2, "SOCHI, Russia — Putin hosted the leaders of Turkey and Iran in Sochi on Wednesday."),
    _passage("tehran-a", "2018-09-07", 2, "The leaders of Russia, Iran and Turkey met in Tehran on Friday."),
    _passage("tehran-b", "2018-09-08", 2, "A day after the Tehran summit, Turkey reinforced its border."),
    _passage("undated", "", 2, "Putin spoke about the truce."),
]
SETTINGS = ArticleSettings(ARTICLES)


def _hit(article: str, score: float) -> Hit:
    passage = next(p for p in ARTICLES if p.article == article)
    return Hit(index=0, passage=passage, score=score, relevance=score, dense=score, lexical=0.0)


def test_a_year_or_a_known_place_is_the_setting_and_leaves_the_rest_to_search():
    occasion = SETTINGS.occasion("What did Putin say about the truce in Sochi?")
    assert occasion.places == {"sochi"} and occasion.rest == "What did Putin say about the truce?"
    occasion = SETTINGS.occasion("what did erdogan say at the 2017 summit")
    assert occasion.years == {"2017"} and occasion.rest == "what did erdogan say"
    assert not SETTINGS.occasion("What did Putin say about the truce in his speech?")


def test_a_place_every_event_names_chooses_no_event():
    assert not SETTINGS.occasion("What did Putin say about the truce in Turkey?")


def test_a_named_setting_keeps_only_the_articles_about_it():
    hits = [_hit("tehran-a", 0.9), _hit("undated", 0.8), _hit("sochi", 0.7)]
    assert [h.passage.article for h in focus(hits, SETTINGS.occasion("… in Sochi?"), SETTINGS)] == ["sochi"]
    assert [h.passage.article for h in focus(hits, SETTINGS.occasion("… in 2018?"), SETTINGS)] == ["tehran-a"]


def test_without_a_setting_the_event_most_articles_report_wins_even_over_the_best_hit():
    hits = [_hit("sochi", 0.9), _hit("tehran-a", 0.85), _hit("undated", 0.8), _hit("tehran-b", 0.8)]
    kept = [h.passage.article for h in focus(hits, SETTINGS.occasion("What did Putin say?"), SETTINGS)]
    assert kept == ["tehran-a", "undated", "tehran-b"]


def test_an_undated_best_hit_does_not_decide_the_event():
    hits = [_hit("undated", 0.9), _hit("sochi", 0.85)]
    kept = [h.passage.article for h in focus(hits, SETTINGS.occasion("What did Putin say?"), SETTINGS)]
    assert kept == ["undated", "sochi"]
