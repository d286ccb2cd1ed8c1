"""Exit codes and the errors a user sees, shared by the CLI and the Telegram bot.

An error the user can cause or fix (an empty question, a missing corpus, a bad
token) is one line on stderr and exit code 2; a failure that is not the user's
doing (the Bot API unreachable, the encoder broken) is one line and exit code 1.
Neither ever shows a traceback. In Telegram the same errors become a polite reply.
"""

from __future__ import annotations

import sys
from typing import Callable

PROG = "summitbot"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C

TOKEN_MISSING = "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the environment or .env"
WEBHOOK_URL_MISSING = (
    "SUMMITBOT_WEBHOOK_URL is not set: `run --webhook` needs the public HTTPS address Telegram posts to, "
    "e.g. https://bot.example.org/telegram"
)
TOKEN_REJECTED = (
    "Telegram rejected TELEGRAM_BOT_TOKEN: copy the token again from @BotFather "
    "(it looks like 123456789:AAE…) into the environment or .env"
)
API_UNREACHABLE = "cannot reach the Telegram Bot API ({error}); check the network and TELEGRAM_BASE_URL"
ERROR_REPLY = "Sorry, something went wrong on my side. Please try again in a moment."


class UserError(Exception):
    """Something the user can fix; shown as one line, exit code 2."""


class ServiceError(Exception):
    """Something outside the user's control failed; shown as one line, exit code 1."""


def _user_errors() -> tuple[type[Exception], ...]:
    # Imported here so `summitbot --help` never loads the engine's modules.
    from bot.engine import QuestionError
    from bot.settings import SettingsError
    from index.articles import ArticleError, CorpusError
    from index.sources.errors import FeedError, FetchError
    from index.store import IndexUnavailableError

    return (UserError, QuestionError, CorpusError, ArticleError, IndexUnavailableError, SettingsError, FeedError, FetchError)


def _service_errors() -> tuple[type[Exception], ...]:
    from index.encoder import EncoderError

    return (ServiceError, EncoderError)


def exit_code_of(action: Callable[[], int]) -> int:
    """Run a command; errors become one line on stderr and their exit code, never a traceback."""
    try:
        return action()
    except BrokenPipeError:  # the reader of our output went away (e.g. `| head`): nothing left to say
        return EXIT_OK
    except Exception as exc:
        if isinstance(exc, _user_errors()):
            code = EXIT_USAGE
        elif isinstance(exc, _service_errors()):
            code = EXIT_FAILURE
        else:
            raise
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
