"""Who said what, read from the articles themselves: people, descriptions, pronouns and quotes.

No model is needed here: attribution is rules over the text, so these tests are fast.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CORPUS
from index.articles import load_article
from index.passages import split_passages
from index.language.attribution import attribute_speakers
from index.language.directory import PeopleDirectory
from index.language.names import same_nation
from index.language.person import Person

DATA = Path(__file__).parent / "data"
PUTIN, ERDOGAN, ASSAD = "Vladimir Putin", "Recep Tayyip Erdogan", "Bashar al-Assad"
HALVORSEN, MAGNUSSON, VAN_DER_BERG = "Ingrid Halvorsen", "Gunnar Magnusson", "Pieter van der Berg"
NOVAK, KOWALSKA = "Jan Novak", "Eva Kowalska"
INTRODUCTION = "Polish Foreign Minister Jan Novak and his Czech counterpart Eva Kowalska met in Prague on Monday."


def quote_speakers(path: Path) -> list[tuple[int, str, str | None]]:
    """(paragraph, first words, speaker) of every quote in an article file."""
    passages, _ = split_passages(load_article(path))
    return [(p.paragraph, " ".join(q.text.split()[:3]), q.speaker) for p in passages for q in p.quotes]


def speakers(*paragraphs: str) -> list[list[str | None]]:
    """The speaker of each quote, paragraph by paragraph."""
    _, speech = attribute_speakers(list(paragraphs))
    return [[quote.speaker for quote in said.quotes] for said in speech]


def test_every_quote_of_the_seed_article_has_its_speaker():
    assert quote_speakers(CORPUS / "tehran-summit.md") == [
        (6, "In the third", PUTIN),
        (8, "Yes, the third", ERDOGAN),
        (9, "The fact is", PUTIN),
        (11, "I believe the", PUTIN),
        (12, "If we can", ERDOGAN),
        (13, "Any attack launched", ERDOGAN),  # no cue at all: continues Erdogan's turn
        (15, "We can try", ERDOGAN),  # ", he suggested"
    ]


def test_every_quote_of_the_follow_up_article_has_its_speaker():
    mistura, muallem, akar = "Staffan de Mistura", "Walid al-Muallem", "Hulusi Akar"
    assert quote_speakers(CORPUS / "un-envoy-idlib-warning.md") == [
        (3, "We are facing", mistura),
        (3, "There are 2.9", mistura),
        (6, "We will go", muallem),  # "the Syrian minister said"
        (6, "Our priority is", muallem),
        (7, "We distinguish between", "Sergei Lavrov"),  # "the Russian minister told journalists"
        (8, "with the minimum", "Mohammad Javad Zarif"),
        (9, "Civilians must be", "Mohammad Javad Zarif"),  # "The Iranian official …" then "he said"
        (10, "A humanitarian disaster", akar),  # "said Turkish Defence Minister Hulusi Akar"
        (11, "We cannot carry", akar),
    ]


def test_every_quote_of_an_article_with_other_people_has_its_speaker():
    assert quote_speakers(DATA / "mackerel-talks.md") == [
        (3, "We came here", HALVORSEN),
        (4, "The mackerel have", MAGNUSSON),  # "Magnusson rejected that view. … he said"
        (6, "We will not", MAGNUSSON),  # "the Icelandic minister added:"
        (7, "both sides moved", VAN_DER_BERG),  # "According to van der Berg,"
        (8, "There is still", VAN_DER_BERG),  # "he said" right after van der Berg spoke
        (8, "But I believe", VAN_DER_BERG),
        (10, "We cannot wait", HALVORSEN),  # a quote paragraph continuing "she said"
        (12, "Every week of", "Knut Solberg"),
        (14, "The door remains", "Marta Lindqvist"),  # "The Commission's spokeswoman, Marta Lindqvist, said"
    ]


def test_reported_speech_gives_the_paragraph_its_speaker():
    passages, _ = split_passages(load_article(DATA / "mackerel-talks.md"))
    by_paragraph = {p.paragraph: p.speaker for p in passages}
    assert by_paragraph[9] == HALVORSEN  # "Asked whether Magnusson's offer was serious, she said …"
    assert by_paragraph[11] == HALVORSEN  # "The Norwegian minister also warned …"
    assert by_paragraph[13] is None  # Olsen "did not attend": no speech at all


def test_people_and_their_roles_come_from_introductions_and_appositions():
    _, people = split_passages(load_article(DATA / "mackerel-talks.md"))
    found = {p.name: (p.nationality, p.role) for p in people}
    assert found[HALVORSEN] == ("Norwegian", "Fisheries Minister")
    assert found[MAGNUSSON] == ("Icelandic", "Fisheries Minister")  # "her Icelandic counterpart"
    assert found[VAN_DER_BERG][0] == "Dutch" and "official" in found[VAN_DER_BERG][1]
    assert found["Jens Olsen"] == ("Faroese", "Prime Minister")
    assert found["Marta Lindqvist"][1] == "spokeswoman"
    assert "Knut Solberg" in found  # named only as the subject of "said"
    assert not {"Bergen", "Iceland", "Norway", "Commission", "European Commission"} & set(found)


def test_descriptions_are_linked_to_one_person_each_by_reading_the_seed():
    _, people = split_passages(load_article(CORPUS / "tehran-summit.md"))
    directory = PeopleDirectory(people)
    assert directory.find("the Turkish leader").name == ERDOGAN
    assert directory.find("the Turkish president").name == ERDOGAN  # counterpart of a president
    assert directory.find("the Russian president").name == PUTIN
    assert directory.find("the Syrian leader").name == ASSAD  # the one leader no nationality rules out
    assert directory.find("Assad").name == ASSAD and directory.find("al-Assad").name == ASSAD


def test_descriptions_in_questions_may_be_lower_case_or_possessive():
    directory = PeopleDirectory(split_passages(load_article(CORPUS / "un-envoy-idlib-warning.md"))[1])
    assert directory.names_in("what did the syrian foreign minister say?") == ["Walid al-Muallem"]
    assert directory.names_in("What did Iran's top diplomat say?") == ["Mohammad Javad Zarif"]
    assert directory.names_in("and the UN envoy?") == ["Staffan de Mistura"]
    assert directory.names_in("What did de Mistura say?") == ["Staffan de Mistura"]


def test_a_description_that_fits_several_people_names_nobody():
    directory = PeopleDirectory(
        [Person("Anna Berg", "Swedish", "President"), Person("Olaf Lund", "Danish", "President")]
    )
    assert directory.find("the president") is None
    assert directory.find("the Danish president").name == "Olaf Lund"
    assert directory.find("the Finnish president") is None


@pytest.mark.parametrize(
    "paragraph, expected",
    [
        ("“We will respond to every provocation,” said Novak, who arrived late.", [NOVAK]),
        ("“We will respond to every provocation,” Novak said.", [NOVAK]),
        ("Novak retorted: “We will respond to every provocation.”", [NOVAK]),
        ("To which Kowalska replied: “Nobody has provoked anyone here.”", [KOWALSKA]),
        ("According to Kowalska, “nothing has been decided on the pipeline”.", [KOWALSKA]),
        ("“Nothing has been decided on it,” the Czech minister told the BBC.", [KOWALSKA]),
        ("“First part of the answer,” he said, “and the second part comes now.”", [NOVAK, NOVAK]),
        ("“A is true here and now,” Novak said. “B is quite false there,” Kowalska replied.", [NOVAK, KOWALSKA]),
    ],
)
def test_explicit_cues_before_or_after_a_quote(paragraph, expected):
    assert speakers(INTRODUCTION, paragraph)[1] == expected


def test_an_inverted_cue_may_introduce_the_speaker():
    paragraph = "“A disaster must be prevented at any cost,” said Turkish Defence Minister Hulusi Akar on Sunday."
    assert speakers(paragraph) == [["Hulusi Akar"]]


def test_a_pronoun_means_the_subject_of_the_last_sentence_naming_someone():
    paragraph = "Kowalska, however, disagreed. “This is not the way forward at all,” he said."
    assert speakers(INTRODUCTION, "“We will respond to every provocation,” Novak said.", paragraph)[2] == [KOWALSKA]


def test_a_possessive_is_not_the_subject_a_pronoun_refers_to():
    paragraph = "Asked whether Kowalska’s offer was serious, he said: “It is not a serious offer at all.”"
    assert speakers(INTRODUCTION, "Novak was less hopeful.", paragraph)[2] == [NOVAK]


def test_he_and_she_skip_a_person_of_the_other_gender():
    # "her Icelandic counterpart" makes Halvorsen a woman, so "he" is Magnusson even though she spoke last.
    introduction = "Norwegian Minister Ingrid Halvorsen and her Icelandic counterpart Gunnar Magnusson met."
    spoke = "“We came here to find a fair split,” Halvorsen told reporters."
    assert speakers(introduction, spoke, "“Our quota must follow the fish,” he said.")[2] == [MAGNUSSON]


def test_a_quote_paragraph_without_a_cue_continues_the_previous_speaker():
    assert speakers(INTRODUCTION, "Novak said: “We have no plan to share.”", "“Nobody will change my mind on this.”")[2] == [NOVAK]


def test_narration_about_someone_else_ends_the_previous_speakers_turn():
    paragraphs = (
        INTRODUCTION,
        "Novak said: “We have no plan to share.”",
        "Kowalska left the building early.",
        "“Nobody will change my mind on this.”",
    )
    assert speakers(*paragraphs)[3] == [None]


def test_an_institution_that_speaks_is_not_a_person():
    directory, speech = attribute_speakers([INTRODUCTION, "In a statement, the Kremlin said: “We are watching this with concern.”"])
    assert [p.name for p in directory.people] == [NOVAK, KOWALSKA]
    assert speech[1].quotes[0].speaker is None  # not Kowalska, who merely spoke before


def test_a_place_before_a_comma_is_not_a_person():
    directory, speech = attribute_speakers([INTRODUCTION, "In Prague, the Czech minister said: “The talks went well for both sides.”"])
    assert "Prague" not in [p.name for p in directory.people]
    assert speech[1].quotes[0].speaker == KOWALSKA


def test_a_cue_in_the_next_clause_belongs_to_someone_else():
    paragraph = "Novak later told reporters that “nothing will change before the summer”, and Kowalska agreed."
    assert speakers(INTRODUCTION, paragraph)[1] == [NOVAK]


def test_a_persons_spokesman_is_not_the_person():
    paragraph = "“There will be no comment on this today,” said Novak’s spokesman."
    assert speakers(INTRODUCTION, paragraph)[1] == [None]


def test_scare_quotes_are_not_speech():
    _, speech = attribute_speakers([INTRODUCTION, "Novak called the talks a “ceasefire” in name only."])
    assert speech[1].quotes == ()


def test_capitals_of_a_headline_are_not_names():
    directory, _ = attribute_speakers(["UN Envoy Warns Of Perfect Storm In Idlib", "The envoy spoke on Tuesday."])
    assert directory.people == []


@pytest.mark.parametrize(
    "first, second, same", [("Syria", "Syrian", True), ("Turkey", "Turkish", True), ("Syria’s", "Syrian", True), ("Iran", "Iraqi", False)]
)
def test_nationality_adjectives_match_their_country(first, second, same):
    assert same_nation(first, second) is same


def test_people_can_be_looked_up_by_country_or_nationality():
    _, people = split_passages(load_article(CORPUS / "tehran-summit.md"))
    directory = PeopleDirectory(people)
    assert directory.by_nationality("Turkey").name == ERDOGAN
    assert directory.by_nationality("Iranian").name == "Hassan Rouhani"
    assert directory.by_nationality("French") is None
