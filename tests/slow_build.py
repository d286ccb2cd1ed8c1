"""Run a build that stalls at a chosen step, so a test can kill it there with SIGKILL.

Usage: python slow_build.py CORPUS INDEX {encode|write}; prints STALLED on stdout once stalled.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from conftest import CountingEncoder

STALL_SECONDS = 60  # far longer than the test needs to kill us
STALLED = "STALLED"


def stall() -> None:
    print(STALLED, flush=True)
    time.sleep(STALL_SECONDS)


class StallingEncoder(CountingEncoder):
    def encode(self, texts):  # type: ignore[no-untyped-def]
        if texts:
            stall()
        return super().encode(texts)


def main() -> None:
    corpus, index_dir, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    from index import store
    from index.build import build_index

    if step == "write":
        original = store.DenseIndex.save

        def stalling_save(self, folder):  # type: ignore[no-untyped-def]
            original(self, folder)
            stall()

        store.DenseIndex.save = stalling_save  # type: ignore[method-assign]
        encoder = CountingEncoder()
    else:
        encoder = StallingEncoder()
    build_index(corpus, index_dir, encoder)


if __name__ == "__main__":
    main()
