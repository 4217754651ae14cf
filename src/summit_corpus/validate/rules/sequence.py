"""Rows in document order (sentences, tokens): ids run 0, 1, 2, ..., rows do not overlap, and
what lies between them.
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from summit_corpus.validate.arrays import _order, _unsort, _valid
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import Check, Detail


def _ids_consecutive(id_column: str) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        ids = f.ids(id_column)
        order = _order(f.d, ids)
        ds, ids_s = f.d[order], ids[order]
        group_start = np.ones(f.n, dtype=bool)
        group_start[1:] = ds[1:] != ds[:-1]
        first = np.maximum.accumulate(np.where(group_start, np.arange(f.n), 0))
        rank = np.arange(f.n) - first
        ok_sorted = (ids_s == rank) | (ds < 0)
        ok = np.empty(f.n, dtype=bool)
        ok[order] = ok_sorted
        return ok | ~_valid(f.col(id_column))

    return check


@dataclass
class _Sequence:
    """Rows of one table in (document, id) order with their neighbours' offsets."""

    order: NDArray[Any]
    first: NDArray[Any]  # first row of its document (in sorted order)
    last: NDArray[Any]
    prev_end: NDArray[Any]  # previous row's end (0 for the first)
    next_start: NDArray[Any]  # next row's start (len(text) for the last)
    ok: NDArray[Any]  # rows (sorted) whose own offsets and document are fine


def _sequence(f: _Frame, id_column: str) -> _Sequence:
    cached = getattr(f, "_seq", None)
    if cached is not None:
        return cached
    ids = f.ids(id_column)
    order = _order(f.d, ids)
    ds = f.d[order]
    first = np.ones(f.n, dtype=bool)
    last = np.ones(f.n, dtype=bool)
    if f.n:
        first[1:] = ds[1:] != ds[:-1]
        last[:-1] = ds[1:] != ds[:-1]
    s, e = f.start[order], f.end[order]
    prev_end = np.zeros(f.n, dtype=np.int64)
    prev_end[1:] = e[:-1]
    prev_end[first] = 0
    next_start = np.zeros(f.n, dtype=np.int64)
    next_start[:-1] = s[1:]
    next_start[last] = f.doclen[order][last]
    ok_sorted = f.offsets_ok[order] & (s < e)
    # A neighbour with broken offsets would blame this row for its own fault.
    prev_ok = np.ones(f.n, dtype=bool)
    prev_ok[1:] = ok_sorted[:-1]
    prev_ok[first] = True
    next_ok = np.ones(f.n, dtype=bool)
    next_ok[:-1] = ok_sorted[1:]
    next_ok[last] = True
    seq = _Sequence(order, first, last, prev_end, next_start, ok_sorted & prev_ok & next_ok)
    f._seq = seq  # type: ignore[attr-defined]
    return seq


def _no_overlap(id_column: str) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        q = _sequence(f, id_column)
        s = f.start[q.order]
        bad = q.ok & ~q.first & (s < q.prev_end)
        return ~_unsort(q.order, bad)

    return check


def _overlap_detail(id_column: str) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        q = _sequence(f, id_column)
        where = np.empty(f.n, dtype=np.int64)
        where[q.order] = np.arange(f.n)
        return [
            {
                "start": int(f.start[r]),
                "end": int(f.end[r]),
                "previous_end": int(q.prev_end[where[r]]),
            }
            for r in rows
        ]

    return detail


def _gap_slices(
    f: _Frame, d: NDArray[Any], start: NDArray[Any], end: NDArray[Any], ok: NDArray[Any]
) -> pa.Array:
    docs = f.ctx.docs
    assert docs is not None
    if len(docs) == 0:
        return pa.array([""] * len(d), pa.large_string())
    return docs.slices(np.where(ok, d, 0), np.where(ok, start, 0), np.where(ok, end, 0))


def _gap_detail(id_column: str) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        q = _sequence(f, id_column)
        where = np.empty(f.n, dtype=np.int64)
        where[q.order] = np.arange(f.n)
        out = []
        docs = f.ctx.docs
        assert docs is not None
        for r in rows:
            k = where[r]
            s, e = int(f.start[r]), int(f.end[r])
            d = np.array([f.d[r]])
            before = docs.slices(d, np.array([q.prev_end[k]]), np.array([s])).to_pylist()[0]
            item: dict[str, Any] = {"start": s, "end": e, "text_before": before}
            if q.last[k]:
                after = docs.slices(d, np.array([e]), np.array([q.next_start[k]])).to_pylist()[0]
                item["text_after"] = after
            out.append(item)
        return out

    return detail
