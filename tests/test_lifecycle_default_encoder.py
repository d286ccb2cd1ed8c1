"""The corpus lifecycle under the product's own default encoder (questions through ONNX).

Delete, rename, edit to fewer paragraphs and duplicate content each make a build
with nothing new to embed; under the default encoder that once sent an empty
batch to onnxruntime ("Invalid rank for input: input_ids"), and every later
question failed the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.conversation import Conversation
from bot.engine import Engine
from conftest import CORPUS, SEED
from index.encoder import encoder_for

REPO = Path(__file__).resolve().parent.parent
PORTS = (
    "---\ntitle: Ports Reopen\ndate: 2019-03-04\n---\n\n"
    "The harbour of Latakia reopened on Monday after a dock strike that lasted three weeks.\n\n"
    "Dock workers said their pay had been raised by a tenth.\n"
)
HARBOUR_QUESTION = "Which harbour reopened after the dock strike?"
TRUCE_QUESTION = "What did Putin say about the truce?"


@pytest.fixture
def corpus_with_ports(corpus_copy) -> Path:
    (corpus_copy / "ports.md").write_text(PORTS, encoding="utf-8")
    return corpus_copy


def engine_for(corpus: Path, index_dir: Path) -> Engine:
    engine = Engine(corpus, index_dir, encoder_for("onnx", index_dir))
    engine.prepare()
    return engine


def ask(engine: Engine, question: str):
    return engine.ask(question, Conversation())


def test_the_default_encoder_embeds_nothing_when_given_nothing(default_index_dir):
    vectors = encoder_for("onnx", default_index_dir).encode([])
    assert vectors.shape == (0, 384)


def test_deleting_an_article_then_asking_through_the_cli(corpus_with_ports, default_index_dir):
    engine = engine_for(corpus_with_ports, default_index_dir)
    assert ask(engine, HARBOUR_QUESTION).hits[0].passage.article == "ports"
    (corpus_with_ports / "ports.md").unlink()
    env = {
        **os.environ,
        "SUMMITBOT_CORPUS_DIR": str(corpus_with_ports),
        "SUMMITBOT_INDEX_DIR": str(default_index_dir),
        "PYTHONPATH": str(REPO),
    }
    env.pop("SUMMITBOT_ENCODER", None)  # the default
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", TRUCE_QUESTION, HARBOUR_QUESTION],
        capture_output=True, text=True, env=env, cwd=corpus_with_ports.parent,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    truce, harbour = (json.loads(line) for line in result.stdout.splitlines())
    assert truce["found"] and truce["passages"][0]["article"] == SEED
    assert all(p["article"] != "ports" for p in harbour["passages"])
    # the next process asks the rebuilt index without building again
    again = engine_for(corpus_with_ports, default_index_dir)
    assert again.rebuild().embedded == 0 and ask(again, TRUCE_QUESTION).found


def test_renaming_an_article(corpus_with_ports, default_index_dir):
    engine = engine_for(corpus_with_ports, default_index_dir)
    (corpus_with_ports / "ports.md").rename(corpus_with_ports / "harbour.md")
    report = engine.rebuild()
    assert (report.added, report.removed, report.embedded) == (["harbour"], ["ports"], 0)
    assert ask(engine, HARBOUR_QUESTION).hits[0].passage.article == "harbour"


def test_editing_an_article_to_fewer_paragraphs(corpus_copy, default_index_dir):
    engine = engine_for(corpus_copy, default_index_dir)
    seed = corpus_copy / f"{SEED}.md"
    head, _, body = seed.read_text(encoding="utf-8").rpartition("---\n")
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    seed.write_text(head + "---\n" + "\n\n".join(paragraphs[:8]) + "\n", encoding="utf-8")
    report = engine.rebuild()
    assert report.changed == [SEED] and report.passages < 16
    answer = ask(engine, TRUCE_QUESTION)
    # Putin's reply on the truce was cut: his other words are shown, as "quoted, but not about" (found false)
    assert answer.parts and answer.hits[0].passage.article == SEED


def test_the_same_article_under_two_names(corpus_copy, default_index_dir):
    engine = engine_for(corpus_copy, default_index_dir)
    shutil.copy(corpus_copy / f"{SEED}.md", corpus_copy / "summit-copy.md")
    report = engine.rebuild()
    assert report.duplicates == ["summit-copy"] and report.embedded == 0
    answer = ask(engine, TRUCE_QUESTION)
    assert answer.found and {hit.passage.article for hit in answer.hits} == {SEED}
