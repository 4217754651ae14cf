"""The tokens' rules: consecutive ids, no overlap, whitespace rebuilding the text, each token
inside its sentence, heads in the same sentence.
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.validate.arrays import (
    _bools,
    _equal,
    _gather,
    _is_space_or_empty,
    _lookup,
    _pair_key,
    _unsort,
    _valid,
)
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import _Rule, _values
from summit_corpus.validate.rules.sequence import (
    _gap_slices,
    _ids_consecutive,
    _no_overlap,
    _overlap_detail,
    _sequence,
)


def _sentence_exists(f: _Frame) -> NDArray[Any]:
    known = f.has_doc & _valid(f.col("sentence_id"))
    where = _lookup(_pair_key(f.d, f.ids("sentence_id")), f.ctx.sentence_keys)
    f._sentence_row = where  # type: ignore[attr-defined]
    return ~known | (where >= 0)


def _sentence_row(f: _Frame) -> NDArray[Any]:
    if not hasattr(f, "_sentence_row"):
        _sentence_exists(f)
    return f._sentence_row  # type: ignore[attr-defined]


def _token_in_sentence(f: _Frame) -> NDArray[Any]:
    where = _sentence_row(f)
    sentences = f.ctx.frame("sentences")
    assert sentences is not None
    found = where >= 0
    s_start = _gather(sentences.start, where)
    s_end = _gather(sentences.end, where)
    inside = (s_start <= f.start) & (f.end <= s_end)
    return ~(found & f.offsets_known) | inside


def _sentence_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    where = _sentence_row(f)
    sentences = f.ctx.frame("sentences")
    assert sentences is not None
    out = []
    for r in rows:
        w = where[r]
        item: dict[str, Any] = {"start": int(f.start[r]), "end": int(f.end[r])}
        item["sentence_id"] = int(f.ids("sentence_id")[r])
        if w >= 0:
            item["sentence_start"] = int(sentences.start[w])
            item["sentence_end"] = int(sentences.end[w])
        out.append(item)
    return out


def _tokens_rebuild_text(f: _Frame) -> NDArray[Any]:
    q = _sequence(f, "token_id")
    if f.n == 0:
        return np.ones(0, dtype=bool)
    e = f.end[q.order]
    s = f.start[q.order]
    d_sorted = f.d[q.order]
    ok_after = q.ok & (e <= q.next_start)
    after = _gap_slices(f, d_sorted, e, q.next_start, ok_after)
    ws = f.col("whitespace").take(pa.array(q.order))
    good = ~ok_after | _equal(ws, after)
    ok_lead = q.ok & q.first
    lead = _gap_slices(f, d_sorted, np.zeros(f.n, dtype=np.int64), s, ok_lead)
    good &= ~ok_lead | _is_space_or_empty(lead)
    return _unsort(q.order, good)


def _rebuild_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    q = _sequence(f, "token_id")
    where = np.empty(f.n, dtype=np.int64)
    where[q.order] = np.arange(f.n)
    docs = f.ctx.docs
    assert docs is not None
    out = []
    ws = f.col("whitespace").take(pa.array(rows)).to_pylist()
    for r, w in zip(rows, ws, strict=True):
        k = where[r]
        e = int(f.end[r])
        nxt = int(q.next_start[k])
        d = np.array([f.d[r]])
        text = docs.slices(d, np.array([e]), np.array([max(e, nxt)])).to_pylist()[0]
        item: dict[str, Any] = {"whitespace": w, "text_to_next_token": text}
        if q.first[k]:
            item["text_before_first_token"] = docs.slices(
                d, np.array([0]), np.array([int(f.start[r])])
            ).to_pylist()[0]
        out.append(item)
    return out


def _whitespace_is_space(f: _Frame) -> NDArray[Any]:
    ws = f.col("whitespace").combine_chunks()
    return _is_space_or_empty(ws) | ~_valid(ws)


def _head_row(f: _Frame) -> NDArray[Any]:
    if not hasattr(f, "_head_row"):
        f._head_row = _lookup(_pair_key(f.d, f.ids("head_token_id")), f.ctx.token_keys)  # type: ignore[attr-defined]
    return f._head_row  # type: ignore[attr-defined]


def _head_token_exists(f: _Frame) -> NDArray[Any]:
    known = f.has_doc & _valid(f.col("head_token_id"))
    return ~known | (_head_row(f) >= 0)


def _head_in_sentence(f: _Frame) -> NDArray[Any]:
    where = _head_row(f)
    sid = f.ids("sentence_id")
    found = where >= 0
    return ~found | (sid[np.maximum(where, 0)] == sid)


def _head_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    where = _head_row(f)
    sid = f.ids("sentence_id")
    head = f.ids("head_token_id")
    out = []
    for r in rows:
        item: dict[str, Any] = {"head_token_id": int(head[r]), "sentence_id": int(sid[r])}
        if where[r] >= 0:
            item["head_sentence_id"] = int(sid[where[r]])
        out.append(item)
    return out


def _root_heads_itself(f: _Frame) -> NDArray[Any]:
    root = _bools(pc.equal(f.col("dep"), "ROOT"))
    return ~root | (f.ids("head_token_id") == f.ids("token_id"))


TOKEN_RULES: tuple[_Rule, ...] = (
    _Rule(
        "ids_consecutive",
        _ids_consecutive("token_id"),
        _values("token_id"),
        "token_id",
        ("documents",),
    ),
    _Rule(
        "tokens_no_overlap",
        _no_overlap("token_id"),
        _overlap_detail("token_id"),
        "start",
        ("documents",),
    ),
    _Rule("whitespace_is_space", _whitespace_is_space, _values("whitespace"), "whitespace"),
    _Rule(
        "tokens_rebuild_text", _tokens_rebuild_text, _rebuild_detail, "whitespace", ("documents",)
    ),
    _Rule(
        "sentence_exists",
        _sentence_exists,
        _values("sentence_id"),
        "sentence_id",
        ("documents", "sentences"),
    ),
    _Rule(
        "token_in_sentence",
        _token_in_sentence,
        _sentence_detail,
        "sentence_id",
        ("documents", "sentences"),
    ),
    _Rule("head_token_exists", _head_token_exists, _head_detail, "head_token_id", ("documents",)),
    _Rule("head_in_sentence", _head_in_sentence, _head_detail, "head_token_id", ("documents",)),
    _Rule("root_heads_itself", _root_heads_itself, _head_detail, "head_token_id"),
)
