"""Read a standalone question: who it names, whether it asks for someone's words.

Also finds names the articles never mention ("What did Macron say?",
"What is the capital of France?"): a question about something absent from
every article cannot be answered from them, however close its other words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexical import tokenize
from index.speakers import NOT_NAME_WORDS, PeopleDirectory, fold

SPEECH_INTENT = re.compile(
    r"\b(say|said|says|saying|tell|told|think|thinks|thought|claim|claimed|respond|responded|react|reacted|"
    r"reply|replied|answer|answered|suggest|suggested|propose|proposed|argue|argued|insist|insisted|"
    r"note|noted|want|wanted|view|views|position|stance|words|quote|quoted|according to|warn|warned|"
    r"retort|retorted|mean|meant|ask|asked|demand|demanded)\b",
    re.IGNORECASE,
)
WHO_SAID = re.compile(r"^\s*who\s+(said|says|suggested|insisted|noted|warned|replied|retorted|claimed|argued)\b", re.I)
CAPITALISED_WORD = re.compile(r"(?<![\w'’-])([A-Z][\w'’-]*[\w])")
LOWERCASE_SPEAKER = re.compile(
    r"\b(?:did|does|do|would|will|has|have)\s+([a-z][\w-]+)\s+(?:say|think|want|suggest|propose|mean|claim)\b"
)
QUESTION_OPENERS = frozenset(
    "what who whom whose why how where when which is are was were did does do can could would should will "
    "tell show give explain describe list and but so".split()
)


@dataclass(frozen=True)
class QuestionAnalysis:
    """What a question is about, beyond its words."""

    people: tuple[str, ...]
    speech: bool
    who_said: bool
    unknown_names: tuple[str, ...]
    name_terms: frozenset[str] = frozenset()  # search terms that only name the people asked about

    @property
    def speaker(self) -> str | None:
        """The person whose words are asked for (the first person named)."""
        return self.people[0] if self.people else None


def _candidate_names(question: str) -> list[str]:
    names = []
    for match in CAPITALISED_WORD.finditer(question):
        word = match.group(1)
        starts_sentence = match.start() == 0 or question[: match.start()].rstrip()[-1:] in ".!?"
        if fold(word) in NOT_NAME_WORDS or (starts_sentence and fold(word) in QUESTION_OPENERS):
            continue
        names.append(word)
    names += LOWERCASE_SPEAKER.findall(question)
    return names


def unknown_names(question: str, people: PeopleDirectory, vocabulary: dict[str, int]) -> tuple[str, ...]:
    """Proper names in the question that appear in no article."""
    unknown = []
    for name in _candidate_names(question):
        if fold(name) in QUESTION_OPENERS or people.find(name):
            continue
        tokens = tokenize(name)
        if tokens and not any(token in vocabulary for token in tokens):
            unknown.append(re.sub(r"[’']s$", "", name))
    return tuple(dict.fromkeys(unknown))


def analyse(question: str, people: PeopleDirectory, vocabulary: dict[str, int]) -> QuestionAnalysis:
    """Who the question names, whether it asks for words, and what it names that no article does."""
    named = people.names_in(question)
    name_terms = {
        term for name in named for alias in people.find(name).all_aliases() for term in tokenize(alias)  # type: ignore[union-attr]
    }
    return QuestionAnalysis(
        people=tuple(named),
        name_terms=frozenset(name_terms),
        speech=bool(SPEECH_INTENT.search(question)),
        who_said=bool(WHO_SAID.search(question)),
        unknown_names=unknown_names(question, people, vocabulary),
    )
