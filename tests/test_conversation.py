"""Follow-ups: each resolution rule, the cases where a rule must not fire, state, speed, whole conversations.

The rule tests need no model: a conversation is played with :func:`resolve`,
:func:`analyse` and :meth:`Conversation.remember`, people and vocabulary read
from the bundled corpus. The last tests ask the real engine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from bot.render import render_answer
from bot.conversation import Conversation, Resolution, Turn, resolve
from bot.question import analyse
from bot.state.base import ChatState, conversation_from_data, conversation_to_data
from conftest import CORPUS
from index.articles import load_corpus
from index.lexical import tokenize
from index.passages import split_passages
from index.language.directory import PeopleDirectory
from index.store import merged_people

PUTIN, ERDOGAN = "Vladimir Putin", "Recep Tayyip Erdogan"


@pytest.fixture(scope="module")
def corpus_words() -> tuple[PeopleDirectory, dict[str, int]]:
    """The people of the bundled articles and the stemmed words they use."""
    split = {article.id: split_passages(article) for article in load_corpus(CORPUS)}
    people = merged_people({article: found for article, (_, found) in split.items()})
    words = sorted({t for passages, _ in split.values() for p in passages for t in tokenize(p.text)})
    return people, {word: number for number, word in enumerate(words)}


def play(corpus_words, *turns: str | tuple[str, dict]) -> tuple[Conversation, list[Resolution]]:
    """Resolve each turn and remember it as the engine would (``(question, answer facts)`` adds speakers, place …)."""
    people, vocabulary = corpus_words
    conversation, resolutions = Conversation(), []
    for turn in turns:
        question, facts = turn if isinstance(turn, tuple) else (turn, {})
        resolution = resolve(question, conversation, people, vocabulary)
        analysis = analyse(resolution.query, people, vocabulary)
        conversation.remember(
            Turn(
                query=resolution.query,
                people=analysis.people,
                topic=analysis.about or analysis.thing,
                thing=analysis.thing,
                place=facts.get("place", analysis.place),
                speakers=facts.get("speakers", ()),
                mentioned=facts.get("mentioned", ()),
                more=resolution.more,
                follow_up=resolution.follow_up,
            )
        )
        resolutions.append(resolution)
    return conversation, resolutions


def last_query(corpus_words, *turns) -> str:
    return play(corpus_words, *turns)[1][-1].query


TRUCE = "What did Putin say about the truce?"


@pytest.mark.parametrize("follow_up", ["Tell me more", "More", "more please", "Go on.", "Anything else?", "And then?"])
def test_more_continues_the_last_query_past_what_was_shown(corpus_words, follow_up):
    resolution = play(corpus_words, TRUCE, follow_up)[1][-1]
    assert (resolution.query, resolution.more) == (TRUCE, True)


@pytest.mark.parametrize(
    "follow_up, expected",
    [
        ("And Erdogan?", "What did Erdogan say about the truce?"),
        ("What about Rouhani?", "What did Rouhani say about the truce?"),
        ("How about the Turkish leader?", "What did the Turkish leader say about the truce?"),
        ("Erdogan?", "What did Erdogan say about the truce?"),
        ("And Macron?", "What did Macron say about the truce?"),
        ("and macron?", "What did Macron say about the truce?"),
        ("And Erdogan on the ceasefire?", "What did Erdogan say about the ceasefire?"),
        ("Same question for Lavrov", "What did Lavrov say about the truce?"),
    ],
)
def test_and_a_person_replaces_the_person_asked_about(corpus_words, follow_up, expected):
    assert last_query(corpus_words, TRUCE, follow_up) == expected


@pytest.mark.parametrize(
    "first, follow_up, expected",
    [
        (TRUCE, "And the ceasefire?", "What did Putin say about the ceasefire?"),
        (TRUCE, "What about Aleppo?", "What did Putin say about Aleppo?"),
        (TRUCE, "And about drones?", "What did Putin say about drones?"),
        ("Who dominates Idlib?", "And Aleppo?", "Who dominates Aleppo?"),
        ("What did Erdogan say?", "What about Hmeimim?", "What did Erdogan say about Hmeimim?"),
    ],
)
def test_and_a_thing_replaces_the_topic(corpus_words, first, follow_up, expected):
    assert last_query(corpus_words, first, follow_up) == expected


def test_a_person_replaces_a_name_the_articles_never_mention(corpus_words):
    assert last_query(corpus_words, "What did Macron say about the truce?", "And Erdogan?") == "What did Erdogan say about the truce?"


@pytest.mark.parametrize(
    "turns, expected",
    [
        ((TRUCE, "Why?"), "Why did Putin say that about the truce?"),
        (("Did Putin reject the ceasefire?", "Why?"), "Why did Putin reject the ceasefire?"),
        (("Where was the summit held?", "Why?"), "Why was the summit held?"),
        (("What did the leaders disagree about?", "Why?"), "Why did the leaders disagree?"),
        (("Where did the leaders meet?", "When?"), "When did the leaders meet?"),
        ((TRUCE, "How come?"), "Why did Putin say that about the truce?"),
        (
            (("Who said any attack on Idlib would be a disaster?", {"speakers": (ERDOGAN,)}), "Why?"),
            "Why did Erdogan say any attack on Idlib would be a disaster?",
        ),
    ],
)
def test_why_turns_the_last_query_into_a_why_question(corpus_words, turns, expected):
    assert last_query(corpus_words, *turns) == expected


def test_who_else_asks_the_topic_again_without_the_people_named(corpus_words):
    resolution = play(corpus_words, TRUCE, "And Erdogan?", "Who else?")[1][-1]
    assert resolution.query == "Who else spoke about the truce?"
    assert set(resolution.exclude) == {PUTIN, ERDOGAN}


def test_who_else_after_a_who_question_keeps_its_verb(corpus_words):
    first = ("Who took part in the summit?", {"mentioned": (PUTIN, ERDOGAN, "Hassan Rouhani")})
    resolution = play(corpus_words, first, "Who else?")[1][-1]
    assert resolution.query == "Who else took part in the summit?"


def test_more_after_who_else_still_leaves_them_out(corpus_words):
    resolution = play(corpus_words, TRUCE, "Who else said that?", "More")[1][-1]
    assert resolution.more and resolution.exclude == (PUTIN,)


@pytest.mark.parametrize(
    "follow_up, expected, more",
    [
        ("What did he say next?", "What did Putin say next?", True),
        ("What else did he say?", "What else did Putin say?", True),
        ("What was his position?", "What was Putin’s position?", False),
        ("What did Erdogan say about him?", "What did Erdogan say about Putin?", False),
        ("Who is he?", "Who is Putin?", False),
        ("And what did she say about it?", "What did Putin say about the truce?", False),
    ],
)
def test_pronouns_mean_the_last_person_and_the_last_thing(corpus_words, follow_up, expected, more):
    resolution = play(corpus_words, TRUCE, follow_up)[1][-1]
    assert (resolution.query, resolution.more) == (expected, more)


def test_he_means_the_person_an_answer_named_when_the_question_named_nobody(corpus_words):
    first = ("Who said any attack on Idlib would be a disaster?", {"speakers": (ERDOGAN,)})
    assert last_query(corpus_words, first, "What else did he say?") == "What else did Erdogan say?"


def test_they_means_the_people_of_the_last_turn(corpus_words):
    first = ("Which leaders met in Tehran?", {"mentioned": (PUTIN, ERDOGAN, "Hassan Rouhani")})
    assert last_query(corpus_words, first, "What did they say?") == "What did Putin, Erdogan and Rouhani say?"


def test_it_means_the_last_thing(corpus_words):
    assert last_query(corpus_words, "What is Hmeimim?", "Where is it?") == "Where is Hmeimim?"


def test_there_means_the_last_place(corpus_words):
    first = ("Where was the summit held?", {"place": "Tehran"})
    assert last_query(corpus_words, first, "Who met there?") == "Who met in Tehran?"
    assert last_query(corpus_words, first, "Who came from there?") == "Who came from Tehran?"


def test_a_new_topic_keeps_the_last_person_for_he_but_not_the_old_topic(corpus_words):
    conversation, resolutions = play(corpus_words, TRUCE, "Where is Hmeimim?", "What did he say about it?")
    assert resolutions[1] == Resolution(query="Where is Hmeimim?")
    assert resolutions[2].query == "What did Putin say about Hmeimim?"
    assert conversation.topic == "Hmeimim"


@pytest.mark.parametrize(
    "follow_up",
    [
        "Where is Hmeimim?",  # new topic, no pronoun, no ellipsis
        "What did Erdogan say about the ceasefire?",  # names its own person and topic
        "Is it true that Putin rejected a truce?",  # "it" refers to nothing
        "Is there a ceasefire in Idlib?",  # "there" is existential, not a place
        "Really?",
        "Thanks",
        "Hmeimim is a base",
        "Who won the football world cup?",
    ],
)
def test_a_question_of_its_own_stands_alone(corpus_words, follow_up):
    resolution = play(corpus_words, TRUCE, follow_up)[1][-1]
    assert resolution == Resolution(query=follow_up)


def test_a_leading_and_before_a_full_question_is_dropped_not_resolved(corpus_words):
    resolution = play(corpus_words, TRUCE, "And what is the capital of France?")[1][-1]
    assert resolution == Resolution(query="What is the capital of France?")


@pytest.mark.parametrize("question", ["What did he say?", "Where is it?", "Tell me more", "Why?", "And Erdogan?"])
def test_nothing_is_resolved_on_the_first_turn(corpus_words, question):
    assert play(corpus_words, question)[1][0] == Resolution(query=question)


def test_they_with_a_single_person_stays_unresolved(corpus_words):
    assert last_query(corpus_words, TRUCE, "What did they say?") == "What did they say?"


def test_named_people_add_up_on_one_topic_and_start_again_on_a_new_one(corpus_words):
    conversation, _ = play(corpus_words, TRUCE, "And Erdogan?")
    assert conversation.named == (PUTIN, ERDOGAN)
    conversation, _ = play(corpus_words, TRUCE, "And Erdogan?", "What did Lavrov say about the terrorists?")
    assert conversation.named == ("Sergei Lavrov",)


def test_conversation_survives_saving_as_json_and_old_saves_load(corpus_words):
    conversation, _ = play(corpus_words, TRUCE, "And Erdogan?")
    assert ChatState.from_json(ChatState(conversation).to_json()).conversation == conversation
    old = conversation_to_data(Conversation(people=[PUTIN], topic="the truce", last_query=TRUCE))
    for name in ("thing", "place", "named", "last_speakers", "group"):
        del old[name]  # a conversation saved before these fields existed
    restored = conversation_from_data(json.loads(json.dumps(old)))
    assert restored is not None
    resolution = resolve("And Erdogan?", restored, *corpus_words)
    assert resolution.query == "What did Erdogan say about the truce?"


def test_reset_forgets_everything(corpus_words):
    conversation, _ = play(corpus_words, TRUCE, "And Erdogan?")
    conversation.reset()
    assert conversation == Conversation()


# The real engine: the answers a user sees.


def talk(engine, *questions: str):
    conversation = Conversation()
    return [engine.ask(question, conversation) for question in questions]


def test_a_person_never_quoted_gets_what_the_articles_say_about_them(engine):
    [answer] = talk(engine, "what did assad say?")
    assert not answer.found  # his words were asked for; what others say of him is shown, not passed off as them
    assert answer.text.startswith("The articles quote no words of Bashar al-Assad.")
    assert "key allies of President Bashar al-Assad" in answer.text
    assert "key allies of President Bashar al-Assad" in render_answer(answer)
    assert all(part.speaker is None for part in answer.parts)  # certainly not Putin's quote
    assert "Vladimir Putin:" not in answer.text


def test_a_person_quoted_on_something_else_gets_what_they_did_say(engine):
    [answer] = talk(engine, "What did Putin say about Aleppo?")
    assert answer.text.startswith("The articles quote Vladimir Putin, but not about Aleppo.")
    assert answer.parts and all(part.speaker == PUTIN for part in answer.parts if part.quoted)


def test_what_x_said_about_y_shows_only_xs_words(engine):
    first, second = talk(engine, TRUCE, "And Erdogan?")
    assert {part.speaker for part in first.parts} == {PUTIN}
    assert second.query == "What did Erdogan say about the truce?"
    assert "Recep Tayyip Erdogan: “Yes, the third point is wonderful" in second.text
    assert {part.speaker for part in second.parts} == {ERDOGAN}


def test_who_said_names_the_speaker(engine):
    [answer] = talk(engine, "Who said we cannot carry this burden alone?")
    assert answer.text.startswith("It was Hulusi Akar.")


def test_tell_me_more_shows_new_passages_until_there_are_none(engine):
    answers = talk(engine, "What did Erdogan say about the ceasefire?", "Tell me more", "More", "More", "More")
    answered = [answer for answer in answers if answer.found]
    assert len(answered) >= 2 and answers[: len(answered)] == answered  # answers first, then nothing
    shown = [{part.passage.id for part in answer.parts} for answer in answered]
    assert all(shown) and len(set().union(*shown)) == sum(len(ids) for ids in shown)  # never the same twice
    assert all(not a.found and "nothing more" in a.text for a in answers[len(answered) :])
    assert len(answered) < len(answers)


def test_who_else_leaves_out_who_was_already_quoted(engine):
    _, answer = talk(engine, "What did Lavrov say about the terrorists?", "Who else?")
    assert answer.text.startswith("It was Walid al-Muallem")
    assert "Sergei Lavrov:" not in answer.text


def test_an_unknown_person_in_a_follow_up_is_not_mentioned(engine):
    _, answer = talk(engine, TRUCE, "And Macron?")
    assert not answer.found and "The articles don't mention Macron." in answer.text


def test_ask_json_exposes_the_standalone_query_of_each_turn(seed_index, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SUMMITBOT_CORPUS_DIR": str(CORPUS), "SUMMITBOT_INDEX_DIR": str(index_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "What did Erdogan say?", "And Putin?", "What did he say about drones?"],
        capture_output=True, text=True, env=env, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    turns = [json.loads(line) for line in result.stdout.splitlines()]
    assert [turn["query"] for turn in turns] == ["What did Erdogan say?", "What did Putin say?", "What did Putin say about drones?"]
    assert [turn["speaker"] for turn in turns] == [ERDOGAN, PUTIN, PUTIN]
    assert "armed drones" in turns[2]["answer"]


@pytest.mark.parametrize(
    "last, follow_up, expected",
    [
        ("What did Putin say about the truce in Sochi?", "And in Tehran?", "What did Putin say about the truce in Tehran?"),
        ("What did Putin say about the truce?", "And in 2017?", "What did Putin say about the truce in 2017?"),
        ("What did Erdogan say at the Sochi summit?", "What about at the Tehran summit?", "What did Erdogan say at the Tehran summit?"),
    ],
)
def test_a_setting_on_its_own_asks_the_last_question_there(last, follow_up, expected, corpus_words):
    people, vocabulary = corpus_words
    conversation = Conversation(last_query=last, people=[PUTIN], topic="the truce")
    assert resolve(follow_up, conversation, people, vocabulary).query == expected
