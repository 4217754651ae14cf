"""Predictions are trimmed of blanks and snapped to tokens, or dropped with a reason."""

from __future__ import annotations

import pytest
from spacy.language import Language

from summit_corpus.build.model import annotate_doc
from summit_corpus.build.model.sanitize import (
    EMPTY_AFTER_TRIM,
    ENDPOINT_DROPPED,
    NO_WHOLE_TOKEN,
    clean_relations,
    clean_spans,
    is_blank,
)
from summit_corpus.build.model.spans import ModelSpan
from summit_corpus.core import tables as T
from summit_corpus.core.scheme import load_scheme


def _span(text: str, start: int, end: int, label: str = "ORG") -> ModelSpan:
    return ModelSpan(start, end, label, "test", 0, 0)


class TestIsBlank:
    @pytest.mark.parametrize("char", [" ", "\n", "\xa0", "\u2009", "\u200b", "\u00ad", "\ufeff"])
    def test_whitespace_and_format_characters_are_blank(self, char: str) -> None:
        """Unicode whitespace and format characters (Cf) are blank."""
        assert is_blank(char)

    @pytest.mark.parametrize("char", ["a", "―", "-", "“", "."])
    def test_letters_dashes_and_marks_are_not(self, char: str) -> None:
        """Letters, dashes, quote marks and punctuation are not blank."""
        assert not is_blank(char)


class TestCleanSpans:
    def test_leading_non_breaking_space_is_trimmed(self, nlp: Language) -> None:
        """An ORG '\\xa0Daily News' becomes 'Daily News' on token boundaries."""
        text = "Read the \xa0Daily News today."
        doc = nlp(text)
        start = text.index("\xa0")
        kept, dropped, _ = clean_spans(text, doc, [_span(text, start, start + 11)])
        assert [text[s.start : s.end] for s in kept] == ["Daily News"]
        assert dropped == []
        token_starts = {t.idx for t in doc if not t.is_space}
        token_ends = {t.idx + len(t) for t in doc if not t.is_space}
        assert kept[0].start in token_starts and kept[0].end in token_ends
        assert [t.i for t in doc[kept[0].first : kept[0].last]] == list(
            range(kept[0].first, kept[0].last)
        )

    def test_blank_only_span_is_dropped_with_its_reason(self, nlp: Language) -> None:
        """A span of nothing but a thin space and a soft hyphen is dropped, not kept."""
        text = "One \u2009\u00ad two."
        doc = nlp(text)
        kept, dropped, _ = clean_spans(text, doc, [_span(text, 4, 6)])
        assert kept == []
        assert [(d.start, d.end, d.reason) for d in dropped] == [(4, 6, EMPTY_AFTER_TRIM)]

    def test_span_inside_one_token_is_dropped(self, nlp: Language) -> None:
        """A span that holds no whole token (a piece of a word) is dropped."""
        text = "Unbelievable news."
        doc = nlp(text)
        kept, dropped, _ = clean_spans(text, doc, [_span(text, 2, 6)])
        assert kept == [] and [d.reason for d in dropped] == [NO_WHOLE_TOKEN]

    def test_relation_to_a_dropped_span_is_dropped(self, nlp: Language) -> None:
        """A relation whose tail was dropped is dropped too, with its own reason."""
        text = "Unbelievable news, said Ann."
        doc = nlp(text)
        quote, bad = _span(text, 0, 17, "QUOTE"), _span(text, 2, 6, "PERSON")
        _, _, kept_of = clean_spans(text, doc, [quote, bad])
        kept, dropped = clean_relations([("speaker", quote, bad, "test")], kept_of)
        assert kept == [] and [d.reason for d in dropped] == [ENDPOINT_DROPPED]


class TestAnnotateDocIsValid:
    def test_web_text_gives_valid_spans_only(self, nlp: Language) -> None:
        """Spans over text full of odd blanks never start or end on one, nor split a token."""
        text = (
            "The\xa0Daily News reported that \u200bDonald Trump\u200b met Angela\u00adMerkel in "
            "Berlin\u2009on Monday. ―\xa0“We had a\u00a0good meeting,\u200b” he said.\n"
            "Pope\ufeff Francis said ‘no\xa0comment’."
        )
        doc = nlp(text)
        pre = annotate_doc("d1", text, doc, load_scheme())
        starts = {t.idx for t in doc if not t.is_space}
        ends = {t.idx + len(t) for t in doc if not t.is_space}
        assert pre.spans
        for span in pre.spans:
            assert not is_blank(span["text"][0]) and not is_blank(span["text"][-1]), span
            assert span["start"] in starts and span["end"] in ends, span
        T.DROPPED_PREDICTIONS.from_rows(list(pre.dropped))  # rows of the declared table
