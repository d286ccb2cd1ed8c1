"""Speed and memory of summitbot next to the tutorial recipe (LangChain FAISS), at three corpus sizes.

Run: ``python -m benchmarks.speed`` (needs the ``bench`` extra; about 20
minutes on 2 cores). ``--sizes real 10k`` measures fewer sizes,
``--no-tutorial`` skips the recipe. Prints a table and writes
``benchmarks/results/speed.json``.

Measured, each in a fresh process (``benchmarks.ours`` / ``benchmarks.tutorial``):

* query latency of a standalone question → ranked passages → answer
  (``Engine.ask``; the recipe's ``similarity_search``), p50/p95/p99 over the
  question set of ``benchmarks/questions.json`` asked ``--repeats`` times;
* serving memory (RSS after the queries) and build memory (peak RSS);
* build throughput in passages per second, the model loaded before the clock;
* cold start: wall time of ``summitbot ask`` in a fresh process with a built
  index, and of importing the package;
* at 100,000 passages: recall of the approximate (HNSW) index against exact search.

Corpora: the real one (``corpus/``), and about 10,000 and 100,000 passages of
the real articles' sentences recombined (``benchmarks.add_article.synthetic_corpus``).
The 10,000 corpus is embedded by the real model. At 100,000 passages, both
sides get passage vectors from cached sentence vectors
(``benchmarks.cached_vectors``): the build figure there is everything but the model.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO, machine, run_worker, wall_seconds

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
RESULTS_DIR = HERE / "results"
WORK_DIR = RESULTS_DIR / "work"
REAL_CORPUS = REPO / "corpus"
SIZES = {"real": 0, "10k": 10_000, "100k": 100_000}
CACHED_VECTOR_SIZES = frozenset({"100k"})
COLD_QUESTION = "What did Putin say about the truce?"
COLD_REPEATS = 3
DEFAULT_REPEATS = 5
OURS, REFERENCE, TUTORIAL = "ours", "ours_reference", "tutorial"
LOWER_IS_BETTER, HIGHER_IS_BETTER = "lower", "higher"


def corpus_for(size: str) -> Path:
    """The corpus folder of a size, generated once for the synthetic ones."""
    if not SIZES[size]:
        return REAL_CORPUS
    from benchmarks.add_article import synthetic_corpus

    folder = WORK_DIR / f"corpus-{size}"
    if not folder.is_dir():
        synthetic_corpus(folder, SIZES[size])
    return folder


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def measure_size(size: str, repeats: int, reference: bool, tutorial: bool) -> dict[str, Any]:
    """Build and serve one corpus size with every configuration."""
    corpus = corpus_for(size)
    cached = size in CACHED_VECTOR_SIZES
    common = ["--corpus", str(corpus)]
    index = _fresh(WORK_DIR / f"index-{size}")
    figures: dict[str, Any] = {"method": "cached sentence vectors" if cached else "real model"}
    logger.warning("[%s] building", size)
    build_encoder = "sentence-mean" if cached else "default"
    figures[OURS] = {"build": run_worker("benchmarks.ours", ["build", *common, "--index", str(index), "--encoder", build_encoder])}
    serve = ["serve", *common, "--index", str(index), "--repeats", str(repeats)]
    quality = ["--quality"] if size == "real" else []
    logger.warning("[%s] serving", size)
    figures[OURS]["serve"] = run_worker("benchmarks.ours", [*serve, *quality, "--recall"])
    if reference:  # the same build, questions through sentence-transformers
        figures[REFERENCE] = {"serve": run_worker("benchmarks.ours", [*serve, *quality, "--encoder", "reference"])}
    if tutorial:
        store = _fresh(WORK_DIR / f"tutorial-{size}")
        logger.warning("[%s] tutorial recipe", size)
        build = ["build", *common, "--store", str(store), *(["--cached-vectors"] if cached else [])]
        figures[TUTORIAL] = {
            "build": run_worker("benchmarks.tutorial", build),
            "serve": run_worker("benchmarks.tutorial", ["serve", "--store", str(store), "--repeats", str(repeats), *quality]),
        }
    return figures


def measure_cold_start(reference: bool, tutorial: bool) -> dict[str, Any]:
    """Fresh-process wall times on the real corpus with a built index, and import times."""
    index = WORK_DIR / "index-real"
    python = sys.executable
    summitbot = str(Path(python).parent / "summitbot")
    ours_ask = [summitbot, "--corpus", str(REAL_CORPUS), "--index", str(index), "ask", COLD_QUESTION]
    figures: dict[str, Any] = {
        OURS: {
            "ask": wall_seconds(ours_ask, COLD_REPEATS),
            "import": wall_seconds([python, "-c", "import bot.cli, bot.engine"], COLD_REPEATS),
        }
    }
    if reference:
        reference_ask = ["-m", "benchmarks.ours", "ask", "--corpus", str(REAL_CORPUS), "--index", str(index)]
        figures[REFERENCE] = {"ask": wall_seconds([python, *reference_ask, "--encoder", "reference", COLD_QUESTION], COLD_REPEATS)}
    if tutorial:
        store = WORK_DIR / "tutorial-real"
        imports = "from langchain_huggingface import HuggingFaceEmbeddings; from langchain_community.vectorstores import FAISS"
        figures[TUTORIAL] = {
            "ask": wall_seconds([python, "-m", "benchmarks.tutorial", "ask", "--store", str(store), COLD_QUESTION], COLD_REPEATS),
            "import": wall_seconds([python, "-c", imports], COLD_REPEATS),
        }
    return figures


def _get(figures: dict[str, Any], path: str) -> Any:
    value: Any = figures
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


ROWS: list[tuple[str, str, str]] = [
    ("query p50 (ms)", "serve.p50_ms", LOWER_IS_BETTER),
    ("query p95 (ms)", "serve.p95_ms", LOWER_IS_BETTER),
    ("query p99 (ms)", "serve.p99_ms", LOWER_IS_BETTER),
    ("serving RSS (MiB)", "serve.rss_mib", LOWER_IS_BETTER),
    ("load + first answer (s)", "serve.first_answer_seconds", LOWER_IS_BETTER),
    ("build (passages/s)", "build.passages_per_second", HIGHER_IS_BETTER),
    ("build peak RSS (MiB)", "build.peak_rss_mib", LOWER_IS_BETTER),
    ("recall@1 (real questions)", "serve.quality.recall_at_1", HIGHER_IS_BETTER),
    ("answer accuracy", "serve.quality.answer_accuracy", HIGHER_IS_BETTER),
    ("unanswerable declined", "serve.quality.unanswerable_rejected", HIGHER_IS_BETTER),
]
COLD_ROWS: list[tuple[str, str, str]] = [
    ("cold `ask`, fresh process (s)", "ask.median_s", LOWER_IS_BETTER),
    ("import bot.cli + bot.engine (s)", "import.median_s", LOWER_IS_BETTER),
]


def _ratio(ours: Any, theirs: Any, better: str) -> str:
    """How many times better ours is (>1: ours better)."""
    if not isinstance(ours, (int, float)) or not isinstance(theirs, (int, float)) or not ours or not theirs:
        return ""
    return f"{(theirs / ours if better == LOWER_IS_BETTER else ours / theirs):.2f}×"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.3f}" if isinstance(value, float) and value < 1.5 else f"{value:,}" if isinstance(value, int) else str(value)


def table(results: dict[str, Any]) -> str:
    """The figures as a Markdown table: ours, ours with the reference encoder, the tutorial recipe, and the ratios."""
    lines = [
        "| corpus | figure | ours | ours, questions through sentence-transformers | tutorial (LangChain FAISS) "
        "| ours better by | reference better by |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]

    def add(label: str, group: dict[str, Any], rows: list[tuple[str, str, str]]) -> None:
        for name, path, better in rows:
            values = [_get(group.get(side, {}), path) for side in (OURS, REFERENCE, TUTORIAL)]
            if all(value is None for value in values):
                continue
            cells = " | ".join(_cell(value) for value in values)
            ratios = f"{_ratio(values[0], values[2], better)} | {_ratio(values[1], values[2], better)}"
            lines.append(f"| {label} | {name} | {cells} | {ratios} |")

    for size, group in results["sizes"].items():
        passages = _get(group, f"{OURS}.build.passages")
        add(f"{size} ({passages:,} passages)" if passages else size, group, ROWS)
        recall = _get(group, f"{OURS}.serve.recall")
        if recall:
            lines.append(
                f"| {size} | HNSW recall@10 / @100; same top-5 passages as exact search; p50 with exact search | "
                f"{recall['recall_at_10']} / {recall['recall_at_100']}; {recall['same_top5_as_exact']:.0%}; "
                f"{recall['exact_p50_ms']} ms | | | | |"
            )
    if results.get("cold"):
        add("real, cold", results["cold"], COLD_ROWS)
    return "\n".join(lines)


def _loads(figures: Any) -> list[float]:
    """Every load average a worker reported, anywhere in the results."""
    if isinstance(figures, dict):
        own = [figures["load_average_1m"]] if "load_average_1m" in figures else []
        return own + [load for value in figures.values() for load in _loads(value)]
    return []


def notes(results: dict[str, Any]) -> str:
    """How the figures were measured, printed under the table."""
    host = results["machine"]
    methods = ", ".join(f"{size}: {group['method']}" for size, group in results["sizes"].items())
    loads = _loads(results["sizes"]) or [host["load_average_1m"]]
    return (
        f"Machine: {host['cpu']}, {host['cores']} cores, {host['memory_gib']} GiB, Python {host['python']}; "
        f"1-minute load average {min(loads)}–{max(loads)} during the runs (other work shared the machine).\n"
        f"Build vectors: {methods}. Build times exclude loading the model.\n"
        "Ours: Engine.ask (search, answer composition, decline when nothing answers) with the default encoder "
        "(passages through sentence-transformers, questions through its ONNX export). Reference: the same index, "
        "questions through sentence-transformers (SUMMITBOT_ENCODER=sentence-transformers). "
        "Tutorial: HuggingFaceEmbeddings + FAISS.similarity_search, answer = best passage."
    )


def main() -> None:
    """Measure every size and the cold start; print the table; write results/speed.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help="rounds of the question set per size")
    parser.add_argument("--no-tutorial", action="store_true")
    parser.add_argument("--no-reference", action="store_true", help="skip serving with questions through sentence-transformers")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="speed: %(message)s")
    reference = not args.no_reference
    tutorial = not args.no_tutorial and importlib.util.find_spec("langchain_community") is not None
    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    for size in args.sizes:
        results["sizes"][size] = measure_size(size, args.repeats, reference, tutorial)
    if "real" in args.sizes:
        logger.warning("cold start")
        results["cold"] = measure_cold_start(reference, tutorial)
    print(table(results))
    print()
    print(notes(results))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "speed.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
