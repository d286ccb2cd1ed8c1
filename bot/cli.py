"""The ``summitbot`` command: ask, chat, run the Telegram bot, manage the index.

Errors a user can cause (empty question, missing corpus, bad token) end
with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from bot.errors import EXIT_OK, EXIT_USAGE, PROG, TOKEN_MISSING, WEBHOOK_URL_MISSING, UserError, exit_code_of
from bot.settings import Settings

if TYPE_CHECKING:  # the engine's modules load with the first command that needs them, keeping --help instant
    from bot.answer import Answer
    from bot.engine import Engine
    from index.sources.links import LinkResult

logger = logging.getLogger(__name__)

OWN_LOGGERS = ("bot", "index", "__main__")


class _OwnProgressFilter(logging.Filter):
    """Let our own INFO lines through; libraries only from WARNING up."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] in OWN_LOGGERS


def configure_logging(verbose: bool) -> None:
    """Our own progress at INFO on stderr; libraries only when they warn."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(message)s"))
    handler.addFilter(_OwnProgressFilter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler], force=True)
    # The token is part of every request URL httpx logs at INFO.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=FutureWarning)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with a sub-command per job."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Answer questions about news articles with quoted, cited passages.",
        epilog="Settings come from the environment or a .env file; see .env.example.",
    )
    parser.add_argument("--corpus", type=Path, help="folder of articles (default: $SUMMITBOT_CORPUS_DIR or ./corpus)")
    parser.add_argument("--index", type=Path, help="index folder (default: $SUMMITBOT_INDEX_DIR or ./.summitbot-index)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    ask = commands.add_parser(
        "ask",
        help="answer questions; several questions are consecutive turns of one conversation",
        description="Answer one or more questions. Each question is a turn of the same conversation, "
        "so follow-ups such as 'And Erdogan?' work. The index is built first if needed.",
    )
    ask.add_argument("questions", nargs="+", metavar="QUESTION", help="a question (quote it in the shell)")
    ask.add_argument("--json", action="store_true", help="print one JSON object per turn, one per line")

    commands.add_parser(
        "chat",
        help="talk to the bot in the terminal",
        description="An interactive conversation. Type a question; /sources lists the articles, "
        "/reset forgets the conversation, /quit (or Ctrl-D) leaves.",
    )
    run = commands.add_parser(
        "run",
        help="run the Telegram bot (long polling, or --webhook; needs TELEGRAM_BOT_TOKEN)",
        description="Run the Telegram bot until interrupted. Needs TELEGRAM_BOT_TOKEN; "
        "TELEGRAM_BASE_URL and TELEGRAM_BASE_FILE_URL point it at a local Bot API server.",
    )
    run.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on SUMMITBOT_WEBHOOK_LISTEN for the public SUMMITBOT_WEBHOOK_URL instead of polling; "
        "several processes sharing SUMMITBOT_REDIS_URL can serve one bot",
    )

    index = commands.add_parser("index", help="build, inspect or extend the search index")
    index_commands = index.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    build = index_commands.add_parser(
        "build",
        help="index the corpus (only new or changed passages are embedded)",
        description="Index the corpus folder. Only new or changed passages are embedded unless --full.",
    )
    build.add_argument("--full", action="store_true", help="re-embed every passage")
    index_commands.add_parser(
        "status", help="show what is indexed and whether it is up to date", description="Show the index state."
    )
    add = index_commands.add_parser(
        "add",
        help="add article files or web pages (links) to the corpus and index them",
        description=(
            "Read each article file (.md, .txt, .html) and copy every good one into the corpus folder under a "
            "unique name; fetch each http(s) link, extract its article and store it as a .md file keeping the "
            "source address, outlet, date and author (a link already in the corpus is not added again); name "
            "each bad file or link with its reason; then index what is new. Exit code 2 when any was not added."
        ),
    )
    add.add_argument("sources", nargs="+", metavar="FILE|URL")

    feeds = commands.add_parser("feeds", help="follow RSS and Atom feeds; new items become articles")
    feed_commands = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    feed_add = feed_commands.add_parser(
        "add",
        help="follow a feed",
        description="Check that URL is an RSS or Atom feed and follow it. `feeds poll`, or `run` every "
        "SUMMITBOT_FEED_INTERVAL, adds its new items.",
    )
    feed_add.add_argument("url", metavar="URL")
    feed_commands.add_parser("list", help="show the followed feeds", description="Show the followed feeds.")
    feed_remove = feed_commands.add_parser(
        "remove",
        help="stop following a feed",
        description="Stop following a feed; the articles it gave stay in the corpus.",
    )
    feed_remove.add_argument("url", metavar="URL")
    feed_commands.add_parser(
        "poll",
        help="read every feed once, add and index the new items",
        description="Read every followed feed now, add the items not seen before (pages robots.txt allows), "
        "print what was added, and index it.",
    )
    return parser


def passage_json(answer: Answer) -> list[dict[str, Any]]:
    """The contract's ``passages`` list, best first."""
    return [
        {
            "article": hit.passage.article,
            "title": hit.passage.title,
            "date": hit.passage.date,
            "paragraph": hit.passage.paragraph,
            "text": hit.passage.text,
            "score": round(hit.score, 4),
            "speaker": hit.passage.speaker,
            "outlet": hit.passage.outlet,
            "url": hit.passage.url,
        }
        for hit in answer.hits
    ]


def answer_json(answer: Answer) -> dict[str, Any]:
    """One turn as the JSON object of ``ask --json``."""
    speakers = [part.speaker for part in answer.parts if part.speaker]
    return {
        "question": answer.question,
        "query": answer.query,
        "found": answer.found,
        "answer": answer.text,
        "speaker": speakers[0] if speakers else None,
        "passages": passage_json(answer),
    }


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    overrides = {"corpus_dir": args.corpus, "index_dir": args.index}
    return Settings(**{**settings.__dict__, **{k: v for k, v in overrides.items() if v is not None}})


def _engine(settings: Settings, prepare: bool = True):  # type: ignore[no-untyped-def]
    from bot.engine import Engine
    from index.encoder import encoder_for
    from index.qdrant_store import open_store

    encoder = encoder_for(settings.encoder, settings.index_dir)
    engine = Engine(settings.corpus_dir, settings.index_dir, encoder, open_store(settings.qdrant, encoder.dimension))
    if prepare:
        engine.prepare()
    return engine


def command_ask(args: argparse.Namespace, settings: Settings) -> int:
    """``summitbot ask``: each argument is the next turn of one conversation."""
    from bot.conversation import Conversation
    from bot.engine import clean_question

    for question in args.questions:
        clean_question(question)  # reject bad input before any slow work
    engine = _engine(settings)
    conversation = Conversation()
    for number, question in enumerate(args.questions):
        answer = engine.ask(question, conversation)
        if args.json:
            print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
        else:
            if len(args.questions) > 1:
                print(f"{'' if number == 0 else chr(10)}> {question}")
            print(answer.text, flush=True)
    return EXIT_OK


def command_chat(args: argparse.Namespace, settings: Settings) -> int:
    """``summitbot chat``: an interactive terminal conversation."""
    from bot.terminal import run_chat

    return run_chat(_engine(settings))


def command_run(args: argparse.Namespace, settings: Settings) -> int:
    """``summitbot run``: the Telegram bot."""
    if not settings.telegram_token:
        raise UserError(TOKEN_MISSING)
    if args.webhook and not settings.webhook_url:
        raise UserError(WEBHOOK_URL_MISSING)
    from bot.telegram_app import run_bot

    return run_bot(settings, _engine(settings), webhook=args.webhook)


def command_index(args: argparse.Namespace, settings: Settings) -> int:
    """``summitbot index build|status|add``."""
    from index.build import index_state

    engine = _engine(settings, prepare=False)
    if args.index_command == "build":
        report = engine.rebuild(full=args.full)
        print(report.summary())
    elif args.index_command == "add":
        return add_sources(args.sources, settings, engine)
    else:
        manifest, stale, reason = index_state(settings.corpus_dir, settings.index_dir, engine.encoder)
        print(f"Corpus: {settings.corpus_dir}")
        print(f"Index:  {settings.index_dir}")
        if manifest is None:
            print(f"State:  not usable ({reason})")
            return EXIT_OK
        print(f"Model:  {manifest.model} ({manifest.dimension}-d)")
        print(f"Questions encoded by: {settings.encoder} (SUMMITBOT_ENCODER)")
        print(f"Built:  {manifest.built_at} in {manifest.build_seconds:.1f} s")
        print(f"Articles: {len(manifest.articles)}, passages: {manifest.passage_count}")
        for article_id, entry in sorted(manifest.articles.items()):
            facts = ", ".join([entry.outlet, entry.date or "no date"] if entry.outlet else [entry.date or "no date"])
            print(f"  {article_id}: {entry.title} ({facts}), {entry.passages} passages")
        for article_id in sorted(manifest.skipped):
            print(f"  {article_id}: skipped (unreadable or a duplicate)")
        print("State:  " + ("stale: the corpus changed; run `summitbot index build`" if stale else "up to date"))
    return EXIT_OK


def print_progress(done: int, total: int, result: LinkResult) -> None:
    """``[2/5] Added …`` on stderr, for batches of links."""
    print(f"{PROG}: [{done}/{total}] {result.summary()}", file=sys.stderr, flush=True)


def add_sources(sources: list[str], settings: Settings, engine: "Engine") -> int:
    """``index add FILE|URL…``: every good file and link added, each bad one named with its reason; one build."""
    from bot.links import add_links, is_url
    from index.corpus_admin import add_articles

    urls = [source for source in sources if is_url(source)]
    report = add_articles([Path(source) for source in sources if not is_url(source)], settings.corpus_dir, settings.index_dir)
    for entry in report.stored:
        print(entry.describe())
    for name, reason in report.failed:
        print(f"{PROG}: not added: {name}: {reason}", file=sys.stderr)
    results = add_links(settings, urls, print_progress if len(urls) > 1 else None)
    for result in results:
        print(result.summary(), file=sys.stderr if result.error else sys.stdout)
    if report.written or any(result.added for result in results):
        print(engine.rebuild().summary())
    return EXIT_USAGE if report.failed or any(result.error for result in results) else EXIT_OK


def command_feeds(args: argparse.Namespace, settings: Settings) -> int:
    """``summitbot feeds add|list|remove|poll``."""
    from bot import links

    if args.feeds_command == "add":
        feed = links.follow_feed(settings, args.url)
        print(f"Following “{feed.title or feed.url}” ({feed.url}).")
        print("`summitbot feeds poll` adds its articles now; `summitbot run` reads it every "
              f"{settings.feed_interval / 60:g} minutes.")
    elif args.feeds_command == "remove":
        feed = links.unfollow_feed(settings, args.url)
        print(f"Stopped following {feed.url}. The articles it gave stay in the corpus ({feed.articles}).")
    elif args.feeds_command == "list":
        feeds = links.followed_feeds(settings)
        if not feeds:
            print("No feeds are followed. Follow one with: summitbot feeds add URL")
        for feed in feeds:
            print(feed.describe())
    else:
        report = links.poll_feeds(settings, force=True, progress=lambda feed, result: print(
            f"{PROG}: {feed}: {result.summary()}", file=sys.stderr, flush=True
        ))
        for result in report.added:
            print(result.summary())
        for url, reason in report.failed_feeds:
            print(f"Feed failed: {reason}", file=sys.stderr)
        print(report.summary())
        if report.added:
            print(_engine(settings, prepare=False).rebuild().summary())
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "ask": command_ask,
    "chat": command_chat,
    "run": command_run,
    "index": command_index,
    "feeds": command_feeds,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``summitbot`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    return exit_code_of(lambda: COMMANDS[args.command](args, _settings(args)))


if __name__ == "__main__":
    sys.exit(main())
