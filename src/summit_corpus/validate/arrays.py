"""Vectorised numpy/Arrow helpers the rules share: masks, gathers and key lookups.

Foreign keys are looked up with `pc.index_in` (or a binary search where the keys ascend) on
integer keys, so row order is kept, unlike a hash join.
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray


def _np(values: pa.Array | pa.ChunkedArray, fill: int = -1) -> NDArray[Any]:
    """RETURNS (np.ndarray): An integer array as int64 numpy, nulls replaced by `fill`."""
    filled = pc.fill_null(values, fill) if values.null_count else values
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks() if filled.num_chunks != 1 else filled.chunk(0)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.int64)


def _gather(values: NDArray[Any], where: NDArray[Any], fill: int = 0) -> NDArray[Any]:
    """RETURNS (np.ndarray): values[where], `fill` where `where` < 0 (also if `values` is empty:
    a chunk's rows may point into another table that has no rows in the chunk)."""
    if len(values) == 0:
        return np.full(len(where), fill, dtype=np.int64)
    return np.where(where >= 0, values[np.maximum(where, 0)], fill)


def _take(values: pa.Array | pa.ChunkedArray, where: NDArray[Any]) -> pa.Array | pa.ChunkedArray:
    """RETURNS: values[where], null where `where` < 0 (also if `values` is empty)."""
    if len(values) == 0:
        return pa.nulls(len(where), values.type)
    return values.take(pa.array(np.maximum(where, 0), pa.int64(), mask=where < 0))


def _valid(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    if not values.null_count:
        return np.ones(len(values), dtype=bool)
    return np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)


def _is_space_or_empty(strings: pa.Array) -> NDArray[Any]:
    space = pc.fill_null(pc.utf8_is_space(strings), False)
    empty = pc.equal(pc.binary_length(strings), 0)
    return np.asarray(pc.or_(space, empty).to_numpy(zero_copy_only=False), dtype=bool)


def _equal(a: pa.Array | pa.ChunkedArray, b: pa.Array) -> NDArray[Any]:
    eq = pc.fill_null(pc.equal(a.cast(pa.large_string()), b), False)
    return np.asarray(eq.to_numpy(zero_copy_only=False), dtype=bool)


def _pair_key(hi: NDArray[Any], lo: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): One int64 per (document index, integer id) pair."""
    return (hi.astype(np.int64) << 32) | (lo.astype(np.int64) & 0xFFFFFFFF)


def _string_key(*columns: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """RETURNS: Per row, the string columns joined by a unit separator (null stays null)."""
    return pc.binary_join_element_wise(*columns, "\x1f")


def _lookup(query: NDArray[Any] | pa.Array, reference: NDArray[Any] | pa.Array) -> NDArray[Any]:
    """RETURNS (np.ndarray): Position of each query key in `reference` (first match), or -1."""
    if (
        isinstance(query, np.ndarray)
        and isinstance(reference, np.ndarray)
        and len(reference)
        and bool(np.all(reference[1:] > reference[:-1]))
    ):
        # Keys of rows in table order ascend (tokens by (document, token_id)): a binary
        # search finds each one without hashing the reference.
        at = np.minimum(np.searchsorted(reference, query), len(reference) - 1)
        return np.where(reference[at] == query, at, -1).astype(np.int64)
    q = pa.array(query) if isinstance(query, np.ndarray) else query
    r = pa.array(reference) if isinstance(reference, np.ndarray) else reference
    return _np(pc.index_in(q, value_set=r), fill=-1)


def _order(d: NDArray[Any], ids: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): Row order by (document, id); the identity when already sorted."""
    key = _pair_key(d, ids)
    if len(key) < 2 or bool(np.all(key[1:] >= key[:-1])):
        return np.arange(len(key), dtype=np.int64)
    return np.lexsort((ids, d)).astype(np.int64)


def _unsort(order: NDArray[Any], sorted_values: NDArray[Any]) -> NDArray[Any]:
    out = np.empty_like(sorted_values)
    out[order] = sorted_values
    return out


def _bools(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _codes(values: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    """RETURNS (np.ndarray): An integer code per value (equal values, equal codes)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values)
    return np.asarray(values.indices.to_numpy(zero_copy_only=False))
