"""Loading articles: formats, boilerplate, titles, unreadable files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from index.articles import CorpusError, load_corpus, parse_article
from index.passages import split_passages

BUNDLED = Path(__file__).resolve().parent.parent / "corpus" / "tehran-summit.md"


def test_bundled_seed_has_title_date_and_no_boilerplate():
    article = load_corpus(BUNDLED.parent)[0]
    assert article.title == "Erdogan and Putin Clash Over Idlib ‘Ceasefire’"
    assert article.date_text == "2018-09-07"
    assert article.paragraphs[0].startswith("Russian President Vladimir Putin")
    assert article.paragraphs[-1].startswith("Hmeimim is home")
    joined = " ".join(article.paragraphs)
    assert "The news is by your side" not in joined
    assert "Comments are closed" not in joined


def test_plain_text_seed_finds_title_after_tagline():
    article = parse_article(
        "seed", ".txt", BUNDLED.read_text(encoding="utf-8").split("---", 2)[2].encode()
    )
    assert article.title == "Erdogan and Putin Clash Over Idlib ‘Ceasefire’"
    assert article.date is None
    assert len(article.paragraphs) == 15


def test_boilerplate_is_dropped_by_rule_not_by_exact_string():
    text = (
        "Your trusted source for world news.\n\nSummit Ends Without Deal\n\n"
        "Leaders left the meeting on Sunday without an agreement.\n\n"
        "Share this article on Facebook\n\nComments are disabled.\n\nSubscribe to our newsletter"
    )
    article = parse_article("x", ".txt", text.encode())
    assert article.title == "Summit Ends Without Deal"
    assert article.paragraphs == ("Leaders left the meeting on Sunday without an agreement.",)


def test_markdown_front_matter_and_html(tmp_path):
    md = "---\ntitle: Talks Resume\ndate: 2019-01-02\nsource: Example\n---\n\nThe talks resumed on Monday.\n"
    article = parse_article("talks", ".md", md.encode())
    assert (article.title, article.date_text, article.source) == (
        "Talks Resume",
        "2019-01-02",
        "Example",
    )
    html = (
        "<html><head><title>Site | Talks</title><script>var x = '<p>no</p>';</script></head><body>"
        "<nav>Home News</nav><h1>Talks Resume</h1><p>The talks <b>resumed</b> on Monday.</p>"
        "<p>Comments are closed.</p><footer>All rights reserved</footer></body></html>"
    )
    article = parse_article("talks", ".html", html.encode())
    assert article.title == "Talks Resume"
    assert article.paragraphs == ("The talks resumed on Monday.",)


def test_unreadable_file_is_skipped_with_warning_naming_it(tmp_path, caplog):
    (tmp_path / "good.txt").write_text("A Title\n\nA paragraph of news.", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 Title\n\nNews.".encode("latin-1"))
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    with caplog.at_level(logging.WARNING):
        articles = load_corpus(tmp_path)
    assert [a.id for a in articles] == ["good"]
    assert "latin1.txt" in caplog.text and "binary.txt" in caplog.text


def test_empty_or_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="no readable articles"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")


def test_passages_keep_citation_fields_and_number_from_headline():
    article = load_corpus(BUNDLED.parent)[0]
    passages, _ = split_passages(article)
    assert passages[0].paragraph == 1 and passages[0].text == article.title
    attack = next(p for p in passages if p.text.startswith("“Any attack"))
    assert (attack.article, attack.title, attack.date, attack.paragraph) == (
        "tehran-summit",
        article.title,
        "2018-09-07",
        13,
    )
    # The quote has no speaker of its own; it continues Erdogan's words.
    assert attack.speaker == "Recep Tayyip Erdogan"
