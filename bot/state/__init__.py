"""Where the Telegram bot keeps each chat's conversation: one interface, two homes.

* :class:`~bot.state.file_store.FileChatStates` (the default): one JSON file,
  written atomically with mode 0600, for one bot process on one machine.
* :class:`~bot.state.redis_store.RedisChatStates` (``SUMMITBOT_REDIS_URL``): one
  Redis key per chat, a per-chat lock shared by every replica, and a dedupe key
  per Telegram ``update_id``, for several replicas behind a webhook.

Both hand out a chat's state through :meth:`ChatStates.chat`, which holds the
chat's lock, loads the state, and saves it when the block ends.
"""

from __future__ import annotations

from bot.settings import Settings
from bot.state.base import ChatState, ChatStates, StateUnavailableError
from bot.state.file_store import FileChatStates

__all__ = ["ChatState", "ChatStates", "FileChatStates", "StateUnavailableError", "open_chat_states"]


def open_chat_states(settings: Settings) -> ChatStates:
    """The chat state store the settings select: Redis when SUMMITBOT_REDIS_URL is set, else the JSON file."""
    if settings.redis_url:
        from bot.state.redis_store import RedisChatStates

        return RedisChatStates(settings.redis_url, namespace=settings.state_namespace)
    return FileChatStates(settings.conversation_state_file)
