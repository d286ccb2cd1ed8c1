"""One person, one identity across articles: titles are attributes, spellings merge, namesakes stay two.

The articles in ``tests/data/identity/`` are written for these tests the way
outlets publish: an earlier summit that introduces "Russian President Vladimir
Putin" and "Turkish President Tayyip Erdogan", a wire story whose quotes are
attributed after the quote (``," said John Smith, the authority's chief
engineer.``), and a council story quoting a Jane Smith.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CORPUS, DATA, SEED
from bot.conversation import Conversation
from bot.engine import Engine
from bot.answer import passage_parts
from bot.question import QuestionAnalysis, analyse
from index.articles import load_article
from index.language.person import Person
from index.build import build_index
from index.language.attribution import attribute_speakers
from index.language.directory import merged_people
from index.lexical import tokenize
from index.passages import Passage, split_passages

IDENTITY = DATA / "identity"
SOCHI = IDENTITY / "sochi-summit-2017.md"
HARBOUR = IDENTITY / "harbour-dredging.txt"
LIBRARY = IDENTITY / "library-funding.md"


def _read(path: Path):
    passages, people = split_passages(load_article(path))
    return passages, people


def _directory(*paths: Path):
    return merged_people({path.stem: _read(path)[1] for path in paths})


def test_titles_and_nationalities_are_not_part_of_a_name():
    _, people = _read(SOCHI)
    names = {person.name for person in people}
    assert names == {"Vladimir Putin", "Hassan Rouhani", "Tayyip Erdogan"}
    rouhani = next(person for person in people if person.name == "Hassan Rouhani")
    assert (rouhani.nationality, rouhani.role) == ("Iranian", "President")


@pytest.mark.parametrize(
    "reference, name",
    [
        ("Russian President Vladimir Putin", "Vladimir Putin"),
        ("Russia's Vladimir Putin", "Vladimir Putin"),
        ("President Putin", "Vladimir Putin"),
        ("Putin", "Vladimir Putin"),
        ("the Russian leader", "Vladimir Putin"),
        ("Tayyip Erdogan", "Recep Tayyip Erdogan"),
        ("Erdoğan", "Recep Tayyip Erdogan"),
        ("Rohani", "Hassan Rouhani"),
        ("Hassan Rohani", "Hassan Rouhani"),
    ],
)
def test_one_person_across_articles_whatever_the_title_or_spelling(reference, name):
    directory = _directory(CORPUS / f"{SEED}.md", SOCHI)
    assert len([p for p in directory.people if p.surname == "Putin"]) == 1
    found = directory.find(reference)
    assert found is not None and found.name == name


def test_two_people_who_share_a_surname_stay_two():
    directory = _directory(HARBOUR, LIBRARY)
    assert {"John Smith", "Jane Smith"} <= {person.name for person in directory.people}
    assert directory.find("Jane Smith").name == "Jane Smith"
    assert directory.find("John Smith").name == "John Smith"


def test_a_bare_surname_is_the_person_of_its_own_article():
    passages, _ = _read(HARBOUR)
    sand = next(p for p in passages if "dredged sand" in p.text)
    assert sand.speaker == "John Smith"


def test_wire_attribution_after_the_quote_keeps_the_full_name():
    passages, _ = _read(HARBOUR)
    dredge = next(p for p in passages if "dredge the channel" in p.text)
    assert {quote.speaker for quote in dredge.quotes} == {"John Smith"}
    generation = next(p for p in passages if "for a generation" in p.text)
    assert [quote.speaker for quote in generation.quotes] == ["Maria Lopez"]


@pytest.fixture(scope="module")
def many_engine(tmp_path_factory, encoder) -> Engine:
    """The seed corpus plus the three articles above, indexed with the product's own encoder."""
    corpus = tmp_path_factory.mktemp("identity-corpus")
    for path in [*CORPUS.iterdir(), SOCHI, HARBOUR, LIBRARY]:
        shutil.copy(path, corpus)
    index_dir = tmp_path_factory.mktemp("identity-index")
    build_index(corpus, index_dir, encoder)
    return Engine(corpus, index_dir, encoder)


@pytest.mark.parametrize("question", ["What did Putin say about the truce?", "What did Vladimir Putin say about the truce?"])
def test_putin_on_the_truce_after_an_article_introduces_him_with_his_title(many_engine, question):
    answer = many_engine.ask(question, Conversation())
    assert answer.found
    assert "not about the truce" not in answer.text
    assert "there are no representatives of the armed opposition at our table" in answer.text
    assert all(part.speaker == "Vladimir Putin" for part in answer.parts if part.quoted)


def test_she_in_a_follow_up_is_the_woman_just_quoted(many_engine):
    conversation = Conversation()
    first = many_engine.ask("What did Jane Smith say?", conversation)
    assert first.found and "Jane Smith" in first.text
    answer = many_engine.ask("What did she say about the library?", conversation)
    assert answer.found, answer.text
    assert "don't mention" not in answer.text
    assert "Closing the library would have cut off the families" in answer.text


def _speakers(*paragraphs: str) -> list[list[str | None]]:
    _, speech = attribute_speakers(["A Headline For The Story", *paragraphs])
    return [[quote.speaker for quote in said.quotes] for said in speech[1:]]


def test_a_title_before_an_inverted_subject_is_not_the_name():
    said = _speakers('"What Putin offered was time, not a truce," said Dr. Miriam Adler, a senior fellow at a Geneva centre.')
    assert said == [["Miriam Adler"]]


def test_he_after_according_to_is_the_source_just_named():
    said = _speakers(
        "Peter Grant said the deal was a good one for the province.",
        'According to Karim Haddad, a researcher in Beirut, the factions will refuse. "They will never sign it," he said.',
    )
    assert said == [[], ["Karim Haddad"]]


def test_a_spelling_variant_typed_in_lower_case_is_the_person():
    directory = _directory(CORPUS / f"{SEED}.md", SOCHI)
    assert directory.names_in("what did ruhani say about the united states") == ["Hassan Rouhani"]
    assert directory.names_in("What did Rohani say?") == ["Hassan Rouhani"]


def test_a_pronoun_is_never_taken_for_a_name_nobody_mentions():
    passages, people = _read(LIBRARY)
    # Articles that never write "she" (they name her each time) still let a question say it.
    vocabulary = {token: 0 for passage in passages for token in tokenize(passage.text) if token != "she"}
    assert analyse("what did she say about the library", merged_people({"library": people}), vocabulary).unknown_names == ()


def _people(*paragraphs: str) -> dict[str, str]:
    directory, _ = attribute_speakers(["A Headline For The Story", *paragraphs])
    return {person.name: person.nationality for person in directory.people}


def test_a_nations_possessive_introduces_the_person_after_it():
    people = _people(
        "Russia's Vladimir Putin and Turkey's Recep Tayyip Erdogan met behind closed doors in Tehran.",
        "Russian and Turkish officials said Turkey's Foreign Ministry had prepared the meeting.",
    )
    assert people == {"Vladimir Putin": "Russia", "Recep Tayyip Erdogan": "Turkey"}


def test_a_lone_surname_with_an_insert_about_him_is_the_speaker():
    _, speech = attribute_speakers(
        [
            "A Headline For The Story",
            "Erdogan, for his part, said Turkey expected its partners to take its concerns into account.",
        ]
    )
    assert speech[1].speaker == "Erdogan"


def test_the_subject_of_two_joined_verbs_is_the_speaker_of_the_second():
    _, speech = attribute_speakers(
        [
            "A Headline For The Story",
            "Defence Minister Hulusi Akar visited units in Hatay on Saturday and said the army was ready.",
        ]
    )
    assert speech[1].speaker == "Hulusi Akar"


def test_words_reported_without_quote_marks_show_the_sentence_that_reports_them():
    text = "For Turkey, the stakes are at its own border. Ankara fears a new exodus more than anything else, Adler said."
    passage = Passage(article="a", title="T", date="", paragraph=3, text=text, speaker="Miriam Adler")
    analysis = QuestionAnalysis(
        people=("Miriam Adler",), speech=True, who_said=False, unknown_names=(), speakers=("Miriam Adler",)
    )
    parts = passage_parts(passage, analysis, {"turkey"})
    assert any("new exodus" in part.text for part in parts)


def test_a_pair_of_counterparts_introduces_both_with_their_nations():
    directory, speech = attribute_speakers(
        [
            "A Headline For The Story",
            "Russian President Vladimir Putin hosted his Turkish and Iranian counterparts, Recep Tayyip Erdogan and "
            "Hassan Rouhani, in Sochi on Wednesday.",
            "“If we can stop the bloodshed even one hour earlier, it will be a great achievement,” the Iranian president said.",
            "Erdogan welcomed the plan but said some groups could not be invited.",
        ]
    )
    people = {person.name: (person.nationality, person.role) for person in directory.people}
    assert people["Recep Tayyip Erdogan"] == ("Turkish", "President")
    assert people["Hassan Rouhani"] == ("Iranian", "President")
    assert [quote.speaker for quote in speech[2].quotes] == ["Hassan Rouhani"]
    assert speech[3].speaker == "Recep Tayyip Erdogan"


def test_a_three_word_quote_with_a_speaker_is_speech_and_a_one_word_one_is_not():
    said = _speakers(
        'The Russian President Vladimir Putin called the talks "constructive and businesslike" and said they would go on.',
        'Idlib is one of the so-called "de-escalation" zones.',
    )
    assert said == [["Vladimir Putin"], []]


def test_who_is_answers_with_the_sentence_that_introduces_them(many_engine):
    answer = many_engine.ask("Who is John Smith?", Conversation())
    assert answer.found and "the authority's chief engineer" in answer.text
    assert "transport chief" not in answer.text  # Maria Lopez's introduction is not his


def test_a_bare_surname_in_an_articles_text_is_whom_that_article_means():
    directory = _directory(HARBOUR, LIBRARY)
    assert directory.names_in("Smith said it again.", "library-funding") == ["Jane Smith"]
    assert directory.names_in("Smith said it again.", "harbour-dredging") == ["John Smith"]


def test_a_headline_is_nobodys_speech(tmp_path):
    story = tmp_path / "putin-says.md"
    story.write_text(
        "---\ntitle: Putin says nobody can speak for the militants\ndate: 2018-09-07\n---\n\n"
        "Russian President Vladimir Putin said on Friday that the militants had sent nobody to the talks.\n",
        encoding="utf-8",
    )
    passages, _ = split_passages(load_article(story))
    assert passages[0].speaker is None and passages[1].speaker == "Vladimir Putin"


def test_a_person_is_named_as_most_articles_spell_them_and_found_by_every_spelling():
    directory = merged_people(
        {
            "afp": [Person("Hassan Rowhani")],
            "ap": [Person("Hassan Rouhani")],
            "reuters": [Person("Hassan Rouhani")],
        }
    )
    assert [person.name for person in directory.people] == ["Hassan Rouhani"]
    lone = merged_people({"afp": [Person("Hassan Rowhani")], "irna": [Person("Hassan Rowhani")], "ap": [Person("Hassan Rouhani")]})
    assert lone.people[0].name == "Hassan Rowhani"
    assert lone.names_in("what did ruhani say") == ["Hassan Rowhani"]  # close to "Rouhani", not to "Rowhani"


def test_a_question_in_lower_case_about_things_no_article_names_is_refused():
    passages, people = _read(CORPUS / f"{SEED}.md")
    directory = merged_people({SEED: people})
    vocabulary = {token: 0 for passage in passages for token in tokenize(passage.text)}
    assert {"galatasaray", "fenerbahce"} <= set(analyse("who won galatasaray fenerbahce", directory, vocabulary).unknown_names)
    assert analyse("what did putin say about the truce", directory, vocabulary).unknown_names == ()
    assert analyse("What happened while Russian planes bombed rebel positions?", directory, vocabulary).unknown_names == ()


def test_how_someone_described_something_asks_for_their_words():
    directory = _directory(CORPUS / f"{SEED}.md")
    assert analyse("How did Putin describe the talks?", directory, {}).speakers == ("Vladimir Putin",)
