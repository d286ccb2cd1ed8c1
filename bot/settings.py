"""Settings read once from the environment and ``.env`` into one typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from dotenv import dotenv_values

DEFAULT_CORPUS_DIR = Path("corpus")
DEFAULT_INDEX_DIR = Path(".summitbot-index")
ENV_FILE = ".env"
STATE_FILE_NAME = "conversations.json"
DEFAULT_ENCODER = "onnx"
ENCODERS = (DEFAULT_ENCODER, "sentence-transformers")
TOKEN_MISSING = "TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in the environment or .env"


class SettingsError(ValueError):
    """A setting has a value the program cannot use."""


def _ids(value: str | None, variable: str) -> frozenset[int]:
    if not value or not value.strip():
        return frozenset()
    try:
        return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
    except ValueError:
        raise SettingsError(f"{variable} must be comma-separated Telegram user ids, got {value!r}") from None


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the variable each value comes from."""

    corpus_dir: Path = DEFAULT_CORPUS_DIR  # SUMMITBOT_CORPUS_DIR
    index_dir: Path = DEFAULT_INDEX_DIR  # SUMMITBOT_INDEX_DIR
    telegram_token: str = field(default="", repr=False)  # TELEGRAM_BOT_TOKEN
    telegram_base_url: str = ""  # TELEGRAM_BASE_URL
    telegram_base_file_url: str = ""  # TELEGRAM_BASE_FILE_URL
    admin_ids: frozenset[int] = frozenset()  # SUMMITBOT_ADMIN_IDS
    allowed_user_ids: frozenset[int] = frozenset()  # SUMMITBOT_ALLOWED_USER_IDS (empty: everyone)
    state_file: Path | None = None  # SUMMITBOT_STATE_FILE (default: <index dir>/conversations.json)
    # SUMMITBOT_ENCODER: onnx (questions through the model's ONNX export: fast start, small process)
    # or sentence-transformers (questions too through the reference that always embeds the passages)
    encoder: str = DEFAULT_ENCODER
    # SUMMITBOT_REDIS_URL: conversations, per-chat locks and update dedupe in Redis (several replicas)
    redis_url: str = field(default="", repr=False)

    @property
    def conversation_state_file(self) -> Path:
        """Where the Telegram bot keeps conversations across restarts."""
        return self.state_file or self.index_dir / STATE_FILE_NAME

    @property
    def state_namespace(self) -> str:
        """Prefix of this bot's keys in a shared store: the bot id (the token's public part)."""
        return f"summitbot:{self.telegram_token.partition(':')[0] or 'bot'}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None) -> "Settings":
        """Read settings; real environment variables win over ``.env`` entries."""
        values: dict[str, str | None] = {}
        dotenv_path = env_file if env_file is not None else Path.cwd() / ENV_FILE
        if dotenv_path.is_file():
            values.update(dotenv_values(dotenv_path))
        values.update(os.environ if environ is None else environ)

        def get(name: str) -> str:
            return (values.get(name) or "").strip()

        state = get("SUMMITBOT_STATE_FILE")
        encoder = get("SUMMITBOT_ENCODER") or DEFAULT_ENCODER
        if encoder not in ENCODERS:
            raise SettingsError(f"SUMMITBOT_ENCODER must be one of {', '.join(ENCODERS)}, got {encoder!r}")
        return cls(
            corpus_dir=Path(get("SUMMITBOT_CORPUS_DIR") or DEFAULT_CORPUS_DIR),
            index_dir=Path(get("SUMMITBOT_INDEX_DIR") or DEFAULT_INDEX_DIR),
            telegram_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_base_url=get("TELEGRAM_BASE_URL"),
            telegram_base_file_url=get("TELEGRAM_BASE_FILE_URL"),
            admin_ids=_ids(get("SUMMITBOT_ADMIN_IDS"), "SUMMITBOT_ADMIN_IDS"),
            allowed_user_ids=_ids(get("SUMMITBOT_ALLOWED_USER_IDS"), "SUMMITBOT_ALLOWED_USER_IDS"),
            state_file=Path(state) if state else None,
            encoder=encoder,
            redis_url=get("SUMMITBOT_REDIS_URL"),
        )
