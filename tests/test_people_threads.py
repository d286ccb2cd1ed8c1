"""The people directory is read by several threads at once (``Engine`` serves them all).

Each test puts a second thread at the exact point of a race, ordered with
events, so the interleaving that used to fail happens on every run.
"""

from __future__ import annotations

import threading

import index.language.directory as directory_module
from index.language.directory import Mention, PeopleDirectory
from index.language.person import Person

WAIT_SECONDS = 30  # only reached if the code under test deadlocks


class _InterleavingCache(dict):
    """A mention cache that lets another thread ask its own question right after an entry is stored."""

    def __init__(self, on_store) -> None:
        super().__init__()
        self.on_store = on_store

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        hook, self.on_store = self.on_store, None
        if hook is not None:
            hook()


def test_a_full_mention_cache_emptied_by_another_thread_never_raises(monkeypatch):
    monkeypatch.setattr(directory_module, "MENTION_CACHE_SIZE", 1)
    directory = PeopleDirectory([Person("Vladimir Putin"), Person("Recep Tayyip Erdogan")])
    other_answer: list[list[Mention]] = []

    def another_thread_asks() -> None:
        reader = threading.Thread(target=lambda: other_answer.append(directory.mentions("And Erdogan?")))
        reader.start()
        reader.join(WAIT_SECONDS)

    directory._mentions = _InterleavingCache(another_thread_asks)  # the race's point: between store and read
    mentions = directory.mentions("What did Putin say?")
    assert [m.person.name for m in mentions] == ["Vladimir Putin"]
    assert [[m.person.name for m in found] for found in other_answer] == [["Recep Tayyip Erdogan"]]


class _SlowToList(Person):
    """A person whose aliases are listed only when the test lets them (to pause a rebuild halfway)."""

    def __init__(self, name: str, rebuilding: threading.Event, resume: threading.Event) -> None:
        super().__init__(name)
        self._rebuilding, self._resume = rebuilding, resume

    def all_aliases(self) -> set[str]:
        if threading.current_thread().name == "rebuilder":
            self._rebuilding.set()
            self._resume.wait(WAIT_SECONDS)
        return super().all_aliases()


def test_reading_names_while_another_thread_rebuilds_the_aliases(monkeypatch):
    rebuilding, resume = threading.Event(), threading.Event()
    putin = Person("Vladimir Putin")
    directory = PeopleDirectory([putin, _SlowToList("Recep Tayyip Erdogan", rebuilding, resume)])
    directory.name_mentions("warm up")  # the alias pattern is built once, before the race
    real_fold = directory_module.fold_in_place

    def rebuild() -> None:
        directory.learn_alias(putin, "Volodya")
        directory.find("Putin")

    def fold_while_another_thread_rebuilds(text: str) -> str:
        # The reader has its pattern; now another thread starts rebuilding and is paused halfway.
        rebuilder.start()
        rebuilding.wait(WAIT_SECONDS)
        return real_fold(text)

    rebuilder = threading.Thread(target=rebuild, name="rebuilder")
    monkeypatch.setattr(directory_module, "fold_in_place", fold_while_another_thread_rebuilds)
    try:
        mentions = directory.name_mentions("Putin and Erdogan met")
    finally:
        resume.set()
        rebuilder.join(WAIT_SECONDS)
    assert [m.person.name for m in mentions] == ["Vladimir Putin", "Recep Tayyip Erdogan"]
    monkeypatch.setattr(directory_module, "fold_in_place", real_fold)
    assert directory.find("Volodya") is putin  # the rebuild finished and counts
