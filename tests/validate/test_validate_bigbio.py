"""The bigbio_kb config is checked against the documents config it is made from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from summit_corpus.build.corpus import write_manifest
from summit_corpus.validate import validate_corpus
from summit_corpus.validate.rules import bigbio as bigbio_rule

_RULE = "bigbio_matches_documents"

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

    def test_files_are_compared_a_batch_at_a_time(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A valid file passes and a changed last row is named when the two files are read
        in several batches that the published file's batches do not line up with."""
        monkeypatch.setattr(bigbio_rule, "_BATCH", 2)
        assert [f for f in validate_corpus(REPO / "corpus").failures if f.rule == _RULE] == []
        data = REPO / "corpus" / "data"
        name = "train-00000-of-00001.parquet"
        assert bigbio_rule._matches(data / "documents" / name, data / "bigbio_kb" / name)

        def moved(rows: list[dict]) -> list[dict]:
            rows[-1]["entities"][-1]["offsets"] = [[0, 1]]
            return rows

        rows, failures = self._rewrite(tmp_path, moved)
        assert len(rows) > 2
        assert [f.row for f in failures] == [{"id": rows[-1]["id"]}]

    @staticmethod
    def _rewrite(tmp_path: Path, change) -> tuple[list[dict], list]:
        corpus = tmp_path / "corpus"
        shutil.copytree(REPO / "corpus", corpus)
        path = corpus / "data" / "bigbio_kb" / "train-00000-of-00001.parquet"
        table = pq.read_table(path)
        rows = table.to_pylist()
        pq.write_table(table.from_pylist(change(list(rows)), schema=table.schema), path)
        write_manifest(corpus)
        failures = [f for f in validate_corpus(corpus).failures if f.rule == _RULE]
        return rows, failures

    def test_rows_out_of_order_are_compared_by_id(self, tmp_path: Path) -> None:
        """The check streams both files side by side; rows in another order than the
        documents' are still each compared with their own example (none differs)."""
        rows, failures = self._rewrite(tmp_path, lambda rows: rows[::-1])
        assert len(rows) > 1
        assert failures == []

    def test_a_missing_row_is_named(self, tmp_path: Path) -> None:
        """A document's example left out of bigbio_kb is reported as missing, by id."""
        rows, failures = self._rewrite(tmp_path, lambda rows: rows[1:])
        assert [(f.row, f.value) for f in failures] == [({"id": rows[0]["id"]}, "missing")]

    def test_an_extra_row_is_named(self, tmp_path: Path) -> None:
        """A row no document makes is reported with its index in the file."""

        def extra(rows: list[dict]) -> list[dict]:
            return [*rows[:1], {**rows[0], "id": "no-such-document"}, *rows[1:]]

        _, failures = self._rewrite(tmp_path, extra)
        assert [(f.row, f.index) for f in failures] == [({"id": "no-such-document"}, 1)]
