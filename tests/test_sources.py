"""Reading articles as outlets publish them: each rule with its counter-case."""

from __future__ import annotations

import datetime as dt

import pytest

from index.articles import parse_article
from index.language.dates import find_dates, parse_date, published_date, read_dateline
from index.sources.html import extract_page

LONG_1 = (
    "Russian President Vladimir Putin and his Turkish counterpart Recep Tayyip Erdogan disagreed on Friday "
    "about a ceasefire in Syria's Idlib province at a summit in Tehran with Iranian President Hassan Rouhani."
)
LONG_2 = (
    "The three leaders met to discuss the fate of Idlib, the last major rebel bastion in Syria, where "
    "about three million people live and where Turkey fears a new wave of refugees towards its border."
)
LONG_3 = (
    "Erdogan pushed for the word truce to be written into the joint statement, while Putin said that "
    "no representatives of the armed opposition were at the table to promise that they would stop shooting."
)
TITLE = "Putin and Erdogan Clash Over Idlib Truce at Tehran Summit"


def read(text: str, suffix: str = ".txt"):
    return parse_article("x", suffix, text.encode("utf-8"))


# --- paragraphs -----------------------------------------------------------------------------------


def test_paragraphs_on_single_lines_are_each_a_paragraph():
    article = read("\n".join([TITLE, LONG_1, LONG_2, LONG_3]))
    assert article.title == TITLE
    assert article.paragraphs == (LONG_1, LONG_2, LONG_3)


def test_blank_line_paragraphs_with_wrapped_lines_are_joined():
    def wrap(text: str, width: int = 72) -> str:
        lines, line = [], ""
        for word in text.split():
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        return "\n".join([*lines, line])

    article = read("\n\n".join([TITLE, wrap(LONG_1), wrap(LONG_2), wrap(LONG_3)]))
    assert article.paragraphs == (LONG_1, LONG_2, LONG_3)


def test_short_paragraphs_one_per_line_are_not_taken_for_wrapped_lines():
    short = [
        "Turkey sent more troops to its border with Idlib on Saturday.",
        "“We will not stand by and watch,” Erdogan said in Tehran.",
        "The United Nations says 2.9 million people live in Idlib province.",
    ]
    article = read("\n".join([TITLE, *short]))
    assert article.paragraphs == tuple(short)


def test_blank_line_paragraphs_on_one_line_each():
    article = read("\n\n".join([TITLE, LONG_1, LONG_2]))
    assert (article.title, article.paragraphs) == (TITLE, (LONG_1, LONG_2))


# --- headline and chrome --------------------------------------------------------------------------

CHROME_ABOVE = [
    "Home | World | Middle East | Politics | Sport",
    "Thursday, June 27, 2019 News Code : 428510 | Category: FORUM",
    "LIVE: Persepolis 2-1 Esteghlal, Tehran derby second half",
    TITLE,
    "By Jane Marlow",
]


def test_headline_found_below_menus_header_lines_and_a_sidebar_score():
    article = read("\n".join([*CHROME_ABOVE, LONG_1, LONG_2]))
    assert article.title == TITLE
    assert article.paragraphs == (LONG_1, LONG_2)
    assert article.author == "Jane Marlow"
    assert article.date == dt.date(2019, 6, 27)


def test_a_headline_in_capitals_is_a_headline_not_a_sidebar_heading():
    shouted = TITLE.upper()
    article = read("\n".join(["Home | World", shouted, LONG_1, LONG_2]))
    assert (article.title, article.paragraphs) == (shouted, (LONG_1, LONG_2))


def test_first_headline_the_story_echoes_wins_over_a_later_one():
    # Counter-case: a standfirst under the headline is not taken for it.
    standfirst = "Turkish leader calls for a truce in Idlib as Russia says there is nobody to sign it"
    article = read("\n".join([TITLE, standfirst, LONG_1, LONG_2, LONG_3]))
    assert article.title == TITLE
    assert article.paragraphs[0] == standfirst


SIDEBARS = [
    "TOP STORIES",
    "Oil prices climb as markets await OPEC decision",
    "Storm warning issued for the northern coast",
    "EDITOR'S CHOICE",
    "Ten recipes for a quick summer dinner",
    "Most Viewed",
    "Celebrity wedding draws crowds in Paris",
]


def test_sidebar_blocks_ids_share_and_paywall_lines_never_become_passages():
    lines = [
        TITLE,
        LONG_1,
        "Share on Facebook | Tweet | WhatsApp | Email",
        LONG_2,
        "4815162342",
        "Subscribe to continue reading. Already a subscriber? Log in",
        *SIDEBARS,
        LONG_3,
        "Real Madrid 3-0 Barcelona: Benzema scores twice in the Clasico",
        "Comments are closed.",
    ]
    article = read("\n".join(lines))
    assert article.paragraphs == (LONG_1, LONG_2, LONG_3)


def test_real_short_paragraphs_and_one_line_quotes_are_kept():
    quote = "“There is no mention of a truce.”"
    short = "The Kremlin declined to comment."
    subhead = "Idlib truce talks in Tehran"
    photo = "Erdogan posed for a photo with the two other leaders."
    article = read("\n".join([TITLE, LONG_1, quote, short, subhead, photo, LONG_2]))
    assert article.paragraphs == (LONG_1, quote, short, subhead, photo, LONG_2)


@pytest.mark.parametrize(
    "caption",
    ["Putin and Erdogan in Tehran. Photo: AFP", "The leaders before the talks. REUTERS/Umit Bektas", "Leaders meet (Photo by IRNA)"],
)
def test_captions_are_not_passages(caption):
    assert read("\n".join([TITLE, LONG_1, caption, LONG_2])).paragraphs == (LONG_1, LONG_2)


def test_guardian_style_date_lines_and_an_agency_only_dateline():
    article = read("\n".join([TITLE, "Fri 7 Sep 2018 16.20 BST", "Last modified on Fri 7 Sep 2018 17.00 BST", "(Reuters) - " + LONG_1]))
    assert (article.date, article.outlet, article.paragraphs) == (dt.date(2018, 9, 7), "Reuters", (LONG_1,))


def test_a_date_glued_before_the_story_is_read_and_dropped():
    article = read("\n".join([TITLE, " date 2018-09-07 " + LONG_1, LONG_2]))
    assert article.date == dt.date(2018, 9, 7)
    assert article.paragraphs == (LONG_1, LONG_2)


def test_a_story_without_a_headline_is_refused_with_the_reason():
    from index.articles import ArticleError

    with pytest.raises(ArticleError, match="no title"):
        read("\n".join([LONG_1, LONG_2]))


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first_paragraph, expected_date, expected_outlet",
    [
        ("GENEVA, Sept 7 (Reuters) - " + LONG_1, None, "Reuters"),
        ("MOSCOW, Aug. 31 (Xinhua) -- " + LONG_1, None, "Xinhua"),
        ("GENEVA, Sept 7 (Reuters) - " + LONG_1 + " Talks were held on Sept. 4, 2018 too.", dt.date(2018, 9, 7), "Reuters"),
        ("TEHRAN, Sept. 7, 2018 (AP) — " + LONG_1, dt.date(2018, 9, 7), "AP"),
        ("BEIRUT (Reuters) - " + LONG_1, None, "Reuters"),
    ],
)
def test_dateline_gives_date_and_agency(first_paragraph, expected_date, expected_outlet):
    article = read("\n\n".join([TITLE, first_paragraph, LONG_2]))
    assert article.date == expected_date
    assert article.outlet == expected_outlet
    assert article.paragraphs[0] == LONG_1 + first_paragraph.partition(LONG_1)[2]  # the dateline is no passage's words


def test_yearless_dateline_takes_the_year_of_a_published_line():
    article = read("\n".join([TITLE, "Publish Date :2018/9/9", "TEHRAN, Sept 7 (IRNA) - " + LONG_1, LONG_2]))
    assert article.date == dt.date(2018, 9, 9)  # the page's own date first
    assert article.outlet == "IRNA"
    article = read("\n".join([TITLE, "TEHRAN, Sept 7 (IRNA) - " + LONG_1, LONG_2, "Posted on 09 September, 2018"]))
    assert article.date == dt.date(2018, 9, 9)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Publish Date :2018/9/7", dt.date(2018, 9, 7)),
        ("09 September, 2018", dt.date(2018, 9, 9)),
        ("Published: Friday, September 7, 2018 14:02 GMT", dt.date(2018, 9, 7)),
        ("Thursday, June 27, 2019 News Code : 428510 | Category: FORUM", dt.date(2019, 6, 27)),
    ],
)
def test_date_lines_give_the_date_and_are_not_passages(line, expected):
    article = read("\n".join([TITLE, line, LONG_1, LONG_2]))
    assert article.date == expected
    assert article.paragraphs == (LONG_1, LONG_2)


def test_a_date_inside_the_story_is_not_the_articles_date():
    article = read("\n\n".join([TITLE, LONG_1, "The previous summit was held in Sochi on Nov. 22, 2017, the agency said."]))
    assert article.date is None


def test_front_matter_date_wins_and_reads_written_dates():
    text = f"---\ntitle: {TITLE}\ndate: September 8, 2018\n---\n\nGENEVA, Sept 7 (Reuters) - {LONG_1}\n"
    article = read(text, ".md")
    assert article.date == dt.date(2018, 9, 8)
    assert article.outlet == "Reuters"


def test_dates_module_reads_news_forms():
    assert parse_date("2018-09-07") == dt.date(2018, 9, 7)
    assert parse_date("not a date") is None
    assert [f.year for f in find_dates("On Sept. 7 and on Aug 31, 2018")] == [None, 2018]
    assert read_dateline("Putin, Erdogan - and Rouhani met.") is None
    assert published_date("He said on May 5 that") is None


# --- outlets --------------------------------------------------------------------------------------


def test_outlet_from_front_matter_credit_line_or_source_url():
    assert read(f"---\ntitle: {TITLE}\noutlet: Tehran Times\n---\n\n{LONG_1}\n", ".md").outlet == "Tehran Times"
    url = f"---\ntitle: {TITLE}\nsource: https://www.example-news.com/world/1\n---\n\n{LONG_1}\n"
    assert read(url, ".md").outlet == "example-news.com"
    assert read(f"{TITLE}\n\n{LONG_1}\n\nSource: Anadolu Agency").outlet == "Anadolu Agency"
    assert read(f"{TITLE}\n\n09 September, 2018 | Source: IRNA\n\n{LONG_1}").outlet == "IRNA"
    assert read(f"{TITLE}\n\n{LONG_1}").outlet == ""


# --- HTML -----------------------------------------------------------------------------------------

PAGE = f"""<!doctype html><html><head>
<title>{TITLE} | Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="og:title" content="{TITLE}">
<meta name="author" content="Jane Marlow">
<meta property="article:published_time" content="2018-09-07T16:20:00+00:00">
<link rel="canonical" href="https://news.example.com/2018/09/07/idlib-truce">
</head><body>
<header><nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/sport">Sport</a></nav></header>
<aside><h3>Most read</h3><ul><li><a href="/a">Oil prices climb as markets await OPEC</a></li>
<li><a href="/b">Real Madrid 3-0 Barcelona</a></li></ul></aside>
<main><article><h1>{TITLE}</h1>
<p>{LONG_1}</p><p>{LONG_2}</p>
<div class="share">Share on Facebook | Tweet | Email</div>
<p>{LONG_3}</p>
<p>“There is no mention of a truce.”</p>
</article></main>
<footer>© 2018 Example News. All rights reserved.</footer>
</body></html>"""


def test_html_page_through_trafilatura_with_metadata():
    page = extract_page(PAGE, "https://news.example.com/2018/09/07/idlib-truce?utm=x")
    assert page.title == TITLE
    assert page.date == dt.date(2018, 9, 7)
    assert page.outlet == "Example News"
    assert page.author == "Jane Marlow"
    assert page.url == "https://news.example.com/2018/09/07/idlib-truce"
    assert page.paragraphs == (LONG_1, LONG_2, LONG_3, "“There is no mention of a truce.”")


def test_html_file_is_an_article_and_a_page_without_text_is_refused():
    article = read(PAGE, ".html")
    assert (article.title, article.outlet, article.date_text) == (TITLE, "Example News", "2018-09-07")
    from index.articles import ArticleError

    with pytest.raises(ArticleError, match="no article text"):
        read("<html><body><script>x()</script></body></html>", ".html")
