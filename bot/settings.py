"""Settings read once from the environment and ``.env`` into one typed object."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping
from urllib.parse import urlsplit

from dotenv import dotenv_values

if TYPE_CHECKING:
    from index.qdrant_store import QdrantConfig

DEFAULT_CORPUS_DIR = Path("corpus")
DEFAULT_INDEX_DIR = Path(".summitbot-index")
ENV_FILE = ".env"
STATE_FILE_NAME = "conversations.json"
DEFAULT_ENCODER = "onnx"
ENCODERS = (DEFAULT_ENCODER, "sentence-transformers")
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1:8080"
DEFAULT_QDRANT_COLLECTION = "summitbot_passages"
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token
DEFAULT_FEED_INTERVAL_SECONDS = 15 * 60.0
MIN_FEED_INTERVAL_SECONDS = 1.0
INTERVAL_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
TRUE_WORDS = ("1", "true", "yes", "on")


class SettingsError(ValueError):
    """A setting has a value the program cannot use."""


def _ids(value: str | None, variable: str) -> frozenset[int]:
    if not value or not value.strip():
        return frozenset()
    try:
        return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
    except ValueError:
        raise SettingsError(f"{variable} must be comma-separated Telegram user ids, got {value!r}") from None


def _count(value: str, variable: str) -> int:
    if not value:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{variable} must be a whole number of at least 1, got {value!r}")
    return int(value)


def _interval(value: str) -> float:
    """``SUMMITBOT_FEED_INTERVAL``: seconds, or a number with ``s``, ``m`` or ``h`` (``15m``)."""
    if not value:
        return DEFAULT_FEED_INTERVAL_SECONDS
    number, unit = (value[:-1], value[-1].lower()) if value[-1].lower() in INTERVAL_UNITS else (value, "s")
    try:
        seconds = float(number) * INTERVAL_UNITS[unit]
    except ValueError:
        seconds = -1.0
    if seconds < MIN_FEED_INTERVAL_SECONDS:
        raise SettingsError(f"SUMMITBOT_FEED_INTERVAL must be a time such as 15m, 900 or 1h, got {value!r}")
    return seconds


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
    webhook_listen: str = DEFAULT_WEBHOOK_LISTEN  # SUMMITBOT_WEBHOOK_LISTEN: host:port this replica listens on
    webhook_url: str = ""  # SUMMITBOT_WEBHOOK_URL: the public URL Telegram posts updates to
    webhook_secret: str = field(default="", repr=False)  # SUMMITBOT_WEBHOOK_SECRET (default: derived from the token)
    qdrant_url: str = ""  # SUMMITBOT_QDRANT_URL: passages in a Qdrant server or cluster
    qdrant_api_key: str = field(default="", repr=False)  # SUMMITBOT_QDRANT_API_KEY
    qdrant_path: str = ""  # SUMMITBOT_QDRANT_PATH: passages in Qdrant's local mode, in this folder
    qdrant_collection: str = DEFAULT_QDRANT_COLLECTION  # SUMMITBOT_QDRANT_COLLECTION
    qdrant_shards: int = 1  # SUMMITBOT_QDRANT_SHARDS: shards of a new collection
    qdrant_replicas: int = 1  # SUMMITBOT_QDRANT_REPLICAS: copies of each shard in a cluster
    fetch_allow_private: bool = False  # SUMMITBOT_FETCH_ALLOW_PRIVATE: links may reach local/private addresses
    feed_interval: float = DEFAULT_FEED_INTERVAL_SECONDS  # SUMMITBOT_FEED_INTERVAL, in seconds

    @property
    def conversation_state_file(self) -> Path:
        """Where the Telegram bot keeps conversations across restarts."""
        return self.state_file or self.index_dir / STATE_FILE_NAME

    @property
    def state_namespace(self) -> str:
        """Prefix of this bot's keys in a shared store: the bot id (the token's public part)."""
        return f"summitbot:{self.telegram_token.partition(':')[0] or 'bot'}"

    @property
    def webhook_address(self) -> tuple[str, int]:
        """Host and port of SUMMITBOT_WEBHOOK_LISTEN."""
        host, _, port = self.webhook_listen.rpartition(":")
        return host.strip("[]") or "0.0.0.0", int(port)

    @property
    def webhook_path(self) -> str:
        """The path updates are posted to: the path of the public URL (a load balancer forwards it unchanged)."""
        return urlsplit(self.webhook_url).path or "/"

    @property
    def webhook_secret_token(self) -> str:
        """The secret Telegram sends with every update: SUMMITBOT_WEBHOOK_SECRET, or one derived from the token.

        Derived, every replica of one bot computes the same secret without another setting to share.
        """
        return self.webhook_secret or hashlib.sha256(f"summitbot-webhook:{self.telegram_token}".encode()).hexdigest()

    @property
    def qdrant(self) -> "QdrantConfig | None":
        """The Qdrant collection the passages live in, or None for the build's own files (the default)."""
        if not (self.qdrant_url or self.qdrant_path):
            return None
        from index.qdrant_store import QdrantConfig  # qdrant-client loads only when selected
        return QdrantConfig(
            collection=self.qdrant_collection,
            url=self.qdrant_url,
            api_key=self.qdrant_api_key,
            path=self.qdrant_path,
            shards=self.qdrant_shards,
            replicas=self.qdrant_replicas,
        )

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
        listen = get("SUMMITBOT_WEBHOOK_LISTEN") or DEFAULT_WEBHOOK_LISTEN
        if not re.fullmatch(r"(?:\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}", listen) or int(listen.rpartition(":")[2]) > 65535:
            raise SettingsError(f"SUMMITBOT_WEBHOOK_LISTEN must be host:port, e.g. 0.0.0.0:8080, got {listen!r}")
        webhook_url = get("SUMMITBOT_WEBHOOK_URL")
        if webhook_url and urlsplit(webhook_url).scheme not in ("https", "http"):
            raise SettingsError(f"SUMMITBOT_WEBHOOK_URL must be an https:// address, got {webhook_url!r}")
        secret = get("SUMMITBOT_WEBHOOK_SECRET")
        if secret and not WEBHOOK_SECRET_PATTERN.match(secret):
            raise SettingsError("SUMMITBOT_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        if get("SUMMITBOT_QDRANT_URL") and get("SUMMITBOT_QDRANT_PATH"):
            raise SettingsError("set SUMMITBOT_QDRANT_URL (a server) or SUMMITBOT_QDRANT_PATH (local mode), not both")
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
            webhook_listen=listen,
            webhook_url=webhook_url,
            webhook_secret=secret,
            qdrant_url=get("SUMMITBOT_QDRANT_URL"),
            qdrant_api_key=get("SUMMITBOT_QDRANT_API_KEY"),
            qdrant_path=get("SUMMITBOT_QDRANT_PATH"),
            qdrant_collection=get("SUMMITBOT_QDRANT_COLLECTION") or DEFAULT_QDRANT_COLLECTION,
            qdrant_shards=_count(get("SUMMITBOT_QDRANT_SHARDS"), "SUMMITBOT_QDRANT_SHARDS"),
            qdrant_replicas=_count(get("SUMMITBOT_QDRANT_REPLICAS"), "SUMMITBOT_QDRANT_REPLICAS"),
            fetch_allow_private=get("SUMMITBOT_FETCH_ALLOW_PRIVATE").lower() in TRUE_WORDS,
            feed_interval=_interval(get("SUMMITBOT_FEED_INTERVAL")),
        )
