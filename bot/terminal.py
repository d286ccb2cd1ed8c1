"""``summitbot chat``: a conversation in the terminal, with readline history."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.conversation import Conversation
from bot.engine import Engine, QuestionError
from bot.examples import example_questions

logger = logging.getLogger(__name__)

HISTORY_FILE = Path.home() / ".summitbot_history"
HISTORY_LENGTH = 1000
PROMPT = "you> "
HELP = (
    "Ask a question about the articles, e.g. {examples}; follow-ups such as 'Why?' or 'Tell me more' work.\n"
    "/sources lists the articles, /reset forgets the conversation, /help shows this, /quit leaves."
)


def help_text(engine: Engine) -> str:
    """How to chat, with example questions built from the articles."""
    examples = " or ".join(f"'{question}'" for question in example_questions(engine.snapshot)[:2])
    return HELP.format(examples=examples or "'What is this about?'")


def _enable_history() -> None:
    try:
        import readline
    except ImportError:  # not every platform has it; chat works without
        return
    try:
        readline.read_history_file(HISTORY_FILE)
    except OSError:
        pass
    readline.set_history_length(HISTORY_LENGTH)
    import atexit

    atexit.register(_save_history, readline)


def _save_history(readline: object) -> None:
    try:
        readline.write_history_file(HISTORY_FILE)  # type: ignore[attr-defined]
    except OSError as exc:
        logger.debug("Could not save history: %s", exc)


def sources_text(engine: Engine) -> str:
    """The indexed articles, one per line, with dates and passage counts."""
    return "\n".join(
        f"- {title} ({date or 'no date'}), {passages} passages" for title, date, passages in engine.coverage()
    )


def run_chat(engine: Engine) -> int:
    """Read questions until /quit or end of input; answer each in the same conversation."""
    _enable_history()
    conversation = Conversation()
    print("summitbot: ask about the news articles. /help for commands, /quit to leave.")
    while True:
        try:
            line = input(PROMPT).strip()
        except EOFError:
            print()
            return 0
        if not line:
            continue
        command = line.split()[0].lower()
        if command in ("/quit", "/exit"):
            return 0
        if command == "/sources":
            print(sources_text(engine))
        elif command == "/reset":
            conversation.reset()
            print("Conversation forgotten.")
        elif command == "/help":
            print(help_text(engine))
        elif command.startswith("/"):
            print(f"Unknown command {command}. {help_text(engine)}")
        else:
            try:
                print(engine.ask(line, conversation).text)
            except QuestionError as exc:
                print(f"Sorry, {exc}.")
