"""The published documents config's nested records: no nulls where the definition has none,
one record per flat row and equal to it.
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.core import tables as T
from summit_corpus.validate.arrays import _bools, _lookup, _np, _pair_key, _valid
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import Check, Detail, _flat


def _nested_not_null(definition: T.Table) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        good = np.ones(f.n, dtype=bool)
        for column in definition.columns:
            t = column.type
            if not (pa.types.is_list(t) and pa.types.is_struct(t.value_type)):
                continue
            parents, values = _flat(f, column.name)
            if values.null_count:
                good[parents[~_valid(values)]] = False
            for i in range(t.value_type.num_fields):
                sub = t.value_type.field(i)
                if sub.nullable:
                    continue
                child = pc.struct_field(values, sub.name)
                if child.null_count:
                    good[parents[~_valid(child)]] = False
        return good

    return check


def _nested_detail(definition: T.Table) -> Detail:
    def detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
        out = []
        for r in rows:
            nulls = []
            for column in definition.columns:
                t = column.type
                if not (pa.types.is_list(t) and pa.types.is_struct(t.value_type)):
                    continue
                for i, item in enumerate(f.col(column.name)[int(r)].as_py() or []):
                    if item is None:
                        nulls.append(f"{column.name}[{i}]")
                        continue
                    for j in range(t.value_type.num_fields):
                        sub = t.value_type.field(j)
                        if not sub.nullable and item.get(sub.name) is None:
                            nulls.append(f"{column.name}[{i}].{sub.name}")
            out.append({"null_fields": nulls})
        return out

    return detail


def _composite_key(table: pa.Table, columns: Sequence[str]) -> pa.Array:
    """RETURNS (pa.Array): One string per row from `columns` (nulls kept apart from values)."""
    parts = [
        pc.fill_null(pc.cast(table.column(c), pa.string()), "\x00null").combine_chunks()
        for c in columns
    ]
    if len(parts) == 1:
        return parts[0]
    return pc.binary_join_element_wise(*parts, "\x1f")


def _nested_partner(f: _Frame) -> tuple[NDArray[Any], pa.Table]:
    """RETURNS: Each flat row's record in the documents config (-1 if none), and the records."""
    cached = getattr(f, "_nested", None)
    if cached is not None:
        return cached
    nested = f.ctx.nested[f.name]
    key = list(T.table(f.name).key)
    docs = f.ctx.docs
    if docs is not None and len(key) == 2 and pa.types.is_integer(f.col(key[1]).type):
        # (doc_id, integer id): integer pair keys hash several times faster than strings.
        nested_d = docs.index(nested.column("doc_id"))
        mine = np.where(f.d >= 0, _pair_key(f.d, f.ids(key[1])), -1)
        theirs = np.where(nested_d >= 0, _pair_key(nested_d, _np(nested.column(key[1]))), -2)
        where: NDArray[Any]
        same = len(mine) == len(theirs) and bool(np.all(mine[1:] > mine[:-1]))
        if same and np.array_equal(mine, theirs):
            # Same unique keys in the same order (as published): row i is record i.
            where = np.arange(len(mine), dtype=np.int64)
        else:
            where = _lookup(mine, theirs)
    else:
        where = _lookup(_composite_key(f.table, key), _composite_key(nested, key))
    f._nested = (where, nested)  # type: ignore[attr-defined]
    return where, nested


def _nested_matches_flat(f: _Frame) -> NDArray[Any]:
    where, nested = _nested_partner(f)
    found = where >= 0
    take = pa.array(np.maximum(where, 0))
    good = found.copy()
    if len(nested) == 0:
        return good
    identity = len(where) == len(nested) and bool(np.all(where == np.arange(len(where))))
    for name in f.table.column_names:
        mine = f.col(name)
        theirs = nested.column(name) if identity else nested.column(name).take(take)
        both_null = _bools(pc.and_(pc.is_null(mine), pc.is_null(theirs)))
        good &= _bools(pc.equal(mine, theirs)) | both_null
    return good


def _nested_flat_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    where, nested = _nested_partner(f)
    out = []
    mine = f.table.take(pa.array(rows)).to_pylist()
    for r, row in zip(rows, mine, strict=True):
        w = int(where[r])
        if w < 0:
            out.append({"flat": row, "nested": None})
            continue
        other = nested.slice(w, 1).to_pylist()[0]
        diff = {k: {"flat": v, "nested": other.get(k)} for k, v in row.items() if other.get(k) != v}
        out.append(diff)
    return out


def _nested_counts(f: _Frame) -> NDArray[Any]:
    """Documents rows whose nested lists have another length than their flat rows."""
    good = np.ones(f.n, dtype=bool)
    doc_ids = f.col("doc_id").combine_chunks()
    for name, nested in f.ctx.nested.items():
        flat = f.ctx.tables.get(name)
        if flat is None:
            continue
        for table, sign in ((nested, 1), (flat, -1)):
            where = _lookup(table.column("doc_id").combine_chunks(), doc_ids)
            where = where[where >= 0]
            counts = np.bincount(where, minlength=f.n) if len(where) else np.zeros(f.n, np.int64)
            if sign == 1:
                diff = counts.astype(np.int64)
            else:
                diff -= counts
        good &= diff == 0
    return good


def _nested_count_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    out = []
    ids = f.col("doc_id").take(pa.array(rows)).to_pylist()
    for doc_id in ids:
        item = {}
        for name, nested in f.ctx.nested.items():
            flat = f.ctx.tables.get(name)
            if flat is None:
                continue
            n_nested = pc.sum(pc.equal(nested.column("doc_id"), doc_id)).as_py() or 0
            n_flat = pc.sum(pc.equal(flat.column("doc_id"), doc_id)).as_py() or 0
            if n_nested != n_flat:
                item[name] = {"nested": n_nested, "flat": n_flat}
        out.append(item)
    return out
