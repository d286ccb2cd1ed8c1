"""The many-outlets question file: every phrase it checks stands in an article it names."""

from benchmarks import many_outlets

MIN_QUESTIONS = 60
MIN_PER_KIND = {"other article": 10, "event or date": 5, "quote in several outlets": 5}
MIN_UNANSWERABLE = 10


def test_every_phrase_is_in_a_named_article() -> None:
    assert many_outlets.check_questions(many_outlets.load_questions()) == []


def test_a_phrase_no_named_article_contains_is_reported() -> None:
    questions = many_outlets.load_questions()
    questions["answerable"] = [{"q": "What is Hmeimim?", "articles": ["tehran-summit"], "gold": ["a ski resort"]}]
    assert many_outlets.check_questions(questions) == ["'What is Hmeimim?': no listed article contains 'a ski resort'"]


def test_the_set_is_as_large_as_the_issue_asks() -> None:
    questions = many_outlets.load_questions()
    kinds = [item["category"] for item in questions["answerable"]]
    assert len(questions["answerable"]) + len(questions["unanswerable"]) >= MIN_QUESTIONS
    assert len(questions["unanswerable"]) >= MIN_UNANSWERABLE
    assert all(kinds.count(kind) >= count for kind, count in MIN_PER_KIND.items())


QUOTE_IN_TWO_OUTLETS = {
    "gold": ["Ankara's nightmare"],
    "once": ["Ankara's nightmare"],
    "outlets": ["Reuters", "Morning Ledger"],
}


def test_a_quote_shown_once_with_both_outlets_named_is_right() -> None:
    answer = "Selim Kaya: “Ankara's nightmare is not the battle itself”\n  — Reuters, 7 September 2018; also The Morning Ledger"
    assert many_outlets.answer_is_right(QUOTE_IN_TWO_OUTLETS, True, answer)


def test_a_quote_shown_twice_or_without_its_outlets_is_wrong() -> None:
    twice = "Ankara's nightmare … — Reuters\nAnkara's nightmare … — The Morning Ledger"
    unnamed = "Selim Kaya: “Ankara's nightmare is not the battle itself” — 7 September 2018"
    assert not many_outlets.answer_is_right(QUOTE_IN_TWO_OUTLETS, True, twice)
    assert not many_outlets.answer_is_right(QUOTE_IN_TWO_OUTLETS, True, unnamed)
    assert not many_outlets.answer_is_right(QUOTE_IN_TWO_OUTLETS, False, "Ankara's nightmare — Reuters, The Morning Ledger")
