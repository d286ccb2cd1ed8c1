"""Conversation state of the Telegram bot, kept across restarts in one pickle file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from telegram.ext import PersistenceInput, PicklePersistence

logger = logging.getLogger(__name__)

PERSISTENCE_INTERVAL_SECONDS = 5


class ConversationStore(PicklePersistence):  # type: ignore[type-arg]
    """PicklePersistence of chat data that writes atomically and survives a damaged file.

    PTB opens the state file with ``"wb"`` and writes in place, so a crash
    mid-write would leave a truncated file; here it writes a temporary file
    and ``os.replace``s it. A file that cannot be unpickled is logged, moved
    aside (``….damaged``) and replaced by an empty state.
    """

    def __init__(self, filepath: Path) -> None:
        super().__init__(
            filepath,
            store_data=PersistenceInput(bot_data=False, user_data=False, callback_data=False),
            update_interval=PERSISTENCE_INTERVAL_SECONDS,
        )

    def _dump_singlefile(self) -> None:
        target = Path(self.filepath)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        self.filepath = temporary  # the parent writes to self.filepath; all on the event loop thread
        try:
            super()._dump_singlefile()
        finally:
            self.filepath = target
        os.replace(temporary, target)

    def _load_singlefile(self) -> None:
        try:
            super()._load_singlefile()
        except TypeError as exc:  # PTB's wrapping of every unpickling failure
            damaged = Path(self.filepath).with_name(Path(self.filepath).name + ".damaged")
            logger.warning(
                "Conversation state %s is damaged (%s); moved it to %s and starting with empty conversations",
                self.filepath,
                exc.__cause__ or exc,
                damaged,
            )
            os.replace(self.filepath, damaged)
            self.conversations, self.user_data, self.chat_data = {}, {}, {}
            self.bot_data, self.callback_data = self.context_types.bot_data(), None
            self._dump_singlefile()
