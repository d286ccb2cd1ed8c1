"""Links become articles: the story's paragraphs and metadata are kept, the site's furniture is not, and a story is stored once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CORPUS, SEED
from index.articles import load_article
from index.sources.links import LinkAdder, canonical_url
from index.sources.web import Fetcher, FetchPolicy
from news_site import ARTICLE_PAGES, NewsSite

EXPECTED = {
    "/2018/09/turkey-reinforces-idlib-posts": (
        "Turkey Reinforces Idlib Observation Posts After Tehran Summit", "The Levant Ledger", "2018-09-08", "Selin Arkan"
    ),
    "/world/idlib-aid-agencies-warn-of-exodus": (
        "Aid Agencies Warn of Exodus as Idlib Offensive Looms", "Northern Wire", "2018-09-10", "Tom Rees"
    ),
    "/2018/09/hatay-braces-for-arrivals": (
        "Hatay Braces for New Arrivals from Idlib", "Antakya Postası", "2018-09-09", "Deniz Yıldırım"
    ),
    "/2018/09/russia-turkey-agree-sochi-talks": (
        "Russia and Turkey Agree to Talks in Sochi on Idlib Buffer Zone", "The Levant Ledger", "2018-09-12", "Selin Arkan"
    ),
    "/world/idlib-deadline-passes": (
        "Idlib Buffer Zone Deadline Passes as Heavy Weapons Stay", "Northern Wire", "2018-10-15", "Tom Rees"
    ),
}


@pytest.fixture(scope="module")
def site():
    with NewsSite() as running:
        yield running


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(CORPUS / f"{SEED}.md", folder)
    return folder


@pytest.fixture
def adder(corpus):
    with Fetcher(FetchPolicy(allow_private=True)) as fetcher:
        yield LinkAdder(corpus, corpus.parent / "index", fetcher)


def articles(corpus: Path) -> list[Path]:
    return sorted(path for path in corpus.glob("*.md") if path.stem != SEED)


@pytest.mark.parametrize("path", ARTICLE_PAGES)
def test_a_news_page_becomes_an_article_with_its_paragraphs_and_metadata_and_no_chrome(site, adder, corpus, path):
    result = adder.add(site.url(path))
    assert result.added, result.summary()
    title, outlet, date, author = EXPECTED[path]
    assert (result.title, result.outlet, result.date) == (title, outlet, date)

    [stored] = articles(corpus)
    text = stored.read_text(encoding="utf-8")
    assert f"source: {site.url(path)}\n" in text and f"author: {author}\n" in text
    article = load_article(stored)
    assert (article.title, article.date_text) == (title, date)
    truth = site.truth(path)
    assert set(truth.body) <= set(article.paragraphs)
    for chrome in truth.chrome:
        assert all(chrome not in paragraph and paragraph not in chrome for paragraph in article.paragraphs), chrome


def test_the_same_story_by_another_address_is_stored_once_and_says_so(site, adder, corpus):
    first = adder.add(site.url("/2018/09/turkey-reinforces-idlib-posts"))
    site.put("/amp/turkey-reinforces-idlib-posts", site.file_for("/2018/09/turkey-reinforces-idlib-posts")[0].read_bytes(), "text/html")
    again = [
        site.url("/2018/09/turkey-reinforces-idlib-posts"),
        site.url("/2018/09/turkey-reinforces-idlib-posts/?utm_source=twitter&utm_medium=social#comments"),
        site.url("/moved/2018/09/turkey-reinforces-idlib-posts"),  # a redirect to it
        site.url("/amp/turkey-reinforces-idlib-posts"),  # another copy naming it as canonical
    ]
    for url in again:
        result = adder.add(url)
        assert result.duplicate and result.article == first.article, url
        assert result.summary().startswith(f"Already in the corpus as {first.article}")
    assert len(articles(corpus)) == 1
    # A new adder (the next run) knows it from the corpus files alone.
    with Fetcher(FetchPolicy(allow_private=True)) as fetcher:
        assert LinkAdder(corpus, corpus.parent / "index", fetcher).add(again[1]).duplicate


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/missing", "answered 404"),
        ("/report.pdf", "application/pdf"),
        ("/huge", "larger than 5 MB"),
        ("/loop", "redirects too many times"),
    ],
)
def test_a_link_that_cannot_be_added_says_why_and_changes_nothing(site, adder, corpus, path, reason):
    result = adder.add(site.url(path))
    assert not result.added and reason in result.error
    assert result.summary().startswith(f"Could not add {site.url(path)}: ")
    assert articles(corpus) == []


def test_a_malformed_link_is_refused_with_its_reason(adder, corpus):
    result = adder.add("http://[::1/story")
    assert not result.added and "not a web address" in result.error and articles(corpus) == []


def test_canonical_addresses_drop_what_does_not_name_the_page():
    assert canonical_url("HTTPS://News.Example.org/a/b/?utm_source=x&id=3#top") == "https://news.example.org/a/b?id=3"
    assert canonical_url("https://news.example.org/a/b") == canonical_url("https://news.example.org/a/b/")
    assert canonical_url("https://news.example.org/a?id=3") != canonical_url("https://news.example.org/a?id=4")
