"""The on-disk index: a folder per build, a manifest, and an atomic pointer.

Layout of the index folder::

    CURRENT                 name of the build that serves (replaced atomically)
    builds/<build>/         manifest.json, passages.jsonl, people.json,
                            embeddings.npy, dense.faiss, lexical/
    build.lock              held (flock) while a build runs

A build writes a fresh folder and only then points ``CURRENT`` at it, so a
reader never sees a half-written index and a killed build leaves the old
one serving. A reader holds a shared lock on its build's ``reading.lock``
while it loads, and old builds are deleted only when nobody holds it, so a
slow reader never finds the build it is loading deleted under it. ``load_snapshot`` checks the manifest and fails with a clear
message when the index is missing, damaged or made by another model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from index.dense import DenseIndex
from index.lexical import LexicalIndex
from index.passages import Passage
from index.language.directory import PeopleDirectory, merged_people
from index.language.person import Person

logger = logging.getLogger(__name__)

FORMAT_VERSION = 2
CURRENT_FILE = "CURRENT"
BUILDS_DIR = "builds"
LOCK_FILE = "build.lock"
MANIFEST_FILE = "manifest.json"
PASSAGES_FILE = "passages.jsonl"
PEOPLE_FILE = "people.json"
EMBEDDINGS_FILE = "embeddings.npy"
READING_LOCK_FILE = "reading.lock"
STAGING_PREFIX = "staging-"
BUILDS_KEPT = 2  # the serving build and the one before; older ones go once no reader holds them
REBUILD_HINT = "run `summitbot index build`"
LOCK_WAIT_MESSAGE = "Another build is running; waiting for it to finish"


class IndexUnavailableError(Exception):
    """The index cannot be used; the message says what to do."""


class IndexMissingError(IndexUnavailableError):
    """No index has been built yet."""


class IndexCorruptError(IndexUnavailableError):
    """The index is damaged or was built with another model or format."""


@dataclass(frozen=True)
class ArticleEntry:
    """What the manifest records of one article."""

    content_hash: str
    title: str
    date: str
    passages: int
    outlet: str = ""


@dataclass(frozen=True)
class Manifest:
    """Self-description of one build, checked on load."""

    format_version: int
    model: str
    dimension: int
    passage_count: int
    articles: dict[str, ArticleEntry]
    built_at: str
    build_seconds: float
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)  # unreadable or duplicate files
    analysis_version: int = 0  # passages.ANALYSIS_VERSION of the rules that split and attributed

    def to_json(self) -> str:
        """Serialise for ``manifest.json``."""
        return json.dumps(dataclasses.asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Manifest":
        """Parse ``manifest.json``; raises ValueError/KeyError/TypeError on bad content."""
        data = json.loads(text)
        articles = {key: ArticleEntry(**value) for key, value in data["articles"].items()}
        return cls(**{**data, "articles": articles})


@dataclass(eq=False)  # one object per loaded build, compared (and hashed) by identity
class Snapshot:
    """One loaded build: passages, people and both search indexes."""

    build: str
    manifest: Manifest
    passages: list[Passage]
    people_by_article: dict[str, list[Person]]
    dense: DenseIndex
    lexical: LexicalIndex
    _directory: PeopleDirectory | None = dataclasses.field(default=None, repr=False)
    _by_place: dict[tuple[str, int], Passage] | None = dataclasses.field(default=None, repr=False)

    def passage(self, article: str, paragraph: int) -> Passage | None:
        """The passage at ``paragraph`` of ``article``, if the build has it (a map made once per build)."""
        if self._by_place is None:
            self._by_place = {(p.article, p.paragraph): p for p in self.passages}
        return self._by_place.get((article, paragraph))

    @property
    def people(self) -> PeopleDirectory:
        """Everyone named in any article, merged across articles."""
        if self._directory is None:
            self._directory = merged_people(self.people_by_article)
        return self._directory

    @property
    def embeddings(self) -> np.ndarray:
        """Passage embeddings, one row per passage."""
        return self.dense.vectors


def builds_dir(index_dir: Path) -> Path:
    """Folder holding every build."""
    return index_dir / BUILDS_DIR


def current_build(index_dir: Path) -> str | None:
    """Name of the serving build, or None when nothing was built."""
    try:
        name = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def person_to_dict(person: Person) -> dict[str, Any]:
    """Plain data for ``people.json``."""
    return {
        "name": person.name,
        "nationality": person.nationality,
        "role": person.role,
        "aliases": sorted(person.aliases),
        "gender": person.gender,
    }


def write_build(
    index_dir: Path,
    manifest: Manifest,
    passages: list[Passage],
    people_by_article: dict[str, list[Person]],
    embeddings: np.ndarray,
) -> str:
    """Write a complete build into a new folder and make it the serving one."""
    root = builds_dir(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    staging = root / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    staging.mkdir()
    with open(staging / PASSAGES_FILE, "w", encoding="utf-8") as handle:
        for passage in passages:
            handle.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")
    (staging / PEOPLE_FILE).write_text(
        json.dumps(
            {article: [person_to_dict(p) for p in people] for article, people in people_by_article.items()},
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    np.save(staging / EMBEDDINGS_FILE, embeddings.astype(np.float32))
    DenseIndex(embeddings).save(staging)
    LexicalIndex.build([p.search_text for p in passages]).save(staging)
    # The manifest goes last: a folder without one is never a finished build.
    (staging / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
    for path in staging.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    name = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"
    os.rename(staging, root / name)
    _fsync_dir(root)
    _write_atomically(index_dir / CURRENT_FILE, name + "\n")
    _fsync_dir(index_dir)
    _remove_old_builds(index_dir, keep=name)
    return name


def _remove_old_builds(index_dir: Path, keep: str) -> None:
    """Delete staging leftovers, and all but the newest few builds that no reader is loading."""
    root = builds_dir(index_dir)
    finished = sorted((p for p in root.iterdir() if not p.name.startswith(STAGING_PREFIX)), reverse=True)
    for path in [p for p in finished if p.name != keep][BUILDS_KEPT - 1 :]:
        _remove_unread(path)
    for path in root.iterdir():
        if path.name.startswith(STAGING_PREFIX):  # only builds hold the build lock, and we do
            shutil.rmtree(path, ignore_errors=True)


def _remove_unread(build: Path) -> None:
    """Delete a build folder unless a reader holds its reading lock (a later build retries)."""
    try:
        handle = open(build / READING_LOCK_FILE, "a")  # builds older than reading locks get one
    except FileNotFoundError:  # already gone
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.debug("Keeping build %s: a reader is loading it", build.name)
            return
        shutil.rmtree(build, ignore_errors=True)


@contextlib.contextmanager
def reading(folder: Path) -> Iterator[None]:
    """Hold a build folder against deletion while it is read (a shared lock on its reading lock)."""
    try:
        handle = open(folder / READING_LOCK_FILE, "a")  # builds older than reading locks get one
    except FileNotFoundError:
        raise IndexCorruptError(f"build {folder.name} was removed while loading: {REBUILD_HINT}") from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(index_dir: Path) -> tuple[str, Manifest]:
    """The serving build's name and manifest, checked against this program."""
    build = current_build(index_dir)
    if build is None:
        raise IndexMissingError(f"no index in {index_dir}: {REBUILD_HINT}")
    return build, _read_build_manifest(index_dir, build)


def _read_build_manifest(index_dir: Path, build: str) -> Manifest:
    try:
        return Manifest.from_json((builds_dir(index_dir) / build / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"the index in {index_dir} is incomplete (no manifest): {REBUILD_HINT}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"the index manifest in {index_dir} is damaged ({exc}): {REBUILD_HINT}") from None
    return manifest


def check_manifest(manifest: Manifest, model: str, dimension: int) -> None:
    """Fail loudly when a build was made by another format or model."""
    if manifest.format_version != FORMAT_VERSION:
        raise IndexCorruptError(
            f"the index has format {manifest.format_version}, this program reads {FORMAT_VERSION}: {REBUILD_HINT}"
        )
    if manifest.model != model or manifest.dimension != dimension:
        raise IndexCorruptError(
            f"the index was built with {manifest.model} ({manifest.dimension}-d), "
            f"this program uses {model} ({dimension}-d): {REBUILD_HINT}"
        )


def _read_people(path: Path) -> dict[str, list[Person]]:
    return {
        article: [
            Person(
                name=d["name"],
                nationality=d["nationality"],
                role=d["role"],
                aliases=set(d["aliases"]),
                gender=d.get("gender", ""),
            )
            for d in people
        ]
        for article, people in json.loads(path.read_text(encoding="utf-8")).items()
    }


def _read_passages(path: Path) -> Iterator[Passage]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield Passage.from_dict(json.loads(line))


def load_snapshot(index_dir: Path, model: str, dimension: int) -> Snapshot:
    """Load the serving build, checking its manifest and files; the build is not deleted meanwhile."""
    build = current_build(index_dir)
    if build is None:
        raise IndexMissingError(f"no index in {index_dir}: {REBUILD_HINT}")
    with reading(builds_dir(index_dir) / build):
        return _load_build(index_dir, build, model, dimension)


def _load_build(index_dir: Path, build: str, model: str, dimension: int) -> Snapshot:
    manifest = _read_build_manifest(index_dir, build)
    check_manifest(manifest, model, dimension)
    folder = builds_dir(index_dir) / build
    try:
        passages = list(_read_passages(folder / PASSAGES_FILE))
        # Only its shape is checked here; the serving vectors are the FAISS index's own.
        embeddings = np.load(folder / EMBEDDINGS_FILE, mmap_mode="r")
        people_by_article = _read_people(folder / PEOPLE_FILE)
        dense = DenseIndex.load(folder, embeddings)
        lexical = LexicalIndex.load(folder)
    except Exception as exc:  # any damaged file means the same thing to the user
        raise IndexCorruptError(f"the index in {index_dir} is damaged ({exc.__class__.__name__}): {REBUILD_HINT}") from None
    if not (len(passages) == manifest.passage_count == len(embeddings) and embeddings.shape[1] == dimension):
        raise IndexCorruptError(f"the index in {index_dir} does not match its manifest: {REBUILD_HINT}")
    logger.debug("Loaded index %s: %d passages", build, len(passages))
    return Snapshot(build=build, manifest=manifest, passages=passages, people_by_article=people_by_article, dense=dense, lexical=lexical)


class BuildLock:
    """An exclusive lock on the index folder; the kernel drops it if the holder dies."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / LOCK_FILE
        self._handle: Any = None

    def __enter__(self) -> "BuildLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info(LOCK_WAIT_MESSAGE)
            fcntl.flock(self._handle, fcntl.LOCK_EX)
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(f"{os.getpid()}\n")
        self._handle.flush()
        return self

    def __exit__(self, *exc_info: object) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
