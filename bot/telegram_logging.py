"""Logging while the Telegram bot runs: the token never reaches a log line."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from telegram.error import InvalidToken, NetworkError

logger = logging.getLogger(__name__)


class _StartupFailureFilter(logging.Filter):
    """Drop PTB's traceback for a rejected token or unreachable API at start; run_bot says it in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, (InvalidToken, NetworkError))


class _TokenRedactor(logging.Filter):
    """Replace the bot token in any log line, should a library ever print one."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call; the handler reports it
            return True
        if self.token in message:
            record.msg, record.args = message.replace(self.token, "<token>"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info).replace(self.token, "<token>")
        return True


@contextlib.contextmanager
def bot_logging(token: str) -> Iterator[None]:
    """Logging while the bot runs: the token never appears, start-up failures are left to run_bot."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # at INFO it logs request URLs, which contain the token
    startup_filter, redactor = _StartupFailureFilter(), _TokenRedactor(token)
    ptb_logger, handlers = logging.getLogger("telegram.ext"), list(logging.getLogger().handlers)
    ptb_logger.addFilter(startup_filter)
    for handler in handlers:  # PTB's own DEBUG lines include the API URL, hence the token
        handler.addFilter(redactor)
    try:
        yield
    finally:
        ptb_logger.removeFilter(startup_filter)
        for handler in handlers:
            handler.removeFilter(redactor)
