"""The split rules: a document in one split, rows in their document's split, and the split
assignment (split = the file's split, leakage groups in one split, group sizes).
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.validate.arrays import _bools, _lookup, _np, _valid
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import _Rule


def _assigned_split(f: _Frame) -> NDArray[Any]:
    splits = f.ctx.splits
    assert splits is not None
    return _bools(pc.fill_null(pc.equal(f.col("split"), splits[f.name]), True))


def _assigned_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    splits = f.ctx.splits
    assert splits is not None
    own = f.col("split").take(pa.array(rows)).to_pylist()
    files = pa.array(splits[f.name]).take(pa.array(rows)).to_pylist()
    return [{"split": a, "file_split": b} for a, b in zip(own, files, strict=True)]


def _group_in_one_split(f: _Frame) -> NDArray[Any]:
    t = pa.table({"group_id": f.col("group_id"), "split": f.col("split")})
    counts = t.group_by("group_id", use_threads=False).aggregate([("split", "count_distinct")])
    many = counts.filter(pc.greater(counts.column("split_count_distinct"), 1)).column("group_id")
    return ~_bools(pc.is_in(f.col("group_id"), value_set=many.combine_chunks()))


def _group_size_matches(f: _Frame) -> NDArray[Any]:
    t = pa.table({"group_id": f.col("group_id"), "n": pa.array(np.ones(f.n, dtype=np.int64))})
    counts = t.group_by("group_id", use_threads=False).aggregate([("n", "sum")])
    where = _lookup(f.col("group_id").combine_chunks(), counts.column("group_id").combine_chunks())
    size = _np(counts.column("n_sum"))[np.maximum(where, 0)] if f.n else np.zeros(0, np.int64)
    known = _valid(f.col("group_size")) & (where >= 0)
    return ~known | (_np(f.col("group_size")) == size)


def _group_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    taken = f.table.select(["group_id", "group_size", "split"]).take(pa.array(rows))
    return taken.to_pylist()


def _split_rules(name: str) -> list[_Rule]:
    def one_split(f: _Frame) -> NDArray[Any]:
        splits = f.ctx.splits
        assert splits is not None
        t = pa.table({"doc_id": f.col("doc_id"), "split": splits[name]})
        counts = t.group_by("doc_id", use_threads=False).aggregate([("split", "count_distinct")])
        many = counts.filter(pc.greater(counts.column("split_count_distinct"), 1)).column("doc_id")
        bad = np.asarray(
            pc.is_in(f.col("doc_id"), value_set=many.combine_chunks()).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
        return ~bad

    def split_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        splits = f.ctx.splits
        assert splits is not None
        own = pa.array(splits[name]).take(pa.array(rows)).to_pylist() if len(rows) else []
        doc_split = _doc_split(f)
        return [
            {"split": s, "document_split": doc_split[r] if doc_split is not None else None}
            for r, s in zip(rows, own, strict=True)
        ]

    def matches(f: _Frame) -> NDArray[Any]:
        splits = f.ctx.splits
        assert splits is not None
        doc_splits = splits["documents"]
        own = (
            pa.array(splits[name])
            if not isinstance(splits[name], pa.ChunkedArray)
            else splits[name]
        )
        where = np.maximum(f.d, 0)
        theirs = (
            pa.array(doc_splits).take(pa.array(where))
            if len(doc_splits)
            else pa.nulls(f.n, pa.string())
        )
        same = np.asarray(
            pc.fill_null(pc.equal(own, theirs), True).to_numpy(zero_copy_only=False), dtype=bool
        )
        return ~f.has_doc | same

    if name == "documents":
        return [_Rule("document_in_one_split", one_split, split_detail, "doc_id")]
    return [_Rule("split_matches_document", matches, split_detail, "doc_id", needs=("documents",))]


def _doc_split(f: _Frame) -> list[Any] | None:
    splits = f.ctx.splits
    if splits is None or "documents" not in splits or f.ctx.docs is None:
        return None
    doc_splits = pa.array(splits["documents"]).to_pylist()
    return [doc_splits[d] if d >= 0 else None for d in f.d]


# The split assignment's own rules (its 'document_exists' comes with every doc_id table).
ASSIGNMENT_RULES: tuple[_Rule, ...] = (
    _Rule("group_in_one_split", _group_in_one_split, _group_detail, "group_id"),
    _Rule("group_size_matches", _group_size_matches, _group_detail, "group_size"),
    _Rule("assigned_split_matches_file", _assigned_split, _assigned_detail, "split", ("splits",)),
)
