"""How answers look in Telegram: HTML text, inline buttons, and long replies split.

Everything that comes from the articles or from the user is escaped with
:func:`html.escape`; the only markup is our own ``<b>`` and ``<i>``. A reply
longer than :attr:`telegram.constants.MessageLimit.MAX_TEXT_LENGTH` is split
on paragraph boundaries (blank lines), never inside a tag. Callback data of
every button fits Telegram's 64-byte limit and is decoded here too, so the
format lives in one place.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
import weakref
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from bot.answer import Answer, AnswerPart, also_reported, citation, display_text, human_date
from bot.overview import MORE_HINT, Overview, statement_text
from bot.small_talk import Reply
from index.language.sentences import sentence_spans
from index.passages import Passage
from index.store import Snapshot

MESSAGE_LIMIT = MessageLimit.MAX_TEXT_LENGTH
UTF16 = "utf-16-le"
CALLBACK_DATA_LIMIT = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA
PARAGRAPH_BREAK = "\n\n"
HIGHLIGHT_TAG = "b"
SOURCES_HINT = "Send /sources to see every article with its date."
WELCOME_TITLES = 10
ARTICLE_KEY_CHARS = 10

SHOW_PASSAGE = "show"
MORE = "more"
ASK = "ask"
SOURCES = "sources"
SOURCES_PER_PAGE = 20  # articles per /sources message
MAX_PAGE_DIGITS = 7
DATA_SEPARATOR = ":"

WEB_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)  # Telegram refuses a message linking anything else
# An HTML token: a tag, an entity, a run of spaces, or a run of other text.
_HTML_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|\s+|[^<&\s]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([A-Za-z0-9-]+)")


def escape(text: str) -> str:
    """Text from an article or a user, made safe for ``parse_mode=HTML``."""
    return html.escape(text, quote=False)


# --------------------------------------------------------------------------- answers


def cited_passages(answer: Answer) -> list[tuple[Passage, list[AnswerPart]]]:
    """The passages an answer quotes, in answer order, each with its parts."""
    groups: dict[str, tuple[Passage, list[AnswerPart]]] = {}
    for part in answer.parts:
        groups.setdefault(part.passage.id, (part.passage, []))[1].append(part)
    return list(groups.values())


def render_part(part: AnswerPart) -> str:
    """One quote (``<b>Speaker</b>: “…”``) or sentence, as the CLI prints it but in HTML."""
    if part.quoted:
        label = f"<b>{escape(part.speaker)}</b>: " if part.speaker else ""
        return f"{label}“{escape(part.text)}”"
    text = escape(display_text(part))
    if part.speaker:  # display_text names the speaker of "He said …" in brackets
        text = text.replace(f"[{escape(part.speaker)}]", f"[<b>{escape(part.speaker)}</b>]", 1)
    return text


def render_citation(passage: Passage, also: tuple[Passage, ...] = ()) -> str:
    """The source line under a quote: outlet, title (linking its page, when known), date, paragraph, who else reported it."""
    text = escape(citation(passage) + also_reported(also))
    if WEB_LINK.match(passage.url):
        title = escape(passage.title)
        text = text.replace(title, f'<a href="{html.escape(passage.url)}">{title}</a>', 1)
    return f"<i>— {text}</i>"


def render_answer(answer: Answer, echo_question: bool = False) -> str:
    """An answer as Telegram HTML: quotes with bold speakers, a citation line per source.

    ``echo_question`` repeats the question on top, for questions asked by a
    button, where the chat does not show what was asked.
    """
    paragraphs = [f"❓ <i>{escape(answer.question)}</i>"] if echo_question else []
    if isinstance(answer, Reply):
        return PARAGRAPH_BREAK.join([*paragraphs, escape(answer.note), "Tap a question below, or ask your own."])
    if isinstance(answer, Overview):
        return PARAGRAPH_BREAK.join([*paragraphs, render_overview(answer)])
    if not answer.found and not answer.parts:
        paragraphs += [escape(answer.note or "The articles don't answer that."), SOURCES_HINT]
        return PARAGRAPH_BREAK.join(paragraphs)
    if answer.note:
        paragraphs.append(f"<i>{escape(answer.note)}</i>")
    for passage, parts in cited_passages(answer):
        also = tuple(dict.fromkeys(other for part in parts for other in part.also))
        paragraphs.append("\n".join([*(render_part(part) for part in parts), render_citation(passage, also)]))
    return PARAGRAPH_BREAK.join(paragraphs)


def render_overview(overview: Overview) -> str:
    """An overview with the lines ``summitbot ask`` prints, headlines and speakers in bold."""
    paragraphs = [f"<i>{escape(overview.note)}</i>"] if overview.note else []
    for article in overview.articles:
        headline = f"<b>“{escape(article.headline.text)}”</b> ({escape(human_date(article.headline.date) or 'undated')})"
        lead = article.lead
        if not overview.single:
            if lead is not None:
                paragraphs.append(f"• {headline}: {escape(lead.text)} (¶{lead.passage.paragraph})")
            continue
        if lead is not None:
            paragraphs.append(f"{headline}\n{escape(lead.text)} (¶{lead.passage.paragraph})")
        statements = [f"• {render_statement(part)} (¶{part.passage.paragraph})" for part in article.statements]
        if statements:
            paragraphs.append("\n".join(statements))
    if overview.more:
        paragraphs.append(MORE_HINT)
    return PARAGRAPH_BREAK.join(paragraphs)


def render_statement(part: AnswerPart) -> str:
    """A statement of an overview: the speaker in bold before a quote."""
    if part.quoted and part.speaker:
        return f"<b>{escape(part.speaker)}</b>: “{escape(part.text)}”"
    return escape(statement_text(part))


def render_passage(passage: Passage, highlighted: Collection[int] = ()) -> str:
    """A whole paragraph under its citation, the sentences numbered in ``highlighted`` in bold."""
    pieces, position = [], 0
    for number, (start, end) in enumerate(sentence_spans(passage.text)):
        if number in highlighted:
            pieces.append(escape(passage.text[position:start]))
            pieces.append(f"<{HIGHLIGHT_TAG}>{escape(passage.text[start:end])}</{HIGHLIGHT_TAG}>")
            position = end
    pieces.append(escape(passage.text[position:]))
    return f"{render_citation(passage)}{PARAGRAPH_BREAK}{''.join(pieces)}"


def answering_sentences(passage: Passage, parts: Iterable[AnswerPart]) -> list[int]:
    """Numbers of the passage's sentences (per :func:`sentence_spans`) that the parts come from."""
    spans = sentence_spans(passage.text)
    found: set[int] = set()
    for part in parts:
        start = passage.text.find(part.text)
        if start < 0:
            continue
        end = start + len(part.text)
        found.update(i for i, (s, e) in enumerate(spans) if s < end and start < e)
    return sorted(found)


# --------------------------------------------------------------------------- other replies


def render_sources(coverage: Sequence[tuple[str, str, int]], page: int = 0) -> str:
    """One page of the indexed articles (SOURCES_PER_PAGE of them): title, date and passage count."""
    if not coverage:
        return "No articles are indexed yet."
    first = page * SOURCES_PER_PAGE
    shown = coverage[first : first + SOURCES_PER_PAGE]
    if not shown:
        return f"There are only {len(coverage)} articles: /sources lists them from the first."
    span = f"{first + 1}–{first + len(shown)} of {len(coverage)}" if len(coverage) > len(shown) else str(len(coverage))
    lines = [f"<b>Articles I know</b> ({span}):"]
    for title, date, passages in shown:
        lines.append(f"• {escape(title)} — {human_date(date) or 'undated'}, {passages} passages")
    return "\n".join(lines)


def sources_keyboard(count: int, page: int = 0) -> InlineKeyboardMarkup | None:
    """A "More articles" button when articles remain after ``page``."""
    if (page + 1) * SOURCES_PER_PAGE >= count:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton("More articles", callback_data=sources_data(page + 1))]])


def sources_data(page: int) -> str:
    """Callback data of the "More articles" button for ``page``."""
    return f"{SOURCES}{DATA_SEPARATOR}{page}"


def parse_sources_page(data: str) -> int | None:
    """Decode :func:`sources_data`; None for anything malformed."""
    prefix, _, page = data.partition(DATA_SEPARATOR)
    return int(page) if prefix == SOURCES and page.isdigit() and len(page) < MAX_PAGE_DIGITS else None


def render_welcome(coverage: Sequence[tuple[str, str, int]]) -> str:
    """The /start message: what the bot is for and which articles it knows."""
    intro = (
        "Hello! I answer questions about news articles with the articles' own words: "
        "who said what, quoted and cited with title, date and paragraph."
    )
    if not coverage:
        return f"{intro}{PARAGRAPH_BREAK}No articles are indexed yet."
    shown = [f"• <b>{escape(title)}</b> — {human_date(date) or 'undated'}" for title, date, _ in coverage]
    shown = shown[:WELCOME_TITLES]
    if len(coverage) > WELCOME_TITLES:
        shown.append(f"…and {len(coverage) - WELCOME_TITLES} more: /sources")
    known = f"I know {len(coverage)} article{'s' if len(coverage) != 1 else ''}:\n" + "\n".join(shown)
    return PARAGRAPH_BREAK.join(
        [intro, known, "Ask anything in your own words, or tap an example below. /help lists the commands."]
    )


# --------------------------------------------------------------------------- buttons


def article_key(article: str) -> str:
    """A short, stable stand-in for an article id inside callback data."""
    return hashlib.sha1(article.encode("utf-8")).hexdigest()[:ARTICLE_KEY_CHARS]


def fits_callback_data(data: str) -> bool:
    """True when ``data`` is within Telegram's callback data limit (in bytes)."""
    return 0 < len(data.encode("utf-8")) <= CALLBACK_DATA_LIMIT


def show_passage_data(passage: Passage, highlighted: Collection[int]) -> str:
    """Callback data of "Show passage": article key, paragraph, highlighted sentences as a bit mask."""
    mask = sum(1 << number for number in highlighted)
    return DATA_SEPARATOR.join([SHOW_PASSAGE, article_key(passage.article), str(passage.paragraph), f"{mask:x}"])


@dataclass(frozen=True)
class PassageRequest:
    """A decoded "Show passage" press."""

    article_key: str
    paragraph: int
    highlighted: frozenset[int]



_ARTICLE_KEYS: weakref.WeakKeyDictionary[Snapshot, dict[str, str]] = weakref.WeakKeyDictionary()
_ARTICLE_KEYS_LOCK = threading.Lock()


def find_passage(snapshot: Snapshot, request: PassageRequest) -> Passage | None:
    """The passage a "Show passage" press asks for, if ``snapshot`` still has it.

    Looked up by id: the article keys are hashed once per build, not once per press.
    """
    with _ARTICLE_KEYS_LOCK:
        keys = _ARTICLE_KEYS.get(snapshot)
        if keys is None:
            keys = _ARTICLE_KEYS[snapshot] = {article_key(article): article for article in snapshot.manifest.articles}
    article = keys.get(request.article_key)
    return snapshot.passage(article, request.paragraph) if article is not None else None


def parse_show_passage(data: str) -> PassageRequest | None:
    """Decode :func:`show_passage_data`; None for anything malformed."""
    fields = data.split(DATA_SEPARATOR)
    if len(fields) != 4 or fields[0] != SHOW_PASSAGE:
        return None
    try:
        paragraph, mask = int(fields[2]), int(fields[3], 16)
    except ValueError:
        return None
    return PassageRequest(fields[1], paragraph, frozenset(i for i in range(mask.bit_length()) if mask >> i & 1))


def ask_data(question: str) -> str:
    """Callback data of a tap-to-ask example question."""
    return f"{ASK}{DATA_SEPARATOR}{question}"


def answer_keyboard(answer: Answer) -> InlineKeyboardMarkup | None:
    """"Show passage" per cited passage and "More", for answers that found something.

    An overview offers "More" while it has more to show; a chat reply offers its example questions.
    """
    if isinstance(answer, Reply):
        return examples_keyboard(answer.suggestions)
    if isinstance(answer, Overview):
        return InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data=MORE)]]) if answer.more else None
    if not answer.parts:  # related passages of a "quoted, but not about that" reply have buttons too
        return None
    groups = cited_passages(answer)
    buttons = [
        InlineKeyboardButton(
            "Show passage" if len(groups) == 1 else f"Passage ¶{passage.paragraph}",
            callback_data=show_passage_data(passage, answering_sentences(passage, parts)),
        )
        for passage, parts in groups
    ]
    buttons.append(InlineKeyboardButton("More", callback_data=MORE))
    return InlineKeyboardMarkup([buttons])


def examples_keyboard(questions: Iterable[str]) -> InlineKeyboardMarkup | None:
    """One tap-to-ask button per example question whose callback data fits."""
    rows = [[InlineKeyboardButton(q, callback_data=ask_data(q))] for q in questions if fits_callback_data(ask_data(q))]
    return InlineKeyboardMarkup(rows) if rows else None


# --------------------------------------------------------------------------- splitting


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, how Telegram counts entity offsets (emoji and other non-BMP: 2)."""
    return len(text.encode(UTF16, "surrogatepass")) // 2


def utf16_prefix(text: str, units: int) -> str:
    """The longest start of ``text`` within ``units`` UTF-16 code units, never half a character."""
    encoded = text.encode(UTF16, "surrogatepass")[: 2 * units]
    if encoded and 0xD800 <= int.from_bytes(encoded[-2:], "little") <= 0xDBFF:  # half a surrogate pair
        encoded = encoded[:-2]
    return encoded.decode(UTF16, "surrogatepass")


def visible_length(text: str) -> int:
    """What a user sees of HTML text, in UTF-16 code units: tags count 0, entities as the character."""
    return sum(_token_width(token) for token in _HTML_TOKEN.findall(text))


def _token_width(token: str) -> int:
    if token.startswith("<") and token.endswith(">"):
        return 0
    if token.startswith("&") and token.endswith(";"):
        return utf16_length(html.unescape(token))
    return utf16_length(token)


def split_html(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into messages of at most ``limit`` visible UTF-16 code units.

    Telegram's documentation gives the limit in characters and counts entity offsets in
    UTF-16 code units; counting code units is the stricter reading, so an answer full of
    emoji still fits.

    Cuts fall between paragraphs (blank lines outside any tag); a single
    paragraph longer than ``limit`` is cut between words (or, for a giant
    word, between characters), closing the open tags at the cut and reopening
    them in the next message.
    """
    messages: list[str] = []
    current: list[str] = []
    size = 0
    for paragraph in _paragraphs(text):
        width = visible_length(paragraph)
        if width > limit:
            if current:
                messages.append(PARAGRAPH_BREAK.join(current))
                current, size = [], 0
            messages.extend(_split_paragraph(paragraph, limit))
            continue
        joined = width + (len(PARAGRAPH_BREAK) if current else 0)
        if current and size + joined > limit:
            messages.append(PARAGRAPH_BREAK.join(current))
            current, size, joined = [], 0, width
        current.append(paragraph)
        size += joined
    if current:
        messages.append(PARAGRAPH_BREAK.join(current))
    return [message for message in messages if html.unescape(re.sub(r"<[^>]*>", "", message)).strip()]


def _paragraphs(text: str) -> list[str]:
    """The text's paragraphs: pieces between blank lines that stand outside every tag."""
    paragraphs: list[str] = []
    current: list[str] = []
    depth = 0
    for token in _HTML_TOKEN.findall(text):
        if token.startswith("</") and token.endswith(">"):
            depth = max(0, depth - 1)
        elif token.startswith("<") and token.endswith(">"):
            depth += 1
        elif depth == 0 and token.isspace() and PARAGRAPH_BREAK in token:
            paragraphs.append("".join(current))
            current = []
            continue
        current.append(token)
    paragraphs.append("".join(current))
    return paragraphs


def _split_paragraph(paragraph: str, limit: int) -> list[str]:
    """Cut one over-long paragraph between tokens, carrying open tags across cuts."""
    pieces: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, opening tag as written)
    current: list[str] = []
    size = 0

    def cut() -> None:
        nonlocal current, size
        closing = "".join(f"</{name}>" for name, _ in reversed(open_tags))
        pieces.append("".join(current) + closing)
        current, size = [opening for _, opening in open_tags], 0

    for token in _HTML_TOKEN.findall(paragraph):
        if token.startswith("<") and token.endswith(">"):
            name = _TAG_NAME.match(token)
            if token.startswith("</"):
                if open_tags:
                    open_tags.pop()
            elif name:
                open_tags.append((name.group(1).lower(), token))
            current.append(token)
            continue
        width = _token_width(token)
        if size + width > limit:
            if token.isspace():  # the cut replaces the space
                cut()
                continue
            if size:
                cut()
            while width > limit:  # a word longer than a whole message: cut between characters
                head = utf16_prefix(token, limit)
                current.append(head)
                token, width = token[len(head) :], width - utf16_length(head)
                cut()
        current.append(token)
        size += width
    if current:
        pieces.append("".join(current))
    return pieces
