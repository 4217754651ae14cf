"""Pipeline: one batch of raw articles in, every per-article table out, built column-wise."""

from __future__ import annotations

from pathlib import Path

import pytest

from summit_corpus.build import ingest, pipeline, segment
from summit_corpus.core import tables

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.fixture(scope="module")
def batch() -> tuple[list[ingest.RawArticle], dict]:  # type: ignore[type-arg]
    # Two seeds in reverse doc_id order, with a rejected file between them.
    good = sorted(ingest.discover(SEEDS), key=lambda r: r.doc_id)[:2][::-1]
    bad = ingest.RawArticle(path=Path("bad.txt"), source_file="bad.txt", data=BINARY)
    raws = [good[0], bad, good[1]]
    return raws, pipeline.process_batch(pipeline.raw_table(raws))


class TestProcessBatch:
    def test_every_table_has_its_schema_and_sort_order(self, batch) -> None:  # type: ignore[no-untyped-def]
        """Each per-article table comes back with its definition's schema, rows sorted."""
        _, out = batch
        assert list(out) == [t.name for t in pipeline.PER_ARTICLE_TABLES] + ["errors"]
        for t in pipeline.PER_ARTICLE_TABLES:
            assert out[t.name].schema == t.schema, t.name
            assert out[t.name].equals(t.sorted(out[t.name])), t.name

    def test_rejected_file_is_one_error_row(self, batch) -> None:  # type: ignore[no-untyped-def]
        """The binary file is reported by name; the two articles have rows."""
        raws, out = batch
        assert out["errors"].column("source_file").to_pylist() == ["bad.txt"]
        ids = sorted(r.doc_id for r in raws if r.source_file != "bad.txt")
        assert out["documents"].column("doc_id").to_pylist() == ids
        assert out["fingerprints"].column("doc_id").to_pylist() == ids

    def test_tokens_and_sentences_equal_each_article_alone(self, batch) -> None:  # type: ignore[no-untyped-def]
        """Batch-built token and sentence rows are those of segmenting each article alone."""
        raws, out = batch
        nlp = pipeline.load_nlp()
        sentences, tokens = [], []
        for raw in sorted((r for r in raws if r.source_file != "bad.txt"), key=lambda r: r.doc_id):
            document = ingest.clean(raw)
            seg = segment.split(document.doc_id, nlp(document.text))
            sentences += seg.sentences
            tokens += seg.tokens
        assert out[tables.SENTENCES.name].to_pylist() == sentences
        assert out[tables.TOKENS.name].to_pylist() == tokens

    def test_fingerprints_are_the_fingerprinters(self, batch) -> None:  # type: ignore[no-untyped-def]
        """The list columns built from one buffer hold each article's own hashes."""
        raws, out = batch
        fingerprint = pipeline._fingerprinter()
        rows = out[tables.FINGERPRINTS.name].to_pylist()
        texts = {ingest.clean(r).doc_id: ingest.clean(r).text for r in raws if r.data != BINARY}
        for row in rows:
            hashes, bands = fingerprint(texts[row["doc_id"]])
            assert row["shingle_hashes"] == hashes.tolist()
            assert row["band_values"] == bands.tolist()

    def test_empty_batch_gives_empty_tables(self) -> None:
        """No articles: every table is empty, with its schema."""
        out = pipeline.process_batch(pipeline.raw_table([]))
        for t in pipeline.PER_ARTICLE_TABLES:
            assert out[t.name].num_rows == 0 and out[t.name].schema == t.schema
