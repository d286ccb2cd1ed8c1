"""The environment of a ``summitbot`` process run against the Bot API emulator (tests and benchmarks)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OWN_PREFIXES = ("SUMMITBOT_", "TELEGRAM_")


def bot_environment(corpus: Path, index: Path, fake, **settings: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The environment of a ``summitbot`` process with default settings, on this corpus, index and emulator."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(OWN_PREFIXES)}
    env.update(
        HF_HUB_OFFLINE="1",
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "tests")]),
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_BASE_URL=fake.base_url,
        TELEGRAM_BASE_FILE_URL=fake.base_file_url,
        SUMMITBOT_CORPUS_DIR=str(corpus),
        SUMMITBOT_INDEX_DIR=str(index),
        **settings,
    )
    return env
