"""Measuring helpers shared by the speed benchmarks: latency percentiles, memory, subprocesses, the machine."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

import numpy as np

HERE = Path(__file__).parent
REPO = HERE.parent
PERCENTILES = (50, 95, 99)
MIB = 1024 * 1024
LIBRARIES = ("torch", "sentence-transformers", "transformers", "faiss-cpu", "bm25s", "onnxruntime", "langchain-community")


def latency_summary(milliseconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 and mean of per-query latencies, in milliseconds."""
    values = np.asarray(milliseconds, dtype=np.float64)
    summary = {f"p{p}_ms": round(float(np.percentile(values, p)), 2) for p in PERCENTILES}
    summary["mean_ms"] = round(float(values.mean()), 2)
    summary["queries"] = len(values)
    return summary


def memory_mib() -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM) of this process, in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(value.split()[0]) * 1024 / MIB, 1)
    return {"rss_mib": fields["VmRSS"], "peak_rss_mib": fields["VmHWM"]}


def emit(result: dict[str, Any]) -> None:
    """A worker's result, with how busy the machine was: one JSON line on stdout, read by :func:`run_worker`."""
    print(json.dumps({**result, "load_average_1m": round(os.getloadavg()[0], 2)}), flush=True)


def worker_environment() -> dict[str, str]:
    """The environment of benchmark subprocesses: offline, with this repository importable."""
    environment = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), environment.get("PYTHONPATH")]))
    return environment


def run_worker(module: str, arguments: Sequence[str]) -> dict[str, Any]:
    """Run ``python -m module arguments`` in a fresh process and return the JSON it emitted last."""
    command = [sys.executable, "-m", module, *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, env=worker_environment(), cwd=REPO)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def wall_seconds(command: Sequence[str], repeats: int) -> dict[str, float]:
    """Median and spread of a fresh process's wall time, after one untimed run to warm the file cache."""
    times = []
    for attempt in range(repeats + 1):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=worker_environment(), cwd=REPO)
        if attempt:
            times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 2), "min_s": round(min(times), 2), "max_s": round(max(times), 2)}


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """What the figures were measured on, including how busy the machine was."""
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "libraries": {name: _version(name) for name in LIBRARIES},
    }
