"""The spans' rules: a span starts at a token start and ends at a token end."""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.validate.arrays import _bools, _pair_key
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import _offsets_detail, _Rule


def _span_on_token_boundaries(f: _Frame) -> NDArray[Any]:
    tokens = f.ctx.frame("tokens")
    assert tokens is not None
    s_ok = _member(_pair_key(f.d, f.start), _pair_key(tokens.d, tokens.start))
    e_ok = _member(_pair_key(f.d, f.end), _pair_key(tokens.d, tokens.end))
    return ~f.offsets_ok | (s_ok & e_ok)


def _member(query: NDArray[Any], reference: NDArray[Any]) -> NDArray[Any]:
    """RETURNS (np.ndarray): Whether each query value occurs in `reference`."""
    if len(reference) and bool(np.all(reference[1:] >= reference[:-1])):
        # Tokens in order: their start and end keys ascend, and a binary search beats a hash.
        at = np.minimum(np.searchsorted(reference, query), len(reference) - 1)
        return np.asarray(reference[at] == query, dtype=bool)
    return _bools(pc.is_in(pa.array(query), value_set=pa.array(reference)))


SPAN_RULES: tuple[_Rule, ...] = (
    _Rule(
        "span_on_token_boundaries",
        _span_on_token_boundaries,
        _offsets_detail,
        "start",
        ("documents", "tokens"),
    ),
)
