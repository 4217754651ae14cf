"""The ner config equals what `ner.ner_rows` (the function publish uses) makes from the
tokens and spans.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.publish.ner import ner_rows
from summit_corpus.validate.arrays import _bools, _lookup, _np
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import _Rule


def _ner_expected(f: _Frame) -> pa.Table:
    cached = getattr(f, "_ner", None)
    if cached is not None:
        return cached
    # The same function publish uses (ner.py, checked against a plain reference in
    # tests/test_ner.py): the rule catches a ner file that does not match the other configs.
    expected = ner_rows(f.ctx.tables, f.ctx.scheme.vocabularies["ner_tags"]).table
    f._ner = expected  # type: ignore[attr-defined]
    return expected


def _ner_matches(f: _Frame) -> NDArray[Any]:
    expected = _ner_expected(f)
    where = _lookup(f.col("id").combine_chunks(), expected.column("id").combine_chunks())
    found = where >= 0
    good = found.copy()
    take = pa.array(np.maximum(where, 0))
    if len(expected) == 0:
        return good
    for name in f.table.column_names:
        mine = f.col(name)
        theirs = expected.column(name).take(take)
        good &= (
            _bools(pc.equal(mine, theirs))
            if not pa.types.is_list(mine.type)
            else _lists_equal(mine, theirs)
        )
    return good


def _lists_equal(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> NDArray[Any]:
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    b = b.combine_chunks() if isinstance(b, pa.ChunkedArray) else b
    same_len = _bools(pc.equal(pc.list_value_length(a), pc.list_value_length(b)))
    good = same_len.copy()
    pa_, pb = _np(pc.list_parent_indices(a)), _np(pc.list_parent_indices(b))
    va, vb = pc.list_flatten(a), pc.list_flatten(b)
    # Compare element-wise only where lengths agree (then flattened positions line up).
    ok_a = same_len[pa_] if len(pa_) else np.zeros(0, bool)
    ok_b = same_len[pb] if len(pb) else np.zeros(0, bool)
    va = va.filter(pa.array(ok_a))
    vb = vb.filter(pa.array(ok_b))
    parents = pa_[ok_a]
    differ = ~_bools(pc.equal(va, vb)) if len(va) else np.zeros(0, bool)
    good[parents[differ]] = False
    return good


def _ner_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    expected = _ner_expected(f)
    index = {k: i for i, k in enumerate(expected.column("id").to_pylist())}
    out = []
    for row in f.table.take(pa.array(rows)).to_pylist():
        i = index.get(row["id"])
        if i is None:
            out.append({"id": row["id"], "expected": None})
            continue
        want = expected.slice(i, 1).to_pylist()[0]
        out.append({k: {"got": v, "expected": want[k]} for k, v in row.items() if want[k] != v})
    return out


NER_RULES: tuple[_Rule, ...] = (
    _Rule(
        "ner_matches_tables",
        _ner_matches,
        _ner_detail,
        None,
        ("documents", "sentences", "tokens", "ner_tags"),
    ),
)
