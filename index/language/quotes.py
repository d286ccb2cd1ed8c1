"""Quotes and speech: quoted spans of a paragraph, the verbs that report speech, and who said what."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from index.text import fold

MIN_QUOTE_WORDS = 3  # shorter quoted spans are scare quotes ("ceasefire"), not speech
MIN_SHARED_WORDS = 6  # a cut of a quote this long is the same quote
SAME_WORDS_SIMILARITY = 90.0  # rapidfuzz ratio of two renderings of one quote (a word changed, British spelling)
WORD = re.compile(r"\w+")
SPEECH_VERBS = (
    "said|says|say|saying|noted|notes|added|adds|adding|retorted|replied|replies|insisted|insists|"
    "suggested|suggests|told|tells|stated|states|argued|argues|warned|warns|explained|explains|asked|"
    "asks|stressed|stresses|declared|declares|claimed|claims|urged|urges|announced|announces|remarked|"
    "continued|responded|responds|commented|observed|admitted|admits|acknowledged|emphasised|"
    "emphasized|pointed out|went on|wrote|writes|countered|counters|conceded|concedes|promised|"
    "promises|vowed|vows|denied|denies|proposed|proposes|recalled|maintained|maintains|cautioned|"
    "agreed|complained|quipped|joked|shot back|according to"
)
SUBJECT_AFTER_ONLY = "according to"
SPEECH_VERB_PATTERN = re.compile(r"\b(?:" + SPEECH_VERBS.replace(" ", r"\s+") + r")\b", re.IGNORECASE)
QUOTE_PATTERN = re.compile(r"“([^”]*)”?|\"([^\"]*)\"")


@dataclass(frozen=True)
class Quote:
    """A quoted span of a paragraph and who said it (``None`` when unknown)."""

    text: str
    speaker: str | None
    start: int
    end: int


@dataclass(frozen=True)
class ParagraphSpeech:
    """The quotes of one paragraph and its main speaker (quoted or reported)."""

    quotes: tuple[Quote, ...]
    speaker: str | None


def quote_spans(paragraph: str) -> list[tuple[int, int, str]]:
    """Start, end and inner text of every quote long enough to be speech."""
    spans = []
    for match in QUOTE_PATTERN.finditer(paragraph):
        inner = match.group(1) if match.group(1) is not None else match.group(2)
        if inner is not None and len(inner.split()) >= MIN_QUOTE_WORDS:
            spans.append((match.start(), match.end(), inner.strip()))
    return spans


def mask_quotes(paragraph: str, spans: list[tuple[int, int, str]]) -> str:
    """Blank out quoted text so names inside quotes are not taken as speakers."""
    chars = list(paragraph)
    for start, end, _ in spans:
        for position in range(start + 1, max(start + 1, end - 1)):
            chars[position] = " "
    return "".join(chars)


def _words(text: str) -> str:
    return " ".join(WORD.findall(fold(text)))


def same_words(first: str, second: str) -> bool:
    """True when two quotes or sentences are the same words, as outlets that syndicate a story print them.

    Case, accents, punctuation and quote marks do not count; one may be a cut of the other
    ("… at our table" and "… at our table, and still less …"), or differ by a word or two.
    """
    a, b = _words(first), _words(second)
    if not a or not b:
        return False
    shorter, longer = sorted((a, b), key=len)
    if len(shorter.split()) >= MIN_SHARED_WORDS and shorter in longer:
        return True
    return fuzz.ratio(a, b) >= SAME_WORDS_SIMILARITY


def reports_speech(sentence: str) -> bool:
    """True when a sentence has a speech verb ("said", "according to")."""
    return bool(SPEECH_VERB_PATTERN.search(sentence))
