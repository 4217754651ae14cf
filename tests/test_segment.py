"""Segment: sentences and tokens carry exact offsets into the document text."""

from __future__ import annotations

import pytest

from summit_corpus import pipeline, segment


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return pipeline.load_nlp()


class TestSplit:
    @pytest.mark.parametrize(
        "text",
        [
            "Putin met Biden. They talked.",  # plain sentences
            "Line one.\r\nLine two has  two spaces.\r\n\r\nA new paragraph.",  # CRLF and runs
            "Emoji \U0001f600 count as one character. \u201cQuoted,\u201d he said.",  # astral
            "  Leading and trailing whitespace.  \n",  # whitespace at the edges
        ],
    )
    def test_offsets_slice_to_surface_strings(self, nlp, text: str) -> None:  # type: ignore[no-untyped-def]
        """text[start:end] equals every sentence's and token's text."""
        seg = segment.split("d", nlp(text))
        for row in seg.sentences + seg.tokens:
            assert text[row["start"] : row["end"]] == row["text"]

    def test_tokens_and_whitespace_rebuild_the_text(self, nlp) -> None:  # type: ignore[no-untyped-def]
        """Joining token + whitespace gives the text back from the first token on."""
        text = "One.\n\nTwo  words\there.\r\nEnd."
        seg = segment.split("d", nlp(text))
        rebuilt = "".join(t["text"] + t["whitespace"] for t in seg.tokens)
        assert rebuilt == text[seg.tokens[0]["start"] :]

    def test_no_whitespace_only_tokens_or_sentences(self, nlp) -> None:  # type: ignore[no-untyped-def]
        """Line breaks are whitespace after a token, not tokens; sentences are trimmed."""
        seg = segment.split("d", nlp("First.\n\n\nSecond.\n"))
        assert all(t["text"].strip() for t in seg.tokens)
        assert [s["text"] for s in seg.sentences] == ["First.", "Second."]

    def test_every_token_lies_inside_its_sentence(self, nlp) -> None:  # type: ignore[no-untyped-def]
        """A token's offsets lie within the sentence its sentence_id names."""
        seg = segment.split("d", nlp("Peskov spoke. Biden listened. Putin agreed to talks."))
        by_id = {s["sentence_id"]: s for s in seg.sentences}
        for t in seg.tokens:
            sent = by_id[t["sentence_id"]]
            assert sent["start"] <= t["start"] and t["end"] <= sent["end"]

    def test_attributes_a_spacy_user_expects(self, nlp) -> None:  # type: ignore[no-untyped-def]
        """Lemma, POS, tag and dependency head come from the pipeline."""
        seg = segment.split("d", nlp("The leaders were meeting."))
        meeting = next(t for t in seg.tokens if t["text"] == "meeting")
        assert (meeting["lemma"], meeting["pos"], meeting["tag"]) == ("meet", "VERB", "VBG")
        assert seg.tokens[meeting["head_token_id"]]["token_id"] == meeting["head_token_id"]
