"""What kind of message a turn is, before it is searched: chat, a question about the bot, an overview, or a question.

The first messages people send are rarely questions about a detail: "hi",
"what can you do?", "what is this about?", "tl;dr". Searched as questions,
they come back as "the articles don't answer that". These rules read them
by their whole form, so a real question that merely starts with a greeting
("Hi, what did Putin say?") or mentions a summary ("What did Putin say in
his summary?") is still a question:

* small talk — the message is nothing but greetings, thanks, goodbyes or
  acknowledgements ("hi!", "thanks a lot", "ok cool");
* about the bot — "who are you", "what can you do", "help", "how does this work";
* overview — "what is this (article) about", "summarise / tl;dr / the gist /
  main points", "what happened (at the summit)", "what do the articles say
  about Idlib": see :func:`overview_request`;
* anything else is a question (other languages are told apart by
  :mod:`bot.languages`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

logger = logging.getLogger(__name__)

SMALL_TALK, ABOUT_BOT, QUESTION = "small talk", "about the bot", "question"

_GREETING = (
    r"hi+|hello+|hey+|hiya|howdy|yo|greetings|good\s+(?:morning|afternoon|evening|day)|"
    r"what'?s\s+up|sup|how\s+are\s+you(?:\s+doing)?|how'?s\s+it\s+going|nice\s+to\s+meet\s+you"
)
_THANKS = (
    r"thanks?(?:\s+you)?(?:\s+(?:so|very)\s+much|\s+a\s+lot|\s+again)?|thx|ty|cheers|much\s+appreciated|"
    r"appreciate\s+it|thank\s+u"
)
_ACKNOWLEDGEMENT = r"ok(?:ay)?|k|cool|great|nice|awesome|perfect|got\s+it|i\s+see|understood|wow|good|alright|sure|yes|no"
_GOODBYE = r"bye|goodbye|bye\s+bye|see\s+you(?:\s+later)?|later|good\s*night|ciao"
_ADDRESS = r"(?:\s+(?:there|bot|summitbot|everyone|all|friend|mate))?"
SMALL_TALK_PHRASE = rf"(?:{_GREETING}|{_THANKS}|{_ACKNOWLEDGEMENT}|{_GOODBYE}){_ADDRESS}"
GREETING = re.compile(rf"\b(?:{_GREETING})\b", re.IGNORECASE)
THANKS = re.compile(rf"\b(?:{_THANKS})\b", re.IGNORECASE)
GOODBYE = re.compile(rf"\b(?:{_GOODBYE})\b", re.IGNORECASE)
PUNCTUATION = r"[\s,.!?;:…)(*~\-—'\"\U0001F300-\U0001FAFF\u2600-\u27BF]*"
SMALL_TALK_MESSAGE = re.compile(rf"^{PUNCTUATION}(?:{SMALL_TALK_PHRASE}{PUNCTUATION})+$", re.IGNORECASE)
# "Hi, what did Putin say?": the greeting goes, the question stays.
LEADING_SMALL_TALK = re.compile(rf"^\s*(?:{_GREETING}|{_THANKS}){_ADDRESS}\s*[,.!;:—-]+\s*(?=\S)", re.IGNORECASE)
LEADING_PLEASE = re.compile(r"^\s*(?:please|pls|plz)\s*,?\s+(?=\S)", re.IGNORECASE)
# "So what is this about?", "In short, what happened?": words before an overview or a question about the bot.
LEADING_FILLER = re.compile(
    r"^\s*(?:so|ok(?:ay)?|well|and|in\s+short|briefly|in\s+a\s+nutshell|quickly)\s*,?\s+(?=\S)", re.IGNORECASE
)
# "Summarise what Putin said about the truce" asks "what Putin said about the truce".
LEADING_REQUEST = re.compile(
    r"^\s*(?:(?:can|could|would)\s+you\s+)?(?:summari[sz]e|explain|describe|outline)\s+"
    r"(?=(?:what|who|whom|why|how|when|where|which)\b)",
    re.IGNORECASE,
)

ABOUT_BOT_MESSAGE = re.compile(
    r"^\s*(?:/?help(?:\s+me)?|who\s+are\s+you|what\s+are\s+you|what\s+is\s+this(?:\s+bot)?|(?:what|who)\s+is\s+summitbot|"
    r"what(?:'s|\s+is)\s+your\s+name|what\s+(?:can|do)\s+you\s+do|what\s+can\s+i\s+ask(?:\s+you)?|"
    r"what\s+should\s+i\s+ask(?:\s+you)?|how\s+(?:does\s+(?:this|it)\s+work|do\s+i\s+use\s+(?:this|you|it))|"
    r"what\s+do\s+you\s+know|what\s+can\s+you\s+tell\s+me|are\s+you\s+a\s+(?:bot|robot|human|person)|"
    r"what\s+(?:articles|sources|news)\s+do\s+you\s+(?:have|know)|(?:what|which)\s+are\s+your\s+sources|"
    r"who\s+(?:made|built|created)\s+you)"
    r"(?:\s+(?:here|then|exactly))?[\s?!.]*$",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- overviews

_ARTICLE_NOUN = r"(?:article|story|piece|report|text|news|item|coverage)s?"
_DOCUMENT_NOUN = rf"(?:this|that|the|these|those|your|both|all\s+(?:the|your|these)?)\s*(?P<named>[^?!.]*?)\s*{_ARTICLE_NOUN}"
_DOCUMENT = rf"(?:{_DOCUMENT_NOUN}|it|this|that|they|these|them)"
_SUMMARY_NOUN = (
    r"summary|summaries|gist|overview|rundown|run-?down|recap|tl;?\s?dr|tldr|main\s+points?|key\s+points?|"
    r"highlights|takeaways?|key\s+takeaways?|main\s+takeaways?|main\s+ideas?|key\s+facts|short\s+version|"
    r"headlines?|big\s+picture|bottom\s+line"
)
_SUMMARY_VERB = r"summari[sz]e|sum\s+(?:it|this|that|them|these|everything)?\s*up|recap|brief\s+me|outline"
_ABOUT = r"(?:\s+(?:on|about|of|for|regarding|concerning|from|in)\s+(?P<topic>[^?!]+?))?"
OVERVIEW_FORMS = (
    # "What is this about?", "What's the article about?", "What are the articles about?"
    re.compile(rf"^what(?:'s|’s|s|\s+is|\s+are|\s+was|\s+were)\s+{_DOCUMENT}\s+(?:all\s+|mainly\s+|really\s+)?about$", re.I),
    # "Summarize the article", "sum it up", "summarise what happened at the summit" is not one (a clause follows)
    re.compile(rf"^(?:can\s+you\s+|could\s+you\s+|would\s+you\s+)?(?:{_SUMMARY_VERB})(?:\s+{_DOCUMENT})?{_ABOUT}$", re.I),
    # "Recap the summit", "Summarize the Levant Monitor analysis": a topic, or the article its headline names
    re.compile(rf"^(?:can\s+you\s+|could\s+you\s+|would\s+you\s+)?(?:{_SUMMARY_VERB})\s+(?P<subject>[^?!]+?)$", re.I),
    # "tl;dr", "Give me the gist", "What are the main points?", "Summary of the UN article"
    re.compile(
        rf"^(?:(?:can\s+you\s+|could\s+you\s+)?(?:give|tell|show)\s+me\s+|i\s+want\s+|i'?d\s+like\s+|"
        rf"what(?:'s|’s|\s+is|\s+are)\s+)?(?:the\s+|a\s+|an\s+|quick\s+|short\s+|brief\s+)*"
        rf"(?:{_SUMMARY_NOUN})(?:\s+(?:of|for|from|on)\s+{_DOCUMENT})?{_ABOUT}$",
        re.I,
    ),
    # "What happened?", "What happened at the summit?", "What's going on in Idlib?"
    re.compile(
        r"^what(?:'s|’s|s|\s+is|\s+has)?\s+(?:happened|happening|going\s+on|new|the\s+news|the\s+story)(?:\s+here)?"
        r"(?:\s+(?:at|in|during|on|with|over)\s+(?P<topic>[^?!]+?))?$",
        re.I,
    ),
    # "What do the articles say about Idlib?", "What does the article say?", "What do you know about Idlib?"
    re.compile(
        rf"^what\s+(?:do|does|did|can)\s+(?:{_DOCUMENT_NOUN}|you)\s+(?:say|report|tell\s+(?:me|us)|know|have|cover)"
        rf"(?:\s+(?:on|about|of|regarding|concerning)\s+(?P<topic>[^?!]+?))?$",
        re.I,
    ),
    # "Tell me about the article", "Tell me what the articles say", "Tell me what the article is about"
    re.compile(
        rf"^tell\s+me\s+(?:about|what)\s+{_DOCUMENT}(?:\s+(?:says?|reports?|covers?|(?:is|are)\s+about))?$", re.I
    ),
    # "Explain the article", "Describe the story"
    re.compile(rf"^(?:explain|describe|present)\s+{_DOCUMENT_NOUN}$", re.I),
)
# A topic that is itself a question ("summarise what Putin said") is a question, not an overview.
CLAUSE_TOPIC = re.compile(r"^(?:what|who|whom|whose|why|how|when|where|which|whether|if)\b", re.I)
TRAILING = re.compile(r"(?:[\s,]+(?:please|pls|plz|then|now|thanks|for\s+me|for\s+us))*[\s?!.…]*$", re.I)
PLURAL_DOCUMENT = re.compile(r"\b(?:articles|stories|pieces|reports|texts|items|they|these|them|both)\b", re.I)


@dataclass(frozen=True)
class OverviewRequest:
    """An overview asked for: of everything, of one article (named or meant), or on a topic."""

    topic: str = ""  # "the summit" in "What happened at the summit?"
    named: str = ""  # "UN envoy" in "Summarise the UN envoy article"; with a topic, words that may name one
    plural: bool = False  # "the articles", "they": every article, not the one just talked about


def message_kind(message: str) -> str:
    """SMALL_TALK, ABOUT_BOT or QUESTION (overviews and other languages are questions here)."""
    if SMALL_TALK_MESSAGE.match(message):
        return SMALL_TALK
    if ABOUT_BOT_MESSAGE.match(LEADING_FILLER.sub("", strip_preamble(message), count=1)):
        return ABOUT_BOT
    return QUESTION


def strip_preamble(message: str) -> str:
    """The question without a greeting or "please" in front ("Hi, what did Putin say?" → "what did Putin say?")."""
    stripped = message
    for pattern in (LEADING_SMALL_TALK, LEADING_PLEASE, LEADING_REQUEST):
        stripped = pattern.sub("", stripped, count=1)
    return stripped


def overview_request(question: str) -> OverviewRequest | None:
    """The overview a question asks for, or None when it asks something else."""
    text = TRAILING.sub("", LEADING_FILLER.sub("", strip_preamble(question).strip(), count=1))
    for form in OVERVIEW_FORMS:
        match = form.match(text)
        if not match:
            continue
        groups = match.groupdict()
        subject = (groups.get("subject") or "").strip()
        topic = (groups.get("topic") or subject).strip()
        if CLAUSE_TOPIC.match(topic):
            return None
        named = (groups.get("named") or subject).strip()
        return OverviewRequest(topic=topic, named=named, plural=bool(PLURAL_DOCUMENT.search(match.group(0))))
    return None
