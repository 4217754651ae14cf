"""The annotations' rules, and 'annotation_exists' for rows that name an annotation."""

# numpy and pyarrow operators are typed as returning Any; the masks here are numpy bool arrays.
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from summit_corpus.validate.arrays import _bools, _lookup, _string_key, _take, _valid
from summit_corpus.validate.context import _Frame
from summit_corpus.validate.rules.base import _Rule, _values


def _annotation_exists(f: _Frame) -> NDArray[Any]:
    ann_id = f.col("annotation_id")
    known = _valid(ann_id) & f.has_doc
    where = _lookup(_string_key(f.col("doc_id"), ann_id), f.ctx.annotation_keys)
    return ~known | (where >= 0)


def _stale_flag_matches(f: _Frame) -> NDArray[Any]:
    documents = f.ctx.tables["documents"]
    doc_sha = _take(documents.column("text_sha256"), f.d)
    changed = pc.not_equal(f.col("text_sha256"), doc_sha)
    same = _bools(pc.fill_null(pc.equal(f.col("stale"), changed), True))
    return ~f.has_doc | same


def _stale_detail(f: _Frame, rows: NDArray[Any]) -> list[Any]:
    documents = f.ctx.tables["documents"]
    doc_sha = documents.column("text_sha256").take(pa.array(np.maximum(f.d[rows], 0))).to_pylist()
    own = f.table.select(["stale", "text_sha256"]).take(pa.array(rows)).to_pylist()
    return [{**o, "document_text_sha256": d} for o, d in zip(own, doc_sha, strict=True)]


ANNOTATION_RULES: tuple[_Rule, ...] = (
    _Rule("stale_flag_matches", _stale_flag_matches, _stale_detail, "stale", ("documents",)),
)
# A row's annotation_id names an annotation of its document (tables of annotated rows).
ANNOTATION_EXISTS = _Rule(
    "annotation_exists",
    _annotation_exists,
    _values("annotation_id"),
    "annotation_id",
    ("documents", "annotations"),
)
