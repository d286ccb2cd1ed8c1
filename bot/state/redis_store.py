"""Chat states in Redis, for several bot replicas behind one webhook.

Keys (``<namespace>`` is ``summitbot:<bot id>``, so bots can share a server):

* ``<namespace>:chat:<chat id>`` — the chat's state as JSON, expiring CHAT_TTL_SECONDS after its last turn;
* ``<namespace>:lock:<chat id>`` — a redis-py lock held while one replica serves one of the chat's
  turns, so two replicas never interleave a chat's turns; it expires by itself if the replica dies;
* ``<namespace>:update:<update id>`` — set once (``SET NX`` with an expiry) by the replica that takes
  an update, so Telegram's retries of it, at any replica, are answered once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import redis.asyncio as redis
from redis.exceptions import LockError, RedisError

from bot.state.base import CHAT_TTL_SECONDS, ChatState, ChatStates, StateUnavailableError

logger = logging.getLogger(__name__)

LOCK_SECONDS = 120.0  # a replica that dies holding a chat's lock frees it after this
LOCK_WAIT_SECONDS = 150.0  # longer than LOCK_SECONDS: a dead holder's lock always frees in time
LOCK_POLL_SECONDS = 0.02
DEDUPE_SECONDS = 48 * 3600  # Telegram gives up retrying an update within a day
UNREACHABLE = "cannot use Redis at SUMMITBOT_REDIS_URL ({error}); check that it runs and the URL"


class RedisChatStates(ChatStates):
    """Chat states, per-chat locks and update dedupe in one Redis database."""

    def __init__(self, url: str, namespace: str) -> None:
        super().__init__()
        self.namespace = namespace
        self._client = redis.Redis.from_url(url)

    def _key(self, kind: str, ident: int) -> str:
        return f"{self.namespace}:{kind}:{ident}"

    @contextlib.asynccontextmanager
    async def _shared_lock(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._client.lock(
            self._key("lock", chat_id), timeout=LOCK_SECONDS, sleep=LOCK_POLL_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS
        )
        if not await lock.acquire():
            raise StateUnavailableError(f"chat {chat_id} stayed locked for {LOCK_WAIT_SECONDS:.0f} s")
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockError as exc:  # it expired while we held it: the turn took longer than LOCK_SECONDS
                logger.warning("The lock of chat %s expired before its turn ended: %s", chat_id, exc)

    async def load(self, chat_id: int) -> ChatState:
        """The chat's state as last saved by any replica."""
        return ChatState.from_json(await self._client.get(self._key("chat", chat_id)))

    async def save(self, chat_id: int, state: ChatState) -> None:
        """Save the chat's state; it expires after CHAT_TTL_SECONDS without a turn."""
        await self._client.set(self._key("chat", chat_id), state.to_json(), ex=CHAT_TTL_SECONDS)

    async def first_delivery(self, update_id: int) -> bool:
        """True for the one replica that claims ``update_id`` first."""
        return bool(await self._client.set(self._key("update", update_id), 1, nx=True, ex=DEDUPE_SECONDS))

    async def check(self) -> None:
        """Raise StateUnavailableError when Redis does not answer."""
        try:
            await self._client.ping()
        except (RedisError, OSError) as exc:
            raise StateUnavailableError(UNREACHABLE.format(error=exc)) from None

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
