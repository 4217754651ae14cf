"""Segment: sentences and tokens carry exact offsets into the document text."""

from __future__ import annotations

import pytest

from summit_corpus.build import segment
from summit_corpus.core import tables


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


def _reference(doc_id: str, doc) -> tuple[list[dict], list[dict]]:  # type: ignore[no-untyped-def,type-arg]
    """The plain per-token segmentation the columnar code must reproduce row for row."""
    text = doc.text
    kept = [t for t in doc if not t.is_space]
    token_id = {t.i: n for n, t in enumerate(kept)}
    sentences: list[dict] = []  # type: ignore[type-arg]
    sentence_of: dict[int, int] = {}
    for sent in doc.sents:
        words = [t for t in sent if not t.is_space]
        if not words:
            continue
        start, end = words[0].idx, words[-1].idx + len(words[-1].text)
        number = len(sentences)
        sentences.append(
            {"doc_id": doc_id, "sentence_id": number, "start": start, "end": end,
             "text": text[start:end]}
        )  # fmt: skip
        sentence_of.update({t.i: number for t in words})
    tokens = []
    for n, t in enumerate(kept):
        end = t.idx + len(t.text)
        following = kept[n + 1].idx if n + 1 < len(kept) else len(text)
        tokens.append(
            {"doc_id": doc_id, "token_id": n, "sentence_id": sentence_of[t.i], "start": t.idx,
             "end": end, "text": t.text, "lemma": t.lemma_, "pos": t.pos_, "tag": t.tag_,
             "dep": t.dep_, "head_token_id": token_id.get(t.head.i, n),
             "whitespace": text[end:following]}
        )  # fmt: skip
    return sentences, tokens


CRAFTED = [
    "Putin met Biden. They talked.",  # plain sentences
    "Line one.\r\nLine two has  two spaces.\r\n\r\nA new paragraph.",  # CRLF and runs
    "Emoji \U0001f600\U0001f600 count as one character each. \u201cQuoted,\u201d he said.",
    "  Leading and trailing whitespace.  \n",  # whitespace at the edges
    "Heading\n\n\n   \n\nBody text after blank lines.\n\n",  # space-only lines
    "Tab\tseparated\t\twords.\u00a0Non-breaking space.",  # other whitespace
]


class TestColumns:
    @pytest.mark.parametrize("text", CRAFTED)
    def test_rows_equal_the_per_token_reference(self, nlp, text: str) -> None:  # type: ignore[no-untyped-def]
        """The columnar segmentation gives exactly the rows of a plain loop over tokens."""
        doc = nlp(text)
        sentences, tokens = segment.tables_of(["d"], [segment.arrays(text, doc)], doc.vocab.strings)
        assert (sentences.to_pylist(), tokens.to_pylist()) == _reference("d", doc)

    def test_a_batch_equals_its_documents_one_by_one(self, nlp) -> None:  # type: ignore[no-untyped-def]
        """Strings looked up once per batch still land on each document's own rows."""
        docs = [nlp(text) for text in CRAFTED]
        ids = [f"d{n}" for n in range(len(docs))]
        parts = [segment.arrays(doc.text, doc) for doc in docs]
        sentences, tokens = segment.tables_of(ids, parts, nlp.vocab.strings)
        expected = [_reference(i, doc) for i, doc in zip(ids, docs, strict=True)]
        assert sentences.to_pylist() == [row for s, _ in expected for row in s]
        assert tokens.to_pylist() == [row for _, t in expected for row in t]

    def test_tables_have_the_contract_schemas(self, nlp) -> None:  # type: ignore[no-untyped-def]
        """The columns are built with the schemas tables.py defines, even for no documents."""
        doc = nlp(CRAFTED[1])
        for parts in ([segment.arrays(doc.text, doc)], []):
            sentences, tokens = segment.tables_of(["d"][: len(parts)], parts, nlp.vocab.strings)
            assert sentences.schema == tables.SENTENCES.schema
            assert tokens.schema == tables.TOKENS.schema

    def test_sentence_boundaries_match_doc_sents(self, nlp) -> None:  # type: ignore[no-untyped-def]
        """Sentence starts read from SENT_START are those of doc.sents."""
        for text in CRAFTED:
            doc = nlp(text)
            starts = segment.sentence_boundaries(doc).nonzero()[0].tolist()
            assert starts == [sent.start for sent in doc.sents]

    def test_unparsed_doc_is_refused_as_doc_sents_refuses_it(self, nlp) -> None:  # type: ignore[no-untyped-def]
        """A Doc without sentence boundaries raises spaCy's own error, not a wrong answer."""
        doc = nlp.make_doc("Two sentences here. Or not.")
        with pytest.raises(ValueError, match="E030"):
            segment.arrays(doc.text, doc)
