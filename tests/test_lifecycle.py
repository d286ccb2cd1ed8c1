"""Index lifecycle: killed builds, locks, live swaps under load, `index add`."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.conversation import Conversation
from bot.engine import Engine
from conftest import CountingEncoder
from index import live as live_module
from index import store as store_module
from index.build import BuildReport, build_index
from index.live import FIRST_RETRY_SECONDS, LiveIndex
from index.store import (
    BUILDS_DIR,
    BUILDS_KEPT,
    LOCK_WAIT_MESSAGE,
    STAGING_PREFIX,
    BuildLock,
    Snapshot,
    builds_dir,
    current_build,
    load_snapshot,
)
from slow_build import STALLED

HERE = Path(__file__).resolve().parent
PORTS = "---\ntitle: Ports Reopen\ndate: 2019-03-04\n---\n\nThe harbour of Latakia reopened after a long dock strike.\n"
KILL_TIMEOUT = 30


class LogSeen(logging.Handler):
    """An event set once a log line containing ``text`` is emitted."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.DEBUG)
        self.text = text
        self.seen = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


@pytest.mark.parametrize("step", ["encode", "write"])
def test_build_killed_with_sigkill_leaves_old_index_serving(tmp_path, corpus_copy, step):
    encoder = CountingEncoder()
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, encoder)
    before = current_build(index_dir)
    (corpus_copy / "ports.md").write_text(PORTS, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(HERE / "slow_build.py"), str(corpus_copy), str(index_dir), step],
        cwd=HERE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), str(HERE)])},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == STALLED
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=KILL_TIMEOUT)
    finally:
        process.kill()
    assert current_build(index_dir) == before
    old = load_snapshot(index_dir, encoder.name, encoder.dimension)
    assert len(old.passages) == 16
    report = build_index(corpus_copy, index_dir, encoder)  # the dead builder's lock is gone with it
    assert report.added == ["ports"]
    assert len(load_snapshot(index_dir, encoder.name, encoder.dimension).passages) == 18
    assert not [p for p in (index_dir / BUILDS_DIR).iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_two_builds_at_once_are_serialised(tmp_path, corpus_copy, caplog):
    index_dir = tmp_path / "index"
    order: list[str] = []
    caplog.set_level(logging.INFO, logger="index.store")
    waiting = LogSeen(LOCK_WAIT_MESSAGE)
    logging.getLogger("index.store").addHandler(waiting)
    try:
        with BuildLock(index_dir):
            worker = threading.Thread(target=lambda: (build_index(corpus_copy, index_dir, CountingEncoder()), order.append("build")))
            worker.start()
            assert waiting.seen.wait(KILL_TIMEOUT), "the second build never waited for the lock"
            order.append("lock released")
        worker.join(timeout=KILL_TIMEOUT)
    finally:
        logging.getLogger("index.store").removeHandler(waiting)
    assert order == ["lock released", "build"]
    assert current_build(index_dir) is not None


def test_running_engine_swaps_in_new_builds_while_queries_run(tmp_path, corpus_copy):
    encoder = CountingEncoder()
    index_dir = tmp_path / "index"
    engine = Engine(corpus_copy, index_dir, encoder)
    engine.prepare()
    errors: list[BaseException] = []
    stop = threading.Event()
    answered = threading.Condition()
    answers = [0]

    def ask_repeatedly() -> None:
        while not stop.is_set():
            try:
                engine.ask("Where is the harbour of Latakia?", Conversation())
            except BaseException as exc:  # any failure at all is what this test looks for
                errors.append(exc)
            with answered:
                answers[0] += 1
                answered.notify_all()

    askers = [threading.Thread(target=ask_repeatedly) for _ in range(3)]
    for thread in askers:
        thread.start()
    try:
        for round_ in range(6):
            if round_ % 2 == 0:
                (corpus_copy / "ports.md").write_text(PORTS, encoding="utf-8")
            else:
                (corpus_copy / "ports.md").unlink()
            # Another process would do the same through `summitbot index build`.
            build_index(corpus_copy, index_dir, encoder)
            with answered:  # the askers meet each build before the next one lands
                seen = answers[0]
                assert answered.wait_for(lambda: answers[0] >= seen + len(askers), KILL_TIMEOUT)
    finally:
        stop.set()
        for thread in askers:
            thread.join(timeout=KILL_TIMEOUT)
    assert errors == []
    (corpus_copy / "ports.md").write_text(PORTS, encoding="utf-8")
    build_index(corpus_copy, index_dir, encoder)
    answer = engine.ask("Which harbour reopened after the dock strike?", Conversation())
    assert answer.hits[0].passage.article == "ports"


def test_a_newer_build_that_fails_to_load_is_logged_once_and_retried_with_backoff(
    tmp_path, corpus_copy, caplog, monkeypatch
):
    encoder = CountingEncoder()
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, encoder)
    now = [0.0]
    live = LiveIndex(index_dir, encoder, clock=lambda: now[0])
    serving = live.searcher().snapshot.build
    (corpus_copy / "ports.md").write_text(PORTS, encoding="utf-8")
    build_index(corpus_copy, index_dir, encoder)
    (builds_dir(index_dir) / str(current_build(index_dir)) / "dense.faiss").write_bytes(b"damaged")
    loads: list[str] = []
    monkeypatch.setattr(live_module, "load_snapshot", lambda *args: loads.append("load") or load_snapshot(*args))
    caplog.set_level(logging.DEBUG, logger="index.live")

    for _ in range(50):
        assert live.searcher().snapshot.build == serving  # the old build keeps answering
    assert len(loads) == 1
    assert len([record for record in caplog.records if record.levelno >= logging.WARNING]) == 1

    now[0] += FIRST_RETRY_SECONDS  # the backoff ran out: one more try, then twice as long a wait
    for _ in range(50):
        live.searcher()
    assert len(loads) == 2
    now[0] += FIRST_RETRY_SECONDS
    live.searcher()
    assert len(loads) == 2
    now[0] += FIRST_RETRY_SECONDS
    live.searcher()
    assert len(loads) == 3

    (corpus_copy / "ports.md").write_text(PORTS.replace("long", "six-week"), encoding="utf-8")
    build_index(corpus_copy, index_dir, encoder)  # a sound newer build is taken at once
    assert live.searcher().snapshot.build == current_build(index_dir)
    assert len([record for record in caplog.records if record.levelno >= logging.WARNING]) == 1


def test_builds_started_together_on_a_changed_corpus_build_once(tmp_path, corpus_copy):
    encoder = CountingEncoder()
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, encoder)
    (corpus_copy / "ports.md").write_text(PORTS, encoding="utf-8")
    builders = 4
    together = threading.Barrier(builders)
    reports: list[BuildReport] = []

    def build() -> None:
        together.wait()
        reports.append(build_index(corpus_copy, index_dir, encoder))

    threads = [threading.Thread(target=build) for _ in range(builders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=KILL_TIMEOUT)
    assert len(reports) == builders
    assert len({report.build for report in reports}) == 1  # one new build, served to all four
    assert sorted(report.summary().startswith("already up to date") for report in reports) == [False, True, True, True]


def test_a_slow_reader_keeps_its_build_across_several_quick_builds(tmp_path, corpus_copy, monkeypatch):
    encoder = CountingEncoder()
    index_dir = tmp_path / "index"
    build_index(corpus_copy, index_dir, encoder)
    first = current_build(index_dir)
    reading_started, release = threading.Event(), threading.Event()
    read_passages = store_module._read_passages

    def slow_read(path: Path):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "slow reader":
            reading_started.set()
            release.wait(KILL_TIMEOUT)
        return read_passages(path)

    monkeypatch.setattr(store_module, "_read_passages", slow_read)
    loaded: list[object] = []
    reader = threading.Thread(
        name="slow reader",
        target=lambda: loaded.append(_outcome(lambda: load_snapshot(index_dir, encoder.name, encoder.dimension))),
    )
    reader.start()
    assert reading_started.wait(KILL_TIMEOUT)
    for round_ in range(4):  # quick builds land while the reader is still reading the first
        if round_ % 2 == 0:
            (corpus_copy / "ports.md").write_text(PORTS, encoding="utf-8")
        else:
            (corpus_copy / "ports.md").unlink()
        build_index(corpus_copy, index_dir, encoder)
    release.set()
    reader.join(timeout=KILL_TIMEOUT)
    [snapshot] = loaded
    assert isinstance(snapshot, Snapshot), snapshot
    assert snapshot.build == first and len(snapshot.passages) == 16
    (corpus_copy / "ports.md").write_text(PORTS, encoding="utf-8")
    build_index(corpus_copy, index_dir, encoder)  # nobody reads the first build now: it goes
    assert not (builds_dir(index_dir) / str(first)).exists()
    assert len(list(builds_dir(index_dir).iterdir())) == BUILDS_KEPT


def _outcome(action):  # type: ignore[no-untyped-def]
    """What ``action`` returned, or the exception it raised."""
    try:
        return action()
    except Exception as exc:  # the test looks at any failure
        return exc
