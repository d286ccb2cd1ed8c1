"""The ``summitbot`` command as a user runs it: exit codes, JSON shape, messages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CORPUS
from index.articles import load_corpus
from index.passages import split_passages

CONTRACT_KEYS = {"question", "query", "found", "answer", "passages"}
PASSAGE_KEYS = {"article", "title", "date", "paragraph", "text", "score", "speaker"}


def run(*args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 180):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture
def index_env(seed_index, tmp_path) -> dict[str, str]:
    """Environment pointing at a private copy of the prebuilt seed index."""
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    return {"SUMMITBOT_CORPUS_DIR": str(CORPUS), "SUMMITBOT_INDEX_DIR": str(index_dir)}


def test_ask_json_is_one_object_per_turn_with_the_contract_keys(index_env):
    result = run("ask", "--json", "What did Putin say about the truce?", "What is the capital of France?", env_extra=index_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    for turn in (first, second):
        assert CONTRACT_KEYS <= set(turn)
        assert all(PASSAGE_KEYS <= set(p) for p in turn["passages"])
    assert first["found"] is True and first["question"] == "What did Putin say about the truce?"
    assert "no representatives of the armed opposition" in first["answer"]
    assert first["passages"][0]["paragraph"] == 9 and first["passages"][0]["speaker"] == "Vladimir Putin"
    assert first["passages"][0]["date"] == "2018-09-07"
    scores = [p["score"] for p in first["passages"]]
    assert scores == sorted(scores, reverse=True)
    assert second["found"] is False and "France" in second["answer"]
    assert "Traceback" not in result.stderr


def test_ask_prints_a_readable_cited_answer(index_env):
    result = run("ask", "What did Putin say about the truce?", env_extra=index_env)
    assert result.returncode == 0, result.stderr
    assert "Vladimir Putin: “The fact is there are no representatives" in result.stdout
    assert "Erdogan and Putin Clash Over Idlib ‘Ceasefire’, 7 September 2018, paragraph 9" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", "   "], "question is empty"),
        (["ask", ""], "question is empty"),
        (["ask", "x" * 1001], "limit is 1000"),
        (["ask", "fine question", "\t"], "question is empty"),
    ],
)
def test_bad_questions_exit_2_with_one_line(args, message, index_env):
    result = run(*args, env_extra=index_env)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_missing_corpus_folder_exits_2(tmp_path):
    result = run("ask", "Who met in Tehran?", env_extra={"SUMMITBOT_CORPUS_DIR": str(tmp_path / "missing"), "SUMMITBOT_INDEX_DIR": str(tmp_path / "i")})
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_first_ask_builds_the_index_and_status_reports_it(tmp_path):
    env = {"SUMMITBOT_CORPUS_DIR": str(CORPUS), "SUMMITBOT_INDEX_DIR": str(tmp_path / "fresh")}
    before = run("index", "status", env_extra=env)
    assert before.returncode == 0 and "not usable" in before.stdout
    result = run("ask", "Where was the summit held?", env_extra=env)
    assert result.returncode == 0, result.stderr
    assert "building it now" in result.stderr
    assert "Tehran" in result.stdout
    status = run("index", "status", env_extra=env)
    passages = sum(len(split_passages(article)[0]) for article in load_corpus(CORPUS))
    assert f"passages: {passages}" in status.stdout and "up to date" in status.stdout


def test_corpus_change_triggers_rebuild_before_answering(tmp_path, index_env, corpus_copy):
    env = {**index_env, "SUMMITBOT_CORPUS_DIR": str(corpus_copy)}
    (corpus_copy / "ports.md").write_text(
        "---\ntitle: Ports Reopen\ndate: 2019-03-04\n---\n\nThe harbour of Latakia reopened after a long dock strike.\n",
        encoding="utf-8",
    )
    assert "stale" in run("index", "status", env_extra=env).stdout
    result = run("ask", "--json", "Which harbour reopened after the strike?", env_extra=env)
    assert "corpus changed" in result.stderr
    turn = json.loads(result.stdout)
    assert turn["found"] and turn["passages"][0]["article"] == "ports"


@pytest.mark.parametrize("args", [[], ["ask"], ["index"], ["frobnicate"]])
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.returncode == 2 and "usage:" in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["ask", "--help"], ["chat", "--help"], ["run", "--help"], ["index", "build", "--help"], ["index", "status", "--help"]])
def test_help_is_available_for_every_command(args):
    result = run(*args)
    assert result.returncode == 0 and "usage: summitbot" in result.stdout


def test_run_without_token_says_what_to_do(tmp_path):
    result = run("run", env_extra={"TELEGRAM_BOT_TOKEN": ""}, cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_an_unknown_encoder_setting_exits_2(index_env):
    result = run("ask", "Who met in Tehran?", env_extra={**index_env, "SUMMITBOT_ENCODER": "bogus"})
    assert result.returncode == 2
    assert "SUMMITBOT_ENCODER must be one of onnx, sentence-transformers" in result.stderr
