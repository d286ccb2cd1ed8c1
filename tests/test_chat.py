"""``summitbot chat``: a terminal conversation driven through standard input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from conftest import CORPUS


def chat(lines: list[str], seed_index, tmp_path) -> subprocess.CompletedProcess[str]:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HOME": str(tmp_path),  # readline history goes here, not into the real home
        "SUMMITBOT_CORPUS_DIR": str(CORPUS),
        "SUMMITBOT_INDEX_DIR": str(index_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def test_chat_answers_follow_ups_lists_sources_and_quits(seed_index, tmp_path):
    result = chat(
        ["What did Putin say about the truce?", "And Erdogan?", "/sources", "/reset", "", "   ", "/frobnicate", "/quit", "never read"],
        seed_index,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Vladimir Putin: “The fact is there are no representatives" in out
    assert "Recep Tayyip Erdogan: “" in out.split("no representatives", 1)[1]
    assert "- Erdogan and Putin Clash Over Idlib ‘Ceasefire’ (2018-09-07), 16 passages" in out
    assert "Conversation forgotten." in out
    assert "Unknown command /frobnicate" in out
    assert "Traceback" not in result.stderr


def test_chat_ends_cleanly_at_end_of_input(seed_index, tmp_path):
    result = chat(["Where was the summit held?"], seed_index, tmp_path)
    assert result.returncode == 0 and "Tehran" in result.stdout
