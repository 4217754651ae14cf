"""validate_corpus in chunks of whole documents finds what a run over the whole tables finds."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from summit_corpus.core import io, layout
from summit_corpus.core import tables as T
from summit_corpus.validate import ValidationReport, validate_corpus, validate_tables
from summit_corpus.validate import corpus as V

Rows = list[dict[str, Any]]
Corruption = Callable[[Path], None]


def rewrite(root: Path, config: str, split: str, change: Callable[[Rows], Rows | None]) -> None:
    """Change the rows of one data file in place (`change` edits them or returns new ones)."""
    path = layout.split_file(root, config, split)
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows = change(rows) or rows
    nullable = pa.schema([f.with_nullable(True) for f in table.schema])
    io.write_parquet(path, pa.Table.from_pylist(rows, schema=nullable))


def corrupted(built: Path, tmp_path: Path, corrupt: Corruption) -> Path:
    """RETURNS (Path): A copy of the corpus with `corrupt` applied and its manifest rewritten."""
    root = tmp_path / "corpus"
    shutil.copytree(built, root)
    corrupt(root)
    files = [p for p in root.rglob("*") if p.is_file() and p.name != layout.MANIFEST]
    io.write_json(root / layout.MANIFEST, io.file_manifest(root, files))
    return root


def whole_table_report(root: Path) -> ValidationReport:
    """The reference: every config read whole (all splits) and validated in one run."""
    tables: dict[str, pa.Table] = {}
    splits: dict[str, pa.Array] = {}
    files: dict[str, list[str]] = {}
    nested: dict[str, pa.Table] = {}
    for definition in (*T.ALL_TABLES, T.NER):
        paths = sorted(layout.config_dir(root, definition.name).glob("*.parquet"))
        if not paths:
            continue
        parts = [pq.read_table(p) for p in paths]
        table = pa.concat_tables(parts, promote_options="permissive")
        rels = [
            p.relative_to(root).as_posix()
            for p, t in zip(paths, parts, strict=True)
            for _ in range(len(t))
        ]
        split_of = pa.array([layout.split_of_file(Path(r)) for r in rels], pa.string())
        name = definition.name
        if name == "documents":
            assigned = [c for c in table.column_names if c in T.SPLIT_ASSIGNMENT.names]
            tables["split_assignment"] = table.select(assigned)
            splits["split_assignment"], files["split_assignment"] = split_of, rels
            nested = V.nested_tables(table)
            table = table.select([c for c in table.column_names if c in definition.names])
        tables[name], splits[name], files[name] = table, split_of, rels
    return validate_tables(tables, splits, files=files, nested=nested)


def doc_ids(root: Path, split: str) -> list[str]:
    path = layout.split_file(root, "documents", split)
    return [str(d) for d in pq.read_table(path, columns=["doc_id"]).column("doc_id").to_pylist()]


def failures_of(report: ValidationReport) -> list[dict[str, Any]]:
    # The manifest and the bigbio_kb files are checked as files of the folder, which the
    # whole-table reference (validate_tables) does not see.
    return [f.to_json() for f in report.failures if f.table not in ("manifest", "bigbio_kb")]


def _append_unknown_token(rows: Rows) -> None:
    extra = copy.deepcopy(rows[-1])
    extra["doc_id"] = "zzz_not_a_document"
    rows.append(extra)


def _repeat_first_token_at_end(rows: Rows) -> None:
    rows.append(copy.deepcopy(rows[0]))


def _swap_first_documents(rows: Rows) -> Rows:
    return [rows[1], rows[0], *rows[2:]]


def _swap_at_second_document(rows: Rows) -> None:
    first = next(i for i, r in enumerate(rows) if r["doc_id"] != rows[0]["doc_id"])
    rows[first - 1], rows[first] = rows[first], rows[first - 1]


def _repeat_first_document(rows: Rows) -> None:
    rows.insert(1, copy.deepcopy(rows[0]))


def _move_group(root: Path) -> None:
    other = pq.read_table(layout.split_file(root, "documents", "validation"))
    group = other.column("group_id")[0].as_py()
    rewrite(root, "documents", "train", lambda rows: rows[0].update(group_id=group))


def _copy_document_to_validation(root: Path) -> None:
    train = pq.read_table(layout.split_file(root, "documents", "train")).to_pylist()
    rewrite(
        root,
        "documents",
        "validation",
        lambda rows: sorted([*rows, train[0]], key=lambda r: r["doc_id"]),
    )


# Each case: a corruption that spans chunks when a chunk holds one or two documents.
CASES: dict[str, Corruption] = {
    # the first document's row repeated right after it: the copy opens the next chunk
    "duplicate_document_across_boundary": lambda root: rewrite(
        root, "documents", "train", _repeat_first_document
    ),
    # a token of the first document repeated at the end of the file, chunks later
    "duplicate_token_across_chunks": lambda root: rewrite(
        root, "tokens", "train", _repeat_first_token_at_end
    ),
    # the first two documents swapped: each chunk is sorted, the boundary is not
    "documents_out_of_order_across_boundary": lambda root: rewrite(
        root, "documents", "train", _swap_first_documents
    ),
    # the last sentence of one document and the first of the next swapped
    "sentences_out_of_order_across_boundary": lambda root: rewrite(
        root, "sentences", "train", _swap_at_second_document
    ),
    # a train document joins the validation group
    "group_over_two_splits": _move_group,
    # a token of no document after the last document of the file
    "unknown_document_at_end": lambda root: rewrite(root, "tokens", "train", _append_unknown_token),
    # a train document also filed under validation
    "document_in_two_splits": _copy_document_to_validation,
}


class TestChunkedValidation:
    @pytest.mark.parametrize("docs_per_chunk", [1, 2])
    def test_valid_corpus_passes_in_small_chunks(
        self, built_corpus: Path, docs_per_chunk: int
    ) -> None:
        """The built corpus passes one or two documents at a time, counting every row."""
        report = validate_corpus(built_corpus, docs_per_chunk=docs_per_chunk)
        assert report.ok, report.lines()
        assert report.rows == whole_table_report(built_corpus).rows

    @pytest.mark.parametrize("docs_per_chunk", [1, 2])
    @pytest.mark.parametrize("name", sorted(CASES))
    def test_same_failures_as_whole_tables(
        self, built_corpus: Path, tmp_path: Path, name: str, docs_per_chunk: int
    ) -> None:
        """Each cross-chunk corruption gives exactly the whole-table run's failures."""
        root = corrupted(built_corpus, tmp_path, CASES[name])
        expected = failures_of(whole_table_report(root))
        assert expected
        got = failures_of(validate_corpus(root, docs_per_chunk=docs_per_chunk))
        assert got == expected

    def test_duplicate_document_across_boundary(self, built_corpus: Path, tmp_path: Path) -> None:
        """A document row repeated into the next chunk fails 'unique_key' on both rows."""
        root = corrupted(built_corpus, tmp_path, CASES["duplicate_document_across_boundary"])
        first = doc_ids(root, "train")[0]
        report = validate_corpus(root, docs_per_chunk=1)
        found = [
            (f.index, f.row)
            for f in report.failures
            if (f.table, f.rule) == ("documents", "unique_key")
        ]
        assert found == [(0, {"doc_id": first}), (1, {"doc_id": first})]

    def test_rows_out_of_order_across_boundary(self, built_corpus: Path, tmp_path: Path) -> None:
        """Two documents swapped fail 'rows_sorted' on the first row of the second chunk."""
        root = corrupted(built_corpus, tmp_path, CASES["documents_out_of_order_across_boundary"])
        second, first = doc_ids(root, "train")[:2]
        report = validate_corpus(root, docs_per_chunk=1)
        [failure] = [
            f for f in report.failures if (f.table, f.rule) == ("documents", "rows_sorted")
        ]
        assert (failure.file, failure.index) == ("data/documents/train-00000-of-00001.parquet", 1)
        assert failure.value == {"row": {"doc_id": first}, "after": {"doc_id": second}}

    def test_group_over_two_splits(self, built_corpus: Path, tmp_path: Path) -> None:
        """A leakage group with documents in train and validation fails 'group_in_one_split'."""
        root = corrupted(built_corpus, tmp_path, CASES["group_over_two_splits"])
        report = validate_corpus(root, docs_per_chunk=1)
        failing = {
            (f.file, f.row["doc_id"])
            for f in report.failures
            if (f.table, f.rule) == ("split_assignment", "group_in_one_split")
        }
        train = "data/documents/train-00000-of-00001.parquet"
        validation = "data/documents/validation-00000-of-00001.parquet"
        assert failing == {(train, doc_ids(root, "train")[0])} | {
            (validation, d) for d in doc_ids(root, "validation")
        }

    def test_unknown_document_at_end(self, built_corpus: Path, tmp_path: Path) -> None:
        """A token of no document after the file's last document fails 'document_exists'."""
        root = corrupted(built_corpus, tmp_path, CASES["unknown_document_at_end"])
        last = pq.read_metadata(layout.split_file(root, "tokens", "train")).num_rows - 1
        report = validate_corpus(root, docs_per_chunk=1)
        [failure] = [f for f in report.failures if f.rule == "document_exists"]
        assert (failure.table, failure.index) == ("tokens", last)
        assert failure.value == "zzz_not_a_document"

    def test_document_in_two_splits(self, built_corpus: Path, tmp_path: Path) -> None:
        """A document in the train and the validation file fails 'document_in_one_split'."""
        root = corrupted(built_corpus, tmp_path, CASES["document_in_two_splits"])
        doubled = doc_ids(root, "train")[0]
        report = validate_corpus(root, docs_per_chunk=1)
        files = sorted(
            str(f.file)
            for f in report.failures
            if (f.table, f.rule, f.row)
            == ("documents", "document_in_one_split", {"doc_id": doubled})
        )
        assert files == [
            "data/documents/train-00000-of-00001.parquet",
            "data/documents/validation-00000-of-00001.parquet",
        ]

    def test_parts_hold_at_most_docs_per_chunk_documents(
        self, built_corpus: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No validation step sees more documents than one chunk holds (memory is bounded)."""
        seen: list[int] = []
        run = V._validate_part

        def spy(tables: Any, *args: Any, **kwargs: Any) -> Any:
            if "documents" in tables:
                seen.append(tables["documents"].num_rows)
            return run(tables, *args, **kwargs)

        monkeypatch.setattr(V, "_validate_part", spy)
        assert validate_corpus(built_corpus, docs_per_chunk=2).ok
        assert seen and max(seen) <= 2
        assert sum(seen) == whole_table_report(built_corpus).rows["documents"]


class TestBenchScript:
    def test_times_validate_corpus_on_a_folder(self, built_corpus: Path, repo: Path) -> None:
        """`bench_validate.py --corpus DIR` reports seconds and peak RSS per chunk size."""
        command = [sys.executable, str(repo / "scripts" / "bench_validate.py"), "--corpus"]
        command += [str(built_corpus), "--docs-per-chunk", "1,500", "--repeat", "1", "--json"]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        results = json.loads(done.stdout)["validate_corpus"]
        assert [r["docs_per_chunk"] for r in results] == [1, 500]
        assert all(r["ok"] and r["seconds"] > 0 and r["peak_rss_mb"] > 0 for r in results)
        assert results[0]["rows"] == results[1]["rows"]
