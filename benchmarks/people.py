"""How long one identity per person takes: merging the people of many articles, and the first name lookup.

Run: ``python -m benchmarks.people [--articles 600] [--per-article 3]``. Every
article names its own people (given name + a random surname), plus the leaders of
the seed article under the spellings outlets use, so merges and new people both
happen. Prints the seconds to merge (``index.language.directory.merged_people``,
done at every build and on the first question after it) and to compile the
aliases for the first lookup.
"""

from __future__ import annotations

import argparse
import random
import string
import time

from index.language.directory import merged_people
from index.language.person import Person

GIVEN_NAMES = ("John", "Maria", "Ali", "Chen", "Olga", "Peter", "Fatima", "Hans")
LEADERS = ("Vladimir Putin", "Tayyip Erdogan", "Recep Tayyip Erdoğan", "Hassan Rohani", "Hassan Rouhani")
SURNAME_LETTERS = 7
SEED = 1


def synthetic_people(articles: int, per_article: int) -> dict[str, list[Person]]:
    """People by article: new people with random surnames, and the same leaders spelt several ways."""
    chooser = random.Random(SEED)

    def someone() -> Person:
        surname = "".join(chooser.choice(string.ascii_lowercase) for _ in range(SURNAME_LETTERS)).capitalize()
        return Person(f"{chooser.choice(GIVEN_NAMES)} {surname}")

    return {
        f"article-{number}": [someone() for _ in range(per_article)] + [Person(chooser.choice(LEADERS))]
        for number in range(articles)
    }


def main() -> None:
    """Print the merge and first-lookup times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--per-article", type=int, default=3)
    args = parser.parse_args()
    people = synthetic_people(args.articles, args.per_article)
    started = time.perf_counter()
    directory = merged_people(people)
    merged = time.perf_counter() - started
    started = time.perf_counter()
    directory.names_in("What did Putin say?")
    lookup = time.perf_counter() - started
    print(f"articles {args.articles}, people named {sum(map(len, people.values()))}, people {len(directory.people)}")
    print(f"merge seconds {merged:.3f}, first lookup seconds {lookup:.3f}")


if __name__ == "__main__":
    main()
