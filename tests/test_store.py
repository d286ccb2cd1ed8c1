"""The on-disk index: manifest checks, damage, incremental builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.build import build_index, index_state
from index.store import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    IndexCorruptError,
    IndexMissingError,
    builds_dir,
    current_build,
    load_snapshot,
)

ARTICLE = "---\ntitle: Ports Reopen\ndate: 2019-03-04\n---\n\nThe ports reopened on Monday after a long strike.\n\nDock workers said they were satisfied.\n"


def manifest_path(index_dir: Path) -> Path:
    return builds_dir(index_dir) / current_build(index_dir) / MANIFEST_FILE


def test_missing_index_says_how_to_build(tmp_path, fake_encoder):
    with pytest.raises(IndexMissingError, match="summitbot index build"):
        load_snapshot(tmp_path, fake_encoder.name, fake_encoder.dimension)


def test_manifest_of_another_model_is_refused(tmp_path, corpus_copy, fake_encoder):
    build_index(corpus_copy, tmp_path, fake_encoder)
    with pytest.raises(IndexCorruptError, match="built with test/hashed-bag-of-words.*summitbot index build"):
        load_snapshot(tmp_path, "another/model", fake_encoder.dimension)


@pytest.mark.parametrize("damage", ["garbage", "truncate-passages", "delete-faiss"])
def test_damaged_index_is_a_clear_error(tmp_path, corpus_copy, fake_encoder, damage):
    build_index(corpus_copy, tmp_path, fake_encoder)
    folder = manifest_path(tmp_path).parent
    if damage == "garbage":
        manifest_path(tmp_path).write_text("{not json", encoding="utf-8")
    elif damage == "truncate-passages":
        lines = (folder / "passages.jsonl").read_text(encoding="utf-8").splitlines()
        (folder / "passages.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    else:
        (folder / "dense.faiss").unlink()
    with pytest.raises(IndexCorruptError, match="summitbot index build"):
        load_snapshot(tmp_path, fake_encoder.name, fake_encoder.dimension)


def test_manifest_describes_the_build(tmp_path, corpus_copy, fake_encoder):
    build_index(corpus_copy, tmp_path, fake_encoder)
    data = json.loads(manifest_path(tmp_path).read_text(encoding="utf-8"))
    assert data["format_version"] == FORMAT_VERSION
    assert data["model"] == fake_encoder.name and data["dimension"] == fake_encoder.dimension
    assert data["passage_count"] == 16
    assert set(data["articles"]) == {"tehran-summit"} and data["articles"]["tehran-summit"]["content_hash"]
    assert data["built_at"]


def test_incremental_build_embeds_only_new_passages(tmp_path, corpus_copy, fake_encoder):
    build_index(corpus_copy, tmp_path, fake_encoder)
    assert len(fake_encoder.texts) == 16
    (corpus_copy / "ports.md").write_text(ARTICLE, encoding="utf-8")
    manifest, stale, _ = index_state(corpus_copy, tmp_path, fake_encoder)
    assert manifest is not None and stale
    report = build_index(corpus_copy, tmp_path, fake_encoder)
    assert report.added == ["ports"] and report.embedded == 3 and report.reused == 16
    assert len(fake_encoder.texts) == 16 + 3
    assert not index_state(corpus_copy, tmp_path, fake_encoder)[1]


def test_edit_delete_and_duplicate(tmp_path, corpus_copy, fake_encoder):
    (corpus_copy / "ports.md").write_text(ARTICLE, encoding="utf-8")
    build_index(corpus_copy, tmp_path, fake_encoder)
    (corpus_copy / "ports.md").write_text(ARTICLE.replace("satisfied", "angry"), encoding="utf-8")
    report = build_index(corpus_copy, tmp_path, fake_encoder)
    assert report.changed == ["ports"] and report.embedded == 1
    texts = [p.text for p in load_snapshot(tmp_path, fake_encoder.name, fake_encoder.dimension).passages]
    assert any("angry" in t for t in texts) and not any("satisfied" in t for t in texts)
    (corpus_copy / "ports-copy.md").write_text(ARTICLE.replace("satisfied", "angry"), encoding="utf-8")
    report = build_index(corpus_copy, tmp_path, fake_encoder)
    assert report.duplicates == ["ports-copy"] and report.passages == 19
    (corpus_copy / "ports.md").unlink()
    (corpus_copy / "ports-copy.md").unlink()
    report = build_index(corpus_copy, tmp_path, fake_encoder)
    assert report.removed == ["ports"] and report.passages == 16


def test_full_rebuild_re_embeds_everything(tmp_path, corpus_copy, fake_encoder):
    build_index(corpus_copy, tmp_path, fake_encoder)
    report = build_index(corpus_copy, tmp_path, fake_encoder, full=True)
    assert report.embedded == 16 and report.reused == 0


def test_new_analysis_rules_re_read_articles_but_reuse_embeddings(tmp_path, corpus_copy, fake_encoder, monkeypatch):
    build_index(corpus_copy, tmp_path, fake_encoder)
    import index.build

    monkeypatch.setattr(index.build, "ANALYSIS_VERSION", index.build.ANALYSIS_VERSION + 1)
    assert index_state(corpus_copy, tmp_path, fake_encoder)[1]  # stale: made by older rules
    split_calls = []
    original = index.build.split_passages
    monkeypatch.setattr(index.build, "split_passages", lambda article: split_calls.append(article.id) or original(article))
    report = build_index(corpus_copy, tmp_path, fake_encoder)
    assert split_calls == ["tehran-summit"] and report.embedded == 0
    assert not index_state(corpus_copy, tmp_path, fake_encoder)[1]
