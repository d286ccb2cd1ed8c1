"""Memory and query time of the embedded store at scale: synthetic passages, one and several serving processes.

Run: ``python -m benchmarks.memory [--passages 50000 100000] [--processes 4]``. For each size it
writes a build of synthetic passages (real sentences reshuffled, random unit vectors: no model
is run, so sizes far beyond the corpus take minutes, not hours), then starts serving processes
that each load the build the way ``summitbot run`` does (``LiveIndex``) and time searches.
Each reports its resident memory (RSS) and its proportional share (PSS: pages shared with the
other processes counted once, split between them). Prints a table, the memory per million
passages (the slope between the sizes) and writes ``benchmarks/results/memory.json``.
Query vectors are random too: the time is the store's (dense, BM25, fusion), not the encoder's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.add_article import corpus_sentences
from benchmarks.measure import emit, latency_summary, machine, memory_mib, run_worker
from index.passages import Passage
from index.store import FORMAT_VERSION, ArticleEntry, Manifest, write_build

HERE = Path(__file__).parent
RESULTS_DIR = HERE / "results"
MODEL = "synthetic/random-unit-vectors"
DIMENSION = 384
PARAGRAPHS_PER_ARTICLE = 16
QUERIES = 200
QUERY_WORDS = ("truce", "ceasefire", "Idlib", "terrorists", "Putin", "Erdogan", "summit", "civilians", "drones")
SEED = 11
MIB = 1024 * 1024


class RandomQueries:
    """Stands in for the encoder: a random unit vector per query, under the synthetic build's model name."""

    name = MODEL
    dimension = DIMENSION

    def __init__(self) -> None:
        self._rng = np.random.default_rng(SEED)

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._rng.normal(size=(len(texts), DIMENSION)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def write_synthetic_build(index_dir: Path, count: int) -> None:
    """A build of ``count`` passages: reshuffled real sentences, random unit vectors."""
    rng = random.Random(SEED)
    sentences = corpus_sentences()
    passages = []
    for i in range(count):
        article = f"synthetic-{i // PARAGRAPHS_PER_ARTICLE:06d}"
        text = " ".join(rng.sample(sentences, rng.randint(1, 3)))
        passages.append(Passage(article, f"Article {article}", "2018-09-07", i % PARAGRAPHS_PER_ARTICLE + 1, text))
    vectors = np.random.default_rng(SEED).normal(size=(count, DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    articles = {p.article: ArticleEntry(p.article, p.title, p.date, PARAGRAPHS_PER_ARTICLE) for p in passages}
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=MODEL,
        dimension=DIMENSION,
        passage_count=count,
        articles=articles,
        built_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        build_seconds=0.0,
    )
    write_build(index_dir, manifest, passages, {}, vectors)


def proportional_mib() -> float:
    """This process's proportional set size (shared pages split between their users), in MiB."""
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return round(int(line.split()[1]) * 1024 / MIB, 1)
    return float("nan")


def serve(index_dir: Path, ready: Path, go: Path) -> None:
    """Worker: load the build as a serving process does, signal ready, wait for the others, time searches."""
    from index.live import LiveIndex

    before = memory_mib()["rss_mib"]
    searcher = LiveIndex(index_dir, RandomQueries()).searcher()  # type: ignore[arg-type]
    loaded = memory_mib()
    ready.touch()
    while not go.exists():  # every worker has loaded before any measures PSS
        time.sleep(0.05)
    rng = random.Random(SEED)
    times = []
    for _ in range(QUERIES):
        query = " ".join(rng.sample(QUERY_WORDS, 3))
        started = time.perf_counter()
        searcher.search(query, 5)
        times.append((time.perf_counter() - started) * 1000)
    emit({"rss_before_load_mib": before, **loaded, "pss_mib": proportional_mib(), **latency_summary(times)})


def measure(index_dir: Path, processes: int, scratch: Path) -> list[dict[str, Any]]:
    """Start ``processes`` serving workers at once; their figures."""
    import concurrent.futures

    go = scratch / f"go-{processes}"
    readies = [scratch / f"ready-{processes}-{n}" for n in range(processes)]
    with concurrent.futures.ThreadPoolExecutor(processes) as pool:
        futures = [
            pool.submit(run_worker, "benchmarks.memory", ["--serve", str(index_dir), str(ready), str(go)]) for ready in readies
        ]
        while not all(ready.exists() for ready in readies):
            if any(future.done() for future in futures):
                break  # a worker failed; its error surfaces below
            time.sleep(0.1)
        go.touch()
        return [future.result() for future in futures]


def main() -> None:
    """Build each size, measure one and several serving processes, print and save."""
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, nargs="+", default=[50_000, 100_000])
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for count in args.passages:
            index_dir = Path(scratch) / f"index-{count}"
            started = time.perf_counter()
            write_synthetic_build(index_dir, count)
            build_seconds = round(time.perf_counter() - started, 1)
            one = measure(index_dir, 1, Path(scratch))
            several = measure(index_dir, args.processes, Path(scratch))
            results["sizes"][count] = {"build_seconds": build_seconds, "one": one[0], "several": several}
            row = results["sizes"][count]
            print(
                f"{count:>9,} passages: build {build_seconds} s; one process RSS {one[0]['rss_mib']} MiB, "
                f"query p50 {one[0]['p50_ms']} ms p95 {one[0]['p95_ms']} ms; {args.processes} processes: "
                f"RSS sum {sum(w['rss_mib'] for w in several):.0f} MiB, PSS sum {sum(w['pss_mib'] for w in several):.0f} MiB"
            )
            row["several_rss_sum_mib"] = round(sum(w["rss_mib"] for w in several), 1)
            row["several_pss_sum_mib"] = round(sum(w["pss_mib"] for w in several), 1)
    sizes = sorted(results["sizes"])
    if len(sizes) >= 2:
        low, high = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
        slope = (high["one"]["rss_mib"] - low["one"]["rss_mib"]) / (sizes[-1] - sizes[0]) * 1_000_000
        results["rss_mib_per_million_passages"] = round(slope)
        print(f"Memory per million passages (one process, slope between sizes): {slope:,.0f} MiB")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "memory.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
