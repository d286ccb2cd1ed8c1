"""Adding articles: several at once, readable unique names, nothing replaced silently, written durably."""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from bot.cli import main
from conftest import SEED, CountingEncoder
from index import corpus_admin
from index.build import build_index
from index.corpus_admin import add_articles, safe_article_name, store_article
from index.store import BuildLock, load_snapshot

PORTS = "---\ntitle: Ports Reopen\ndate: 2019-03-04\noutlet: Latakia Herald\n---\n\nThe harbour of Latakia reopened after a long dock strike.\n"
SUMMIT = "Саммит в Тегеране\n\nЛидеры России, Ирана и Турции встретились в Тегеране в пятницу.\n"
PRESS = "Пресс-конференция после саммита\n\nПрезиденты ответили на вопросы журналистов после встречи.\n"
DEAL_MD = "---\ntitle: Grain Deal Signed\n---\n\nThe grain deal was signed in Istanbul on Friday by both sides.\n"
DEAL_TXT = "Fishing Deal Collapses\n\nThe fishing deal collapsed in Bergen after talks broke down overnight.\n"
JOIN_SECONDS = 0.5  # how long the blocked writer is given to (wrongly) get past the lock


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_several_files_every_good_one_added_each_bad_one_named(tmp_path, corpus_copy):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = [
        write(inbox, "Ports Reopen!.md", PORTS),
        write(inbox, "binary.txt", b"\x00\x01\x02"),
        write(inbox, "latin.txt", "Caf\xe9\n\nText".encode("latin-1")),
        write(inbox, "empty.md", b""),
        write(inbox, "huge.txt", b"Title\n\n" + b"word " * 300_000),
        write(inbox, "notitle.md", b"---\ndate: 2019-01-01\n---\n\n"),
        write(inbox, "picture.png", b"\x89PNG"),
        inbox / "missing.txt",
        write(inbox, "Саммит.txt", SUMMIT),
    ]
    report = add_articles(files, corpus_copy, tmp_path / "index")
    assert [entry.name for entry in report.stored] == ["Ports-Reopen.md", "Саммит.txt"]
    assert (corpus_copy / "Ports-Reopen.md").read_text(encoding="utf-8") == PORTS
    reasons = {Path(name).name: reason for name, reason in report.failed}
    assert set(reasons) == {"binary.txt", "latin.txt", "empty.md", "huge.txt", "notitle.md", "picture.png", "missing.txt"}
    assert "binary" in reasons["binary.txt"] and "UTF-8" in reasons["latin.txt"] and "empty" in reasons["empty.md"]
    assert "limit" in reasons["huge.txt"] and "no text" in reasons["notitle.md"] and "not an article" in reasons["picture.png"]
    assert sorted(p.name for p in corpus_copy.iterdir()) == sorted([f"{SEED}.md", "Ports-Reopen.md", "Саммит.txt"])


def test_non_ascii_names_stay_two_articles(tmp_path, corpus_copy, fake_encoder):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    report = add_articles([write(inbox, "Саммит.txt", SUMMIT), write(inbox, "Пресс-конференция.txt", PRESS)], corpus_copy, tmp_path / "index")
    assert [entry.name for entry in report.written] == ["Саммит.txt", "Пресс-конференция.txt"]
    build_index(corpus_copy, tmp_path / "index", fake_encoder)
    articles = load_snapshot(tmp_path / "index", fake_encoder.name, fake_encoder.dimension).manifest.articles
    assert {"Саммит", "Пресс-конференция", SEED} == set(articles)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/abs/path/news.md", "news.md"),
        ("..\\win\\x.html", "x.html"),
        ("Ünïcode name.txt", "Ünïcode-name.txt"),
        ("Пресс-конференция.TXT", "Пресс-конференция.txt"),
        (".hidden.md", "hidden.md"),
    ],
)
def test_stored_names_stay_inside_the_corpus_and_readable(name, expected):
    assert safe_article_name(name) == expected


def test_a_name_without_letters_is_named_after_its_content_not_a_placeholder():
    first, second = safe_article_name("???.txt", b"one"), safe_article_name("???.txt", b"two")
    assert first.startswith("article-") and second.startswith("article-") and first != second


def test_a_taken_name_never_replaces_another_article(tmp_path, corpus_copy):
    index_dir = tmp_path / "index"
    first = store_article("deal.txt", DEAL_TXT.encode(), corpus_copy, index_dir)
    other = store_article("deal.txt", DEAL_TXT.replace("Bergen", "Tromso").encode(), corpus_copy, index_dir)
    again = store_article("deal (copy).txt", DEAL_TXT.encode(), corpus_copy, index_dir)
    assert (first.name, other.name) == ("deal.txt", "deal-2.txt")
    assert "was taken by another article" in other.describe()
    assert again.already_there and again.name == "deal.txt" and "already there as deal.txt" in again.describe()
    assert (corpus_copy / "deal.txt").read_text(encoding="utf-8") == DEAL_TXT
    # another extension, same stem: the article id "deal" is taken too
    assert store_article("deal.md", DEAL_MD.encode(), corpus_copy, index_dir).name == "deal-3.md"


def test_a_corpus_holding_deal_md_and_deal_txt_builds_two_articles(tmp_path, corpus_copy):
    write(corpus_copy, "deal.md", DEAL_MD)
    write(corpus_copy, "deal.txt", DEAL_TXT)
    encoder = CountingEncoder()
    report = build_index(corpus_copy, tmp_path / "index", encoder)
    snapshot = load_snapshot(tmp_path / "index", encoder.name, encoder.dimension)
    titles = {key: entry.title for key, entry in snapshot.manifest.articles.items()}
    assert titles == {SEED: titles[SEED], "deal": "Grain Deal Signed", "deal-txt": "Fishing Deal Collapses"}
    assert {p.article for p in snapshot.passages if "fishing" in p.text.lower()} == {"deal-txt"}
    assert build_index(corpus_copy, tmp_path / "index", encoder).embedded == 0 and report.articles == 3


def test_an_article_is_written_inside_the_build_lock(tmp_path, corpus_copy):
    index_dir = tmp_path / "index"
    target = corpus_copy / "Ports.md"
    with BuildLock(index_dir):
        writer = threading.Thread(target=store_article, args=("Ports.md", PORTS.encode(), corpus_copy, index_dir))
        writer.start()
        writer.join(JOIN_SECONDS)
        assert writer.is_alive() and not target.exists()  # waiting for the build to finish
    writer.join()
    assert target.read_text(encoding="utf-8") == PORTS


def test_an_article_is_fsynced_file_and_folder(tmp_path, corpus_copy, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(descriptor: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file")
        real_fsync(descriptor)

    monkeypatch.setattr(corpus_admin.os, "fsync", spy)
    store_article("Ports.md", PORTS.encode(), corpus_copy, tmp_path / "index")
    assert synced == ["file", "folder"]


def test_cli_index_add_reports_each_file_and_exits_2_when_one_failed(
    tmp_path, corpus_copy, default_index_dir, seed_index, monkeypatch, capsys
):
    shutil.copytree(seed_index, default_index_dir, dirs_exist_ok=True)  # the seed's passages are embedded already
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    monkeypatch.setenv("SUMMITBOT_CORPUS_DIR", str(corpus_copy))
    monkeypatch.setenv("SUMMITBOT_INDEX_DIR", str(default_index_dir))
    monkeypatch.delenv("SUMMITBOT_ENCODER", raising=False)
    monkeypatch.chdir(tmp_path)
    files = [write(inbox, "ports.md", PORTS), write(inbox, "empty.txt", b" "), write(inbox, "Саммит.txt", SUMMIT)]
    assert main(["index", "add", *map(str, files)]) == 2
    out, err = capsys.readouterr()
    assert "Added ports.md: Ports Reopen (Latakia Herald, 2019-03-04)" in out and "Added Саммит.txt: Саммит в Тегеране" in out
    assert "added: ports, Саммит" in out
    assert f"summitbot: not added: {files[1]}: it is empty" in err.splitlines()
    assert main(["index", "add", str(files[0])]) == 0
    assert "ports.md is already there as ports.md" in capsys.readouterr().out
    assert main(["index", "status"]) == 0
    assert "  ports: Ports Reopen (Latakia Herald, 2019-03-04), 2 passages" in capsys.readouterr().out
    assert main(["ask", "--json", "Which harbour reopened after the dock strike?"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["found"] and answer["passages"][0]["article"] == "ports"
    assert main(["ask", "Which harbour reopened after the dock strike?"]) == 0
    assert "Latakia Herald: Ports Reopen" in capsys.readouterr().out  # citations name the outlet
