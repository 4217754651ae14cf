"""The bigbio_kb config is checked against the documents config it is made from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq

from summit_corpus.build.corpus import write_manifest
from summit_corpus.validate import validate_corpus

REPO = Path(__file__).resolve().parents[2]


class TestBigBioRule:
    def test_the_committed_corpus_passes(self) -> None:
        """No bigbio_matches_documents failure on the committed corpus."""
        report = validate_corpus(REPO / "corpus")
        assert [f for f in report.failures if f.rule == "bigbio_matches_documents"] == []

    def test_a_moved_entity_is_named_even_with_a_rewritten_manifest(self, tmp_path: Path) -> None:
        """An entity offset changed in bigbio_kb fails the rule, naming file and example id."""
        corpus = tmp_path / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        path = corpus / "data" / "bigbio_kb" / "train-00000-of-00001.parquet"
        table = pq.read_table(path)
        rows = table.to_pylist()
        rows[0]["entities"][0]["offsets"] = [[0, 1]]
        pq.write_table(table.from_pylist(rows, schema=table.schema), path)
        write_manifest(corpus)
        failures = [
            f for f in validate_corpus(corpus).failures if f.rule == "bigbio_matches_documents"
        ]
        assert len(failures) == 1
        assert failures[0].row == {"id": rows[0]["id"]}
        assert "bigbio_kb (data/bigbio_kb/train-00000-of-00001.parquet)" in failures[0].message
        assert '"columns": ["entities"]' in failures[0].message
