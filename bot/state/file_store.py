"""Chat states in one local JSON file: the default, for one bot process.

The file maps chat ids to their state. Every change rewrites it through a
temporary file and ``os.replace`` (mode 0600: conversations are private), in a
worker thread, so the event loop never waits on the disk and a crash never
leaves half a file. Writes coalesce: while one is running, later changes wait
and go out together in the next. A file that is not readable JSON state is
logged, moved aside (``….damaged``) and replaced by an empty state. The file keeps the
CHATS_KEPT most recently active chats, none idle for over CHAT_TTL_SECONDS (counted from
this process's start for chats saved before it), so neither it nor memory grows without end.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Iterable

from bot.state.base import CHAT_TTL_SECONDS, CHATS_KEPT, ChatState, ChatStates

logger = logging.getLogger(__name__)

FILE_MODE = 0o600
DAMAGED_SUFFIX = ".damaged"
UPDATES_REMEMBERED = 10_000  # update ids kept for dedupe; Telegram retries only recent ones


def write_private_atomically(path: Path, text: str | Iterable[str]) -> None:
    """Replace ``path`` with ``text`` (or its pieces, in order) through a temporary file readable by its owner only."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.writelines([text] if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read_chats(path: Path) -> dict[str, Any]:
    """The chats saved in ``path``; a damaged file is moved aside and counts as empty."""
    try:
        data = json.loads(path.read_bytes())
        if not isinstance(data, dict) or not isinstance(data.get("chats"), dict):
            raise ValueError("not a summitbot conversation state")
        return dict(data["chats"])
    except FileNotFoundError:
        return {}
    except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        damaged = path.with_name(path.name + DAMAGED_SUFFIX)
        logger.warning(
            "Conversation state %s is damaged (%s); moved it to %s and starting with empty conversations",
            path,
            exc,
            damaged,
        )
        os.replace(path, damaged)
        return {}


def _write_chats(path: Path, chats: dict[str, str]) -> None:
    """Write the chats, each already JSON text, piece by piece: no encoding of everything, no copy of the file in memory."""
    pieces = (f"{',' if number else ''}{json.dumps(key)}:{text}" for number, (key, text) in enumerate(chats.items()))
    write_private_atomically(path, itertools.chain(['{"chats":{'], pieces, ["}}"]))


class FileChatStates(ChatStates):
    """Every chat's state in one JSON file, read once at start and rewritten on change."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        # chat id → its state as JSON text (smaller than the objects, and quick to write), least recently saved first
        self._chats: OrderedDict[str, str] = OrderedDict(
            (key, json.dumps(data, ensure_ascii=False, separators=(",", ":"))) for key, data in _read_chats(path).items()
        )
        self._saved_at = dict.fromkeys(self._chats, clock())
        self._seen_updates: OrderedDict[int, None] = OrderedDict()
        self._write_lock: asyncio.Lock | None = None
        self._changes = 0
        self._written = 0

    async def load(self, chat_id: int) -> ChatState:
        """The chat's state as last saved (a fresh one for a new chat)."""
        return ChatState.from_json(self._chats.get(str(chat_id)))

    async def save(self, chat_id: int, state: ChatState) -> None:
        """Record the chat's state and write the file (once for changes that arrive meanwhile)."""
        key, now = str(chat_id), self._clock()
        self._chats[key] = state.to_json()
        self._chats.move_to_end(key)
        self._saved_at[key] = now
        self._forget_old(now)
        self._changes += 1
        await self._write(self._changes)

    def _forget_old(self, now: float) -> None:
        """Drop the least recently active chats beyond CHATS_KEPT, and any idle for over CHAT_TTL_SECONDS."""
        while len(self._chats) > CHATS_KEPT or now - self._saved_at[next(iter(self._chats))] > CHAT_TTL_SECONDS:
            old, _ = self._chats.popitem(last=False)
            del self._saved_at[old]

    async def _write(self, change: int) -> None:
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        async with self._write_lock:
            if self._written >= change:
                return  # a write that started after this change already carried it
            latest, chats = self._changes, dict(self._chats)  # entries are replaced, never changed in place
            await asyncio.to_thread(_write_chats, self.path, chats)
            self._written = latest

    async def first_delivery(self, update_id: int) -> bool:
        """True the first time this process sees ``update_id`` (the newest UPDATES_REMEMBERED are kept)."""
        if update_id in self._seen_updates:
            return False
        self._seen_updates[update_id] = None
        while len(self._seen_updates) > UPDATES_REMEMBERED:
            self._seen_updates.popitem(last=False)
        return True
