"""Tell an English question from one in another language, offline and in microseconds.

The bot reads English: a question in Russian, German or Turkish would
otherwise be searched word by word and answered with whatever shares a name
("Путин"), or refused as if the articles lacked the answer. Three signals,
combined because each alone fails on short questions:

* the script: mostly non-Latin letters (Cyrillic, Arabic, Chinese …) is not English;
* function words: bm25s's stop-word lists of English and of eleven other
  languages ("Was hat Erdogan gesagt?": German *hat* against English *was*);
* py3langid's naive-Bayes classifier, which names the language; its
  confidence counts when that language's function words agree, or when the
  question has no English function word at all ("Kto jest Erdogan?").

Words the articles use (names such as "Putin" or "Palais des Nations") count
for neither side. Language identifiers are unreliable on one or two words ("Putin?" comes out
as Quechua), so such questions count as English unless their script says
otherwise: a follow-up like "Lavrov?" must never be refused.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from typing import Callable

logger = logging.getLogger(__name__)

ENGLISH = "en"
MIN_WORDS = 2  # fewer words than this: only the script can tell
NON_LATIN_SHARE = 0.5  # letters outside the Latin script that make a question foreign
LANGID_AGREEING = 0.2  # normalised probability enough when the language's own function words agree
LANGID_ALONE = 0.4  # normalised probability enough when the question has no English function word
FOREIGN_FUNCTION_WORDS = 2  # this many of one other language's function words, and none of English's
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# bm25s's English list holds the pieces of split contractions ("didn", "ll", "o"), which are not words.
CONTRACTION_PIECES = frozenset("d ll m o re s t ve y ma ain".split())
FOREIGN_STOPWORD_LISTS = {
    "de": "STOPWORDS_GERMAN",
    "fr": "STOPWORDS_FRENCH",
    "es": "STOPWORDS_SPANISH",
    "it": "STOPWORDS_ITALIAN",
    "pt": "STOPWORDS_PORTUGUESE",
    "nl": "STOPWORDS_DUTCH",
    "da": "STOPWORDS_DANISH",
    "no": "STOPWORDS_NORWEGIAN",
    "sv": "STOPWORDS_SWEDISH",
    "tr": "STOPWORDS_TURKISH",
    "ru": "STOPWORDS_RUSSIAN",
}


@functools.cache
def _english_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    words = frozenset(STOPWORDS_EN_PLUS)
    return frozenset(w for w in words if w not in CONTRACTION_PIECES and f"{w}'t" not in words)


@functools.cache
def _foreign_words() -> dict[str, frozenset[str]]:
    """Each other language's function words, less those English shares ("a", "in", "was")."""
    import bm25s.stopwords as stopwords

    english = _english_words()
    return {code: frozenset(getattr(stopwords, name)) - english for code, name in FOREIGN_STOPWORD_LISTS.items()}


@functools.cache
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _latin_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 1.0
    latin = sum(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)
    return latin / len(letters)


def is_english(question: str, known: Callable[[str], bool] = lambda word: False) -> bool:
    """True unless ``question`` is clearly written in another language.

    ``known`` tells the words the articles use ("Putin", "Palais", "des"): they are
    names or English, so they count for neither side.
    """
    if _latin_share(question) < NON_LATIN_SHARE:
        return False
    words = [word.casefold().replace("’", "'") for word in WORD.findall(question)]
    words = [word for word in words if not known(word)]
    if len(words) < MIN_WORDS:
        return True
    english = sum(word in _english_words() for word in words)
    foreign = {code: sum(word in stop for word in words) for code, stop in _foreign_words().items()}
    language, confidence = _identifier().classify(" ".join(words))
    if language == ENGLISH:
        return True
    own = foreign.get(language, 0)  # the function words of the language the classifier names
    if own and own >= english and confidence >= LANGID_AGREEING:
        return False
    if english == 0 and (confidence >= LANGID_ALONE or max(foreign.values()) >= FOREIGN_FUNCTION_WORDS):
        return False
    return True
