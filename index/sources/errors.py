"""Why a link or a feed could not be read: errors of the web sources, cheap to import for the front ends."""

from __future__ import annotations


class FetchError(ValueError):
    """A link could not or may not be fetched; the message is one line for the user."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status the server answered, when it answered with an error


class FeedError(ValueError):
    """A feed cannot be read or followed; the message is one line for the user."""
