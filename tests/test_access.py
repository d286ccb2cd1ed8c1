"""Access through Telegram: only admins change corpus or index, strangers get one refusal, files stay in the corpus.

Admins are recognised by user id (SUMMITBOT_ADMIN_IDS), never by name; with
an allowlist (SUMMITBOT_ALLOWED_USER_IDS) everyone else gets one polite
refusal in private and silence in groups. Uploaded file names are reduced to
a plain name inside the corpus folder. test_telegram_bot.py has the basics
(non-admins refused, bad files refused); these are the attacks.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.telegram_app import NOT_ADMIN_REINDEX, NOT_ADMIN_UPLOAD, NOT_ALLOWED
from index.store import current_build
from test_telegram_bot import (  # noqa: F401  (fake, settings and writable are fixtures)
    ADMIN,
    CHAT,
    GROUP,
    NEW_ARTICLE,
    STRANGER,
    TRUCE,
    BotHarness,
    fake,
    play,
    settings,
    writable,
)

ADMIN_NAME = {"username": "the_admin", "first_name": "Admin"}


def files_under(root: Path) -> set[Path]:
    """Every file below ``root``."""
    return {path for path in root.rglob("*") if path.is_file()}


def written_by_uploads(root: Path, settings: Settings) -> set[Path]:
    """Files below ``root`` except the bot's own: the index and the conversation state."""
    own = files_under(settings.index_dir) | files_under(settings.conversation_state_file.parent)
    return files_under(root) - own


@pytest.mark.parametrize(
    "name, stored",
    [
        ("../../evil.txt", "evil.txt"),
        ("/etc/cron.d/evil.md", "evil.md"),
        ("..\\..\\evil.txt", "evil.txt"),
        ("  ../.hidden.txt", "hidden.txt"),
        ("evil\x00name%2f..%2f.txt", "evil-name-2f-2f.txt"),
        ("ünïcödé 新闻 " + "a" * 300 + ".txt", "ünïcödé-新闻-" + "a" * 69 + ".txt"),  # letters kept, 80 at most
    ],
)
def test_an_uploaded_file_lands_inside_the_corpus_under_a_safe_name(fake, writable, tmp_path, name, stored):
    settings, engine = writable
    before = written_by_uploads(tmp_path, settings)

    async def scenario(bot: BotHarness) -> list:
        return await bot.upload(name, NEW_ARTICLE.encode(), ADMIN)

    progress, outcome = play(settings, engine, fake, scenario)
    assert progress["plain_text"] == f"Indexing {stored} …"
    assert f"added: {Path(stored).stem}" in outcome["plain_text"]
    written = written_by_uploads(tmp_path, settings) - before
    assert written == {settings.corpus_dir / stored}  # and nothing anywhere else
    assert written.pop().read_bytes() == NEW_ARTICLE.encode()


def test_non_admins_change_nothing_whatever_their_name_or_chat(fake, writable):
    settings, engine = writable
    corpus_before, build_before = files_under(settings.corpus_dir), current_build(settings.index_dir)
    in_group = {"chat_id": GROUP, "user_id": CHAT, "chat_type": "group", **ADMIN_NAME}

    async def scenario(bot: BotHarness) -> list:
        private = await bot.send("/reindex", **ADMIN_NAME) + await bot.send("/reindex full", **ADMIN_NAME)
        private += await bot.upload("strike.txt", NEW_ARTICLE.encode(), CHAT)
        group = await bot.send("/reindex full", **in_group) + await bot.send(f"/reindex@{fake.username}", **in_group)
        group_upload = await bot._process(
            fake.send_document(GROUP, CHAT, "strike.txt", NEW_ARTICLE.encode(), chat_type="group"), GROUP
        )
        return [private, group, group_upload]

    private, group, group_upload = play(settings, engine, fake, scenario)
    assert [r["plain_text"] for r in private] == [NOT_ADMIN_REINDEX, NOT_ADMIN_REINDEX, NOT_ADMIN_UPLOAD]
    assert [r["plain_text"] for r in group] == [NOT_ADMIN_REINDEX, NOT_ADMIN_REINDEX]
    assert group_upload == []  # files in groups are not uploads
    assert current_build(settings.index_dir) == build_before  # no rebuild ran
    assert files_under(settings.corpus_dir) == corpus_before
    assert fake.calls("getFile") == []  # nothing was even downloaded


def test_with_an_allowlist_a_stranger_gets_one_refusal_whatever_they_try(fake, writable):
    settings, engine = writable
    allowlisted = dataclasses.replace(settings, allowed_user_ids=frozenset({CHAT}))
    build_before = current_build(settings.index_dir)
    group = {"chat_id": GROUP, "user_id": STRANGER, "chat_type": "group"}

    async def scenario(bot: BotHarness) -> tuple[list, list, list]:
        [refusal] = await bot.send(TRUCE, chat_id=STRANGER)
        private = [refusal]
        private += await bot.send("/reindex full", chat_id=STRANGER)
        private += await bot.upload("strike.txt", NEW_ARTICLE.encode(), STRANGER)
        press = fake.press_button(STRANGER, STRANGER, refusal["message_id"], "more", check_button=False)
        private += await bot._process(press, STRANGER)
        in_group = await bot.send(f"@{fake.username} {TRUCE}", **group)
        allowed = await bot.send("/reindex")  # allowed to ask, still not an admin
        return private, in_group, allowed

    private, in_group, allowed = play(allowlisted, engine, fake, scenario)
    assert [r["plain_text"] for r in private] == [NOT_ALLOWED.format(user_id=STRANGER)]
    assert fake.callback_answers[-1]["text"] == NOT_ALLOWED.format(user_id=STRANGER)  # the button press
    assert in_group == []  # no refusals spread over groups
    assert [r["plain_text"] for r in allowed] == [NOT_ADMIN_REINDEX]
    assert current_build(settings.index_dir) == build_before
    assert fake.calls("getFile") == []
