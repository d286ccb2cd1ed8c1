"""How many saved pages are read right: title, date and outlet of every file of a described corpus.

Run: ``python -m benchmarks.sources`` (default: ``tests/data/outlets``). The
expected readings come from the corpus's README table (columns ``file``,
``expected title``, ``expected date``, ``expected outlet``); an outlet given
as "Name (note)" expects "Name". Titles and outlets are compared without
case, accents or punctuation. ``--show-failures`` prints what was read instead.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from index.articles import ArticleError, load_article
from index.text import fold

REPO = Path(__file__).resolve().parent.parent
OUTLETS = REPO / "tests" / "data" / "outlets"
FIELDS = ("title", "date", "outlet")


@dataclass(frozen=True)
class Expected:
    """What a file of the corpus should be read as."""

    file: str
    title: str
    date: str
    outlet: str


def _cell(text: str) -> str:
    return text.strip().strip("`").strip()


def expected_readings(folder: Path) -> list[Expected]:
    """The README table of ``folder``: one row per article file."""
    rows: list[Expected] = []
    header: list[str] = []
    for line in (folder / "README.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = [] if rows else header
            continue
        cells = [_cell(cell) for cell in line.strip().strip("|").split("|")]
        if not header:
            header = [cell.lower() for cell in cells]
            continue
        if set("".join(cells)) <= set("- :"):
            continue
        row = dict(zip(header, cells))
        if {"file", "expected title", "expected date", "expected outlet"} <= set(row):
            outlet = re.sub(r"\s*\(.*\)$", "", row["expected outlet"])
            rows.append(Expected(row["file"], row["expected title"], row["expected date"], outlet))
    return rows


def comparable(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form."""
    return " ".join(re.findall(r"\w+", fold(text)))


def read_as(folder: Path, expected: Expected) -> dict[str, str]:
    """What the loader reads from one file (``error`` when it refuses it)."""
    try:
        article = load_article(folder / expected.file)
    except (ArticleError, OSError) as exc:
        return {"error": str(exc), "title": "", "date": "", "outlet": ""}
    return {"title": article.title, "date": article.date_text, "outlet": article.outlet}


def check(folder: Path) -> list[tuple[Expected, dict[str, str], dict[str, bool]]]:
    """Per file: the expectation, the reading, and which fields are right."""
    results = []
    for expected in expected_readings(folder):
        got = read_as(folder, expected)
        right = {name: comparable(got[name]) == comparable(getattr(expected, name)) for name in FIELDS}
        results.append((expected, got, right))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=OUTLETS)
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args(argv)
    results = check(args.folder)
    if not results:
        print(f"no expectations found in {args.folder / 'README.md'}", file=sys.stderr)
        return 2
    print(f"{len(results)} files in {args.folder}")
    for name in FIELDS:
        print(f"  {name:7} right: {sum(right[name] for _, _, right in results)}/{len(results)}")
    print(f"  all three right: {sum(all(right.values()) for _, _, right in results)}/{len(results)}")
    if args.show_failures:
        for expected, got, right in results:
            for name in FIELDS:
                if not right[name]:
                    print(f"  {expected.file}: {name} {got[name]!r}, expected {getattr(expected, name)!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
