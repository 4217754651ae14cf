"""The sentences' rules: consecutive ids, no overlap, only whitespace between sentences."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from summit_corpus.validate.arrays import _is_space_or_empty, _unsort
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import _Rule, _values
from summit_corpus.validate.rules.sequence import (
    _gap_detail,
    _gap_slices,
    _ids_consecutive,
    _no_overlap,
    _overlap_detail,
    _sequence,
)


def _sentence_gaps(f: _Frame) -> NDArray[Any]:
    q = _sequence(f, "sentence_id")
    s, e = f.start[q.order], f.end[q.order]
    ok_before = q.ok & (q.prev_end <= s)
    ok_after = q.ok & q.last
    good = np.ones(f.n, dtype=bool)
    if f.n:
        d_sorted = f.d[q.order]
        gap = _gap_slices(f, d_sorted, q.prev_end, s, ok_before)
        good &= ~ok_before | _is_space_or_empty(gap)
        tail = _gap_slices(f, d_sorted, e, q.next_start, ok_after & (e <= q.next_start))
        good &= ~ok_after | _is_space_or_empty(tail)
    return _unsort(q.order, good)


SENTENCE_RULES: tuple[_Rule, ...] = (
    _Rule(
        "ids_consecutive",
        _ids_consecutive("sentence_id"),
        _values("sentence_id"),
        "sentence_id",
        ("documents",),
    ),
    _Rule(
        "sentences_no_overlap",
        _no_overlap("sentence_id"),
        _overlap_detail("sentence_id"),
        "start",
        ("documents",),
    ),
    _Rule(
        "sentence_gaps_are_space",
        _sentence_gaps,
        _gap_detail("sentence_id"),
        "start",
        ("documents",),
    ),
)
