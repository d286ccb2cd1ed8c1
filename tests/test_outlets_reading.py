"""The many-outlets corpus (tests/data/outlets) read as its README says: title, date, outlet, no chrome."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.sources import OUTLETS, check, expected_readings
from index.articles import load_article
from index.passages import split_passages

CHROME = (
    "Leicester City",  # a live football score above a headline
    "Galatasaray",  # a football ticker on an HTML page
    "TOP STORIES",
    "EDITOR",
    "MOST POPULAR",
    "wrestling",  # a sidebar headline
    "lira slides",
    "010020070750000000000000011100001374438217",
    "Reporting by",
    "Our Standards",
    "Send Comment",
    "Subscribe",
    "Tags:",
    "Read more",
    "Log in",
    "accepting comments",
    "Video Player",
    "(Reuters) -",  # datelines belong to no passage
    "(Xinhua) --",
    "Caspian Wire correspondent",
    "Photo: Levant Monitor",  # captions
    "Displaced Syrians at a camp",
    "pose before their",
)


def test_every_outlet_file_is_read_with_its_title_date_and_outlet():
    results = check(OUTLETS)
    assert len(results) >= 10
    wrong = {expected.file: got for expected, got, right in results if not all(right.values())}
    assert wrong == {}


@pytest.mark.parametrize("name", [expected.file for expected in expected_readings(OUTLETS)])
def test_no_chrome_reaches_a_passage(name):
    article = load_article(Path(OUTLETS) / name)
    text = "\n".join([article.title, *article.paragraphs])
    assert [snippet for snippet in CHROME if snippet in text] == []


def test_every_passage_carries_its_articles_outlet_for_citations():
    passages, _ = split_passages(load_article(Path(OUTLETS) / "xinhua-joint-statement.txt"))
    assert {passage.outlet for passage in passages} == {"Xinhua"}
