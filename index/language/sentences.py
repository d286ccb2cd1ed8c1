"""Sentences: the one sentence splitter of the project, with offsets.

pysbd (a rule-based port of the Golden Rules segmenter) knows English
abbreviations and numbers, so "Mr. Smith", "Dr. Jones", "the U.S. envoy" and
"on Sept. 7" stay inside their sentences, and a quote closed after its full
stop ("… a tragedy.” Erdogan replied") ends the sentence with its mark.
Offsets are found in the original text, so callers can cut sentences out of a
paragraph, mark them, or ask which sentence a position falls in.
"""

from __future__ import annotations

import bisect
import functools
import logging

import pysbd

logger = logging.getLogger(__name__)

SENTENCE_CACHE_SIZE = 8192  # paragraphs are read at build time and again for every answer that shows them
_SEGMENTER = pysbd.Segmenter(language="en", clean=False)


@functools.lru_cache(maxsize=SENTENCE_CACHE_SIZE)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    # Segmenter.segment keeps the text on the segmenter; its processor is made per call, so threads may share it.
    pieces = _SEGMENTER.processor(text).process()
    spans: list[tuple[int, int]] = []
    position = 0
    for piece in pieces:
        piece = piece.strip()
        start = text.find(piece, position) if piece else -1
        if start < 0:
            continue  # pysbd normalised something; the next piece picks up from here
        spans.append((start, start + len(piece)))
        position = start + len(piece)
    if not spans:
        stripped = text.strip()
        return ((text.find(stripped), text.find(stripped) + len(stripped)),) if stripped else ()
    return tuple(spans)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of the sentences of ``text`` (surrounding space excluded)."""
    return list(_spans(text))


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, closing quote marks kept with their sentence."""
    return [text[start:end] for start, end in _spans(text)]


class SentenceIndex:
    """Which sentence a position of a paragraph falls in; boundaries inside quotes can be ignored."""

    def __init__(self, text: str, quotes: list[tuple[int, int]] = ()) -> None:  # type: ignore[assignment]
        starts = [0]
        for start, _ in _spans(text)[1:]:
            if not any(q_start < start < q_end - 1 for q_start, q_end in quotes):
                starts.append(start)
        self._starts = starts

    def sentence_of(self, position: int) -> int:
        """The number of the sentence that ``position`` falls in."""
        return bisect.bisect_right(self._starts, position) - 1

    def same_sentence(self, first: int, second: int) -> bool:
        """True when both positions fall in one sentence."""
        return self.sentence_of(first) == self.sentence_of(second)
