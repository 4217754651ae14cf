"""Every export read back gives the same spans, labels and relations (seeds and synthetic)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from summit_corpus.core.features import to_datasets
from summit_corpus.core.scheme import load_scheme
from summit_corpus.export import bigbio, brat, conll, export_corpus, read_documents, spacy_docs
from summit_corpus.export.documents import (
    SPEAKER,
    ExportDocument,
    annotations_of,
    documents_of_row,
)


def expected(document: ExportDocument) -> object:
    return annotations_of(document.spans, document.relations, document.labels)


class TestSpacyDocBin:
    def test_docs_read_back_hold_every_span_relation_and_label(
        self, corpus: Path, tmp_path: Path
    ) -> None:
        """Entity spans, quotes, relations and document labels survive the DocBin."""
        documents = list(read_documents(corpus))
        report = export_corpus(corpus, "spacy", tmp_path)
        docs = [
            d
            for split in report.documents
            for d in spacy_docs.read_docbin(tmp_path / f"{split}.spacy")
        ]
        assert [d.user_data[spacy_docs.USER_DATA_KEY]["id"] for d in docs] == [
            d.id for d in documents
        ]
        for document, doc in zip(documents, docs, strict=True):
            assert doc.text == document.text
            assert spacy_docs.annotations_of_doc(doc) == expected(document)

    def test_ents_are_the_tagged_entities_and_sentences_start_where_the_corpus_says(
        self, corpus: Path, tmp_path: Path
    ) -> None:
        """doc.ents are the non-overlapping entity spans; doc.sents match the sentences."""
        documents = list(read_documents(corpus))
        export_corpus(corpus, "spacy", tmp_path)
        docs = [d for f in sorted(tmp_path.glob("*.spacy")) for d in spacy_docs.read_docbin(f)]
        by_id = {d.user_data[spacy_docs.USER_DATA_KEY]["id"]: d for d in docs}
        for document in documents:
            doc = by_id[document.id]
            wanted = [(s.start, s.end, s.label) for s, _, _ in document.tagged_entities()]
            assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == wanted
            starts = [document.tokens[ids[0]].start for ids in document.sentences()]
            assert [s.start_char for s in doc.sents] == starts

    def test_each_quote_carries_its_speaker(self, corpus: Path, tmp_path: Path) -> None:
        """quote._.speaker is the span the speaker relation points to."""
        documents = list(read_documents(corpus))
        export_corpus(corpus, "spacy", tmp_path)
        docs = [d for f in sorted(tmp_path.glob("*.spacy")) for d in spacy_docs.read_docbin(f)]
        by_id = {d.user_data[spacy_docs.USER_DATA_KEY]["id"]: d for d in docs}
        total = 0
        for document in documents:
            spans = {s.span_id: s for s in document.spans}
            wanted = {
                ((spans[r.head].start, spans[r.head].end), (spans[r.tail].start, spans[r.tail].end))
                for r in document.relations
                if r.label == SPEAKER
            }
            assert spacy_docs.speaker_pairs(by_id[document.id]) == wanted
            total += len(wanted)
        assert total > 0


class TestConll:
    def test_tokens_and_entities_read_back(self, corpus: Path, tmp_path: Path) -> None:
        """Each sentence's tokens and IOB2 entities come back in order, one -DOCSTART- each."""
        documents = list(read_documents(corpus))
        report = export_corpus(corpus, "conll", tmp_path)
        read = [
            d for split in report.documents for d in conll.read_conll(tmp_path / f"{split}.conll")
        ]
        assert len(read) == len(documents)
        for document, sentences in zip(documents, read, strict=True):
            ids = document.sentences()
            assert [s.tokens for s in sentences] == [
                tuple(document.tokens[i].text for i in sentence) for sentence in ids
            ]
            got = {
                (ids[k][lo], ids[k][hi - 1] + 1, label)
                for k, s in enumerate(sentences)
                for lo, hi, label in conll.entities_of_tags(s.tags)
            }
            assert got == {(lo, hi, s.label) for s, lo, hi in document.tagged_entities()}

    def test_best_layer_tags_are_the_ner_configs(self, seed_corpus: Path, tmp_path: Path) -> None:
        """The CoNLL tags of the default layer equal the published ner config's tags."""
        import datasets

        ner = datasets.load_dataset(str(seed_corpus), "ner", split="train")
        names = ner.features["ner_tags"].feature.names
        export_corpus(seed_corpus, "conll", tmp_path)
        sentences = [s for d in conll.read_conll(tmp_path / "train.conll") for s in d]
        assert [list(s.tags) for s in sentences] == [[names[t] for t in r] for r in ner["ner_tags"]]

    def test_an_inside_tag_without_a_begin_is_rejected(self) -> None:
        """Strict IOB2: I-X must follow B-X or I-X."""
        with pytest.raises(ValueError, match="not valid IOB2"):
            conll.entities_of_tags(["O", "I-PERSON"])


class TestBrat:
    def test_txt_and_ann_read_back(self, corpus: Path, tmp_path: Path) -> None:
        """Text (byte for byte), spans, relations and document labels come back."""
        scheme = load_scheme()
        documents = list(read_documents(corpus))
        export_corpus(corpus, "brat", tmp_path)
        for document in documents:
            txt, ann = brat.document_paths(tmp_path, document)
            assert txt.read_bytes() == document.text.encode("utf-8")
            back = brat.read_brat(txt, ann, scheme)
            assert back.annotations() == expected(document)

    def test_config_declares_every_label(self, seed_corpus: Path, tmp_path: Path) -> None:
        """annotation.conf lists every span label and relation type with its argument types."""
        scheme = load_scheme()
        export_corpus(seed_corpus, "brat", tmp_path)
        conf = (tmp_path / "annotation.conf").read_text()
        assert all(f"\n{label.name}\n" in conf for label in scheme.span_labels)
        assert "speaker\tArg1:QUOTE, Arg2:PERSON|ORG|GPE" in conf

    def test_a_span_across_a_line_break_is_written_as_fragments(self) -> None:
        """BRAT text-bound annotations never hold a line break: they are split at it."""
        text = "one\r\ntwo three"
        assert brat.fragments(text, 0, 9) == [(0, 3), (5, 9)]

    def test_an_offset_that_does_not_slice_its_text_is_named(self, tmp_path: Path) -> None:
        """A corrupted .ann names the file, line and rule."""
        from summit_corpus.core.errors import ExportError

        (tmp_path / "a.txt").write_text("Putin spoke.")
        (tmp_path / "a.ann").write_text("T1\tPERSON 0 4\tPutin\n")
        with pytest.raises(ExportError, match=r"a\.ann:1: rule 'brat_standoff'"):
            brat.read_brat(tmp_path / "a.txt", tmp_path / "a.ann", load_scheme())


class TestBigBio:
    def test_examples_pass_the_bigbio_checks_and_read_back(
        self, corpus: Path, tmp_path: Path
    ) -> None:
        """load_dataset reads the files with BigBio's features; ids, offsets and args hold."""
        import datasets

        documents = list(read_documents(corpus))
        report = export_corpus(corpus, "bigbio_kb", tmp_path)
        files = {split: str(tmp_path / f"{split}.parquet") for split in report.documents}
        loaded = datasets.load_dataset("parquet", data_files=files)
        examples = [row for split in report.documents for row in loaded[split]]
        assert loaded[next(iter(files))].features == to_datasets(bigbio.kb_features())
        assert bigbio.check_examples(examples) == []
        for document, example in zip(documents, examples, strict=True):
            assert example["document_id"] == document.doc_id
            without_labels = annotations_of(document.spans, document.relations, [])
            assert bigbio.annotations_of_example(example) == without_labels

    def test_the_column_wise_table_is_the_examples_of_each_document(self, corpus: Path) -> None:
        """Publishing and validating make the examples in Arrow, column by column; they are
        the examples `to_example` makes of each document's best layer, row for row."""
        for path in sorted((corpus / "data" / "documents").glob("*.parquet")):
            rows = pq.read_table(path, columns=list(bigbio.DOCUMENT_COLUMNS))
            documents = [d for row in rows.to_pylist() for d in documents_of_row(row)]
            assert bigbio.kb_table_of_rows(rows).equals(bigbio.kb_table(documents))
            assert bigbio.kb_table_of_rows(rows.slice(0, 0)).num_rows == 0

    def test_the_checks_find_a_relation_to_a_missing_entity(self, seed_corpus: Path) -> None:
        """A relation argument that is no entity id is reported."""
        example = bigbio.to_example(next(iter(read_documents(seed_corpus))))
        example["relations"][0]["arg2_id"] = "nowhere"
        assert any("'nowhere' is no entity" in p for p in bigbio.check_examples([example]))


class TestLayers:
    def test_human_layer_gives_one_document_per_annotation(self, seed_corpus: Path) -> None:
        """--layer human exports each annotator's annotation as its own document."""
        human = list(read_documents(seed_corpus, "human"))
        assert human and all("@" in d.id and d.layer == "human" for d in human)
        assert len({d.id for d in human}) == len(human)

    def test_an_explicit_layer_leaves_out_documents_without_it(
        self, synthetic_corpus: Path
    ) -> None:
        """The synthetic corpus has no human annotations: --layer adjudicated exports nothing."""
        assert list(read_documents(synthetic_corpus, "adjudicated")) == []
        assert {d.layer for d in read_documents(synthetic_corpus)} == {"prediction"}
