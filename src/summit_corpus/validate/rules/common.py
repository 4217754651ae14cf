"""Rules many tables share: unique key, sort order, list vocabularies, and the document
rules of every row with a doc_id (the document exists; offsets index its text; the row's
`text` is the text at its offsets).
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.core import tables as T
from summit_corpus.validate.arrays import _bools, _equal, _np, _valid
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import Check, Detail, _offsets_detail, _Rule, _values


def _surface_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    docs = f.ctx.docs
    assert docs is not None
    expected = docs.slices(f.d[rows], f.start[rows], f.end[rows])
    got = f.col("text").take(pa.array(rows)).to_pylist()
    return [
        {"text": g, "expected": e, "start": int(f.start[r]), "end": int(f.end[r])}
        for g, e, r in zip(got, expected.to_pylist(), rows, strict=True)
    ]


def _document_exists(f: _Frame) -> NDArray[Any]:
    return f.has_doc | ~_valid(f.col("doc_id"))


def _start_before_end(f: _Frame) -> NDArray[Any]:
    known = _valid(f.col("start")) & _valid(f.col("end"))
    return ~known | (f.start < f.end)


def _offsets_in_text(f: _Frame) -> NDArray[Any]:
    s, e = f.start, f.end
    return ~f.offsets_known | ((s >= 0) & (e <= f.doclen) & (s <= f.doclen))


def _surface_matches_text(f: _Frame) -> NDArray[Any]:
    ok = f.offsets_ok & _valid(f.col("text"))
    sliced = f.slices(f.start, f.end, ok)
    return ~ok | _equal(f.col("text"), sliced)


def _unique_key(definition: T.Table) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        # Dictionary codes make every key column an integer, so one lexsort finds duplicates
        # as equal neighbours (pandera's `unique=` is several times slower on a million rows).
        codes = []
        for name in definition.key:
            column = f.col(name)
            if pa.types.is_integer(column.type):
                codes.append(_np(column, fill=-(2**40)))
            else:
                encoded = pc.dictionary_encode(pc.fill_null(column, "\x00null")).combine_chunks()
                codes.append(
                    np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
                )
        if f.n < 2:
            return np.ones(f.n, dtype=bool)
        order = np.lexsort(tuple(reversed(codes)))
        same = np.ones(f.n - 1, dtype=bool)
        for c in codes:
            cs = c[order]
            same &= cs[1:] == cs[:-1]
        dup_sorted = np.zeros(f.n, dtype=bool)
        dup_sorted[1:] |= same
        dup_sorted[:-1] |= same
        dup = np.zeros(f.n, dtype=bool)
        dup[order] = dup_sorted
        return ~dup

    return check


def _key_detail(definition: T.Table) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        taken = f.table.select(list(definition.key)).take(pa.array(rows)).to_pylist()
        return [{"duplicate_key": row} for row in taken]

    return detail


def _rows_sorted(definition: T.Table) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        good = np.ones(f.n, dtype=bool)
        if f.n < 2 or not definition.sort_by:
            return good
        keys = f.table.select(list(definition.sort_by))
        less = T.sorts_before(keys.slice(1), keys.slice(0, f.n - 1), definition.sort_by)
        good[1:] = ~(less & f.ctx.same_file(f.name, f.n))
        return good

    return check


def _sort_detail(definition: T.Table) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        cols = list(definition.sort_by)
        here = f.table.select(cols).take(pa.array(rows)).to_pylist()
        before = f.table.select(cols).take(pa.array(rows - 1)).to_pylist()
        return [{"row": h, "after": b} for h, b in zip(here, before, strict=True)]

    return detail


def _list_in_vocabulary(column: T.Column) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        vocab = f.ctx.scheme.vocabularies[column.vocabulary or ""]
        lists = f.col(column.name).combine_chunks()
        parents = _np(pc.list_parent_indices(lists))
        values = pc.list_flatten(lists)
        if pa.types.is_integer(values.type):
            v = _np(values, fill=-1)
            bad = (v < 0) | (v >= len(vocab))
        else:
            bad = ~_bools(pc.is_in(values, value_set=pa.array(list(vocab), values.type)))
        good = np.ones(f.n, dtype=bool)
        good[parents[bad]] = False
        return good

    return check


# A row's doc_id names a document: every table with a doc_id but the documents themselves.
DOCUMENT_EXISTS = _Rule(
    "document_exists", _document_exists, _values("doc_id"), "doc_id", ("documents",)
)
# Rows that cut a piece out of their document's text (start, end and text columns).
OFFSET_RULES: tuple[_Rule, ...] = (
    DOCUMENT_EXISTS,
    _Rule("start_before_end", _start_before_end, _offsets_detail, "end"),
    _Rule("offsets_in_text", _offsets_in_text, _offsets_detail, "end", ("documents",)),
    _Rule("surface_matches_text", _surface_matches_text, _surface_detail, "text", ("documents",)),
)
