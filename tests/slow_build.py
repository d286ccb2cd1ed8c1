"""Run a build that stalls at a chosen step, so a test can kill it there with SIGKILL.

Usage: python slow_build.py CORPUS INDEX MARKER {encode|write}
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from conftest import CountingEncoder

STALL_SECONDS = 60


def stall(marker: Path) -> None:
    marker.write_text("stalled", encoding="utf-8")
    time.sleep(STALL_SECONDS)


class StallingEncoder(CountingEncoder):
    def __init__(self, marker: Path) -> None:
        super().__init__()
        self.marker = marker

    def encode(self, texts):  # type: ignore[no-untyped-def]
        if texts:
            stall(self.marker)
        return super().encode(texts)


def main() -> None:
    corpus, index_dir, marker, step = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
    from index import store
    from index.build import build_index

    if step == "write":
        original = store.DenseIndex.save

        def stalling_save(self, folder):  # type: ignore[no-untyped-def]
            original(self, folder)
            stall(marker)

        store.DenseIndex.save = stalling_save  # type: ignore[method-assign]
        encoder = CountingEncoder()
    else:
        encoder = StallingEncoder(marker)
    build_index(corpus, index_dir, encoder)


if __name__ == "__main__":
    main()
