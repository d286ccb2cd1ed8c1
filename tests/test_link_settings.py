"""The link and feed settings as users write them, the links Telegram messages carry, and citations of web articles."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram import Chat, Message, MessageEntity, User

from bot.answer import citation
from bot.render import render_citation
from bot.settings import DEFAULT_FEED_INTERVAL_SECONDS, Settings, SettingsError
from bot.telegram_links import link_urls
from index.passages import Passage


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("", DEFAULT_FEED_INTERVAL_SECONDS), ("900", 900.0), ("15m", 900.0), ("90s", 90.0), ("1h", 3600.0), ("2.5M", 150.0)],
)
def test_feed_interval(written, seconds, tmp_path):
    settings = Settings.from_env({"SUMMITBOT_FEED_INTERVAL": written}, env_file=tmp_path / "none")
    assert settings.feed_interval == seconds


@pytest.mark.parametrize("written", ["soon", "0", "-5m", "15 minutes", "m"])
def test_a_feed_interval_that_is_not_a_time_is_one_clear_error(written, tmp_path):
    with pytest.raises(SettingsError, match="SUMMITBOT_FEED_INTERVAL must be a time such as 15m"):
        Settings.from_env({"SUMMITBOT_FEED_INTERVAL": written}, env_file=tmp_path / "none")


@pytest.mark.parametrize(("written", "allowed"), [("", False), ("0", False), ("1", True), ("true", True), ("yes", True)])
def test_private_addresses_are_refused_unless_allowed(written, allowed, tmp_path):
    settings = Settings.from_env({"SUMMITBOT_FETCH_ALLOW_PRIVATE": written}, env_file=tmp_path / "none")
    assert settings.fetch_allow_private is allowed


def test_links_written_out_and_behind_text_are_found_once_each():
    text = "See example.org/a and https://news.example/b, also this story and https://news.example/b again"
    entities = [
        MessageEntity(MessageEntity.URL, text.index("example.org/a"), len("example.org/a")),
        MessageEntity(MessageEntity.URL, text.index("https://news.example/b"), len("https://news.example/b")),
        MessageEntity(MessageEntity.TEXT_LINK, text.index("this story"), len("this story"), url="https://news.example/c"),
        MessageEntity(MessageEntity.URL, text.rindex("https://news.example/b"), len("https://news.example/b")),
    ]
    message = Message(1, dt.datetime.now(dt.timezone.utc), Chat(1, Chat.PRIVATE), from_user=User(1, "A", False), text=text, entities=entities)
    assert link_urls(message) == ["https://example.org/a", "https://news.example/b", "https://news.example/c"]


def test_a_citation_names_the_outlet_and_in_telegram_links_the_title_to_the_page():
    web = Passage("a", "Talks <in> Sochi", "2018-09-12", 3, "Text.", outlet="The Levant Ledger", url="https://news.example/a?x=1&y=2")
    assert citation(web) == "The Levant Ledger: Talks <in> Sochi, 12 September 2018, paragraph 3"
    assert render_citation(web) == (
        '<i>— The Levant Ledger: <a href="https://news.example/a?x=1&amp;y=2">Talks &lt;in&gt; Sochi</a>, '
        "12 September 2018, paragraph 3</i>"
    )
    filed = Passage("b", "Erdogan and Putin Clash", "2018-09-07", 9, "Text.", url="javascript:alert(1)")
    assert citation(filed) == "Erdogan and Putin Clash, 7 September 2018, paragraph 9"
    assert render_citation(filed) == "<i>— Erdogan and Putin Clash, 7 September 2018, paragraph 9</i>"
