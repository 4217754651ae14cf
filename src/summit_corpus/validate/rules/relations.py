"""The relations' rules: both endpoint spans exist, share the relation's layer, and carry
labels the scheme allows for the relation.
"""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.validate.arrays import _lookup, _string_key, _take, _valid
from summit_corpus.validate.context import RELATION_ENDPOINTS, _Frame
from summit_corpus.validate.rules.base import Check, _Rule, _values


def _endpoint_row(f: _Frame, column: str) -> NDArray[Any]:
    attr = f"_{column}_row"
    if not hasattr(f, attr):
        keys = _string_key(f.col("doc_id"), f.col(column))
        setattr(f, attr, _lookup(keys, f.ctx.span_keys))
    return getattr(f, attr)


def _span_exists(column: str) -> Check:
    def check(f: _Frame) -> NDArray[Any]:
        known = f.has_doc & _valid(f.col(column))
        return ~known | (_endpoint_row(f, column) >= 0)

    return check


def _endpoint_same_layer(f: _Frame) -> NDArray[Any]:
    spans = f.ctx.tables["spans"]
    span_layer = spans.column("layer")
    good = np.ones(f.n, dtype=bool)
    layer = f.col("layer")
    for column in ("head_span_id", "tail_span_id"):
        where = _endpoint_row(f, column)
        found = where >= 0
        taken = _take(span_layer, where)
        same = np.asarray(
            pc.fill_null(pc.equal(taken, layer), True).to_numpy(zero_copy_only=False), dtype=bool
        )
        good &= ~found | same
    return good


def _endpoint_labels(f: _Frame, column: str) -> pa.Array:
    spans = f.ctx.tables["spans"]
    where = _endpoint_row(f, column)
    labels = _take(spans.column("label"), where)
    return pc.if_else(pa.array(where >= 0), labels, pa.scalar(None, pa.string()))


def _endpoint_labels_allowed(f: _Frame) -> NDArray[Any]:
    allowed = f.ctx.scheme.relation_endpoints or {}
    pairs = {
        f"{r}\x1f{h}\x1f{t}" for r, (heads, tails) in allowed.items() for h in heads for t in tails
    }
    key = _string_key(
        f.col("label"), _endpoint_labels(f, "head_span_id"), _endpoint_labels(f, "tail_span_id")
    )
    known_label = np.asarray(
        pc.is_in(f.col("label"), value_set=pa.array(sorted(allowed), pa.string())).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    ok = np.asarray(
        pc.fill_null(pc.is_in(key, value_set=pa.array(sorted(pairs), pa.string())), True).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    # A label the scheme does not know is `in_vocabulary`'s failure, not this rule's.
    return ~known_label | ok | ~_valid(key)


def _endpoint_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    rel = (
        f.table.select(["label", "layer", "head_span_id", "tail_span_id"])
        .take(pa.array(rows))
        .to_pylist()
    )
    heads = _endpoint_labels(f, "head_span_id").take(pa.array(rows)).to_pylist()
    tails = _endpoint_labels(f, "tail_span_id").take(pa.array(rows)).to_pylist()
    spans = f.ctx.tables["spans"]
    out = []
    for r, row, h, t in zip(rows, rel, heads, tails, strict=True):
        item = dict(row)
        item["head_label"], item["tail_label"] = h, t
        for column in ("head_span_id", "tail_span_id"):
            w = _endpoint_row(f, column)[r]
            if w >= 0:
                item[column.replace("_span_id", "_layer")] = spans.column("layer")[int(w)].as_py()
        out.append(item)
    return out


RELATION_RULES: tuple[_Rule, ...] = (
    _Rule(
        "head_span_exists",
        _span_exists("head_span_id"),
        _values("head_span_id"),
        "head_span_id",
        ("documents", "spans"),
    ),
    _Rule(
        "tail_span_exists",
        _span_exists("tail_span_id"),
        _values("tail_span_id"),
        "tail_span_id",
        ("documents", "spans"),
    ),
    _Rule(
        "endpoint_same_layer",
        _endpoint_same_layer,
        _endpoint_detail,
        "layer",
        ("documents", "spans"),
    ),
    _Rule(
        "endpoint_labels_allowed",
        _endpoint_labels_allowed,
        _endpoint_detail,
        "label",
        ("documents", "spans", RELATION_ENDPOINTS),
    ),
)
