"""``summitbot index add URL`` and ``summitbot feeds …`` as a user runs them, with the default encoder.

The commands run through the console script's ``main`` against a local news
site, in this process so the model loads once; the questions afterwards are
answered with the new articles' outlet, title and date, and no menu, caption
or comment text is ever quoted.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass

import pytest

from conftest import CORPUS, DATA
from news_site import ARTICLE_PAGES, NewsSite
from bot.cli import main

POST = "/2018/09/turkey-reinforces-idlib-posts"
AID = "/world/idlib-aid-agencies-warn-of-exodus"
RSS = "/feeds/world.rss"
# (question, words of the answer, title, outlet, date of the article that answers)
QUESTIONS = [
    (
        "What did Murat Kaya say about the soldiers?",
        "Our soldiers are there to protect civilians",
        "Turkey Reinforces Idlib Observation Posts After Tehran Summit",
        "The Levant Ledger",
        "2018-09-08",
    ),
    (
        "What did Amira Haddad say about tents?",
        "We have no more tents, no more blankets",
        "Aid Agencies Warn of Exodus as Idlib Offensive Looms",
        "Northern Wire",
        "2018-09-10",
    ),
    (
        "What did Ayşe Güler say about Reyhanlı?",
        "Reyhanlı has opened its doors before",
        "Hatay Braces for New Arrivals from Idlib",
        "Antakya Postası",
        "2018-09-09",
    ),
]
# Questions aimed at the pages' furniture: whatever comes back must not quote it.
CHROME_QUESTIONS = [
    "Are the observation posts a joke only for the cameras?",
    "Should the border gates stay closed?",
    "What do the cookies personalise?",
    "Where do children walk between rows of tents?",
    "Who shares the burden with the border towns, say readers?",
]


@pytest.fixture(scope="module")
def site():
    with NewsSite() as running:
        yield running


@dataclass
class Outcome:
    """What a command printed and returned."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(tmp_path, seed_index, monkeypatch, capsys):
    """``summitbot ARGS…`` over a private copy of the test corpus and index, links to local addresses allowed."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shutil.copytree(seed_index, tmp_path / "index")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUMMITBOT_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("SUMMITBOT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("SUMMITBOT_FETCH_ALLOW_PRIVATE", "1")

    def command(*args: str) -> Outcome:
        code = main(list(args))
        printed = capsys.readouterr()
        return Outcome(code, printed.out, printed.err)

    return command


def test_links_and_feeds_from_the_command_line_then_questions_about_them(site, run, tmp_path):
    note = tmp_path / "notes" / "mackerel talks.md"
    note.parent.mkdir()
    shutil.copy(DATA / "mackerel-talks.md", note)
    added = run("index", "add", site.url(POST), str(note), site.url(AID) + "?utm_source=newsletter")
    assert added.returncode == 0, added.stderr
    assert "Added “Turkey Reinforces Idlib Observation Posts After Tehran Summit” (The Levant Ledger, 2018-09-08)" in added.stdout
    assert "Added “Aid Agencies Warn of Exodus as Idlib Offensive Looms” (Northern Wire, 2018-09-10)" in added.stdout
    assert "[1/2]" in added.stderr and "[2/2]" in added.stderr  # progress of the batch
    assert "articles," in added.stdout.splitlines()[-1]  # the build's summary

    again = run("index", "add", site.url(POST) + "/#comments")
    assert again.returncode == 0 and again.stdout.startswith("Already in the corpus as the-levant-ledger-")
    assert "embedded" not in again.stdout  # nothing to index

    refused = run("index", "add", site.url("/report.pdf"))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].endswith("is application/pdf, not a web page: only HTML and plain text can be read")

    assert run("feeds", "list").stdout.startswith("No feeds are followed.")
    followed = run("feeds", "add", site.url(RSS))
    assert followed.returncode == 0 and followed.stdout.startswith("Following “Idlib and the border: latest”")
    polled = run("feeds", "poll")
    assert polled.returncode == 0, polled.stderr
    assert "Added “Hatay Braces for New Arrivals from Idlib” (Antakya Postası, 2018-09-09)" in polled.stdout
    assert "Read 1 feed, 1 new article, 1 page skipped for robots.txt" in polled.stdout
    listed = run("feeds", "list").stdout
    assert "Idlib and the border: latest" in listed and "1 article added" in listed

    asked = run("ask", "--json", *(q for q, *_ in QUESTIONS), *CHROME_QUESTIONS)
    assert asked.returncode == 0, asked.stderr
    turns = [json.loads(line) for line in asked.stdout.splitlines()]
    for turn, (question, words, title, outlet, date) in zip(turns, QUESTIONS):
        assert turn["found"] and words in turn["answer"], question
        best = turn["passages"][0]
        assert (best["title"], best["outlet"], best["date"]) == (title, outlet, date)
        assert f"{outlet}: {title}, " in turn["answer"]  # the citation names the outlet
    chrome = [text for path in ARTICLE_PAGES for text in site.truth(path).chrome]
    for turn in turns:
        quoted = turn["answer"] + " ".join(passage["text"] for passage in turn["passages"])
        leaked = [text for text in chrome if any(piece in quoted for piece in text.split(". ") if len(piece) > 30)]
        assert leaked == [], turn["question"]

    removed = run("feeds", "remove", site.url(RSS))
    assert removed.stdout.startswith(f"Stopped following {site.url(RSS)}. The articles it gave stay in the corpus (1).")
    missing = run("feeds", "remove", site.url(RSS))
    assert missing.returncode == 2 and missing.stderr.strip() == f"summitbot: error: not following {site.url(RSS)}"
    not_a_feed = run("feeds", "add", site.url(POST))
    assert not_a_feed.returncode == 2 and "is not an RSS or Atom feed" in not_a_feed.stderr
