"""The one sentence splitter: abbreviations, initials and dates stay inside their sentence."""

from __future__ import annotations

import pytest

from index.language.sentences import SentenceIndex, sentence_spans, split_sentences


@pytest.mark.parametrize(
    "text, sentences",
    [
        (
            "Mr. Smith met Dr. Jones in the U.S. capital on Sept. 7. They talked for an hour.",
            ["Mr. Smith met Dr. Jones in the U.S. capital on Sept. 7.", "They talked for an hour."],
        ),
        (
            "“We are not going to give in,” Putin said. “This is a tragedy.” Erdogan replied: “No.”",
            ["“We are not going to give in,” Putin said.", "“This is a tragedy.”", "Erdogan replied: “No.”"],
        ),
        ("The talks ended at 5 p.m. on Friday.", ["The talks ended at 5 p.m. on Friday."]),
        ("No full stop at the end", ["No full stop at the end"]),
        ("   ", []),
    ],
)
def test_sentences_as_a_reader_counts_them(text, sentences):
    assert split_sentences(text) == sentences


def test_offsets_cut_the_sentences_out_of_the_text():
    text = "  Mr. Smith spoke first.   Then Ms. Lopez answered.  "
    assert [text[start:end] for start, end in sentence_spans(text)] == ["Mr. Smith spoke first.", "Then Ms. Lopez answered."]


def test_a_full_stop_inside_a_quote_does_not_end_the_sentence_around_it():
    text = "He said “We will stay. We will not leave” and walked out. Nobody followed."
    quote = (text.index("“"), text.index("”") + 1)
    index = SentenceIndex(text, [quote])
    assert index.same_sentence(0, text.index("walked"))
    assert not index.same_sentence(0, text.index("Nobody"))
