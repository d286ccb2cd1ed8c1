"""From the text of a saved page to its headline, paragraphs, date, outlet and author.

Every loader ends here: plain text, the body of a Markdown file and the text
trafilatura extracts from HTML are all read by the same rules.

* **Paragraphs** are separated by blank lines or stand one per line; lines
  that were hard-wrapped inside a paragraph are joined again.
* **Site chrome** never becomes a title or a passage: section menus
  ("Home | World | Politics"), date/category header lines ("Thursday, June
  27, 2019 News Code : 428510 | Category: FORUM"), bylines, long ids, share,
  comment, subscribe and paywall lines, "TOP STORIES" / "EDITOR'S CHOICE" /
  "MOST VIEWED" blocks with the headlines listed under them, and sidebar
  headlines that share no words with the story (a football score). A real
  short paragraph or a one-line quote is kept.
* **The headline** is the first headline-like line near the top whose words the
  story repeats, so a menu or a sidebar link above it is passed over.
* **The date** comes from what the caller knows (front matter, page
  metadata), else a "Published …" / date line near the top, else the wire
  dateline ("GENEVA, Sept 7 (Reuters) -"), whose missing year is taken from
  another date in the same article.
* **The outlet** comes from what the caller knows, else the dateline's agency,
  else a credit line ("Source: Xinhua", "© 2018 Tehran Times").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from index.language.dates import FoundDate, find_dates, published_date, read_dateline, year_of
from index.sources.article import ArticleError, ArticleText
from index.text import fold

logger = logging.getLogger(__name__)

MAX_TITLE_WORDS = 25
MAX_CHROME_WORDS = 12  # a line this short may be chrome; a longer one is always prose
WRAP_MIN_WIDTH = 50  # lines this short are separate lines (menus, headlines), never hard-wrapped prose
WRAP_MAX_WIDTH = 100  # a block with a longer line has one paragraph per line
WRAP_SHORT_LINE = 0.6  # in hard-wrapped text a line this much shorter than the widest ends its paragraph
WRAP_MID_SENTENCE_SHARE = 0.5  # hard-wrapped text breaks most lines inside a sentence
TITLE_REGION = 8  # blocks from the top where the headline and the page's date are looked for
MIN_TITLE_OVERLAP = 0.5  # share of a headline's words that the story repeats
MIN_SUBHEAD_OVERLAP = 0.25  # below this a headline-like line in the story is a sidebar link
DATELINE_PARAGRAPHS = 3  # a wire dateline opens one of the first paragraphs
MIN_CONTENT_WORD = 4  # letters

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff]")
HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u2009\u202f]+")
SENTENCE_END = re.compile(r"[.!?…;:][\"'”’»)\]]*$")
QUOTE_MARKS = re.compile(r"[“”\"«»„]")

# Phrases of site chrome that never belong to an article's text (on short lines).
CHROME_PATTERN = re.compile(
    r"\b(comments? (are|is) (closed|disabled|open)|leave a (comment|reply)|post a comment|add (a )?comment|"
    r"\d+ comments?|share (this|on|via|article|story)|follow us|subscribe|subscription|sign (up|in)|log ?in|"
    r"newsletter|all rights reserved|copyright|read more|read also|also read|see also|advertisement|sponsored|"
    r"click here|cookies?|privacy policy|terms of (use|service)|continue reading|free articles?|paywall|"
    r"premium (content|article)|already (a|have an?) (member|subscriber|account)|download (our|the) app|"
    r"back to top|skip to (main )?content|\d+\s+(min(ute)?s?|hours?|days?)\s+(ago|read)|related (articles|posts|stories|news)|"
    r"(send|view|show|hide|write|post|add|load) (a |your |all )?comments?|our standards|contributed to this report)\b",
    re.IGNORECASE,
)
# Lines of any length that are chrome by how they start: links to other stories, copyright notices.
CHROME_OPENING = re.compile(
    r"^\W*(read (more|also|next)|see also|also read|related|more on this|watch|listen|(©|\(c\)|copyright)\s*\d{0,4})\s*[:|-]?\s",
    re.IGNORECASE,
)
MAX_CHROME_OPENING_WORDS = 40
# A caption ends with its picture's credit: "… in Tehran. Photo: AFP", "(Photo by X/Getty Images)", "REUTERS/Umit Bektas".
CAPTION_CREDIT = re.compile(
    r"(?:\(?\b(?:photo|photograph|picture|image|credit|foto)s?\s*(?::|\s+by\b)\s*[^.:]{2,60}\)?|\b[A-Z]{2,}/[A-Z][\w .'-]{1,40})\.?$",
    re.IGNORECASE,
)
SHARE_WORDS = frozenset(
    "share tweet facebook twitter x whatsapp telegram email e-mail mail print linkedin reddit pinterest "
    "copy link comments comment save vk messenger".split()
)
# Headings of blocks that list other stories; the headlines listed under them go too.
SIDEBAR_HEADING = re.compile(
    r"^(top (stories|news|headlines)|latest( news| stories)?|most (viewed|read|popular|shared|commented|watched)|"
    r"editor'?s'? (choice|picks?)|related( news| articles| stories| content| coverage)?|trending( now| stories)?|"
    r"popular( now| stories)?|recommended( for you| stories)?|you (may|might) (also )?(like|be interested in)|"
    r"more (from|on|stories|news|in)\b.*|read (also|next)|also read|see also|must read|don'?t miss|"
    r"in case you missed it|hot topics?|news in brief|other news|headlines)\W*$",
    re.IGNORECASE,
)
MAX_SIDEBAR_HEADING_WORDS = 6
MAX_CAPITALS_HEADING_WORDS = 3  # "TOP STORIES", "EDITOR'S CHOICE", "EXPLORE XINHUANET"
MAX_MASTHEAD_WORDS = 4
MENU_SEPARATORS = re.compile(r"\s*(?:\||•|·|»|›|>|/|\u2022)\s*")
MAX_MENU_ITEM_WORDS = 4
# Labels of page furniture ("News Code : 428510", "Category: FORUM", "Source: Xinhua").
METADATA_LABELS = frozenset(
    "code|id|news code|news id|story id|article id|category|categories|section|service|tags|tag|topics|topic|"
    "views|visits|source|author|by|reporter|editor|photo|photos|image|images|credit|print|date|time|updated|"
    "published|posted|reading time|words|language|name|email|e-mail|website|comment|your comment|message".split("|")
)
METADATA_ITEM = re.compile(r"^(?P<label>[A-Za-z][A-Za-z -]{0,20}?)\s*:\s*(?P<value>.*)$")
NUMBER_OR_ID = re.compile(r"^\W*(?:[A-Za-z]{0,6}[\s#:_-]*)?\d[\d\s/_.:-]{3,}\W*$")
BYLINE = re.compile(
    r"^(?i:by|written by|reported by|reporting by|report by|story by|author:?)\s+"
    r"(?P<name>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|al-\w+|bin|van|von|de|der|la)){0,4})",
)
MAX_BYLINE_WORDS = 15
CREDIT = re.compile(
    r"^(?:source|sources|via)\s*:\s*(?P<outlet>[^|,;]{2,40})$"
    r"|^(?:©|\(c\)|copyright)\s*(?:\d{4}\s*)?(?P<holder>[^|,;.©]{2,40}?)(?:\s*\d{4})?\s*(?:\.|$)",
    re.IGNORECASE,
)
TIME_ITEM = re.compile(
    r"^(?:(?:last\s+)?updated|posted|published)?\s*(?:at\s+)?\d{1,2}[:.]\d\d(?::\d\d)?\s*(?:[ap]\.?m\.?)?\s*(?:GMT|UTC|[A-Z]{2,4}T)?$",
    re.IGNORECASE,
)
URL_HOST = re.compile(r"^https?://(?:www\.)?(?P<host>[^/:]+)", re.IGNORECASE)
STOP_WORDS = frozenset(
    "that with from this have were their said says will would about after over into more than they been also "
    "which what when there where while them then these those other such only some could should being just "
    "very most much many like your ours here each both does dont didnt amid news".split()
)


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace and strip control characters."""
    return HORIZONTAL_SPACE.sub(" ", CONTROL_CHARACTERS.sub("", unicodedata.normalize("NFC", text))).strip()


def split_blocks(body: str) -> list[str]:
    """Paragraphs of a body: blank-line blocks, lines as paragraphs, hard-wrapped lines joined."""
    blocks: list[str] = []
    for block in re.split(r"\n[ \t\u00a0]*\n", body.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line for line in (normalise_space(raw) for raw in block.split("\n")) if line]
        blocks.extend(_unwrap(lines))
    return blocks


def _unwrap(lines: list[str]) -> list[str]:
    """One block's paragraphs: its lines, or runs of hard-wrapped lines joined."""
    if len(lines) < 2:
        return lines
    widest = max(len(line) for line in lines)
    if not WRAP_MIN_WIDTH <= widest <= WRAP_MAX_WIDTH:
        return lines  # short lines (a menu, a headline) or long ones (a paragraph each)
    broken_mid_sentence = sum(not is_sentence(line) for line in lines[:-1])
    if broken_mid_sentence < WRAP_MID_SENTENCE_SHARE * (len(lines) - 1):
        return lines  # short paragraphs, one per line: each line ends its sentence
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        current.append(line)
        if len(line) < WRAP_SHORT_LINE * widest:  # a short line ends its paragraph
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _words(text: str) -> list[str]:
    return text.split()


def is_sentence(text: str) -> bool:
    """True when ``text`` ends as prose does (full stop, question, colon…), not as a headline."""
    return bool(SENTENCE_END.search(text))


def looks_like_title(text: str) -> bool:
    """A headline is short and, unlike a sentence, has no closing full stop."""
    return len(_words(text)) <= MAX_TITLE_WORDS and not is_sentence(text)


def _content_words(text: str) -> set[str]:
    return {word for word in re.findall(rf"[^\W\d_]{{{MIN_CONTENT_WORD},}}", fold(text)) if word not in STOP_WORDS}


def overlap(line: str, story: str) -> float:
    """Share of ``line``'s content words that ``story`` uses too."""
    words = _content_words(line)
    return len(words & _content_words(story)) / len(words) if words else 0.0


def _is_date_only(text: str) -> bool:
    dated = published_date(text)
    return dated is not None and not dated.rest


def _is_metadata_item(item: str) -> bool:
    if NUMBER_OR_ID.match(item) or _is_date_only(item) or TIME_ITEM.match(item):
        return True
    match = METADATA_ITEM.match(item)
    if match is None:
        return False
    label, value = match.group("label").strip().lower(), match.group("value").strip()
    return label in METADATA_LABELS or bool(value) and (bool(NUMBER_OR_ID.match(value)) or _is_date_only(value))


def metadata_items(text: str) -> list[str]:
    """The items of a header line ("Source: Xinhua| 2018-09-08 03:12:40|Editor: mingmei")."""
    return [item.strip() for item in re.split(r"\s*[|•]\s*", text) if item.strip()]


def is_metadata_line(text: str) -> bool:
    """A header line of page furniture: dates, ids, "Label: value" items, possibly joined by "|"."""
    items = metadata_items(text)
    return bool(items) and all(_is_metadata_item(item) for item in items)


def is_menu(text: str) -> bool:
    """A row of section links: "Home | World | Middle East | Politics"."""
    items = [item for item in MENU_SEPARATORS.split(text) if item.strip()]
    return (
        len(items) >= 2
        and bool(MENU_SEPARATORS.search(text))
        and all(len(_words(item)) <= MAX_MENU_ITEM_WORDS and not is_sentence(item) for item in items)
    )


def byline(text: str) -> str | None:
    """The author a byline names ("By John Smith, Reuters" → "John Smith")."""
    if len(_words(text)) > MAX_BYLINE_WORDS:
        return None
    match = BYLINE.match(text)
    return match.group("name").strip() if match else None


def credit(text: str) -> str | None:
    """The outlet a credit line names ("Source: Xinhua", "© 2018 Tehran Times")."""
    match = CREDIT.match(text.strip())
    if match is None:
        return None
    return (match.group("outlet") or match.group("holder") or "").strip() or None


def is_sidebar_heading(text: str) -> bool:
    """The heading of a block of other stories: "TOP STORIES", "Editor's Choice", "MOST VIEWED"."""
    if len(_words(text)) > MAX_SIDEBAR_HEADING_WORDS or is_sentence(text):
        return False
    letters = [ch for ch in text if ch.isalpha()]
    all_capitals = (
        len(_words(text)) <= MAX_CAPITALS_HEADING_WORDS  # a longer line in capitals is a shouted headline
        and len(letters) > 2
        and all(ch.isupper() for ch in letters)
        and read_dateline(text + " - x") is None
    )
    return all_capitals or bool(SIDEBAR_HEADING.match(text.strip()))


def is_chrome(text: str) -> bool:
    """True for a line of site chrome: menus, header lines, ids, bylines, share/comment/subscribe/paywall lines."""
    words = _words(text)
    if len(words) <= MAX_CHROME_OPENING_WORDS and (CHROME_OPENING.match(text) or CAPTION_CREDIT.search(text)):
        return True
    if len(words) > MAX_CHROME_WORDS:
        return False
    if CHROME_PATTERN.search(text) or byline(text) or credit(text):
        return True
    if all(word.strip("|•·:,.-").lower() in SHARE_WORDS or not word.strip("|•·:,.-") for word in words):
        return True
    return is_metadata_line(text) or (is_menu(text) and not QUOTE_MARKS.search(text))


@dataclass
class _Reading:
    """What is learnt while walking a page's blocks."""

    blocks: list[str]
    dates: list[FoundDate] = field(default_factory=list)  # page dates from date lines, first first
    author: str = ""
    credit: str = ""
    masthead: str = ""

    def learn_from_chrome(self, block: str) -> None:
        """Keep what a chrome line says about the article: author, outlet credit, date."""
        self.author = self.author or (byline(block) or "")
        for item in metadata_items(block) if is_metadata_line(block) else [block]:
            self.credit = self.credit or (credit(item) or "")
            label = METADATA_ITEM.match(item)
            dated = published_date(item) or (published_date(label.group("value")) if label else None)
            if dated is not None and not dated.rest and item is not block:
                self.dates.append(dated.date)


def _strip_chrome(blocks: list[str]) -> _Reading:
    """Drop chrome and sidebar blocks; keep what they say about date, author and outlet."""
    reading = _Reading(blocks=[])
    in_sidebar = False
    for position, block in enumerate(blocks):
        if in_sidebar and (looks_like_title(block) or is_chrome(block)):
            continue
        in_sidebar = False
        if position == 0 and _is_masthead(block):
            reading.masthead = block.title()
            continue
        if is_sidebar_heading(block):
            in_sidebar = True
            continue
        dated = published_date(block)
        if dated is not None and (position < TITLE_REGION or dated.labelled or not dated.rest or is_chrome(dated.rest)):
            reading.dates.append(dated.date)
            if not dated.rest or is_chrome(dated.rest):
                reading.learn_from_chrome(dated.rest)  # "09 September 2018 | Source: IRNA"
                continue
            if dated.labelled:
                block = dated.rest  # "date 2018-09-07 Russian President …": the label and date go, the text stays
        if is_chrome(block):
            reading.learn_from_chrome(block)
            continue
        reading.blocks.append(block)
    return reading


def _is_masthead(text: str) -> bool:
    """The site's name in capitals atop a saved page ("BOSPHORUS DAILY")."""
    letters = [ch for ch in text if ch.isalpha()]
    return (
        len(_words(text)) <= MAX_MASTHEAD_WORDS
        and len(letters) > 2
        and all(ch.isupper() for ch in letters)
        and not SIDEBAR_HEADING.match(text)
    )


def _initials(name: str) -> str:
    return "".join(word[0] for word in name.split() if word[0].isupper() and word.lower() != "the")


def _outlet(known: str, agency: str, reading: _Reading, url: str) -> str:
    """The outlet: what the caller knows, the dateline's agency (spelt out by a credit line), a credit, the masthead."""
    if known:
        return known
    if agency and reading.credit and _initials(reading.credit) == agency.replace(".", ""):
        return reading.credit  # "(AP)" and "Copyright 2018 The Associated Press"
    return agency or reading.credit or reading.masthead or _host(url)


def _comparable(text: str) -> str:
    return re.sub(r"\W+", " ", fold(text)).strip()


def _drop_given_title(blocks: list[str], title: str) -> list[str]:
    """Drop the headline repeated in the body, and the short lines (taglines) standing above it."""
    wanted = _comparable(title)
    for position, block in enumerate(blocks[:TITLE_REGION]):
        if _comparable(block) == wanted:
            above = blocks[:position]
            if all(len(_words(b)) <= MAX_CHROME_WORDS for b in above):
                above = []
            return above + blocks[position + 1 :]
    return blocks


def _find_title(blocks: list[str]) -> tuple[str, list[str]]:
    """The headline among the first lines (the first the story echoes) and the paragraphs after it."""
    candidates: list[int] = []
    for position, block in enumerate(blocks[:TITLE_REGION]):
        if looks_like_title(block):
            candidates.append(position)
        elif len(_words(block)) > MAX_CHROME_WORDS:
            break  # the story has started; a short sentence before it is a tagline
    if not candidates:
        raise ArticleError("it has no title (no headline line above the story)" if blocks else "it has no text")

    def story_overlap(position: int) -> float:
        return overlap(blocks[position], " ".join(blocks[candidates[-1] + 1 :]))

    chosen = next((p for p in candidates if story_overlap(p) >= MIN_TITLE_OVERLAP), None)
    if chosen is None:
        chosen = max(candidates, key=lambda p: (story_overlap(p), -p))
    above = [b for b in blocks[:chosen] if len(_words(b)) > MAX_CHROME_WORDS]  # short lines above are taglines
    return blocks[chosen], above + blocks[chosen + 1 :]


def _drop_sidebar_headlines(title: str, paragraphs: list[str]) -> list[str]:
    """Drop headline-like lines in the story that share no words with it (links to other stories)."""
    kept = []
    for position, paragraph in enumerate(paragraphs):
        if looks_like_title(paragraph) and not QUOTE_MARKS.search(paragraph):
            rest = " ".join([title, *paragraphs[:position], *paragraphs[position + 1 :]])
            if overlap(paragraph, rest) < MIN_SUBHEAD_OVERLAP:
                logger.debug("Dropping sidebar headline %r", paragraph)
                continue
        kept.append(paragraph)
    return kept


def _host(url: str) -> str:
    match = URL_HOST.match(url.strip())
    return match.group("host").lower() if match else ""


def read_page(
    blocks: list[str],
    *,
    title: str = "",
    date: dt.date | None = None,
    outlet: str = "",
    author: str = "",
    url: str = "",
    source: str = "",
) -> ArticleText:
    """Read a page's blocks into an :class:`ArticleText`; what the caller already knows wins."""
    reading = _strip_chrome(blocks)
    title = normalise_space(title).lstrip("# ").strip()
    if title:
        paragraphs = _drop_given_title(reading.blocks, title)
    else:
        title, paragraphs = _find_title(reading.blocks)
    if not title:
        raise ArticleError("it has no title")
    paragraphs = _drop_sidebar_headlines(title, paragraphs)
    if not paragraphs:
        raise ArticleError("it has a title but no paragraphs")
    dateline = None
    for position, paragraph in enumerate(paragraphs[:DATELINE_PARAGRAPHS]):
        dateline = read_dateline(paragraph)
        if dateline is not None:  # the dateline is the page's, not a passage's words
            paragraphs[position] = paragraph[dateline.end :]
            break
    if date is None:
        everything = [found for text in paragraphs for found in find_dates(text)]
        year = year_of([*reading.dates, *everything])
        candidates = [*reading.dates, *([dateline.date] if dateline and dateline.date else [])]
        date = next((d for d in (found.on(year) for found in candidates) if d is not None), None)
    outlet = _outlet(outlet, dateline.agency if dateline else "", reading, url or source)
    return ArticleText(
        title=title,
        paragraphs=tuple(paragraphs),
        date=date,
        outlet=outlet,
        author=author or reading.author,
        url=url,
        source=source,
    )
