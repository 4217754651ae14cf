"""The ner config equals what `ner.ner_rows` (the function publish uses) makes from the
tokens and spans, and its tags are valid IOB2: a sentence never starts with `I-`, and an `I-X`
only follows `B-X` or `I-X`.
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


def _tag_kinds(names: list[str]) -> tuple[NDArray[Any], NDArray[Any]]:
    """RETURNS (tuple): Per tag index, its kind (0 O or unknown, 1 B-, 2 I-) and entity code."""
    entities = sorted({n[2:] for n in names if n[:2] in ("B-", "I-")})
    code = {e: i + 1 for i, e in enumerate(entities)}
    kind = np.array([1 if n.startswith("B-") else 2 if n.startswith("I-") else 0 for n in names])
    entity = np.array([code.get(n[2:], 0) if n[:2] in ("B-", "I-") else 0 for n in names])
    return kind, entity


def _iob2_bad_positions(f: _Frame) -> tuple[NDArray[Any], NDArray[Any]]:
    """RETURNS (tuple): Row and position within the row of every `I-` tag that breaks IOB2."""
    lists = f.col("ner_tags").combine_chunks()
    flat = _np(pc.fill_null(pc.list_flatten(lists), 0)).astype(np.int64)
    rows = _np(pc.list_parent_indices(lists)).astype(np.int64)
    if len(flat) == 0:
        return rows, rows
    kind, entity = _tag_kinds(list(f.ctx.scheme.vocabularies["ner_tags"]))
    known = (flat >= 0) & (flat < len(kind))
    tag = np.where(known, flat, 0)
    first = np.ones(len(tag), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    follows = np.zeros(len(tag), dtype=bool)  # the previous tag is B-X or I-X of the same X
    follows[1:] = (kind[tag[:-1]] > 0) & (entity[tag[:-1]] == entity[tag[1:]])
    bad = (kind[tag] == 2) & (first | ~follows)
    starts = np.searchsorted(rows, rows)  # first flat position of each element's row
    index = np.arange(len(tag)) - starts
    return rows[bad], index[bad]


def _iob2_valid(f: _Frame) -> NDArray[Any]:
    good = np.ones(len(f.table), dtype=bool)
    bad_rows, _ = _iob2_bad_positions(f)
    good[bad_rows] = False
    return good


def _iob2_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    names = list(f.ctx.scheme.vocabularies["ner_tags"])
    bad_rows, positions = _iob2_bad_positions(f)
    out = []
    for row in rows.tolist():
        record = f.table.slice(row, 1).to_pylist()[0]
        at = [
            int(p) for r, p in zip(bad_rows.tolist(), positions.tolist(), strict=True) if r == row
        ]
        tags = record["ner_tags"] or []
        out.append(
            {
                "id": record["id"],
                "tokens": [
                    {
                        "position": p,
                        "token": (record["tokens"] or [None] * (p + 1))[p],
                        "tag": names[tags[p]] if 0 <= tags[p] < len(names) else tags[p],
                        "after": "sentence start"
                        if p == 0
                        else (names[tags[p - 1]] if 0 <= tags[p - 1] < len(names) else None),
                    }
                    for p in at
                ],
            }
        )
    return out


NER_RULES: tuple[_Rule, ...] = (
    _Rule("ner_iob2_valid", _iob2_valid, _iob2_detail, "ner_tags"),
    _Rule(
        "ner_matches_tables",
        _ner_matches,
        _ner_detail,
        None,
        ("documents", "sentences", "tokens", "ner_tags"),
    ),
)
