"""How the pipeline's tokenizer treats double quote marks that web text glues to a word or to
punctuation, and what that gives the model layer. Each text is made up, in the shape of a case
real news articles showed (none is copied from them)."""

from __future__ import annotations

import re

import pytest
import spacy
from spacy.language import Language

from summit_corpus.build.model import annotate_doc
from summit_corpus.build.tokenizer import glued_mark_infixes
from summit_corpus.core.scheme import Scheme


def _tokens(nlp: Language, text: str) -> list[str]:
    return [t.text for t in nlp.make_doc(text)]


class TestGluedMarks:
    @pytest.mark.parametrize(
        ("text", "tokens"),
        [
            pytest.param(
                "The mayor said,“Look, we will rebuild.”",
                ["The", "mayor", "said", ",", "“", "Look", ",", "we", "will", "rebuild", ".", "”"],
                id="comma-before-an-opening-curly-mark",
            ),
            pytest.param(
                'Rep. Jane Doe:"I have no idea."',
                ["Rep.", "Jane", "Doe", ":", '"', "I", "have", "no", "idea", ".", '"'],
                id="colon-before-a-straight-mark",
            ),
            pytest.param(
                "“It was a mistake,”Smith said.",
                ["“", "It", "was", "a", "mistake", ",", "”", "Smith", "said", "."],
                id="closing-mark-glued-to-the-next-word",
            ),
            pytest.param(
                "the fastest growth “in a decade”—and more",
                ["the", "fastest", "growth", "“", "in", "a", "decade", "”", "—", "and", "more"],
                id="dash-after-a-closing-mark",
            ),
            pytest.param(
                "He said,''We are ready.''",
                ["He", "said", ",", "''", "We", "are", "ready", ".", "''"],
                id="the-nyt-two-apostrophes",
            ),
        ],
    )
    def test_a_glued_mark_is_a_token_of_its_own(self, nlp: Language, text: str, tokens: list[str]):
        assert _tokens(nlp, text) == tokens

    @pytest.mark.parametrize(
        "text",
        ["Russia’s ministry", "They don't rock'n'roll", "a 3.5 mile walk", "the U.S. Senate"],
    )
    def test_text_without_double_marks_is_tokenized_as_spacy_does(self, nlp: Language, text: str):
        assert _tokens(nlp, text) == [t.text for t in spacy.blank("en").make_doc(text)]

    def test_the_patterns_come_from_the_schemes_marks(self, scheme: Scheme):
        patterns = glued_mark_infixes(scheme.rules.quote.marks)
        assert re.search(patterns[0], "x“y") and re.search(patterns[0], "x''y")
        assert not re.search(patterns[0], "Russia’s")


class TestQuotesAtGluedMarks:
    def test_the_quotation_starts_at_its_first_word(self, nlp: Language, scheme: Scheme):
        """The QUOTE keeps the word glued to its opening mark, and the speech verb before the
        mark is a word the parser sees, so the quote has its speaker."""
        text = "Mayor Jane Smith said,“Look, we will rebuild the bridge by spring.”"
        pre = annotate_doc("doc", text, nlp(text), scheme)
        spans = {s["span_id"]: s for s in pre.spans}
        quotes = [s["text"] for s in pre.spans if s["label"] == "QUOTE"]
        assert quotes == ["Look, we will rebuild the bridge by spring."]
        speakers = [spans[r["tail_span_id"]]["text"] for r in pre.relations]
        assert speakers == ["Jane Smith"]
