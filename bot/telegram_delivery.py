"""Getting replies to Telegram: flood limits waited out, replies lost on the way sent again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
RETRIED_METHODS = frozenset({"sendMessage"})  # the replies; typing and button acknowledgements are cosmetic
DELIVERY_FIRST_PAUSE_SECONDS = 0.5
DELIVERY_MAX_PAUSE_SECONDS = 5.0
DELIVERY_PATIENCE_SECONDS = 30.0  # covers an outage of that long; shutdown waits for it at worst

ApiResult = bool | dict[str, Any] | list[dict[str, Any]]  # what a Bot API call returns, as PTB passes it on


class RetryingRateLimiter(AIORateLimiter):
    """PTB's flood limiter (it waits out 429s), also retrying replies that the network lost.

    A ``sendMessage`` failing on the way (5xx, a dropped connection, a
    timeout, the API unreachable) is retried with growing pauses for up to
    DELIVERY_PATIENCE_SECONDS. After a timeout Telegram may have delivered the
    message anyway, so a reply can arrive twice; it is never lost. A bad
    request (e.g. broken HTML) is our bug and is not retried.
    """

    def __init__(self) -> None:
        super().__init__(max_retries=RATE_LIMIT_RETRIES)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, ApiResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> ApiResult:
        """Send through the flood limiter; retry a lost reply until it gets through or patience runs out."""
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + DELIVERY_PATIENCE_SECONDS
        pause = DELIVERY_FIRST_PAUSE_SECONDS
        while True:
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:  # TimedOut is one; BadRequest too, hence the clause above
                if endpoint not in RETRIED_METHODS or loop.time() + pause > give_up_at:
                    raise
                logger.warning(
                    "%s to chat %s failed (%s); retrying in %.1f s", endpoint, data.get("chat_id"), exc, pause
                )
                await asyncio.sleep(pause)
                pause = min(2 * pause, DELIVERY_MAX_PAUSE_SECONDS)
