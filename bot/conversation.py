"""Conversation state and follow-up resolution into a standalone query.

Each conversation remembers what was last talked about (people, topic, the
last standalone query and the passages already shown), so a follow-up such
as "Tell me more" or "And Erdogan?" can be searched on its own.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from index.speakers import PeopleDirectory

logger = logging.getLogger(__name__)

MORE_PATTERN = re.compile(r"^\s*(?:tell me )?more\b[\s.!?]*$|^\s*go on[\s.!?]*$", re.IGNORECASE)


@dataclass
class Conversation:
    """What one chat has talked about so far."""

    people: list[str] = field(default_factory=list)
    topic: str = ""
    last_query: str = ""
    shown: list[str] = field(default_factory=list)

    def remember(self, query: str, people: list[str], topic: str, shown: list[str], more: bool) -> None:
        """Record a finished turn."""
        self.shown = (self.shown + shown) if more else list(shown)
        self.last_query = query
        self.people = people or self.people
        self.topic = topic or self.topic

    def reset(self) -> None:
        """Forget everything."""
        self.people, self.topic, self.last_query, self.shown = [], "", "", []


@dataclass(frozen=True)
class Resolution:
    """A follow-up turned into something searchable."""

    query: str
    more: bool = False  # continue with the next passages of the last query


def resolve(question: str, conversation: Conversation, people: PeopleDirectory) -> Resolution:
    """Turn a possibly elliptical follow-up into a standalone query."""
    if MORE_PATTERN.match(question) and conversation.last_query:
        return Resolution(query=conversation.last_query, more=True)
    return Resolution(query=question.strip())
